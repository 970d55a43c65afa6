//! The planner's pages (issue 14 item 5) through their own forms, on the real server with the
//! CAU walking network (SQLite and PostgreSQL), with a cookie-keeping client that follows no
//! redirect by itself: the latest assessment by region (a map of regions coloured by the share
//! of their indicators met, a table by region, one region's indicators against the 2025
//! targets, a region selector), and siting scenarios (the form posts, the result page shows the
//! sites on a map and in a table with the proven bound and gap in words). Figures on the pages
//! are checked against the API's own answers.

mod common;

use std::time::Duration;

use common::browser::{flash, Browser};
use common::{cau_network, Auth, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The part of a page inside the element with `data-testid="…"` (up to its table's or
/// figure's end).
fn section<'a>(html: &'a str, testid: &str, end: &str) -> &'a str {
    let at = html
        .find(&format!("data-testid=\"{testid}\""))
        .unwrap_or_else(|| panic!("{testid} in {html}"));
    let rest = &html[at..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

const CANDIDATES: &str = "id,name,lon,lat
K1,富润家园旁地块,116.3481,39.9990
K2,农大北区旁地块,116.3493,40.0082
K3,静淑苑旁地块,116.3442,40.0038
K4,双泉嘉苑旁地块,116.3531,40.0093
K5,学府公馆旁地块,116.3563,40.0061
K6,清华东路地块,116.3441,40.0011
";

async fn assessment_run(s: &TestServer, admin: &Auth) -> i64 {
    let (st, job) = s
        .post(admin, "/api/assessments/runs", json!({"label": "规划评估"}))
        .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    for _ in 0..2400 {
        let (_, v) = s.get(admin, &format!("/api/assessments/jobs/{id}")).await;
        if v["status"] != json!("running") {
            assert_eq!(v["status"], json!("done"), "{v}");
            return v["run_id"].as_i64().unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the assessment did not finish");
}

async fn planner_pages(s: &TestServer) {
    let admin = s.admin().await;
    let (st, v) = s
        .upload(
            &admin,
            "/api/siting/candidates/import",
            CANDIDATES,
            Some("text/csv"),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s.post(&admin, "/api/facilities", json!({"id": "OLD-CANTEEN", "name": "双泉食堂", "category": "community_canteen", "lon": 116.3532, "lat": 40.0097})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let run = assessment_run(s, &admin).await;
    let (_, detail) = s.get(&admin, &format!("/api/assessments/{run}")).await;
    let rows = detail["indicators"].as_array().unwrap().clone();

    let mut b = Browser::new(s);
    b.login("admin", common::ADMIN_PASSWORD).await;

    // --- The latest assessment by region -------------------------------------------------
    let p = b.get("/planner").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    // The level and plan the page chose (its selects), and the regions of that level.
    let chosen = |name: &str| -> String {
        let at = p.html.find(&format!("<select id=\"{name}\"")).unwrap();
        let rest = &p.html[at..];
        let rest = &rest[..rest.find("</select>").unwrap()];
        let at = rest.find(" selected>").unwrap();
        let before = &rest[..at];
        let v = &before[before.rfind("value=\"").unwrap() + 7..];
        v[..v.find('"').unwrap()].to_string()
    };
    let (level, plan) = (chosen("level"), chosen("plan"));
    let mine: Vec<&Value> = rows
        .iter()
        .filter(|r| r["level"] == json!(level) && r["plan"] == json!(plan))
        .collect();
    let mut regions: Vec<String> = Vec::new();
    for r in &mine {
        let c = r["region_code"].as_str().unwrap().to_string();
        if !regions.contains(&c) {
            regions.push(c);
        }
    }
    assert!(!regions.is_empty(), "{level} {plan}");
    // The region map: one circle per region, coloured by its indicators met; a legend.
    let map = section(&p.html, "region-map", "</svg>");
    assert_eq!(
        map.matches("<g class=\"rg rg-").count(),
        regions.len(),
        "{map}"
    );
    assert!(p.html.contains("class=\"lg-good\""));
    // The community map still has one dot per community (no region circle counted).
    let (_, view) = s
        .get(&admin, &format!("/api/assessments/{run}/communities"))
        .await;
    assert_eq!(
        p.html.matches("<g class=\"mk mk-").count(),
        view["communities"].as_array().unwrap().len()
    );
    // The table by region: each region's met / computable, from the API's rows.
    let table = section(&p.html, "regions", "</table>");
    for code in &regions {
        let of: Vec<&&Value> = mine
            .iter()
            .filter(|r| r["region_code"] == json!(code))
            .collect();
        let met = of.iter().filter(|r| r["met"] == json!("yes")).count();
        let computable = of
            .iter()
            .filter(|r| r["met"] == json!("yes") || r["met"] == json!("no"))
            .count();
        let at = table
            .find(&format!("data-region=\"{code}\""))
            .unwrap_or_else(|| panic!("{code} in {table}"));
        let row = &table[at..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(
            row.contains(&format!("{met} / {computable}")),
            "{code}: {row}"
        );
        let class = if computable == 0 {
            "none"
        } else if met == computable {
            "good"
        } else if met * 2 >= computable {
            "mid"
        } else {
            "bad"
        };
        assert!(row.contains(&format!("data-class=\"{class}\"")), "{row}");
    }
    // The first region's indicators, each against its target.
    let detail_table = section(&p.html, "region-indicators", "</table>");
    let first: Vec<&&Value> = mine
        .iter()
        .filter(|r| r["region_code"] == json!(regions[0]))
        .collect();
    assert_eq!(detail_table.matches("<tr data-met=").count(), first.len());
    assert!(detail_table.contains("2025"), "{detail_table}");
    // Another region by the selector.
    let last = regions.last().unwrap();
    let p = b
        .get(&format!(
            "/planner?run={run}&level={level}&plan={}&region={last}",
            plan
        ))
        .await;
    assert_eq!(p.status, StatusCode::OK);
    let detail_table = section(&p.html, "region-indicators", "</table>");
    let n_last = mine
        .iter()
        .filter(|r| r["region_code"] == json!(last))
        .count();
    assert_eq!(detail_table.matches("<tr data-met=").count(), n_last);
    assert!(
        p.html.contains(&format!("value=\"{last}\" selected")),
        "the selector shows the region chosen"
    );
    assert_eq!(
        section(&p.html, "region-map", "</svg>")
            .matches("rg-selected")
            .count(),
        1
    );

    // --- A siting scenario from the form -------------------------------------------------
    let p = b.get("/planner/siting").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert_eq!(p.html.matches("name=\"candidate\"").count(), 6);
    let csrf = b.csrf();
    let p = b
        .post(
            "/planner/siting",
            &[
                ("_csrf", &csrf),
                ("category", "community_canteen"),
                ("sites", "2"),
                ("max_distance", "500"),
                ("which", "all"),
            ],
        )
        .await;
    assert!(p.location.starts_with("/planner/siting/"), "{}", p.location);
    let id: i64 = p.location["/planner/siting/".len()..].parse().unwrap();
    let page = b.follow(p).await;
    assert_eq!(flash(&page.html), "选址方案已算出");
    let (st, api) = s.get(&admin, &format!("/api/siting/runs/{id}")).await;
    assert_eq!(st, StatusCode::OK);
    let sites = api["sites_chosen"].as_array().unwrap();
    assert!(!sites.is_empty(), "{api}");
    let table = section(&page.html, "sites", "</table>");
    for x in sites {
        let at = table
            .find(&format!(
                "data-site=\"{}\"",
                x["candidate_id"].as_str().unwrap()
            ))
            .unwrap_or_else(|| panic!("{x} in {table}"));
        let row = &table[at..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(row.contains(x["name"].as_str().unwrap()), "{row}");
        assert!(
            row.contains(&format!(
                "<td>{:.0}</td>",
                x["newly_covered"].as_f64().unwrap()
            )),
            "{row}"
        );
        assert!(
            row.contains(&format!(
                "<td>{:.0}</td>",
                x["cumulative"].as_f64().unwrap()
            )),
            "{row}"
        );
    }
    // The map: the chosen sites numbered, the others grey, the communities newly covered.
    let map = section(&page.html, "map", "</svg>");
    assert_eq!(map.matches("mk-site").count(), sites.len(), "{map}");
    assert_eq!(map.matches("mk-cand").count(), 6 - sites.len(), "{map}");
    let newly: usize = sites
        .iter()
        .map(|x| x["communities"].as_array().unwrap().len())
        .sum();
    assert_eq!(map.matches("mk-new").count(), newly, "{map}");
    assert!(map.contains(">1</text>"), "{map}");
    // The bound and the gap in words.
    let proof = section(&page.html, "siting-proof", "</p>");
    let bound = format!("{:.0}", api["bound"].as_f64().unwrap());
    assert!(
        proof.contains(&format!("data-bound=\"{bound}\"")),
        "{proof}"
    );
    if api["optimal"] == json!(true) {
        assert!(proof.contains("已证明这是最优方案"), "{proof}");
    } else {
        assert!(
            proof.contains("最多覆盖") && proof.contains(&bound),
            "{proof}"
        );
    }
    let summary = section(&page.html, "siting-summary", "</p>");
    assert!(
        summary.contains(&format!("{:.0} 人", api["covered_after"].as_f64().unwrap())),
        "{summary}"
    );
    // In English.
    let p = b
        .get(&format!("/prefs?lang=en&back=/planner/siting/{id}"))
        .await;
    let page = b.follow(p).await;
    let proof = section(&page.html, "siting-proof", "</p>");
    assert!(
        proof.contains("Proven optimal") || proof.contains("Proven bound"),
        "{proof}"
    );
    let p = b.get("/prefs?lang=zh&back=/planner").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    // Listed among the earlier scenarios.
    let p = b.get("/planner/siting").await;
    assert!(
        section(&p.html, "scenarios", "</table>").contains(&format!("/planner/siting/{id}")),
        "{}",
        p.html
    );

    // Ticked candidates only; none ticked is refused on the page; the API's refusal shown.
    let csrf = b.csrf();
    let p = b
        .post(
            "/planner/siting",
            &[
                ("_csrf", &csrf),
                ("category", "community_canteen"),
                ("sites", "1"),
                ("which", "some"),
                ("candidate", "K3"),
            ],
        )
        .await;
    let page = b.follow(p).await;
    assert!(page.html.contains("data-site=\"K3\""), "{}", page.html);
    for (form, says) in [
        (
            vec![
                ("category", "community_canteen"),
                ("sites", "1"),
                ("which", "some"),
            ],
            "请勾选至少一处候选用地",
        ),
        (
            vec![
                ("category", "community_canteen"),
                ("sites", "0"),
                ("which", "all"),
            ],
            "选址数量应在 1 至 20 之间",
        ),
        (
            vec![
                ("category", "no_such_kind"),
                ("sites", "2"),
                ("which", "all"),
            ],
            "未知的设施类别",
        ),
    ] {
        let mut f = vec![("_csrf", csrf.as_str())];
        f.extend(form);
        let p = b.post("/planner/siting", &f).await;
        assert_eq!(p.location, "/planner/siting");
        let page = b.follow(p).await;
        assert!(
            flash(&page.html).contains(says),
            "{says}: {}",
            flash(&page.html)
        );
    }
    // A stale form is refused.
    let p = b
        .post(
            "/planner/siting",
            &[
                ("_csrf", "stale"),
                ("category", "community_canteen"),
                ("sites", "1"),
            ],
        )
        .await;
    let page = b.follow(p).await;
    assert!(
        flash(&page.html).contains("页面已过期"),
        "{}",
        flash(&page.html)
    );
    let (_, list) = s.get(&admin, "/api/siting/runs").await;
    assert_eq!(
        list["total"],
        json!(2),
        "only the two good scenarios were run"
    );

    // The compact form on /planner posts the same way.
    let p = b.get("/planner").await;
    assert!(p.html.contains("data-testid=\"run-siting\""));
    // A resident sees neither the form nor the scenarios.
    s.user(&admin, "planner-resident", "resident", json!({}))
        .await;
    let mut r = Browser::new(s);
    r.login("planner-resident", "password-123456").await;
    let p = r.get("/planner").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(!p.html.contains("run-siting"));
    assert!(p.html.contains("data-testid=\"region-map\""));
    let p = r.get(&format!("/planner/siting/{id}")).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let csrf = r.csrf();
    let p = r
        .post(
            "/planner/siting",
            &[
                ("_csrf", &csrf),
                ("category", "community_canteen"),
                ("sites", "1"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
}

mod planner_pages {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let s = super::TestServer::start_with_network(
            super::common::Db::Sqlite,
            "portal_planner_pages",
            Some(super::cau_network()),
        )
        .await
        .unwrap();
        super::planner_pages(&s).await;
        s.stop().await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let Some(s) = super::TestServer::start_with_network(
            super::common::Db::Postgres,
            "portal_planner_pages",
            Some(super::cau_network()),
        )
        .await
        else {
            return;
        };
        super::planner_pages(&s).await;
        s.stop().await;
    }
}
