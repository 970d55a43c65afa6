//! What is published: public ratings per outlet, provider, practitioner and service type (the
//! sharing platform's query "by area and service type"), monthly statistics per outlet and per
//! region with the ranking, the outlets ranked low two months in a row (约谈), and the exchange
//! file for a provincial system. Ratings use [`lc_reviews::rating`], the same function that
//! recomputes them from the review log; an upheld appeal's review counts in none of them; a
//! subject below the minimum number of reviews shows nothing, not even its count.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use lc_registry::mask_name;
use lc_reviews::level::Level;
use lc_reviews::rating::{self, Figures, Public, ReviewEvent};
use lc_services::time::{self, YearMonth};
use lc_store::sqlx::{self, AnyConnection};
use lc_store::{from_row, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::cases::{self, CaseRow};
use super::records::{self, ReviewRow};
use super::settings;
use crate::bulk;
use crate::error::{ApiResult, AppError};
use crate::web;
use crate::AppState;

/// A review as the statistics read it.
#[derive(Debug, Clone)]
struct Counted {
    id: i64,
    facility_id: Option<String>,
    provider_code: Option<String>,
    practitioner_id: Option<i64>,
    service: String,
    division_code: Option<String>,
    level: String,
    is_default: i64,
    excluded: i64,
}
from_row!(Counted {
    id,
    facility_id,
    provider_code,
    practitioner_id,
    service,
    division_code,
    level,
    is_default,
    excluded
});

/// What a figure is cut by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    Outlet,
    Provider,
    Practitioner,
    Service,
    Region,
}

impl By {
    fn parse(v: Option<&str>, allowed: &[By]) -> ApiResult<By> {
        let all = [
            ("outlet", By::Outlet),
            ("provider", By::Provider),
            ("practitioner", By::Practitioner),
            ("service", By::Service),
            ("region", By::Region),
        ];
        let key = v.filter(|s| !s.is_empty()).unwrap_or("outlet");
        all.iter()
            .find(|(k, b)| *k == key && allowed.contains(b))
            .map(|(_, b)| *b)
            .ok_or_else(|| {
                let names: Vec<&str> = all
                    .iter()
                    .filter(|(_, b)| allowed.contains(b))
                    .map(|(k, _)| *k)
                    .collect();
                AppError::bad_request(
                    format!("by 应为 {} 之一", names.join("、")),
                    format!("by must be one of {}", names.join(", ")),
                )
            })
    }

    fn key(self) -> &'static str {
        match self {
            By::Outlet => "outlet",
            By::Provider => "provider",
            By::Practitioner => "practitioner",
            By::Service => "service",
            By::Region => "region",
        }
    }

    fn of(self, r: &Counted) -> Option<String> {
        match self {
            By::Outlet => r.facility_id.clone(),
            By::Provider => r.provider_code.clone(),
            By::Practitioner => r.practitioner_id.map(|p| p.to_string()),
            By::Service => Some(r.service.clone()),
            By::Region => r.division_code.clone(),
        }
    }

    fn of_case(self, r: &CaseRow) -> Option<String> {
        match self {
            By::Outlet => r.facility_id.clone(),
            By::Provider => r.provider_code.clone(),
            By::Service => Some(r.service.clone()),
            By::Region => r.division_code.clone(),
            By::Practitioner => None,
        }
    }
}

/// The reviews in a month (all months when none), in a division and of a service when given.
async fn counted(
    conn: &mut AnyConnection,
    month: Option<YearMonth>,
    area: Option<&str>,
    service: Option<&str>,
) -> Result<Vec<Counted>, StoreError> {
    let area = area.map(|a| format!("{a}%"));
    Ok(sqlx::query_as(
        "SELECT id, facility_id, provider_code, practitioner_id, service, division_code, level, is_default, excluded FROM reviews WHERE ($1 IS NULL OR month = $1) AND ($2 IS NULL OR division_code LIKE $2) AND ($3 IS NULL OR service = $3) ORDER BY id",
    )
    .bind(month.map(|m| m.to_string()))
    .bind(area)
    .bind(service.map(str::to_string))
    .fetch_all(conn)
    .await?)
}

/// The figures of every subject (published or not).
fn figures(rows: &[Counted], by: By) -> BTreeMap<String, Figures> {
    let keyed: Vec<Counted> = rows
        .iter()
        .filter(|r| by.of(r).is_some())
        .cloned()
        .collect();
    figures_by(&keyed, |r| by.of(r).unwrap_or_default())
}

/// The display name of a subject.
async fn name_of(conn: &mut AnyConnection, by: By, key: &str) -> Result<String, StoreError> {
    let q = match by {
        By::Outlet => "SELECT name FROM facilities WHERE id = $1",
        By::Provider => "SELECT name FROM providers WHERE uscc = $1",
        By::Region => "SELECT name FROM divisions WHERE code = $1",
        By::Practitioner => {
            let id: i64 = key.parse().unwrap_or(-1);
            let n: Option<String> =
                sqlx::query_scalar("SELECT name FROM practitioners WHERE id = $1")
                    .bind(id)
                    .fetch_optional(conn)
                    .await?;
            return Ok(n.map(|n| mask_name(&n)).unwrap_or_default());
        }
        By::Service => {
            return Ok(match lc_services::catalogue::service_type(key) {
                Some(t) => format!("{} {}", t.zh, t.en),
                None if key == "care_visit" => "关爱走访 Care visit".into(),
                None => key.to_string(),
            })
        }
    };
    let n: Option<String> = sqlx::query_scalar(q)
        .bind(key.to_string())
        .fetch_optional(conn)
        .await?;
    Ok(n.unwrap_or_default())
}

// --- Public ratings ---------------------------------------------------------------------------

/// The public query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RatingsQuery {
    /// `outlet` (default), `provider`, `practitioner` or `service`.
    pub by: Option<String>,
    /// A division code prefix (the area): only outlets there.
    pub area: Option<String>,
    /// A service type key (`meal`, `housekeeping`, …).
    pub service: Option<String>,
}

/// One subject's public rating.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RatingItem {
    pub subject: String,
    pub name: String,
    pub rating: Public,
}

/// The public ratings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Ratings {
    pub by: String,
    pub area: Option<String>,
    pub service: Option<String>,
    /// The fewest reviews a cell (one service of one outlet) needs to count in public.
    pub minimum: u32,
    pub items: Vec<RatingItem>,
    pub note_zh: String,
    pub note_en: String,
}

/// Adds one subject's figures to another's.
fn merge(into: &mut Figures, f: &Figures) {
    if into.levels.len() != Level::ALL.len() {
        into.levels = vec![0; Level::ALL.len()];
    }
    into.count += f.count;
    into.good += f.good;
    into.neutral += f.neutral;
    into.bad += f.bad;
    for (a, b) in into.levels.iter_mut().zip(&f.levels) {
        *a += b;
    }
    into.good_rate_bp = rate(into.good, into.count).unwrap_or(0);
}

/// The cell of a review: one service of one outlet (of one division for a care visit).
fn cell_of(r: &Counted) -> String {
    let place = match &r.facility_id {
        Some(f) => format!("outlet:{f}"),
        None => format!("division:{}", r.division_code.as_deref().unwrap_or("")),
    };
    format!("{place}\u{1f}{}", r.service)
}

/// The public figures by `by`: every figure is a sum of **published cells** (one service of
/// one outlet with at least `minimum` reviews), so that no two public figures differ by
/// reviews of a withheld cell — subtracting one public figure from another can never reveal a
/// review that is not itself in public. A subject with reviews only in withheld cells is
/// withheld. Practitioners: their reviews within published cells, published from `minimum`.
fn public_figures(rows: &[Counted], by: By, minimum: u32) -> BTreeMap<String, Public> {
    let minimum = minimum.max(1);
    let cells = figures_by(rows, cell_of);
    let published = |r: &Counted| cells.get(&cell_of(r)).is_some_and(|f| f.count >= minimum);
    let seen: BTreeSet<String> = rows.iter().filter_map(|r| by.of(r)).collect();
    let mut sums: BTreeMap<String, Figures> = if by == By::Practitioner {
        let inside: Vec<Counted> = rows.iter().filter(|r| published(r)).cloned().collect();
        figures(&inside, by)
    } else {
        // Each published cell once per subject, whole.
        let mut sums: BTreeMap<String, Figures> = BTreeMap::new();
        let mut counted: BTreeSet<(String, String)> = BTreeSet::new();
        for r in rows.iter().filter(|r| published(r)) {
            let Some(subject) = by.of(r) else { continue };
            let cell = cell_of(r);
            if let Some(f) = cells.get(&cell) {
                if counted.insert((subject.clone(), cell)) {
                    merge(sums.entry(subject).or_default(), f);
                }
            }
        }
        sums
    };
    seen.into_iter()
        .map(|subject| {
            let p = match sums.remove(&subject) {
                Some(f) => rating::publish(f, minimum),
                None => Public::Withheld { minimum },
            };
            (subject, p)
        })
        .collect()
}

/// The figures of every key `key_of` gives, by the same function that recomputes them from the
/// log.
fn figures_by(rows: &[Counted], key_of: impl Fn(&Counted) -> String) -> BTreeMap<String, Figures> {
    let events: Vec<ReviewEvent> = rows
        .iter()
        .filter_map(|r| {
            let level = Level::from_key(&r.level)?;
            let rated = ReviewEvent::Rated {
                review: r.id as u64,
                subject: key_of(r),
                level,
                default: r.is_default != 0,
            };
            Some(if r.excluded != 0 {
                vec![
                    rated,
                    ReviewEvent::Excluded {
                        review: r.id as u64,
                    },
                ]
            } else {
                vec![rated]
            })
        })
        .flatten()
        .collect();
    rating::tally(&events)
}

/// The public rating of every outlet with reviews of `service`, as `GET
/// /api/ratings?by=outlet&service=…` answers it (the services-near-me answer).
pub(crate) async fn outlet_ratings(
    conn: &mut AnyConnection,
    service: &str,
) -> ApiResult<BTreeMap<String, Public>> {
    let (rules, _) = settings::load(&mut *conn).await?;
    let rows = counted(&mut *conn, None, None, Some(service)).await?;
    Ok(public_figures(&rows, By::Outlet, rules.minimum))
}

/// The public rating of every outlet over all its services, as `GET /api/ratings?by=outlet`
/// answers it (the open dataset of ratings), with the jurisdiction's minimum.
pub(crate) async fn all_outlet_ratings(
    conn: &mut AnyConnection,
) -> ApiResult<(u32, BTreeMap<String, Public>)> {
    let (rules, _) = settings::load(&mut *conn).await?;
    let rows = counted(&mut *conn, None, None, None).await?;
    Ok((
        rules.minimum,
        public_figures(&rows, By::Outlet, rules.minimum),
    ))
}

/// GET /api/ratings: public, without signing in; reviewers are never named.
#[utoipa::path(get, path = "/api/ratings", tag = "reviews", params(RatingsQuery),
    responses((status = 200, body = Ratings), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn ratings(
    State(st): State<Arc<AppState>>,
    Query(q): Query<RatingsQuery>,
) -> ApiResult<Json<Ratings>> {
    let by = By::parse(
        q.by.as_deref(),
        &[By::Outlet, By::Provider, By::Practitioner, By::Service],
    )?;
    let area = web::division_param(&q.area)?;
    let service = q.service.clone().filter(|s| !s.is_empty());
    let mut conn = st.store.read_conn().await?;
    let (rules, _) = settings::load(&mut conn).await?;
    // The area and the service select whole cells (an outlet has one division), never part of
    // one.
    let rows = counted(&mut conn, None, area.as_deref(), service.as_deref()).await?;
    let mut items = Vec::new();
    for (subject, rating) in public_figures(&rows, by, rules.minimum) {
        items.push(RatingItem {
            name: name_of(&mut conn, by, &subject).await?,
            rating,
            subject,
        });
    }
    Ok(Json(Ratings {
        by: by.key().into(),
        area,
        service,
        minimum: rules.minimum,
        items,
        note_zh: format!(
            "好评率 = 好评（非常满意、满意）÷ 有效评价数。某网点某项服务的评价不足 {} 条时，这些评价不计入任何公开数字（网点、机构、服务类别、服务人员），以免推算出个别评价；申诉复核成立的评价不计入；默认评价计入",
            rules.minimum
        ),
        note_en: format!(
            "good rate = good reviews (very satisfied, satisfied) ÷ reviews counted. Reviews of a service of an outlet with fewer than {} count in no public figure (outlet, provider, service type, practitioner), so that no single review can be worked out; reviews excluded by an upheld appeal do not count; default ratings do",
            lc_model::count(rules.minimum as usize, "review")
        ),
    }))
}

// --- Monthly statistics -----------------------------------------------------------------------

/// The statistics query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthlyQuery {
    /// `YYYY-MM` (default: this month).
    pub month: Option<String>,
    /// `outlet` (default) or `region`.
    pub by: Option<String>,
}

/// One outlet's or region's month.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct MonthlyRow {
    pub key: String,
    pub name: String,
    /// Reviews counted (an upheld appeal's review is not).
    pub reviews: u32,
    pub good: u32,
    pub neutral: u32,
    pub bad: u32,
    /// Counts per level, 非常满意 first.
    pub levels: Vec<u32>,
    /// Satisfaction: good ÷ reviews in basis points; none without reviews.
    pub good_rate_bp: Option<u32>,
    /// Of the reviews counted, default ratings.
    pub default_ratings: u32,
    /// Reviews of the month taken out by an upheld appeal.
    pub excluded: u32,
    /// 差评 cases received in the month, including those whose appeal was upheld (counted
    /// again in `appeals_upheld`; their reviews are out of the satisfaction figures).
    pub cases: u32,
    /// Cases with a deadline whose fix was reported, or that are past it without one.
    pub rectification_due: u32,
    /// Cases opened without a deadline (the rules set none, or the calendar did not cover the
    /// year): out of the on-time rate until a regulator sets one.
    pub without_deadline: u32,
    pub rectified_on_time: u32,
    pub on_time_rate_bp: Option<u32>,
    /// Open cases past their deadline today.
    pub overdue: u32,
    /// Cases waiting for or past their call-back (rectified, explained, called back, closed;
    /// not excluded).
    pub callback_due: u32,
    pub called_back: u32,
    pub callback_rate_bp: Option<u32>,
    pub appeals: u32,
    pub appeals_upheld: u32,
    /// The rank by satisfaction among the rows with at least the minimum number of reviews
    /// (1 = best; ties: fewer 差评 first, then key); none below the minimum.
    pub rank: Option<u32>,
}

/// A month's statistics.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Monthly {
    pub month: String,
    pub by: String,
    pub minimum: u32,
    /// Rows with a rank.
    pub ranked: u32,
    pub rows: Vec<MonthlyRow>,
}

fn rate(n: u32, d: u32) -> Option<u32> {
    (d > 0).then(|| ((u64::from(n) * 20000 + u64::from(d)) / (2 * u64::from(d))) as u32)
}

/// A month's statistics (`by` outlet or region), with today for the overdue count.
async fn monthly_of(
    conn: &mut AnyConnection,
    month: YearMonth,
    by: By,
    minimum: u32,
    today: jiff::civil::Date,
) -> ApiResult<Monthly> {
    let rows = counted(conn, Some(month), None, None).await?;
    let month_s = month.to_string();
    let mut out: BTreeMap<String, MonthlyRow> = BTreeMap::new();
    for (key, f) in figures(&rows, by) {
        let r = out.entry(key.clone()).or_default();
        r.reviews = f.count;
        r.good = f.good;
        r.neutral = f.neutral;
        r.bad = f.bad;
        r.levels = f.levels;
        r.good_rate_bp = rate(f.good, f.count);
    }
    for r in &rows {
        let Some(key) = by.of(r) else { continue };
        let row = out.entry(key).or_default();
        if r.excluded != 0 {
            row.excluded += 1;
        } else if r.is_default != 0 {
            row.default_ratings += 1;
        }
    }
    for k in cases::all(conn, Some(&month_s)).await? {
        let Some(key) = by.of_case(&k) else { continue };
        let row = out.entry(key).or_default();
        let state = cases::state(&k)?;
        let overdue = state.is_overdue(today);
        row.cases += 1;
        if k.deadline.is_none() {
            row.without_deadline += 1;
        } else if k.rectified_on_time.is_some() || overdue {
            row.rectification_due += 1;
        }
        if k.rectified_on_time == Some(1) && k.deadline.is_some() {
            row.rectified_on_time += 1;
        }
        row.overdue += u32::from(overdue);
        let past_fix = matches!(
            k.status.as_str(),
            "rectified" | "explained" | "called_back" | "closed"
        );
        if past_fix && k.excluded == 0 {
            row.callback_due += 1;
        }
        if k.callback_accepted.is_some() {
            row.called_back += 1;
        }
        row.appeals += u32::from(k.appealed != 0);
        row.appeals_upheld += u32::from(k.excluded != 0);
    }
    let mut list: Vec<MonthlyRow> = Vec::with_capacity(out.len());
    for (key, mut r) in out {
        r.name = name_of(conn, by, &key).await?;
        r.key = key;
        if r.levels.is_empty() {
            r.levels = vec![0; Level::ALL.len()];
        }
        r.on_time_rate_bp = rate(r.rectified_on_time, r.rectification_due);
        r.callback_rate_bp = rate(r.called_back, r.callback_due);
        list.push(r);
    }
    // Rank by satisfaction among rows with enough reviews; rows equal in good rate and 差评
    // share share a rank (1 = best; competition ranking 1, 2, 2, 4).
    let cmp = |x: &MonthlyRow, y: &MonthlyRow| {
        // good/reviews compared exactly: x.good * y.reviews vs y.good * x.reviews.
        let lhs = u64::from(y.good) * u64::from(x.reviews);
        let rhs = u64::from(x.good) * u64::from(y.reviews);
        lhs.cmp(&rhs).then(
            (u64::from(x.bad) * u64::from(y.reviews))
                .cmp(&(u64::from(y.bad) * u64::from(x.reviews))),
        )
    };
    let mut order: Vec<usize> = (0..list.len())
        .filter(|&i| list[i].reviews >= minimum.max(1))
        .collect();
    order.sort_by(|&a, &b| cmp(&list[a], &list[b]).then(list[a].key.cmp(&list[b].key)));
    for pos in 0..order.len() {
        let rank = if pos > 0 && cmp(&list[order[pos - 1]], &list[order[pos]]).is_eq() {
            list[order[pos - 1]].rank
        } else {
            Some(pos as u32 + 1)
        };
        list[order[pos]].rank = rank;
    }
    Ok(Monthly {
        month: month_s,
        by: by.key().into(),
        minimum,
        ranked: order.len() as u32,
        rows: list,
    })
}

/// The month asked for, or this month.
fn month_or_now(st: &AppState, v: &Option<String>) -> ApiResult<YearMonth> {
    match super::month_param(v)? {
        Some(m) => Ok(m),
        None => YearMonth::of_instant(st.clock.now_ms()).map_err(AppError::internal),
    }
}

async fn monthly_for(st: &AppState, month: YearMonth, by: By) -> ApiResult<Monthly> {
    let today = time::local_date(st.clock.now_ms()).map_err(AppError::internal)?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let (rules, _) = settings::load(&mut conn).await?;
    monthly_of(&mut conn, month, by, rules.minimum, today).await
}

/// GET /api/review-stats/monthly.
#[utoipa::path(get, path = "/api/review-stats/monthly", tag = "reviews", params(MonthlyQuery),
    responses((status = 200, body = Monthly), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn monthly(
    State(st): State<Arc<AppState>>,
    Query(q): Query<MonthlyQuery>,
) -> ApiResult<Json<Monthly>> {
    let by = By::parse(q.by.as_deref(), &[By::Outlet, By::Region])?;
    let month = month_or_now(&st, &q.month)?;
    Ok(Json(monthly_for(&st, month, by).await?))
}

/// The low-ranked query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LowQuery {
    /// `YYYY-MM` (default: this month); the month before is the other month compared.
    pub month: Option<String>,
    /// The share of ranked outlets counted as low, in percent (default 10; at least one outlet
    /// is low whenever any is ranked).
    pub bottom_pct: Option<String>,
}

/// An outlet low in both months.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LowItem {
    pub facility_id: String,
    pub name: String,
    pub provider_code: Option<String>,
    /// `[rank, ranked, good_rate_bp]` this month and the month before.
    pub this_month: [u32; 3],
    pub previous_month: [u32; 3],
}

/// The outlets to call in for talks.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LowRanked {
    pub month: String,
    pub previous: String,
    pub bottom_pct: u32,
    pub outlets: Vec<LowItem>,
    pub rule_zh: String,
    pub rule_en: String,
}

/// The outlets ranked low in a month: in the bottom `pct` percent of the ranked outlets (at
/// least one position), counting ties together, and strictly less satisfied than the best — an
/// outlet as good as the best is never low, so one ranked outlet, or all equal, list nobody.
fn low_set(m: &Monthly, pct: u32) -> BTreeMap<String, [u32; 3]> {
    let ranked = m.ranked;
    if ranked == 0 {
        return BTreeMap::new();
    }
    let n = (ranked * pct).div_ceil(100).max(1);
    // The rank of the position `ranked - n + 1` (1-based) and every rank after it are low.
    let mut ranks: Vec<u32> = m.rows.iter().filter_map(|r| r.rank).collect();
    ranks.sort_unstable();
    let cut = ranks[(ranked - n) as usize];
    m.rows
        .iter()
        .filter_map(|r| {
            let rank = r.rank?;
            (rank >= cut && rank > 1)
                .then(|| (r.key.clone(), [rank, ranked, r.good_rate_bp.unwrap_or(0)]))
        })
        .collect()
}

/// GET /api/review-stats/low-ranked: outlets in the bottom share of the ranking this month and
/// the month before (连续两个月排名靠后的窗口约谈).
#[utoipa::path(get, path = "/api/review-stats/low-ranked", tag = "reviews", params(LowQuery),
    responses((status = 200, body = LowRanked), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn low_ranked(
    State(st): State<Arc<AppState>>,
    Query(q): Query<LowQuery>,
) -> ApiResult<Json<LowRanked>> {
    let pct = match web::int_param("bottom_pct", &q.bottom_pct)? {
        None => 10,
        Some(p) if (1..=100).contains(&p) => p as u32,
        Some(_) => {
            return Err(AppError::bad_request(
                "bottom_pct 应为 1 至 100",
                "bottom_pct must be from 1 to 100",
            ))
        }
    };
    let month = month_or_now(&st, &q.month)?;
    let this = monthly_for(&st, month, By::Outlet).await?;
    let before = monthly_for(&st, month.previous(), By::Outlet).await?;
    let (a, b) = (low_set(&this, pct), low_set(&before, pct));
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let mut outlets = Vec::new();
    for (key, now) in &a {
        if let Some(prev) = b.get(key) {
            let provider: Option<Option<String>> =
                sqlx::query_scalar("SELECT provider_code FROM facilities WHERE id = $1")
                    .bind(key.clone())
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(StoreError::from)?;
            outlets.push(LowItem {
                facility_id: key.clone(),
                name: name_of(&mut conn, By::Outlet, key).await?,
                provider_code: provider.flatten(),
                this_month: *now,
                previous_month: *prev,
            });
        }
    }
    Ok(Json(LowRanked {
        month: this.month.clone(),
        previous: before.month.clone(),
        bottom_pct: pct,
        outlets,
        rule_zh: format!("连续两个月满意度排名位于后 {pct}%（至少 1 个）的服务网点，列入约谈名单；只有评价数达到 {} 条的网点参加排名", this.minimum),
        rule_en: format!("outlets in the bottom {pct}% (at least one) of the satisfaction ranking two months in a row are listed for talks; only outlets with at least {} reviews are ranked", this.minimum),
    }))
}

// --- Exchange ---------------------------------------------------------------------------------

/// The exchange query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExchangeQuery {
    /// `YYYY-MM`: reviews rated that month (default: this month).
    pub month: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// The columns of the exchange, in order (`docs/review-exchange.md`).
pub const EXCHANGE_COLUMNS: &[&str] = &[
    "case_no",
    "record_kind",
    "facility_id",
    "provider_code",
    "practitioner_id",
    "service",
    "division_code",
    "served_on",
    "rated_at",
    "month",
    "level",
    "level_zh",
    "class",
    "indicators_version",
    "indicator_set",
    "scores",
    "text",
    "is_default",
    "proxy",
    "excluded",
    "case_status",
    "received",
    "deadline",
    "rectified_on_time",
    "callback_accepted",
    "appealed",
    "closed_at",
];

fn rfc3339(ms: i64) -> String {
    crate::domains::services::offerings::rfc3339(ms)
}

fn exchange_record(r: &ReviewRow, k: Option<&CaseRow>) -> Value {
    let level = Level::from_key(&r.level);
    json!({
        "case_no": records::case_no(r.id, r.rated_at),
        "record_kind": r.subject_kind,
        "facility_id": r.facility_id,
        "provider_code": r.provider_code,
        "practitioner_id": r.practitioner_id,
        "service": r.service,
        "division_code": r.division_code,
        "served_on": time::local_date(r.served_at).map(|d| d.to_string()).unwrap_or_default(),
        "rated_at": rfc3339(r.rated_at),
        "month": r.month,
        "level": r.level,
        "level_zh": level.map(Level::zh).unwrap_or(""),
        "class": r.class,
        "indicators_version": r.indicators_version,
        "indicator_set": r.indicator_set,
        "scores": serde_json::from_str::<Value>(&r.scores).unwrap_or(Value::Null),
        "text": r.text,
        "is_default": r.is_default != 0,
        "proxy": r.proxy != 0,
        "excluded": r.excluded != 0,
        "case_status": k.map(|k| k.status.clone()),
        "received": k.map(|k| k.received.clone()),
        "deadline": k.and_then(|k| k.deadline.clone()),
        "rectified_on_time": k.and_then(|k| k.rectified_on_time).map(|v| v != 0),
        "callback_accepted": k.and_then(|k| k.callback_accepted).map(|v| v != 0),
        "appealed": k.map(|k| k.appealed != 0),
        "closed_at": k.and_then(|k| k.closed_at).map(rfc3339),
    })
}

/// GET /api/review-exchange: a month's reviews and their cases for a provincial system, keyed
/// by case number, without who rated (`docs/review-exchange.md`).
#[utoipa::path(get, path = "/api/review-exchange", tag = "reviews", params(ExchangeQuery),
    responses((status = 200, description = "JSON, or CSV with format=csv", content((Object = "application/json"), (String = "text/csv"))), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn exchange(
    State(st): State<Arc<AppState>>,
    Query(q): Query<ExchangeQuery>,
) -> ApiResult<Response> {
    let csv = web::csv_format(&q.format)?;
    let month = month_or_now(&st, &q.month)?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let reviews: Vec<ReviewRow> = sqlx::query_as(concat!(
        "SELECT ",
        records::cols!(),
        " FROM reviews WHERE month = $1 ORDER BY id"
    ))
    .bind(month.to_string())
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let mut out = Vec::with_capacity(reviews.len());
    for r in &reviews {
        let k = cases::of_review(&mut conn, r.id).await?;
        out.push(exchange_record(r, k.as_ref()));
    }
    if csv {
        return bulk::csv_of_values(
            &format!("review-exchange-{month}.csv"),
            EXCHANGE_COLUMNS,
            &out,
        );
    }
    Ok(Json(json!({
        "format": "livingcircle-review-exchange",
        "format_version": 1,
        "month": month.to_string(),
        "count": out.len(),
        "records": out,
    }))
    .into_response())
}
