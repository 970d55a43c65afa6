//! `nodes.csv` and `edges.csv` read row by row, for work that must not hold a whole network
//! (a partitioned run: the plan's pass over the whole network, each part's read of its own
//! extent). Same columns and checks per row as [`crate::read_network`] (an id that is not an
//! integer, a coordinate out of range, a length that is negative or not finite, a row of the
//! wrong width), with file, line and field in the message; what needs the whole file (repeated
//! node ids, edge ends missing from the nodes) is the caller's to check. The files are read
//! through a buffer, never whole: UTF-8 (or any ASCII-compatible text: the columns are numbers),
//! a byte order mark tolerated; an `.xlsx` workbook is refused (a network of this size is CSV).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use csv::ByteRecord;
use lc_model::LonLat;

use crate::error::{Collector, TableError};
use crate::fields::{check_width, num_message, parse_f64, parse_i64, range_message, show, trim};
use crate::network::{is_blank, EDGE_COLUMNS, NODE_COLUMNS};

/// One row of `nodes.csv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeRow {
    /// The node's id.
    pub id: i64,
    /// Its position.
    pub pos: LonLat,
    /// The 1-based line where the row starts.
    pub line: u64,
}

/// One row of `edges.csv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EdgeRow {
    /// The id of one end.
    pub from: i64,
    /// The id of the other end.
    pub to: i64,
    /// Length in metres (finite, ≥ 0).
    pub length_m: f64,
    /// The 1-based line where the row starts.
    pub line: u64,
}

/// Calls `row` for every node of `nodes.csv`, in file order. Bad rows are collected (up to
/// [`crate::MAX_ROW_ERRORS`]) and reported together; `row` is not called after the first one.
pub fn stream_nodes(path: &Path, mut row: impl FnMut(NodeRow)) -> Result<u64, TableError> {
    stream(path, &NODE_COLUMNS, |rec, cols, line, errs| {
        let id_raw = trim(rec.get(cols[0]).unwrap_or_default());
        let id = match parse_i64(id_raw) {
            Some(id) => Some(id),
            None if id_raw.is_empty() => {
                let m = "为空，每个节点须有编号 is empty; every node needs an id";
                errs.push(line, Some("id"), m.into());
                None
            }
            None => {
                errs.push(
                    line,
                    Some("id"),
                    format!(
                        "{0} 不是 64 位整数节点编号 {0} is not a 64-bit integer node id",
                        show(id_raw)
                    ),
                );
                None
            }
        };
        let mut coord = [0.0; 2];
        for (k, (name, lim)) in [("lon", 180.0), ("lat", 90.0)].into_iter().enumerate() {
            let raw = trim(rec.get(cols[k + 1]).unwrap_or_default());
            match parse_f64(raw) {
                Err(e) => errs.push(line, Some(name), num_message(raw, e)),
                Ok(v) => match range_message(raw, v, -lim, lim) {
                    Some(m) => errs.push(line, Some(name), m),
                    None => coord[k] = v,
                },
            }
        }
        if let (Some(id), true) = (id, errs.errors.is_empty()) {
            row(NodeRow {
                id,
                pos: LonLat::new(coord[0], coord[1]),
                line,
            });
        }
    })
}

/// Calls `row` for every edge of `edges.csv`, in file order (errors as [`stream_nodes`]).
pub fn stream_edges(path: &Path, mut row: impl FnMut(EdgeRow)) -> Result<u64, TableError> {
    stream(path, &EDGE_COLUMNS, |rec, cols, line, errs| {
        let mut ends = [0i64; 2];
        let mut ok = true;
        for (k, name) in ["from", "to"].into_iter().enumerate() {
            let raw = trim(rec.get(cols[k]).unwrap_or_default());
            match parse_i64(raw) {
                Some(v) => ends[k] = v,
                None => {
                    ok = false;
                    errs.push(
                        line,
                        Some(name),
                        format!(
                            "{0} 不是 64 位整数节点编号 {0} is not a 64-bit integer node id",
                            show(raw)
                        ),
                    );
                }
            }
        }
        let raw = trim(rec.get(cols[2]).unwrap_or_default());
        let length_m = match parse_f64(raw) {
            Ok(v) if v >= 0.0 => v,
            Ok(_) => {
                ok = false;
                errs.push(
                    line,
                    Some("length_m"),
                    format!(
                        "{0} 为负数，长度须 ≥ 0 {0} is negative; lengths must be 0 or more",
                        show(raw)
                    ),
                );
                0.0
            }
            Err(e) => {
                ok = false;
                errs.push(line, Some("length_m"), num_message(raw, e));
                0.0
            }
        };
        if ok && errs.errors.is_empty() {
            row(EdgeRow {
                from: ends[0],
                to: ends[1],
                length_m,
                line,
            });
        }
    })
}

/// Reads a table row by row: the header (columns matched by name, ASCII case ignored), then
/// every non-blank row of the right width handed to `each` with the columns' positions.
/// Returns the number of rows.
fn stream(
    path: &Path,
    columns: &[&str; 3],
    mut each: impl FnMut(&ByteRecord, [usize; 3], u64, &mut Collector),
) -> Result<u64, TableError> {
    let file = path.display().to_string();
    let f = File::open(path).map_err(|reason| TableError::Open {
        path: path.to_path_buf(),
        reason,
    })?;
    let mut input = BufReader::with_capacity(1 << 20, f);
    let mut head = [0u8; 3];
    let n = read_up_to(&mut input, &mut head).map_err(|reason| TableError::Read {
        path: path.to_path_buf(),
        reason,
    })?;
    if head[..n].starts_with(b"PK") {
        return Err(TableError::File {
            file,
            problem:
                "是 Excel 工作簿；路网表须为 CSV an Excel workbook; network tables must be CSV"
                    .into(),
        });
    }
    let keep: &[u8] = if head[..n] == *b"\xEF\xBB\xBF" {
        &[]
    } else {
        &head[..n]
    };
    let newlines = std::rc::Rc::new(std::cell::RefCell::new(std::collections::VecDeque::new()));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(Newlines {
            inner: keep.chain(input),
            at: 0,
            offsets: newlines.clone(),
        });
    // Physical lines: the reader's own count skips empty lines, so count line breaks here.
    let mut passed = 0u64;
    let mut line_of = |end: u64| {
        let mut q = newlines.borrow_mut();
        let mut last = None;
        while q.front().is_some_and(|&o| o < end) {
            last = q.pop_front();
            passed += 1;
        }
        // A row ending with its line break is on the line that break ends; the last row of a
        // file without a final line break is on the line after.
        if last == Some(end.wrapping_sub(1)) {
            passed
        } else {
            passed + 1
        }
    };
    let read_err = |e: csv::Error| TableError::Read {
        path: path.to_path_buf(),
        reason: e.into(),
    };
    let mut rec = ByteRecord::new();
    let expected = columns.join(",");
    if !reader.read_byte_record(&mut rec).map_err(read_err)? {
        return Err(TableError::File {
            file,
            problem: format!(
                "文件为空，应有表头行 the file is empty; expected a header line such as '{expected}'"
            ),
        });
    }
    let names: Vec<String> = rec
        .iter()
        .map(|b| String::from_utf8_lossy(b).trim().to_string())
        .collect();
    let mut cols = [0usize; 3];
    for (k, c) in columns.iter().enumerate() {
        match names.iter().position(|n| n.eq_ignore_ascii_case(c)) {
            Some(p) => cols[k] = p,
            None => {
                return Err(TableError::MissingColumn {
                    file,
                    column: c.to_string(),
                    found: names,
                })
            }
        }
    }
    let width = rec.len();
    line_of(reader.position().byte());
    let mut errs = Collector::new(&file);
    let mut rows = 0u64;
    while reader.read_byte_record(&mut rec).map_err(read_err)? {
        let line = line_of(reader.position().byte());
        if errs.full() {
            errs.stop(line);
            break;
        }
        if is_blank(&rec) || !check_width(&rec, line, width, &mut errs) {
            continue;
        }
        rows += 1;
        each(&rec, cols, line, &mut errs);
    }
    errs.finish()?;
    Ok(rows)
}

/// Passes bytes through, noting where each line break is (until the caller has passed it).
struct Newlines<R> {
    inner: R,
    at: u64,
    offsets: std::rc::Rc<std::cell::RefCell<std::collections::VecDeque<u64>>>,
}

impl<R: Read> Read for Newlines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut q = self.offsets.borrow_mut();
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' {
                q.push_back(self.at + i as u64);
            }
        }
        self.at += n as u64;
        Ok(n)
    }
}

/// Reads up to `buf.len()` bytes (fewer only at the end of the input).
fn read_up_to(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn streams_rows_in_order_with_columns_in_any_order() {
        let (_d, p) =
            file("\u{feff}LAT,id,lon\n39.9,10,116.3\n\n\r\n39.901,11,116.301\n\n12,x,1\n");
        let mut got = Vec::new();
        let e = stream_nodes(&p, |r| got.push((r.id, r.pos.lon, r.pos.lat, r.line))).unwrap_err();
        // Rows before the bad one are handed over; the bad one is named by its physical line.
        assert_eq!(got, vec![(10, 116.3, 39.9, 2), (11, 116.301, 39.901, 5)]);
        assert!(e.to_string().contains("line 7"), "{e}");
        let (_d, p) = file("length_m,from,to\n12.5,1,2\n0,2,3\n");
        let mut got = Vec::new();
        stream_edges(&p, |r| got.push((r.from, r.to, r.length_m))).unwrap();
        assert_eq!(got, vec![(1, 2, 12.5), (2, 3, 0.0)]);
    }

    #[test]
    fn bad_rows_name_file_line_and_field() {
        let (_d, p) = file("id,lon,lat\n1,116.3,39.9\nx,200,39.9\n");
        let e = stream_nodes(&p, |_| {}).unwrap_err().to_string();
        assert!(
            e.contains("line 3") && e.contains("'id'") && e.contains("'lon'"),
            "{e}"
        );
        let (_d, p) = file("from,to,length_m\n1,2,-4\n1,2\n");
        let e = stream_edges(&p, |_| {}).unwrap_err().to_string();
        assert!(
            e.contains("line 2") && e.contains("length_m") && e.contains("line 3"),
            "{e}"
        );
        let (_d, p) = file("from,length_m\n1,2\n");
        let e = stream_edges(&p, |_| {}).unwrap_err().to_string();
        assert!(e.contains("'to'"), "{e}");
    }
}
