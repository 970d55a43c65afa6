//! 示例活动 A deterministic month of platform activity on the demo data (issue 16), so that the
//! monthly figures have something to count: `livingcircle monitor demo-activity --month
//! 2026-11 --seed 1`, and the tests' worked example.
//!
//! On the communities of the registry (those under `within`, by id, at most `max_communities`)
//! it sets up, once per community and through the registry's checks, what a month needs — a
//! demo provider (NBS class 2019:03), one outlet per community (an elderly service station with
//! cleaning and bathing at home, or a community canteen with meals, alternately; every other one
//! listed as an inclusive outlet with its commitment), four residents, two of them on the care
//! register, one of those with a home-bed contract at a station — and then writes the month's
//! history as it would have been left by the month's requests: bookings (completed, cancelled,
//! no-show), ratings with their log entries, 差评 cases (rectified on time, late, or still
//! open), care visits, one drawn spot check with results (some finding problems) and a warning
//! per problem found (some resolved in the month).
//!
//! The history rows are written directly, as at the end of the month: the state machines'
//! intermediate events (a booking's confirm and start, a case's verify) are not replayed. What
//! the rows hold is what the statistics read. Everything follows from the seed through a
//! SplitMix64 stream, so the same seed on the same registry writes the same month; a month is
//! generated once per database (`settings` key `demo_activity:{month}`).

use lc_registry::records::{check_new, FacilityInput, Input, ProviderInput, ResidentInput};
use lc_reviews::case::{Case, Status as CaseStatus};
use lc_reviews::level::Level;
use lc_services::care::RegisterInput;
use lc_services::time::{instant, YearMonth};
use lc_store::sqlx::{self, AnyConnection};
use lc_store::{Actor, StoreError};
use serde::Serialize;
use serde_json::json;

use crate::auth::Caller;
use crate::domains::care::register::{self, RegisterRow};
use crate::domains::registry::{facilities, providers, residents};
use crate::domains::reviews::{cases, records};
use crate::domains::services::bookings;
use crate::domains::services::offerings::{self, OfferingBody};
use crate::error::{ApiResult, AppError};
use crate::AppState;

/// The demo provider's code body (the check character is computed).
const PROVIDER_BODY: &str = "91110108MA0ACT001";

/// SplitMix64: a small, well-known generator whose stream is the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n small; the modulo bias is far below what a demo can show).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// What was generated: counts, and one line per thing made (the tests' worked example reads
/// them).
#[derive(Debug, Default, Serialize)]
#[allow(missing_docs)]
pub struct Summary {
    pub month: String,
    pub communities: usize,
    pub bookings: usize,
    pub reviews: usize,
    pub cases: usize,
    pub visits: usize,
    pub spot_check_results: usize,
    pub warnings: usize,
    /// `community kind details…`, in the order made.
    pub lines: Vec<String>,
}

fn actor() -> Actor {
    Actor {
        request_id: Some("demo-activity".into()),
        ..Actor::default()
    }
}

fn system() -> Caller {
    Caller {
        user: None,
        request_id: "demo-activity".into(),
        session_hash: None,
    }
}

fn refused(what: &str, e: impl std::fmt::Debug) -> AppError {
    AppError::internal(format!("demo activity: {what}: {e:?}"))
}

/// One community's outlet and people.
struct Place {
    community: String,
    division: String,
    outlet: String,
    /// (service, delivery, offering id, price).
    offerings: Vec<(&'static str, &'static str, i64, i64)>,
    residents: Vec<i64>,
    /// (register id, resident id).
    register: Vec<(i64, i64)>,
}

/// Instant of a day of the month at a local time.
fn at(month: YearMonth, day: i8, hour: i8, minute: i8) -> ApiResult<i64> {
    let date = jiff::civil::Date::new(month.first_day().year(), month.first_day().month(), day)
        .map_err(AppError::internal)?;
    instant(date, jiff::civil::Time::constant(hour, minute, 0, 0)).map_err(AppError::internal)
}

fn day(month: YearMonth, d: i8) -> ApiResult<jiff::civil::Date> {
    jiff::civil::Date::new(month.first_day().year(), month.first_day().month(), d)
        .map_err(AppError::internal)
}

/// Generates a month of activity (see the module documentation).
pub async fn generate(
    st: &AppState,
    month: YearMonth,
    seed: u64,
    within: Option<&str>,
    max_communities: usize,
) -> ApiResult<Summary> {
    let flag = format!("demo_activity:{month}");
    let mut tx = st.store.begin().await?;
    let done: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(flag.clone())
        .fetch_optional(tx.conn())
        .await
        .map_err(StoreError::from)?;
    if done.is_some() {
        return Err(AppError::new(
            axum::http::StatusCode::CONFLICT,
            "conflict",
            format!("{month} 的示例活动已生成过"),
            format!("the demo activity of {month} has been generated already"),
        ));
    }
    let prefix = lc_store::sql::prefix_pattern(within.unwrap_or(""));
    let communities: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, division_code FROM communities WHERE division_code IS NOT NULL AND division_code LIKE $1 ESCAPE '\\' ORDER BY id",
    )
    .bind(prefix)
    .fetch_all(tx.conn())
    .await
    .map_err(StoreError::from)?;
    let communities: Vec<(String, String)> =
        communities.into_iter().take(max_communities).collect();
    if communities.is_empty() {
        return Err(AppError::bad_request(
            "没有带区划代码的社区，无法生成示例活动",
            "no community with a division code: nothing to generate activity on",
        ));
    }
    let admin: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1")
            .fetch_one(tx.conn())
            .await
            .map_err(StoreError::from)?;
    let (start, _) = month.bounds().map_err(AppError::internal)?;
    let mut rng = Rng(seed);
    let mut out = Summary {
        month: month.to_string(),
        communities: communities.len(),
        ..Summary::default()
    };
    let provider = ensure_provider(&mut tx, start).await?;
    let mut places = Vec::new();
    for (i, (community, division)) in communities.iter().enumerate() {
        places.push(
            ensure_place(st, &mut tx, &provider, community, division, i, month, start).await?,
        );
    }

    // Bookings, ratings and 差评 cases.
    for p in &places {
        let n = 2 + rng.below(3);
        for k in 0..n {
            let (service, delivery, offering, price) =
                p.offerings[rng.below(p.offerings.len() as u64) as usize];
            let resident = p.residents[rng.below(p.residents.len() as u64) as usize];
            let d = 1 + rng.below(27) as i8;
            let start_ms = at(month, d, 10, 0)?;
            let roll = rng.below(10);
            let status = match roll {
                0 => "cancelled",
                1 => "no_show",
                _ => "completed",
            };
            let key = format!("act-{month}-{}-{k}", p.community);
            let booking: i64 = sqlx::query_scalar(
                "INSERT INTO bookings (offering_id, facility_id, provider_code, service, delivery, resident_id, community_id, start_ms, end_ms, status, channel, booked_by, consent_method, consent_note, note, price_fen, subsidy_fen, late_cancel, seat_held, idempotency_key, request_hash, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'phone', $11, NULL, NULL, '示例活动', $12, 0, 0, NULL, $13, $14, $15, $16, 3) RETURNING id",
            )
            .bind(offering)
            .bind(p.outlet.clone())
            .bind(provider.clone())
            .bind(service.to_string())
            .bind(delivery.to_string())
            .bind(resident)
            .bind(p.community.clone())
            .bind(start_ms)
            .bind(start_ms + 3_600_000)
            .bind(status.to_string())
            .bind(admin)
            .bind(price)
            .bind(key.clone())
            .bind(key.clone())
            .bind(start_ms - 86_400_000)
            .bind(start_ms + 3_600_000)
            .fetch_one(tx.conn())
            .await
            .map_err(StoreError::from)?;
            // Its national key (migration 0019); it holds no seat (the slot is in the past).
            bookings::claim_key(tx.conn(), admin, &key, booking).await?;
            out.bookings += 1;
            out.lines.push(format!(
                "{} booking {booking} {service} day {d} {status}",
                p.community
            ));
            if status != "completed" || !rng.chance(75) {
                continue;
            }
            let level = match rng.below(10) {
                0..=3 => Level::VerySatisfied,
                4..=6 => Level::Satisfied,
                7 => Level::Basic,
                8 => Level::Dissatisfied,
                _ => Level::VeryDissatisfied,
            };
            let rated_at = start_ms + 2 * 3_600_000;
            let mut review = records::ReviewRow {
                id: 0,
                subject_kind: "booking".into(),
                subject_id: booking,
                facility_id: Some(p.outlet.clone()),
                provider_code: Some(provider.clone()),
                practitioner_id: None,
                service: service.into(),
                division_code: Some(p.division.clone()),
                community_id: p.community.clone(),
                resident_id: resident,
                submitted_by: Some(admin),
                proxy: 0,
                consent_method: None,
                consent_note: None,
                served_at: start_ms + 3_600_000,
                rated_at,
                month: month.to_string(),
                level: level.key().into(),
                class: records::class_key(level).into(),
                indicators_version: lc_reviews::indicators::builtin().version.clone(),
                indicator_set: "offline".into(),
                scores: serde_json::to_string(&json!({"overall": level.key()}))
                    .map_err(AppError::internal)?,
                text: None,
                is_default: 0,
                excluded: 0,
                version: 0,
            };
            review.id = records::insert(tx.conn(), &review)
                .await?
                .ok_or_else(|| refused("review", booking))?;
            records::log_event(
                tx.conn(),
                None,
                review.id,
                None,
                rated_at,
                "rated",
                &records::rated_detail(&review),
            )
            .await?;
            out.reviews += 1;
            out.lines.push(format!(
                "{} review {} of booking {booking} {service} {}",
                p.community, review.id, review.class
            ));
            if !level.is_bad() {
                continue;
            }
            // The case: received the day of rating, 7 days to rectify (a jurisdiction's deadline
            // in natural days), then rectified on time, late, or not yet.
            let received = day(month, d)?;
            let deadline = received.saturating_add(jiff::Span::new().days(7));
            let case = Case {
                status: CaseStatus::Received,
                received,
                deadline: Some(deadline),
                verified: false,
                appealed: false,
                excluded: false,
                rectified_on_time: None,
            };
            let row = cases::insert(
                tx.conn(),
                &review,
                &case,
                Some("示例活动：7 个自然日".into()),
                rated_at,
            )
            .await?;
            let (status, on_time) = match rng.below(5) {
                0..=2 => ("rectified", Some(1i64)),
                3 => ("rectified", Some(0i64)),
                _ => ("rectifying", None),
            };
            sqlx::query("UPDATE review_cases SET status = $2, verified = 1, rectified_on_time = $3, version = version + 1 WHERE id = $1")
                .bind(row.id)
                .bind(status.to_string())
                .bind(on_time)
                .execute(tx.conn())
                .await
                .map_err(StoreError::from)?;
            out.cases += 1;
            out.lines.push(format!(
                "{} case {} deadline {deadline} {status}{}",
                p.community,
                row.id,
                match on_time {
                    Some(1) => " on_time",
                    Some(_) => " late",
                    None => "",
                }
            ));
        }
    }

    // Visits: each person on the register, visited with probability 3/4.
    for p in &places {
        for &(register_id, resident) in &p.register {
            if !rng.chance(75) {
                out.lines
                    .push(format!("{} visit resident {resident} none", p.community));
                continue;
            }
            let d = 1 + rng.below(27) as i8;
            let started = at(month, d, 15, 0)?;
            sqlx::query(
                "INSERT INTO care_visits (register_id, resident_id, community_id, mode, visit_date, month, started_at, ended_at, place, visitor_user_id, visitor_name, outcome, needs, recorded_by, created_at, updated_at, version) VALUES ($1, $2, $3, 'home', $4, $5, $6, $7, '家中（示例）', NULL, '社区工作者（示例）', '身体状况良好（示例）', '[]', $8, $7, $7, 0)",
            )
            .bind(register_id)
            .bind(resident)
            .bind(p.community.clone())
            .bind(day(month, d)?.to_string())
            .bind(month.to_string())
            .bind(started)
            .bind(started + 1_800_000)
            .bind(admin)
            .execute(tx.conn())
            .await
            .map_err(StoreError::from)?;
            out.visits += 1;
            out.lines
                .push(format!("{} visit resident {resident} day {d}", p.community));
        }
    }

    // One spot check of the month's outlets: about three in five drawn, half of them finding
    // problems; a warning for each problem, half of them resolved in the month.
    let check_id: i64 = sqlx::query_scalar(
        "INSERT INTO spot_checks (label, status, object_kind, scope, plan, objects_sha256, inspectors_sha256, seed_commitment, public_value_sources, draw_on, publish_within_days, created_by, created_at, updated_at, version) VALUES ($1, 'drawn', 'outlet', '示例活动的网点', '{}', '', '', NULL, '[]', $2, 20, $3, $4, $4, 1) RETURNING id",
    )
    .bind(format!("{month} 示例抽查（生成的示例活动，无抽取清单）"))
    .bind(month.first_day().to_string())
    .bind(admin)
    .bind(start)
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::from)?;
    for p in &places {
        if !rng.chance(60) {
            continue;
        }
        let d = 1 + rng.below(27) as i8;
        let failed = rng.chance(50);
        let outcome = if failed {
            "rectify_ordered"
        } else {
            "no_problem"
        };
        let checked_on = day(month, d)?;
        let result: i64 = sqlx::query_scalar(
            "INSERT INTO spot_check_results (spot_check_id, object_id, provider_code, inspectors, outcome, findings, checked_on, rectification_due, rectified_on, rectification_note, recorded_by, updated_at, version) VALUES ($1, $2, $3, '[]', $4, $5, $6, NULL, NULL, NULL, $7, $8, 1) RETURNING id",
        )
        .bind(check_id)
        .bind(p.outlet.clone())
        .bind(provider.clone())
        .bind(outcome.to_string())
        .bind(failed.then(|| "台账不全（示例）".to_string()))
        .bind(checked_on.to_string())
        .bind(admin)
        .bind(at(month, d, 12, 0)?)
        .fetch_one(tx.conn())
        .await
        .map_err(StoreError::from)?;
        out.spot_check_results += 1;
        out.lines.push(format!(
            "{} spot-check {} day {d} {outcome}",
            p.community, p.outlet
        ));
        if !failed {
            continue;
        }
        let raised = at(month, d, 13, 0)?;
        let resolved_day = (d + 1 + rng.below(3) as i8).min(28);
        let resolved = rng
            .chance(50)
            .then(|| at(month, resolved_day, 9, 0))
            .transpose()?;
        let condition = format!("spot_check_result:{result}");
        sqlx::query(
            "INSERT INTO warnings (rule, condition_key, open_key, subject_kind, subject_id, provider_code, severity, assignee, due_date, message_zh, message_en, detail, status, raised_at, acknowledged_at, acknowledged_by, resolved_at, resolution, version) VALUES ('spot_check_failed', $1, $2, 'spot_check_result', $3, $4, 'medium', 'provider', $5, '抽查发现问题（示例）', 'a spot check found problems (demo)', '{}', $6, $7, NULL, NULL, $8, $9, 1)",
        )
        .bind(condition.clone())
        .bind(resolved.is_none().then(|| condition.clone()))
        .bind(result.to_string())
        .bind(provider.clone())
        .bind(checked_on.saturating_add(jiff::Span::new().days(10)).to_string())
        .bind(if resolved.is_some() { "resolved" } else { "open" })
        .bind(raised)
        .bind(resolved)
        .bind(resolved.map(|_| "已整改（示例）".to_string()))
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
        out.warnings += 1;
        out.lines.push(format!(
            "{} warning of result {result} day {d} {}",
            p.community,
            if resolved.is_some() {
                format!("resolved day {resolved_day}")
            } else {
                "open".into()
            }
        ));
    }

    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2)")
        .bind(flag)
        .bind(json!({"seed": seed, "within": within, "communities": out.communities}).to_string())
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    tx.audit(
        &actor(),
        "generate",
        "demo_activity",
        &month.to_string(),
        json!({"seed": seed, "bookings": out.bookings, "reviews": out.reviews, "cases": out.cases, "visits": out.visits, "spot_check_results": out.spot_check_results, "warnings": out.warnings}),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// The demo provider (created once, NBS class 2019:03 养老服务).
async fn ensure_provider(tx: &mut lc_store::Tx, now: i64) -> ApiResult<String> {
    let check = lc_registry::uscc_check_char(PROVIDER_BODY)
        .ok_or_else(|| refused("provider code", PROVIDER_BODY))?;
    let code = format!("{PROVIDER_BODY}{check}");
    if providers::exists(tx.conn(), &code).await? {
        return Ok(code);
    }
    let checked = check_new::<ProviderInput>(json!({
        "uscc": code, "name": "示例社区生活服务有限公司（生成的示例活动）",
        "address": "示例地址", "nbs_class": "2019:03",
    }))
    .map_err(|e| refused("provider", e))?;
    providers::insert(tx.conn(), &providers::ProviderRow::new(checked, now, 0)).await?;
    Ok(code)
}

async fn community_point(conn: &mut AnyConnection, id: &str) -> ApiResult<(f64, f64)> {
    Ok(
        sqlx::query_as("SELECT lon, lat FROM communities WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(conn)
            .await
            .map_err(StoreError::from)?,
    )
}

/// A community's outlet, offerings, residents and register entries (made once).
#[allow(clippy::too_many_arguments)]
async fn ensure_place(
    st: &AppState,
    tx: &mut lc_store::Tx,
    provider: &str,
    community: &str,
    division: &str,
    index: usize,
    month: YearMonth,
    now: i64,
) -> ApiResult<Place> {
    let outlet = format!("ACT-{community}");
    let station = index.is_multiple_of(2);
    if facilities::get_row(tx.conn(), &outlet).await?.is_none() {
        let (lon, lat) = community_point(tx.conn(), community).await?;
        let listed = index % 4 < 2;
        let checked = check_new::<FacilityInput>(json!({
            "id": outlet,
            "name": if station { "社区养老服务站（示例活动）" } else { "社区食堂（示例活动）" },
            "category": if station { "elderly_service_station" } else { "community_canteen" },
            "lon": lon + 0.0004, "lat": lat, "provider_code": provider, "division_code": division,
            "opening_hours": "08:00-20:00",
            "nbs_class": if station { "2019:03" } else { "2019:09" },
            "listing_number": listed.then(|| format!("ACT-{community}")),
            "credit_commitment_date": listed.then(|| month.first_day().to_string()),
        }))
        .map_err(|e| refused("outlet", e))?;
        facilities::check_refs(tx.conn(), &checked).await?;
        facilities::insert(tx.conn(), &facilities::FacilityRow::new(checked, now, 0)).await?;
        let plan = json!({"week": {"mon": ["09:00-17:00"], "tue": ["09:00-17:00"], "wed": ["09:00-17:00"], "thu": ["09:00-17:00"], "fri": ["09:00-17:00"]}, "holidays": "observe"});
        let bodies = if station {
            vec![
                json!({"facility_id": outlet, "service": "cleaning", "delivery": "home", "price_fen": 6000, "subsidy_cap_fen": 0, "duration_min": 60, "capacity": 2, "home_area_m": 1500.0, "plan": plan}),
                json!({"facility_id": outlet, "service": "bathing", "delivery": "home", "price_fen": 8000, "subsidy_cap_fen": 0, "duration_min": 60, "capacity": 1, "home_area_m": 1000.0, "plan": plan}),
            ]
        } else {
            vec![
                json!({"facility_id": outlet, "service": "meal", "delivery": "outlet", "price_fen": 1500, "subsidy_cap_fen": 0, "duration_min": 30, "capacity": 20, "plan": plan}),
            ]
        };
        for b in bodies {
            let body: OfferingBody =
                serde_json::from_value(b).map_err(|e| refused("offering", e))?;
            offerings::create_in(st, tx, &system(), &body).await?;
        }
    }
    let offerings: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT service, delivery, id, price_fen FROM offerings WHERE facility_id = $1 ORDER BY id",
    )
    .bind(outlet.clone())
    .fetch_all(tx.conn())
    .await
    .map_err(StoreError::from)?;
    let offerings = offerings
        .into_iter()
        .filter_map(|(s, d, id, p)| {
            let s = lc_services::catalogue::SERVICE_TYPES
                .iter()
                .find(|t| t.key == s)?
                .key;
            let d = if d == "home" { "home" } else { "outlet" };
            Some((s, d, id, p))
        })
        .collect();
    let mut people: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM residents WHERE community_id = $1 AND name LIKE '活动居民%' ORDER BY id",
    )
    .bind(community.to_string())
    .fetch_all(tx.conn())
    .await
    .map_err(StoreError::from)?;
    for k in people.len()..4 {
        let checked = check_new::<ResidentInput>(json!({
            "community_id": community, "name": format!("活动居民{}（示例）", k + 1),
            "address": format!("{} 号楼（示例）", k + 1),
            "phone": format!("1390000{:04}", k + 1),
        }))
        .map_err(|e| refused("resident", e))?;
        let row = residents::ResidentRow::new(st, checked, 0, now, 0);
        people.push(residents::insert(tx.conn(), &row).await?);
    }
    let mut on_register = Vec::new();
    for &resident in &people[..2] {
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM care_register WHERE resident_id = $1")
                .bind(resident)
                .fetch_optional(tx.conn())
                .await
                .map_err(StoreError::from)?;
        let id = match existing {
            Some(id) => id,
            None => {
                let entry = RegisterInput {
                    resident_id: Some(resident),
                    categories: Some(vec!["living_alone".into()]),
                    since: Some(month.previous().first_day().to_string()),
                    ..RegisterInput::default()
                }
                .check()
                .map_err(|e| refused("register entry", e))?;
                register::insert(
                    tx.conn(),
                    &RegisterRow::new(&entry, community.to_string(), 0, now, 0),
                )
                .await?
            }
        };
        on_register.push((id, resident));
    }
    if station {
        let has: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM home_bed_contracts WHERE resident_id = $1")
                .bind(people[0])
                .fetch_one(tx.conn())
                .await
                .map_err(StoreError::from)?;
        if has == 0 {
            let from = month.first_day().to_string();
            sqlx::query(
                "INSERT INTO home_bed_contracts (resident_id, community_id, facility_id, provider_code, services, start_date, end_date, visits_per_month, notes, status, activated_on, closed_on, active_flag, created_by, created_at, updated_at, version) VALUES ($1, $2, $3, $4, '[\"cleaning\",\"bathing\"]', $5, $6, 4, '示例活动', 'active', $5, NULL, 1, 0, $7, $7, 1)",
            )
            .bind(people[0])
            .bind(community.to_string())
            .bind(outlet.clone())
            .bind(provider.to_string())
            .bind(from)
            .bind(month.first_day().saturating_add(jiff::Span::new().years(1)).to_string())
            .bind(now)
            .execute(tx.conn())
            .await
            .map_err(StoreError::from)?;
        }
    }
    Ok(Place {
        community: community.to_string(),
        division: division.to_string(),
        outlet,
        offerings,
        residents: people,
        register: on_register,
    })
}
