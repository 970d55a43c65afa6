//! The mapping from OSM tags to facility categories of the livingcircle vocabulary.
//!
//! [`facility_for_tags`] looks at an element's tags in a fixed order and the first rule that
//! matches decides: `amenity`, then `healthcare`, `shop`, `leisure`, `office`, `craft`,
//! `highway`/`public_transport` (bus stops), `railway`/`public_transport` (stations), and
//! last a few name-only hints for elements that carry a `shop`, `amenity`, `office` or
//! `craft` tag. Name hints (Chinese words in `name`, `name:zh`, `name:en`, `official_name`)
//! refine a tag match, e.g. `amenity=clinic` named 社区卫生服务中心 is a `health_center`.
//! `docs/osm.md` has the full table.

use lc_model::Category;

use crate::tags::Tags;

/// The category (or, for schools teaching both levels, two categories) an element maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacilityMatch {
    /// The category.
    pub category: Category,
    /// A second category for the same element (only: a 九年一贯制 school is a
    /// `primary_school` and a `middle_school`).
    pub also: Option<Category>,
    /// The tags that decided, e.g. `amenity=kindergarten` or
    /// `amenity=clinic + name~社区卫生服务中心`.
    pub matched: String,
}

fn cat(key: &str) -> Option<Category> {
    Category::from_key(key).ok()
}

fn tag_match(key: &str, value: &str, category: &str) -> Option<FacilityMatch> {
    Some(FacilityMatch {
        category: cat(category)?,
        also: None,
        matched: format!("{key}={value}"),
    })
}

fn hinted(key: &str, value: &str, hint: &str, category: &str) -> Option<FacilityMatch> {
    Some(FacilityMatch {
        category: cat(category)?,
        also: None,
        matched: format!("{key}={value} + name~{hint}"),
    })
}

/// Classifies a tagged element (node, way) as a facility, if its tags say it is one.
pub fn facility_for_tags(tags: &[(&str, &str)]) -> Option<FacilityMatch> {
    classify(&Tags::new(tags))
}

pub(crate) fn classify(t: &Tags<'_, '_>) -> Option<FacilityMatch> {
    if t.is_empty() {
        return None;
    }
    if let Some(v) = t.get("amenity") {
        if let Some(m) = amenity(t, v) {
            return Some(m);
        }
    }
    if let Some(v) = t.get("healthcare") {
        if let Some(m) = healthcare(t, "healthcare", v) {
            return Some(m);
        }
    }
    if let Some(v) = t.get("shop") {
        if let Some(m) = shop(t, v) {
            return Some(m);
        }
    }
    if let Some(v) = t.get("leisure") {
        if let Some(m) = leisure(t, v) {
            return Some(m);
        }
    }
    if let Some(v) = t.get("office") {
        if let Some(m) = office(t, v) {
            return Some(m);
        }
    }
    if let Some(v) = t.get("craft") {
        if matches!(
            v,
            "electronics_repair" | "shoemaker" | "key_cutter" | "watchmaker"
        ) {
            return tag_match("craft", v, "repair");
        }
    }
    if t.is("highway", "bus_stop") {
        return tag_match("highway", "bus_stop", "bus_stop");
    }
    if t.is("public_transport", "platform") && t.is("bus", "yes") {
        return Some(FacilityMatch {
            category: cat("bus_stop")?,
            also: None,
            matched: "public_transport=platform + bus=yes".into(),
        });
    }
    if let Some(v) = t.get("railway") {
        if matches!(v, "station" | "halt" | "tram_stop") {
            return tag_match("railway", v, "metro_station");
        }
    }
    if t.is("public_transport", "station") {
        for mode in ["subway", "light_rail", "monorail", "train", "tram"] {
            if t.is(mode, "yes") {
                return Some(FacilityMatch {
                    category: cat("metro_station")?,
                    also: None,
                    matched: format!("public_transport=station + {mode}=yes"),
                });
            }
        }
    }
    name_only(t)
}

const HEALTH_CENTER_HINTS: &[&str] = &["社区卫生服务中心", "社區衛生服務中心"];
const HEALTH_STATION_HINTS: &[&str] = &["卫生服务站", "衛生服務站", "卫生室", "卫生站"];
const NURSERY_HINTS: &[&str] = &["托儿所", "托育", "早教", "nursery"];
const CANTEEN_HINTS: &[&str] = &["社区食堂", "老年餐桌", "长者食堂", "助餐", "老年食堂"];
const BREAKFAST_HINTS: &[&str] = &["早餐", "早点"];

fn amenity(t: &Tags<'_, '_>, v: &str) -> Option<FacilityMatch> {
    match v {
        "childcare" => tag_match("amenity", v, "nursery"),
        "kindergarten" => match t.name_hint(NURSERY_HINTS) {
            Some(h) => hinted("amenity", v, h, "nursery"),
            None => tag_match("amenity", v, "kindergarten"),
        },
        "school" => school(t),
        "clinic" | "doctors" | "hospital" => healthcare(t, "amenity", v),
        "pharmacy" => tag_match("amenity", v, "pharmacy"),
        "nursing_home" => tag_match("amenity", v, "elderly_care"),
        "social_facility" => social_facility(t),
        "community_centre" => {
            if let Some(h) = t.name_hint(&["社区服务站", "综合服务站", "党群服务站", "居委会"])
            {
                hinted("amenity", v, h, "community_service_station")
            } else if let Some(h) = t.name_hint(&["文化活动站", "文化站"]) {
                hinted("amenity", v, h, "culture_station")
            } else if let Some(h) = t.name_hint(&["文化活动中心", "文化中心", "文化馆"])
            {
                hinted("amenity", v, h, "culture_center")
            } else {
                tag_match("amenity", v, "community_service_center")
            }
        }
        "arts_centre" => match t.name_hint(&["文化活动站", "文化站"]) {
            Some(h) => hinted("amenity", v, h, "culture_station"),
            None => tag_match("amenity", v, "culture_center"),
        },
        "library" => tag_match("amenity", v, "library"),
        "police" => tag_match("amenity", v, "police"),
        "fire_station" => {
            let h = t.name_hint(&["微型消防站"])?;
            hinted("amenity", v, h, "micro_fire_station")
        }
        "restaurant" | "fast_food" | "food_court" => {
            if let Some(h) = t.name_hint(CANTEEN_HINTS) {
                hinted("amenity", v, h, "community_canteen")
            } else if t.get("cuisine").is_some_and(|c| c.contains("breakfast")) {
                Some(FacilityMatch {
                    category: cat("breakfast")?,
                    also: None,
                    matched: format!("amenity={v} + cuisine=breakfast"),
                })
            } else if let Some(h) = t.name_hint(BREAKFAST_HINTS) {
                hinted("amenity", v, h, "breakfast")
            } else {
                tag_match("amenity", v, "restaurant")
            }
        }
        "marketplace" => tag_match("amenity", v, "vegetable_market"),
        "bank" => tag_match("amenity", v, "bank"),
        "post_office" => tag_match("amenity", v, "post_office"),
        "parcel_locker" => tag_match("amenity", v, "express_station"),
        "recycling" => tag_match("amenity", v, "recycling"),
        "waste_transfer_station" | "waste_disposal" => tag_match("amenity", v, "waste_collection"),
        "toilets" => {
            if t.is_any("access", &["private", "no", "customers"]) {
                None
            } else {
                tag_match("amenity", v, "public_toilet")
            }
        }
        "bus_station" => tag_match("amenity", v, "bus_stop"),
        "gym" => tag_match("amenity", v, "gym"),
        _ => None,
    }
}

/// `amenity=clinic|doctors|hospital` and `healthcare=*`.
fn healthcare(t: &Tags<'_, '_>, key: &str, v: &str) -> Option<FacilityMatch> {
    let base = match v {
        "clinic" | "doctors" | "doctor" | "centre" => "clinic",
        "hospital" => "hospital",
        "pharmacy" => return tag_match(key, v, "pharmacy"),
        _ => return None,
    };
    if let Some(h) = t.name_hint(HEALTH_CENTER_HINTS) {
        hinted(key, v, h, "health_center")
    } else if let Some(h) = t.name_hint(HEALTH_STATION_HINTS) {
        hinted(key, v, h, "health_station")
    } else {
        tag_match(key, v, base)
    }
}

fn social_facility(t: &Tags<'_, '_>) -> Option<FacilityMatch> {
    let kind = t.get("social_facility").unwrap_or("");
    let senior = t.is_any("social_facility:for", &["senior", "elderly"]);
    let label = |extra: &str| format!("amenity=social_facility + {extra}");
    let with = |category: &str, matched: String| -> Option<FacilityMatch> {
        Some(FacilityMatch {
            category: cat(category)?,
            also: None,
            matched,
        })
    };
    match kind {
        "nursing_home" | "assisted_living" => {
            return with("elderly_care", label(&format!("social_facility={kind}")))
        }
        "day_care" if senior => {
            return with(
                "elderly_day_care",
                label("social_facility=day_care + social_facility:for=senior"),
            )
        }
        _ => {}
    }
    if let Some(h) = t.name_hint(&["日间照料"]) {
        return with("elderly_day_care", label(&format!("name~{h}")));
    }
    if let Some(h) = t.name_hint(&["养老院", "敬老院", "老年公寓", "养老中心", "护理院"])
    {
        return with("elderly_care", label(&format!("name~{h}")));
    }
    if let Some(h) = t.name_hint(CANTEEN_HINTS) {
        return with("community_canteen", label(&format!("name~{h}")));
    }
    if senior {
        return with(
            "elderly_service_station",
            label("social_facility:for=senior"),
        );
    }
    if let Some(h) = t.name_hint(&["养老服务站", "老年服务站", "为老服务", "养老驿站"])
    {
        return with("elderly_service_station", label(&format!("name~{h}")));
    }
    None
}

/// School levels from `isced:level` (`0` kindergarten, `1` primary, `2` middle; lists like
/// `1;2` and ranges like `1-2` allowed), else from the name, else `primary_school`.
fn school(t: &Tags<'_, '_>) -> Option<FacilityMatch> {
    let mut levels = [false; 10];
    let mut any_level = false;
    if let Some(raw) = t.get("isced:level") {
        for part in raw.split([';', ',']) {
            let part = part.trim();
            let (lo, hi) = match part.split_once('-') {
                Some((a, b)) => (a.trim().parse::<usize>(), b.trim().parse::<usize>()),
                None => (part.parse::<usize>(), part.parse::<usize>()),
            };
            if let (Ok(lo), Ok(hi)) = (lo, hi) {
                for flag in levels.iter_mut().take(hi.min(9) + 1).skip(lo) {
                    *flag = true;
                    any_level = true;
                }
            }
        }
    }
    let make = |first: &str, second: Option<&str>, matched: String| -> Option<FacilityMatch> {
        Some(FacilityMatch {
            category: cat(first)?,
            also: match second {
                Some(k) => Some(cat(k)?),
                None => None,
            },
            matched,
        })
    };
    if any_level {
        let raw = t.get("isced:level").unwrap_or("");
        let matched = format!("amenity=school + isced:level={raw}");
        return match (levels[1], levels[2], levels[0]) {
            (true, true, _) => make("primary_school", Some("middle_school"), matched),
            (true, false, _) => make("primary_school", None, matched),
            (false, true, _) => make("middle_school", None, matched),
            (false, false, true) => make("kindergarten", None, matched),
            // Only upper-secondary or higher levels: not in the vocabulary.
            (false, false, false) => None,
        };
    }
    let hint = |needles: &[&'static str]| t.name_hint(needles);
    let named = |h: &str| format!("amenity=school + name~{h}");
    if let Some(h) = hint(&["九年一贯", "一贯制"]) {
        return make("primary_school", Some("middle_school"), named(h));
    }
    if let Some(h) = hint(&["幼儿园"]) {
        return make("kindergarten", None, named(h));
    }
    let primary = hint(&["小学", "primary school", "elementary school"]);
    let middle = hint(&[
        "初中",
        "初级中学",
        "middle school",
        "junior high",
        "junior middle",
    ]);
    match (primary, middle) {
        (Some(p), Some(m)) => {
            return make(
                "primary_school",
                Some("middle_school"),
                format!("amenity=school + name~{p} + name~{m}"),
            )
        }
        (Some(p), None) => return make("primary_school", None, named(p)),
        (None, Some(m)) => return make("middle_school", None, named(m)),
        (None, None) => {}
    }
    // 高级中学/高中 alone is upper secondary only; 中学 usually includes the junior years.
    if hint(&["高级中学", "高中"]).is_some() {
        return None;
    }
    if let Some(h) = hint(&["中学"]) {
        return make("middle_school", None, named(h));
    }
    // Colleges and training schools mis-tagged as schools.
    if hint(&[
        "大学",
        "学院",
        "职业",
        "技校",
        "培训",
        "university",
        "college",
    ])
    .is_some()
    {
        return None;
    }
    make("primary_school", None, "amenity=school".into())
}

fn shop(t: &Tags<'_, '_>, v: &str) -> Option<FacilityMatch> {
    match v {
        "convenience" => tag_match("shop", v, "convenience_store"),
        "supermarket" => match t.name_hint(&["生鲜"]) {
            Some(h) => hinted("shop", v, h, "fresh_grocery"),
            None => tag_match("shop", v, "supermarket"),
        },
        "greengrocer" => match t.name_hint(&["菜市场", "农贸市场"]) {
            Some(h) => hinted("shop", v, h, "vegetable_market"),
            None => tag_match("shop", v, "fresh_grocery"),
        },
        "laundry" | "dry_cleaning" => tag_match("shop", v, "laundry"),
        "hairdresser" | "beauty" => tag_match("shop", v, "hairdresser"),
        "copyshop" | "photo" | "photo_studio" => tag_match("shop", v, "photo_print"),
        "books" => tag_match("shop", v, "bookstore"),
        "mall" | "department_store" => tag_match("shop", v, "shopping_mall"),
        "repair" | "electronics_repair" | "mobile_phone_repair" | "computer_repair" => {
            tag_match("shop", v, "repair")
        }
        _ => None,
    }
}

fn leisure(t: &Tags<'_, '_>, v: &str) -> Option<FacilityMatch> {
    match v {
        "sports_centre" if t.is("sport", "fitness") => Some(FacilityMatch {
            category: cat("gym")?,
            also: None,
            matched: "leisure=sports_centre + sport=fitness".into(),
        }),
        "sports_centre" | "pitch" | "fitness_station" | "sports_hall" | "track" => {
            tag_match("leisure", v, "sports")
        }
        "fitness_centre" => tag_match("leisure", v, "gym"),
        "park" => tag_match("leisure", v, "park"),
        _ => None,
    }
}

fn office(t: &Tags<'_, '_>, v: &str) -> Option<FacilityMatch> {
    match v {
        "courier" => tag_match("office", v, "express_station"),
        "government" => {
            let h = t.name_hint(&[
                "社区服务站",
                "综合服务站",
                "党群服务站",
                "居委会",
                "居民委员会",
            ])?;
            hinted("office", v, h, "community_service_station")
        }
        _ => None,
    }
}

/// Name-only hints, for elements that carry some `shop`, `amenity`, `office` or `craft` tag
/// the rules above did not map.
fn name_only(t: &Tags<'_, '_>) -> Option<FacilityMatch> {
    let key = ["shop", "amenity", "office", "craft"]
        .into_iter()
        .find(|k| t.has(k))?;
    let value = t.get(key).unwrap_or("");
    let rules: [(&[&'static str], &str); 4] = [
        (
            &["菜鸟驿站", "快递", "丰巢", "兔喜", "妈妈驿站"],
            "express_station",
        ),
        (&["家政"], "housekeeping"),
        (&["菜市场", "农贸市场"], "vegetable_market"),
        (&["维修"], "repair"),
    ];
    for (needles, category) in rules {
        if let Some(h) = t.name_hint(needles) {
            return hinted(key, value, h, category);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(tags: &[(&str, &str)]) -> Option<&'static str> {
        facility_for_tags(tags).map(|m| m.category.key())
    }

    /// Every category key a rule can give.
    const USED: &[&str] = &[
        "nursery",
        "kindergarten",
        "primary_school",
        "middle_school",
        "health_station",
        "health_center",
        "clinic",
        "hospital",
        "pharmacy",
        "elderly_care",
        "elderly_day_care",
        "elderly_service_station",
        "community_canteen",
        "community_service_station",
        "community_service_center",
        "culture_station",
        "culture_center",
        "library",
        "sports",
        "gym",
        "park",
        "micro_fire_station",
        "police",
        "convenience_store",
        "supermarket",
        "vegetable_market",
        "fresh_grocery",
        "breakfast",
        "restaurant",
        "laundry",
        "hairdresser",
        "photo_print",
        "housekeeping",
        "repair",
        "express_station",
        "bookstore",
        "shopping_mall",
        "bank",
        "post_office",
        "recycling",
        "waste_collection",
        "public_toilet",
        "bus_stop",
        "metro_station",
    ];

    #[test]
    fn every_category_used_exists_and_is_documented() {
        // Each rule names its category by key; a renamed key would silently drop facilities.
        let doc_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/osm.md");
        let doc = std::fs::read_to_string(doc_path).unwrap();
        for k in USED {
            assert!(cat(k).is_some(), "{k} missing from the vocabulary");
            assert!(
                doc.contains(&format!("| `{k}`")),
                "{k} missing from docs/osm.md"
            );
        }
        for r in crate::rules::ExcludeReason::ALL {
            assert!(
                doc.contains(&format!("| `{}` |", r.as_str())),
                "{} missing from docs/osm.md",
                r.as_str()
            );
        }
    }

    #[test]
    fn basic_tags() {
        assert_eq!(key(&[("amenity", "kindergarten")]), Some("kindergarten"));
        assert_eq!(
            key(&[("amenity", "kindergarten"), ("name", "阳光托儿所")]),
            Some("nursery")
        );
        assert_eq!(key(&[("amenity", "childcare")]), Some("nursery"));
        assert_eq!(key(&[("shop", "convenience")]), Some("convenience_store"));
        assert_eq!(key(&[("healthcare", "pharmacy")]), Some("pharmacy"));
        assert_eq!(key(&[("shop", "greengrocer")]), Some("fresh_grocery"));
        assert_eq!(key(&[("amenity", "marketplace")]), Some("vegetable_market"));
        assert_eq!(key(&[("leisure", "fitness_centre")]), Some("gym"));
        assert_eq!(key(&[("leisure", "pitch")]), Some("sports"));
        assert_eq!(key(&[("highway", "bus_stop")]), Some("bus_stop"));
        assert_eq!(
            key(&[("railway", "station"), ("station", "subway")]),
            Some("metro_station")
        );
        assert_eq!(key(&[("amenity", "toilets")]), Some("public_toilet"));
        assert_eq!(
            key(&[("amenity", "toilets"), ("access", "customers")]),
            None
        );
        assert_eq!(key(&[("building", "yes"), ("name", "某楼")]), None);
        assert_eq!(key(&[("amenity", "fire_station")]), None);
    }

    #[test]
    fn health_hints() {
        assert_eq!(
            key(&[("amenity", "clinic"), ("name", "学院路社区卫生服务中心")]),
            Some("health_center")
        );
        assert_eq!(
            key(&[("amenity", "doctors"), ("name", "东升社区卫生服务站")]),
            Some("health_station")
        );
        assert_eq!(key(&[("amenity", "clinic")]), Some("clinic"));
        assert_eq!(key(&[("amenity", "hospital")]), Some("hospital"));
    }

    #[test]
    fn elderly() {
        assert_eq!(
            key(&[
                ("amenity", "social_facility"),
                ("social_facility", "nursing_home")
            ]),
            Some("elderly_care")
        );
        assert_eq!(key(&[("amenity", "nursing_home")]), Some("elderly_care"));
        assert_eq!(
            key(&[
                ("amenity", "social_facility"),
                ("social_facility", "day_care"),
                ("social_facility:for", "senior")
            ]),
            Some("elderly_day_care")
        );
        assert_eq!(
            key(&[
                ("amenity", "social_facility"),
                ("social_facility", "shelter")
            ]),
            None
        );
    }

    #[test]
    fn schools() {
        let m = facility_for_tags(&[("amenity", "school"), ("isced:level", "1;2")]).unwrap();
        assert_eq!(m.category.key(), "primary_school");
        assert_eq!(m.also.map(|c| c.key()), Some("middle_school"));
        assert_eq!(
            key(&[("amenity", "school"), ("isced:level", "2")]),
            Some("middle_school")
        );
        assert_eq!(key(&[("amenity", "school"), ("isced:level", "3")]), None);
        assert_eq!(
            key(&[("amenity", "school"), ("name", "北京石油学院附属中学")]),
            Some("middle_school")
        );
        assert_eq!(
            key(&[("amenity", "school"), ("name", "中国农业大学附属实验小学")]),
            Some("primary_school")
        );
        assert_eq!(
            key(&[("amenity", "school"), ("name", "信息与电气工程学院")]),
            None
        );
        assert_eq!(
            key(&[("amenity", "school"), ("name", "北京市第一〇一高级中学")]),
            None
        );
        assert_eq!(key(&[("amenity", "school")]), Some("primary_school"));
        let m =
            facility_for_tags(&[("amenity", "school"), ("name", "某某九年一贯制学校")]).unwrap();
        assert_eq!(m.also.map(|c| c.key()), Some("middle_school"));
    }

    #[test]
    fn food_and_names() {
        assert_eq!(key(&[("amenity", "restaurant")]), Some("restaurant"));
        assert_eq!(
            key(&[("amenity", "restaurant"), ("name", "幸福社区食堂")]),
            Some("community_canteen")
        );
        assert_eq!(
            key(&[("amenity", "fast_food"), ("name", "老王早餐")]),
            Some("breakfast")
        );
        assert_eq!(
            key(&[("shop", "yes"), ("name", "菜鸟驿站(东门店)")]),
            Some("express_station")
        );
        let m = facility_for_tags(&[("amenity", "clinic"), ("name", "社区卫生服务中心")]).unwrap();
        assert_eq!(m.matched, "amenity=clinic + name~社区卫生服务中心");
    }
}
