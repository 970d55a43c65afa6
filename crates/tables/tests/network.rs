//! Tests of `nodes.csv`/`edges.csv`: reading, every error message, writing back.

use std::fs;
use std::path::{Path, PathBuf};

use lc_model::LonLat;
use lc_network::{RawEdge, RawNetwork};
use lc_tables::{read_network, write_edges, write_network, write_nodes, TableError};

struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new() -> Dir {
        Dir {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn file(&self, name: &str, content: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        fs::write(&p, content).unwrap();
        p
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn read(&self, nodes: &str, edges: &str) -> Result<RawNetwork, TableError> {
        read_network(
            &self.file("nodes.csv", nodes),
            &self.file("edges.csv", edges),
        )
    }
}

const NODES: &str = "id,lon,lat\n1,116.40,39.90\n2,116.41,39.90\n3,116.41,39.91\n";

fn err_text(r: Result<RawNetwork, TableError>) -> String {
    r.expect_err("expected an error").to_string()
}

#[test]
fn reads_a_small_network() {
    let d = Dir::new();
    let net = d
        .read(NODES, "from,to,length_m\n1,2,855.5\n2,3,1111.95\n3,3,0\n")
        .unwrap();
    assert_eq!(net.node_ids, vec![1, 2, 3]);
    assert_eq!(net.coords[1], LonLat::new(116.41, 39.90));
    assert_eq!(
        net.edges,
        vec![
            RawEdge {
                from: 0,
                to: 1,
                length_m: 855.5
            },
            RawEdge {
                from: 1,
                to: 2,
                length_m: 1111.95
            },
            RawEdge {
                from: 2,
                to: 2,
                length_m: 0.0
            },
        ]
    );
}

#[test]
fn sixty_four_bit_ids_any_column_order_extra_columns_bom_crlf() {
    let d = Dir::new();
    let big = 11_234_567_890_i64; // > 2^32, as real OSM ids are
    let nodes = format!(
        "\u{feff}lat,highway,ID,lon\r\n39.9,primary,{big},116.4\r\n39.91,,-7,116.41\r\n40.0,x,9223372036854775807,116.5\r\n"
    );
    let edges =
        format!("length_m,osm_way,to,from\r\n12.5,77,-7,{big}\r\n3,78,9223372036854775807,-7\r\n");
    let net = d.read(&nodes, &edges).unwrap();
    assert_eq!(net.node_ids, vec![big, -7, i64::MAX]);
    assert_eq!(net.coords[0], LonLat::new(116.4, 39.9));
    assert_eq!((net.edges[0].from, net.edges[0].to), (0, 1));
    assert_eq!(net.edges[0].length_m, 12.5);
    assert_eq!((net.edges[1].from, net.edges[1].to), (1, 2));
}

#[test]
fn header_only_files_give_an_empty_network() {
    let d = Dir::new();
    let net = d.read("id,lon,lat\n", "from,to,length_m\n").unwrap();
    assert_eq!(net, RawNetwork::default());
}

#[test]
fn unknown_node_in_edges_names_line_and_field() {
    let d = Dir::new();
    let mut edges = String::from("from,to,length_m\n");
    for _ in 0..10 {
        edges.push_str("1,2,10\n"); // lines 2..=11
    }
    edges.push_str("2,99,10\n"); // line 12
    let msg = err_text(d.read(NODES, &edges));
    let nodes_path = d.path("nodes.csv");
    assert_eq!(
        msg,
        format!(
            "{0} 第 12 行 line 12, 字段 field 'to': 节点 99 不在 {1} 中 node id 99 is not in {1}",
            d.path("edges.csv").display(),
            nodes_path.display()
        )
    );
}

#[test]
fn duplicate_node_id_names_both_lines_with_dense_and_sparse_ids() {
    let d = Dir::new();
    // Dense ids (direct table).
    let nodes = "id,lon,lat\n17,116.4,39.9\n18,116.4,39.9\n19,116.4,39.9\n17,116.5,39.9\n";
    let msg = err_text(d.read(nodes, "from,to,length_m\n"));
    assert!(
        msg.ends_with(
            "nodes.csv 第 5 行 line 5, 字段 field 'id': 编号 17 重复（首次出现在第 2 行）duplicate id 17 (first on line 2)"
        ),
        "{msg}"
    );
    // Sparse 64-bit ids (hash map).
    let nodes = "id,lon,lat\n17,116.4,39.9\n90000000000,116.4,39.9\n\n17,116.5,39.9\n";
    let msg = err_text(d.read(nodes, "from,to,length_m\n"));
    assert!(
        msg.ends_with(
            "nodes.csv 第 5 行 line 5, 字段 field 'id': 编号 17 重复（首次出现在第 2 行）duplicate id 17 (first on line 2)"
        ),
        "{msg}"
    );
}

#[test]
fn bad_node_values_are_each_reported() {
    let d = Dir::new();
    let nodes = "id,lon,lat\n\
                 1,116.4,39.9\n\
                 x1,116.4,39.9\n\
                 2,abc,39.9\n\
                 3,116.4,NaN\n\
                 4,inf,39.9\n\
                 5,116.4,91.5\n\
                 6,-180.5,39.9\n\
                 7,116.4\n\
                 ,116.4,39.9\n\
                 8,116.4,\n\
                 1.0,116.4,39.9\n";
    let err = d.read(nodes, "from,to,length_m\n").unwrap_err();
    let msg = err.to_string();
    let want = [
        " 中有 10 处错误 10 errors in ",
        "nodes.csv 第 3 行 line 3, 字段 field 'id': 'x1' 不是 64 位整数节点编号 'x1' is not a 64-bit integer node id",
        "nodes.csv 第 4 行 line 4, 字段 field 'lon': 'abc' 不是数字 'abc' is not a number",
        "nodes.csv 第 5 行 line 5, 字段 field 'lat': 'NaN' 不是有限数 'NaN' is not a finite number",
        "nodes.csv 第 6 行 line 6, 字段 field 'lon': 'inf' 不是有限数 'inf' is not a finite number",
        "nodes.csv 第 7 行 line 7, 字段 field 'lat': '91.5' 超出范围（-90 至 90）'91.5' is out of range (-90 to 90)",
        "nodes.csv 第 8 行 line 8, 字段 field 'lon': '-180.5' 超出范围（-180 至 180）'-180.5' is out of range (-180 to 180)",
        "nodes.csv 第 9 行 line 9: 应有 3 个字段（与表头行相同），实有 2 个 expected 3 fields as in the header line, found 2",
        "nodes.csv 第 10 行 line 10, 字段 field 'id': 为空，每个节点须有编号 is empty; every node needs an id",
        "nodes.csv 第 11 行 line 11, 字段 field 'lat': 为空，须填数字 is empty; a number is required",
        "nodes.csv 第 12 行 line 12, 字段 field 'id': '1.0' 不是 64 位整数节点编号 '1.0' is not a 64-bit integer node id",
    ];
    for w in want {
        assert!(msg.contains(w), "missing {w:?} in:\n{msg}");
    }
    assert_eq!(err.row_errors().len(), 10);
    assert_eq!(msg.lines().count(), 11);
}

#[test]
fn bad_edge_values_are_reported_in_line_order_with_unknown_ids() {
    let d = Dir::new();
    let edges = "from,to,length_m\n\
                 1,2,10\n\
                 1,2,-3.5\n\
                 1,4,10\n\
                 1,2,NaN\n\
                 q,2,10\n\
                 1,2,10,extra\n\
                 2,3,\n";
    let msg = err_text(d.read(NODES, edges));
    let lines: Vec<&str> = msg.lines().collect();
    assert!(
        lines[0].contains("edges.csv 中有 6 处错误 6 errors in "),
        "{msg}"
    );
    assert!(lines[0].ends_with("edges.csv:"), "{msg}");
    let want = [
        "edges.csv 第 3 行 line 3, 字段 field 'length_m': '-3.5' 为负数，长度须不小于 0 '-3.5' is negative; a length must be 0 or more",
        "edges.csv 第 4 行 line 4, 字段 field 'to': 节点 4 不在 ",
        "edges.csv 第 5 行 line 5, 字段 field 'length_m': 'NaN' 不是有限数 'NaN' is not a finite number",
        "edges.csv 第 6 行 line 6, 字段 field 'from': 'q' 不是 64 位整数节点编号 'q' is not a 64-bit integer node id",
        "edges.csv 第 7 行 line 7: 应有 3 个字段（与表头行相同），实有 4 个（含逗号的值须放在双引号中） expected 3 fields as in the header line, found 4 (a value that contains a comma must be in double quotes)",
        "edges.csv 第 8 行 line 8, 字段 field 'length_m': 为空，须填数字 is empty; a number is required",
    ];
    for (k, w) in want.iter().enumerate() {
        assert!(lines[k + 1].contains(w), "line {k}: want {w:?} in:\n{msg}");
    }
}

#[test]
fn line_numbers_count_physical_lines_through_quoted_newlines_and_blank_lines() {
    let d = Dir::new();
    let nodes = "id,note,lon,lat\n\
                 1,\"two\nlines\",116.4,39.9\n\
                 \n\
                 2,\"a, b\",116.4,39.9\n\
                 3,x,116.4,95\n";
    let msg = err_text(d.read(nodes, "from,to,length_m\n"));
    assert!(
        msg.ends_with(
            "nodes.csv 第 6 行 line 6, 字段 field 'lat': '95' 超出范围（-90 至 90）'95' is out of range (-90 to 90)"
        ),
        "{msg}"
    );
}

#[test]
fn missing_column_lists_what_was_found() {
    let d = Dir::new();
    let msg = err_text(d.read("id,lon\n1,116.4\n", "from,to,length_m\n"));
    assert!(
        msg.ends_with(
            "nodes.csv: 缺少必需的列 'lat'（表头中有：id, lon）missing required column 'lat' (found: id, lon)"
        ),
        "{msg}"
    );
    let msg = err_text(d.read(NODES, "source,target,length_m\n"));
    assert!(
        msg.ends_with(
            "edges.csv: 缺少必需的列 'from'（表头中有：source, target, length_m）\
             missing required column 'from' (found: source, target, length_m)"
        ),
        "{msg}"
    );
}

#[test]
fn empty_file_and_duplicate_column_are_file_errors() {
    let d = Dir::new();
    let msg = err_text(d.read("", "from,to,length_m\n"));
    assert!(
        msg.ends_with(
            "nodes.csv: 文件为空，应有表头行 the file is empty; expected a header line such as 'id,lon,lat'"
        ),
        "{msg}"
    );
    let msg = err_text(d.read("id,lon,lat,lon\n", "from,to,length_m\n"));
    assert!(
        msg.ends_with(
            "nodes.csv: 列 'lon' 在表头行出现两次（第 2 和第 4 列）\
             column 'lon' appears twice in the header line (columns 2 and 4)"
        ),
        "{msg}"
    );
}

#[test]
fn missing_file_gives_the_os_reason() {
    let d = Dir::new();
    let nodes = d.file("nodes.csv", NODES);
    let err = read_network(&nodes, &d.path("nope/edges.csv")).unwrap_err();
    assert!(matches!(err, TableError::Open { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!(
            "无法打开 cannot open {}: ",
            d.path("nope/edges.csv").display()
        )),
        "{msg}"
    );
    assert!(
        msg.contains("文件或文件夹不存在 No such file or directory"),
        "{msg}"
    );
}

#[test]
fn reading_stops_after_twenty_errors() {
    let d = Dir::new();
    let mut edges = String::from("from,to,length_m\n");
    for _ in 0..50 {
        edges.push_str("1,2,-1\n");
    }
    let err = d.read(NODES, &edges).unwrap_err();
    assert_eq!(err.row_errors().len(), 20);
    let msg = err.to_string();
    assert!(msg.contains(" 中有 20 处错误 20 errors in "), "{msg}");
    assert!(
        msg.lines().next().unwrap().ends_with(
            "edges.csv（20 处错误后在第 22 行停止读取，可能还有更多 \
             stopped reading at line 22 after 20 errors; there may be more）:"
        ),
        "{msg}"
    );
    assert_eq!(err.row_errors()[19].line, 21);
}

#[test]
fn nodes_errors_come_before_edges_errors() {
    let d = Dir::new();
    let msg = err_text(d.read("id,lon,lat\n1,1,1\n1,2,2\n", "from,to,length_m\n1,5,x\n"));
    assert!(
        msg.contains("nodes.csv 第 3 行 line 3, 字段 field 'id': 编号 1 重复（首次出现在第 2 行）duplicate id 1"),
        "{msg}"
    );
    assert!(!msg.contains("edges.csv"), "{msg}");
}

#[test]
fn all_blank_rows_are_skipped() {
    let d = Dir::new();
    let net = d
        .read(
            "id,lon,lat\n1,116.4,39.9\n,,\n2,116.5,39.9\n",
            "from,to,length_m\n1,2,5\n , ,\n",
        )
        .unwrap();
    assert_eq!(net.node_ids, vec![1, 2]);
    assert_eq!(net.edges.len(), 1);
}

fn sample_network() -> RawNetwork {
    RawNetwork {
        node_ids: vec![12_345_678_901, -5, 0, i64::MIN, i64::MAX],
        coords: vec![
            LonLat::new(116.397_128_123_456_78, 39.916_527_987_654_32),
            LonLat::new(-0.0, 1e-7),
            LonLat::new(0.1 + 0.2, -89.999_999_999_999_99),
            LonLat::new(180.0, 90.0),
            LonLat::new(-180.0, -90.0),
        ],
        edges: vec![
            RawEdge {
                from: 0,
                to: 1,
                length_m: 123_456.789_012_345_68,
            },
            RawEdge {
                from: 1,
                to: 2,
                length_m: 1.0 / 3.0,
            },
            RawEdge {
                from: 3,
                to: 4,
                length_m: 5e-324,
            },
            RawEdge {
                from: 4,
                to: 4,
                length_m: 0.0,
            },
        ],
    }
}

#[test]
fn write_then_read_reproduces_every_bit() {
    let d = Dir::new();
    let net = sample_network();
    let (np, ep) = (d.path("nodes.csv"), d.path("edges.csv"));
    write_network(&np, &ep, &net).unwrap();
    let text = fs::read_to_string(&np).unwrap();
    assert!(text.starts_with("id,lon,lat\n12345678901,"), "{text}");
    assert!(fs::read_to_string(&ep)
        .unwrap()
        .starts_with("from,to,length_m\n12345678901,-5,"));
    let back = read_network(&np, &ep).unwrap();
    assert_eq!(back.node_ids, net.node_ids);
    for (a, b) in back.coords.iter().zip(&net.coords) {
        assert_eq!(a.lon.to_bits(), b.lon.to_bits());
        assert_eq!(a.lat.to_bits(), b.lat.to_bits());
    }
    for (a, b) in back.edges.iter().zip(&net.edges) {
        assert_eq!((a.from, a.to), (b.from, b.to));
        assert_eq!(a.length_m.to_bits(), b.length_m.to_bits());
    }
}

fn dir_entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn failed_write_keeps_the_old_file_and_leaves_no_temp_file() {
    let d = Dir::new();
    let ep = d.file("edges.csv", "old edges\n");
    let mut net = sample_network();
    // Enough edges to spill past the writer's buffers, then one with a bad end.
    let good = net.edges[0];
    net.edges = vec![good; 200_000];
    net.edges.push(RawEdge {
        from: 0,
        to: 99,
        length_m: 1.0,
    });
    let err = write_edges(&ep, &net).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("edges.csv"), "{msg}");
    assert!(
        msg.contains("edge 200000 joins node indices 0 and 99, but there are 5 nodes"),
        "{msg}"
    );
    assert_eq!(fs::read_to_string(&ep).unwrap(), "old edges\n");
    assert_eq!(dir_entries(d.dir.path()), vec!["edges.csv"]);

    let np = d.path("nodes.csv");
    net.coords.pop();
    assert!(write_nodes(&np, &net).is_err());
    assert_eq!(dir_entries(d.dir.path()), vec!["edges.csv"]);
}

#[test]
fn quoted_and_unquoted_files_read_the_same() {
    // Big enough for several parallel chunks; the quoted copy takes the csv crate's path.
    let (mut nodes, mut quoted_nodes) = (String::from("id,lon,lat\n"), String::new());
    let mut edges = String::from("from,to,length_m\n");
    for k in 0..30_000i64 {
        let id = 10_000_000_000 + k * 7;
        nodes.push_str(&format!(
            "{id},{},{}\n",
            116.0 + k as f64 * 1e-5,
            39.5 + k as f64 * 3e-6
        ));
        if k > 0 {
            edges.push_str(&format!("{},{id},{}\n", id - 7, 0.5 + k as f64 / 3.0));
        }
    }
    quoted_nodes.push_str(&nodes.replacen("\n10000000000,", "\n\"10000000000\",", 1));
    let d = Dir::new();
    let plain = d.read(&nodes, &edges).unwrap();
    let quoted_edges = edges.replacen("\n10000000000,", "\n\"10000000000\",", 1);
    assert_ne!(quoted_edges, edges);
    assert_ne!(quoted_nodes, nodes);
    let quoted = d.read(&quoted_nodes, &quoted_edges).unwrap();
    assert_eq!(plain.node_ids.len(), 30_000);
    assert_eq!(plain.edges.len(), 29_999);
    assert_eq!(plain, quoted);
}

/// Found by fuzzing (issue 19): a lone `\r` inside a column the reader does not use split the
/// row for the `csv` crate but not for the parallel fast path, which accepted the file.
#[test]
fn a_carriage_return_inside_an_extra_column_is_read_as_the_csv_crate_reads_it() {
    let d = Dir::new();
    let m = err_text(d.read(
        "id,lon,lat,note\n1,116.40,39.90,a\rb\n2,116.41,39.90,c\n",
        "from,to,length_m\n1,2,10\n",
    ))
    .replace(&format!("{}/", d.dir.path().display()), "");
    assert_eq!(
        m,
        "nodes.csv 第 3 行 line 3: 应有 4 个字段（与表头行相同），实有 1 个 expected 4 fields as in the header line, found 1"
    );
}

#[test]
fn tables_in_memory_read_as_the_files_do() {
    // The Python package passes DataFrames as CSV bytes (issue 20): the same network, and
    // errors named by the names given.
    let d = Dir::new();
    let edges = "from,to,length_m\n1,2,855.5\n2,3,1111.95\n";
    let from_files = d.read(NODES, edges).unwrap();
    let from_memory =
        lc_tables::read_network_from("<nodes>", NODES.as_bytes(), "<edges>", edges.as_bytes())
            .unwrap();
    assert_eq!(from_memory.node_ids, from_files.node_ids);
    assert_eq!(from_memory.coords, from_files.coords);
    assert_eq!(from_memory.edges, from_files.edges);
    let e = lc_tables::read_network_from(
        "<nodes>",
        NODES.as_bytes(),
        "<edges>",
        "from,to,length_m\n1,2,5\n2,9,5\n".as_bytes(),
    )
    .expect_err("an edge to an unknown node");
    let rows = e.row_errors();
    assert_eq!(rows.len(), 1, "{e}");
    assert_eq!(
        (
            rows[0].file.as_str(),
            rows[0].line,
            rows[0].field.as_deref()
        ),
        ("<edges>", 3, Some("to"))
    );
}
