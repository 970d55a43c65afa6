//! The review rules in force: which jurisdiction's deadlines and default rating apply (none by
//! default: no deadline, no default rating), local overrides of either, and the minimum number
//! of reviews a public rating needs. One row of `review_settings`, changed compare-and-set by an
//! administrator and audited. The working-day calendar is the national data
//! (`lc_reviews::workdays`) under the platform's own calendar days (`/api/calendar`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::{Extension, Json};
use lc_registry::Check;
use lc_reviews::jurisdiction::{self, DefaultRating, Jurisdiction, Period};
use lc_reviews::workdays::{Calendar, DayKind, LocalDay};
use lc_store::sqlx::{self, AnyConnection};
use lc_store::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::{ApiResult, AppError};
use crate::web;
use crate::AppState;

/// The rules as an administrator sets them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// A shipped jurisdiction (`sichuan`, `dezhou`, `guangdong`), or none.
    #[serde(default)]
    pub jurisdiction: Option<String>,
    /// A local rectification deadline, replacing the jurisdiction's.
    #[serde(default)]
    pub rectify: Option<Period>,
    /// A local default rating, replacing the jurisdiction's.
    #[serde(default)]
    pub default_rating: Option<DefaultRating>,
    /// The fewest reviews a subject needs before its rating is public (default 10).
    #[serde(default = "default_minimum")]
    pub minimum: u32,
    /// Set by the server when the default rating in force changes: only services delivered
    /// from then on are given one (turning the rule on does not rate the past). Ignored in a
    /// request.
    #[serde(default)]
    pub default_from_ms: Option<i64>,
}

fn default_minimum() -> u32 {
    lc_reviews::rating::DEFAULT_MINIMUM
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            jurisdiction: None,
            rectify: None,
            default_rating: None,
            minimum: default_minimum(),
            default_from_ms: None,
        }
    }
}

impl Rules {
    /// The rules checked: a known jurisdiction, periods of 1 to 90 days, a minimum of 1 to 1000.
    pub fn check(&self) -> ApiResult<()> {
        let mut c = Check::new();
        if let Some(k) = &self.jurisdiction {
            if jurisdiction::get(k).is_none() {
                let known: Vec<&str> = jurisdiction::builtin()
                    .iter()
                    .map(|j| j.key.as_str())
                    .collect();
                c.fail(
                    "jurisdiction",
                    "unknown_jurisdiction",
                    format!("未知的辖区 '{k}'，可选：{}", known.join("、")),
                    format!("unknown jurisdiction '{k}'; one of {}", known.join(", ")),
                );
            }
        }
        let periods = [
            ("rectify", self.rectify),
            ("default_rating.after", self.default_rating.map(|d| d.after)),
        ];
        for (field, p) in periods {
            if let Some(p) = p {
                if !(1..=90).contains(&p.days) {
                    c.fail(
                        field,
                        "out_of_range",
                        format!("{field} 应为 1 至 90 天，而非 {}", p.days),
                        format!("{field} must be 1 to 90 days, not {}", p.days),
                    );
                }
            }
        }
        if self.default_rating.is_some_and(|d| d.level.is_bad()) {
            c.fail(
                "default_rating.level",
                "bad_default",
                "默认评价不能是差评（不满意、非常不满意）".into(),
                "a default rating cannot be a bad one (dissatisfied, very dissatisfied)".into(),
            );
        }
        if !(1..=1000).contains(&self.minimum) {
            c.fail(
                "minimum",
                "out_of_range",
                format!("minimum 应为 1 至 1000，而非 {}", self.minimum),
                format!("minimum must be from 1 to 1000, not {}", self.minimum),
            );
        }
        c.finish().map_err(web::invalid)
    }

    /// The jurisdiction in force: the shipped one with the local overrides on top (a deployment
    /// without one has neither deadline nor default rating unless it sets them).
    pub fn effective(&self) -> Jurisdiction {
        let mut j = self
            .jurisdiction
            .as_deref()
            .and_then(jurisdiction::get)
            .cloned()
            .unwrap_or_else(|| Jurisdiction {
                key: "local".into(),
                zh: "本地".into(),
                en: "Local".into(),
                rectify: None,
                default_rating: None,
                source: "set by this deployment's administrator".into(),
            });
        if self.rectify.is_some() {
            j.rectify = self.rectify;
            j.source = format!("{} (rectification deadline set locally)", j.source);
        }
        if self.default_rating.is_some() {
            j.default_rating = self.default_rating;
            j.source = format!("{} (default rating set locally)", j.source);
        }
        j
    }
}

/// The rules in force and their version (0 before an administrator first sets them).
pub async fn load(conn: &mut AnyConnection) -> ApiResult<(Rules, i64)> {
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT rules, version FROM review_settings WHERE id = 1")
            .fetch_optional(conn)
            .await
            .map_err(StoreError::from)?;
    match row {
        None => Ok((Rules::default(), 0)),
        Some((text, version)) => {
            let rules = serde_json::from_str(&text)
                .map_err(|e| AppError::internal(format!("stored review rules: {e}")))?;
            Ok((rules, version))
        }
    }
}

/// The working-day calendar: the State Council's holidays and 调休 days, with the platform's
/// own calendar days (`/api/calendar`: local holidays, moved working days) on top.
pub async fn calendar(conn: &mut AnyConnection) -> ApiResult<Calendar> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT day, kind FROM calendar_days")
        .fetch_all(conn)
        .await
        .map_err(StoreError::from)?;
    let local: Vec<LocalDay> = rows
        .into_iter()
        .map(|(date, kind)| LocalDay {
            date,
            kind: if kind == "holiday" {
                DayKind::Holiday
            } else {
                DayKind::Workday
            },
        })
        .collect();
    Calendar::national()
        .with_local(&local)
        .map_err(|e| AppError::internal(format!("stored calendar days: {e:?}")))
}

/// The rules, what is in force, and the data behind them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SettingsView {
    pub rules: Rules,
    /// The deadlines and default rating in force.
    pub effective: Jurisdiction,
    /// The shipped jurisdictions.
    pub jurisdictions: Vec<Jurisdiction>,
    /// The indicator sets in force (version-managed).
    #[schema(value_type = Object)]
    pub indicators: Value,
    /// The years the national working-day data covers (a deadline in another year cannot be
    /// worked out until the State Council's notice for it is added).
    pub calendar_years: Vec<i16>,
    pub version: i64,
}

async fn view(st: &AppState) -> ApiResult<SettingsView> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let (rules, version) = load(&mut conn).await?;
    Ok(SettingsView {
        effective: rules.effective(),
        rules,
        jurisdictions: jurisdiction::builtin().to_vec(),
        indicators: serde_json::to_value(lc_reviews::indicators::builtin())
            .map_err(AppError::internal)?,
        calendar_years: Calendar::national().years.iter().copied().collect(),
        version,
    })
}

/// GET /api/review-settings.
#[utoipa::path(get, path = "/api/review-settings", tag = "reviews",
    responses((status = 200, body = SettingsView), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn get_settings(State(st): State<Arc<AppState>>) -> ApiResult<Json<SettingsView>> {
    Ok(Json(view(&st).await?))
}

/// PUT /api/review-settings.
#[utoipa::path(put, path = "/api/review-settings", tag = "reviews",
    params(("If-Match" = Option<String>, Header, description = "The version the change is made against")),
    request_body = Rules,
    responses((status = 200, body = SettingsView), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn put_settings(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<SettingsView>> {
    let mut rules: Rules = web::json_body(&body)?;
    rules.check()?;
    let expected = web::if_match(&headers)?;
    let now = st.clock.now_ms();
    let mut tx = st.store.begin().await?;
    let (before, version) = load(tx.conn()).await?;
    if expected.is_some_and(|v| v != version) {
        return Err(web::conflict("review_settings", "1"));
    }
    rules.default_from_ms = match rules.effective().default_rating {
        None => None,
        Some(d) if before.effective().default_rating == Some(d) => before.default_from_ms,
        Some(_) => Some(now),
    };
    let text = serde_json::to_string(&rules).map_err(AppError::internal)?;
    let done = if version == 0 {
        sqlx::query("INSERT INTO review_settings (id, rules, updated_at, version) VALUES (1, $1, $2, 1) ON CONFLICT (id) DO NOTHING")
            .bind(text)
            .bind(now)
            .execute(tx.conn())
            .await
    } else {
        sqlx::query("UPDATE review_settings SET rules = $1, updated_at = $2, version = version + 1 WHERE id = 1 AND version = $3")
            .bind(text)
            .bind(now)
            .bind(version)
            .execute(tx.conn())
            .await
    }
    .map_err(StoreError::from)?;
    if done.rows_affected() != 1 {
        return Err(web::conflict("review_settings", "1"));
    }
    tx.audit(
        &c.actor(),
        "set",
        "review_settings",
        "1",
        json!({"from": before, "to": rules}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(view(&st).await?))
}
