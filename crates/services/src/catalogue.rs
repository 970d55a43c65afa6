//! The vocabulary of service types a resident can book, and what an outlet offers.
//!
//! Keys are stable (they are stored with every offering and booking and appear in the API and in
//! statements), never renamed or reused. The first six are the seeds' "点单式" elderly services
//! (Gansu 001: 助餐、助浴、助洁、助行、助医; 助急 from the MCA guidance summarised in
//! `PLATFORM.md` §4); the rest are the other bookable services the seeds name (housekeeping,
//! childcare places, home elderly-care beds, day care).

use lc_registry::{Check, FieldError};
use serde::{Deserialize, Serialize};

/// Where a service is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// 到店: at the outlet.
    Outlet,
    /// 上门: at the resident's home, within the outlet's walking service area.
    Home,
}

impl Delivery {
    /// Its stable key.
    pub fn key(self) -> &'static str {
        match self {
            Delivery::Outlet => "outlet",
            Delivery::Home => "home",
        }
    }

    /// Parses a key.
    pub fn from_key(s: &str) -> Option<Delivery> {
        match s {
            "outlet" => Some(Delivery::Outlet),
            "home" => Some(Delivery::Home),
            _ => None,
        }
    }
}

/// One service type of the vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ServiceType {
    /// Stable key (`meal`).
    pub key: &'static str,
    /// 中文名称.
    pub zh: &'static str,
    /// English name.
    pub en: &'static str,
    /// The ways it may be delivered.
    pub deliveries: &'static [Delivery],
    /// Facility categories (`lc_model::CATEGORIES` keys) whose outlets may offer it.
    pub categories: &'static [&'static str],
    /// Whether it is one of the elderly services a subsidy may pay for (助餐 … 助急, day care,
    /// home beds).
    pub elderly: bool,
}

const OUTLET: &[Delivery] = &[Delivery::Outlet];
const HOME: &[Delivery] = &[Delivery::Home];
const BOTH: &[Delivery] = &[Delivery::Outlet, Delivery::Home];

/// Elderly-care outlets (养老服务设施) of the category vocabulary.
const ELDERLY_OUTLETS: &[&str] = &[
    "elderly_service_station",
    "elderly_day_care",
    "elderly_care",
];

/// The vocabulary, in a fixed order.
pub const SERVICE_TYPES: &[ServiceType] = &[
    ServiceType {
        key: "meal",
        zh: "助餐",
        en: "Meals",
        deliveries: BOTH,
        categories: &[
            "community_canteen",
            "elderly_service_station",
            "elderly_day_care",
            "elderly_care",
        ],
        elderly: true,
    },
    ServiceType {
        key: "bathing",
        zh: "助浴",
        en: "Bathing",
        deliveries: BOTH,
        categories: ELDERLY_OUTLETS,
        elderly: true,
    },
    ServiceType {
        key: "cleaning",
        zh: "助洁",
        en: "Cleaning",
        deliveries: HOME,
        categories: &[
            "elderly_service_station",
            "elderly_day_care",
            "housekeeping",
        ],
        elderly: true,
    },
    ServiceType {
        key: "mobility",
        zh: "助行",
        en: "Mobility help",
        deliveries: HOME,
        categories: ELDERLY_OUTLETS,
        elderly: true,
    },
    ServiceType {
        key: "medical",
        zh: "助医",
        en: "Medical help",
        deliveries: BOTH,
        categories: &[
            "health_station",
            "health_center",
            "clinic",
            "elderly_service_station",
            "elderly_day_care",
            "elderly_care",
        ],
        elderly: true,
    },
    ServiceType {
        key: "emergency",
        zh: "助急",
        en: "Emergency help",
        deliveries: HOME,
        categories: ELDERLY_OUTLETS,
        elderly: true,
    },
    ServiceType {
        key: "day_care",
        zh: "日间照料",
        en: "Day care",
        deliveries: OUTLET,
        categories: &["elderly_day_care", "elderly_care"],
        elderly: true,
    },
    ServiceType {
        key: "home_bed_visit",
        zh: "家庭养老床位上门服务",
        en: "Home elderly-care bed visit",
        deliveries: HOME,
        categories: ELDERLY_OUTLETS,
        elderly: true,
    },
    ServiceType {
        key: "housekeeping",
        zh: "家政服务",
        en: "Housekeeping",
        deliveries: HOME,
        categories: &["housekeeping"],
        elderly: false,
    },
    ServiceType {
        key: "childcare_hourly",
        zh: "临时托育",
        en: "Hourly childcare",
        deliveries: OUTLET,
        categories: &["nursery", "kindergarten"],
        elderly: false,
    },
    ServiceType {
        key: "laundry",
        zh: "洗衣",
        en: "Laundry",
        deliveries: BOTH,
        categories: &["laundry", "housekeeping"],
        elderly: false,
    },
    ServiceType {
        key: "haircut",
        zh: "理发",
        en: "Haircut",
        deliveries: BOTH,
        categories: &["hairdresser", "elderly_service_station", "elderly_day_care"],
        elderly: false,
    },
    ServiceType {
        key: "repair",
        zh: "家电维修",
        en: "Home repairs",
        deliveries: HOME,
        categories: &["repair"],
        elderly: false,
    },
];

/// Looks a service type up by its key.
pub fn service_type(key: &str) -> Option<&'static ServiceType> {
    SERVICE_TYPES.iter().find(|s| s.key == key)
}

/// What an outlet (a registry facility) offers of one service type: what a client sends.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferingInput {
    /// The service type key (`meal`).
    #[serde(default)]
    pub service: Option<String>,
    /// `outlet` or `home`.
    #[serde(default)]
    pub delivery: Option<String>,
    /// The full price in fen (分).
    #[serde(default)]
    pub price_fen: Option<i64>,
    /// The most a subsidy may pay of one service, in fen; the rest is the resident's. 0 when the
    /// service is not subsidised.
    #[serde(default)]
    pub subsidy_cap_fen: Option<i64>,
    /// Minutes one service takes; slots step by it.
    #[serde(default)]
    pub duration_min: Option<i64>,
    /// Bookings one slot takes (seats, staff).
    #[serde(default)]
    pub capacity: Option<i64>,
    /// For home delivery: the walking distance from the outlet, in metres, within which homes
    /// are served.
    #[serde(default)]
    pub home_area_m: Option<f64>,
    /// A resident may cancel free of charge until this many minutes before the start (default 120).
    #[serde(default)]
    pub cancel_notice_min: Option<i64>,
    /// Bookings can be made at most this many days ahead (default 14).
    #[serde(default)]
    pub horizon_days: Option<i64>,
    /// Bookings close this many minutes before the start (default 60).
    #[serde(default)]
    pub min_notice_min: Option<i64>,
    /// Whether the offering takes bookings now (default true).
    #[serde(default)]
    pub active: Option<bool>,
}

/// A checked offering.
#[derive(Debug, Clone, PartialEq)]
pub struct Offering {
    pub service: &'static ServiceType,
    pub delivery: Delivery,
    pub price_fen: i64,
    pub subsidy_cap_fen: i64,
    pub duration_min: u16,
    pub capacity: i64,
    pub home_area_m: Option<f64>,
    pub cancel_notice_min: i64,
    pub horizon_days: i64,
    pub min_notice_min: i64,
    pub active: bool,
}

impl OfferingInput {
    /// Checks every field for an outlet of facility category `category`.
    pub fn check(&self, category: &str) -> Result<Offering, Vec<FieldError>> {
        let mut c = Check::new();
        let service = match c.text("service", &self.service, 32) {
            Some(k) => match service_type(&k) {
                Some(s) if s.categories.contains(&category) => Some(s),
                Some(s) => {
                    c.fail(
                        "service",
                        "service_not_offered_by_category",
                        format!(
                            "{}（{}）不能由类别为 {category} 的设施提供；可提供的类别：{}",
                            s.zh,
                            s.key,
                            s.categories.join("、")
                        ),
                        format!(
                            "{} ({}) is not offered by a facility of category {category}; categories that offer it: {}",
                            s.en,
                            s.key,
                            s.categories.join(", ")
                        ),
                    );
                    None
                }
                None => {
                    let known: Vec<&str> = SERVICE_TYPES.iter().map(|s| s.key).collect();
                    c.fail(
                        "service",
                        "unknown_service",
                        format!("未知服务类型 '{k}'；已知：{}", known.join("、")),
                        format!("unknown service type '{k}'; known: {}", known.join(", ")),
                    );
                    None
                }
            },
            None => None,
        };
        let delivery = match c.text("delivery", &self.delivery, 16) {
            Some(d) => match Delivery::from_key(&d) {
                Some(d) => match service {
                    Some(s) if !s.deliveries.contains(&d) => {
                        c.fail(
                            "delivery",
                            "delivery_not_possible",
                            format!("{} 不能以 {} 方式提供", s.zh, d.key()),
                            format!("{} cannot be delivered as {}", s.en, d.key()),
                        );
                        None
                    }
                    _ => Some(d),
                },
                None => {
                    c.fail(
                        "delivery",
                        "invalid_delivery",
                        format!("delivery 应为 outlet（到店）或 home（上门），而非 '{d}'"),
                        format!("delivery must be outlet or home, not '{d}'"),
                    );
                    None
                }
            },
            None => None,
        };
        let int =
            |c: &mut Check, field: &str, v: Option<i64>, lo: i64, hi: i64, default: Option<i64>| {
                match v.or(default) {
                    None => {
                        c.required(field);
                        None
                    }
                    Some(x) if x < lo || x > hi => {
                        c.fail(
                            field,
                            "out_of_range",
                            format!("{field} 的值 {x} 超出范围（{lo} 至 {hi}）"),
                            format!("{field} = {x} is out of range ({lo} to {hi})"),
                        );
                        None
                    }
                    Some(x) => Some(x),
                }
            };
        let max = crate::money::MAX_AMOUNT_FEN;
        let price = int(&mut c, "price_fen", self.price_fen, 0, max, None);
        let cap = int(
            &mut c,
            "subsidy_cap_fen",
            self.subsidy_cap_fen,
            0,
            max,
            Some(0),
        );
        let duration = int(&mut c, "duration_min", self.duration_min, 5, 1440, None);
        let capacity = int(&mut c, "capacity", self.capacity, 1, 10_000, None);
        let cancel = int(
            &mut c,
            "cancel_notice_min",
            self.cancel_notice_min,
            0,
            10_080,
            Some(120),
        );
        let horizon = int(&mut c, "horizon_days", self.horizon_days, 1, 366, Some(14));
        let notice = int(
            &mut c,
            "min_notice_min",
            self.min_notice_min,
            0,
            10_080,
            Some(60),
        );
        if let (Some(p), Some(cap)) = (price, cap) {
            if cap > p {
                c.fail(
                    "subsidy_cap_fen",
                    "subsidy_above_price",
                    format!("补贴上限 {cap} 分高于价格 {p} 分"),
                    format!("the subsidy cap ({cap} fen) is above the price ({p} fen)"),
                );
            }
        }
        let area = c.number("home_area_m", self.home_area_m, 1.0, 20_000.0, false);
        match (delivery, area) {
            (Some(Delivery::Home), None) if self.home_area_m.is_none() => c.fail(
                "home_area_m",
                "required",
                "上门服务须给出服务范围（步行距离，米）".into(),
                "a home service needs its service area (walking distance in metres)".into(),
            ),
            (Some(Delivery::Outlet), Some(_)) => c.fail(
                "home_area_m",
                "not_applicable",
                "到店服务没有上门服务范围".into(),
                "an outlet service has no home service area".into(),
            ),
            _ => {}
        }
        c.finish()?;
        match (
            service, delivery, price, cap, duration, capacity, cancel, horizon, notice,
        ) {
            (
                Some(service),
                Some(delivery),
                Some(price_fen),
                Some(subsidy_cap_fen),
                Some(d),
                Some(capacity),
                Some(cancel_notice_min),
                Some(horizon_days),
                Some(min_notice_min),
            ) => Ok(Offering {
                service,
                delivery,
                price_fen,
                subsidy_cap_fen,
                duration_min: d as u16,
                capacity,
                home_area_m: area,
                cancel_notice_min,
                horizon_days,
                min_notice_min,
                active: self.active.unwrap_or(true),
            }),
            // Every None above recorded an error, so `finish` returned.
            _ => Err(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meal() -> OfferingInput {
        OfferingInput {
            service: Some("meal".into()),
            delivery: Some("outlet".into()),
            price_fen: Some(1500),
            subsidy_cap_fen: Some(500),
            duration_min: Some(60),
            capacity: Some(30),
            ..Default::default()
        }
    }

    #[test]
    fn keys_are_unique_and_categories_are_known() {
        let mut keys: Vec<&str> = SERVICE_TYPES.iter().map(|s| s.key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), SERVICE_TYPES.len());
        for s in SERVICE_TYPES {
            assert!(!s.deliveries.is_empty(), "{}", s.key);
            assert!(!s.categories.is_empty(), "{}", s.key);
        }
    }

    #[test]
    fn an_offering_is_checked_against_its_outlet() {
        let o = meal().check("community_canteen").unwrap();
        assert_eq!(
            (o.price_fen, o.subsidy_cap_fen, o.capacity),
            (1500, 500, 30)
        );
        assert_eq!(
            (o.cancel_notice_min, o.horizon_days, o.min_notice_min),
            (120, 14, 60)
        );
        let e = meal().check("supermarket").unwrap_err();
        assert_eq!(e[0].code, "service_not_offered_by_category");
        let mut home = meal();
        home.delivery = Some("home".into());
        let e = home.clone().check("community_canteen").unwrap_err();
        assert_eq!(
            (e[0].field.as_str(), e[0].code),
            ("home_area_m", "required")
        );
        home.home_area_m = Some(1000.0);
        assert_eq!(
            home.check("community_canteen").unwrap().home_area_m,
            Some(1000.0)
        );
        let mut bad = meal();
        bad.subsidy_cap_fen = Some(2000);
        bad.capacity = Some(0);
        bad.service = Some("meals".into());
        let e = bad.check("community_canteen").unwrap_err();
        let codes: Vec<&str> = e.iter().map(|e| e.code).collect();
        assert_eq!(
            codes,
            ["unknown_service", "out_of_range", "subsidy_above_price"]
        );
        let mut cleaning = meal();
        cleaning.service = Some("cleaning".into());
        let e = cleaning.check("housekeeping").unwrap_err();
        assert_eq!(e[0].code, "delivery_not_possible");
    }
}
