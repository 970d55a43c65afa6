//! Credit records (issue 13) over HTTP, on SQLite and PostgreSQL: penalties and licences imported
//! in the 双公示 layout with their 万元 amounts and publicity ends worked out by hand; a penalty
//! leaves the public answers on the day after its 公示截止期; re-imports correct and never double;
//! a bad file stores nothing; credit repair only after the minimum.

mod common;

use common::{assert_error, set_clock, Auth, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

const P: &str = "91310110666007217T";
/// 成都市武侯区市场监督管理局 (a made-up code with a valid GB 32100 check character).
const AUTHORITY: &str = "11510107MB1535302N";

const HEADER: &str = "CF_XDR_MC,CF_XDR_SHXYM,CF_FRDB,CF_WSH,CF_WFXW,CF_SY,CF_YJ,CF_CFLB,CF_NR,CF_NR_FK,CF_JDRQ,CF_CFJG,CF_CFJGDM,CF_SJLY,CF_SJLYDM";

fn penalty(doc: &str, violation: &str, fine: &str, decided: &str) -> String {
    format!("甲餐饮公司,{P},张三,{doc},{violation},检查发现,《食品安全法》,罚款,\"罚款{fine}万元\",{fine},{decided},武侯区市场监督管理局,{AUTHORITY},武侯区市场监督管理局,{AUTHORITY}")
}

async fn upload(s: &TestServer, who: &Auth, path: &str, csv: String) -> (StatusCode, Value) {
    s.upload(who, path, csv, Some("text/csv")).await
}

async fn public(s: &TestServer) -> Vec<String> {
    let (st, v) = s.get(&Auth::Anonymous, "/api/public/penalties").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["CF_WSH"].as_str().unwrap().to_string())
        .collect()
}

async fn penalties_in_the_shuanggongshi_layout(s: &TestServer) {
    let admin = s.admin().await;
    let (_, regulator) = s.user(&admin, "regulator", "regulator", json!({})).await;
    set_clock(s, "2026-03-20T09:00:00+08:00");
    // A general penalty decided 2026-03-15, fined 1.50 万元; a fire-safety one decided on
    // 2024-02-29 (a leap day), fined 0.2 万元.
    let file = format!(
        "{HEADER}\n{}\n{}\n",
        penalty(
            "武市监罚〔2026〕15号",
            "经营超过保质期的食品",
            "1.50",
            "2026-03-15"
        ),
        penalty(
            "武消罚〔2024〕3号",
            "消防设施未保持完好有效",
            "0.2",
            "2024-02-29"
        ),
    );
    let (st, v) = upload(s, &regulator, "/api/credit/penalties/import", file.clone()).await;
    assert_eq!((st, &v["created"]), (StatusCode::OK, &json!(2)), "{v}");
    let (_, v) = s.get(&regulator, "/api/credit/records?kind=penalty").await;
    let rows = v["items"].as_array().unwrap();
    // 1.50 万元 = 15,000 yuan = 1,500,000 fen; 0.2 万元 = 2,000 yuan.
    let got: Vec<(&Value, &Value, &Value)> = rows
        .iter()
        .map(|r| (&r["fine_fen"], &r["public_until"], &r["repair_from"]))
        .collect();
    assert_eq!(
        got,
        [
            // General: 3 years to 2029-03-15, repairable after 3 months.
            (
                &json!(1_500_000),
                &json!("2029-03-15"),
                &json!("2026-06-15")
            ),
            // Fire: 3 years to 2027-02-28 (no 29th), repairable after 1 year (2025-02-28).
            (&json!(200_000), &json!("2027-02-28"), &json!("2025-02-28")),
        ],
        "{v}"
    );
    assert_eq!(rows[0]["fields"]["CF_GSJZQ"], json!("2029-03-15"));
    assert_eq!(rows[0]["fields"]["CF_NR_FK"], json!("1.5"));
    // Public, in the layout, without the legal representative.
    let (_, v) = s.get(&Auth::Anonymous, "/api/public/penalties").await;
    assert_eq!(v["count"], json!(2), "{v}");
    assert!(v["items"][0].get("CF_FRDB").is_none(), "{v}");
    let (st, text, _) = s
        .raw(
            &Auth::Anonymous,
            "GET",
            "/api/public/penalties?format=csv",
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        text.trim_start_matches('\u{feff}')
            .starts_with("CF_XDR_MC,CF_XDR_SHXYM,CF_WSH,"),
        "{text}"
    );
    // The fire penalty is public on its last day and gone the day after.
    set_clock(s, "2027-02-28T23:00:00+08:00");
    assert_eq!(public(s).await.len(), 2);
    set_clock(s, "2027-03-01T00:10:00+08:00");
    assert_eq!(public(s).await, ["武市监罚〔2026〕15号"]);
    // Re-importing the same file changes nothing; a corrected amount updates one record.
    let (_, v) = upload(s, &regulator, "/api/credit/penalties/import", file).await;
    assert_eq!(
        (&v["unchanged"], &v["created"]),
        (&json!(2), &json!(0)),
        "{v}"
    );
    let corrected = format!(
        "{HEADER}\n{}\n",
        penalty(
            "武市监罚〔2026〕15号",
            "经营超过保质期的食品",
            "1.2",
            "2026-03-15"
        )
    );
    let (_, v) = upload(s, &regulator, "/api/credit/penalties/import", corrected).await;
    assert_eq!(v["updated"], json!(1), "{v}");
    let (_, v) = s.get(&regulator, "/api/credit/records?kind=penalty").await;
    assert_eq!(v["total"], json!(2));
    assert_eq!(v["items"][0]["fine_fen"], json!(1_200_000));
    // The internal class: on 2027-03-01, the 2026-03-15 penalty is within 12 months (20 points:
    // B). A licence revoked on 2027-02-20 adds a second penalty in 12 months (35) and a severe
    // one (40): 75, D, down from B.
    let (_, v) = s.get(&regulator, "/api/credit/classes").await;
    assert_eq!(
        (&v["items"][0]["risk_class"], &v["items"][0]["score"]),
        (&json!("B"), &json!(20)),
        "{v}"
    );
    let revoked = format!(
        "{HEADER}\n{}\n",
        penalty(
            "武市监罚〔2027〕2号",
            "吊销食品经营许可证",
            "0",
            "2027-02-20"
        )
    );
    let (st, v) = upload(s, &regulator, "/api/credit/penalties/import", revoked).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, v) = s.get(&regulator, "/api/credit/classes").await;
    let c = &v["items"][0];
    assert_eq!(
        (
            &c["subject_uscc"],
            &c["risk_class"],
            &c["score"],
            &c["previous_class"]
        ),
        (&json!(P), &json!("D"), &json!(75), &json!("B")),
        "{v}"
    );
    let contributions = c["contributions"].as_array().unwrap();
    assert!(contributions
        .iter()
        .any(|x| x["factor"] == json!("complaints_12m") && x["value"] == json!(0)));
    assert!(contributions
        .iter()
        .any(|x| x["factor"] == json!("bad_review_rate_bp") && x["value"].is_null()));
    // Never public: the public lists carry no class.
    let (_, v) = s.get(&Auth::Anonymous, "/api/public/penalties").await;
    assert!(!v.to_string().contains("risk_class"));
    // A bad file stores nothing and names line and field (line 1 is the header).
    let bad = format!(
        "{HEADER}\n{}\n{}\n",
        penalty("武市监罚〔2026〕16号", "无证经营", "0.5", "2026-03-16"),
        penalty("武市监罚〔2026〕17号", "无证经营", "5000元", "2026-03-16"),
    );
    let (st, v) = upload(s, &regulator, "/api/credit/penalties/import", bad).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], json!("line 3: CF_NR_FK"), "{v}");
    let (_, v) = s.get(&regulator, "/api/credit/records").await;
    assert_eq!(v["total"], json!(3), "nothing of the bad file is stored");
}
both!(penalties_in_the_shuanggongshi_layout);

async fn credit_repair_and_licences(s: &TestServer) {
    let admin = s.admin().await;
    set_clock(s, "2026-03-20T09:00:00+08:00");
    let file = format!(
        "{HEADER}\n{}\n",
        penalty(
            "武市监罚〔2026〕15号",
            "经营超过保质期的食品",
            "1.5",
            "2026-03-15"
        )
    );
    let (st, v) = upload(s, &admin, "/api/credit/penalties/import", file).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, v) = s.get(&admin, "/api/credit/records").await;
    let id = v["items"][0]["id"].as_i64().unwrap();
    let path = format!("/api/credit/records/{id}/repair");
    // Before the 3-month minimum (2026-06-15): refused.
    let (st, v) = s
        .post(
            &admin,
            &path,
            json!({"on": "2026-06-14", "reason": "已整改并作出信用修复承诺"}),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "repair_too_early");
    let (st, v) = s
        .post(
            &admin,
            &path,
            json!({"on": "2026-06-20", "reason": "x", "specific_serious": true}),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "not_repairable");
    let (st, v) = s
        .post(
            &admin,
            &path,
            json!({"on": "2026-06-15", "reason": "已整改并作出信用修复承诺"}),
        )
        .await;
    assert_eq!(
        (st, &v["repaired_on"]),
        (StatusCode::OK, &json!("2026-06-15")),
        "{v}"
    );
    let (st, v) = s
        .post(
            &admin,
            &path,
            json!({"on": "2026-06-16", "reason": "again"}),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "publicity_ended");
    set_clock(s, "2026-06-14T12:00:00+08:00");
    assert_eq!(public(s).await.len(), 1);
    set_clock(s, "2026-06-15T08:00:00+08:00");
    assert!(public(s).await.is_empty());
    // Licences.
    let lic = format!("XK_XDR_MC,XK_XDR_SHXYM,XK_XKWS,XK_WSH,XK_XKLB,XK_NR,XK_JDRQ,XK_YXQZ,XK_YXQZI,XK_XKJG,XK_XKJGDM,XK_ZT,XK_LYDW,XK_LYDWDM\n甲餐饮公司,{P},食品经营许可决定书,JY15101070012345,普通,热食类食品制售,2025/01/10,2025/01/10,2030/01/09,武侯区市场监督管理局,{AUTHORITY},有效,武侯区市场监督管理局,{AUTHORITY}\n");
    let (st, v) = upload(s, &admin, "/api/credit/licences/import", lic).await;
    assert_eq!((st, &v["created"]), (StatusCode::OK, &json!(1)), "{v}");
    let (_, v) = s
        .get(
            &Auth::Anonymous,
            &format!("/api/public/licences?subject={P}"),
        )
        .await;
    assert_eq!(v["items"][0]["XK_YXQZI"], json!("2030/01/09"), "{v}");
    let (st, v) = s
        .get(&Auth::Anonymous, "/api/public/licences?format=xml")
        .await;
    assert_error(st, &v, StatusCode::BAD_REQUEST, "bad_request");
}
both!(credit_repair_and_licences);

/// A practitioner's health certificate about to expire raises one warning (evaluated twice),
/// seen by the provider's staff and the regulator and sent to both through the outbox, not seen
/// by another provider; it is acknowledged, and resolved by itself once the certificate is
/// renewed.
async fn a_health_certificate_warning(s: &TestServer) {
    const Q: &str = "91310115591693856A";
    let admin = s.admin().await;
    set_clock(s, "2026-12-01T09:00:00+08:00");
    for (code, name) in [(P, "甲家政公司"), (Q, "乙养老公司")] {
        let (st, v) = s
            .post(
                &admin,
                "/api/providers",
                json!({"uscc": code, "name": name}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
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
    let (_, regulator) = s.user(&admin, "regulator", "regulator", json!({})).await;
    // Valid until 2026-12-28: within the 30 days of the rule. Another certificate of 2027 and a
    // training certificate expiring now are not watched.
    let (st, v) = s
        .post(
            &staff,
            "/api/practitioners",
            json!({"provider_code": P, "name": "李秀兰", "kind": "caregiver", "certificates": [
                {"name": "健康证", "number": "JK-2026-001", "valid_until": "2026-12-28"},
                {"name": "养老护理员培训证", "number": "PX-1", "valid_until": "2026-12-05"}
            ]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let practitioner = v["id"].as_i64().unwrap();
    let (st, v) = s
        .post(&regulator, "/api/warnings/evaluate", json!({}))
        .await;
    assert_eq!(
        (st, &v["raised"], &v["open"]),
        (StatusCode::OK, &json!(1), &json!(1)),
        "{v}"
    );
    let (_, v) = s
        .post(&regulator, "/api/warnings/evaluate", json!({}))
        .await;
    assert_eq!(
        (&v["raised"], &v["open"]),
        (&json!(0), &json!(1)),
        "one open warning per condition: {v}"
    );
    let (_, v) = s.get(&staff, "/api/warnings").await;
    let w = &v["items"][0];
    assert_eq!(
        (
            &w["rule"],
            &w["assignee"],
            &w["severity"],
            &w["due_date"],
            &w["subject_id"]
        ),
        (
            &json!("certificate_expiring"),
            &json!("provider"),
            &json!("medium"),
            &json!("2026-12-16"),
            &json!(practitioner.to_string())
        ),
        "{v}"
    );
    assert!(
        w["message_zh"].as_str().unwrap().contains("2026-12-28"),
        "{w}"
    );
    assert!(
        !w["message_zh"].as_str().unwrap().contains("李秀兰"),
        "names are masked: {w}"
    );
    let id = w["id"].as_i64().unwrap();
    let (_, v) = s.get(&regulator, "/api/warnings").await;
    assert_eq!(v["total"], json!(1));
    let (_, v) = s.get(&other, "/api/warnings").await;
    assert_eq!(v["total"], json!(0), "another provider sees nothing: {v}");
    let (st, _) = s
        .post(
            &other,
            &format!("/api/warnings/{id}/acknowledge"),
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Sent to the provider and to the regulators.
    let (_, ob) = s.get(&admin, "/api/outbox?limit=100").await;
    let mut to: Vec<(String, String)> = ob["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["kind"] == json!("warning_raised"))
        .map(|x| {
            (
                x["recipient_kind"].as_str().unwrap().to_string(),
                x["recipient"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    to.sort();
    assert_eq!(
        to,
        [
            ("provider".to_string(), P.to_string()),
            ("role".to_string(), "regulator".to_string())
        ]
    );
    let (st, v) = s
        .post(
            &staff,
            &format!("/api/warnings/{id}/acknowledge"),
            json!({}),
        )
        .await;
    assert_eq!(
        (st, &v["status"]),
        (StatusCode::OK, &json!("acknowledged")),
        "{v}"
    );
    let (st, v) = s
        .post(
            &staff,
            &format!("/api/warnings/{id}/acknowledge"),
            json!({}),
        )
        .await;
    assert_error(st, &v, StatusCode::CONFLICT, "wrong_status");
    // Renewed: the next evaluation resolves it.
    let (st, v) = s
        .patch(
            &staff,
            &format!("/api/practitioners/{practitioner}"),
            json!({"certificates": [
                {"name": "健康证", "number": "JK-2027-001", "valid_until": "2027-12-28"}
            ]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, v) = s
        .post(&regulator, "/api/warnings/evaluate", json!({}))
        .await;
    assert_eq!(
        (&v["raised"], &v["cleared"], &v["open"]),
        (&json!(0), &json!(1), &json!(0)),
        "{v}"
    );
    let (_, v) = s.get(&staff, "/api/warnings?status=resolved").await;
    assert_eq!(v["items"][0]["id"], json!(id), "{v}");
}
both!(a_health_certificate_warning);

/// A licence whose validity ends within the rule's 60 days raises a warning for its holder;
/// renewed (the same decision re-imported with a later end), the warning resolves by itself.
async fn a_licence_expiring_warning(s: &TestServer) {
    let admin = s.admin().await;
    set_clock(s, "2026-12-01T09:00:00+08:00");
    let (st, v) = s
        .post(
            &admin,
            "/api/providers",
            json!({"uscc": P, "name": "甲餐饮公司"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (_, staff) = s
        .user(
            &admin,
            "staff-p",
            "provider_staff",
            json!({"provider_code": P}),
        )
        .await;
    let (_, regulator) = s.user(&admin, "regulator", "regulator", json!({})).await;
    let licence = |until: &str| {
        format!("XK_XDR_MC,XK_XDR_SHXYM,XK_XKWS,XK_WSH,XK_XKLB,XK_NR,XK_JDRQ,XK_YXQZ,XK_YXQZI,XK_XKJG,XK_XKJGDM,XK_ZT,XK_LYDW,XK_LYDWDM\n甲餐饮公司,{P},食品经营许可决定书,JY15101070012345,普通,热食类食品制售,2022/01/31,2022/01/31,{until},武侯区市场监督管理局,{AUTHORITY},有效,武侯区市场监督管理局,{AUTHORITY}\n")
    };
    // 2027-01-30 is the 60th day after 2026-12-01: due; a day later would not be.
    let (st, v) = upload(
        s,
        &regulator,
        "/api/credit/licences/import",
        licence("2027/01/30"),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, v) = s
        .post(&regulator, "/api/warnings/evaluate", json!({}))
        .await;
    assert_eq!(v["raised"], json!(1), "{v}");
    let (_, v) = s.get(&staff, "/api/warnings").await;
    assert_eq!(
        (&v["items"][0]["rule"], &v["items"][0]["assignee"]),
        (&json!("licence_expiring"), &json!("provider")),
        "{v}"
    );
    assert!(
        v["items"][0]["message_zh"]
            .as_str()
            .unwrap()
            .contains("JY15101070012345"),
        "{v}"
    );
    let (st, v) = upload(
        s,
        &regulator,
        "/api/credit/licences/import",
        licence("2027/01/31"),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, v) = s
        .post(&regulator, "/api/warnings/evaluate", json!({}))
        .await;
    assert_eq!((&v["raised"], &v["cleared"]), (&json!(0), &json!(1)), "{v}");
}
both!(a_licence_expiring_warning);
