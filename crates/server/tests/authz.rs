//! The authorization matrix: every endpoint × every role (and no sign-in), asserting that the
//! roles written out below pass its gate and all others are refused (401 without an account,
//! 403 with one); then the per-record scopes (own provider, own community, own record).
//!
//! The expected answers are written here, independently of the endpoint table the server
//! enforces (`lc_server::endpoints::ENDPOINTS`): a change of who may call an endpoint, or a new
//! endpoint, fails this test until the matrix below is changed with it.

mod common;

use common::cau_network;

use common::{assert_error, Auth, TestServer};
use lc_registry::{Access, Role};
use lc_server::endpoints::ENDPOINTS;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Who passes each endpoint's gate: `*` anyone without signing in; `R` resident, `P` provider
/// staff, `C` community worker, `G` regulator (government), `A` administrator.
const EXPECTED: &[(&str, &str, &str)] = &[
    ("GET", "/api/health", "*RPCGA"),
    ("GET", "/api/ready", "*RPCGA"),
    ("GET", "/api/openapi.json", "*RPCGA"),
    ("GET", "/api/categories", "*RPCGA"),
    ("POST", "/api/auth/login", "*RPCGA"),
    ("POST", "/api/auth/logout", "RPCGA"),
    ("GET", "/api/auth/me", "RPCGA"),
    ("POST", "/api/auth/password", "RPCGA"),
    ("POST", "/api/auth/tokens", "PCGA"),
    ("GET", "/api/auth/tokens", "PCGA"),
    ("DELETE", "/api/auth/tokens/{id}", "PCGA"),
    ("GET", "/api/users", "A"),
    ("POST", "/api/users", "A"),
    ("GET", "/api/users/{id}", "A"),
    ("PATCH", "/api/users/{id}", "A"),
    ("POST", "/api/users/{id}/unlock", "A"),
    ("GET", "/api/divisions", "*RPCGA"),
    ("GET", "/api/divisions/{code}", "*RPCGA"),
    ("POST", "/api/divisions", "A"),
    ("PATCH", "/api/divisions/{code}", "A"),
    ("GET", "/api/communities", "*RPCGA"),
    ("POST", "/api/communities", "GA"),
    ("GET", "/api/communities/export.csv", "*RPCGA"),
    ("GET", "/api/communities/export.xlsx", "*RPCGA"),
    ("POST", "/api/communities/import", "GA"),
    ("GET", "/api/communities/{id}", "*RPCGA"),
    ("PATCH", "/api/communities/{id}", "CGA"),
    ("GET", "/api/communities/{id}/assessment", "*RPCGA"),
    ("GET", "/api/facilities", "*RPCGA"),
    ("POST", "/api/facilities", "PGA"),
    ("GET", "/api/facilities/export.csv", "*RPCGA"),
    ("GET", "/api/facilities/export.xlsx", "*RPCGA"),
    ("POST", "/api/facilities/import", "GA"),
    ("GET", "/api/facilities/{id}", "*RPCGA"),
    ("PATCH", "/api/facilities/{id}", "PGA"),
    ("GET", "/api/providers", "*RPCGA"),
    ("POST", "/api/providers", "GA"),
    ("GET", "/api/providers/{uscc}", "*RPCGA"),
    ("PATCH", "/api/providers/{uscc}", "PGA"),
    ("GET", "/api/practitioners", "PGA"),
    ("POST", "/api/practitioners", "PGA"),
    ("GET", "/api/practitioners/{id}", "PGA"),
    ("PATCH", "/api/practitioners/{id}", "PGA"),
    ("GET", "/api/residents", "CA"),
    ("POST", "/api/residents", "CA"),
    ("GET", "/api/residents/export.csv", "CA"),
    ("GET", "/api/residents/{id}", "RCA"),
    ("PATCH", "/api/residents/{id}", "RCA"),
    ("POST", "/api/assessments", "GA"),
    ("GET", "/api/assessments/latest", "*RPCGA"),
    ("GET", "/api/assessments", "*RPCGA"),
    ("GET", "/api/assessments/{id}", "*RPCGA"),
    ("GET", "/api/assessments/{id}/communities", "*RPCGA"),
    ("GET", "/api/assessments/compare", "*RPCGA"),
    ("POST", "/api/assessments/runs", "GA"),
    ("GET", "/api/assessments/jobs", "GA"),
    ("GET", "/api/assessments/jobs/{id}", "GA"),
    ("POST", "/api/assessments/jobs/{id}/cancel", "GA"),
    ("GET", "/api/service-types", "*RPCGA"),
    ("GET", "/api/offerings", "*RPCGA"),
    ("POST", "/api/offerings", "PGA"),
    ("GET", "/api/offerings/{id}", "*RPCGA"),
    ("PATCH", "/api/offerings/{id}", "PGA"),
    ("GET", "/api/offerings/{id}/slots", "*RPCGA"),
    ("GET", "/api/offerings/{id}/area", "*RPCGA"),
    ("GET", "/api/public/nearby", "*RPCGA"),
    ("GET", "/api/calendar", "*RPCGA"),
    ("PUT", "/api/calendar/{day}", "GA"),
    ("DELETE", "/api/calendar/{day}", "GA"),
    ("POST", "/api/bookings", "RPCA"),
    ("GET", "/api/bookings", "RPCGA"),
    ("GET", "/api/bookings/{id}", "RPCGA"),
    ("GET", "/api/bookings/{id}/events", "RPCGA"),
    ("GET", "/api/bookings/{id}/contact", "PCA"),
    ("POST", "/api/bookings/{id}/confirm", "PA"),
    ("POST", "/api/bookings/{id}/reject", "PA"),
    ("POST", "/api/bookings/{id}/start", "PA"),
    ("POST", "/api/bookings/{id}/complete", "PA"),
    ("POST", "/api/bookings/{id}/cancel", "RPCA"),
    ("POST", "/api/bookings/{id}/no-show", "PA"),
    ("POST", "/api/bookings/{id}/annul", "GA"),
    ("GET", "/api/outbox", "A"),
    ("GET", "/api/review-settings", "*RPCGA"),
    ("PUT", "/api/review-settings", "A"),
    ("POST", "/api/reviews", "RCA"),
    ("GET", "/api/reviews", "RPCGA"),
    ("GET", "/api/reviews/log", "GA"),
    ("POST", "/api/reviews/default-ratings", "GA"),
    ("GET", "/api/reviews/{id}", "RPCGA"),
    ("GET", "/api/review-cases", "PGA"),
    ("GET", "/api/review-cases/{id}", "PGA"),
    ("POST", "/api/review-cases/{id}/actions", "PGA"),
    ("GET", "/api/ratings", "*RPCGA"),
    ("GET", "/api/review-stats/monthly", "GA"),
    ("GET", "/api/review-stats/low-ranked", "GA"),
    ("GET", "/api/review-exchange", "GA"),
    ("POST", "/api/credit/penalties/import", "GA"),
    ("POST", "/api/credit/licences/import", "GA"),
    ("GET", "/api/credit/records", "PGA"),
    ("POST", "/api/credit/records/{id}/repair", "GA"),
    ("GET", "/api/public/penalties", "*RPCGA"),
    ("GET", "/api/public/licences", "*RPCGA"),
    ("POST", "/api/credit/commitments", "PGA"),
    ("POST", "/api/credit/commitments/import", "GA"),
    ("GET", "/api/credit/commitments", "PGA"),
    ("GET", "/api/credit/commitments/{id}", "PGA"),
    ("POST", "/api/credit/commitments/{id}/fulfilment", "GA"),
    ("POST", "/api/credit/rewards", "GA"),
    ("GET", "/api/credit/rewards", "GA"),
    ("POST", "/api/credit/lists", "GA"),
    ("POST", "/api/credit/lists/import", "GA"),
    ("GET", "/api/credit/lists", "GA"),
    ("POST", "/api/credit/lists/{id}/exit", "GA"),
    ("GET", "/api/public/commitments", "*RPCGA"),
    ("GET", "/api/public/rewards", "*RPCGA"),
    ("GET", "/api/public/red-list", "*RPCGA"),
    ("GET", "/api/public/black-list", "*RPCGA"),
    ("GET", "/api/public/listed-outlets", "*RPCGA"),
    ("GET", "/api/credit/classes", "GA"),
    ("POST", "/api/credit/classes/recompute", "GA"),
    ("GET", "/api/warnings", "PCGA"),
    ("POST", "/api/warnings/evaluate", "GA"),
    ("POST", "/api/warnings/{id}/acknowledge", "PCGA"),
    ("POST", "/api/warnings/{id}/resolve", "CGA"),
    ("GET", "/api/check-items", "*RPCGA"),
    ("POST", "/api/check-items", "GA"),
    ("PATCH", "/api/check-items/{code}", "GA"),
    ("GET", "/api/inspectors", "GA"),
    ("POST", "/api/inspectors", "GA"),
    ("PATCH", "/api/inspectors/{code}", "GA"),
    ("GET", "/api/spot-checks", "GA"),
    ("POST", "/api/spot-checks", "GA"),
    ("GET", "/api/spot-checks/{id}", "GA"),
    ("POST", "/api/spot-checks/{id}/draw", "GA"),
    ("GET", "/api/spot-checks/{id}/manifest", "GA"),
    ("POST", "/api/spot-checks/{id}/redraw", "GA"),
    ("GET", "/api/spot-checks/{id}/events", "GA"),
    ("POST", "/api/spot-checks/{id}/results", "GA"),
    (
        "POST",
        "/api/spot-checks/{id}/results/{object}/rectified",
        "GA",
    ),
    ("POST", "/api/spot-checks/{id}/publish", "GA"),
    ("GET", "/api/public/spot-checks", "*RPCGA"),
    ("GET", "/api/public/spot-checks/{id}/draw", "*RPCGA"),
    ("GET", "/api/public/spot-check-results", "*RPCGA"),
    ("GET", "/api/housekeeping/practitioners/{id}", "PGA"),
    ("PUT", "/api/housekeeping/practitioners/{id}", "PGA"),
    ("PUT", "/api/housekeeping/practitioners/{id}/consent", "PGA"),
    ("POST", "/api/housekeeping/practitioners/{id}/tokens", "PGA"),
    ("GET", "/api/housekeeping/enterprises/{uscc}", "PGA"),
    ("POST", "/api/housekeeping/enterprises/{uscc}/tokens", "PGA"),
    ("GET", "/api/housekeeping/tokens", "PGA"),
    ("POST", "/api/housekeeping/tokens/{id}/revoke", "PGA"),
    ("GET", "/api/housekeeping/tokens/{id}/qr.svg", "PGA"),
    ("GET", "/api/housekeeping/scans", "PGA"),
    ("GET", "/api/public/credit-keys", "*RPCGA"),
    ("GET", "/api/public/credit-scan", "*RPCGA"),
    ("GET", "/q/{token}", "*RPCGA"),
    ("GET", "/api/care/categories", "*RPCGA"),
    ("GET", "/api/care/register", "CGA"),
    ("POST", "/api/care/register", "CA"),
    ("GET", "/api/care/register/{id}", "RCGA"),
    ("PATCH", "/api/care/register/{id}", "CA"),
    ("GET", "/api/care/register/{id}/balance", "RCGA"),
    ("GET", "/api/care/register/{id}/statement", "RCGA"),
    ("GET", "/api/care/register/{id}/statement.csv", "RCGA"),
    ("GET", "/api/care/entitlements", "RPCGA"),
    ("POST", "/api/care/entitlements", "GA"),
    ("PATCH", "/api/care/entitlements/{id}", "GA"),
    ("POST", "/api/care/grants", "GA"),
    ("GET", "/api/care/providers/{uscc}/statement", "PGA"),
    ("GET", "/api/care/providers/{uscc}/statement.csv", "PGA"),
    ("GET", "/api/care/payables", "GA"),
    ("GET", "/api/care/payables.csv", "GA"),
    ("GET", "/api/care/ledger/check", "GA"),
    ("GET", "/api/care/visits", "CGA"),
    ("POST", "/api/care/visits", "CA"),
    ("GET", "/api/care/visits/due", "CGA"),
    ("GET", "/api/care/visits/missed", "CGA"),
    ("GET", "/api/care/visits/{id}", "CGA"),
    ("POST", "/api/care/visits/{id}/referrals", "CA"),
    ("GET", "/api/care/referrals", "CGA"),
    ("GET", "/api/care/visit-rate", "CGA"),
    ("GET", "/api/care/visit-rate.csv", "CGA"),
    ("GET", "/api/childcare/nurseries", "*RPCGA"),
    ("GET", "/api/childcare/nurseries/{id}", "*RPCGA"),
    ("PUT", "/api/childcare/nurseries/{id}/places", "PA"),
    ("GET", "/api/childcare/nurseries/{id}/waiting", "PGA"),
    ("GET", "/api/childcare/places", "*RPCGA"),
    ("GET", "/api/childcare/places.csv", "*RPCGA"),
    ("POST", "/api/childcare/enrolments", "RCA"),
    ("GET", "/api/childcare/enrolments", "RPCGA"),
    ("GET", "/api/childcare/enrolments/{id}", "RPCGA"),
    ("POST", "/api/childcare/enrolments/{id}/accept", "RPA"),
    ("POST", "/api/childcare/enrolments/{id}/decline", "RPA"),
    ("POST", "/api/childcare/enrolments/{id}/withdraw", "RCA"),
    ("POST", "/api/childcare/enrolments/{id}/leave", "RPA"),
    ("GET", "/api/home-beds", "RPCGA"),
    ("POST", "/api/home-beds", "PA"),
    ("GET", "/api/home-beds/fulfilment", "RPCGA"),
    ("GET", "/api/home-beds/short", "PCGA"),
    ("GET", "/api/home-beds/{id}", "RPCGA"),
    ("POST", "/api/home-beds/{id}/activate", "PA"),
    ("POST", "/api/home-beds/{id}/end", "PA"),
    ("POST", "/api/home-beds/{id}/terminate", "RPA"),
    ("GET", "/api/home-beds/{id}/visits", "RPCGA"),
    ("POST", "/api/home-beds/{id}/visits", "PA"),
    ("GET", "/api/audit", "GA"),
    ("GET", "/api/access-log", "A"),
    ("GET", "/api/siting/candidates", "GA"),
    ("POST", "/api/siting/candidates", "GA"),
    ("POST", "/api/siting/candidates/import", "GA"),
    ("DELETE", "/api/siting/candidates/{id}", "GA"),
    ("POST", "/api/siting/runs", "GA"),
    ("GET", "/api/siting/runs", "GA"),
    ("GET", "/api/siting/runs/{id}", "GA"),
    ("GET", "/api/3/action/package_list", "*RPCGA"),
    ("POST", "/api/3/action/package_list", "*RPCGA"),
    ("GET", "/api/3/action/package_show", "*RPCGA"),
    ("POST", "/api/3/action/package_show", "*RPCGA"),
    ("GET", "/api/3/action/package_search", "*RPCGA"),
    ("POST", "/api/3/action/package_search", "*RPCGA"),
    ("GET", "/api/3/action/resource_show", "*RPCGA"),
    ("POST", "/api/3/action/resource_show", "*RPCGA"),
    ("GET", "/api/open/catalog.jsonld", "*RPCGA"),
    ("GET", "/api/open/datasets/{file}", "*RPCGA"),
    ("GET", "/api/series", "GA"),
    ("GET", "/api/series/indicators", "*RPCGA"),
    ("GET", "/api/series/nbs-classes", "*RPCGA"),
    ("POST", "/api/monitor/runs", "A"),
    ("GET", "/api/monitor/runs", "GA"),
    ("POST", "/api/releases", "A"),
    ("GET", "/api/releases", "*RPCGA"),
    ("GET", "/api/releases/{id}", "*RPCGA"),
    ("GET", "/api/releases/{id}/release.html", "*RPCGA"),
    ("GET", "/api/releases/{id}/release.pdf", "*RPCGA"),
    ("GET", "/api/releases/{id}/data", "GA"),
];

/// The letter of a role (or of no sign-in) in [`EXPECTED`].
fn letter(role: Option<Role>) -> char {
    match role {
        None => '*',
        Some(Role::Resident) => 'R',
        Some(Role::ProviderStaff) => 'P',
        Some(Role::CommunityWorker) => 'C',
        Some(Role::Regulator) => 'G',
        Some(Role::Admin) => 'A',
    }
}

const P: &str = "91310110666007217T";
const Q: &str = "91310115591693856A";
const C1: &str = "110108010031";
const C2: &str = "110108010021";

struct Fixture {
    sessions: Vec<(Option<Role>, Auth)>,
    practitioner: i64,
    other_practitioner: i64,
    resident: i64,
    other_resident: i64,
    user: i64,
    offering: i64,
    booking: i64,
    /// The resident's register entry, an entitlement rule and a visit (care domain).
    care_entry: i64,
    entitlement: i64,
    visit: i64,
    /// The resident's child's application at nursery N1 and their home-bed contract at E1.
    enrolment: i64,
    home_bed: i64,
    /// A 差评 of the resident's second (completed) booking, and its case.
    review: i64,
    review_case: i64,
    /// A penalty of provider P in the credit records.
    credit_record: i64,
    /// A warning of provider P (a practitioner's health certificate about to expire).
    warning: i64,
    /// A warning assigned to community C1's workers (its visit rate last month).
    community_warning: i64,
    /// A published spot check of nursery N1 (check item SP-1, inspectors I1 and I2).
    spot_check: i64,
    /// A credit commitment of provider P and a red-list entry of P.
    commitment: i64,
    list_entry: i64,
    /// A credit certificate token of the first practitioner (consented): its id and text.
    hk_token: String,
    hk_text: String,
    /// An assessment job (finished) and the run it stored (on the server's walking network;
    /// `-` and 0 on a server without one).
    assessment_job: String,
    assessment_run: i64,
    /// A siting scenario on a candidate plot beside C1 (0 on a server without a network).
    siting_run: i64,
    /// An archived statistical release (a stored row: making one needs a month of figures,
    /// which tests/releases.rs does).
    release: i64,
}

async fn fixture(s: &TestServer) -> Fixture {
    let admin = s.admin().await;
    for (code, name) in [(P, "甲家政公司"), (Q, "乙养老公司")] {
        let (st, v) = s
            .post(
                &admin,
                "/api/providers",
                json!({"uscc": code, "name": name, "contact_phone": "13800001111"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    // Beside C1 (富润家园), on the walking network: the home offering of F1 reaches C1.
    for (id, owner) in [("F1", P), ("F2", Q)] {
        let (st, v) = s.post(&admin, "/api/facilities", json!({"id": id, "name": id, "category": "housekeeping", "lon": 116.3481, "lat": 39.9986, "provider_code": owner})).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let mut pids = Vec::new();
    for owner in [P, Q] {
        let (_, v) = s
            .post(
                &admin,
                "/api/practitioners",
                json!({"provider_code": owner, "name": "赵六", "kind": "housekeeper"}),
            )
            .await;
        pids.push(v["id"].as_i64().unwrap());
    }
    let (ruid, resident) = s.user(&admin, "r1", "resident", json!({})).await;
    let mut rids = Vec::new();
    for (c, uid) in [(C1, Some(ruid)), (C2, None)] {
        let (st, v) = s.post(&admin, "/api/residents", json!({"community_id": c, "name": "张三", "phone": "13700001234", "id_number": if uid.is_some() { "11010519491231002X" } else { "440524198001010013" }, "user_id": uid})).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        rids.push(v["id"].as_i64().unwrap());
    }
    let (_, staff) = s
        .user(&admin, "p1", "provider_staff", json!({"provider_code": P}))
        .await;
    let (_, worker) = s
        .user(
            &admin,
            "w1",
            "community_worker",
            json!({"community_id": C1}),
        )
        .await;
    let (_, regulator) = s.user(&admin, "g1", "regulator", json!({})).await;
    // An offering of F1 (provider P) and a booking of it for the first resident (community C1).
    let week: Value = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| (d.to_string(), json!(["08:00-18:00"])))
        .collect::<serde_json::Map<_, _>>()
        .into();
    let (st, v) = s.post(&admin, "/api/offerings", json!({"facility_id": "F1", "service": "housekeeping", "delivery": "home", "price_fen": 8000, "duration_min": 120, "capacity": 3, "home_area_m": 1500.0, "plan": {"week": week}})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let offering = v["id"].as_i64().unwrap();
    let (_, slots) = s
        .get(&admin, &format!("/api/offerings/{offering}/slots"))
        .await;
    let slot = slots
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["bookable"] == json!(true))
        .unwrap();
    let (st, v) = s
        .request(&admin, "POST", "/api/bookings")
        .header("idempotency-key", "matrix-1")
        .json(&json!({"offering_id": offering, "resident_id": rids[0], "start": slot["start"]}))
        .send()
        .await
        .map(|r| (r.status(), r))
        .unwrap();
    let v: Value = v.json().await.unwrap();
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let booking = v["id"].as_i64().unwrap();
    let (review, review_case) = reviewed_booking(s, &admin, offering, &slots, rids[0]).await;
    let penalty = format!("CF_XDR_MC,CF_XDR_SHXYM,CF_WSH,CF_WFXW,CF_SY,CF_YJ,CF_CFLB,CF_NR,CF_JDRQ,CF_CFJG,CF_CFJGDM,CF_SJLY,CF_SJLYDM\n甲家政公司,{P},罚〔2026〕1号,无证经营,检查发现,条例,警告,警告,2026-01-05,市监局,11510107MB1535302N,市监局,11510107MB1535302N\n");
    let (st, v) = s
        .upload(
            &admin,
            "/api/credit/penalties/import",
            penalty,
            Some("text/csv"),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, v) = s.get(&admin, "/api/credit/records").await;
    let credit_record = v["items"][0]["id"].as_i64().unwrap();
    let soon = lc_services::time::local_date(s.state().clock.now_ms())
        .unwrap()
        .checked_add(jiff::Span::new().days(10))
        .unwrap();
    let (st, v) = s
        .post(&admin, "/api/practitioners", json!({"provider_code": P, "name": "钱七", "kind": "caregiver", "certificates": [{"name": "健康证", "number": "JK-1", "valid_until": soon.to_string()}]}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = s.post(&admin, "/api/warnings/evaluate", json!({})).await;
    assert_eq!((st, &v["raised"]), (StatusCode::OK, &json!(1)), "{v}");
    let (_, v) = s.get(&admin, "/api/warnings").await;
    let warning = v["items"][0]["id"].as_i64().unwrap();
    let today = lc_services::time::local_date(s.state().clock.now_ms())
        .unwrap()
        .to_string();
    let (st, v) = s
        .post(&admin, "/api/credit/commitments", json!({"committer_name": "甲家政公司", "committer_kind": "organisation", "committer_code": P, "kind": "voluntary", "content": "明码标价", "liability": "退出清单", "made_on": today, "accepted_by": "商务局", "accepted_by_code": "11510107MB1535302N", "publication": "public", "division": "110108"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let commitment = v["id"].as_i64().unwrap();
    let (st, v) = s
        .post(&admin, "/api/credit/lists", json!({"list_kind": "red", "subject_uscc": P, "subject_name": "甲家政公司", "entered_on": today, "entry_reason": "诚信经营", "decided_by": "发改局", "decision_doc": "红〔2026〕1号", "source": "发改局"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let list_entry = v["id"].as_i64().unwrap();
    let (st, v) = s
        .post(
            &admin,
            "/api/care/register",
            json!({"resident_id": rids[0], "categories": ["living_alone"], "since": "2025-01-01"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let care_entry = v["id"].as_i64().unwrap();
    let (st, v) = s
        .post(
            &admin,
            "/api/care/entitlements",
            json!({"category": "living_alone", "service": "meal", "monthly_fen": 100}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let entitlement = v["id"].as_i64().unwrap();
    let (st, v) = s
        .post(&admin, "/api/care/visits", json!({"register_id": care_entry, "mode": "home", "date": "2025-06-01", "start": "10:00", "end": "10:30", "place": "家中", "outcome": "好", "needs": [{"text": "助餐"}]}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let visit = v["id"].as_i64().unwrap();
    // Nobody on the register was visited last month: C1's workers get a warning.
    let (st, v) = s.post(&admin, "/api/warnings/evaluate", json!({})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s.get(&worker, "/api/warnings").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        (
            &v["total"],
            &v["items"][0]["rule"],
            &v["items"][0]["subject_id"]
        ),
        (&json!(1), &json!("visit_rate_below_target"), &json!(C1)),
        "{v}"
    );
    let community_warning = v["items"][0]["id"].as_i64().unwrap();
    for (id, category) in [("N1", "nursery"), ("E1", "elderly_service_station")] {
        let (st, v) = s.post(&admin, "/api/facilities", json!({"id": id, "name": id, "category": category, "lon": 116.35, "lat": 40.0, "provider_code": P, "capacity": 2})).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let (st, v) = s
        .post(&admin, "/api/childcare/enrolments", json!({"facility_id": "N1", "parent_resident_id": rids[0], "child_name": "张小宝", "child_birth_month": "2025-01"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let enrolment = v["id"].as_i64().unwrap();
    let (st, v) = s
        .post(&admin, "/api/home-beds", json!({"resident_id": rids[0], "facility_id": "E1", "services": ["home_bed_visit"], "start": "2025-01-01", "end": "2029-12-31", "visits_per_month": 4}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let home_bed = v["id"].as_i64().unwrap();
    let spot_check = published_spot_check(s, &admin).await;
    let (st, v) = s
        .call(
            &admin,
            "PUT",
            &format!("/api/housekeeping/practitioners/{}/consent", pids[0]),
            Some(json!({"given": true, "method": "written"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s
        .post(
            &admin,
            &format!("/api/housekeeping/practitioners/{}/tokens", pids[0]),
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let hk_token = v["token_id"].as_str().unwrap().to_string();
    let hk_text = v["text"].as_str().unwrap().to_string();
    let (assessment_job, assessment_run) = assessment_run(s, &admin).await;
    let siting_run = siting_run(s, &admin).await;
    let release = stored_release(s).await;
    Fixture {
        sessions: vec![
            (None, Auth::Anonymous),
            (Some(Role::Resident), resident),
            (Some(Role::ProviderStaff), staff),
            (Some(Role::CommunityWorker), worker),
            (Some(Role::Regulator), regulator),
            (Some(Role::Admin), admin),
        ],
        practitioner: pids[0],
        other_practitioner: pids[1],
        resident: rids[0],
        other_resident: rids[1],
        user: ruid,
        offering,
        booking,
        care_entry,
        entitlement,
        visit,
        enrolment,
        home_bed,
        review,
        review_case,
        credit_record,
        warning,
        community_warning,
        spot_check,
        commitment,
        list_entry,
        hk_token,
        hk_text,
        assessment_job,
        assessment_run,
        siting_run,
        release,
    }
}

async fn stored_release(s: &TestServer) -> i64 {
    lc_store::sqlx::query_scalar(
        "INSERT INTO releases (division_code, region_name, level, period, kind, title_zh, title_en, made_on, made_by, created_by, created_at, input_json, input_sha256, document_json, html, html_sha256, pdf, pdf_sha256) VALUES ('110108', '海淀区', 'district', '2026Q3', 'quarterly', 't', 't', '2026-10-01', 'cli', NULL, 0, '{}', '', '{}', '<p>t</p>', '', $1, '') RETURNING id",
    )
    .bind(b"%PDF-1.7".to_vec())
    .fetch_one(s.state().store.pool())
    .await
    .unwrap()
}

/// A candidate plot beside C1 and a siting scenario on it.
async fn siting_run(s: &TestServer, admin: &Auth) -> i64 {
    let (st, v) = s
        .upload(
            admin,
            "/api/siting/candidates/import",
            "id,name,lon,lat\nKX,富润旁地块,116.3481,39.9990\n",
            Some("text/csv"),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s
        .post(
            admin,
            "/api/siting/runs",
            json!({"category": "community_canteen", "sites": 1}),
        )
        .await;
    if st == StatusCode::SERVICE_UNAVAILABLE && v["code"] == json!("no_network") {
        return 0;
    }
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

/// An assessment run computed by the server on the fixture's registry, finished.
async fn assessment_run(s: &TestServer, admin: &Auth) -> (String, i64) {
    let (st, v) = s.post(admin, "/api/assessments/runs", json!({})).await;
    if st == StatusCode::SERVICE_UNAVAILABLE && v["code"] == json!("no_network") {
        return ("-".into(), 0);
    }
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    for _ in 0..2400 {
        let (_, v) = s.get(admin, &format!("/api/assessments/jobs/{id}")).await;
        if v["status"] != json!("running") {
            assert_eq!(v["status"], json!("done"), "{v}");
            return (id, v["run_id"].as_i64().unwrap());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the fixture's assessment run did not finish");
}

/// A spot check of the nurseries (N1 alone), drawn, its result recorded and published.
async fn published_spot_check(s: &TestServer, admin: &Auth) -> i64 {
    let (st, v) = s
        .post(
            admin,
            "/api/check-items",
            json!({"code": "SP-1", "name": "托育安全", "kind": "key"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    for code in ["I1", "I2"] {
        let (st, v) = s
            .post(
                admin,
                "/api/inspectors",
                json!({"code": code, "name": code, "department": "市监局"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    // An object needs its division (the pool is drawn by region).
    let (st, v) = s
        .patch(
            admin,
            "/api/facilities/N1",
            json!({"division_code": "110108010"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let today = lc_services::time::local_date(s.state().clock.now_ms()).unwrap();
    let (st, v) = s
        .post(admin, "/api/spot-checks", json!({"label": "托育机构抽查", "categories": ["nursery"], "check_items": ["SP-1"], "public_value_sources": ["3D"], "draw_on": today.to_string()}))
        .await;
    assert_eq!((st, &v["objects"]), (StatusCode::CREATED, &json!(1)), "{v}");
    let id = v["id"].as_i64().unwrap();
    let (st, v) = s
        .post(
            admin,
            &format!("/api/spot-checks/{id}/draw"),
            json!({"public_values": [{"source": "3D", "value": "1"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s
        .post(
            admin,
            &format!("/api/spot-checks/{id}/results"),
            json!({"object_id": "N1", "outcome": "no_problem", "checked_on": today.to_string()}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s
        .post(admin, &format!("/api/spot-checks/{id}/publish"), json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    id
}

/// A second booking of the resident, served and rated 非常不满意 (by the administrator with the
/// resident's written consent): the review and its case.
async fn reviewed_booking(
    s: &TestServer,
    admin: &Auth,
    offering: i64,
    slots: &Value,
    resident: i64,
) -> (i64, i64) {
    let slot = slots
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["bookable"] == json!(true))
        .nth(1)
        .unwrap();
    let r = s
        .request(admin, "POST", "/api/bookings")
        .header("idempotency-key", "matrix-2")
        .json(&json!({"offering_id": offering, "resident_id": resident, "start": slot["start"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let (st, _) = s
        .post(admin, &format!("/api/bookings/{id}/confirm"), json!({}))
        .await;
    assert_eq!(st, StatusCode::OK);
    let now = s.state().clock.now_ms();
    s.state()
        .clock
        .advance(slot["start_ms"].as_i64().unwrap() - now);
    for a in ["start", "complete"] {
        let (st, v) = s
            .post(admin, &format!("/api/bookings/{id}/{a}"), json!({}))
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    let (st, v) = s
        .post(admin, "/api/reviews", json!({"booking_id": id, "level": "very_dissatisfied", "consent": {"method": "written"}}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    (v["id"].as_i64().unwrap(), v["case"]["id"].as_i64().unwrap())
}

fn concrete(path: &str, f: &Fixture) -> String {
    if path.starts_with("/api/check-items/") {
        return path.replace("{code}", "SP-1");
    }
    if path.starts_with("/api/inspectors/") {
        return path.replace("{code}", "I1");
    }
    // The fixture's record for each path prefix (the first that matches); an account otherwise.
    let records: [(&str, String); 29] = [
        ("/api/siting/runs/", f.siting_run.to_string()),
        ("/api/releases/", f.release.to_string()),
        ("/api/siting/candidates/", "KX".into()),
        ("/api/assessments/jobs/", f.assessment_job.clone()),
        ("/api/assessments/", f.assessment_run.to_string()),
        (
            "/api/housekeeping/practitioners/",
            f.practitioner.to_string(),
        ),
        ("/api/housekeeping/tokens/", f.hk_token.clone()),
        ("/api/spot-checks/", f.spot_check.to_string()),
        ("/api/public/spot-checks/", f.spot_check.to_string()),
        ("/api/credit/commitments/", f.commitment.to_string()),
        ("/api/credit/lists/", f.list_entry.to_string()),
        ("/api/warnings/", f.warning.to_string()),
        ("/api/credit/records/", f.credit_record.to_string()),
        ("/api/review-cases/", f.review_case.to_string()),
        ("/api/reviews/", f.review.to_string()),
        ("/api/care/register/", f.care_entry.to_string()),
        ("/api/care/entitlements/", f.entitlement.to_string()),
        ("/api/care/visits/", f.visit.to_string()),
        ("/api/childcare/nurseries/", "N1".into()),
        ("/api/childcare/enrolments/", f.enrolment.to_string()),
        ("/api/home-beds/", f.home_bed.to_string()),
        ("/api/communities/", C1.to_string()),
        ("/api/facilities/", "F1".into()),
        ("/api/practitioners/", f.practitioner.to_string()),
        ("/api/residents/", f.resident.to_string()),
        ("/api/offerings/", f.offering.to_string()),
        ("/api/bookings/", f.booking.to_string()),
        ("/api/users/", f.user.to_string()),
        ("/api/auth/tokens/", f.user.to_string()),
    ];
    let id = records
        .iter()
        .find(|(prefix, _)| path.starts_with(prefix))
        .map(|(_, id)| id.clone())
        .unwrap_or_else(|| f.user.to_string());
    path.replace("{id}", &id)
        .replace("{code}", "110108010")
        .replace("{uscc}", P)
        .replace("{day}", "2027-02-17")
        .replace("{object}", "N1")
        .replace("{token}", &f.hk_text)
        .replace("{file}", "communities.csv")
}

#[test]
fn the_written_matrix_covers_every_endpoint_the_server_declares() {
    let mut declared: Vec<(&str, &str)> = ENDPOINTS.iter().map(|e| (e.method, e.path)).collect();
    let mut written: Vec<(&str, &str)> = EXPECTED.iter().map(|e| (e.0, e.1)).collect();
    declared.sort();
    written.sort();
    assert_eq!(
        declared, written,
        "every endpoint needs its expected row in EXPECTED, and every row an endpoint"
    );
}

async fn authorization_matrix(s: &TestServer) {
    let f = fixture(s).await;
    let mut checked = 0;
    // Logout last: it ends the session.
    let mut order: Vec<_> = EXPECTED.iter().collect();
    order.sort_by_key(|e| e.1 == "/api/auth/logout");
    for &&(method, path_pattern, who_passes) in &order {
        let e = ENDPOINTS
            .iter()
            .find(|e| e.method == method && e.path == path_pattern)
            .unwrap_or_else(|| panic!("{method} {path_pattern} is not an endpoint"));
        for (role, auth) in &f.sessions {
            let body = e.body.map(|_| Value::Object(Default::default()));
            let admitted = who_passes.contains(letter(*role));
            // The server's table agrees with the written matrix.
            assert_eq!(
                e.access.admits(*role),
                admitted,
                "ENDPOINTS and the written matrix disagree on {method} {path_pattern} for {}",
                letter(*role)
            );
            let mut path = concrete(e.path, &f);
            if e.path == "/api/auth/tokens/{id}" && admitted {
                // Each holder revokes a token of its own.
                let (st, v) = s
                    .post(auth, "/api/auth/tokens", json!({"name": "matrix"}))
                    .await;
                assert_eq!(st, StatusCode::CREATED, "{v}");
                path = format!("/api/auth/tokens/{}", v["id"]);
            }
            if e.path.starts_with("/api/warnings/{id}") && *role == Some(Role::CommunityWorker) {
                // A community worker acts on the warnings of their community.
                path = path.replace(
                    &format!("/{}/", f.warning),
                    &format!("/{}/", f.community_warning),
                );
            }
            if e.path == "/api/siting/candidates/{id}" && admitted {
                // Each admitted role deletes a plot of its own.
                let admin = &f.sessions.last().unwrap().1;
                let key = format!("DEL-{}", letter(*role));
                let (st, v) = s
                    .post(
                        admin,
                        "/api/siting/candidates",
                        json!({"id": key, "name": "待删地块", "lon": 116.35, "lat": 40.0}),
                    )
                    .await;
                assert_eq!(st, StatusCode::CREATED, "{v}");
                path = format!("/api/siting/candidates/{key}");
            }
            let (st, v) = s.call(auth, e.method, &path, body).await;
            let who = role.map(|r| r.key()).unwrap_or("anonymous");
            // The credit-risk class is internal: no answer to anyone but regulators and
            // administrators carries it (the fixture's provider P has one).
            // (The OpenAPI document names the field; a class itself is `"risk_class":"A"`.)
            if !matches!(role, Some(Role::Regulator | Role::Admin)) {
                assert!(
                    !v.to_string().contains("\"risk_class\":\""),
                    "{who} sees a credit class in {} {path}",
                    e.method
                );
            }
            if admitted {
                assert!(
                    st != StatusCode::UNAUTHORIZED
                        && st != StatusCode::FORBIDDEN
                        && st != StatusCode::NOT_FOUND
                        && !st.is_server_error(),
                    "{who} should pass {} {path}: {st} {v}",
                    e.method
                );
            } else {
                let want = if role.is_none() {
                    StatusCode::UNAUTHORIZED
                } else {
                    StatusCode::FORBIDDEN
                };
                assert_eq!(st, want, "{who} should be refused {} {path}: {v}", e.method);
                assert_eq!(
                    v["code"],
                    json!(if role.is_none() {
                        "unauthenticated"
                    } else {
                        "forbidden"
                    })
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, EXPECTED.len() * 6);
    // Every role is refused somewhere and admitted somewhere: the matrix is not trivial.
    for r in Role::ALL.into_iter().filter(|r| *r != Role::Admin) {
        assert!(ENDPOINTS.iter().any(|e| !e.access.admits(Some(r))), "{r}");
    }
    assert!(ENDPOINTS
        .iter()
        .any(|e| matches!(e.access, Access::Roles(rs) if rs == [Role::Admin])));
}

mod authorization_matrix {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let s = super::TestServer::start_with_network(
            super::common::Db::Sqlite,
            "authorization_matrix",
            Some(super::cau_network()),
        )
        .await
        .unwrap();
        super::authorization_matrix(&s).await;
        s.stop().await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let Some(s) = super::TestServer::start_with_network(
            super::common::Db::Postgres,
            "authorization_matrix",
            Some(super::cau_network()),
        )
        .await
        else {
            return;
        };
        super::authorization_matrix(&s).await;
        s.stop().await;
    }
}

async fn record_scopes(s: &TestServer) {
    let f = fixture(s).await;
    let auth = |r: Role| {
        f.sessions
            .iter()
            .find(|(x, _)| *x == Some(r))
            .unwrap()
            .1
            .clone()
    };
    let (staff, worker, resident, regulator) = (
        auth(Role::ProviderStaff),
        auth(Role::CommunityWorker),
        auth(Role::Resident),
        auth(Role::Regulator),
    );

    // A provider edits only its own outlets and practitioners.
    let (st, _) = s
        .patch(&staff, "/api/facilities/F1", json!({"capacity": 5}))
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, v) = s
        .patch(&staff, "/api/facilities/F2", json!({"capacity": 5}))
        .await;
    assert_error(st, &v, StatusCode::FORBIDDEN, "forbidden");
    let (st, _) = s
        .patch(&staff, "/api/facilities/F1", json!({"provider_code": Q}))
        .await;
    assert_eq!(
        st,
        StatusCode::FORBIDDEN,
        "cannot hand an outlet to another provider"
    );
    let (st, v) = s
        .post(
            &staff,
            "/api/facilities",
            json!({"id": "F3", "category": "laundry", "lon": 116.3, "lat": 39.9}),
        )
        .await;
    assert_eq!(
        (st, v["provider_code"].as_str()),
        (StatusCode::CREATED, Some(P)),
        "own provider by default"
    );
    let (st, _) = s.post(&staff, "/api/facilities", json!({"id": "F4", "category": "laundry", "lon": 116.3, "lat": 39.9, "provider_code": Q})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = s
        .patch(&staff, &format!("/api/providers/{Q}"), json!({"name": "x"}))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, v) = s.get(&staff, "/api/practitioners").await;
    // The fixture's first practitioner and the one with the expiring health certificate.
    assert_eq!(v["total"], json!(2));
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["provider_code"] == json!(P)));
    let (_, v) = s
        .get(&staff, &format!("/api/practitioners?provider_code={Q}"))
        .await;
    assert_eq!(v["total"], json!(0), "a filter cannot widen the scope");
    let (st, _) = s
        .get(
            &staff,
            &format!("/api/practitioners/{}", f.other_practitioner),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Contacts: in full for the provider's own staff and regulators, masked for other providers.
    let (_, v) = s.get(&staff, &format!("/api/providers/{P}")).await;
    assert_eq!(v["contact_phone"], json!("13800001111"));
    let (_, v) = s.get(&staff, &format!("/api/providers/{Q}")).await;
    assert_eq!(v["contact_phone"], json!("138****1111"));
    // Credit records: a provider reads its own (never who imported them), not another's,
    // whatever it filters by.
    let penalty = format!("CF_XDR_MC,CF_XDR_SHXYM,CF_WSH,CF_WFXW,CF_SY,CF_YJ,CF_CFLB,CF_NR,CF_JDRQ,CF_CFJG,CF_CFJGDM,CF_SJLY,CF_SJLYDM\n乙公司,{Q},罚〔2026〕9号,无证经营,检查发现,条例,警告,警告,2026-01-06,市监局,11510107MB1535302N,市监局,11510107MB1535302N\n");
    let (st, v) = s
        .upload(
            &regulator,
            "/api/credit/penalties/import",
            penalty,
            Some("text/csv"),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, v) = s.get(&regulator, "/api/credit/records").await;
    assert_eq!(v["total"], json!(2), "{v}");
    let (st, v) = s.get(&staff, "/api/credit/records").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["total"], json!(1), "{v}");
    assert_eq!(v["items"][0]["subject_uscc"], json!(P));
    assert_eq!(v["items"][0]["imported_by"], Value::Null);
    let (_, v) = s
        .get(&staff, &format!("/api/credit/records?subject={Q}"))
        .await;
    assert_eq!(v["total"], json!(0), "a filter cannot widen the scope");

    // A community worker sees only their community's residents, masked in lists.
    let own_record = format!("/api/residents/{}", f.resident);
    let other_record = format!("/api/residents/{}", f.other_resident);
    let reads_log = format!("/api/access-log?entity=resident&entity_id={}", f.resident);
    let (_, v) = s.get(&worker, "/api/residents").await;
    assert_eq!(v["total"], json!(1));
    assert_eq!(
        (
            v["items"][0]["name"].as_str(),
            v["items"][0]["phone"].as_str()
        ),
        (Some("张*"), Some("137****1234"))
    );
    assert_eq!(
        v["items"][0]["id_number_masked"],
        json!("1101**********002X")
    );
    let (_, v) = s
        .get(&worker, &format!("/api/residents?community_id={C2}"))
        .await;
    assert_eq!(v["total"], json!(0));
    let (st, _) = s.get(&worker, &other_record).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = s.get(&worker, &own_record).await;
    assert_eq!((st, v["name"].as_str()), (StatusCode::OK, Some("张三")));
    let (st, v) = s
        .post(&worker, "/api/residents", json!({"name": "李四"}))
        .await;
    assert_eq!(
        (st, v["community_id"].as_str()),
        (StatusCode::CREATED, Some(C1))
    );
    let (st, _) = s
        .post(
            &worker,
            "/api/residents",
            json!({"name": "王五", "community_id": C2}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = s
        .patch(
            &worker,
            &format!("/api/communities/{C2}"),
            json!({"population": 1}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, bytes, _) = s
        .raw(&worker, "GET", "/api/residents/export.csv", None)
        .await;
    assert!(
        bytes.contains("张*") && !bytes.contains("张三") && !bytes.contains("13700001234"),
        "{bytes}"
    );
    assert_eq!(bytes.lines().count(), 3, "own community only: {bytes}");
    // Every staff read of personal data is in the access log.
    let admin = auth(Role::Admin);
    let (_, log) = s.get(&admin, &reads_log).await;
    assert_eq!(log["items"][0]["role"], json!("community_worker"));
    assert_eq!(log["items"][0]["fields"], json!("name,phone"));

    // A resident sees and changes only their own record, and only its phone and address.
    let (st, v) = s.get(&resident, &own_record).await;
    assert_eq!(
        (st, v["phone"].as_str()),
        (StatusCode::OK, Some("13700001234"))
    );
    let (st, _) = s.get(&resident, &other_record).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = s
        .patch(&resident, &own_record, json!({"phone": "13700009999"}))
        .await;
    assert_eq!(
        (st, v["phone"].as_str()),
        (StatusCode::OK, Some("13700009999"))
    );
    let (st, _) = s
        .patch(&resident, &own_record, json!({"community_id": C2}))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, log) = s.get(&admin, &reads_log).await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["role"] != json!("resident")),
        "own reads are not staff reads"
    );

    // Regulators keep the registry but do not see residents.
    let (st, _) = s.get(&regulator, "/api/residents").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = s
        .patch(&regulator, "/api/facilities/F2", json!({"capacity": 9}))
        .await;
    assert_eq!(st, StatusCode::OK);
}
both!(record_scopes);
