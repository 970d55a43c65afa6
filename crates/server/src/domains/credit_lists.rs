//! The rest of an enterprise's credit record (issue 13 items 1 and 6): 信用承诺 (credit
//! commitments) in the full template, 表彰奖励 (rewards), and the 红名单 (守信激励) and 黑名单
//! (严重失信主体名单) with their entry and exit; and their publicity, with the listed inclusive
//! outlets (普惠性网点: facilities with a unified listing number) and their commitments.
//!
//! **Commitments.** Regulators and administrators record them (JSON) or import them (CSV, a
//! header of the template's field names; all-or-nothing, a bad row names its line and field).
//! A provider's staff may submit their own enterprise's commitment (the committer is their
//! provider; no code of their own, no fulfilment: assessing it is the accepting department's).
//! The **code is allocated by the server**: the 6-digit division (of the outlet, else of the
//! provider, else as sent) + the day the commitment was made (`YYYYMMDD`) + the next serial of
//! that division and day, taken from `credit_commitment_serials` by an upsert inside the writing
//! transaction, so concurrent writers get consecutive serials; the code is unique in the
//! database. An imported commitment with its own code keeps it (checked by
//! `lc_credit::commitment::CommitmentCode::parse`) and raises the day's serial past it. A
//! natural person's ID number is kept masked; the public sees such a commitment with the name
//! masked and no code of the person.
//!
//! **Fulfilment** (全部履行 / 部分履行 / 全部未履行) is assessed by regulators with the day, the
//! assessing unit and a reason, compare-and-set on the version; every assessment is kept in the
//! commitment's history. Partial or none is *broken*.
//!
//! **The class** (`risk.rs`): `broken_commitments` counts an enterprise's commitments assessed
//! broken on a day within the last 36 months (the longest publicity of a penalty; a commitment
//! has no publicity period of its own), `black_list` is 1 while a black-list entry is in force
//! (entered on or before today, not exited by today). Every change that can move them
//! recomputes the enterprise's class in the same transaction.
//!
//! **Lists.** Entries are recorded one by one (JSON) or imported (CSV, all rows or none). At most
//! one open entry per enterprise, list kind and list name (a partial unique index). An exit (day, reason, document) closes the entry, compare-and-set; the entry leaves
//! the public list on its exit day. An exit dated today moves the class back at once; one dated
//! later, at the first recomputation on or after that day (the server's hourly job).
//!
//! **Publicity** (no sign-in, `format=csv` for CSV): commitments whose publication type is
//! 可向社会公开 (never 特定范围内公开 or 不可公开), rewards, the red list and the black list (entries
//! in force today), the listed outlets. No internal ids, no class, no person's ID number.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use jiff::civil::Date;
use lc_credit::commitment::{
    Commitment, CommitmentCode, CommitmentInput, CommitmentType, CommitterKind, Fulfilment,
    Publication,
};
use lc_registry::{Access, Check, FieldError, Role};
use lc_store::sqlx::{self, AnyConnection};
use lc_store::{from_row, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::bulk;
use crate::endpoints::{ep, Endpoint, CSV, JSON};
use crate::error::{ApiResult, AppError};
use crate::web::{self, Paged};
use crate::AppState;

use Role::*;

const OWN: &str = "provider staff: only their own provider's commitments";

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!("POST", "/api/credit/commitments", Access::Roles(&[ProviderStaff, Regulator, Admin]), OWN, "credit", "Record a credit commitment (信用承诺); the server allocates its code: division + date + serial.", Some(JSON), JSON),
    ep!("POST", "/api/credit/commitments/import", Access::Roles(&[Regulator, Admin]), "", "credit", "Import credit commitments (CSV, header of the template's field names; a code of their own is kept).", Some(CSV), JSON),
    ep!("GET", "/api/credit/commitments", Access::Roles(&[ProviderStaff, Regulator, Admin]), OWN, "credit", "Credit commitments (subject, kind, fulfilment, publication filters).", None, JSON),
    ep!("GET", "/api/credit/commitments/{id}", Access::Roles(&[ProviderStaff, Regulator, Admin]), OWN, "credit", "A credit commitment with the history of its fulfilment.", None, JSON),
    ep!("POST", "/api/credit/commitments/{id}/fulfilment", Access::Roles(&[Regulator, Admin]), "", "credit", "Assess a commitment's fulfilment (履行状态) with the day and the reason (If-Match).", Some(JSON), JSON),
    ep!("POST", "/api/credit/rewards", Access::Roles(&[Regulator, Admin]), "", "credit", "Record a reward (表彰奖励).", Some(JSON), JSON),
    ep!("GET", "/api/credit/rewards", Access::Roles(&[Regulator, Admin]), "", "credit", "Rewards.", None, JSON),
    ep!("POST", "/api/credit/lists", Access::Roles(&[Regulator, Admin]), "", "credit", "Put an enterprise on the red list (守信激励) or the black list (严重失信主体名单).", Some(JSON), JSON),
    ep!("POST", "/api/credit/lists/import", Access::Roles(&[Regulator, Admin]), "", "credit", "Import red and black list entries (CSV, header of the entry's field names); all rows or none.", Some(CSV), JSON),
    ep!("GET", "/api/credit/lists", Access::Roles(&[Regulator, Admin]), "", "credit", "Red and black list entries, open and exited.", None, JSON),
    ep!("POST", "/api/credit/lists/{id}/exit", Access::Roles(&[Regulator, Admin]), "", "credit", "Take an enterprise off a list: the exit day, reason and document (If-Match).", Some(JSON), JSON),
    ep!("GET", "/api/public/commitments", Access::Public, "", "credit", "Credit commitments open to the public (可向社会公开) (format=json|csv).", None, JSON),
    ep!("GET", "/api/public/rewards", Access::Public, "", "credit", "Rewards (format=json|csv).", None, JSON),
    ep!("GET", "/api/public/red-list", Access::Public, "", "credit", "The red list today (format=json|csv).", None, JSON),
    ep!("GET", "/api/public/black-list", Access::Public, "", "credit", "The black list (严重失信主体名单) today (format=json|csv).", None, JSON),
    ep!("GET", "/api/public/listed-outlets", Access::Public, "", "credit", "Listed inclusive outlets with their provider's public commitments (format=json|csv).", None, JSON),
];

/// The routes of this domain.
pub fn routes(max_body: usize) -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/api/credit/commitments",
            post(create_commitment).get(list_commitments),
        )
        .route(
            "/api/credit/commitments/import",
            post(import_commitments).layer(axum::extract::DefaultBodyLimit::max(max_body)),
        )
        .route("/api/credit/commitments/{id}", get(read_commitment))
        .route(
            "/api/credit/commitments/{id}/fulfilment",
            post(assess_fulfilment),
        )
        .route("/api/credit/rewards", post(create_reward).get(list_rewards))
        .route("/api/credit/lists", post(create_entry).get(list_entries))
        .route(
            "/api/credit/lists/import",
            post(import_entries).layer(axum::extract::DefaultBodyLimit::max(max_body)),
        )
        .route("/api/credit/lists/{id}/exit", post(exit_entry))
        .route("/api/public/commitments", get(public_commitments))
        .route("/api/public/rewards", get(public_rewards))
        .route("/api/public/red-list", get(public_red_list))
        .route("/api/public/black-list", get(public_black_list))
        .route("/api/public/listed-outlets", get(public_outlets))
}

// ---------------------------------------------------------------------------------------------
// Enumerations: stored by key, read by key or by their Chinese label.

const COMMITTER_KINDS: [CommitterKind; 3] = [
    CommitterKind::Organisation,
    CommitterKind::Person,
    CommitterKind::IndividualBusiness,
];
const COMMITMENT_TYPES: [CommitmentType; 7] = [
    CommitmentType::ApprovalSubstitute,
    CommitmentType::ToleratedGaps,
    CommitmentType::CertificationMatter,
    CommitmentType::CreditRepair,
    CommitmentType::IndustrySelfDiscipline,
    CommitmentType::Voluntary,
    CommitmentType::Other,
];
const FULFILMENTS: [Fulfilment; 3] = [Fulfilment::Full, Fulfilment::Partial, Fulfilment::None];
const PUBLICATIONS: [Publication; 3] = [
    Publication::Public,
    Publication::Restricted,
    Publication::NotPublic,
];

/// The serde key of an enumeration's value (`organisation`, `credit_repair`, …).
fn key_of<T: Serialize>(v: T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

/// A value named by its key or its Chinese label; a field error otherwise.
fn one_of<T: Serialize + Copy>(
    c: &mut Check,
    field: &str,
    v: &Option<String>,
    all: &[T],
    zh: fn(T) -> &'static str,
) -> Option<T> {
    let s = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    let found = all.iter().copied().find(|t| key_of(*t) == s || zh(*t) == s);
    if found.is_none() {
        let keys: Vec<String> = all.iter().map(|t| key_of(*t)).collect();
        let labels: Vec<&str> = all.iter().map(|t| zh(*t)).collect();
        c.fail(
            field,
            "invalid_value",
            format!(
                "{field} 应为 {}（或 {}），而非 '{}'",
                labels.join("、"),
                keys.join("、"),
                lc_model::quote(s)
            ),
            format!(
                "{field} must be one of {} (or {}), not '{}'",
                keys.join(", "),
                labels.join(", "),
                lc_model::quote(s)
            ),
        );
    }
    found
}

fn parse_key<T: Serialize + Copy>(all: &[T], key: &str) -> Option<T> {
    all.iter().copied().find(|t| key_of(*t) == key)
}

/// A date field `YYYY-MM-DD`, optional.
fn date_of(c: &mut Check, field: &str, v: &Option<String>) -> Option<Date> {
    let s = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    match s.parse::<Date>() {
        Ok(d) => Some(d),
        Err(_) => {
            c.fail(
                field,
                "invalid_date",
                format!("{field} 应为日期 YYYY-MM-DD，而非 '{}'", lc_model::quote(s)),
                format!(
                    "{field} must be a date YYYY-MM-DD, not '{}'",
                    lc_model::quote(s)
                ),
            );
            None
        }
    }
}

/// A required unified social credit code, upper-cased.
fn uscc_of(c: &mut Check, field: &str, v: &Option<String>) -> Option<String> {
    let s = c.text(field, v, 18)?;
    match lc_registry::Uscc::parse(&s) {
        Ok(u) => Some(u.as_str().to_string()),
        Err(e) => {
            c.fail(
                field,
                "invalid_uscc",
                format!("{field} 不是有效的统一社会信用代码（GB 32100-2015）：{e}"),
                format!("{field} is not a valid unified social credit code (GB 32100-2015): {e}"),
            );
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Commitments.

/// A commitment as sent (JSON) or as a CSV row: the template's fields, enumerations by key
/// (`organisation`, `industry_self_discipline`, `full`, `public`, …) or by their Chinese label;
/// `code` only to keep a code of the commitment's own (imports); `division` (6 digits) when
/// neither the outlet nor the provider has one; `facility_id` the outlet it is made for.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentFields {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub division: Option<String>,
    #[serde(default)]
    pub facility_id: Option<String>,
    #[serde(default)]
    pub committer_name: Option<String>,
    /// `organisation` 法人及非法人组织, `person` 自然人, `individual_business` 个体工商户.
    #[serde(default)]
    pub committer_kind: Option<String>,
    /// The unified social credit code (a person's ID number, kept masked).
    #[serde(default)]
    pub committer_code: Option<String>,
    /// 承诺类型: `approval_substitute`, `tolerated_gaps`, `certification_matter`,
    /// `credit_repair`, `industry_self_discipline`, `voluntary`, `other`.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub cause: Option<String>,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub liability: Option<String>,
    #[serde(default)]
    pub made_on: Option<String>,
    #[serde(default)]
    pub valid_until: Option<String>,
    /// `full` 全部履行, `partial` 部分履行, `none` 全部未履行.
    #[serde(default)]
    pub fulfilment: Option<String>,
    #[serde(default)]
    pub unfulfilled: Option<String>,
    #[serde(default)]
    pub liability_pursued: Option<String>,
    #[serde(default)]
    pub assessed_on: Option<String>,
    #[serde(default)]
    pub assessed_by: Option<String>,
    #[serde(default)]
    pub assessed_by_code: Option<String>,
    #[serde(default)]
    pub accepted_by: Option<String>,
    #[serde(default)]
    pub accepted_by_code: Option<String>,
    /// `public` 可向社会公开, `restricted` 特定范围内公开, `not_public` 不可公开.
    #[serde(default)]
    pub publication: Option<String>,
}

/// The import's columns (a CSV header names these, in any order).
const COLUMNS: &[&str] = &[
    "code",
    "division",
    "facility_id",
    "committer_name",
    "committer_kind",
    "committer_code",
    "kind",
    "cause",
    "content",
    "liability",
    "made_on",
    "valid_until",
    "fulfilment",
    "unfulfilled",
    "liability_pursued",
    "assessed_on",
    "assessed_by",
    "assessed_by_code",
    "accepted_by",
    "accepted_by_code",
    "publication",
];

/// A CSV row (header names lower-cased) as the input `T` whose fields are `columns`; unknown
/// columns are refused by name.
fn row_input<T: serde::de::DeserializeOwned>(
    m: &BTreeMap<String, String>,
    columns: &[&str],
) -> Result<T, Vec<FieldError>> {
    let mut c = Check::new();
    let mut obj = serde_json::Map::new();
    for (k, v) in m {
        let k = k.to_ascii_lowercase();
        if columns.contains(&k.as_str()) {
            obj.insert(k, Value::String(v.clone()));
        } else {
            c.fail(
                &k,
                "unknown_field",
                format!("未知字段 {k}"),
                format!("unknown field {k}"),
            );
        }
    }
    c.finish()?;
    serde_json::from_value(Value::Object(obj)).map_err(|e| {
        let mut c = Check::new();
        c.fail(
            "row",
            "invalid_row",
            format!("无法读取：{e}"),
            format!("cannot be read: {e}"),
        );
        c.errors
    })
}

/// A checked commitment, ready to store (its code still to allocate when `code` is `None`).
struct Ready {
    c: Commitment,
    code: Option<CommitmentCode>,
    division: Option<String>,
    facility_id: Option<String>,
}

/// Checks the fields against the template. Without a code of its own, the template's code
/// check runs on a stand-in of the right day (the server allocates the real one).
fn check_fields(f: &CommitmentFields) -> Result<Ready, Vec<FieldError>> {
    let mut c = Check::new();
    let committer_kind = one_of(
        &mut c,
        "committer_kind",
        &f.committer_kind,
        &COMMITTER_KINDS,
        CommitterKind::zh,
    );
    let kind = one_of(
        &mut c,
        "kind",
        &f.kind,
        &COMMITMENT_TYPES,
        CommitmentType::zh,
    );
    let fulfilment = one_of(
        &mut c,
        "fulfilment",
        &f.fulfilment,
        &FULFILMENTS,
        Fulfilment::zh,
    );
    let publication = one_of(
        &mut c,
        "publication",
        &f.publication,
        &PUBLICATIONS,
        Publication::zh,
    );
    let division = f
        .division
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(d) = division {
        if lc_model::division::level_of(d) != Some(lc_model::DivisionLevel::County) {
            c.fail(
                "division",
                "invalid_division",
                format!(
                    "division 应为 6 位县级行政区划代码，而非 '{}'",
                    lc_model::quote(d)
                ),
                format!(
                    "division must be a 6-digit county-level division code, not '{}'",
                    lc_model::quote(d)
                ),
            );
        }
    }
    let facility_id = c.opt_text("facility_id", &f.facility_id, 64);
    let own_code = f
        .code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let made_on = f
        .made_on
        .as_deref()
        .and_then(|s| s.trim().parse::<Date>().ok());
    let stand_in = match (&own_code, made_on) {
        (Some(k), _) => Some(k.clone()),
        (None, Some(d)) => Some(format!("110000{}000001", d.strftime("%Y%m%d"))),
        (None, None) => None,
    };
    let input = CommitmentInput {
        code: stand_in,
        committer_name: f.committer_name.clone(),
        committer_kind,
        committer_code: f.committer_code.clone(),
        kind,
        cause: f.cause.clone(),
        content: f.content.clone(),
        liability: f.liability.clone(),
        made_on: f.made_on.clone(),
        valid_until: f.valid_until.clone(),
        fulfilment,
        unfulfilled: f.unfulfilled.clone(),
        liability_pursued: f.liability_pursued.clone(),
        assessed_on: f.assessed_on.clone(),
        assessed_by: f.assessed_by.clone(),
        assessed_by_code: f.assessed_by_code.clone(),
        accepted_by: f.accepted_by.clone(),
        accepted_by_code: f.accepted_by_code.clone(),
        publication,
    };
    let checked = input.check();
    let mut errors = c.errors;
    let reported: BTreeSet<String> = errors.iter().map(|e| e.field.clone()).collect();
    let allocated = own_code.is_none();
    let checked = match checked {
        Ok(k) => Some(k),
        Err(e) => {
            // A field refused above is not "required" as well. Without a code of its own, the
            // stand-in's problems are the date's (before 1990), or nobody's when the date did
            // not read (made_on says so): the server allocates the code.
            for mut x in e {
                if reported.contains(&x.field) {
                    continue;
                }
                if allocated && x.field == "code" {
                    if made_on.is_none() {
                        continue;
                    }
                    x.field = "made_on".into();
                }
                errors.push(x);
            }
            None
        }
    };
    let mut c = Check::new();
    let mut checked = checked;
    if let Some(k) = checked.as_mut() {
        // The committer: an enterprise's USCC checked; a person's ID number kept masked.
        match k.committer_kind {
            CommitterKind::Person => match lc_registry::ResidentId::parse(&k.committer_code) {
                Ok(id) => k.committer_code = id.masked(),
                Err(e) => c.fail(
                    "committer_code",
                    "invalid_id_number",
                    format!("committer_code 不是有效的居民身份证号码：{e}"),
                    format!("committer_code is not a valid resident ID number: {e}"),
                ),
            },
            _ => match lc_registry::Uscc::parse(&k.committer_code) {
                Ok(u) => k.committer_code = u.as_str().to_string(),
                Err(e) => c.fail(
                    "committer_code",
                    "invalid_uscc",
                    format!("committer_code 不是有效的统一社会信用代码（GB 32100-2015）：{e}"),
                    format!("committer_code is not a valid unified social credit code (GB 32100-2015): {e}"),
                ),
            },
        }
        if let Some(a) = k.assessed_on {
            if a < k.made_on {
                c.fail(
                    "assessed_on",
                    "before_made",
                    "履行状态认定日期不能早于承诺作出日期".into(),
                    "assessed_on cannot be before made_on".into(),
                );
            }
        }
    }
    errors.extend(c.errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let Some(c) = checked else {
        let mut c = Check::new();
        c.required("commitment");
        return Err(c.errors);
    };
    let code = match &own_code {
        Some(k) => CommitmentCode::parse(k).ok(),
        None => None,
    };
    Ok(Ready {
        c,
        code,
        division: division.map(str::to_string),
        facility_id,
    })
}

/// A stored commitment.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct CommitmentRow {
    pub id: i64,
    /// 承诺编码: division + date + serial.
    pub code: String,
    pub division: String,
    pub committer_name: String,
    pub committer_kind: String,
    /// The USCC (a person's ID number masked).
    pub committer_code: String,
    pub facility_id: Option<String>,
    pub kind: String,
    pub cause: Option<String>,
    pub content: String,
    pub liability: String,
    pub made_on: String,
    pub valid_until: Option<String>,
    pub fulfilment: Option<String>,
    pub unfulfilled: Option<String>,
    pub liability_pursued: Option<String>,
    pub assessed_on: Option<String>,
    pub assessed_by: Option<String>,
    pub assessed_by_code: Option<String>,
    pub accepted_by: String,
    pub accepted_by_code: String,
    pub publication: String,
    /// Assessed partial or none.
    #[serde(serialize_with = "as_bool")]
    #[schema(value_type = bool)]
    pub broken: i64,
    pub created_at: i64,
    pub created_by: Option<i64>,
    pub updated_at: i64,
    pub version: i64,
}
from_row!(CommitmentRow {
    id,
    code,
    division,
    committer_name,
    committer_kind,
    committer_code,
    facility_id,
    kind,
    cause,
    content,
    liability,
    made_on,
    valid_until,
    fulfilment,
    unfulfilled,
    liability_pursued,
    assessed_on,
    assessed_by,
    assessed_by_code,
    accepted_by,
    accepted_by_code,
    publication,
    broken,
    created_at,
    created_by,
    updated_at,
    version
});

fn as_bool<S: serde::Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bool(*v != 0)
}

macro_rules! ccols {
    () => {
        "id, code, division, committer_name, committer_kind, committer_code, facility_id, kind, cause, content, liability, made_on, valid_until, fulfilment, unfulfilled, liability_pursued, assessed_on, assessed_by, assessed_by_code, accepted_by, accepted_by_code, publication, broken, created_at, created_by, updated_at, version"
    };
}

/// The next serial of a division and day (an upsert: concurrent writers wait for each other).
async fn next_serial(conn: &mut AnyConnection, division: &str, day: Date) -> ApiResult<u32> {
    let n: i64 = sqlx::query_scalar(
        "INSERT INTO credit_commitment_serials (division, made_on, last_serial) VALUES ($1, $2, 1) ON CONFLICT (division, made_on) DO UPDATE SET last_serial = credit_commitment_serials.last_serial + 1 RETURNING last_serial",
    )
    .bind(division.to_string())
    .bind(day.to_string())
    .fetch_one(conn)
    .await
    .map_err(StoreError::from)?;
    u32::try_from(n)
        .ok()
        .filter(|n| *n <= 999_999)
        .ok_or_else(|| {
            AppError::new(
                StatusCode::CONFLICT,
                "serials_exhausted",
                format!("区划 {division} 在 {day} 的承诺流水号已用尽"),
                format!("the commitment serials of division {division} on {day} are used up"),
            )
        })
}

/// Raises a division's day past an imported code's serial.
async fn keep_serial(conn: &mut AnyConnection, code: &CommitmentCode) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO credit_commitment_serials (division, made_on, last_serial) VALUES ($1, $2, $3) ON CONFLICT (division, made_on) DO UPDATE SET last_serial = CASE WHEN excluded.last_serial > credit_commitment_serials.last_serial THEN excluded.last_serial ELSE credit_commitment_serials.last_serial END",
    )
    .bind(format!("{:06}", code.division))
    .bind(code.date.to_string())
    .bind(i64::from(code.serial))
    .execute(conn)
    .await
    .map_err(StoreError::from)?;
    Ok(())
}

/// The 6-digit division of a commitment: of its code, as sent, of its outlet, of its
/// provider. Field errors: the outlet unknown or another provider's, no division found.
async fn division_for(
    conn: &mut AnyConnection,
    r: &Ready,
) -> ApiResult<Result<String, Vec<FieldError>>> {
    let mut c = Check::new();
    let six = |d: Option<String>| {
        d.filter(|d| d.len() >= 6 && d.bytes().take(6).all(|b| b.is_ascii_digit()))
            .map(|d| d[..6].to_string())
    };
    let mut found = r.code.map(|k| format!("{:06}", k.division));
    if found.is_none() {
        found = r.division.clone();
    }
    if let Some(f) = &r.facility_id {
        let outlet: Option<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT provider_code, division_code FROM facilities WHERE id = $1")
                .bind(f.clone())
                .fetch_optional(&mut *conn)
                .await
                .map_err(StoreError::from)?;
        match outlet {
            None => c
                .errors
                .push(unknown_reference("facility_id", "网点 outlet", f)),
            Some((provider, _)) if provider.as_deref() != Some(r.c.committer_code.as_str()) => c
                .fail(
                    "facility_id",
                    "not_the_committers",
                    format!("网点 {f} 不属于承诺人 {}", r.c.committer_code),
                    format!("outlet {f} is not the committer {}'s", r.c.committer_code),
                ),
            Some((_, division)) => {
                if found.is_none() {
                    found = six(division);
                }
            }
        }
    }
    if found.is_none() && r.c.committer_kind != CommitterKind::Person {
        let d: Option<Option<String>> =
            sqlx::query_scalar("SELECT division_code FROM providers WHERE uscc = $1")
                .bind(r.c.committer_code.clone())
                .fetch_optional(&mut *conn)
                .await
                .map_err(StoreError::from)?;
        found = six(d.flatten());
    }
    match found {
        Some(d) if c.errors.is_empty() => Ok(Ok(d)),
        Some(_) => Ok(Err(c.errors)),
        None => {
            c.fail(
                "division",
                "division_unknown",
                "承诺编码需要受理地的 6 位区划代码：网点和经营主体均未登记区划，请填写 division".into(),
                "the code needs the 6-digit division: neither the outlet nor the provider has one, so send division".into(),
            );
            Ok(Err(c.errors))
        }
    }
}

fn unknown_reference(field: &str, what: &str, key: &str) -> FieldError {
    FieldError {
        field: field.to_string(),
        code: "unknown_reference",
        message_zh: format!("{field} 引用的{what} {key} 不存在"),
        message_en: format!("{field}: {what} {key} does not exist"),
    }
}

/// Stores a checked commitment with its division: allocates the code unless it has one.
async fn insert_commitment(
    conn: &mut AnyConnection,
    r: &Ready,
    division: &str,
    now: i64,
    by: Option<i64>,
) -> ApiResult<Result<CommitmentRow, String>> {
    let code = match r.code {
        Some(k) => {
            keep_serial(&mut *conn, &k).await?;
            k.format()
        }
        None => {
            let serial = next_serial(&mut *conn, division, r.c.made_on).await?;
            let division_no: u32 = division
                .parse()
                .map_err(|_| AppError::internal("division not numeric"))?;
            CommitmentCode {
                division: division_no,
                date: r.c.made_on,
                serial,
            }
            .format()
        }
    };
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM credit_commitments WHERE code = $1")
            .bind(code.clone())
            .fetch_optional(&mut *conn)
            .await
            .map_err(StoreError::from)?;
    if exists.is_some() {
        return Ok(Err(code));
    }
    let c = &r.c;
    let row: CommitmentRow = sqlx::query_as(concat!(
        "INSERT INTO credit_commitments (code, division, committer_name, committer_kind, committer_code, facility_id, kind, cause, content, liability, made_on, valid_until, fulfilment, unfulfilled, liability_pursued, assessed_on, assessed_by, assessed_by_code, accepted_by, accepted_by_code, publication, broken, created_at, created_by, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $23, 0) RETURNING ",
        ccols!()
    ))
    .bind(code.clone())
    .bind(code[..6].to_string())
    .bind(c.committer_name.clone())
    .bind(key_of(c.committer_kind))
    .bind(c.committer_code.clone())
    .bind(r.facility_id.clone())
    .bind(key_of(c.kind))
    .bind(c.cause.clone())
    .bind(c.content.clone())
    .bind(c.liability.clone())
    .bind(c.made_on.to_string())
    .bind(c.valid_until.map(|d| d.to_string()))
    .bind(c.fulfilment.map(key_of))
    .bind(c.unfulfilled.clone())
    .bind(c.liability_pursued.clone())
    .bind(c.assessed_on.map(|d| d.to_string()))
    .bind(c.assessed_by.clone())
    .bind(c.assessed_by_code.clone())
    .bind(c.accepted_by.clone())
    .bind(c.accepted_by_code.clone())
    .bind(key_of(c.publication))
    .bind(i64::from(c.is_broken()))
    .bind(now)
    .bind(by)
    .fetch_one(&mut *conn)
    .await
    .map_err(lc_store::sql::unique("commitment code"))?;
    if c.fulfilment.is_some() {
        sqlx::query("INSERT INTO credit_commitment_events (commitment_id, at, actor_id, from_fulfilment, to_fulfilment, assessed_on, reason) VALUES ($1, $2, $3, NULL, $4, $5, $6)")
            .bind(row.id)
            .bind(now)
            .bind(by)
            .bind(c.fulfilment.map(key_of))
            .bind(c.assessed_on.map(|d| d.to_string()))
            .bind("随承诺录入 | recorded with the commitment".to_string())
            .execute(&mut *conn)
            .await
            .map_err(StoreError::from)?;
    }
    Ok(Ok(row))
}

fn code_taken(code: &str) -> AppError {
    AppError::new(
        StatusCode::CONFLICT,
        "conflict",
        format!("承诺编码 {code} 已存在"),
        format!("commitment code {code} exists already"),
    )
}

/// POST /api/credit/commitments.
#[utoipa::path(post, path = "/api/credit/commitments", tag = "credit",
    request_body = CommitmentFields,
    responses((status = 201, body = CommitmentRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_commitment(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<CommitmentRow>)> {
    let mut f: CommitmentFields = web::json_body(&body)?;
    let u = c.user()?;
    if u.role == ProviderStaff {
        // Their own enterprise's commitment; the code and the assessment are not theirs.
        let own = u.provider_code.clone().unwrap_or_default();
        match f.committer_code.as_deref().map(str::trim) {
            None | Some("") => f.committer_code = Some(own.clone()),
            Some(x) if x.eq_ignore_ascii_case(&own) => {}
            Some(_) => return Err(web::forbidden_record("commitment")),
        }
        if f.committer_kind.is_none() {
            f.committer_kind = Some("organisation".into());
        }
        let assessed = [&f.code, &f.fulfilment, &f.assessed_on, &f.assessed_by]
            .iter()
            .any(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty()));
        if assessed {
            return Err(AppError::forbidden(
                "经营主体只能提交承诺：承诺编码由系统分配，履行状态由认定单位认定",
                "a provider submits a commitment only: the server allocates the code and the assessing department assesses its fulfilment",
            ));
        }
        if f.committer_kind
            .as_deref()
            .is_some_and(|k| k == "person" || k == "自然人")
        {
            return Err(web::forbidden_record("commitment"));
        }
    }
    let ready = check_fields(&f).map_err(web::invalid)?;
    let now = st.clock.now_ms();
    let mut tx = st.store.begin().await?;
    let division = division_for(tx.conn(), &ready)
        .await?
        .map_err(web::invalid)?;
    let row = insert_commitment(tx.conn(), &ready, &division, now, Some(u.id))
        .await?
        .map_err(|code| code_taken(&code))?;
    tx.audit(
        &c.actor(),
        "create",
        "credit_commitment",
        &row.code,
        json!({"committer_code": row.committer_code, "kind": row.kind, "publication": row.publication}),
    )
    .await?;
    if row.broken != 0 && row.committer_kind != "person" {
        super::risk::recompute_for(tx.conn(), [row.committer_code.as_str()], now).await?;
    }
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// What an import did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommitmentImport {
    pub rows: usize,
    pub created: usize,
    /// The codes, in the file's order.
    pub codes: Vec<String>,
}

/// POST /api/credit/commitments/import.
#[utoipa::path(post, path = "/api/credit/commitments/import", tag = "credit",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = CommitmentImport), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn import_commitments(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<Json<CommitmentImport>> {
    let rows = super::credit::csv_rows(&body)?;
    let mut errors = Vec::new();
    let mut ready = Vec::new();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for (line, m) in rows {
        match row_input::<CommitmentFields>(&m, COLUMNS).and_then(|f| check_fields(&f)) {
            Ok(r) => {
                if let Some(k) = r.code {
                    if let Some(first) = seen.insert(k.format(), line) {
                        let mut ck = Check::new();
                        ck.fail(
                            "code",
                            "duplicate",
                            format!("承诺编码 {} 已在第 {first} 行出现", k.format()),
                            format!("code {} already appears on line {first}", k.format()),
                        );
                        errors.extend(super::credit::at_line(line, ck.errors));
                    }
                }
                ready.push((line, r));
            }
            Err(e) => errors.extend(super::credit::at_line(line, e)),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let now = st.clock.now_ms();
    let by = c.user.as_ref().map(|u| u.id);
    let mut tx = st.store.begin().await?;
    let mut codes = Vec::new();
    let mut broken = BTreeSet::new();
    for (line, r) in &ready {
        let division = match division_for(tx.conn(), r).await? {
            Ok(d) => d,
            Err(e) => {
                errors.extend(super::credit::at_line(*line, e));
                continue;
            }
        };
        match insert_commitment(tx.conn(), r, &division, now, by).await? {
            Ok(row) => {
                if row.broken != 0 && row.committer_kind != "person" {
                    broken.insert(row.committer_code.clone());
                }
                codes.push(row.code);
            }
            Err(code) => {
                let mut ck = Check::new();
                ck.fail(
                    "code",
                    "code_exists",
                    format!("承诺编码 {code} 已存在"),
                    format!("commitment code {code} exists already"),
                );
                errors.extend(super::credit::at_line(*line, ck.errors));
            }
        }
    }
    if !errors.is_empty() {
        // Nothing written: the transaction is dropped, rolled back.
        return Err(AppError::validation(errors));
    }
    super::risk::recompute_for(tx.conn(), broken.iter().map(String::as_str), now).await?;
    tx.audit(
        &c.actor(),
        "import",
        "credit_commitment",
        "*",
        json!({"rows": ready.len(), "codes": codes}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(CommitmentImport {
        rows: ready.len(),
        created: codes.len(),
        codes,
    }))
}

/// Filters of the commitment list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommitmentQuery {
    /// The committer's unified social credit code.
    pub subject: Option<String>,
    /// 承诺类型 key.
    pub kind: Option<String>,
    /// `full`, `partial`, `none`, or `unassessed`.
    pub fulfilment: Option<String>,
    /// `public`, `restricted`, `not_public`.
    pub publication: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

fn filter_param<T: Serialize + Copy>(
    name: &str,
    v: &Option<String>,
    all: &[T],
    extra: &[&str],
) -> ApiResult<Option<String>> {
    match v.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if parse_key(all, s).is_some() || extra.contains(&s) => Ok(Some(s.to_string())),
        Some(s) => {
            let mut keys: Vec<String> = all.iter().map(|t| key_of(*t)).collect();
            keys.extend(extra.iter().map(|s| s.to_string()));
            Err(AppError::bad_request(
                format!(
                    "{name} 应为 {}，而非 '{}'",
                    keys.join("、"),
                    lc_model::quote(s)
                ),
                format!(
                    "{name} must be one of {}, not '{}'",
                    keys.join(", "),
                    lc_model::quote(s)
                ),
            ))
        }
    }
}

/// GET /api/credit/commitments.
#[utoipa::path(get, path = "/api/credit/commitments", tag = "credit", params(CommitmentQuery, web::PageQuery),
    responses((status = 200, body = Paged<CommitmentRow>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_commitments(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<CommitmentQuery>,
) -> ApiResult<Json<Paged<CommitmentRow>>> {
    let page = q.page.page()?;
    let kind = filter_param("kind", &q.kind, &COMMITMENT_TYPES, &[])?;
    let fulfilment = filter_param("fulfilment", &q.fulfilment, &FULFILMENTS, &["unassessed"])?;
    let publication = filter_param("publication", &q.publication, &PUBLICATIONS, &[])?;
    let mut subject = q
        .subject
        .clone()
        .filter(|s| !s.is_empty())
        .map(|s| s.to_ascii_uppercase());
    let u = c.user()?;
    if u.role == ProviderStaff {
        let own = u.provider_code.clone().unwrap_or_default();
        if subject.as_deref().is_some_and(|s| s != own) {
            // A filter cannot widen the scope: another's commitments are none of theirs.
            subject = Some(String::new());
        } else {
            subject = Some(own);
        }
    }
    let wh = "WHERE ($1 IS NULL OR committer_code = $1) AND ($2 IS NULL OR kind = $2) AND ($3 IS NULL OR fulfilment = $3 OR ($3 = 'unassessed' AND fulfilment IS NULL)) AND ($4 IS NULL OR publication = $4)";
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM credit_commitments {wh}"))
        .bind(subject.clone())
        .bind(kind.clone())
        .bind(fulfilment.clone())
        .bind(publication.clone())
        .fetch_one(st.store.pool())
        .await
        .map_err(StoreError::from)?;
    let mut rows: Vec<CommitmentRow> = sqlx::query_as(&format!(
        "SELECT {} FROM credit_commitments {wh} ORDER BY made_on DESC, code DESC LIMIT $5 OFFSET $6",
        ccols!()
    ))
    .bind(subject)
    .bind(kind)
    .bind(fulfilment)
    .bind(publication)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    if u.role == ProviderStaff {
        for r in &mut rows {
            r.created_by = None;
        }
    }
    Ok(Json(Paged::new(rows, total, page)))
}

/// One fulfilment assessment in a commitment's history.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct FulfilmentEvent {
    pub at: i64,
    pub actor_id: Option<i64>,
    pub from_fulfilment: Option<String>,
    pub to_fulfilment: Option<String>,
    pub assessed_on: Option<String>,
    pub reason: String,
}
from_row!(FulfilmentEvent {
    at,
    actor_id,
    from_fulfilment,
    to_fulfilment,
    assessed_on,
    reason
});

/// A commitment with its history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommitmentDetail {
    pub commitment: CommitmentRow,
    pub history: Vec<FulfilmentEvent>,
}

async fn reachable(conn: &mut AnyConnection, c: &Caller, id: &str) -> ApiResult<CommitmentRow> {
    let key: i64 = id
        .parse()
        .map_err(|_| AppError::not_found("commitment", id))?;
    let row: CommitmentRow = sqlx::query_as(concat!(
        "SELECT ",
        ccols!(),
        " FROM credit_commitments WHERE id = $1"
    ))
    .bind(key)
    .fetch_optional(conn)
    .await
    .map_err(StoreError::from)?
    .ok_or_else(|| AppError::not_found("commitment", id))?;
    let u = c.user()?;
    if u.role == ProviderStaff && u.provider_code.as_deref() != Some(row.committer_code.as_str()) {
        return Err(web::forbidden_record("commitment"));
    }
    Ok(row)
}

/// GET /api/credit/commitments/{id}.
#[utoipa::path(get, path = "/api/credit/commitments/{id}", tag = "credit", params(("id" = i64, Path)),
    responses((status = 200, body = CommitmentDetail), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn read_commitment(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<CommitmentDetail>> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let mut row = reachable(&mut conn, &c, &id).await?;
    let mut history: Vec<FulfilmentEvent> = sqlx::query_as(
        "SELECT at, actor_id, from_fulfilment, to_fulfilment, assessed_on, reason FROM credit_commitment_events WHERE commitment_id = $1 ORDER BY id",
    )
    .bind(row.id)
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    if c.is(ProviderStaff) {
        // The provider sees what was decided, not the accounts of the regulators who did.
        row.created_by = None;
        for e in &mut history {
            e.actor_id = None;
        }
    }
    Ok(Json(CommitmentDetail {
        commitment: row,
        history,
    }))
}

/// A fulfilment assessment.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FulfilmentInput {
    /// `full` 全部履行, `partial` 部分履行, `none` 全部未履行.
    #[serde(default)]
    pub fulfilment: Option<String>,
    /// 履行状态认定日期 (default: today, Asia/Shanghai).
    #[serde(default)]
    pub assessed_on: Option<String>,
    /// 认定单位 and its code.
    #[serde(default)]
    pub assessed_by: Option<String>,
    #[serde(default)]
    pub assessed_by_code: Option<String>,
    /// 未履行的承诺内容, 违诺责任追究内容: required unless fully fulfilled.
    #[serde(default)]
    pub unfulfilled: Option<String>,
    #[serde(default)]
    pub liability_pursued: Option<String>,
    /// Why (the findings).
    #[serde(default)]
    pub reason: Option<String>,
}

/// POST /api/credit/commitments/{id}/fulfilment.
#[utoipa::path(post, path = "/api/credit/commitments/{id}/fulfilment", tag = "credit",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "The version the change is made against")),
    request_body = FulfilmentInput,
    responses((status = 200, body = CommitmentRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn assess_fulfilment(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<CommitmentRow>> {
    let input: FulfilmentInput = web::json_body(&body)?;
    let expected = web::if_match(&headers)?;
    let mut ck = Check::new();
    let fulfilment = one_of(
        &mut ck,
        "fulfilment",
        &input.fulfilment,
        &FULFILMENTS,
        Fulfilment::zh,
    );
    if input
        .fulfilment
        .as_deref()
        .is_none_or(|s| s.trim().is_empty())
    {
        ck.required("fulfilment");
    }
    let reason = ck.text("reason", &input.reason, 500);
    let assessed_on = match date_of(&mut ck, "assessed_on", &input.assessed_on) {
        Some(d) => Some(d),
        None if input
            .assessed_on
            .as_deref()
            .is_none_or(|s| s.trim().is_empty()) =>
        {
            Some(web::today(&st)?)
        }
        None => None,
    };
    ck.finish().map_err(web::invalid)?;
    let (Some(fulfilment), Some(reason), Some(assessed_on)) = (fulfilment, reason, assessed_on)
    else {
        return Err(AppError::internal("checked fields missing"));
    };
    let now = st.clock.now_ms();
    let mut tx = st.store.begin().await?;
    let row = reachable(tx.conn(), &c, &id).await?;
    if expected.is_some_and(|v| v != row.version) {
        return Err(web::conflict("commitment", &id));
    }
    // The stored commitment with the new assessment, checked against the template again.
    let merged = CommitmentInput {
        code: Some(row.code.clone()),
        committer_name: Some(row.committer_name.clone()),
        committer_kind: parse_key(&COMMITTER_KINDS, &row.committer_kind),
        committer_code: Some(row.committer_code.clone()),
        kind: parse_key(&COMMITMENT_TYPES, &row.kind),
        cause: row.cause.clone(),
        content: Some(row.content.clone()),
        liability: Some(row.liability.clone()),
        made_on: Some(row.made_on.clone()),
        valid_until: row.valid_until.clone(),
        fulfilment: Some(fulfilment),
        unfulfilled: input.unfulfilled.clone(),
        liability_pursued: input.liability_pursued.clone(),
        assessed_on: Some(assessed_on.to_string()),
        assessed_by: input.assessed_by.clone(),
        assessed_by_code: input.assessed_by_code.clone(),
        accepted_by: Some(row.accepted_by.clone()),
        accepted_by_code: Some(row.accepted_by_code.clone()),
        publication: parse_key(&PUBLICATIONS, &row.publication),
    };
    let mut checked = merged.check().map_err(web::invalid)?;
    let mut ck = Check::new();
    if assessed_on < checked.made_on {
        ck.fail(
            "assessed_on",
            "before_made",
            "履行状态认定日期不能早于承诺作出日期".into(),
            "assessed_on cannot be before made_on".into(),
        );
    }
    if assessed_on > web::today(&st)? {
        ck.fail(
            "assessed_on",
            "in_future",
            "履行状态认定日期不能晚于今天".into(),
            "assessed_on cannot be after today".into(),
        );
    }
    ck.finish().map_err(web::invalid)?;
    if fulfilment == Fulfilment::Full {
        // Fully fulfilled: nothing unfulfilled, no liability pursued.
        checked.unfulfilled = None;
        checked.liability_pursued = None;
    }
    let broken = i64::from(checked.is_broken());
    let done = sqlx::query("UPDATE credit_commitments SET fulfilment = $2, unfulfilled = $3, liability_pursued = $4, assessed_on = $5, assessed_by = $6, assessed_by_code = $7, broken = $8, updated_at = $9, version = version + 1 WHERE id = $1 AND version = $10")
        .bind(row.id)
        .bind(key_of(fulfilment))
        .bind(checked.unfulfilled.clone())
        .bind(checked.liability_pursued.clone())
        .bind(assessed_on.to_string())
        .bind(checked.assessed_by.clone())
        .bind(checked.assessed_by_code.clone())
        .bind(broken)
        .bind(now)
        .bind(row.version)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    if done.rows_affected() != 1 {
        return Err(web::conflict("commitment", &id));
    }
    let actor = c.user.as_ref().map(|u| u.id);
    sqlx::query("INSERT INTO credit_commitment_events (commitment_id, at, actor_id, from_fulfilment, to_fulfilment, assessed_on, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(row.id)
        .bind(now)
        .bind(actor)
        .bind(row.fulfilment.clone())
        .bind(key_of(fulfilment))
        .bind(assessed_on.to_string())
        .bind(reason.clone())
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    tx.audit(
        &c.actor(),
        "assess",
        "credit_commitment",
        &row.code,
        json!({"from": row.fulfilment, "to": key_of(fulfilment), "assessed_on": assessed_on.to_string(), "reason": reason}),
    )
    .await?;
    if row.committer_kind != "person" && (broken != 0 || row.broken != 0) {
        super::risk::recompute_for(tx.conn(), [row.committer_code.as_str()], now).await?;
    }
    tx.commit().await?;
    Ok(Json(CommitmentRow {
        fulfilment: Some(key_of(fulfilment)),
        unfulfilled: checked.unfulfilled,
        liability_pursued: checked.liability_pursued,
        assessed_on: Some(assessed_on.to_string()),
        assessed_by: checked.assessed_by,
        assessed_by_code: checked.assessed_by_code,
        broken,
        updated_at: now,
        version: row.version + 1,
        ..row
    }))
}

/// Commitments assessed broken on a day after `since` (the class's `broken_commitments`).
pub async fn broken_since(conn: &mut AnyConnection, uscc: &str, since: &str) -> ApiResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM credit_commitments WHERE committer_code = $1 AND broken = 1 AND COALESCE(assessed_on, made_on) > $2",
    )
    .bind(uscc.to_string())
    .bind(since.to_string())
    .fetch_one(conn)
    .await
    .map_err(StoreError::from)?)
}

/// Whether an enterprise is on the black list on `today` (the class's `black_list`).
pub async fn black_listed(conn: &mut AnyConnection, uscc: &str, today: Date) -> ApiResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM credit_list_entries WHERE subject_uscc = $1 AND list_kind = 'black' AND entered_on <= $2 AND (exited_on IS NULL OR exited_on > $2)",
    )
    .bind(uscc.to_string())
    .bind(today.to_string())
    .fetch_one(conn)
    .await
    .map_err(StoreError::from)?;
    Ok(n > 0)
}

// ---------------------------------------------------------------------------------------------
// Rewards.

/// A reward as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RewardInput {
    #[serde(default)]
    pub subject_uscc: Option<String>,
    #[serde(default)]
    pub subject_name: Option<String>,
    /// 奖励名称.
    #[serde(default)]
    pub title: Option<String>,
    /// 奖励机关.
    #[serde(default)]
    pub awarded_by: Option<String>,
    /// 奖励决定文号.
    #[serde(default)]
    pub decision_doc: Option<String>,
    /// 奖励日期.
    #[serde(default)]
    pub awarded_on: Option<String>,
    /// 数据来源单位.
    #[serde(default)]
    pub source: Option<String>,
}

/// A stored reward.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct RewardRow {
    pub id: i64,
    pub subject_uscc: String,
    pub subject_name: String,
    pub title: String,
    pub awarded_by: String,
    pub decision_doc: String,
    pub awarded_on: String,
    pub source: String,
    pub created_at: i64,
    pub created_by: Option<i64>,
    pub version: i64,
}
from_row!(RewardRow {
    id,
    subject_uscc,
    subject_name,
    title,
    awarded_by,
    decision_doc,
    awarded_on,
    source,
    created_at,
    created_by,
    version
});

macro_rules! rcols {
    () => {
        "id, subject_uscc, subject_name, title, awarded_by, decision_doc, awarded_on, source, created_at, created_by, version"
    };
}

/// POST /api/credit/rewards.
#[utoipa::path(post, path = "/api/credit/rewards", tag = "credit", request_body = RewardInput,
    responses((status = 201, body = RewardRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_reward(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<RewardRow>)> {
    let i: RewardInput = web::json_body(&body)?;
    let mut ck = Check::new();
    let uscc = uscc_of(&mut ck, "subject_uscc", &i.subject_uscc);
    let name = ck.text("subject_name", &i.subject_name, 200);
    let title = ck.text("title", &i.title, 200);
    let by = ck.text("awarded_by", &i.awarded_by, 200);
    let doc = ck.text("decision_doc", &i.decision_doc, 128);
    let on = date_of(&mut ck, "awarded_on", &i.awarded_on);
    if i.awarded_on.as_deref().is_none_or(|s| s.trim().is_empty()) {
        ck.required("awarded_on");
    }
    let source = ck.text("source", &i.source, 200);
    ck.finish().map_err(web::invalid)?;
    let (Some(uscc), Some(name), Some(title), Some(by), Some(doc), Some(on), Some(source)) =
        (uscc, name, title, by, doc, on, source)
    else {
        return Err(AppError::internal("checked fields missing"));
    };
    let now = st.clock.now_ms();
    let mut tx = st.store.begin().await?;
    let row: RewardRow = sqlx::query_as(concat!(
        "INSERT INTO credit_rewards (subject_uscc, subject_name, title, awarded_by, decision_doc, awarded_on, source, created_at, created_by, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0) RETURNING ",
        rcols!()
    ))
    .bind(uscc)
    .bind(name)
    .bind(title)
    .bind(by)
    .bind(doc)
    .bind(on.to_string())
    .bind(source)
    .bind(now)
    .bind(c.user.as_ref().map(|u| u.id))
    .fetch_one(tx.conn())
    .await
    .map_err(lc_store::sql::unique("reward decision document"))?;
    tx.audit(
        &c.actor(),
        "create",
        "credit_reward",
        &row.id.to_string(),
        json!({"subject_uscc": row.subject_uscc, "title": row.title, "decision_doc": row.decision_doc}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// Filter of a subject's records.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubjectQuery {
    /// A unified social credit code.
    pub subject: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// GET /api/credit/rewards.
#[utoipa::path(get, path = "/api/credit/rewards", tag = "credit", params(SubjectQuery, web::PageQuery),
    responses((status = 200, body = Paged<RewardRow>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_rewards(
    State(st): State<Arc<AppState>>,
    Query(q): Query<SubjectQuery>,
) -> ApiResult<Json<Paged<RewardRow>>> {
    let page = q.page.page()?;
    let subject = q
        .subject
        .clone()
        .filter(|s| !s.is_empty())
        .map(|s| s.to_ascii_uppercase());
    let wh = "WHERE ($1 IS NULL OR subject_uscc = $1)";
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM credit_rewards {wh}"))
        .bind(subject.clone())
        .fetch_one(st.store.pool())
        .await
        .map_err(StoreError::from)?;
    let rows = sqlx::query_as(&format!(
        "SELECT {} FROM credit_rewards {wh} ORDER BY awarded_on DESC, id DESC LIMIT $2 OFFSET $3",
        rcols!()
    ))
    .bind(subject)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    Ok(Json(Paged::new(rows, total, page)))
}

// ---------------------------------------------------------------------------------------------
// Red and black lists.

/// `red` or `black`, with the list's default name.
fn list_kind(k: &str) -> Option<(&'static str, &'static str)> {
    match k {
        "red" | "红名单" => Some(("red", "守信激励对象名单")),
        "black" | "黑名单" => Some(("black", "严重失信主体名单")),
        _ => None,
    }
}

/// A list entry as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryInput {
    /// `red` (守信激励) or `black` (严重失信主体名单).
    #[serde(default)]
    pub list_kind: Option<String>,
    /// The list's name (default: 守信激励对象名单 / 严重失信主体名单).
    #[serde(default)]
    pub list_name: Option<String>,
    #[serde(default)]
    pub subject_uscc: Option<String>,
    #[serde(default)]
    pub subject_name: Option<String>,
    /// 列入日期.
    #[serde(default)]
    pub entered_on: Option<String>,
    /// 列入事由.
    #[serde(default)]
    pub entry_reason: Option<String>,
    /// 认定部门.
    #[serde(default)]
    pub decided_by: Option<String>,
    /// 认定文书号.
    #[serde(default)]
    pub decision_doc: Option<String>,
    /// 数据来源单位.
    #[serde(default)]
    pub source: Option<String>,
}

/// A stored list entry.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct EntryRow {
    pub id: i64,
    pub list_kind: String,
    pub list_name: String,
    pub subject_uscc: String,
    pub subject_name: String,
    pub entered_on: String,
    pub entry_reason: String,
    pub decided_by: String,
    pub decision_doc: String,
    pub source: String,
    /// 移出日期: the first day off the list.
    pub exited_on: Option<String>,
    pub exit_reason: Option<String>,
    pub exit_doc: Option<String>,
    pub created_at: i64,
    pub created_by: Option<i64>,
    pub updated_at: i64,
    pub version: i64,
}
from_row!(EntryRow {
    id,
    list_kind,
    list_name,
    subject_uscc,
    subject_name,
    entered_on,
    entry_reason,
    decided_by,
    decision_doc,
    source,
    exited_on,
    exit_reason,
    exit_doc,
    created_at,
    created_by,
    updated_at,
    version
});

macro_rules! ecols {
    () => {
        "id, list_kind, list_name, subject_uscc, subject_name, entered_on, entry_reason, decided_by, decision_doc, source, exited_on, exit_reason, exit_doc, created_at, created_by, updated_at, version"
    };
}

/// POST /api/credit/lists.
#[utoipa::path(post, path = "/api/credit/lists", tag = "credit", request_body = EntryInput,
    responses((status = 201, body = EntryRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_entry(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<EntryRow>)> {
    let i: EntryInput = web::json_body(&body)?;
    let e = check_entry(&i).map_err(web::invalid)?;
    let now = st.clock.now_ms();
    let mut tx = st.store.begin().await?;
    let row = insert_entry(tx.conn(), &e, now, c.user.as_ref().map(|u| u.id))
        .await
        .map_err(|err| match lc_store::sql::unique("list entry")(err) {
            StoreError::Duplicate(_) => already_listed(&e),
            other => other.into(),
        })?;
    tx.audit(
        &c.actor(),
        "enter",
        "credit_list_entry",
        &row.id.to_string(),
        json!({"list_kind": row.list_kind, "list_name": row.list_name, "subject_uscc": row.subject_uscc, "entered_on": row.entered_on}),
    )
    .await?;
    if row.list_kind == "black" {
        super::risk::recompute_for(tx.conn(), [row.subject_uscc.as_str()], now).await?;
    }
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// A checked list entry.
struct CheckedEntry {
    kind: &'static str,
    list_name: String,
    uscc: String,
    subject_name: String,
    entered: Date,
    reason: String,
    decided_by: String,
    doc: String,
    source: String,
}

fn check_entry(i: &EntryInput) -> Result<CheckedEntry, Vec<FieldError>> {
    let mut ck = Check::new();
    let kind = match i
        .list_kind
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => {
            ck.required("list_kind");
            None
        }
        Some(k) => {
            let found = list_kind(k);
            if found.is_none() {
                ck.fail(
                    "list_kind",
                    "invalid_value",
                    format!(
                        "list_kind 应为 red（红名单）或 black（黑名单），而非 '{}'",
                        lc_model::quote(k)
                    ),
                    format!(
                        "list_kind must be red or black, not '{}'",
                        lc_model::quote(k)
                    ),
                );
            }
            found
        }
    };
    let name = ck.opt_text("list_name", &i.list_name, 200);
    let uscc = uscc_of(&mut ck, "subject_uscc", &i.subject_uscc);
    let subject_name = ck.text("subject_name", &i.subject_name, 200);
    let entered = date_of(&mut ck, "entered_on", &i.entered_on);
    if i.entered_on.as_deref().is_none_or(|s| s.trim().is_empty()) {
        ck.required("entered_on");
    }
    let reason = ck.text("entry_reason", &i.entry_reason, 2000);
    let decided_by = ck.text("decided_by", &i.decided_by, 200);
    let doc = ck.text("decision_doc", &i.decision_doc, 128);
    let source = ck.text("source", &i.source, 200);
    ck.finish()?;
    match (
        kind,
        uscc,
        subject_name,
        entered,
        reason,
        decided_by,
        doc,
        source,
    ) {
        (
            Some((kind, default_name)),
            Some(uscc),
            Some(subject_name),
            Some(entered),
            Some(reason),
            Some(decided_by),
            Some(doc),
            Some(source),
        ) => Ok(CheckedEntry {
            kind,
            list_name: name.unwrap_or_else(|| default_name.to_string()),
            uscc,
            subject_name,
            entered,
            reason,
            decided_by,
            doc,
            source,
        }),
        _ => {
            let mut c = Check::new();
            c.required("entry");
            Err(c.errors)
        }
    }
}

fn already_listed(e: &CheckedEntry) -> AppError {
    AppError::new(
        StatusCode::CONFLICT,
        "already_listed",
        format!("{} 已在「{}」中（未移出）", e.uscc, e.list_name),
        format!(
            "{} is on the list '{}' already (not exited)",
            e.uscc, e.list_name
        ),
    )
}

async fn insert_entry(
    conn: &mut AnyConnection,
    e: &CheckedEntry,
    now: i64,
    by: Option<i64>,
) -> Result<EntryRow, sqlx::Error> {
    sqlx::query_as(concat!(
        "INSERT INTO credit_list_entries (list_kind, list_name, subject_uscc, subject_name, entered_on, entry_reason, decided_by, decision_doc, source, exited_on, exit_reason, exit_doc, created_at, created_by, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, NULL, $10, $11, $10, 0) RETURNING ",
        ecols!()
    ))
    .bind(e.kind.to_string())
    .bind(e.list_name.clone())
    .bind(e.uscc.clone())
    .bind(e.subject_name.clone())
    .bind(e.entered.to_string())
    .bind(e.reason.clone())
    .bind(e.decided_by.clone())
    .bind(e.doc.clone())
    .bind(e.source.clone())
    .bind(now)
    .bind(by)
    .fetch_one(conn)
    .await
}

const ENTRY_COLUMNS: &[&str] = &[
    "list_kind",
    "list_name",
    "subject_uscc",
    "subject_name",
    "entered_on",
    "entry_reason",
    "decided_by",
    "decision_doc",
    "source",
];

/// What a list import did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntryImport {
    pub rows: usize,
    pub created: usize,
}

/// POST /api/credit/lists/import.
#[utoipa::path(post, path = "/api/credit/lists/import", tag = "credit",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = EntryImport), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn import_entries(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<Json<EntryImport>> {
    let rows = super::credit::csv_rows(&body)?;
    let mut errors = Vec::new();
    let mut ready = Vec::new();
    for (line, m) in rows {
        match row_input::<EntryInput>(&m, ENTRY_COLUMNS).and_then(|i| check_entry(&i)) {
            Ok(e) => ready.push((line, e)),
            Err(e) => errors.extend(super::credit::at_line(line, e)),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let now = st.clock.now_ms();
    let by = c.user.as_ref().map(|u| u.id);
    let mut tx = st.store.begin().await?;
    let mut black = BTreeSet::new();
    for (line, e) in &ready {
        // An open entry stored, or on an earlier line: refused (the index is the guard).
        let open: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM credit_list_entries WHERE subject_uscc = $1 AND list_kind = $2 AND list_name = $3 AND exited_on IS NULL",
        )
        .bind(e.uscc.clone())
        .bind(e.kind.to_string())
        .bind(e.list_name.clone())
        .fetch_optional(tx.conn())
        .await
        .map_err(StoreError::from)?;
        if open.is_some() {
            let mut ck = Check::new();
            ck.fail(
                "subject_uscc",
                "already_listed",
                format!("{} 已在「{}」中（未移出）", e.uscc, e.list_name),
                format!(
                    "{} is on the list '{}' already (not exited)",
                    e.uscc, e.list_name
                ),
            );
            errors.extend(super::credit::at_line(*line, ck.errors));
            continue;
        }
        insert_entry(tx.conn(), e, now, by).await.map_err(|err| {
            match lc_store::sql::unique("list entry")(err) {
                StoreError::Duplicate(_) => already_listed(e),
                other => other.into(),
            }
        })?;
        if e.kind == "black" {
            black.insert(e.uscc.clone());
        }
    }
    if !errors.is_empty() {
        // Nothing written: the transaction is dropped, rolled back.
        return Err(AppError::validation(errors));
    }
    super::risk::recompute_for(tx.conn(), black.iter().map(String::as_str), now).await?;
    tx.audit(
        &c.actor(),
        "import",
        "credit_list_entry",
        "*",
        json!({"rows": ready.len()}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(EntryImport {
        rows: ready.len(),
        created: ready.len(),
    }))
}

/// Filters of the list entries.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntryQuery {
    /// `red` or `black`.
    pub list_kind: Option<String>,
    /// A unified social credit code.
    pub subject: Option<String>,
    /// `open` (not exited) or `exited`.
    pub status: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// GET /api/credit/lists.
#[utoipa::path(get, path = "/api/credit/lists", tag = "credit", params(EntryQuery, web::PageQuery),
    responses((status = 200, body = Paged<EntryRow>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_entries(
    State(st): State<Arc<AppState>>,
    Query(q): Query<EntryQuery>,
) -> ApiResult<Json<Paged<EntryRow>>> {
    let page = q.page.page()?;
    let kind = match q.list_kind.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(k) => Some(
            list_kind(k)
                .ok_or_else(|| {
                    AppError::bad_request(
                        "list_kind 应为 red 或 black",
                        "list_kind must be red or black",
                    )
                })?
                .0
                .to_string(),
        ),
    };
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s @ ("open" | "exited")) => Some(s.to_string()),
        Some(_) => {
            return Err(AppError::bad_request(
                "status 应为 open 或 exited",
                "status must be open or exited",
            ))
        }
    };
    let subject = q
        .subject
        .clone()
        .filter(|s| !s.is_empty())
        .map(|s| s.to_ascii_uppercase());
    let wh = "WHERE ($1 IS NULL OR list_kind = $1) AND ($2 IS NULL OR subject_uscc = $2) AND ($3 IS NULL OR ($3 = 'open' AND exited_on IS NULL) OR ($3 = 'exited' AND exited_on IS NOT NULL))";
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM credit_list_entries {wh}"))
        .bind(kind.clone())
        .bind(subject.clone())
        .bind(status.clone())
        .fetch_one(st.store.pool())
        .await
        .map_err(StoreError::from)?;
    let rows = sqlx::query_as(&format!(
        "SELECT {} FROM credit_list_entries {wh} ORDER BY entered_on DESC, id DESC LIMIT $4 OFFSET $5",
        ecols!()
    ))
    .bind(kind)
    .bind(subject)
    .bind(status)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    Ok(Json(Paged::new(rows, total, page)))
}

/// An exit from a list.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExitInput {
    /// 移出日期: the first day off the list (default: today, Asia/Shanghai).
    #[serde(default)]
    pub exited_on: Option<String>,
    /// 移出原因 (信用修复, 期满, …).
    #[serde(default)]
    pub exit_reason: Option<String>,
    /// 移出决定文书号.
    #[serde(default)]
    pub exit_doc: Option<String>,
}

/// POST /api/credit/lists/{id}/exit.
#[utoipa::path(post, path = "/api/credit/lists/{id}/exit", tag = "credit",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "The version the change is made against")),
    request_body = ExitInput,
    responses((status = 200, body = EntryRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn exit_entry(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<EntryRow>> {
    let i: ExitInput = web::json_body(&body)?;
    let expected = web::if_match(&headers)?;
    let mut ck = Check::new();
    let reason = ck.text("exit_reason", &i.exit_reason, 2000);
    let doc = ck.opt_text("exit_doc", &i.exit_doc, 128);
    let on = match date_of(&mut ck, "exited_on", &i.exited_on) {
        Some(d) => Some(d),
        None if i.exited_on.as_deref().is_none_or(|s| s.trim().is_empty()) => {
            Some(web::today(&st)?)
        }
        None => None,
    };
    ck.finish().map_err(web::invalid)?;
    let (Some(reason), Some(on)) = (reason, on) else {
        return Err(AppError::internal("checked fields missing"));
    };
    let key: i64 = id
        .parse()
        .map_err(|_| AppError::not_found("list entry", &id))?;
    let now = st.clock.now_ms();
    let mut tx = st.store.begin().await?;
    let row: EntryRow = sqlx::query_as(concat!(
        "SELECT ",
        ecols!(),
        " FROM credit_list_entries WHERE id = $1"
    ))
    .bind(key)
    .fetch_optional(tx.conn())
    .await
    .map_err(StoreError::from)?
    .ok_or_else(|| AppError::not_found("list entry", &id))?;
    if expected.is_some_and(|v| v != row.version) {
        return Err(web::conflict("list entry", &id));
    }
    if row.exited_on.is_some() {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "already_exited",
            "该名单记录已移出",
            "this entry has been taken off its list already",
        ));
    }
    if on.to_string() < row.entered_on {
        let mut ck = Check::new();
        ck.fail(
            "exited_on",
            "before_entered",
            format!("移出日期不能早于列入日期 {}", row.entered_on),
            format!("exited_on cannot be before entered_on {}", row.entered_on),
        );
        return Err(web::invalid(ck.errors));
    }
    let done = sqlx::query("UPDATE credit_list_entries SET exited_on = $2, exit_reason = $3, exit_doc = $4, updated_at = $5, version = version + 1 WHERE id = $1 AND version = $6 AND exited_on IS NULL")
        .bind(row.id)
        .bind(on.to_string())
        .bind(reason.clone())
        .bind(doc.clone())
        .bind(now)
        .bind(row.version)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    if done.rows_affected() != 1 {
        return Err(web::conflict("list entry", &id));
    }
    tx.audit(
        &c.actor(),
        "exit",
        "credit_list_entry",
        &id,
        json!({"exited_on": on.to_string(), "exit_reason": reason, "exit_doc": doc}),
    )
    .await?;
    if row.list_kind == "black" {
        super::risk::recompute_for(tx.conn(), [row.subject_uscc.as_str()], now).await?;
    }
    tx.commit().await?;
    Ok(Json(EntryRow {
        exited_on: Some(on.to_string()),
        exit_reason: Some(reason),
        exit_doc: doc,
        updated_at: now,
        version: row.version + 1,
        ..row
    }))
}

// ---------------------------------------------------------------------------------------------
// Publicity.

/// The public query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicQuery {
    /// A unified social credit code.
    pub subject: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// A public answer: `{on, count, items}` or a CSV of `columns`.
fn answer(
    name: &str,
    on: Date,
    columns: &[&str],
    items: Vec<Value>,
    csv: bool,
) -> ApiResult<Response> {
    if csv {
        return bulk::csv_of_values(&format!("{name}-{on}.csv"), columns, &items);
    }
    Ok(Json(json!({"on": on.to_string(), "count": items.len(), "items": items})).into_response())
}

const PUBLIC_COMMITMENT: &[&str] = &[
    "code",
    "committer_name",
    "committer_kind",
    "committer_code",
    "kind",
    "kind_zh",
    "cause",
    "content",
    "liability",
    "made_on",
    "valid_until",
    "fulfilment",
    "fulfilment_zh",
    "unfulfilled",
    "liability_pursued",
    "assessed_on",
    "assessed_by",
    "accepted_by",
    "accepted_by_code",
    "facility_id",
];

/// A commitment as the public sees it: a person's name masked and no code of theirs.
fn public_commitment(r: &CommitmentRow) -> Value {
    let person = r.committer_kind == "person";
    let zh_kind = parse_key(&COMMITMENT_TYPES, &r.kind).map(CommitmentType::zh);
    let zh_ful = r
        .fulfilment
        .as_deref()
        .and_then(|f| parse_key(&FULFILMENTS, f))
        .map(Fulfilment::zh);
    json!({
        "code": r.code,
        "committer_name": if person { lc_registry::mask_name(&r.committer_name) } else { r.committer_name.clone() },
        "committer_kind": r.committer_kind,
        "committer_code": if person { None } else { Some(&r.committer_code) },
        "kind": r.kind,
        "kind_zh": zh_kind,
        "cause": r.cause,
        "content": r.content,
        "liability": r.liability,
        "made_on": r.made_on,
        "valid_until": r.valid_until,
        "fulfilment": r.fulfilment,
        "fulfilment_zh": zh_ful,
        "unfulfilled": r.unfulfilled,
        "liability_pursued": r.liability_pursued,
        "assessed_on": r.assessed_on,
        "assessed_by": r.assessed_by,
        "accepted_by": r.accepted_by,
        "accepted_by_code": r.accepted_by_code,
        "facility_id": r.facility_id,
    })
}

async fn public_commitment_rows(
    conn: &mut AnyConnection,
    subject: Option<String>,
) -> ApiResult<Vec<CommitmentRow>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        ccols!(),
        " FROM credit_commitments WHERE publication = 'public' AND ($1 IS NULL OR committer_code = $1) ORDER BY made_on DESC, code DESC"
    ))
    .bind(subject)
    .fetch_all(conn)
    .await
    .map_err(StoreError::from)?)
}

fn subject_param(q: &PublicQuery) -> Option<String> {
    q.subject
        .clone()
        .filter(|s| !s.is_empty())
        .map(|s| s.to_ascii_uppercase())
}

/// GET /api/public/commitments.
#[utoipa::path(get, path = "/api/public/commitments", tag = "credit", params(PublicQuery),
    responses((status = 200, description = "JSON, or CSV with format=csv", content((Object = "application/json"), (String = "text/csv"))), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn public_commitments(
    State(st): State<Arc<AppState>>,
    Query(q): Query<PublicQuery>,
) -> ApiResult<Response> {
    let csv = web::csv_format(&q.format)?;
    let on = web::today(&st)?;
    let mut conn = st.store.read_conn().await?;
    let rows = public_commitment_rows(&mut conn, subject_param(&q)).await?;
    let items = rows.iter().map(public_commitment).collect();
    answer("commitments", on, PUBLIC_COMMITMENT, items, csv)
}

const PUBLIC_REWARD: &[&str] = &[
    "subject_uscc",
    "subject_name",
    "title",
    "awarded_by",
    "decision_doc",
    "awarded_on",
    "source",
];

/// GET /api/public/rewards.
#[utoipa::path(get, path = "/api/public/rewards", tag = "credit", params(PublicQuery),
    responses((status = 200, description = "JSON, or CSV with format=csv", content((Object = "application/json"), (String = "text/csv"))), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn public_rewards(
    State(st): State<Arc<AppState>>,
    Query(q): Query<PublicQuery>,
) -> ApiResult<Response> {
    let csv = web::csv_format(&q.format)?;
    let on = web::today(&st)?;
    let rows: Vec<RewardRow> = sqlx::query_as(concat!(
        "SELECT ",
        rcols!(),
        " FROM credit_rewards WHERE awarded_on <= $2 AND ($1 IS NULL OR subject_uscc = $1) ORDER BY awarded_on DESC, id DESC"
    ))
    .bind(subject_param(&q))
    .bind(on.to_string())
    .fetch_all(st.store.reader())
    .await
    .map_err(StoreError::from)?;
    let items = rows
        .iter()
        .map(|r| {
            json!({"subject_uscc": r.subject_uscc, "subject_name": r.subject_name, "title": r.title, "awarded_by": r.awarded_by, "decision_doc": r.decision_doc, "awarded_on": r.awarded_on, "source": r.source})
        })
        .collect();
    answer("rewards", on, PUBLIC_REWARD, items, csv)
}

const PUBLIC_ENTRY: &[&str] = &[
    "list_name",
    "subject_uscc",
    "subject_name",
    "entered_on",
    "entry_reason",
    "decided_by",
    "decision_doc",
    "source",
];

async fn public_list(st: &AppState, q: &PublicQuery, kind: &str) -> ApiResult<Response> {
    let csv = web::csv_format(&q.format)?;
    let on = web::today(st)?;
    let rows: Vec<EntryRow> = sqlx::query_as(concat!(
        "SELECT ",
        ecols!(),
        " FROM credit_list_entries WHERE list_kind = $1 AND entered_on <= $2 AND (exited_on IS NULL OR exited_on > $2) AND ($3 IS NULL OR subject_uscc = $3) ORDER BY entered_on DESC, id DESC"
    ))
    .bind(kind.to_string())
    .bind(on.to_string())
    .bind(subject_param(q))
    .fetch_all(st.store.reader())
    .await
    .map_err(StoreError::from)?;
    let items = rows
        .iter()
        .map(|r| {
            json!({"list_name": r.list_name, "subject_uscc": r.subject_uscc, "subject_name": r.subject_name, "entered_on": r.entered_on, "entry_reason": r.entry_reason, "decided_by": r.decided_by, "decision_doc": r.decision_doc, "source": r.source})
        })
        .collect();
    answer(&format!("{kind}-list"), on, PUBLIC_ENTRY, items, csv)
}

/// GET /api/public/red-list.
#[utoipa::path(get, path = "/api/public/red-list", tag = "credit", params(PublicQuery),
    responses((status = 200, description = "JSON, or CSV with format=csv", content((Object = "application/json"), (String = "text/csv"))), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn public_red_list(
    State(st): State<Arc<AppState>>,
    Query(q): Query<PublicQuery>,
) -> ApiResult<Response> {
    public_list(&st, &q, "red").await
}

/// GET /api/public/black-list.
#[utoipa::path(get, path = "/api/public/black-list", tag = "credit", params(PublicQuery),
    responses((status = 200, description = "JSON, or CSV with format=csv", content((Object = "application/json"), (String = "text/csv"))), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn public_black_list(
    State(st): State<Arc<AppState>>,
    Query(q): Query<PublicQuery>,
) -> ApiResult<Response> {
    public_list(&st, &q, "black").await
}

/// The outlets query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutletQuery {
    /// A division-code prefix.
    pub division: Option<String>,
    /// A facility category.
    pub category: Option<String>,
    /// A provider's unified social credit code.
    pub provider: Option<String>,
    /// `json` (default) or `csv` (commitment codes joined by `;`).
    pub format: Option<String>,
}

const PUBLIC_OUTLET: &[&str] = &[
    "listing_number",
    "facility_id",
    "name",
    "category",
    "division_code",
    "address",
    "provider_code",
    "provider_name",
    "credit_commitment_date",
    "commitment_codes",
];

/// GET /api/public/listed-outlets.
#[utoipa::path(get, path = "/api/public/listed-outlets", tag = "credit", params(OutletQuery),
    responses((status = 200, description = "JSON, or CSV with format=csv", content((Object = "application/json"), (String = "text/csv"))), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn public_outlets(
    State(st): State<Arc<AppState>>,
    Query(q): Query<OutletQuery>,
) -> ApiResult<Response> {
    let csv = web::csv_format(&q.format)?;
    let on = web::today(&st)?;
    let division = web::division_param(&q.division)?.map(|d| lc_store::sql::prefix_pattern(&d));
    let category = q.category.clone().filter(|s| !s.is_empty());
    let provider = q
        .provider
        .clone()
        .filter(|s| !s.is_empty())
        .map(|s| s.to_ascii_uppercase());
    let mut conn = st.store.read_conn().await?;
    #[allow(clippy::type_complexity)]
    let outlets: Vec<(
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    )> = sqlx::query_as(
        "SELECT f.listing_number, f.id, f.name, f.category, f.division_code, f.address, f.provider_code, p.name, f.credit_commitment_date FROM facilities f LEFT JOIN providers p ON p.uscc = f.provider_code WHERE f.listing_number IS NOT NULL AND ($1 IS NULL OR f.division_code LIKE $1 ESCAPE '\\') AND ($2 IS NULL OR f.category = $2) AND ($3 IS NULL OR f.provider_code = $3) ORDER BY f.listing_number",
    )
    .bind(division)
    .bind(category)
    .bind(provider)
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let providers: BTreeSet<String> = outlets.iter().filter_map(|o| o.6.clone()).collect();
    // One read of the public commitments, grouped by the listed outlets' providers.
    let mut by_provider: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for row in public_commitment_rows(&mut conn, None).await? {
        if providers.contains(&row.committer_code) {
            by_provider
                .entry(row.committer_code.clone())
                .or_default()
                .push(public_commitment(&row));
        }
    }
    let items: Vec<Value> = outlets
        .into_iter()
        .map(
            |(listing, id, name, category, division, address, provider, provider_name, date)| {
                let commitments = provider
                    .as_ref()
                    .and_then(|p| by_provider.get(p))
                    .cloned()
                    .unwrap_or_default();
                let codes: Vec<&str> = commitments
                    .iter()
                    .filter_map(|c| c["code"].as_str())
                    .collect();
                let codes = codes.join(";");
                let mut v = json!({
                    "listing_number": listing,
                    "facility_id": id,
                    "name": name,
                    "category": category,
                    "division_code": division,
                    "address": address,
                    "provider_code": provider,
                    "provider_name": provider_name,
                    "credit_commitment_date": date,
                });
                if csv {
                    v["commitment_codes"] = json!(codes);
                } else {
                    v["commitments"] = Value::Array(commitments);
                }
                v
            },
        )
        .collect();
    answer("listed-outlets", on, PUBLIC_OUTLET, items, csv)
}
