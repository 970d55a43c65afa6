//! Statistical releases (issue 16 item 3) on SQLite and PostgreSQL: a generated month of
//! platform activity on Xueyuanlu street (the monitoring test's worked example: seed 9,
//! November 2026), the monthly job, then the district's release for 2026Q4 — its figures
//! checked against the series and the hand-worked example, its PDF parsed back (text, font
//! embedded, vector charts) — the archive's endpoints, the refusals, and the scheduled job run
//! twice (one release per region, period and kind).

mod common;

use common::{assert_error, assert_invalid, set_clock, Auth, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

const STREET: &str = "110108010";
const DISTRICT: &str = "110108";

fn headline<'a>(doc: &'a Value, key: &str) -> &'a Value {
    doc["headlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["indicator"]["key"] == json!(key))
        .unwrap_or_else(|| panic!("no headline {key}"))
}

/// The value of `indicator` summed over the district's stored points of `months`.
async fn series_sum(s: &TestServer, who: &Auth, indicator: &str) -> f64 {
    let (st, v) = s
        .get(
            who,
            &format!("/api/series?division={DISTRICT}&indicator={indicator}&source=platform&from=2026-10&to=2026-12"),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["series"][0]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_f64().unwrap())
        .sum()
}

/// Hex tokens `<…>` of a CMap section, in order.
fn hex_tokens(section: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = section;
    while let Some(i) = rest.find('<') {
        let Some(j) = rest[i..].find('>') else { break };
        let h = &rest[i + 1..i + j];
        let bytes = (0..h.len() / 2)
            .filter_map(|k| u8::from_str_radix(&h[2 * k..2 * k + 2], 16).ok())
            .collect();
        out.push(bytes);
        rest = &rest[i + j + 1..];
    }
    out
}

fn utf16(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

fn code(b: &[u8]) -> u32 {
    b.iter().fold(0, |a, x| (a << 8) | u32::from(*x))
}

/// The fonts' ToUnicode maps (bfchar and bfrange), merged: code → text. Written here because
/// lopdf's own CMap parser refuses krilla's maps.
fn to_unicode(doc: &lopdf::Document) -> std::collections::HashMap<u32, String> {
    let mut map = std::collections::HashMap::new();
    for o in doc.objects.values() {
        let Ok(d) = o.as_dict() else { continue };
        let Ok(r) = d.get(b"ToUnicode").and_then(|x| x.as_reference()) else {
            continue;
        };
        let stream = doc.get_object(r).unwrap().as_stream().unwrap();
        let raw = stream
            .decompressed_content()
            .unwrap_or_else(|_| stream.content.clone());
        let text = String::from_utf8_lossy(&raw).into_owned();
        for part in text.split("beginbfchar").skip(1) {
            let t = hex_tokens(part.split("endbfchar").next().unwrap());
            for pair in t.chunks(2).filter(|p| p.len() == 2) {
                map.insert(code(&pair[0]), utf16(&pair[1]));
            }
        }
        for part in text.split("beginbfrange").skip(1) {
            let t = hex_tokens(part.split("endbfrange").next().unwrap());
            for tri in t.chunks(3).filter(|p| p.len() == 3) {
                let (lo, hi) = (code(&tri[0]), code(&tri[1]));
                let first = utf16(&tri[2]).chars().next().unwrap() as u32;
                for c in lo..=hi {
                    if let Some(ch) = char::from_u32(first + (c - lo)) {
                        map.insert(c, ch.to_string());
                    }
                }
            }
        }
    }
    map
}

/// The number of pages, the decompressed content of every page, and its text (every string
/// shown by Tj/TJ as two-byte codes through the fonts' ToUnicode maps).
fn parse_pdf(bytes: &[u8]) -> (usize, Vec<u8>, String, lopdf::Document) {
    let doc = lopdf::Document::load_mem(bytes).unwrap();
    let pages = doc.get_pages();
    let mut content = Vec::new();
    for id in pages.values() {
        content.extend(doc.get_page_content(*id).unwrap());
        content.push(b'\n');
    }
    let map = to_unicode(&doc);
    let mut text = String::new();
    let ops = lopdf::content::Content::decode(&content)
        .unwrap()
        .operations;
    for op in &ops {
        let strings: Vec<&[u8]> = match op.operator.as_str() {
            "Tj" => op.operands.iter().filter_map(|o| o.as_str().ok()).collect(),
            "TJ" => op
                .operands
                .iter()
                .filter_map(|o| o.as_array().ok())
                .flatten()
                .filter_map(|o| o.as_str().ok())
                .collect(),
            "ET" => {
                text.push('\n');
                continue;
            }
            _ => continue,
        };
        for s in strings {
            for c in s.chunks(2) {
                if let Some(t) = map.get(&code(c)) {
                    text.push_str(t);
                }
            }
        }
    }
    (pages.len(), content, text, doc)
}

async fn release_of_a_district(s: &TestServer) {
    set_clock(s, "2026-12-05T03:00:00Z");
    lc_server::demo_activity::generate(s.state(), "2026-11".parse().unwrap(), 9, Some(STREET), 5)
        .await
        .unwrap();
    let admin = s.admin().await;
    let (st, run) = s
        .post(&admin, "/api/monitor/runs", json!({"month": "2026-11"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{run}");

    // 2026Q4 has not closed on 5 December.
    let (st, v) = s
        .post(
            &admin,
            "/api/releases",
            json!({"region": DISTRICT, "period": "2026Q4"}),
        )
        .await;
    assert_invalid(st, &v, "period_not_closed");

    set_clock(s, "2027-01-05T03:00:00Z");
    let (st, row) = s
        .post(
            &admin,
            "/api/releases",
            json!({"region": DISTRICT, "period": "2026Q4"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{row}");
    assert_eq!(row["kind"], json!("quarterly"));
    assert_eq!(row["level"], json!("district"));
    assert_eq!(row["region_name"], json!("海淀区"));
    assert_eq!(row["made_on"], json!("2027-01-05"));
    assert_eq!(row["made_by"], json!("api"));
    let id = row["id"].as_i64().unwrap();

    // The document, public.
    let (st, v) = s
        .get(&Auth::Anonymous, &format!("/api/releases/{id}"))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let doc = &v["document"];
    assert_eq!(
        doc["title_zh"],
        json!("海淀区2026年第4季度生活服务统计季度发布")
    );
    // Bookings completed: 13 in November (the worked example: 2 + 2 + 3 + 3 + 3), none in
    // October or December — the quarter's flow is the sum of the series' months.
    let b = headline(doc, "bookings_completed");
    assert_eq!(b["current"], json!({"status": "value", "value": 13.0}));
    assert_eq!(series_sum(s, &admin, "bookings_completed").await, 13.0);
    // The quarter before has no figures at all.
    assert_eq!(b["previous"], json!({"status": "missing"}));
    // Home beds: the three stations' beds in force on 30 November (a stock: the last month's),
    // 3 < 10, withheld; satisfaction 6 of 8 reviews: numerator below 10, withheld.
    assert_eq!(series_sum(s, &admin, "home_beds_in_use").await, 3.0);
    assert_eq!(
        headline(doc, "home_beds_in_use")["current"],
        json!({"status": "suppressed"})
    );
    assert_eq!(
        headline(doc, "satisfaction_rate")["current"],
        json!({"status": "suppressed"})
    );
    // The table by street: Xueyuanlu's 13 bookings are published, and no published count of
    // any street, or of the district, lies between 1 and 9.
    let columns = doc["table"]["columns"].as_array().unwrap();
    let rows = doc["table"]["rows"].as_array().unwrap();
    let k = columns
        .iter()
        .position(|c| c["key"] == json!("bookings_completed"))
        .unwrap();
    let xueyuanlu = rows.iter().find(|r| r["code"] == json!(STREET)).unwrap();
    assert_eq!(
        xueyuanlu["cells"][k],
        json!({"status": "value", "value": 13.0})
    );
    let mut published = 0;
    for r in rows.iter().chain([&doc["table"]["total"]]) {
        for (c, col) in r["cells"].as_array().unwrap().iter().zip(columns) {
            if col["percent"] == json!(false) {
                if let Some(x) = c["value"].as_f64() {
                    published += 1;
                    assert!(x == 0.0 || x >= 10.0, "{} {}: {x}", r["code"], col["key"]);
                }
            }
        }
    }
    assert!(published > 0);
    assert!(doc["table"]["primary"].as_u64().unwrap() > 0);

    // The PDF, public: parsed back.
    let (st, pdf) = s
        .bytes(&Auth::Anonymous, &format!("/api/releases/{id}/release.pdf"))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(pdf.starts_with(b"%PDF-"));
    let (pages, content, text, parsed) = parse_pdf(&pdf);
    assert!(pages > 0);
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for needle in [
        "海淀区2026年第4季度生活服务统计季度发布",
        "主要数据",
        "完成的预约服务",
        "学院路街道",
    ] {
        assert!(
            squeezed.contains(needle),
            "{needle} not in the PDF's text: {text}"
        );
    }
    assert!(text.contains("13"), "{text}");
    // The font is embedded (a CFF subset: FontFile3; FontFile2 for TrueType outlines).
    let embedded = parsed.objects.values().any(|o| {
        o.as_dict()
            .is_ok_and(|d| d.has(b"FontFile3") || d.has(b"FontFile2") || d.has(b"FontFile"))
    });
    assert!(embedded, "no embedded font program");
    // The charts are vector paths: moveto/lineto and stroke operators in the page content.
    let ops = lopdf::content::Content::decode(&content)
        .unwrap()
        .operations;
    let count = |op: &str| ops.iter().filter(|o| o.operator == op).count();
    assert!(
        count("m") > 10 && count("l") > 10 && count("S") > 10,
        "{} {} {}",
        count("m"),
        count("l"),
        count("S")
    );

    // The HTML page, public and self-contained.
    let (st, html, headers) = s
        .raw(
            &Auth::Anonymous,
            "GET",
            &format!("/api/releases/{id}/release.html"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(html.contains("海淀区2026年第4季度生活服务统计季度发布"));
    assert!(html.contains("<svg class=\"chart\""));
    assert!(!html.contains("src=\"http"));

    // The data it was made from: staff only; the hash is of the stored input.
    let (st, _) = s
        .get(&Auth::Anonymous, &format!("/api/releases/{id}/data"))
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, data) = s.get(&admin, &format!("/api/releases/{id}/data")).await;
    assert_eq!(st, StatusCode::OK, "{data}");
    assert_eq!(data["input_sha256"], row["input_sha256"]);
    let nov = data["input"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| {
            v["division"] == json!(STREET)
                && v["indicator"] == json!("bookings_completed")
                && v["month"] == json!("2026-11")
        })
        .cloned();
    assert_eq!(nov.unwrap()["numerator"], json!(13.0));

    // Refusals.
    let (st, v) = s
        .post(
            &admin,
            "/api/releases",
            json!({"region": DISTRICT, "period": "2026Q4"}),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "release_exists");
    let (st, v) = s
        .post(
            &admin,
            "/api/releases",
            json!({"region": STREET, "period": "2026Q4"}),
        )
        .await;
    assert_invalid(st, &v, "invalid_release_region");
    let (st, v) = s
        .post(
            &admin,
            "/api/releases",
            json!({"region": DISTRICT, "period": "2026Q5"}),
        )
        .await;
    assert_invalid(st, &v, "invalid_period");
    let (st, v) = s
        .post(
            &admin,
            "/api/releases",
            json!({"region": DISTRICT, "period": "2026Q1"}),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "no_release_data");
    let (st, v) = s
        .post(&admin, "/api/releases", json!({"period": "2026Q4"}))
        .await;
    assert_invalid(st, &v, "required");
    let (st, v) = s.get(&Auth::Anonymous, "/api/releases/99999").await;
    assert_error(st, &v, StatusCode::NOT_FOUND, "not_found");

    // The scheduled job: the quarter and year just closed (2026Q4, 2026) for every province,
    // city and district with figures — 11, 1101, 110108 — except the release made above; a
    // second run makes none.
    let made = lc_server::domains::releases::make_due(s.state())
        .await
        .unwrap();
    let mut keys: Vec<(String, String)> = made
        .iter()
        .map(|r| (r.division_code.clone(), r.period.clone()))
        .collect();
    keys.sort();
    let expected: Vec<(String, String)> = [
        ("11", "2026"),
        ("11", "2026Q4"),
        ("1101", "2026"),
        ("1101", "2026Q4"),
        ("110108", "2026"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(keys, expected);
    assert!(made.iter().all(|r| r.made_by == "sweep"));
    assert!(lc_server::domains::releases::make_due(s.state())
        .await
        .unwrap()
        .is_empty());
    let (st, list) = s.get(&Auth::Anonymous, "/api/releases").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 6);
    let (_, annual) = s
        .get(&Auth::Anonymous, "/api/releases?kind=annual&region=110108")
        .await;
    let annual = annual["items"].as_array().unwrap();
    assert_eq!(annual.len(), 1);
    assert_eq!(
        annual[0]["title_zh"],
        json!("海淀区2026年生活服务统计年度发布")
    );
    let (st, v) = s.get(&Auth::Anonymous, "/api/releases?kind=monthly").await;
    assert_invalid(st, &v, "invalid_kind");
}

both!(release_of_a_district);
