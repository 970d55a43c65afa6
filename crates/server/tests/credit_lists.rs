//! Credit commitments, rewards and red and black lists (issue 13) over HTTP, on SQLite and
//! PostgreSQL: commitment codes allocated by the server and worked out by hand (division, date
//! and serial; consecutive under concurrent creates; an imported code kept); imports that write
//! nothing on a bad row; fulfilment assessed compare-and-set with its history; the class moved
//! by a broken commitment and by the black list and back; publicity without the non-public
//! commitments, with exited entries gone on their exit day; the listed inclusive outlets.

mod common;

use common::{assert_error, set_clock, Auth, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

const P: &str = "91310110666007217T";
const Q: &str = "91310115591693856A";
const AUTHORITY: &str = "11510107MB1535302N";

/// A commitment of P made on `made_on`, 可向社会公开 unless `publication` says otherwise.
fn commitment(made_on: &str, publication: &str, extra: Value) -> Value {
    let mut v = json!({
        "committer_name": "甲家政公司",
        "committer_kind": "organisation",
        "committer_code": P,
        "kind": "industry_self_discipline",
        "cause": "纳入普惠性家政服务网点清单",
        "content": "按公示价格提供服务，不降低服务质量",
        "liability": "违诺的，退出清单并记入信用记录",
        "made_on": made_on,
        "accepted_by": "城关区商务局",
        "accepted_by_code": AUTHORITY,
        "publication": publication,
    });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

async fn providers(s: &TestServer, admin: &Auth) {
    for (code, name, division) in [
        (P, "甲家政公司", json!("110108")),
        (Q, "乙养老公司", Value::Null),
    ] {
        let (st, v) = s
            .post(
                admin,
                "/api/providers",
                json!({"uscc": code, "name": name, "division_code": division}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
}

async fn codes(s: &TestServer, who: &Auth, query: &str) -> Vec<String> {
    let (st, v) = s
        .get(who, &format!("/api/credit/commitments?limit=1000{query}"))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let mut out: Vec<String> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["code"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

const IMPORT_HEADER: &str = "code,division,committer_name,committer_kind,committer_code,kind,content,liability,made_on,accepted_by,accepted_by_code,publication";

fn import_row(code: &str, content: &str) -> String {
    format!("{code},620102,甲家政公司,法人及非法人组织,{P},行业自律型,{content},违诺的退出清单,2026-03-05,城关区商务局,{AUTHORITY},可向社会公开")
}

async fn commitment_codes_are_allocated(s: &TestServer) {
    let admin = s.admin().await;
    providers(s, &admin).await;
    let (_, regulator) = s.user(&admin, "regulator", "regulator", json!({})).await;
    let (_, staff) = s
        .user(
            &admin,
            "staff-p",
            "provider_staff",
            json!({"provider_code": P}),
        )
        .await;
    let (_, other) = s
        .user(
            &admin,
            "staff-q",
            "provider_staff",
            json!({"provider_code": Q}),
        )
        .await;
    set_clock(s, "2026-03-05T10:00:00+08:00");
    // 城关区 620102, made on 2026-03-05: serials 1, 2, 3 of that division and day, whatever
    // the provider's own division; a commitment of the day before starts its own day at 1.
    let mut got = Vec::new();
    for day in ["2026-03-05", "2026-03-05", "2026-03-04", "2026-03-05"] {
        let (st, v) = s
            .post(
                &regulator,
                "/api/credit/commitments",
                commitment(day, "public", json!({"division": "620102"})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        got.push(v["code"].as_str().unwrap().to_string());
    }
    assert_eq!(
        got,
        [
            "62010220260305000001",
            "62010220260305000002",
            "62010220260304000001",
            // The third commitment of 620102 on 2026-03-05.
            "62010220260305000003",
        ]
    );
    // A provider's staff submit their own: the committer is their provider, the division
    // their provider's (海淀区 110108).
    let mut own = commitment("2026-03-05", "public", json!({}));
    own.as_object_mut().unwrap().remove("committer_code");
    let (st, v) = s.post(&staff, "/api/credit/commitments", own).await;
    assert_eq!(
        (st, v["code"].as_str(), v["committer_code"].as_str()),
        (StatusCode::CREATED, Some("11010820260305000001"), Some(P)),
        "{v}"
    );
    let staff_own = v["id"].as_i64().unwrap();
    let (st, v) = s
        .get(&staff, &format!("/api/credit/commitments/{staff_own}"))
        .await;
    assert_eq!(
        (st, &v["commitment"]["created_by"], &v["history"]),
        (StatusCode::OK, &Value::Null, &json!([])),
        "{v}"
    );
    let (st, v) = s
        .post(
            &staff,
            "/api/credit/commitments",
            commitment("2026-03-05", "public", json!({"committer_code": Q})),
        )
        .await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, v) = s
        .post(
            &staff,
            "/api/credit/commitments",
            commitment(
                "2026-03-05",
                "public",
                json!({"fulfilment": "full", "assessed_on": "2026-03-05", "assessed_by": "自评"}),
            ),
        )
        .await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    // Another provider's staff neither read nor list it.
    let (st, _) = s
        .get(&other, &format!("/api/credit/commitments/{staff_own}"))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(codes(s, &other, &format!("&subject={P}")).await.is_empty());
    assert_eq!(codes(s, &staff, "").await.len(), 5, "P's own commitments");
    // Q has no division registered and none was sent: the code cannot be made.
    let (st, v) = s
        .post(
            &regulator,
            "/api/credit/commitments",
            commitment(
                "2026-03-05",
                "public",
                json!({"committer_code": Q, "committer_name": "乙养老公司"}),
            ),
        )
        .await;
    assert_eq!(
        (st, &v["errors"][0]["field"], &v["errors"][0]["code"]),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!("division"),
            &json!("division_unknown")
        ),
        "{v}"
    );
    // Template errors name their fields.
    let (st, v) = s
        .post(
            &regulator,
            "/api/credit/commitments",
            commitment(
                "2026-03-05",
                "public",
                json!({"kind": "承诺", "content": ""}),
            ),
        )
        .await;
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        (st, fields),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["kind", "content"]),
        "{v}"
    );

    // Before 1990 no code can be made.
    let (st, v) = s
        .post(
            &regulator,
            "/api/credit/commitments",
            commitment("1989-12-31", "public", json!({"division": "620102"})),
        )
        .await;
    assert_eq!(
        (st, &v["errors"][0]["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("made_on")),
        "{v}"
    );

    // Import: a code of its own is kept and raises the day's serial past it.
    let file = format!(
        "{IMPORT_HEADER}\n{}\n{}\n",
        import_row("62010220260305000010", "按时足额提供助餐"),
        import_row("", "服务人员持证上岗"),
    );
    let (st, v) = s
        .upload(
            &regulator,
            "/api/credit/commitments/import",
            file,
            Some("text/csv"),
        )
        .await;
    assert_eq!(
        (st, &v["codes"]),
        (
            StatusCode::OK,
            &json!(["62010220260305000010", "62010220260305000011"])
        ),
        "{v}"
    );
    let before = codes(s, &regulator, "").await;
    // A bad row writes nothing, and the answer names its line and field (line 1 is the header).
    let bad = format!(
        "{IMPORT_HEADER}\n{}\n{}\n",
        import_row("", "公开收费标准"),
        import_row("", ""),
    );
    let (st, v) = s
        .upload(
            &regulator,
            "/api/credit/commitments/import",
            bad,
            Some("text/csv"),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], json!("line 3: content"), "{v}");
    // A code that does not parse (30 February) is refused.
    let bad = format!(
        "{IMPORT_HEADER}\n{}\n",
        import_row("62010220260230000001", "公开收费标准")
    );
    let (st, v) = s
        .upload(
            &regulator,
            "/api/credit/commitments/import",
            bad,
            Some("text/csv"),
        )
        .await;
    assert_eq!(
        (st, &v["errors"][0]["field"], &v["errors"][0]["code"]),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!("line 2: code"),
            &json!("invalid_commitment_code")
        ),
        "{v}"
    );
    // A code already stored: the row is refused, the whole file with it.
    let again = format!(
        "{IMPORT_HEADER}\n{}\n{}\n",
        import_row("", "公开收费标准"),
        import_row("62010220260305000002", "重复"),
    );
    let (st, v) = s
        .upload(
            &regulator,
            "/api/credit/commitments/import",
            again,
            Some("text/csv"),
        )
        .await;
    assert_eq!(
        (st, &v["errors"][0]["field"], &v["errors"][0]["code"]),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!("line 3: code"),
            &json!("code_exists")
        ),
        "{v}"
    );
    assert_eq!(codes(s, &regulator, "").await, before, "nothing written");

    // Concurrent creates of one division and day get distinct, consecutive serials.
    let sends: Vec<_> = (0..6)
        .map(|_| {
            s.request(&regulator, "POST", "/api/credit/commitments")
                .json(&commitment(
                    "2026-03-05",
                    "public",
                    json!({"division": "510107"}),
                ))
                .send()
        })
        .map(tokio::spawn)
        .collect();
    let mut got = Vec::new();
    for h in sends {
        let r = h.await.unwrap().unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let v: Value = r.json().await.unwrap();
        got.push(v["code"].as_str().unwrap().to_string());
    }
    got.sort();
    let want: Vec<String> = (1..=6).map(|n| format!("51010720260305{n:06}")).collect();
    assert_eq!(got, want);
}
both!(commitment_codes_are_allocated);

async fn fulfilment_class_and_publicity(s: &TestServer) {
    let admin = s.admin().await;
    providers(s, &admin).await;
    let (_, regulator) = s.user(&admin, "regulator", "regulator", json!({})).await;
    set_clock(s, "2026-03-05T10:00:00+08:00");
    let mut ids = Vec::new();
    for publication in ["public", "restricted", "not_public"] {
        let (st, v) = s
            .post(
                &regulator,
                "/api/credit/commitments",
                commitment("2026-03-05", publication, json!({})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        ids.push(v["id"].as_i64().unwrap());
    }
    // A person's commitment: the ID number is kept masked, the public sees the name masked.
    let (st, v) = s
        .post(
            &regulator,
            "/api/credit/commitments",
            commitment(
                "2026-03-05",
                "可向社会公开",
                json!({"committer_kind": "自然人", "committer_name": "张三", "committer_code": "11010519491231002X", "division": "110108"}),
            ),
        )
        .await;
    assert_eq!(
        (st, v["committer_code"].as_str()),
        (StatusCode::CREATED, Some("1101**********002X")),
        "{v}"
    );
    // Only 可向社会公开 is public: P's first commitment and the person's.
    let (_, v) = s.get(&Auth::Anonymous, "/api/public/commitments").await;
    let public: Vec<(&str, &Value)> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["code"].as_str().unwrap(), &x["committer_code"]))
        .collect();
    assert_eq!(
        public,
        [
            ("11010820260305000004", &Value::Null),
            ("11010820260305000001", &json!(P)),
        ],
        "{v}"
    );
    let text = v.to_string();
    assert!(
        text.contains("张*") && !text.contains("张三") && !text.contains("002X"),
        "{v}"
    );
    assert!(v["items"][0].get("id").is_none(), "no internal ids: {v}");
    let (st, text, _) = s
        .raw(
            &Auth::Anonymous,
            "GET",
            "/api/public/commitments?format=csv",
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(text.contains("11010820260305000001"), "{text}");
    assert!(
        !text.contains("11010820260305000002") && !text.contains("11010820260305000003"),
        "{text}"
    );

    // Fulfilment, assessed on 2026-09-01: 全部未履行 needs what was not fulfilled and the
    // liability pursued.
    set_clock(s, "2026-09-01T15:00:00+08:00");
    let path = format!("/api/credit/commitments/{}/fulfilment", ids[0]);
    let (st, v) = s
        .post(&regulator, &path, json!({"fulfilment": "none", "assessed_on": "2026-09-01", "assessed_by": "城关区商务局", "reason": "抽查发现"}))
        .await;
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        (st, fields),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["unfulfilled", "liability_pursued"]
        ),
        "{v}"
    );
    let broken = json!({"fulfilment": "全部未履行", "assessed_on": "2026-09-01", "assessed_by": "城关区商务局", "unfulfilled": "未按公示价格收费", "liability_pursued": "约谈并退出清单", "reason": "抽查发现价格违诺"});
    let (st, text, _) = s
        .raw(
            &regulator,
            "POST",
            &path,
            Some((broken.to_string(), "application/json")),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{text}");
    // A stale version is refused.
    let r = s
        .request(&regulator, "POST", &path)
        .header("if-match", "\"0\"")
        .json(&broken)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let (_, v) = s
        .get(&regulator, &format!("/api/credit/commitments/{}", ids[0]))
        .await;
    assert_eq!(
        (
            &v["commitment"]["fulfilment"],
            &v["commitment"]["broken"],
            &v["commitment"]["version"]
        ),
        (&json!("none"), &json!(true), &json!(1)),
        "{v}"
    );
    assert_eq!(v["history"][0]["to_fulfilment"], json!("none"), "{v}");
    assert_eq!(v["history"][0]["reason"], json!("抽查发现价格违诺"));
    // The class: one broken commitment, 20 points, B (in the assessment's transaction).
    let class = |v: &Value| {
        let c = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["subject_uscc"] == json!(P))
            .cloned()
            .unwrap_or(Value::Null);
        (c["risk_class"].clone(), c["score"].clone())
    };
    let (_, v) = s.get(&regulator, "/api/credit/classes").await;
    assert_eq!(class(&v), (json!("B"), json!(20)), "{v}");
    let (_, v) = s
        .get(&regulator, "/api/credit/commitments?fulfilment=none")
        .await;
    assert_eq!(v["total"], json!(1), "{v}");
    let (_, v) = s
        .get(
            &Auth::Anonymous,
            &format!("/api/public/commitments?subject={P}"),
        )
        .await;
    assert_eq!(v["items"][0]["fulfilment_zh"], json!("全部未履行"), "{v}");
    assert!(!v.to_string().contains("risk_class"));
    // Reassessed fully fulfilled: back to A, both assessments in the history.
    set_clock(s, "2026-10-01T15:00:00+08:00");
    let r = s
        .request(&regulator, "POST", &path)
        .header("if-match", "\"1\"")
        .json(&json!({"fulfilment": "full", "assessed_on": "2026-10-01", "assessed_by": "城关区商务局", "reason": "整改后复查"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, v) = s.get(&regulator, "/api/credit/classes").await;
    assert_eq!(class(&v), (json!("A"), json!(0)), "{v}");
    let (_, v) = s
        .get(&regulator, &format!("/api/credit/commitments/{}", ids[0]))
        .await;
    assert_eq!(v["history"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["commitment"]["unfulfilled"], Value::Null, "{v}");

    // Listed inclusive outlets: those with a listing number, with their provider's public
    // commitments (not the restricted one).
    for (id, listing) in [("F1", json!("PH-110108-0001")), ("F2", Value::Null)] {
        let (st, v) = s.post(&admin, "/api/facilities", json!({"id": id, "name": format!("网点{id}"), "category": "housekeeping", "lon": 116.35, "lat": 40.0, "provider_code": P, "division_code": "110108", "listing_number": listing, "credit_commitment_date": "2026-03-05"})).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let (st, v) = s.get(&Auth::Anonymous, "/api/public/listed-outlets").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["count"], json!(1), "{v}");
    let o = &v["items"][0];
    assert_eq!(
        (&o["listing_number"], &o["provider_name"], &o["category"]),
        (
            &json!("PH-110108-0001"),
            &json!("甲家政公司"),
            &json!("housekeeping")
        ),
        "{v}"
    );
    let codes: Vec<&str> = o["commitments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["11010820260305000001"], "{v}");
    let (_, text, _) = s
        .raw(
            &Auth::Anonymous,
            "GET",
            "/api/public/listed-outlets?format=csv&division=1101",
            None,
        )
        .await;
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next(),
        Some("listing_number,facility_id,name,category,division_code,address,provider_code,provider_name,credit_commitment_date,commitment_codes")
    );
    assert!(
        lines.next().unwrap().ends_with(",11010820260305000001"),
        "{text}"
    );

    // The 双公示 publicity is the import layout: the public CSV of penalties imports again.
    let penalty = format!("CF_XDR_MC,CF_XDR_SHXYM,CF_WSH,CF_WFXW,CF_SY,CF_YJ,CF_CFLB,CF_NR,CF_NR_FK,CF_JDRQ,CF_CFJG,CF_CFJGDM,CF_SJLY,CF_SJLYDM\n甲家政公司,{P},罚〔2026〕1号,无证经营,检查发现,条例,罚款,罚款0.5万元,0.5,2026-03-01,市监局,{AUTHORITY},市监局,{AUTHORITY}\n");
    let (st, v) = s
        .upload(
            &regulator,
            "/api/credit/penalties/import",
            penalty,
            Some("text/csv"),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, text, _) = s
        .raw(
            &Auth::Anonymous,
            "GET",
            "/api/public/penalties?format=csv",
            None,
        )
        .await;
    assert!(text.contains(",0.5,"), "amounts in 万元: {text}");
    let (st, v) = s
        .upload(
            &regulator,
            "/api/credit/penalties/import",
            text,
            Some("text/csv"),
        )
        .await;
    // The export imports again as it is: the same record, unchanged.
    assert_eq!(
        (st, &v["rows"], &v["unchanged"], &v["created"]),
        (StatusCode::OK, &json!(1), &json!(1), &json!(0)),
        "{v}"
    );
}
both!(fulfilment_class_and_publicity);

async fn black_list_entry_and_exit(s: &TestServer) {
    let admin = s.admin().await;
    providers(s, &admin).await;
    let (_, regulator) = s.user(&admin, "regulator", "regulator", json!({})).await;
    let (_, staff) = s
        .user(
            &admin,
            "staff-p",
            "provider_staff",
            json!({"provider_code": P}),
        )
        .await;
    set_clock(s, "2026-04-01T09:00:00+08:00");
    let entry = |kind: &str, who: &str, name: &str, on: &str| {
        json!({"list_kind": kind, "subject_uscc": who, "subject_name": name, "entered_on": on,
            "entry_reason": "拒不履行法院判决", "decided_by": "城关区市场监督管理局", "decision_doc": format!("城市监失信〔2026〕{on}号"), "source": "城关区市场监督管理局"})
    };
    let (st, v) = s
        .post(
            &regulator,
            "/api/credit/lists",
            entry("black", P, "甲家政公司", "2026-04-01"),
        )
        .await;
    assert_eq!(
        (st, &v["list_name"]),
        (StatusCode::CREATED, &json!("严重失信主体名单")),
        "{v}"
    );
    let id = v["id"].as_i64().unwrap();
    // One open entry per enterprise and list.
    let (st, v) = s
        .post(
            &regulator,
            "/api/credit/lists",
            entry("black", P, "甲家政公司", "2026-04-02"),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "already_listed");
    let (st, v) = s
        .post(
            &regulator,
            "/api/credit/lists",
            entry("red", Q, "乙养老公司", "2026-03-01"),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = s
        .post(
            &regulator,
            "/api/credit/lists",
            entry("grey", Q, "乙养老公司", "2026-03-01"),
        )
        .await;
    assert_eq!(
        (st, &v["errors"][0]["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("list_kind")),
        "{v}"
    );
    // The class: on the black list, 100 points, D (regulators only).
    let class = |v: &Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["subject_uscc"] == json!(P))
            .map(|c| c["risk_class"].clone())
            .unwrap_or(Value::Null)
    };
    let (_, v) = s.get(&regulator, "/api/credit/classes").await;
    assert_eq!(class(&v), json!("D"), "{v}");
    let (st, _) = s.get(&staff, "/api/credit/classes").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let public = |kind: &'static str| async move {
        let (st, v) = s
            .get(&Auth::Anonymous, &format!("/api/public/{kind}-list"))
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert!(!v.to_string().contains("risk_class"), "{v}");
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["subject_uscc"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(public("black").await, [P]);
    assert_eq!(public("red").await, [Q]);
    // The exit, decided today, takes effect on 2026-04-10; a stale version is refused.
    let path = format!("/api/credit/lists/{id}/exit");
    let exit = json!({"exited_on": "2026-04-10", "exit_reason": "信用修复：已履行判决义务", "exit_doc": "城市监修复〔2026〕3号"});
    let r = s
        .request(&regulator, "POST", &path)
        .header("if-match", "\"7\"")
        .json(&exit)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let (st, v) = s
        .post(
            &regulator,
            &path,
            json!({"exited_on": "2026-03-31", "exit_reason": "x"}),
        )
        .await;
    assert_eq!(
        (st, &v["errors"][0]["code"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("before_entered")),
        "{v}"
    );
    let (st, v) = s.post(&regulator, &path, exit.clone()).await;
    assert_eq!(
        (st, &v["exited_on"], &v["version"]),
        (StatusCode::OK, &json!("2026-04-10"), &json!(1)),
        "{v}"
    );
    let (st, v) = s.post(&regulator, &path, exit).await;
    assert_error(st, &v, StatusCode::CONFLICT, "already_exited");
    // Public on its last day, gone on the exit day.
    set_clock(s, "2026-04-09T23:50:00+08:00");
    assert_eq!(public("black").await, [P]);
    set_clock(s, "2026-04-10T00:05:00+08:00");
    assert!(public("black").await.is_empty());
    // The class follows at the next recomputation (the hourly job): back to A.
    let (st, _) = s
        .post(&regulator, "/api/credit/classes/recompute", json!({}))
        .await;
    assert_eq!(st, StatusCode::OK);
    let (_, v) = s.get(&regulator, "/api/credit/classes").await;
    assert_eq!(class(&v), json!("A"), "{v}");
    // Closed, the entry no longer blocks a new one; an exit of today moves the class back at once.
    let (st, v) = s
        .post(
            &regulator,
            "/api/credit/lists",
            entry("black", P, "甲家政公司", "2026-04-10"),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let second = v["id"].as_i64().unwrap();
    let (_, v) = s.get(&regulator, "/api/credit/classes").await;
    assert_eq!(class(&v), json!("D"), "{v}");
    let (st, v) = s
        .post(
            &regulator,
            &format!("/api/credit/lists/{second}/exit"),
            json!({"exit_reason": "期满移出"}),
        )
        .await;
    assert_eq!(
        (st, &v["exited_on"]),
        (StatusCode::OK, &json!("2026-04-10")),
        "{v}"
    );
    let (_, v) = s.get(&regulator, "/api/credit/classes").await;
    assert_eq!(class(&v), json!("A"), "{v}");
    let (_, v) = s
        .get(
            &regulator,
            &format!("/api/credit/lists?subject={P}&status=exited"),
        )
        .await;
    assert_eq!(v["total"], json!(2), "{v}");

    // An import: all rows or none (Q is on the red list already, line 3).
    let header = "list_kind,list_name,subject_uscc,subject_name,entered_on,entry_reason,decided_by,decision_doc,source";
    let black_q = format!("黑名单,,{Q},乙养老公司,2026-04-10,拒不履行行政处罚决定,城关区市场监督管理局,失信〔2026〕7号,城关区市场监督管理局");
    let red_q = format!(
        "red,,{Q},乙养老公司,2026-04-10,守信,城关区发展和改革局,红〔2026〕2号,城关区发展和改革局"
    );
    let (st, v) = s
        .upload(
            &regulator,
            "/api/credit/lists/import",
            format!("{header}\n{black_q}\n{red_q}\n"),
            Some("text/csv"),
        )
        .await;
    assert_eq!(
        (st, &v["errors"][0]["field"], &v["errors"][0]["code"]),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!("line 3: subject_uscc"),
            &json!("already_listed")
        ),
        "{v}"
    );
    assert!(public("black").await.is_empty(), "nothing written");
    let (st, v) = s
        .upload(
            &regulator,
            "/api/credit/lists/import",
            format!("{header}\n{black_q}\n"),
            Some("text/csv"),
        )
        .await;
    assert_eq!((st, &v["created"]), (StatusCode::OK, &json!(1)), "{v}");
    assert_eq!(public("black").await, [Q]);
    let (_, v) = s.get(&regulator, "/api/credit/classes").await;
    let q_class = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["subject_uscc"] == json!(Q))
        .map(|c| c["risk_class"].clone());
    assert_eq!(q_class, Some(json!("D")), "{v}");

    // Rewards: one per subject and decision document; public.
    let reward = json!({"subject_uscc": Q, "subject_name": "乙养老公司", "title": "2025 年度诚信示范企业", "awarded_by": "城关区人民政府", "decision_doc": "城政发〔2026〕9号", "awarded_on": "2026-03-20", "source": "城关区发展和改革局"});
    let (st, v) = s
        .post(&regulator, "/api/credit/rewards", reward.clone())
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = s.post(&regulator, "/api/credit/rewards", reward).await;
    assert_error(st, &v, StatusCode::CONFLICT, "conflict");
    let (st, v) = s
        .post(
            &regulator,
            "/api/credit/rewards",
            json!({"subject_uscc": "91310115591693856B", "title": "x"}),
        )
        .await;
    assert_eq!(
        (st, &v["errors"][0]["field"], &v["errors"][0]["code"]),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!("subject_uscc"),
            &json!("invalid_uscc")
        ),
        "{v}"
    );
    let (_, v) = s.get(&Auth::Anonymous, "/api/public/rewards").await;
    assert_eq!(
        (&v["count"], &v["items"][0]["title"]),
        (&json!(1), &json!("2025 年度诚信示范企业")),
        "{v}"
    );
    assert!(v["items"][0].get("id").is_none(), "{v}");
    let (_, text, _) = s
        .raw(
            &Auth::Anonymous,
            "GET",
            "/api/public/red-list?format=csv",
            None,
        )
        .await;
    assert!(
        text.trim_start_matches('\u{feff}')
            .starts_with("list_name,subject_uscc,subject_name,entered_on,"),
        "{text}"
    );
    assert!(text.contains(Q), "{text}");
}
both!(black_list_entry_and_exit);
