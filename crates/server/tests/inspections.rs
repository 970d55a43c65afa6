//! 双随机、一公开 over HTTP, on SQLite and PostgreSQL: a spot check announced with its pools frozen
//! from the registry and the seed fixed in advance, drawn, replayed offline from its manifest
//! (and refused once one pool entry is changed), no conflicted or unqualified inspector ever
//! drawn, the counts per class following the ratios, the results recorded and published with the
//! deadline worked out by hand, the class moved by a finding, the public answers free of any
//! class; redraws logged with their reasons; plans that cannot be drawn refused before any
//! randomness.

mod common;

use common::{assert_error, set_clock, uscc, Auth, TestServer};
use lc_credit::draw::{self, Manifest, PublicResult, Published};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A valid unified social credit code for enterprise number `n` in Haidian (110108).
const SECRET: &str = "7f3a9c0e5b2d4f6a8c1e3b5d7f9a2c4e";
const SOURCE: &str = "中国福利彩票3D 第2026300期";

/// The registry of the scenarios: providers 0–6 with two canteens each in Xueyuanlu street
/// (110108010), provider 7 with two filed under the district only (110108), one canteen without
/// a provider; provider 0 with two
/// penalties this year (class C), provider 1 with one (class B), the others clean (A). Check
/// items SP-01 (key, needs 食品安全) and GEN-01 (general); inspectors I1–I6: I1 works for
/// provider 2, I2 declared a conflict with provider 3, I6 lacks the qualification.
async fn world(s: &TestServer) -> Auth {
    let admin = s.admin().await;
    let (_, regulator) = s.user(&admin, "regulator", "regulator", json!({})).await;
    set_clock(s, "2026-11-02T09:00:00+08:00");
    for p in 0..8u32 {
        let (st, v) = s
            .post(
                &admin,
                "/api/providers",
                json!({"uscc": uscc(p), "name": format!("第{p}助餐公司")}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let division = if p == 7 { "110108" } else { "110108010001" };
        for k in 0..2 {
            let id = format!("F{p}{k}");
            let (st, v) = s.post(&admin, "/api/facilities", json!({"id": id, "name": format!("{id} 助餐点"), "category": "community_canteen", "lon": 116.348, "lat": 39.998, "provider_code": uscc(p), "division_code": division})).await;
            assert_eq!(st, StatusCode::CREATED, "{v}");
        }
    }
    let (st, v) = s.post(&admin, "/api/facilities", json!({"id": "F-NONE", "name": "无主助餐点", "category": "community_canteen", "lon": 116.348, "lat": 39.998, "division_code": "110108010"})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let header = "CF_XDR_MC,CF_XDR_SHXYM,CF_FRDB,CF_WSH,CF_WFXW,CF_SY,CF_YJ,CF_CFLB,CF_NR,CF_NR_FK,CF_JDRQ,CF_CFJG,CF_CFJGDM,CF_SJLY,CF_SJLYDM";
    let authority = "11510107MB1535302N";
    let row = |p: u32, doc: &str, day: &str| {
        format!("第{p}助餐公司,{},张三,{doc},经营超过保质期的食品,检查发现,《食品安全法》,罚款,\"罚款0.5万元\",0.5,{day},海淀区市场监督管理局,{authority},海淀区市场监督管理局,{authority}", uscc(p))
    };
    let file = format!(
        "{header}\n{}\n{}\n{}\n",
        row(0, "海市监罚〔2026〕1号", "2026-03-01"),
        row(0, "海市监罚〔2026〕2号", "2026-06-01"),
        row(1, "海市监罚〔2026〕3号", "2026-07-01")
    );
    let (st, v) = s
        .upload(
            &regulator,
            "/api/credit/penalties/import",
            file,
            Some("text/csv"),
        )
        .await;
    assert_eq!((st, &v["created"]), (StatusCode::OK, &json!(3)), "{v}");
    let (_, v) = s.get(&regulator, "/api/credit/classes").await;
    let classes: Vec<(&str, &str)> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["subject_uscc"].as_str().unwrap(),
                r["risk_class"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        classes,
        [(uscc(0).as_str(), "C"), (uscc(1).as_str(), "B")],
        "{v}"
    );
    for (code, name, kind, quals) in [
        (
            "SP-01",
            "食品安全管理制度落实情况",
            "key",
            json!(["食品安全"]),
        ),
        ("gen-01", "明码标价情况", "general", json!([])),
    ] {
        let (st, v) = s
            .post(&regulator, "/api/check-items", json!({"code": code, "name": name, "kind": kind, "qualifications": quals, "legal_basis": "《食品安全法》"}))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    for (code, quals, affiliation, conflicts) in [
        ("I1", json!(["食品安全"]), json!(uscc(2)), json!([])),
        (
            "I2",
            json!(["食品安全", "价格"]),
            json!(null),
            json!([uscc(3)]),
        ),
        ("I3", json!(["食品安全"]), json!(null), json!([])),
        ("I4", json!(["食品安全"]), json!(null), json!([])),
        ("I5", json!(["食品安全"]), json!(null), json!([])),
        ("I6", json!(["价格"]), json!(null), json!([])),
    ] {
        let (st, v) = s
            .post(&regulator, "/api/inspectors", json!({"code": code, "name": format!("检查员{code}"), "department": "海淀区市场监督管理局", "qualifications": quals, "affiliation": affiliation, "conflicts": conflicts}))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    regulator
}

fn announce_body(items: Value) -> Value {
    json!({
        "label": "2026年第四季度社区助餐点双随机抽查",
        "categories": ["community_canteen"],
        "division_code": "110108010",
        "check_items": items,
        "seed_commitment": draw::commitment(SECRET),
        "public_value_sources": [SOURCE],
        "draw_on": "2026-11-03",
    })
}

async fn manifest(s: &TestServer, who: &Auth, id: i64) -> Manifest {
    let (st, bytes) = s
        .bytes(who, &format!("/api/spot-checks/{id}/manifest"))
        .await;
    assert_eq!(st, StatusCode::OK);
    serde_json::from_slice(&bytes).unwrap()
}

/// The whole way: announce, draw, verify offline, record, publish.
async fn a_spot_check_from_announcement_to_publication(s: &TestServer) {
    let regulator = world(s).await;
    let (st, v) = s
        .post(
            &regulator,
            "/api/spot-checks",
            announce_body(json!(["sp-01"])),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    // 14 canteens of providers 0–6 in the street; provider 7's are outside its prefix; the one
    // without a provider is left out, and said so.
    assert_eq!(
        (&v["objects"], &v["inspectors"], &v["status"]),
        (&json!(14), &json!(6), &json!("announced")),
        "{v}"
    );
    assert_eq!(v["left_out"][0]["id"], json!("F-NONE"), "{v}");
    let objects_sha = v["objects_sha256"].as_str().unwrap().to_string();
    let inspectors_sha = v["inspectors_sha256"].as_str().unwrap().to_string();
    // Announced publicly before the draw: hashes, commitment, source; no drawn list.
    let (_, v) = s.get(&Auth::Anonymous, "/api/public/spot-checks").await;
    assert_eq!(v[0]["objects_sha256"], json!(objects_sha), "{v}");
    assert_eq!(
        v[0]["seed_commitment"],
        json!(draw::commitment(SECRET)),
        "{v}"
    );
    assert_eq!(v[0]["public_value_sources"], json!([SOURCE]), "{v}");
    assert_eq!(v[0]["manifest_sha256"], json!(null), "{v}");
    // Not before the announced day; not with another secret or other sources.
    let good = json!({"reveal": SECRET, "public_values": [{"source": SOURCE, "value": "5 0 8"}]});
    let (st, v) = s
        .post(
            &regulator,
            &format!("/api/spot-checks/{id}/draw"),
            good.clone(),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "too_early");
    set_clock(s, "2026-11-03T21:30:00+08:00");
    let (st, v) = s
        .post(&regulator, &format!("/api/spot-checks/{id}/draw"), json!({"reveal": "another secret of sixteen+", "public_values": [{"source": SOURCE, "value": "5 0 8"}]}))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], json!("reveal"), "{v}");
    let (st, v) = s
        .post(
            &regulator,
            &format!("/api/spot-checks/{id}/draw"),
            json!({"reveal": SECRET, "public_values": [{"source": "另一期", "value": "1"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], json!("public_values"), "{v}");
    // A provider's staff, the public: refused.
    let (st, _) = s
        .post(
            &Auth::Anonymous,
            &format!("/api/spot-checks/{id}/draw"),
            good.clone(),
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, v) = s
        .post(
            &regulator,
            &format!("/api/spot-checks/{id}/draw"),
            good.clone(),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // A: ceil(10 × 5%) = 1; B: ceil(2 × 15%) = 1; C: ceil(2 × 40%) = 1; D: none.
    assert_eq!(v["drawn"], json!(3), "{v}");
    let (st, v) = s
        .post(&regulator, &format!("/api/spot-checks/{id}/draw"), good)
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "wrong_status");

    // The manifest replays offline to the same result.
    let m = manifest(s, &regulator, id).await;
    let report = draw::verify_published(
        &m,
        &Published {
            objects_sha256: Some(objects_sha.clone()),
            inspectors_sha256: Some(inspectors_sha.clone()),
            commitment: Some(draw::commitment(SECRET)),
            ..Published::default()
        },
    );
    assert!(report.verified, "{:?}", report.findings);
    let counts: Vec<(usize, usize)> = m
        .result
        .classes
        .iter()
        .map(|c| (c.pool_size, c.count))
        .collect();
    assert_eq!(counts, [(10, 1), (2, 1), (2, 1), (0, 0)]);
    for d in m.drawn() {
        assert_eq!(d.inspectors.len(), 2, "{d:?}");
        assert_ne!(d.inspectors[0], d.inspectors[1]);
        assert!(
            !d.inspectors.contains(&"I6".to_string()),
            "unqualified: {d:?}"
        );
        if d.provider_code == uscc(2) {
            assert!(
                !d.inspectors.contains(&"I1".to_string()),
                "affiliated: {d:?}"
            );
        }
        if d.provider_code == uscc(3) {
            assert!(
                !d.inspectors.contains(&"I2".to_string()),
                "conflicted: {d:?}"
            );
        }
    }
    // One changed pool entry fails verification.
    let mut tampered = m.clone();
    tampered.objects[0].category = "elderly_care".into();
    assert!(!draw::verify(&tampered).verified);
    let mut tampered = m.clone();
    let i2 = tampered
        .inspectors
        .iter()
        .position(|i| i.id == "I2")
        .unwrap();
    assert!(!tampered.inspectors[i2].conflicts.is_empty());
    tampered.inspectors[i2].conflicts.clear();
    assert!(!draw::verify(&tampered).verified);

    // Drawn, not published: the public sees no list yet.
    let (st, _) = s
        .get(
            &Auth::Anonymous,
            &format!("/api/public/spot-checks/{id}/draw"),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, v) = s
        .post(
            &regulator,
            &format!("/api/spot-checks/{id}/publish"),
            json!({}),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "results_missing");

    // Results: the C-class object's check found a problem to rectify.
    set_clock(s, "2026-11-04T16:00:00+08:00");
    let drawn: Vec<(String, String)> = m
        .drawn()
        .map(|d| (d.object.clone(), d.provider_code.clone()))
        .collect();
    let c_object = m.result.classes[2].objects[0].object.clone();
    let c_provider = m.result.classes[2].objects[0].provider_code.clone();
    let (st, v) = s
        .post(&regulator, &format!("/api/spot-checks/{id}/results"), json!({"object_id": "F00-not-drawn", "outcome": "no_problem", "checked_on": "2026-11-04"}))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (st, v) = s
        .post(&regulator, &format!("/api/spot-checks/{id}/results"), json!({"object_id": c_object, "outcome": "rectify_ordered", "checked_on": "2026-11-04"}))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["findings", "rectification_due"], "{v}");
    for (object, _) in &drawn {
        let body = if *object == c_object {
            json!({"object_id": object, "outcome": "rectify_ordered", "findings": "留样记录不全", "checked_on": "2026-11-04", "rectification_due": "2026-11-18"})
        } else {
            json!({"object_id": object, "outcome": "no_problem", "checked_on": "2026-11-04"})
        };
        let (st, v) = s
            .post(&regulator, &format!("/api/spot-checks/{id}/results"), body)
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    // The finding counts in the class: 35 (two penalties) + 20 (a failed spot check) = 55.
    let (_, v) = s.get(&regulator, "/api/credit/classes").await;
    let row = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["subject_uscc"] == json!(c_provider))
        .unwrap()
        .clone();
    assert_eq!(
        (&row["score"], &row["risk_class"]),
        (&json!(55), &json!("C")),
        "{row}"
    );

    // Three weeks on, nothing published and nothing rectified: two early warnings — the
    // rectification (due 2026-11-18) for the provider, the publication (due 2026-12-02, within
    // the rule's 5 days) for the regulator.
    set_clock(s, "2026-11-27T10:00:00+08:00");
    let (st, v) = s
        .post(&regulator, "/api/warnings/evaluate", json!({}))
        .await;
    assert_eq!((st, &v["raised"]), (StatusCode::OK, &json!(2)), "{v}");
    let (_, v) = s.get(&regulator, "/api/warnings").await;
    let mut raised: Vec<(&str, &str, &Value)> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["rule"].as_str().unwrap(),
                w["assignee"].as_str().unwrap(),
                &w["provider_code"],
            )
        })
        .collect();
    raised.sort_by_key(|r| r.0);
    assert_eq!(
        raised,
        [
            ("spot_check_publication_due", "regulator", &json!(null)),
            (
                "spot_check_rectification_overdue",
                "provider",
                &json!(c_provider)
            )
        ],
        "{v}"
    );

    // Published: the deadline is 20 working days after the last check, 2026-11-04 → 2026-12-02.
    let (st, v) = s
        .post(
            &regulator,
            &format!("/api/spot-checks/{id}/publish"),
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["status"], &v["publish_due"]),
        (&json!("published"), &json!("2026-12-02")),
        "{v}"
    );
    let (st, v) = s
        .get(
            &Auth::Anonymous,
            &format!("/api/public/spot-checks/{id}/draw"),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(
        !v.to_string().contains("\"class\""),
        "no class in public: {v}"
    );
    let public: PublicResult = serde_json::from_value(v).unwrap();
    let report = draw::verify_published(
        &m,
        &Published {
            public: Some(public),
            ..Published::default()
        },
    );
    assert!(report.verified, "{:?}", report.findings);
    let (_, v) = s
        .get(&Auth::Anonymous, "/api/public/spot-check-results")
        .await;
    assert_eq!(v["count"], json!(3), "{v}");
    assert!(!v.to_string().contains("risk_class"), "{v}");
    let mine: Vec<&Value> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["object_id"] == json!(c_object))
        .collect();
    assert_eq!(mine[0]["outcome_zh"], json!("发现问题，已责令整改"), "{v}");
    assert_eq!(mine[0]["published_on"], json!("2026-11-27"), "{v}");
    let (st, text, _) = s
        .raw(
            &Auth::Anonymous,
            "GET",
            "/api/public/spot-check-results?format=csv",
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(text.contains("留样记录不全"), "{text}");
    // Rectified (late); after publication no redraw.
    let (st, v) = s
        .post(
            &regulator,
            &format!("/api/spot-checks/{id}/results/{c_object}/rectified"),
            json!({"on": "2026-11-20", "note": "已补全留样记录"}),
        )
        .await;
    assert_eq!(
        (st, &v["rectified_on"]),
        (StatusCode::OK, &json!("2026-11-20")),
        "{v}"
    );
    // Both conditions are gone: both warnings resolve by themselves.
    let (_, v) = s
        .post(&regulator, "/api/warnings/evaluate", json!({}))
        .await;
    assert_eq!((&v["cleared"], &v["open"]), (&json!(2), &json!(0)), "{v}");
    let (st, v) = s
        .post(
            &regulator,
            &format!("/api/spot-checks/{id}/redraw"),
            json!({"reason": "x", "public_value_sources": ["y"], "draw_on": "2026-12-01"}),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "wrong_status");
    let (_, v) = s
        .get(&regulator, &format!("/api/spot-checks/{id}/events"))
        .await;
    let actions: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "announce",
            "draw",
            "result",
            "result",
            "result",
            "publish",
            "rectified"
        ],
        "{v}"
    );
}

both!(a_spot_check_from_announcement_to_publication);

/// Plans that cannot be drawn are refused when announced; a redraw is logged with its reason,
/// names the manifest it replaces and happens once; none after results.
async fn refusals_and_redraws(s: &TestServer) {
    let regulator = world(s).await;
    // A general item caps the ratios (D at most 100%, C 60%): C at 70% is refused.
    let mut body = announce_body(json!(["SP-01", "GEN-01"]));
    body["ratios"] = json!({"a": 500, "b": 1500, "c": 7000, "d": 8000});
    let (st, v) = s.post(&regulator, "/api/spot-checks", body).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["code"], json!("ratio_above_cap"), "{v}");
    // Five inspectors per object: provider 2's canteens have only four eligible.
    let mut body = announce_body(json!(["SP-01"]));
    body["inspectors_per_object"] = json!(5);
    let (st, v) = s.post(&regulator, "/api/spot-checks", body).await;
    assert_error(st, &v, StatusCode::UNPROCESSABLE_ENTITY, "unstaffable");
    let mut body = announce_body(json!(["SP-01"]));
    body["division_code"] = json!("4401");
    let (st, v) = s.post(&regulator, "/api/spot-checks", body).await;
    assert_error(st, &v, StatusCode::UNPROCESSABLE_ENTITY, "empty_pool");
    let mut body = announce_body(json!(["SP-01", "NOPE"]));
    body.as_object_mut().unwrap().remove("seed_commitment");
    body["public_value_sources"] = json!([]);
    body["draw_on"] = json!("2026-11-01");
    let (st, v) = s.post(&regulator, "/api/spot-checks", body).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let codes: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["seed_required", "in_the_past"], "{v}");
    let (st, v) = s
        .post(
            &regulator,
            "/api/spot-checks",
            announce_body(json!(["SP-01", "NOPE"])),
        )
        .await;
    assert_eq!(
        (st, &v["errors"][0]["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("check_items[0]")),
        "{v}"
    );

    // The pools: duplicates, bad codes, stale versions.
    let (st, v) = s
        .post(
            &regulator,
            "/api/inspectors",
            json!({"code": "I1", "name": "x", "department": "y"}),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "conflict");
    let (st, v) = s.post(&regulator, "/api/inspectors", json!({"code": "I9", "name": "x", "department": "y", "conflicts": ["91110108MA0000000X"]})).await;
    assert_eq!(
        (st, &v["errors"][0]["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("conflicts[0]")),
        "{v}"
    );
    let resp = s
        .request(&regulator, "PATCH", "/api/inspectors/I3")
        .header("if-match", "\"7\"")
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT, "stale If-Match");
    let (st, v) = s
        .patch(
            &regulator,
            "/api/inspectors/I3",
            json!({"qualifications": ["价格", "食品安全"]}),
        )
        .await;
    assert_eq!(
        (st, &v["version"], &v["qualifications"]),
        (StatusCode::OK, &json!(1), &json!(["价格", "食品安全"])),
        "{v}"
    );

    // Announce and draw; then redraw because an outlet closed.
    let (st, v) = s
        .post(
            &regulator,
            "/api/spot-checks",
            announce_body(json!(["SP-01"])),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let first = v["id"].as_i64().unwrap();
    set_clock(s, "2026-11-03T21:30:00+08:00");
    let good = json!({"reveal": SECRET, "public_values": [{"source": SOURCE, "value": "5 0 8"}]});
    let (st, v) = s
        .post(&regulator, &format!("/api/spot-checks/{first}/draw"), good)
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let first_sha = v["manifest_sha256"].as_str().unwrap().to_string();
    let (st, v) = s
        .post(
            &regulator,
            &format!("/api/spot-checks/{first}/redraw"),
            json!({"public_value_sources": [SOURCE], "draw_on": "2026-11-04"}),
        )
        .await;
    assert_eq!(
        (st, &v["errors"][0]["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("reason")),
        "{v}"
    );
    let reason = "抽中的助餐点已停业注销 | a drawn canteen has closed";
    let source2 = "中国福利彩票3D 第2026301期";
    let (st, v) = s
        .post(
            &regulator,
            &format!("/api/spot-checks/{first}/redraw"),
            json!({"reason": reason, "public_value_sources": [source2], "draw_on": "2026-11-04"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let second = v["id"].as_i64().unwrap();
    assert_eq!(
        (&v["redraw_of"], &v["redraw_reason"]),
        (&json!(first), &json!(reason)),
        "{v}"
    );
    let (st, v) = s
        .post(
            &regulator,
            &format!("/api/spot-checks/{first}/redraw"),
            json!({"reason": reason, "public_value_sources": [source2], "draw_on": "2026-11-04"}),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "wrong_status");
    let (_, v) = s
        .get(&regulator, &format!("/api/spot-checks/{first}"))
        .await;
    assert_eq!(
        (&v["status"], &v["superseded_by"]),
        (&json!("superseded"), &json!(second)),
        "{v}"
    );
    assert_eq!(v["results"], json!([]), "{v}");
    let (_, v) = s
        .get(&regulator, &format!("/api/spot-checks/{first}/events"))
        .await;
    let last = v.as_array().unwrap().last().unwrap();
    assert_eq!(
        (&last["action"], &last["detail"]["reason"]),
        (&json!("redraw"), &json!(reason)),
        "{v}"
    );
    // The new draw names the manifest it replaces and verifies; the public sees the chain.
    set_clock(s, "2026-11-04T21:30:00+08:00");
    let (st, v) = s
        .post(
            &regulator,
            &format!("/api/spot-checks/{second}/draw"),
            json!({"public_values": [{"source": source2, "value": "1 2 3"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let m = manifest(s, &regulator, second).await;
    assert_eq!(
        (m.redraw_of.as_deref(), m.redraw_reason.as_deref()),
        (Some(first_sha.as_str()), Some(reason))
    );
    let report = draw::verify_published(
        &m,
        &Published {
            previous_sha256: Some(first_sha.clone()),
            ..Published::default()
        },
    );
    assert!(report.verified, "{:?}", report.findings);
    let (_, v) = s.get(&Auth::Anonymous, "/api/public/spot-checks").await;
    assert_eq!(
        (&v[0]["id"], &v[0]["redraw_of"], &v[0]["redraw_reason"]),
        (&json!(second), &json!(first), &json!(reason)),
        "{v}"
    );
    assert_eq!(
        (&v[1]["status"], &v[1]["manifest_sha256"]),
        (&json!("superseded"), &json!(first_sha)),
        "{v}"
    );
    // With a result recorded, no redraw.
    let object = m.drawn().next().unwrap().object.clone();
    let (st, v) = s
        .post(&regulator, &format!("/api/spot-checks/{second}/results"), json!({"object_id": object, "outcome": "unreachable", "findings": "登记地址无人", "checked_on": "2026-11-04"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s
        .post(
            &regulator,
            &format!("/api/spot-checks/{second}/redraw"),
            json!({"reason": reason, "public_value_sources": ["z"], "draw_on": "2026-11-05"}),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "results_recorded");
}

both!(refusals_and_redraws);
