//! Open data (issue 16): CKAN's action API conventions (the envelope, `rows`/`start` paging,
//! `q`/`fq`, errors as CKAN answers them), the DCAT-AP 3 catalogue, the streamed downloads in
//! three formats, and the disclosure policy in every download — on the Xueyuanlu district with
//! communities small enough to need primary and secondary suppression, and on a fresh server
//! with the Chengdu demo (the bar: `package_search` finds the outlets, and no download shows a
//! cell of 1–9 people).

#[macro_use]
mod common;

use std::collections::BTreeMap;

use common::{Auth, Db, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The CKAN envelope of a successful call: its result.
fn result(st: StatusCode, v: &Value) -> &Value {
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["success"], json!(true), "{v}");
    assert!(
        v["help"]
            .as_str()
            .unwrap()
            .starts_with("https://docs.ckan.org/"),
        "{v}"
    );
    &v["result"]
}

/// A CKAN error: status, `success: false`, the error's `__type`.
fn ckan_error(st: StatusCode, v: &Value, status: StatusCode, kind: &str) {
    assert_eq!(st, status, "{v}");
    assert_eq!(v["success"], json!(false), "{v}");
    assert_eq!(v["error"]["__type"], json!(kind), "{v}");
    assert!(v.get("result").is_none(), "{v}");
}

fn names(results: &Value) -> Vec<&str> {
    results
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect()
}

async fn ckan_conventions(s: &TestServer) {
    let anon = Auth::Anonymous;
    let admin = s.admin().await;
    for (id, name, cat) in [
        ("F-A", "学院路托育园", "nursery"),
        ("F-B", "=HYPERLINK(\"x\")", "pharmacy"),
        ("F-C", "六道口食堂", "community_canteen"),
    ] {
        let (st, v) = s
            .post(&admin, "/api/facilities", json!({"id": id, "name": name, "category": cat, "lon": 116.35, "lat": 40.0, "division_code": "110108010"}))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    // package_list: the names, sorted; limit and offset.
    let (st, v) = s.get(&anon, "/api/3/action/package_list").await;
    let all: Vec<String> = serde_json::from_value(result(st, &v).clone()).unwrap();
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted);
    assert!(
        all.contains(&"outlets".to_string()) && all.len() >= 7,
        "{all:?}"
    );
    let (st, v) = s
        .get(&anon, "/api/3/action/package_list?limit=2&offset=1")
        .await;
    assert_eq!(result(st, &v), &json!(all[1..3]));
    let (st, v) = s
        .post(&anon, "/api/3/action/package_list", json!({"limit": 1}))
        .await;
    assert_eq!(result(st, &v), &json!(all[..1]));

    // package_show: by id (GET) and by a JSON body (POST), the same package.
    let (st, v) = s.get(&anon, "/api/3/action/package_show?id=outlets").await;
    let p = result(st, &v).clone();
    assert_eq!(p["name"], json!("outlets"));
    assert_eq!(p["license_id"], json!("CC-BY-4.0"));
    assert_eq!(p["organization"]["name"], json!("livingcircle"));
    let formats: Vec<&str> = p["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["format"].as_str().unwrap())
        .collect();
    assert_eq!(formats, ["CSV", "GeoJSON", "XLSX"]);
    assert_eq!(p["num_resources"], json!(3));
    let (st, v) = s
        .post(
            &anon,
            "/api/3/action/package_show",
            json!({"id": "outlets"}),
        )
        .await;
    let urls = |p: &Value| -> Vec<Value> {
        p["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["url"].clone())
            .collect()
    };
    assert_eq!(urls(result(st, &v)), urls(&p));
    // Not found: 404; no id: 409, the field named.
    let (st, v) = s.get(&anon, "/api/3/action/package_show?id=nope").await;
    ckan_error(st, &v, StatusCode::NOT_FOUND, "Not Found Error");
    let (st, v) = s.get(&anon, "/api/3/action/package_show").await;
    ckan_error(st, &v, StatusCode::CONFLICT, "Validation Error");
    assert_eq!(v["error"]["name_or_id"], json!(["Missing value"]));
    // A body that is not a JSON object.
    let (st, _, _) = s
        .raw(
            &anon,
            "POST",
            "/api/3/action/package_show",
            Some(("[1, 2".into(), "application/json")),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);

    // resource_show: the CSV of the outlets.
    let (st, v) = s
        .get(&anon, "/api/3/action/resource_show?id=outlets-csv")
        .await;
    let r = result(st, &v);
    assert!(
        r["url"]
            .as_str()
            .unwrap()
            .ends_with("/api/open/datasets/outlets.csv"),
        "{r}"
    );
    let (st, v) = s
        .get(&anon, "/api/3/action/resource_show?id=outlets-pdf")
        .await;
    ckan_error(st, &v, StatusCode::NOT_FOUND, "Not Found Error");

    // package_search: everything by default (fewer than 10 datasets), count and results.
    let (st, v) = s.get(&anon, "/api/3/action/package_search").await;
    let r = result(st, &v);
    assert_eq!(r["count"], json!(all.len()));
    assert_eq!(r["results"].as_array().unwrap().len(), all.len());
    assert_eq!(r["sort"], json!("score desc, metadata_modified desc"));
    // Paging with rows and start covers the catalogue once.
    let mut seen = Vec::new();
    for start in (0..all.len()).step_by(3) {
        let (st, v) = s
            .get(
                &anon,
                &format!("/api/3/action/package_search?rows=3&start={start}&sort=name%20asc"),
            )
            .await;
        let r = result(st, &v);
        assert_eq!(r["count"], json!(all.len()));
        seen.extend(names(&r["results"]).into_iter().map(String::from));
    }
    assert_eq!(seen, all);
    // rows above the maximum are capped (not refused); bad values are refused as CKAN does.
    let (st, v) = s.get(&anon, "/api/3/action/package_search?rows=5000").await;
    assert_eq!(
        result(st, &v)["results"].as_array().unwrap().len(),
        all.len()
    );
    for bad in [
        "rows=-1",
        "rows=ten",
        "start=x",
        "sort=colour%20asc",
        "fq=colour:red",
    ] {
        let (st, v) = s
            .get(&anon, &format!("/api/3/action/package_search?{bad}"))
            .await;
        ckan_error(st, &v, StatusCode::CONFLICT, "Validation Error");
    }
    // q: the outlets first; a Chinese word; fq on format; POST with a body; facets.
    let (st, v) = s.get(&anon, "/api/3/action/package_search?q=outlets").await;
    let r = result(st, &v);
    assert_eq!(names(&r["results"])[0], "outlets", "{r}");
    let (st, v) = s
        .get(&anon, "/api/3/action/package_search?q=%E7%BD%91%E7%82%B9")
        .await;
    assert!(names(&result(st, &v)["results"]).contains(&"outlets"));
    let (st, v) = s
        .get(
            &anon,
            "/api/3/action/package_search?q=no-such-word-anywhere",
        )
        .await;
    assert_eq!(result(st, &v)["count"], json!(0));
    let (st, v) = s
        .post(
            &anon,
            "/api/3/action/package_search",
            json!({"fq": "res_format:GeoJSON", "sort": "name asc", "facet.field": ["res_format", "license_id"]}),
        )
        .await;
    let r = result(st, &v);
    assert_eq!(names(&r["results"]), ["communities", "outlets"]);
    assert_eq!(r["facets"]["res_format"]["GeoJSON"], json!(2));
    assert_eq!(r["facets"]["license_id"]["CC-BY-4.0"], json!(2));
    assert_eq!(
        r["search_facets"]["res_format"]["items"][0]["count"],
        json!(2)
    );

    // DCAT-AP 3: the catalogue with every dataset, each with its distributions.
    let (st, text, headers) = s.raw(&anon, "GET", "/api/open/catalog.jsonld", None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/ld+json");
    let c: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(c["@type"], json!("dcat:Catalog"));
    assert_eq!(c["@context"]["dcat"], json!("http://www.w3.org/ns/dcat#"));
    let ds = c["dcat:dataset"].as_array().unwrap();
    assert_eq!(ds.len(), all.len());
    for d in ds {
        assert_eq!(d["@type"], json!("dcat:Dataset"));
        assert!(
            d["dct:title"][0]["@value"].is_string()
                && d["dct:description"][1]["@value"].is_string()
        );
        assert_eq!(
            d["dct:license"]["@id"],
            json!("https://creativecommons.org/licenses/by/4.0/")
        );
        assert!(d["dct:accrualPeriodicity"]["@id"]
            .as_str()
            .unwrap()
            .starts_with("http://publications.europa.eu/resource/authority/frequency/"));
        assert_eq!(d["dct:publisher"]["@type"], json!("foaf:Agent"));
        for dist in d["dcat:distribution"].as_array().unwrap() {
            assert_eq!(dist["@type"], json!("dcat:Distribution"));
            assert!(dist["dcat:accessURL"]["@id"]
                .as_str()
                .unwrap()
                .starts_with(&s.base));
            assert_eq!(dist["dcat:downloadURL"], dist["dcat:accessURL"]);
        }
    }
    let (st, v) = s.get(&anon, "/api/open/datasets/outlets.jsonld").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["dct:identifier"], json!("outlets"));
    let (st, _) = s.get(&anon, "/api/open/datasets/nope.csv").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s.get(&anon, "/api/open/datasets/outlets.pdf").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s.get(&anon, "/api/open/datasets/penalties.geojson").await;
    assert_eq!(
        st,
        StatusCode::NOT_FOUND,
        "a dataset without points has no GeoJSON"
    );

    // The outlets in three formats: every registered outlet once, the same rows.
    let (_, v) = s.get(&anon, "/api/facilities?per_page=1").await;
    let total = v["total"].as_u64().unwrap() as usize;
    assert!(total > 0);
    let csv = download(s, "outlets.csv").await;
    assert_eq!(csv.len(), total);
    let geo = geojson(s, "outlets.geojson").await;
    assert_eq!(geo.len(), total);
    assert_eq!(geo[0]["geometry"]["type"], json!("Point"));
    let xlsx = xlsx(s, "outlets.xlsx").await;
    assert_eq!(xlsx.len(), total);
    let ids = |rows: &Vec<BTreeMap<String, String>>| -> Vec<String> {
        rows.iter().map(|r| r["id"].clone()).collect()
    };
    assert_eq!(ids(&csv), ids(&xlsx));
    let geo_ids: Vec<String> = geo
        .iter()
        .map(|f| f["properties"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids(&csv), geo_ids);
    // A name that a spreadsheet would run is neutralised in CSV and XLSX, kept in GeoJSON.
    let cell = |rows: &Vec<BTreeMap<String, String>>| {
        rows.iter().find(|r| r["id"] == "F-B").unwrap()["name"].clone()
    };
    assert_eq!(cell(&csv), "'=HYPERLINK(\"x\")");
    assert_eq!(cell(&xlsx), "'=HYPERLINK(\"x\")");
}
both!(ckan_conventions);

/// A CSV download as maps of column → cell.
async fn download(s: &TestServer, file: &str) -> Vec<BTreeMap<String, String>> {
    let (st, bytes) = s
        .bytes(&Auth::Anonymous, &format!("/api/open/datasets/{file}"))
        .await;
    assert_eq!(st, StatusCode::OK, "{file}");
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            head.iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// A GeoJSON download's features.
async fn geojson(s: &TestServer, file: &str) -> Vec<Value> {
    let (st, bytes) = s
        .bytes(&Auth::Anonymous, &format!("/api/open/datasets/{file}"))
        .await;
    assert_eq!(st, StatusCode::OK, "{file}");
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["type"], json!("FeatureCollection"));
    v["features"].as_array().unwrap().clone()
}

/// An XLSX download's rows as maps (the header row gives the keys).
async fn xlsx(s: &TestServer, file: &str) -> Vec<BTreeMap<String, String>> {
    use calamine::Reader;
    let (st, bytes) = s
        .bytes(&Auth::Anonymous, &format!("/api/open/datasets/{file}"))
        .await;
    assert_eq!(st, StatusCode::OK, "{file}");
    let mut wb: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let names = wb.sheet_names();
    let range = wb.worksheet_range(&names[0]).unwrap();
    let mut rows = range.rows();
    let head: Vec<String> = rows.next().unwrap().iter().map(|c| c.to_string()).collect();
    rows.map(|r| {
        head.iter()
            .cloned()
            .zip(r.iter().map(|c| c.to_string()))
            .collect()
    })
    .collect()
}

/// A shown count of people: empty, the marker `x`, or a whole number that is 0 or at least 10.
fn assert_safe_count(cell: &str, what: &str) {
    if cell.is_empty() || cell == "x" {
        return;
    }
    let n: f64 = cell
        .parse()
        .unwrap_or_else(|_| panic!("{what}: '{cell}' is not a count"));
    assert!(n == 0.0 || n >= 10.0, "{what}: {n} people shown");
}

/// Reads every download of every dataset and checks every person-count cell.
async fn no_small_cell_anywhere(s: &TestServer) -> usize {
    let anon = Auth::Anonymous;
    let (st, v) = s.get(&anon, "/api/3/action/package_list").await;
    let all: Vec<String> = serde_json::from_value(result(st, &v).clone()).unwrap();
    let mut checked = 0;
    for id in all {
        let (st, v) = s
            .get(&anon, &format!("/api/3/action/package_show?id={id}"))
            .await;
        let p = result(st, &v).clone();
        let people: Vec<String> = p["fields"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["info"]["person_count"] == json!(true))
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect();
        for r in p["resources"].as_array().unwrap() {
            let url = r["url"].as_str().unwrap();
            let file = url.rsplit('/').next().unwrap();
            match r["format"].as_str().unwrap() {
                "CSV" | "XLSX" => {
                    let rows = if file.ends_with(".csv") {
                        download(s, file).await
                    } else {
                        xlsx(s, file).await
                    };
                    for row in &rows {
                        for c in &people {
                            assert_safe_count(&row[c], &format!("{file} {c}"));
                            checked += 1;
                        }
                    }
                }
                _ => {
                    for f in geojson(s, file).await {
                        for c in &people {
                            let cell = match &f["properties"][c] {
                                Value::Null => String::new(),
                                v => v.to_string(),
                            };
                            assert_safe_count(&cell, &format!("{file} {c}"));
                            checked += 1;
                        }
                    }
                }
            }
        }
    }
    checked
}

/// The registry's open exports of communities (`/api/communities/export.csv` and `.xlsx`,
/// unauthenticated): every count of people is `x`, 0 or at least 10. Returns the rows of the
/// CSV as maps.
async fn registry_exports_are_safe(s: &TestServer) -> Vec<BTreeMap<String, String>> {
    let (st, bytes) = s
        .bytes(&Auth::Anonymous, "/api/communities/export.csv")
        .await;
    assert_eq!(st, StatusCode::OK);
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<BTreeMap<String, String>> = r
        .records()
        .map(|rec| {
            head.iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect();
    assert!(!rows.is_empty());
    for row in &rows {
        for c in PEOPLE {
            if let Some(cell) = row.get(c) {
                assert_safe_count(cell, &format!("export.csv {} {c}", row["id"]));
            }
        }
    }
    let (st, bytes) = s
        .bytes(&Auth::Anonymous, "/api/communities/export.xlsx")
        .await;
    assert_eq!(st, StatusCode::OK);
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let names = wb.sheet_names();
    let range = wb.worksheet_range(&names[0]).unwrap();
    let mut it = range.rows();
    let head: Vec<String> = it.next().unwrap().iter().map(|c| c.to_string()).collect();
    let mut n = 0;
    for r in it {
        let row: BTreeMap<String, String> = head
            .iter()
            .cloned()
            .zip(r.iter().map(|c| c.to_string()))
            .collect();
        for c in PEOPLE {
            assert_safe_count(&row[c], &format!("export.xlsx {} {c}", row["id"]));
        }
        n += 1;
    }
    assert_eq!(n, rows.len(), "the workbook has the CSV's rows");
    // The childcare places per region (children in places and waiting, population, children).
    let (st, bytes) = s.bytes(&Auth::Anonymous, "/api/childcare/places.csv").await;
    assert_eq!(st, StatusCode::OK);
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    for rec in r.records() {
        let row: BTreeMap<String, String> = head
            .iter()
            .cloned()
            .zip(rec.unwrap().iter().map(String::from))
            .collect();
        for c in ["in_use", "waiting", "population", "children_0_3"] {
            assert_safe_count(&row[c], &format!("places.csv {} {c}", row["region_code"]));
        }
        // What gives a withheld count back is withheld with it.
        assert_eq!(row["in_use"] == "x", row["free"] == "x", "{row:?}");
        assert_eq!(
            row["population"] == "x",
            row["places_per_1000"] == "x",
            "{row:?}"
        );
    }
    rows
}

/// The counts of people of a community, as the registry names them.
const PEOPLE: [&str; 4] = ["population", "households", "elderly", "children_0_3"];

/// The community table with two small communities in Xueyuanlu street (committee 110108010001):
/// one of 4 people (primary)
/// and one of 30 (the smallest complement in its township), so that neither the street's total
/// nor any difference of published figures gives the 4 back.
async fn suppression_in_downloads(s: &TestServer) {
    let admin = s.admin().await;
    for (id, pop, hh) in [("C-SMALL", 4, 2), ("C-THIRTY", 30, 12)] {
        let c = json!({"id": id, "name": format!("小社区 {id}"), "division_code": "110108010001", "lon": 116.35, "lat": 39.99,
            "population": pop, "households": hh, "elderly": hh, "children_0_3": 0});
        let (st, v) = s.post(&admin, "/api/communities", c).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let rows = download(s, "communities.csv").await;
    let by: BTreeMap<(String, String), &BTreeMap<String, String>> = rows
        .iter()
        .map(|r| ((r["level"].clone(), r["code"].clone()), r))
        .collect();
    let small = by[&("community".into(), "C-SMALL".into())];
    let thirty = by[&("community".into(), "C-THIRTY".into())];
    // Primary: 4 people; secondary: the 30 beside it (the smallest other part of the street).
    assert_eq!(
        (small["population"].as_str(), thirty["population"].as_str()),
        ("x", "x")
    );
    // 2 households, 2 elderly: withheld, each with the 12 of the other small community.
    assert_eq!(
        (small["households"].as_str(), small["elderly"].as_str()),
        ("x", "x")
    );
    assert_eq!(
        (thirty["households"].as_str(), thirty["elderly"].as_str()),
        ("x", "x")
    );
    // Zero is shown (it reveals no one).
    assert_eq!(small["children_0_3"], "0");
    // Every relation (an aggregate and its parts) has no suppressed cell or at least two, and
    // the published figures add up.
    for col in ["population", "households", "elderly", "children_0_3"] {
        let mut parts: BTreeMap<String, Vec<&String>> = BTreeMap::new();
        for r in &rows {
            let parent = match r["level"].as_str() {
                "community" => {
                    let d = &r["parent_code"];
                    if d.len() >= 9 {
                        format!("township:{}", &d[..9])
                    } else if d.is_empty() {
                        "all:".into()
                    } else {
                        continue;
                    }
                }
                "township" => format!("county:{}", r["parent_code"]),
                "county" => format!("city:{}", r["parent_code"]),
                "city" => "all:".into(),
                _ => continue,
            };
            parts.entry(parent).or_default().push(&r[col]);
        }
        for (key, cells) in &parts {
            let (level, code) = key.split_once(':').unwrap();
            let total = &by[&(level.to_string(), code.to_string())][col];
            let hidden =
                cells.iter().filter(|c| c.as_str() == "x").count() + usize::from(total == "x");
            assert_ne!(hidden, 1, "{col} of {key}: one hidden cell is recoverable");
            if hidden == 0 && !total.is_empty() {
                let sum: u64 = cells.iter().map(|c| c.parse::<u64>().unwrap_or(0)).sum();
                assert_eq!(sum.to_string(), **total, "{col} of {key}");
            }
        }
    }
    // The street's total is published; with the 30 withheld too, the 4 is not the difference of
    // the total and the published communities.
    let street = by[&("township".into(), "110108010".into())];
    let shown: u64 = rows
        .iter()
        .filter(|r| r["level"] == "community" && r["parent_code"].starts_with("110108010"))
        .filter_map(|r| r["population"].parse::<u64>().ok())
        .sum();
    let total: u64 = street["population"].parse().unwrap();
    assert_eq!(
        total - shown,
        34,
        "the difference is the two withheld together, not the 4"
    );
    // The same pattern in the GeoJSON (null and named) and in the XLSX (x).
    let geo = geojson(s, "communities.geojson").await;
    let f = geo
        .iter()
        .find(|f| f["properties"]["code"] == json!("C-SMALL"))
        .unwrap();
    assert_eq!(f["properties"]["population"], Value::Null);
    assert!(f["properties"]["suppressed"]
        .as_array()
        .unwrap()
        .contains(&json!("population")));
    let x = xlsx(s, "communities.xlsx").await;
    let r = x.iter().find(|r| r["code"] == "C-SMALL").unwrap();
    assert_eq!(r["population"], "x");
    assert!(no_small_cell_anywhere(s).await > 0);
    // The registry's own open exports withhold the same cells (one pattern for every open
    // download), and those who keep the registry still get the counts in full.
    let export = registry_exports_are_safe(s).await;
    let small = export.iter().find(|r| r["id"] == "C-SMALL").unwrap();
    let thirty = export.iter().find(|r| r["id"] == "C-THIRTY").unwrap();
    assert_eq!(
        (small["population"].as_str(), thirty["population"].as_str()),
        ("x", "x")
    );
    assert_eq!(small["children_0_3"], "0");
    let (st, bytes) = s.bytes(&admin, "/api/communities/export.csv").await;
    assert_eq!(st, StatusCode::OK);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("communities.csv");
    std::fs::write(&path, &bytes).unwrap();
    let full = lc_tables::read_communities(&path, lc_tables::Crs::Wgs84).unwrap();
    let small = full.iter().find(|c| c.id == "C-SMALL").unwrap();
    assert_eq!((small.population, small.households), (4.0, Some(2.0)));
    // The public JSON answers the same pattern: the record and the list (null and named).
    let (_, one) = s.get(&Auth::Anonymous, "/api/communities/C-SMALL").await;
    assert_eq!(
        (&one["population"], &one["households"], &one["children_0_3"]),
        (&Value::Null, &Value::Null, &json!(0.0)),
        "{one}"
    );
    assert_eq!(
        one["suppressed"],
        json!(["population", "households", "elderly"])
    );
    let (_, list) = s
        .get(
            &Auth::Anonymous,
            "/api/communities?division=110108010001&limit=1000",
        )
        .await;
    let items = list["items"].as_array().unwrap();
    let thirty = items.iter().find(|c| c["id"] == "C-THIRTY").unwrap();
    assert_eq!(thirty["population"], Value::Null, "{thirty}");
    for c in items {
        for k in PEOPLE {
            if let Some(v) = c[k].as_f64() {
                assert!(v == 0.0 || v >= 10.0, "{k} of {}: {v}", c["id"]);
            }
        }
    }
    // Whoever keeps the registry reads the record in full.
    let (_, one) = s.get(&admin, "/api/communities/C-SMALL").await;
    assert_eq!(
        (one["population"].as_f64(), one["suppressed"].clone()),
        (Some(4.0), json!([]))
    );
}
both!(suppression_in_downloads);

/// The bar: a fresh server with the Chengdu demo.
async fn chengdu_demo(db: Db) {
    let Some(s) =
        TestServer::start_demo(db, "open_data_chengdu", None, lc_server::Demo::Chengdu).await
    else {
        return;
    };
    let (st, v) = s
        .get(&Auth::Anonymous, "/api/3/action/package_search?q=outlets")
        .await;
    let r = result(st, &v);
    assert_eq!(names(&r["results"])[0], "outlets");
    let outlets = download(&s, "outlets.csv").await;
    assert_eq!(outlets.len(), 821, "the demo's outlets");
    let communities = download(&s, "communities.csv").await;
    assert!(
        communities
            .iter()
            .filter(|r| r["level"] == "community")
            .count()
            >= 200
    );
    let checked = no_small_cell_anywhere(&s).await;
    assert!(checked > 800, "{checked} person-count cells checked");
    assert!(registry_exports_are_safe(&s).await.len() >= 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chengdu_demo_sqlite() {
    chengdu_demo(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chengdu_demo_postgres() {
    chengdu_demo(Db::Postgres).await;
}
