//! Shared by the fuzz targets: a scratch folder for the readers that take a path, inputs that
//! hold several files, and the checks that every table error must pass.
//!
//! Targets panic (and so report a crash) when a reader panics, and also when a property that
//! the readers document does not hold: an error that does not name its file, a row error
//! without a line in the file or with a field that is not a column, a value accepted outside
//! its documented domain, a file written by a writer that does not read back the same.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use lc_tables::{TableError, MAX_ROW_ERRORS};

/// The line that separates the files of an input holding several (nodes and edges, the four
/// files of exported cost data, the five files of the division list).
pub const SEPARATOR: &[u8] = b"\n%%\n";

/// A folder of this process for the files handed to readers that take a path (in `/dev/shm`
/// when there is one, so that a write per execution stays in memory). Folders left by earlier
/// runs whose process is gone are removed.
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        if let Ok(entries) = std::fs::read_dir(&base) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let Some(pid) = name.strip_prefix("lc-fuzz-") else {
                    continue;
                };
                if !Path::new("/proc").join(pid).exists() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = base.join(format!("lc-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("cannot create the fuzz scratch folder");
        dir
    })
}

/// Lets panics inside calamine unwind to `lc-tables`, which turns them into an error
/// ("the workbook is damaged"); libFuzzer's hook would abort at once. Any other panic still
/// aborts, and so does a calamine panic that nothing catches (the fuzz target's own
/// `catch_unwind` aborts).
fn contain_calamine_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_calamine = info
                .location()
                .is_some_and(|l| l.file().contains("/calamine-"));
            if !in_calamine {
                abort(info);
            }
        }));
    });
}

/// Writes `data` to the file `name` of the scratch folder and returns its path.
pub fn put(name: &str, data: &[u8]) -> PathBuf {
    contain_calamine_panics();
    let path = scratch().join(name);
    std::fs::write(&path, data).expect("cannot write to the fuzz scratch folder");
    path
}

/// Writes `data` to `dir/name` in the scratch folder (the folder is created).
pub fn put_in(dir: &str, name: &str, data: &[u8]) -> PathBuf {
    let d = scratch().join(dir);
    std::fs::create_dir_all(&d).expect("cannot create a folder in the fuzz scratch folder");
    let path = d.join(name);
    std::fs::write(&path, data).expect("cannot write to the fuzz scratch folder");
    path
}

/// The input cut at [`SEPARATOR`] into exactly `n` files: missing ones are empty, the last one
/// keeps any further separators.
pub fn parts(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(n);
    let mut rest = data;
    while out.len() + 1 < n {
        match rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
            Some(at) => {
                out.push(&rest[..at]);
                rest = &rest[at + SEPARATOR.len()..];
            }
            None => break,
        }
    }
    out.push(rest);
    while out.len() < n {
        out.push(&[]);
    }
    out
}

/// The number of physical lines of a text: one more than its line breaks, `\n`, `\r\n` or a
/// lone `\r` (an upper bound however runs of `\r` are counted).
pub fn line_count(data: &[u8]) -> u64 {
    let breaks = data
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && data.get(i + 1) != Some(&b'\n')))
        .count();
    breaks as u64 + 1
}

/// The physical lines of a text, split where the readers count line breaks: at `\n` (with
/// any `\r` before it) and at each `\r` of a run that no `\n` follows.
pub fn physical_lines(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        match b[i] {
            b'\n' => {
                out.push(text[start..i].trim_end_matches('\r'));
                start = i + 1;
                i += 1;
            }
            b'\r' => {
                let run = b[i..].iter().take_while(|&&c| c == b'\r').count();
                if b.get(i + run) == Some(&b'\n') {
                    i += run;
                } else {
                    out.push(&text[start..i]);
                    out.extend(std::iter::repeat_n("", run - 1));
                    start = i + run;
                    i += run;
                }
            }
            _ => i += 1,
        }
    }
    out.push(&text[start..]);
    out
}

/// Checks a table reader's error: its message names the file; row errors are at most
/// [`MAX_ROW_ERRORS`], in line order, each on a data line of the file (2 to `max_line`, when
/// known) with a message, and a field that is one of `columns` when one is named.
pub fn check_table_error(e: &TableError, file: &Path, max_line: Option<u64>, columns: &[&str]) {
    let shown = file.display().to_string();
    let msg = e.to_string();
    assert!(
        msg.contains(&shown),
        "the error does not name the file {shown}: {msg}"
    );
    let rows = e.row_errors();
    assert!(rows.len() <= MAX_ROW_ERRORS, "{} row errors", rows.len());
    if let TableError::Rows { errors, .. } = e {
        assert!(!errors.is_empty(), "a row error without rows: {msg}");
    }
    let mut last = 0;
    for r in rows {
        assert_eq!(r.file, shown, "row error of another file: {r}");
        assert!(r.line >= 2, "row error on the header line or before: {r}");
        if let Some(max) = max_line {
            assert!(r.line <= max, "row error past the end ({max} lines): {r}");
        }
        assert!(r.line >= last, "row errors out of line order: {msg}");
        last = r.line;
        assert!(!r.message.trim().is_empty(), "row error without a message");
        if let Some(f) = &r.field {
            assert!(
                columns.contains(&f.as_str()),
                "row error names '{f}', not a column: {r}"
            );
        }
    }
}

/// Whether a longitude and latitude are finite and in range.
pub fn in_range(lon: f64, lat: f64) -> bool {
    (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)
}

/// Reads `nodes.csv` and `edges.csv` with `lc_tables::read_network` and checks the result:
/// errors as [`check_table_error`] for the file they name; an accepted network has unique
/// node ids, positions in range, edges between its nodes with finite lengths ≥ 0, and writes
/// and reads back identically; and the parallel fast path agrees with the `csv` crate's path
/// (forced by a blank quoted line at the end, which the fast path does not take).
pub fn check_network(nodes: &[u8], edges: &[u8]) {
    let np = put("nodes.csv", nodes);
    let ep = put("edges.csv", edges);
    let got = lc_tables::read_network(&np, &ep);
    let xlsx = |d: &[u8]| d.starts_with(b"PK\x03\x04");
    let quote_free =
        !nodes.contains(&b'"') && !edges.contains(&b'"') && !xlsx(nodes) && !xlsx(edges);
    if quote_free {
        let slow = |d: &[u8]| [d, &b"\n\"\"\n"[..]].concat();
        let np2 = put("nodes-slow.csv", &slow(nodes));
        let ep2 = put("edges-slow.csv", &slow(edges));
        let other = lc_tables::read_network(&np2, &ep2);
        match (&got, &other) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "the fast path and the csv path disagree"),
            (Err(a), Err(b)) => {
                let lines = |e: &TableError| {
                    e.row_errors()
                        .iter()
                        .map(|r| {
                            let m = r.message.replace("-slow.csv", ".csv");
                            (r.line, r.field.clone(), m)
                        })
                        .collect::<Vec<_>>()
                };
                assert_eq!(lines(a), lines(b), "the paths report different rows");
            }
            (a, b) => panic!("the fast path and the csv path disagree: {a:?} / {b:?}"),
        }
    }
    let net = match got {
        Ok(net) => net,
        Err(e) => {
            let edge_file = ep.display().to_string();
            let about_edges = match e.row_errors().first() {
                Some(r) => r.file == edge_file,
                None => e.to_string().contains(&edge_file),
            };
            let (path, data, cols) = if about_edges {
                (&ep, edges, lc_tables::EDGE_COLUMNS)
            } else {
                (&np, nodes, lc_tables::NODE_COLUMNS)
            };
            let max = (!xlsx(data)).then(|| line_count(data));
            check_table_error(&e, path, max, &cols);
            return;
        }
    };
    check_raw_network(&net);
    let (mut nb, mut eb) = (Vec::new(), Vec::new());
    lc_tables::write_nodes_to(&mut nb, &net).expect("writing to memory");
    lc_tables::write_edges_to(&mut eb, &net).expect("writing to memory");
    let np = put("nodes-again.csv", &nb);
    let ep = put("edges-again.csv", &eb);
    let back = lc_tables::read_network(&np, &ep)
        .unwrap_or_else(|e| panic!("a written network does not read back: {e}"));
    assert_eq!(back, net, "a written network reads back different");
}

/// A network as a reader gives it: unique node ids at positions in range, edges between its
/// nodes with finite lengths ≥ 0.
fn check_raw_network(net: &lc_network::RawNetwork) {
    let n = net.node_ids.len();
    assert_eq!(net.coords.len(), n);
    let mut ids = std::collections::HashSet::new();
    for (id, c) in net.node_ids.iter().zip(&net.coords) {
        assert!(ids.insert(*id), "node id {id} twice");
        assert!(in_range(c.lon, c.lat), "node {id} at {c:?}");
    }
    for e in &net.edges {
        assert!(e.from < n as u32 && e.to < n as u32, "{e:?} with {n} nodes");
        assert!(e.length_m.is_finite() && e.length_m >= 0.0, "{e:?}");
    }
}

/// Reads a points file (`communities.csv`, `facilities.csv`) with `read`, checks an error
/// with [`check_table_error`], and an accepted list with `check` (each row) and for unique
/// ids (`id` of a row); then writes it with `write` and reads it back: the same list.
pub fn check_points<T: PartialEq + std::fmt::Debug>(
    name: &str,
    data: &[u8],
    columns: &[(&str, bool)],
    read: impl Fn(&Path) -> Result<Vec<T>, TableError>,
    write: impl Fn(&mut Vec<u8>, &[T]) -> std::io::Result<()>,
    id: impl Fn(&T) -> &str,
    check: impl Fn(&T),
) {
    let path = put(name, data);
    let cols: Vec<&str> = columns.iter().map(|c| c.0).collect();
    let list = match read(&path) {
        Ok(list) => list,
        Err(e) => {
            let max = (!data.starts_with(b"PK\x03\x04")).then(|| line_count(data));
            check_table_error(&e, &path, max, &cols);
            return;
        }
    };
    let mut ids = std::collections::HashSet::new();
    for row in &list {
        assert!(!id(row).is_empty() && ids.insert(id(row)), "id of {row:?}");
        check(row);
    }
    let mut out = Vec::new();
    write(&mut out, &list).expect("writing to memory");
    let again = put(&format!("again-{name}"), &out);
    let back = read(&again).unwrap_or_else(|e| panic!("a written file does not read back: {e}"));
    assert_eq!(back, list, "a written file reads back different");
}

/// Reads an OSM file from memory (`lc_osm::read_osm_bytes`, as the command does after
/// reading the file) and checks the result: an error names the file; an accepted extract has
/// unique node ids at positions in range, edges between its nodes with finite lengths ≥ 0,
/// facilities with unique ids at positions in range, and consistent counts.
pub fn check_osm(data: &[u8], name: &str) {
    let opts = lc_osm::OsmOptions::default();
    let ex = match lc_osm::read_osm_bytes(data, Path::new(name), &opts, None) {
        Ok(ex) => ex,
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.contains(name),
                "the error does not name the file: {msg}"
            );
            return;
        }
    };
    check_raw_network(&ex.network);
    let mut fids = std::collections::HashSet::new();
    for f in &ex.facilities {
        assert!(
            !f.id.is_empty() && fids.insert(f.id.as_str()),
            "facility id {:?}",
            f.id
        );
        assert!(in_range(f.pos.lon, f.pos.lat), "{f:?}");
    }
    let st = &ex.stats;
    assert!(
        st.walkable_ways <= st.highway_ways && st.highway_ways <= st.ways_read,
        "{st:?}"
    );
    assert_eq!(st.file_bytes, data.len() as u64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_split_into_exactly_n_files() {
        assert_eq!(parts(b"a\n%%\nb\n%%\nc", 2), vec![&b"a"[..], b"b\n%%\nc"]);
        assert_eq!(parts(b"a", 3), vec![&b"a"[..], b"", b""]);
        assert_eq!(line_count(b"a\nb"), 2);
        assert_eq!(
            physical_lines("a\r\nb\rc\r\r\nd\r\re\n"),
            ["a", "b", "c", "d", "", "e", ""]
        );
    }
}
