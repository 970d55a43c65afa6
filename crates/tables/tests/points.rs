//! Tests of `communities.csv`/`facilities.csv`: reading, every error message, CRS
//! conversion, writing back.

use std::fs;
use std::path::PathBuf;

use lc_model::{Category, Community, Facility, LonLat};
use lc_tables::{
    read_communities, read_facilities, write_communities, write_facilities, Crs, TableError,
};

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap())
    }

    fn file(&self, name: &str, content: &[u8]) -> PathBuf {
        let p = self.0.path().join(name);
        fs::write(&p, content).unwrap();
        p
    }

    fn communities(&self, content: &str) -> Result<Vec<Community>, TableError> {
        read_communities(
            &self.file("communities.csv", content.as_bytes()),
            Crs::Wgs84,
        )
    }

    fn facilities(&self, content: &str) -> Result<Vec<Facility>, TableError> {
        read_facilities(&self.file("facilities.csv", content.as_bytes()), Crs::Wgs84)
    }
}

/// The error message, with the temporary directory removed from the path.
fn msg<T: std::fmt::Debug>(r: Result<T, TableError>, d: &Dir) -> String {
    let m = r.expect_err("expected an error").to_string();
    m.replace(&format!("{}/", d.0.path().display()), "")
}

#[test]
fn reads_communities_with_and_without_optional_columns() {
    let d = Dir::new();
    let cs = d
        .communities(
            "id,name,lon,lat,population,households,elderly,children_0_3,division_code\n\
             c1,学院路社区,116.35,39.99,5200,2100,1100,130,110108011001\n\
             c2,\"Garden, North\",116.36,39.98,800,,,,\n",
        )
        .unwrap();
    assert_eq!(cs.len(), 2);
    assert_eq!(
        cs[0],
        Community {
            id: "c1".into(),
            name: "学院路社区".into(),
            pos: LonLat::new(116.35, 39.99),
            population: 5200.0,
            households: Some(2100.0),
            elderly: Some(1100.0),
            children_0_3: Some(130.0),
            division_code: Some("110108011001".into()),
        }
    );
    assert_eq!(cs[1].name, "Garden, North");
    assert_eq!(
        (
            cs[1].households,
            cs[1].elderly,
            cs[1].children_0_3,
            cs[1].division_code.clone()
        ),
        (None, None, None, None)
    );

    // Only the required columns, in another order, with extra columns and spaces.
    let cs = d
        .communities("population, lat ,note,Name,ID,lon\n 300 ,39.9,x, 小区 , 007 ,116.4\n")
        .unwrap();
    assert_eq!(cs[0].id, "007");
    assert_eq!(cs[0].name, "小区");
    assert_eq!(cs[0].population, 300.0);
    assert_eq!(cs[0].pos, LonLat::new(116.4, 39.9));
    assert_eq!(cs[0].elderly, None);
}

#[test]
fn reads_facilities_with_bom_chinese_names_and_quoted_commas() {
    let d = Dir::new();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(
        "id,name,category,lon,lat,capacity,floor_area_m2,provider_code\r\n\
         f1,\"阳光幼儿园, 东园\",kindergarten,116.35,39.99,180,1200.5,52110000MJ0000000X\r\n\
         f2,便利店,convenience_store,116.36,39.98,,,\r\n\
         f3,\"He said \"\"hi\"\"\",pharmacy,116.37,39.97,,,\r\n"
            .as_bytes(),
    );
    let fs_ = read_facilities(&d.file("facilities.csv", &bytes), Crs::Wgs84).unwrap();
    assert_eq!(fs_.len(), 3);
    assert_eq!(fs_[0].id, "f1");
    assert_eq!(fs_[0].name, "阳光幼儿园, 东园");
    assert_eq!(fs_[0].category, Category::from_key("kindergarten").unwrap());
    assert_eq!(fs_[0].capacity, Some(180.0));
    assert_eq!(fs_[0].floor_area_m2, Some(1200.5));
    assert_eq!(fs_[0].provider_code.as_deref(), Some("52110000MJ0000000X"));
    assert_eq!(fs_[1].name, "便利店");
    assert_eq!(
        (fs_[1].capacity, fs_[1].floor_area_m2, &fs_[1].provider_code),
        (None, None, &None)
    );
    assert_eq!(fs_[2].name, "He said \"hi\"");
}

#[test]
fn header_only_files_are_empty_lists() {
    let d = Dir::new();
    assert!(d
        .facilities("id,name,category,lon,lat\n")
        .unwrap()
        .is_empty());
    assert!(d
        .communities("id,name,lon,lat,population")
        .unwrap()
        .is_empty());
}

#[test]
fn latitude_out_of_range_names_file_line_and_field() {
    let d = Dir::new();
    let text = "id,name,lon,lat,population\n\
                c1,a,116.4,39.9,10\n\
                c2,b,116.4,39.9,10\n\
                c3,c,116.4,39.9,10\n\
                c4,d,116.4,39.9,10\n\
                c5,e,116.4,39.9,10\n\
                c6,f,116.4,91.5,10\n";
    assert_eq!(
        msg(d.communities(text), &d),
        "communities.csv 第 7 行 line 7, 字段 field 'lat': '91.5' 超出范围（-90 至 90）'91.5' is out of range (-90 to 90)"
    );
}

#[test]
fn unknown_category_lists_the_vocabulary() {
    let d = Dir::new();
    let m = msg(
        d.facilities(
            "id,name,category,lon,lat\nf1,a,kindergarten,116.4,39.9\nf2,b, bakery ,116.4,39.9\n",
        ),
        &d,
    );
    assert!(
        m.starts_with(
            "facilities.csv 第 3 行 line 3, 字段 field 'category': 未知类别 'bakery'；已知类别见下 \
             unknown category 'bakery'; known categories are: nursery, kindergarten, "
        ),
        "{m}"
    );
    assert!(m.contains("pharmacy"), "{m}");
    let m = msg(
        d.facilities("id,name,category,lon,lat\nf1,a,,116.4,39.9\n"),
        &d,
    );
    assert_eq!(
        m,
        "facilities.csv 第 2 行 line 2, 字段 field 'category': 为空，须填类别键（如 kindergarten）\
         is empty; a category key is required (e.g. kindergarten)"
    );
}

#[test]
fn missing_required_column_lists_the_header() {
    let d = Dir::new();
    assert_eq!(
        msg(d.communities("id,name,lon,lat\nc1,a,116.4,39.9\n"), &d),
        "communities.csv: 缺少必需的列 'population'（表头中有：id, name, lon, lat）\
         missing required column 'population' (found: id, name, lon, lat)"
    );
    assert_eq!(
        msg(d.facilities("id,name,type,lon,lat\n"), &d),
        "facilities.csv: 缺少必需的列 'category'（表头中有：id, name, type, lon, lat）\
         missing required column 'category' (found: id, name, type, lon, lat)"
    );
}

#[test]
fn duplicate_and_empty_ids() {
    let d = Dir::new();
    let m = msg(
        d.communities(
            "id,name,lon,lat,population\nc1,a,116.4,39.9,10\nc2,b,116.4,39.9,10\n c1 ,c,116.4,39.9,10\n,d,116.4,39.9,10\n",
        ),
        &d,
    );
    assert_eq!(
        m,
        "communities.csv 中有 2 处错误 2 errors in communities.csv:\n  \
         communities.csv 第 4 行 line 4, 字段 field 'id': 编号 'c1' 重复（首次出现在第 2 行）duplicate id 'c1' (first on line 2)\n  \
         communities.csv 第 5 行 line 5, 字段 field 'id': 为空，每行须有编号 is empty; every row needs an id"
    );
}

#[test]
fn negative_non_numeric_and_non_finite_values() {
    let d = Dir::new();
    let m = msg(
        d.communities(
            "id,name,lon,lat,population,elderly\n\
             c1,a,116.4,39.9,-5,\n\
             c2,b,east,39.9,10,\n\
             c3,c,116.4,NaN,10,\n\
             c4,d,116.4,39.9,inf,\n\
             c5,e,116.4,39.9,10,-1\n\
             c6,f,116.4,39.9,,\n\
             c7,g,200,-95,10,x\n",
        ),
        &d,
    );
    let want = "communities.csv 中有 9 处错误 9 errors in communities.csv:\n  \
        communities.csv 第 2 行 line 2, 字段 field 'population': '-5' 为负数，population 须不小于 0 '-5' is negative; population must be 0 or more\n  \
        communities.csv 第 3 行 line 3, 字段 field 'lon': 'east' 不是数字 'east' is not a number\n  \
        communities.csv 第 4 行 line 4, 字段 field 'lat': 'NaN' 不是有限数 'NaN' is not a finite number\n  \
        communities.csv 第 5 行 line 5, 字段 field 'population': 'inf' 不是有限数 'inf' is not a finite number\n  \
        communities.csv 第 6 行 line 6, 字段 field 'elderly': '-1' 为负数，elderly 须不小于 0 '-1' is negative; elderly must be 0 or more\n  \
        communities.csv 第 7 行 line 7, 字段 field 'population': 为空，须填数字 is empty; a number is required\n  \
        communities.csv 第 8 行 line 8, 字段 field 'lon': '200' 超出范围（-180 至 180）'200' is out of range (-180 to 180)\n  \
        communities.csv 第 8 行 line 8, 字段 field 'lat': '-95' 超出范围（-90 至 90）'-95' is out of range (-90 to 90)\n  \
        communities.csv 第 8 行 line 8, 字段 field 'elderly': 'x' 不是数字 'x' is not a number";
    assert_eq!(m, want);

    let m = msg(
        d.facilities(
            "id,name,category,lon,lat,capacity,floor_area_m2\n\
             f1,a,clinic,116.4,39.9,-3,\n\
             f2,b,clinic,116.4,39.9,,-0.5\n",
        ),
        &d,
    );
    assert_eq!(
        m,
        "facilities.csv 中有 2 处错误 2 errors in facilities.csv:\n  \
         facilities.csv 第 2 行 line 2, 字段 field 'capacity': '-3' 为负数，capacity 须不小于 0 '-3' is negative; capacity must be 0 or more\n  \
         facilities.csv 第 3 行 line 3, 字段 field 'floor_area_m2': '-0.5' 为负数，floor_area_m2 须不小于 0 '-0.5' is negative; floor_area_m2 must be 0 or more"
    );
}

#[test]
fn wrong_number_of_fields() {
    let d = Dir::new();
    let m = msg(
        d.facilities(
            "id,name,category,lon,lat\n\
             f1,Shop, North,clinic,116.4,39.9\n\
             f2,b,clinic,116.4\n\
             f3,c,clinic,116.4,39.9\n",
        ),
        &d,
    );
    assert_eq!(
        m,
        "facilities.csv 中有 2 处错误 2 errors in facilities.csv:\n  \
         facilities.csv 第 2 行 line 2: 应有 5 个字段（与表头行相同），实有 6 个（含逗号的值须放在双引号中） expected 5 fields as in the header line, found 6 (a value that contains a comma must be in double quotes)\n  \
         facilities.csv 第 3 行 line 3: 应有 5 个字段（与表头行相同），实有 4 个 expected 5 fields as in the header line, found 4"
    );
}

/// A CSV saved by Excel on Chinese Windows is GBK: it is read as such (issue 17).
#[test]
fn gbk_text_is_read() {
    let d = Dir::new();
    let mut bytes = b"id,name,lon,lat,population\nc1,".to_vec();
    bytes.extend_from_slice(&[0xC9, 0xE7, 0xC7, 0xF8]); // 社区 in GBK
    bytes.extend_from_slice(b",116.4,39.9,10\n");
    let cs = read_communities(&d.file("communities.csv", &bytes), Crs::Wgs84).unwrap();
    assert_eq!(cs[0].name, "社区");
}

/// Bytes that are neither UTF-8 nor GB18030 are refused with advice.
#[test]
fn undecodable_text_is_refused_with_advice() {
    let d = Dir::new();
    let mut bytes = b"id,name,lon,lat,population\nc1,".to_vec();
    bytes.extend_from_slice(&[0x81, 0x30, 0xFF]); // not a GB18030 sequence
    bytes.extend_from_slice(b",116.4,39.9,10\n");
    let m = msg(
        read_communities(&d.file("communities.csv", &bytes), Crs::Wgs84),
        &d,
    );
    assert!(
        m.contains(
            "文本既不是 UTF-8 也不是 GBK/GB18030 the text is neither UTF-8 nor GBK/GB18030; \
             请另存为 UTF-8（Excel 中选“CSV UTF-8”）save the file as UTF-8"
        ),
        "{m}"
    );
}

/// An Excel workbook given where a CSV is expected: its first sheet is read, and a bad cell is
/// named by the sheet's row number.
#[test]
fn an_xlsx_workbook_is_read_from_its_first_sheet() {
    let d = Dir::new();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["id", "name", "lon", "lat", "population"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "c1").unwrap();
    ws.write_string(1, 1, "东区").unwrap();
    ws.write_number(1, 2, 116.4).unwrap();
    ws.write_number(1, 3, 39.9).unwrap();
    ws.write_number(1, 4, 1200).unwrap();
    ws.write_string(2, 0, "c2").unwrap();
    ws.write_string(2, 1, "西区").unwrap();
    ws.write_number(2, 2, 116.4).unwrap();
    ws.write_number(2, 3, 99.0).unwrap();
    ws.write_number(2, 4, 10).unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let m = msg(
        read_communities(&d.file("communities.csv", &bytes), Crs::Wgs84),
        &d,
    );
    assert!(
        m.contains("communities.csv 第 3 行 line 3, 字段 field 'lat'"),
        "{m}"
    );
}

/// An unclosed quote must not merge rows (issue 17): the line where it opened is named.
#[test]
fn an_unclosed_quote_names_the_line_where_it_opened() {
    let d = Dir::new();
    let err = d.communities(
        "id,name,lon,lat,population\nc1,\"东区,116.4,39.9,10\nc2,西区,116.4,39.9,20\nc3,北区,116.4,39.9,30\n",
    );
    let m = msg(err, &d);
    assert!(m.contains("communities.csv 第 2 行 line 2"), "{m}");
    assert!(m.contains("在本行结束前没有闭合"), "{m}");
    assert!(m.contains("not closed before the line ends"), "{m}");
}

#[test]
fn missing_file_and_empty_file() {
    let d = Dir::new();
    let err = read_facilities(&d.0.path().join("facilities.csv"), Crs::Wgs84).unwrap_err();
    assert!(matches!(err, TableError::Open { .. }));
    let m = err.to_string();
    assert!(
        m.contains("facilities.csv: 文件或文件夹不存在 No such file or directory"),
        "{m}"
    );
    assert_eq!(
        msg(d.communities(""), &d),
        "communities.csv: 文件为空，应有表头行 the file is empty; expected a header line such as 'id,name,lon,lat,population'"
    );
}

#[test]
fn twenty_errors_then_stop() {
    let d = Dir::new();
    let mut text = String::from("id,name,category,lon,lat\n");
    for k in 0..30 {
        text.push_str(&format!("f{k},x,bakery,116.4,39.9\n"));
    }
    let err = d.facilities(&text).unwrap_err();
    assert_eq!(err.row_errors().len(), 20);
    assert_eq!(err.row_errors()[0].line, 2);
    assert_eq!(err.row_errors()[19].line, 21);
    assert_eq!(err.row_errors()[19].field.as_deref(), Some("category"));
    let first = err.to_string();
    let first = first.lines().next().unwrap().to_string();
    assert!(first.contains(" 中有 20 处错误 20 errors in "), "{first}");
    assert!(first.contains("在第 22 行停止读取"), "{first}");
    assert!(first.contains("stopped reading at line 22"), "{first}");
}

#[test]
fn gcj02_input_is_moved_to_wgs84() {
    let d = Dir::new();
    let text =
        "id,name,category,lon,lat\nf1,天安门,park,116.404,39.915\nf2,Paris,park,2.35,48.85\n";
    let p = d.file("facilities.csv", text.as_bytes());
    let wgs = read_facilities(&p, Crs::Wgs84).unwrap();
    let gcj = read_facilities(&p, Crs::Gcj02).unwrap();
    let bd = read_facilities(&p, Crs::Bd09).unwrap();
    let moved = gcj[0].pos.haversine_m(wgs[0].pos);
    assert!((moved - 555.0).abs() < 3.0, "moved {moved} m");
    // GCJ-02 positions are east and north of WGS-84 in Beijing: the conversion goes back.
    assert!(gcj[0].pos.lon < 116.404 && gcj[0].pos.lat < 39.915);
    let moved_bd = bd[0].pos.haversine_m(wgs[0].pos);
    assert!((1000.0..1400.0).contains(&moved_bd), "moved {moved_bd} m");
    // Outside China GCJ-02 is the identity.
    assert_eq!(gcj[1].pos, wgs[1].pos);

    let c = d.file(
        "communities.csv",
        "id,name,lon,lat,population\nc1,x,116.404,39.915,1\n".as_bytes(),
    );
    let cg = read_communities(&c, Crs::Gcj02).unwrap();
    assert!((cg[0].pos.haversine_m(LonLat::new(116.404, 39.915)) - 555.0).abs() < 3.0);
}

#[test]
fn ranges_are_checked_before_conversion() {
    let d = Dir::new();
    let p = d.file(
        "facilities.csv",
        b"id,name,category,lon,lat\nf1,a,park,116.4,90.5\n",
    );
    let m = msg(read_facilities(&p, Crs::Bd09), &d);
    assert_eq!(
        m,
        "facilities.csv 第 2 行 line 2, 字段 field 'lat': '90.5' 超出范围（-90 至 90）'90.5' is out of range (-90 to 90)"
    );
}

#[test]
fn blank_and_all_empty_rows_are_skipped_but_counted_as_lines() {
    let d = Dir::new();
    let m = msg(
        d.communities("id,name,lon,lat,population\r\n\r\n,,,,\r\nc1,a,116.4,39.9,x\r\n"),
        &d,
    );
    assert_eq!(
        m,
        "communities.csv 第 4 行 line 4, 字段 field 'population': 'x' 不是数字 'x' is not a number"
    );
}

fn sample_communities() -> Vec<Community> {
    vec![
        Community {
            id: "110108011001".into(),
            name: "学院路社区, 东区 \"A\"".into(),
            pos: LonLat::new(116.352_197_123_456_78, 39.991_234_567_890_12),
            population: 5234.5,
            households: Some(2100.0),
            elderly: None,
            children_0_3: Some(0.1 + 0.2),
            division_code: None,
        },
        Community {
            id: "c-2".into(),
            name: String::new(),
            pos: LonLat::new(-0.0, 1e-7),
            population: 0.0,
            households: None,
            elderly: None,
            children_0_3: None,
            division_code: Some("110108011002".into()),
        },
    ]
}

#[test]
fn communities_round_trip_exactly() {
    let d = Dir::new();
    let p = d.0.path().join("communities.csv");
    let cs = sample_communities();
    write_communities(&p, &cs).unwrap();
    let text = fs::read_to_string(&p).unwrap();
    assert!(
        text.starts_with("id,name,lon,lat,population,households,children_0_3,division_code\n"),
        "{text}"
    );
    let back = read_communities(&p, Crs::Wgs84).unwrap();
    assert_eq!(back, cs);
    assert_eq!(
        back[0].children_0_3.unwrap().to_bits(),
        (0.1f64 + 0.2).to_bits()
    );

    // No optional values: only the required columns.
    let plain: Vec<Community> = cs
        .into_iter()
        .map(|c| Community {
            households: None,
            children_0_3: None,
            division_code: None,
            ..c
        })
        .collect();
    write_communities(&p, &plain).unwrap();
    let text = fs::read_to_string(&p).unwrap();
    assert!(text.starts_with("id,name,lon,lat,population\n"), "{text}");
    assert_eq!(read_communities(&p, Crs::Wgs84).unwrap(), plain);
}

#[test]
fn facilities_round_trip_exactly() {
    let d = Dir::new();
    let p = d.0.path().join("facilities.csv");
    let fs_: Vec<Facility> = Category::all()
        .enumerate()
        .map(|(k, category)| Facility {
            id: format!("f{k}"),
            name: format!("设施 {k}, \"{}\"", category.info().zh),
            category,
            pos: LonLat::new(116.0 + k as f64 / 7.0, 39.0 + k as f64 / 13.0),
            capacity: (k % 2 == 0).then_some(k as f64 * 10.5),
            floor_area_m2: None,
            provider_code: (k % 3 == 0).then(|| format!("code{k}")),
            division_code: None,
        })
        .collect();
    write_facilities(&p, &fs_).unwrap();
    let text = fs::read_to_string(&p).unwrap();
    assert!(
        text.starts_with("id,name,category,lon,lat,capacity,provider_code\n"),
        "{text}"
    );
    assert_eq!(read_facilities(&p, Crs::Wgs84).unwrap(), fs_);

    // An empty list writes a header that reads back as "no facilities".
    write_facilities(&p, &[]).unwrap();
    assert_eq!(
        fs::read_to_string(&p).unwrap(),
        "id,name,category,lon,lat\n"
    );
    assert!(read_facilities(&p, Crs::Wgs84).unwrap().is_empty());
}

#[test]
fn duplicate_column_in_header() {
    let d = Dir::new();
    assert_eq!(
        msg(d.communities("id,name,lon,lat,population,ID\n"), &d),
        "communities.csv: 列 'id' 在表头行出现两次（第 1 和第 6 列）column 'id' appears twice in the header line (columns 1 and 6)"
    );
}

#[test]
fn tab_or_semicolon_separated_files_get_a_hint() {
    let d = Dir::new();
    assert_eq!(
        msg(
            d.communities("id\tname\tlon\tlat\tpopulation\nc1\ta\t116.4\t39.9\t5\n"),
            &d
        ),
        "communities.csv: 表头行没有逗号而有制表符，请另存为逗号分隔的 CSV the header line has \
         no commas but has tabs; save the file as comma-separated CSV (expected a header \
         line such as 'id,name,lon,lat,population')"
    );
    assert!(
        msg(d.facilities("id;name;category;lon;lat\n"), &d).starts_with(
            "facilities.csv: 表头行没有逗号而有分号，请另存为逗号分隔的 CSV \
         the header line has no commas but has semicolons;"
        )
    );
}

/// Plausible values (issue 19): counts up to 10 million per community, no community of less than
/// one person, parts
/// are not larger than the whole, capacities and areas have a ceiling; infinity and NaN never
/// pass. Each refusal names the line and field.
#[test]
fn implausible_values_are_refused_with_line_and_field() {
    let d = Dir::new();
    let m = msg(
        d.communities(
            "id,name,lon,lat,population,elderly,children_0_3\n\
             c1,a,116.4,39.9,1.7e308,,\n\
             c2,b,116.4,39.9,0.5,,\n\
             c3,c,116.4,39.9,6200,99999,\n\
             c4,d,116.4,39.9,inf,,\n\
             c5,e,116.4,39.9,1000,200,30\n",
        ),
        &d,
    );
    for part in [
        "第 2 行 line 2, 字段 field 'population': '1.7e308' 超过每个社区 10000000 的上限",
        "'1.7e308' is more than 10000000 per community",
        "第 3 行 line 3, 字段 field 'population': '0.5' 不足一人",
        "'0.5' is less than one person",
        "第 4 行 line 4, 字段 field 'elderly': 99999 大于人口数（6200）",
        "99999 is more than the population (6200)",
        "第 5 行 line 5, 字段 field 'population'",
    ] {
        assert!(m.contains(part), "{part}\n{m}");
    }
    assert!(!m.contains("line 6"), "{m}");
    let err = read_facilities(
        &d.file(
            "facilities.csv",
            b"id,name,category,lon,lat,capacity,floor_area_m2\nf1,x,nursery,116.4,39.9,1e12,\nf2,y,sports,116.4,39.9,,1e300\n",
        ),
        Crs::Wgs84,
    );
    let m = msg(err, &d);
    assert!(m.contains("第 2 行 line 2, 字段 field 'capacity'"), "{m}");
    assert!(
        m.contains("第 3 行 line 3, 字段 field 'floor_area_m2'"),
        "{m}"
    );
}

#[test]
fn a_table_read_from_memory_is_the_table_read_from_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = "id,name,lon,lat,population,elderly\nC1,东区,116.3,39.9,1200,300\nC2,西区,116.31,39.91,800,\n";
    let path = dir.path().join("communities.csv");
    std::fs::write(&path, text).unwrap();
    let from_file = lc_tables::read_communities(&path, Crs::Wgs84).unwrap();
    let from_memory =
        lc_tables::read_communities_from("upload.csv", text.as_bytes(), Crs::Wgs84).unwrap();
    assert_eq!(from_file, from_memory);
    assert_eq!(from_memory.len(), 2);
    // Errors name the upload as the caller called it, with line and field.
    let bad = "id,name,category,lon,lat\nF1,药店,pharmacy,116.3,95\n";
    let e =
        lc_tables::read_facilities_from("上传的设施.csv", bad.as_bytes(), Crs::Wgs84).unwrap_err();
    let row = &e.row_errors()[0];
    assert_eq!(
        (row.file.as_str(), row.line, row.field.as_deref()),
        ("上传的设施.csv", 2, Some("lat"))
    );
}

/// Found by fuzzing (issue 19): with classic Mac line ends (a lone `\r`), every row was
/// reported on line 1.
#[test]
fn lone_carriage_return_line_ends_give_the_right_line() {
    let d = Dir::new();
    let m = msg(
        d.communities("id,name,lon,lat,population\rc1,A,116.3,39.9,10\r\rc2,B,116.3,91,10\r"),
        &d,
    );
    assert_eq!(
        m,
        "communities.csv 第 4 行 line 4, 字段 field 'lat': '91' 超出范围（-90 至 90）'91' is out of range (-90 to 90)"
    );
}

/// A workbook (stored, not compressed) whose sheet is `sheet` and shared strings `strings`.
fn workbook(sheet: &str, strings: &str) -> Vec<u8> {
    use std::io::Write;
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let parts = [
        (
            "[Content_Types].xml".to_string(),
            r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>"#.to_string(),
        ),
        (
            "_rels/.rels".to_string(),
            format!(r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
        ),
        (
            "xl/workbook.xml".to_string(),
            format!(r#"<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
        ),
        (
            "xl/_rels/workbook.xml.rels".to_string(),
            format!(r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#),
        ),
        ("xl/worksheets/sheet1.xml".to_string(), sheet.to_string()),
        ("xl/sharedStrings.xml".to_string(), strings.to_string()),
    ];
    for (name, text) in parts {
        z.start_file(name, opts).unwrap();
        z.write_all(text.as_bytes()).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// Found by fuzzing (issue 19): calamine panicked on a cell referring to a shared string the
/// workbook does not have; the reader refuses the file instead.
#[test]
fn a_damaged_workbook_is_refused_not_a_panic() {
    let d = Dir::new();
    let sst = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>id</t></si></sst>"#;
    let sheet = |v: u32| {
        format!(
            r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>{v}</v></c></row></sheetData></worksheet>"#
        )
    };
    // The workbook is well formed: its one cell reads (and the header lacks columns).
    let good = d.file("good.xlsx", &workbook(&sheet(0), sst));
    let m = read_communities(&good, Crs::Wgs84).unwrap_err().to_string();
    assert!(m.contains("missing required column 'name'"), "{m}");
    // Shared string 4 of 1.
    let bad = d.file("communities.xlsx", &workbook(&sheet(4), sst));
    let m = msg(read_communities(&bad, Crs::Wgs84), &d);
    assert!(
        m.starts_with("communities.xlsx: 是 Excel 工作簿但无法读取 an Excel workbook that cannot be read: the workbook is damaged"),
        "{m}"
    );
}

/// A 2 KB workbook with one cell far to the right (or far down) once made the reader allocate
/// the sheet's whole rectangle — gigabytes — before reading a row (found by fuzzing, issue 19;
/// the input is kept in `fuzz/oom/`). The sheet is read cell by cell and its extent checked.
#[test]
fn a_sheet_spread_far_is_refused_before_it_is_allocated() {
    let d = Dir::new();
    let sst = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"></sst>"#;
    let sheet = |cells: &str| {
        format!(
            r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{cells}</sheetData></worksheet>"#
        )
    };
    let text = |r: &str, t: &str| format!(r#"<c r="{r}" t="inlineStr"><is><t>{t}</t></is></c>"#);
    let header = ["A1", "B1", "C1", "D1", "E1", "F1"]
        .iter()
        .zip(["id", "name", "lon", "lat", "population", "households"])
        .map(|(r, t)| text(r, t))
        .collect::<String>();
    // Column XFD (16,384 columns wide).
    let wide = d.file(
        "wide.xlsx",
        &workbook(
            &sheet(&format!(
                r#"<row r="1">{header}{}</row>"#,
                text("XFD1", "x")
            )),
            sst,
        ),
    );
    let m = msg(read_communities(&wide, Crs::Wgs84), &d);
    assert!(
        m.contains(
            "工作表过宽：16384 列（最多 1024 列）the sheet is 16384 columns wide (at most 1024)"
        ),
        "{m}"
    );
    // Row 1,000,000 with 30 columns: 30 million cells.
    let long = d.file(
        "long.xlsx",
        &workbook(
            &sheet(&format!(
                r#"<row r="1">{header}{}</row><row r="1000000">{}</row>"#,
                text("AD1", "x"),
                text("A1000000", "y")
            )),
            sst,
        ),
    );
    let m = msg(read_communities(&long, Crs::Wgs84), &d);
    assert!(
        m.contains("the sheet spans 1000000 rows × 30 columns (at most 20000000 cells)"),
        "{m}"
    );
    // A blank row and a blank cell inside the rectangle stay where they are: the record of
    // sheet row 3 is line 3, its empty households cell is empty.
    let rows = format!(
        r#"<row r="1">{header}</row><row r="3">{}{}{}{}{}</row>"#,
        text("A3", "C1"),
        text("B3", "社区"),
        text("C3", "104.06"),
        text("D3", "30.66"),
        text("E3", "2000")
    );
    let ok = d.file("ok.xlsx", &workbook(&sheet(&rows), sst));
    let cs = read_communities(&ok, Crs::Wgs84).unwrap();
    assert_eq!(cs.len(), 1);
    assert_eq!(
        (cs[0].id.as_str(), cs[0].population, cs[0].households),
        ("C1", 2000.0, None)
    );
    let bad = rows.replace(">2000<", ">many<");
    let badf = d.file("bad.xlsx", &workbook(&sheet(&bad), sst));
    let m = msg(read_communities(&badf, Crs::Wgs84), &d);
    assert!(m.contains("bad.xlsx 第 3 行 line 3"), "{m}");
}

/// A facilities table of `n` rows (over 1 MB from about 25,000 rows: read on all threads),
/// with blank lines here and there.
fn big_facilities(n: usize) -> String {
    let mut s = String::from("id,name,category,lon,lat,capacity\n");
    for i in 0..n {
        let cat = ["nursery", "pharmacy", "clinic", "park"][i % 4];
        let cap = if i % 3 == 0 {
            String::new()
        } else {
            (i % 97).to_string()
        };
        s.push_str(&format!(
            "F{i:07},设施{i},{cat},{:.6},{:.6},{cap}\n",
            104.0 + (i % 1000) as f64 * 1e-4,
            30.6 + (i / 1000) as f64 * 1e-4
        ));
        if i % 5000 == 4999 {
            s.push('\n');
        }
    }
    s
}

/// Issue 15: a big table is read on all threads with the same rows, in file order, as the
/// one-thread reader gives (the same text with `\r\n` line ends takes the one-thread path).
#[test]
fn a_big_facilities_table_reads_the_same_on_all_threads() {
    let text = big_facilities(60_000);
    assert!(text.len() > 2 << 20, "{}", text.len());
    let fast = lc_tables::read_facilities_from("f.csv", text.as_bytes(), Crs::Wgs84).unwrap();
    let crlf = text.replace('\n', "\r\n");
    let slow = lc_tables::read_facilities_from("f.csv", crlf.as_bytes(), Crs::Wgs84).unwrap();
    assert_eq!(fast.len(), 60_000);
    assert_eq!(fast, slow);
    assert_eq!(fast[12_345].id, "F0012345");
    assert_eq!(fast[12_345].name, "设施12345");
    assert_eq!(fast[12_345].capacity, None);
    assert_eq!(fast[12_346].capacity, Some((12_346 % 97) as f64));
}

/// A repeated id and a bad cell in a big table: every problem with its line, in line order,
/// as for a small table (line numbers count the header and the blank lines).
#[test]
fn a_big_table_with_errors_reports_them_with_their_lines() {
    let mut lines: Vec<String> = big_facilities(60_000).lines().map(str::to_string).collect();
    // Line numbers: header is line 1; row i is on line i + 2 + (blank lines before it).
    let line_of = |i: usize| i + 2 + i / 5000;
    let (a, b, c) = (20, 40_000, 55_003);
    assert!(lines[line_of(a) - 1].starts_with("F0000020,"));
    lines[line_of(b) - 1] = lines[line_of(b) - 1].replacen("F0040000", "F0000020", 1);
    lines[line_of(c) - 1] = lines[line_of(c) - 1].replacen(",park,", ",parc,", 1);
    let text = lines.join("\n") + "\n";
    let err = lc_tables::read_facilities_from("f.csv", text.as_bytes(), Crs::Wgs84).unwrap_err();
    let errors = err.row_errors();
    assert_eq!(errors.len(), 2, "{err}");
    assert_eq!(errors[0].line, line_of(b) as u64);
    assert_eq!(errors[0].field.as_deref(), Some("id"));
    assert!(
        errors[0]
            .message
            .contains(&format!("first on line {}", line_of(a))),
        "{}",
        errors[0].message
    );
    assert_eq!(errors[1].line, line_of(c) as u64);
    assert_eq!(errors[1].field.as_deref(), Some("category"));
}
