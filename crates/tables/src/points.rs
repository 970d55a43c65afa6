//! `communities.csv` and `facilities.csv`: readers (with CRS conversion) and writers.
//!
//! Formats (columns matched by header name, ASCII case ignored, in any order; extra columns
//! ignored; a UTF-8 byte order mark tolerated; rows whose fields are all empty skipped):
//!
//! * `communities.csv`: required `id,name,lon,lat,population`; optional
//!   `households,elderly,children_0_3,division_code`.
//! * `facilities.csv`: required `id,name,category,lon,lat`; optional
//!   `capacity,floor_area_m2,provider_code,division_code`.
//!
//! Cells are trimmed. `id` must be non-empty and unique in the file; `name` may be empty
//! (many POIs have none). An empty optional cell is `None`. Counts, capacities and areas
//! must be finite and 0 or more. `lon`/`lat` are checked against -180..180 / -90..90 in the
//! file's coordinate system and then converted to WGS-84 with `lc-crs`.

use std::io::{self, Write};
use std::path::Path;

use csv::ByteRecord;
use lc_crs::{to_wgs84, Crs};
use lc_model::{Category, Community, Facility, LonLat};
use rustc_hash::FxHashMap;

use crate::atomic::write_atomic;
use crate::error::{Collector, TableError};
use crate::fields::{
    check_width, num_message, parse_f64, range_message, show, trim, Source, UTF8_HINT,
};
use crate::network::is_blank;

/// The most people (or households, elderly, children) one community may count: 10 million, more
/// than any city district. Larger values are refused with the line and field.
pub const MAX_COUNT: f64 = 10_000_000.0;
/// The largest capacity (slots, beds, seats) of one facility.
pub const MAX_CAPACITY: f64 = 10_000_000.0;
/// The largest floor or ground area of one facility, m² (100 km²).
pub const MAX_AREA_M2: f64 = 100_000_000.0;
/// The largest cost of one candidate site (a trillion, in whatever unit the file uses: above any
/// building's cost in yuan, so a larger value is a unit or typing mistake).
pub const MAX_COST: f64 = 1e12;
/// The longest walking distance a cost table may hold, metres (10,000 km).
pub const MAX_DISTANCE_M: f64 = 1e7;

/// Columns of `communities.csv`, `true` for required.
pub const COMMUNITY_COLUMNS: [(&str, bool); 9] = [
    ("id", true),
    ("name", true),
    ("lon", true),
    ("lat", true),
    ("population", true),
    ("households", false),
    ("elderly", false),
    ("children_0_3", false),
    ("division_code", false),
];

/// Columns of `facilities.csv`, `true` for required.
pub const FACILITY_COLUMNS: [(&str, bool); 9] = [
    ("id", true),
    ("name", true),
    ("category", true),
    ("lon", true),
    ("lat", true),
    ("capacity", false),
    ("floor_area_m2", false),
    ("provider_code", false),
    ("division_code", false),
];

/// One row being read: field accessors that record what is wrong with file, line and field.
pub(crate) struct Row<'a> {
    rec: &'a ByteRecord,
    line: u64,
    errs: &'a mut Collector,
    ok: bool,
}

impl<'a> Row<'a> {
    /// The row's 1-based physical line.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    pub(crate) fn raw(&self, col: usize) -> &'a [u8] {
        trim(self.rec.get(col).unwrap_or_default())
    }

    pub(crate) fn fail(&mut self, field: &str, message: String) {
        self.errs.push(self.line, Some(field), message);
        self.ok = false;
    }

    /// The trimmed text of a column (`None` if the column is absent or the text is not UTF-8).
    pub(crate) fn text(&mut self, col: Option<usize>, field: &str) -> Option<&'a str> {
        let raw = self.raw(col?);
        match std::str::from_utf8(raw) {
            Ok(s) => Some(s),
            Err(_) => {
                self.fail(
                    field,
                    format!("不是有效的 UTF-8 文本 is not valid UTF-8 text; {UTF8_HINT}"),
                );
                None
            }
        }
    }

    /// An optional text column: `None` when absent or empty.
    pub(crate) fn opt_text(&mut self, col: Option<usize>, field: &str) -> Option<String> {
        self.text(col, field)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    /// The row id, non-empty (uniqueness is checked by the caller).
    pub(crate) fn nonempty_id(&mut self, col: Option<usize>) -> Option<String> {
        let id = self.text(col, "id")?;
        if id.is_empty() {
            self.fail(
                "id",
                "为空，每行须有编号 is empty; every row needs an id".into(),
            );
            return None;
        }
        Some(id.to_string())
    }

    /// The row id: non-empty and not seen before in the file.
    pub(crate) fn id(
        &mut self,
        col: Option<usize>,
        seen: &mut FxHashMap<String, u64>,
    ) -> Option<String> {
        let id = self.nonempty_id(col)?;
        if let Some(&first) = seen.get(&id) {
            self.fail(
                "id",
                format!(
                    "编号 {0} 重复（首次出现在第 {first} 行）duplicate id {0} (first on line {first})",
                    show(id.as_bytes())
                ),
            );
            return None;
        }
        seen.insert(id.clone(), self.line);
        Some(id)
    }

    /// A number column. Required: must be present. `non_negative`: must be 0 or more.
    pub(crate) fn number(
        &mut self,
        col: Option<usize>,
        field: &str,
        required: bool,
        non_negative: bool,
    ) -> Option<f64> {
        let raw = self.raw(col?);
        if raw.is_empty() && !required {
            return None;
        }
        match parse_f64(raw) {
            Err(e) => {
                self.fail(field, num_message(raw, e));
                None
            }
            Ok(v) if non_negative && v < 0.0 => {
                self.fail(
                    field,
                    format!(
                        "{0} 为负数，{field} 须不小于 0 {0} is negative; {field} must be 0 or more",
                        show(raw)
                    ),
                );
                None
            }
            Ok(v) => Some(v),
        }
    }

    /// A count of people or households: from 0 to [`MAX_COUNT`], a population not between 0
    /// and 1 (issue 19: no 1.7e308 people reaching a solver, no half a person).
    pub(crate) fn count(&mut self, col: Option<usize>, field: &str, required: bool) -> Option<f64> {
        let v = self.number(col, field, required, true)?;
        let raw = self.raw(col?);
        if v > MAX_COUNT {
            self.fail(
                field,
                format!(
                    "{0} 超过每个社区 {1} 的上限（小数点错位，或是多个社区的合计？）{0} is more than {1} per community; {field} must be at most that (a misplaced decimal point or a sum over many communities?)",
                    show(raw),
                    MAX_COUNT as u64
                ),
            );
            return None;
        }
        // Estimates may carry decimals (areal interpolation), but a community of less than one
        // person is a unit mistake (thousands? a share?), not an estimate.
        if field == "population" && v > 0.0 && v < 1.0 {
            self.fail(
                field,
                format!(
                    "{0} 不足一人，请填写居民人数（不是千人或比例）{0} is less than one person; give the number of residents (not thousands or a share)",
                    show(raw)
                ),
            );
            return None;
        }
        Some(v)
    }

    /// A facility amount (capacity, floor area): from 0 to `max`.
    pub(crate) fn amount(&mut self, col: Option<usize>, field: &str, max: f64) -> Option<f64> {
        let v = self.number(col, field, false, true)?;
        if v > max {
            let raw = self.raw(col?);
            self.fail(
                field,
                format!(
                    "{0} 超过单个设施 {1} 的上限 {0} is more than {1} for one facility; {field} must be at most that",
                    show(raw),
                    max as u64
                ),
            );
            return None;
        }
        Some(v)
    }

    /// The position from the `lon` and `lat` columns, range-checked, converted to WGS-84.
    pub(crate) fn position(
        &mut self,
        lon_col: Option<usize>,
        lat_col: Option<usize>,
        crs: Crs,
    ) -> LonLat {
        let mut coord = |col: Option<usize>, field: &str, lim: f64| {
            let v = self.number(col, field, true, false)?;
            match range_message(self.raw(col?), v, -lim, lim) {
                Some(m) => {
                    self.fail(field, m);
                    None
                }
                None => Some(v),
            }
        };
        let lon = coord(lon_col, "lon", 180.0);
        let lat = coord(lat_col, "lat", 90.0);
        match (lon, lat) {
            (Some(lon), Some(lat)) => to_wgs84(crs, LonLat::new(lon, lat)),
            _ => LonLat::new(f64::NAN, f64::NAN),
        }
    }
}

/// Reads every row of a points file through `row`, collecting errors.
pub(crate) fn read_rows<T>(
    path: &Path,
    columns: &[(&str, bool)],
    row: impl FnMut(&mut Row<'_>, &[Option<usize>]) -> Option<T>,
) -> Result<Vec<T>, TableError> {
    read_rows_of(Source::load(path)?, columns, row)
}

/// A table's bytes from a reader (an upload, a pipe): no temporary file needed.
pub(crate) fn source_from(name: &str, mut input: impl std::io::Read) -> Result<Source, TableError> {
    let mut data = Vec::new();
    input
        .read_to_end(&mut data)
        .map_err(|reason| TableError::Read {
            path: name.into(),
            reason,
        })?;
    Source::from_bytes(name.to_string(), data)
}

/// [`read_rows`] over a table already loaded.
pub(crate) fn read_rows_of<T>(
    src: Source,
    columns: &[(&str, bool)],
    mut row: impl FnMut(&mut Row<'_>, &[Option<usize>]) -> Option<T>,
) -> Result<Vec<T>, TableError> {
    let mut reader = src.reader();
    let (cols, width) = src.header(&mut reader, columns)?;
    let mut errs = Collector::new(&src.file);
    let mut lines = src.lines();
    // Sized once by the line count (an upper bound on the rows): a vector grown by doubling
    // would hold up to twice the rows' room at its peak (5.7M facilities: 1.3 GB instead of
    // 0.87 GB).
    let mut out = Vec::with_capacity(crate::fields::count_newlines(src.bytes()) as usize + 1);
    let mut rec = ByteRecord::new();
    while reader
        .read_byte_record(&mut rec)
        .map_err(|e| src.csv_error(e))?
    {
        let line = lines.of(&rec);
        if errs.full() {
            errs.stop(line);
            break;
        }
        if is_blank(&rec) || !check_width(&rec, line, width, &mut errs) {
            continue;
        }
        let mut r = Row {
            rec: &rec,
            line,
            errs: &mut errs,
            ok: true,
        };
        let value = row(&mut r, &cols);
        if let (true, Some(v)) = (r.ok, value) {
            out.push(v);
        }
    }
    errs.finish()?;
    out.shrink_to_fit();
    Ok(out)
}

/// [`read_rows_of`] on all threads, for the common case of a table without quotes or carriage
/// returns (a generated or exported table; 5.7M facilities of a province took 11 s on one
/// thread): the body is cut into chunks at line breaks and each chunk read by its own `csv`
/// reader, with the same row checks (`row`, which must not check ids against each other) and
/// physical line numbers. Ids must be unique (`id` gives a row's id): checked after, by
/// sorting. Anything else — a quote or `\r` anywhere, any row error, a repeated id — and the
/// table is read again by [`read_rows_of`] with `seq_row`, which reports every problem in line
/// order exactly as a table that never took this path.
pub(crate) fn read_rows_par<T: Send + Sync>(
    src: Source,
    columns: &[(&str, bool)],
    row: impl Fn(&mut Row<'_>, &[Option<usize>]) -> Option<T> + Sync,
    id: impl Fn(&T) -> &str + Sync,
    seq_row: impl FnMut(&mut Row<'_>, &[Option<usize>]) -> Option<T>,
) -> Result<Vec<T>, TableError> {
    let mut parts = read_rows_par_parts(src, columns, row, id, seq_row)?;
    if parts.len() == 1 {
        return Ok(parts.pop().unwrap_or_default());
    }
    let mut out = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for p in parts {
        out.extend(p);
    }
    Ok(out)
}

/// [`read_rows_par`] in consecutive parts (one per chunk the body was cut into; a single part
/// when read by the slow path): a caller turning the rows into something else takes them part
/// by part, never holding a second copy of them all.
pub(crate) fn read_rows_par_parts<T: Send + Sync>(
    src: Source,
    columns: &[(&str, bool)],
    row: impl Fn(&mut Row<'_>, &[Option<usize>]) -> Option<T> + Sync,
    id: impl Fn(&T) -> &str + Sync,
    seq_row: impl FnMut(&mut Row<'_>, &[Option<usize>]) -> Option<T>,
) -> Result<Vec<Vec<T>>, TableError> {
    use rayon::prelude::*;
    let fast = || -> Result<Option<Vec<Vec<T>>>, TableError> {
        let data = src.bytes();
        if data.len() < (1 << 20) || data.iter().any(|&b| b == b'"' || b == b'\r') {
            return Ok(None);
        }
        let mut reader = src.reader();
        let (cols, width) = src.header(&mut reader, columns)?;
        let start = reader.position().byte() as usize;
        let header_lines = crate::fields::count_newlines(&data[..start]);
        let bounds = crate::fast::chunk_bounds(data, start, rayon::current_num_threads() * 4);
        // The line each chunk starts on.
        let mut first_line = Vec::with_capacity(bounds.len());
        let mut line = header_lines + 1;
        for &(from, to) in &bounds {
            first_line.push(line);
            line += crate::fields::count_newlines(&data[from..to]);
        }
        let parts: Option<Vec<Vec<T>>> = bounds
            .par_iter()
            .zip(&first_line)
            .map(|(&(from, to), &first)| {
                let chunk = &data[from..to];
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(chunk);
                let mut errs = Collector::new(&src.file);
                let mut out = Vec::with_capacity(crate::fields::count_newlines(chunk) as usize + 1);
                let mut rec = ByteRecord::new();
                let (mut at, mut line) = (0usize, first);
                while reader.read_byte_record(&mut rec).ok()? {
                    let pos = rec.position().map_or(0, |p| p.byte() as usize);
                    line += crate::fields::count_newlines(&chunk[at..pos]);
                    at = pos;
                    if is_blank(&rec) || !check_width(&rec, line, width, &mut errs) {
                        continue;
                    }
                    let mut r = Row {
                        rec: &rec,
                        line,
                        errs: &mut errs,
                        ok: true,
                    };
                    let value = row(&mut r, &cols);
                    match (r.ok, value) {
                        (true, Some(v)) => out.push(v),
                        _ => return None,
                    }
                }
                errs.errors.is_empty().then_some(out)
            })
            .collect();
        let Some(parts) = parts else {
            return Ok(None);
        };
        // Ids in strictly increasing order (as generated and exported tables often are) repeat
        // none: one pass instead of a sort of millions of strings.
        let ids: Vec<&str> = parts.iter().flatten().map(&id).collect();
        if ids.par_windows(2).all(|w| w[0] < w[1]) {
            drop(ids);
            return Ok(Some(parts));
        }
        let mut order: Vec<u32> = (0..ids.len() as u32).collect();
        order.par_sort_unstable_by(|&a, &b| ids[a as usize].cmp(ids[b as usize]));
        if order
            .windows(2)
            .any(|w| ids[w[0] as usize] == ids[w[1] as usize])
        {
            return Ok(None);
        }
        drop(order);
        drop(ids);
        Ok(Some(parts))
    };
    match fast()? {
        Some(parts) => Ok(parts),
        None => read_rows_of(src, columns, seq_row).map(|rows| vec![rows]),
    }
}

/// Reads `communities.csv`; positions are converted from `crs` to WGS-84.
///
/// A file with a header line and no rows gives an empty list.
pub fn read_communities(path: &Path, crs: Crs) -> Result<Vec<Community>, TableError> {
    communities_of(Source::load(path)?, crs)
}

/// [`read_communities`] from a reader (an upload): `name` names it in messages. CSV (UTF-8 or
/// GBK/GB18030) or an `.xlsx` workbook, as from a file.
pub fn read_communities_from(
    name: &str,
    input: impl std::io::Read,
    crs: Crs,
) -> Result<Vec<Community>, TableError> {
    communities_of(source_from(name, input)?, crs)
}

fn communities_of(src: Source, crs: Crs) -> Result<Vec<Community>, TableError> {
    let mut seen = FxHashMap::default();
    read_rows_of(src, &COMMUNITY_COLUMNS, |r, c| {
        let id = r.id(c[0], &mut seen);
        let name = r.text(c[1], "name");
        let pos = r.position(c[2], c[3], crs);
        let population = r.count(c[4], "population", true);
        let households = r.count(c[5], "households", false);
        let elderly = r.count(c[6], "elderly", false);
        let children_0_3 = r.count(c[7], "children_0_3", false);
        // Parts larger than the whole: the figures cannot all be right.
        if let Some(p) = population {
            for (v, field) in [
                (households, "households"),
                (elderly, "elderly"),
                (children_0_3, "children_0_3"),
            ] {
                if let Some(v) = v.filter(|v| *v > p) {
                    r.fail(
                        field,
                        format!(
                            "{v} 大于人口数（{p}），{field} 是社区人口的一部分 {v} is more than the population ({p}); {field} is part of the community's population"
                        ),
                    );
                }
            }
        }
        let division_code = r.opt_text(c[8], "division_code");
        Some(Community {
            id: id?,
            name: name?.to_string(),
            pos,
            population: population?,
            households,
            elderly,
            children_0_3,
            division_code,
        })
    })
}

/// Reads `facilities.csv`; positions are converted from `crs` to WGS-84.
///
/// A file with a header line and no rows gives an empty list ("no facilities").
pub fn read_facilities(path: &Path, crs: Crs) -> Result<Vec<Facility>, TableError> {
    facilities_of(Source::load(path)?, crs)
}

/// [`read_facilities`] in consecutive parts (one per chunk of the file read on its own thread),
/// so that a caller turning them into columns (`lc_model::FacilityList`) takes them part by
/// part and never holds a second copy of them all.
///
/// Without `keep_names` every row is read and checked the same, and each facility's `name` is
/// left empty: for runs whose outputs name facilities by id only (`livingcircle access`), where
/// a province's 5.7M names would be 5.7M allocations and 100–180 MB held through the whole run.
pub fn read_facilities_in_parts(
    path: &Path,
    crs: Crs,
    keep_names: bool,
) -> Result<Vec<Vec<Facility>>, TableError> {
    let mut seen = FxHashMap::default();
    read_rows_par_parts(
        Source::load(path)?,
        &FACILITY_COLUMNS,
        |r, c| {
            let id = r.nonempty_id(c[0]);
            facility_row(r, c, id, crs, keep_names)
        },
        |f| f.id.as_str(),
        |r, c| {
            let id = r.id(c[0], &mut seen);
            facility_row(r, c, id, crs, keep_names)
        },
    )
}

/// [`read_facilities`] from a reader (an upload): `name` names it in messages.
pub fn read_facilities_from(
    name: &str,
    input: impl std::io::Read,
    crs: Crs,
) -> Result<Vec<Facility>, TableError> {
    facilities_of(source_from(name, input)?, crs)
}

fn facilities_of(src: Source, crs: Crs) -> Result<Vec<Facility>, TableError> {
    let mut seen = FxHashMap::default();
    read_rows_par(
        src,
        &FACILITY_COLUMNS,
        |r, c| {
            let id = r.nonempty_id(c[0]);
            facility_row(r, c, id, crs, true)
        },
        |f| f.id.as_str(),
        |r, c| {
            let id = r.id(c[0], &mut seen);
            facility_row(r, c, id, crs, true)
        },
    )
}

/// The rest of a facility's row, its id read.
fn facility_row(
    r: &mut Row<'_>,
    c: &[Option<usize>],
    id: Option<String>,
    crs: Crs,
    keep_name: bool,
) -> Option<Facility> {
    let name = r.text(c[1], "name");
    let category = match r.text(c[2], "category") {
        Some("") => {
            r.fail(
                "category",
                "为空，须填类别键（如 kindergarten）is empty; a category key is required (e.g. kindergarten)".into(),
            );
            None
        }
        Some(key) => match Category::from_key(key) {
            Ok(cat) => Some(cat),
            Err(e) => {
                r.fail("category", e.to_string());
                None
            }
        },
        None => None,
    };
    let pos = r.position(c[3], c[4], crs);
    let capacity = r.amount(c[5], "capacity", MAX_CAPACITY);
    let floor_area_m2 = r.amount(c[6], "floor_area_m2", MAX_AREA_M2);
    let provider_code = r.opt_text(c[7], "provider_code");
    let division_code = r.opt_text(c[8], "division_code");
    let name = name?;
    Some(Facility {
        id: id?,
        name: if keep_name {
            name.to_string()
        } else {
            String::new()
        },
        category: category?,
        pos,
        capacity,
        floor_area_m2,
        provider_code,
        division_code,
    })
}

/// Formats an optional number for a cell: empty for `None`, shortest round-trip form else.
fn cell(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// Writes `communities.csv` to a writer. Optional columns are written when any row has a
/// value; positions are written as they are (WGS-84), all numbers in full precision.
pub fn write_communities_to(w: &mut dyn Write, communities: &[Community]) -> io::Result<()> {
    let has = [
        communities.iter().any(|c| c.households.is_some()),
        communities.iter().any(|c| c.elderly.is_some()),
        communities.iter().any(|c| c.children_0_3.is_some()),
        communities.iter().any(|c| c.division_code.is_some()),
    ];
    let mut cw = csv::Writer::from_writer(w);
    let header: Vec<&str> = COMMUNITY_COLUMNS
        .iter()
        .enumerate()
        .filter(|(k, _)| *k < 5 || has[k - 5])
        .map(|(_, c)| c.0)
        .collect();
    cw.write_record(&header)?;
    for c in communities {
        let mut rec = vec![
            c.id.clone(),
            c.name.clone(),
            c.pos.lon.to_string(),
            c.pos.lat.to_string(),
            c.population.to_string(),
        ];
        let opt = [
            cell(c.households),
            cell(c.elderly),
            cell(c.children_0_3),
            c.division_code.clone().unwrap_or_default(),
        ];
        rec.extend(opt.into_iter().zip(has).filter(|x| x.1).map(|x| x.0));
        cw.write_record(&rec)?;
    }
    cw.flush()
}

/// Writes `facilities.csv` to a writer. Optional columns are written when any row has a
/// value; positions are written as they are (WGS-84), all numbers in full precision.
pub fn write_facilities_to(w: &mut dyn Write, facilities: &[Facility]) -> io::Result<()> {
    let has = [
        facilities.iter().any(|f| f.capacity.is_some()),
        facilities.iter().any(|f| f.floor_area_m2.is_some()),
        facilities.iter().any(|f| f.provider_code.is_some()),
        facilities.iter().any(|f| f.division_code.is_some()),
    ];
    let mut cw = csv::Writer::from_writer(w);
    let header: Vec<&str> = FACILITY_COLUMNS
        .iter()
        .enumerate()
        .filter(|(k, _)| *k < 5 || has[k - 5])
        .map(|(_, c)| c.0)
        .collect();
    cw.write_record(&header)?;
    for f in facilities {
        let mut rec = vec![
            f.id.clone(),
            f.name.clone(),
            f.category.key().to_string(),
            f.pos.lon.to_string(),
            f.pos.lat.to_string(),
        ];
        let opt = [
            cell(f.capacity),
            cell(f.floor_area_m2),
            f.provider_code.clone().unwrap_or_default(),
            f.division_code.clone().unwrap_or_default(),
        ];
        rec.extend(opt.into_iter().zip(has).filter(|x| x.1).map(|x| x.0));
        cw.write_record(&rec)?;
    }
    cw.flush()
}

/// Writes `communities.csv` atomically.
pub fn write_communities(path: &Path, communities: &[Community]) -> Result<(), TableError> {
    write_atomic(path, |w| write_communities_to(w, communities))
}

/// Writes `facilities.csv` atomically.
pub fn write_facilities(path: &Path, facilities: &[Facility]) -> Result<(), TableError> {
    write_atomic(path, |w| write_facilities_to(w, facilities))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A facilities table over 1 MB (the size from which it is read on all threads), with the
    /// ids `id(k)`.
    fn table(n: usize, id: impl Fn(usize) -> String) -> (tempfile::TempDir, std::path::PathBuf) {
        let mut text = String::from("id,name,category,lon,lat,capacity\n");
        for k in 0..n {
            text.push_str(&format!(
                "{},药店{k},pharmacy,{},{},\n",
                id(k),
                104.0 + k as f64 * 1e-6,
                30.6
            ));
        }
        assert!(text.len() > 1 << 20);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("facilities.csv");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn parts_hold_every_row_in_order_sorted_ids_or_not() {
        for id in [
            Box::new(|k: usize| format!("F{k:07}")) as Box<dyn Fn(usize) -> String>,
            Box::new(|k: usize| format!("F{}", (k * 7_919) % 40_000)),
        ] {
            let (_d, path) = table(40_000, &id);
            let unnamed = read_facilities_in_parts(&path, Crs::Wgs84, false).unwrap();
            let named = read_facilities_in_parts(&path, Crs::Wgs84, true).unwrap();
            assert!(named.len() > 1, "more than one part");
            let whole = read_facilities(&path, Crs::Wgs84).unwrap();
            let flat: Vec<&Facility> = unnamed.iter().flatten().collect();
            let flat_named: Vec<&Facility> = named.iter().flatten().collect();
            assert_eq!(flat.len(), 40_000);
            assert_eq!(flat_named, whole.iter().collect::<Vec<_>>());
            for (k, (a, b)) in flat.iter().zip(&whole).enumerate() {
                assert_eq!(a.id, id(k));
                assert_eq!((&a.id, a.pos, a.category), (&b.id, b.pos, b.category));
                assert!(a.name.is_empty());
                assert_eq!(b.name, format!("药店{k}"));
            }
        }
    }

    #[test]
    fn a_repeated_id_is_found_in_sorted_and_unsorted_tables() {
        // Sorted but for one repeat at the end; and shuffled with one repeat.
        let sorted = |k: usize| format!("F{:07}", k.min(39_998));
        let shuffled =
            |k: usize| format!("F{}", if k == 39_999 { 5 } else { (k * 7_919) % 40_000 });
        for (name, id) in [
            ("sorted", Box::new(sorted) as Box<dyn Fn(usize) -> String>),
            ("shuffled", Box::new(shuffled)),
        ] {
            let (_d, path) = table(40_000, &id);
            let err = read_facilities_in_parts(&path, Crs::Wgs84, false)
                .unwrap_err()
                .to_string();
            assert!(err.contains("40001"), "{name}: {err}");
            let named = read_facilities_in_parts(&path, Crs::Wgs84, true).unwrap_err();
            assert_eq!(named.to_string(), err, "{name}");
            assert!(read_facilities(&path, Crs::Wgs84).is_err(), "{name}");
        }
    }
}
