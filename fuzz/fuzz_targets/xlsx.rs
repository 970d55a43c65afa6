//! An Excel workbook given where `communities.csv` is expected (lc-tables reads its first
//! sheet through calamine). Mutated zip archives rarely get past their checksums and
//! compression, so an input that is not itself a zip archive is the text of the workbook's
//! sheet (`xl/worksheets/sheet1.xml`) and shared strings (`xl/sharedStrings.xml`), separated by
//! a line `%%`, packed here into a workbook with the fixed parts around them. Checks as for
//! `communities.csv`, without the line bound (lines are the sheet's rows).
#![no_main]
use std::io::Write;

use lc_tables::{Crs, COMMUNITY_COLUMNS};
use libfuzzer_sys::fuzz_target;
use livingcircle_fuzz::{check_table_error, in_range, parts, put};
use zip::write::SimpleFileOptions;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="communities" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

/// A workbook (stored, not compressed) with this sheet and these shared strings.
fn workbook(sheet: &[u8], strings: &[u8]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in [
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet),
        ("xl/sharedStrings.xml", strings),
    ] {
        z.start_file(name, opts).expect("zip in memory");
        z.write_all(bytes).expect("zip in memory");
    }
    z.finish().expect("zip in memory").into_inner()
}

fuzz_target!(|data: &[u8]| {
    let book = if data.starts_with(b"PK\x03\x04") {
        data.to_vec()
    } else {
        let p = parts(data, 2);
        workbook(p[0], p[1])
    };
    let path = put("communities.xlsx", &book);
    let columns: Vec<&str> = COMMUNITY_COLUMNS.iter().map(|c| c.0).collect();
    match lc_tables::read_communities(&path, Crs::Wgs84) {
        Ok(list) => {
            for c in &list {
                assert!(in_range(c.pos.lon, c.pos.lat), "{c:?}");
                assert!(c.population.is_finite() && c.population >= 0.0, "{c:?}");
            }
        }
        Err(e) => check_table_error(&e, &path, None, &columns),
    }
});
