//! Tests of the platform indicator file (`visit-rate.csv`, issue 11): reading what the server
//! exports, and every check with its exact message.

use std::fs;

use lc_model::PlatformRow;
use lc_tables::{read_platform_indicators, TableError};

const HEADER: &str = "indicator,month,region_code,level,due,visited,rate\n";

/// Reads `text` as `visit-rate.csv` in a temporary directory; the error's message without the
/// directory.
fn read(text: &str) -> Result<Vec<PlatformRow>, String> {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("visit-rate.csv");
    fs::write(&p, text).unwrap();
    read_platform_indicators(&p)
        .map(|f| f.rows)
        .map_err(|e: TableError| {
            e.to_string()
                .replace(&format!("{}/", d.path().display()), "")
        })
}

fn one_error(body: &str) -> String {
    read(&format!("{HEADER}{body}")).expect_err("expected an error")
}

#[test]
fn reads_the_servers_export() {
    // As `GET /api/care/visit-rate.csv` writes it: province first, a region with nobody due has
    // an empty rate.
    let rows = read(&format!(
        "{HEADER}GS21,2026-11,62,province,4,3,0.75\nGS21,2026-11,620102,district,4,3,0.75\nGS21,2026-11,c1,community,2,1,0.5\nGS21,2026-11,c2,community,2,2,1.0\nGS21,2026-11,c3,community,0,0,\n"
    ))
    .unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(
        rows[2],
        PlatformRow {
            indicator: "GS21".into(),
            month: "2026-11".into(),
            level: "community".into(),
            region_code: "c1".into(),
            due: 2,
            visited: 1,
            rate: Some(0.5),
        }
    );
    assert_eq!(rows[4].rate, None);
    // Rounded to four decimals passes.
    assert!(read(&format!("{HEADER}GS21,2026-11,c1,community,3,2,0.6667\n")).is_ok());
}

#[test]
fn a_missing_column_is_named() {
    let e = read("indicator,month,region_code,level,due,rate\nGS21,2026-11,c1,community,2,0.5\n")
        .unwrap_err();
    assert_eq!(
        e,
        "visit-rate.csv: 缺少必需的列 'visited'（表头中有：indicator, month, region_code, level, due, rate）missing required column 'visited' (found: indicator, month, region_code, level, due, rate)"
    );
}

#[test]
fn every_bad_value_names_line_field_and_why() {
    let cases = [
        (
            "GS21,2026-11,c1,community,2,1,1.5\n",
            "visit-rate.csv 第 2 行 line 2, 字段 field 'rate': '1.5' 超出范围（0 至 1）'1.5' is out of range (0 to 1)",
        ),
        (
            "GS21,2026-11,c1,community,2,1,-0.5\n",
            "visit-rate.csv 第 2 行 line 2, 字段 field 'rate': '-0.5' 超出范围（0 至 1）'-0.5' is out of range (0 to 1)",
        ),
        (
            "GS21,2026/11,c1,community,2,1,0.5\n",
            "visit-rate.csv 第 2 行 line 2, 字段 field 'month': '2026/11' 不是 YYYY-MM 格式的月份 '2026/11' is not a month written YYYY-MM",
        ),
        (
            "GS21,2026-13,c1,community,2,1,0.5\n",
            "visit-rate.csv 第 2 行 line 2, 字段 field 'month': '2026-13' 不是 YYYY-MM 格式的月份 '2026-13' is not a month written YYYY-MM",
        ),
        (
            "GS21,2026-11,c1,community,2,1,0.6\n",
            "visit-rate.csv 第 2 行 line 2, 字段 field 'rate': '0.6' 与 visited/due = 1/2 = 0.5 不符 '0.6' disagrees with visited/due = 1/2 = 0.5",
        ),
        (
            "GS21,2026-11,c1,community,2,3,1\n",
            "visit-rate.csv 第 2 行 line 2, 字段 field 'visited': 已探访 3 人多于应探访 2 人 visited 3 is more than due 2",
        ),
        (
            "GS21,2026-11,c1,community,2,1,\n",
            "visit-rate.csv 第 2 行 line 2, 字段 field 'rate': 为空，但应探访 2 人 is empty, but 2 persons are due",
        ),
        (
            "GS21,2026-11,c1,community,0,0,0\n",
            "visit-rate.csv 第 2 行 line 2, 字段 field 'rate': '0' 有值，但无人应探访（比率须为空）'0' is given, but nobody is due (the rate must be empty)",
        ),
        (
            "GS21,2026-11,c1,town,2,1,0.5\n",
            "visit-rate.csv 第 2 行 line 2, 字段 field 'level': 'town' 不是层级，请用 province、city、district、street 或 community 'town' is not a level; use province, city, district, street or community",
        ),
        (
            "GS21,2026-11,6201,district,2,1,0.5\n",
            "visit-rate.csv 第 2 行 line 2, 字段 field 'region_code': '6201' 不是 district 级区划代码（6 位数字）'6201' is not a district code (6 digits)",
        ),
        (
            "GS21,2026-11,c1,community,2.5,1,0.4\n",
            "visit-rate.csv 第 2 行 line 2, 字段 field 'due': '2.5' 不是人数（0 至 10000000 的整数）'2.5' is not a number of persons (a whole number from 0 to 10000000)",
        ),
    ];
    for (row, want) in cases {
        let e = one_error(row);
        assert_eq!(e, want, "{row}");
    }
}

#[test]
fn one_month_per_indicator_and_no_region_twice() {
    let e = one_error("GS21,2026-10,c1,community,2,1,0.5\nGS21,2026-11,c2,community,2,1,0.5\nGS21,2026-10,c1,community,2,2,1\n");
    assert!(
        e.contains("visit-rate.csv 中有 2 处错误 2 errors in visit-rate.csv:"),
        "{e}"
    );
    assert!(e.contains("第 3 行 line 3, 字段 field 'month': '2026-11' 与第 2 行的月份 2026-10 不同（每个指标只能有一个月）'2026-11' differs from the month 2026-10 on line 2 (one month per indicator)"), "{e}");
    assert!(e.contains("第 4 行 line 4, 字段 field 'region_code': 重复：GS21 community 'c1' 已在第 2 行 duplicate: GS21 community 'c1' is already on line 2"), "{e}");
}
