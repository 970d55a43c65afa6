//! 附近的服务 Services near a place by walking distance: the outlets with an active offering of a
//! service, nearest first on the walking network (`lc_access::reach::distances_within`, the
//! engine's own search), with their offerings and public rating.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use lc_access::reach::{distances_within, Reach};
use lc_access::speed;
use lc_model::LonLat;
use lc_network::{SnapMode, Snapper};
use lc_registry::{Access, FieldError};
use lc_reviews::rating::Public;
use lc_services::catalogue::service_type;
use lc_store::sqlx;
use lc_store::StoreError;
use serde::{Deserialize, Serialize};

use super::offerings::SNAP_LIMIT_M;
use crate::domains::registry::communities;
use crate::domains::reviews::stats;
use crate::endpoints::{ep, Endpoint, JSON};
use crate::error::{ApiResult, AppError};
use crate::AppState;

/// The endpoints of this module.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!("GET", "/api/public/nearby", Access::Public, "", "services", "Outlets offering a service near a community or a point, by walking distance on the network (nearest first), with their offerings and public rating.", None, JSON),
];

/// The routes of this module.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/public/nearby", get(nearby))
}

/// Default and largest walking distance searched, metres.
pub const DEFAULT_MAX_M: f64 = 2000.0;
pub const LARGEST_MAX_M: f64 = 5000.0;
/// Default and largest number of outlets answered.
pub const DEFAULT_LIMIT: i64 = 10;
pub const LARGEST_LIMIT: i64 = 50;

/// The query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NearbyQuery {
    /// Service-type key (`meal`, `bathing`, …; `/api/service-types`). Required.
    pub service: Option<String>,
    /// From a community (its id)…
    pub community: Option<String>,
    /// …or from a point (WGS-84 longitude and latitude, both).
    pub lon: Option<String>,
    pub lat: Option<String>,
    /// Largest walking distance, metres (default 2000, at most 5000).
    pub max_m: Option<String>,
    /// Most outlets answered (default 10, at most 50).
    pub limit: Option<String>,
    /// `normal` (60 m/min, default) or `elderly` (45 m/min): the minutes' pace.
    pub walker: Option<String>,
}

/// Where the walk starts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NearbyFrom {
    /// The community, when asked from one.
    pub community: Option<String>,
    /// Its name.
    pub name: Option<String>,
    pub lon: f64,
    pub lat: f64,
}

/// One offering of a listed outlet.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NearbyOffering {
    /// The offering (`/api/offerings/{id}`, its slots at `/api/offerings/{id}/slots`).
    pub id: i64,
    /// The service's name, Chinese and English (`助餐 Meals`).
    pub name: String,
    pub price_fen: i64,
    /// The most a subsidy pays of one service, fen.
    pub subsidy_cap_fen: i64,
    pub duration_min: i64,
    /// `outlet` or `home`.
    pub delivery: String,
    /// For home delivery: the walking distance from the outlet within which homes are served.
    pub home_area_m: Option<f64>,
    /// For home delivery: whether the place asked lies within that distance (this walk).
    pub home_reaches: Option<bool>,
}

/// One outlet near the place.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NearbyItem {
    pub facility_id: String,
    pub name: String,
    /// Facility category key.
    pub category: String,
    pub lon: f64,
    pub lat: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opening_hours: Option<String>,
    /// Walking distance on the network, metres (rounded).
    pub distance_m: i64,
    /// Minutes at the walker's pace: ⌈distance_m ÷ speed_m_per_min⌉.
    pub walk_min: i64,
    /// Its active offerings of the service.
    pub offerings: Vec<NearbyOffering>,
    /// The outlet's public rating of this service, as `/api/ratings?by=outlet&service=…`
    /// shows it (figures, or withheld below the minimum count); null without reviews.
    pub rating: Option<Public>,
}

/// The answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Nearby {
    pub from: NearbyFrom,
    /// Service-type key.
    pub service: String,
    /// `normal` or `elderly`.
    pub walker: String,
    pub speed_m_per_min: f64,
    pub max_m: f64,
    /// Nearest first; equal distances by facility id; at most `limit`.
    pub items: Vec<NearbyItem>,
    /// Outlets within `max_m` (may exceed the items listed, which stop at `limit`).
    pub within: usize,
    /// Outlets offering the service that are farther than `max_m` or unreachable on foot.
    pub beyond: usize,
}

/// 400 naming a query parameter.
fn bad(field: &str, code: &'static str, zh: String, en: String) -> AppError {
    let mut e = AppError::new(
        StatusCode::BAD_REQUEST,
        "bad_request",
        format!("参数 {field}：{zh}"),
        format!("parameter {field}: {en}"),
    );
    e.errors = vec![FieldError {
        field: field.to_string(),
        code,
        message_zh: zh,
        message_en: en,
    }];
    e
}

fn number(field: &str, v: &str) -> ApiResult<f64> {
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| {
            bad(
                field,
                "not_a_number",
                format!("不是数字：{v}"),
                format!("not a number: {v}"),
            )
        })
}

/// GET /api/public/nearby.
#[utoipa::path(get, path = "/api/public/nearby", tag = "services", params(NearbyQuery),
    responses((status = 200, body = Nearby), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn nearby(
    State(st): State<Arc<AppState>>,
    Query(q): Query<NearbyQuery>,
) -> ApiResult<Json<Nearby>> {
    let service = match q
        .service
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => {
            return Err(bad(
                "service",
                "required",
                "缺少服务类别（如 meal，见 /api/service-types）".into(),
                "the service type is required (e.g. meal; see /api/service-types)".into(),
            ))
        }
        Some(k) => service_type(k).ok_or_else(|| {
            bad(
                "service",
                "unknown_service",
                format!("未知服务类别 {k}（见 /api/service-types）"),
                format!("unknown service type {k} (see /api/service-types)"),
            )
        })?,
    };
    let (walker, speed) = match q.walker.as_deref().unwrap_or("normal") {
        "normal" => ("normal", speed::WALK_M_PER_MIN),
        "elderly" => ("elderly", speed::ELDERLY_M_PER_MIN),
        w => {
            return Err(bad(
                "walker",
                "unknown_walker",
                format!("应为 normal 或 elderly：{w}"),
                format!("must be normal or elderly: {w}"),
            ))
        }
    };
    let max_m = match q.max_m.as_deref() {
        None => DEFAULT_MAX_M,
        Some(v) => {
            let m = number("max_m", v)?;
            if !(m > 0.0 && m <= LARGEST_MAX_M) {
                return Err(bad(
                    "max_m",
                    "out_of_range",
                    format!("应大于 0 且不超过 {LARGEST_MAX_M} 米：{v}"),
                    format!("must be above 0 and at most {LARGEST_MAX_M} m: {v}"),
                ));
            }
            m
        }
    };
    let limit = match q.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if (1..=LARGEST_LIMIT).contains(&n) => n,
            _ => {
                return Err(bad(
                    "limit",
                    "out_of_range",
                    format!("应为 1 至 {LARGEST_LIMIT} 的整数：{v}"),
                    format!("must be a whole number from 1 to {LARGEST_LIMIT}: {v}"),
                ))
            }
        },
    };
    let community = q.community.as_deref().filter(|s| !s.is_empty());
    let point = (q.lon.as_deref(), q.lat.as_deref());
    let from = match (community, point) {
        (Some(_), (Some(_), _) | (_, Some(_))) => {
            return Err(bad(
                "community",
                "ambiguous",
                "请给出 community 或 lon/lat，不要同时给出".into(),
                "give either community or lon and lat, not both".into(),
            ))
        }
        (Some(id), _) => {
            let c = communities::get_row(st.store.pool(), id)
                .await?
                .ok_or_else(|| AppError::not_found("community", id))?;
            NearbyFrom {
                community: Some(c.id),
                name: Some(c.name),
                lon: c.lon,
                lat: c.lat,
            }
        }
        (None, (Some(lon), Some(lat))) => {
            let (lon, lat) = (number("lon", lon)?, number("lat", lat)?);
            if !(-180.0..=180.0).contains(&lon) {
                return Err(bad(
                    "lon",
                    "out_of_range",
                    "经度应在 −180 至 180 之间".into(),
                    "longitude must be from −180 to 180".into(),
                ));
            }
            if !(-90.0..=90.0).contains(&lat) {
                return Err(bad(
                    "lat",
                    "out_of_range",
                    "纬度应在 −90 至 90 之间".into(),
                    "latitude must be from −90 to 90".into(),
                ));
            }
            NearbyFrom {
                community: None,
                name: None,
                lon,
                lat,
            }
        }
        (None, (Some(_), None)) | (None, (None, Some(_))) => {
            let missing = if q.lon.is_none() { "lon" } else { "lat" };
            return Err(bad(
                missing,
                "required",
                "请同时给出 lon 和 lat".into(),
                "give both lon and lat".into(),
            ));
        }
        (None, (None, None)) => {
            return Err(bad(
                "community",
                "required",
                "请给出出发的社区 community 或位置 lon/lat".into(),
                "give the community or the point (lon, lat) to start from".into(),
            ))
        }
    };
    let Some(graph) = st.config.network.clone() else {
        return Err(AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_network",
            "服务器未加载步行路网，无法按步行距离查找附近的服务（启动时用 --osm 或 --nodes/--edges 提供路网）",
            "the server has no walking network, so services cannot be found by walking distance (start it with --osm or --nodes/--edges)",
        ));
    };
    let origin = LonLat::new(from.lon, from.lat);

    // Candidates: outlets with an active offering of the service, in the box a straight line
    // of the longest walk could reach (a walk is never shorter than the straight line; the
    // margin covers placing both ends on the network).
    let reach_m = max_m + 2.0 * SNAP_LIMIT_M;
    let dlat = reach_m / 111_000.0;
    let dlon = dlat / origin.lat.to_radians().cos().max(0.01);
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT facility_id) FROM offerings WHERE service = $1 AND active = 1",
    )
    .bind(service.key)
    .fetch_one(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    type OfferRow = (
        String,
        String,
        String,
        f64,
        f64,
        Option<String>,
        Option<String>,
        i64,
        String,
        i64,
        i64,
        i64,
        Option<f64>,
    );
    let rows: Vec<OfferRow> = sqlx::query_as(
        "SELECT f.id, f.name, f.category, f.lon, f.lat, f.address, f.opening_hours, o.id, o.delivery, o.price_fen, o.subsidy_cap_fen, o.duration_min, o.home_area_m FROM offerings o JOIN facilities f ON f.id = o.facility_id WHERE o.service = $1 AND o.active = 1 AND f.lon BETWEEN $2 AND $3 AND f.lat BETWEEN $4 AND $5 ORDER BY f.id, o.id",
    )
    .bind(service.key)
    .bind(origin.lon - dlon)
    .bind(origin.lon + dlon)
    .bind(origin.lat - dlat)
    .bind(origin.lat + dlat)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    let mut outlets: BTreeMap<String, NearbyItem> = BTreeMap::new();
    for (id, name, category, lon, lat, address, hours, oid, delivery, price, cap, dur, area) in rows
    {
        if LonLat::new(lon, lat).haversine_m(origin) > reach_m {
            continue;
        }
        let item = outlets.entry(id.clone()).or_insert_with(|| NearbyItem {
            facility_id: id,
            name,
            category,
            lon,
            lat,
            address,
            opening_hours: hours,
            distance_m: 0,
            walk_min: 0,
            offerings: Vec::new(),
            rating: None,
        });
        item.offerings.push(NearbyOffering {
            id: oid,
            name: format!("{} {}", service.zh, service.en),
            price_fen: price,
            subsidy_cap_fen: cap,
            duration_min: dur,
            delivery,
            home_area_m: area,
            home_reaches: None,
        });
    }
    let mut candidates: Vec<NearbyItem> = outlets.into_values().collect();
    let points: Vec<LonLat> = candidates
        .iter()
        .map(|c| LonLat::new(c.lon, c.lat))
        .collect();
    let (reach, dist) = tokio::task::spawn_blocking(move || {
        let snapper = Snapper::new(&graph, SnapMode::Edge);
        distances_within(&graph, &snapper, origin, max_m, &points, SNAP_LIMIT_M)
    })
    .await
    .map_err(AppError::internal)?;
    if let Reach::SourceOffNetwork(m) = reach {
        let field = if from.community.is_some() {
            "community"
        } else {
            "lon"
        };
        let mut e = AppError::new(
            StatusCode::BAD_REQUEST,
            "point_off_network",
            format!("出发点距步行路网 {m:.0} 米（超过 {SNAP_LIMIT_M} 米），无法计算步行距离：请核对位置"),
            format!("the place is {m:.0} m from the walking network (more than {SNAP_LIMIT_M} m); walking distances cannot be computed: check the position"),
        );
        e.errors = vec![FieldError {
            field: field.into(),
            code: "point_off_network",
            message_zh: e.message_zh.clone(),
            message_en: e.message_en.clone(),
        }];
        return Err(e);
    }
    let mut items: Vec<NearbyItem> = candidates
        .drain(..)
        .zip(dist)
        .filter_map(|(mut item, d)| {
            let d = d?;
            item.distance_m = d.round() as i64;
            item.walk_min = (item.distance_m as f64 / speed).ceil() as i64;
            for o in &mut item.offerings {
                if o.delivery == "home" {
                    o.home_reaches = o.home_area_m.map(|a| lc_network::within(d, a));
                }
            }
            Some(item)
        })
        .collect();
    items.sort_by(|a, b| {
        a.distance_m
            .cmp(&b.distance_m)
            .then_with(|| a.facility_id.cmp(&b.facility_id))
    });
    let within = items.len();
    items.truncate(limit as usize);
    if !items.is_empty() {
        let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
        let ratings = stats::outlet_ratings(&mut conn, service.key).await?;
        for item in &mut items {
            item.rating = ratings.get(&item.facility_id).cloned();
        }
    }
    Ok(Json(Nearby {
        from,
        service: service.key.to_string(),
        walker: walker.to_string(),
        speed_m_per_min: speed,
        max_m,
        items,
        within,
        beyond: (total as usize).saturating_sub(within),
    }))
}
