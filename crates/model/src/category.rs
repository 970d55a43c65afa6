//! The facility category vocabulary: stable English keys with Chinese names.
//!
//! The keys are part of livingcircle's public interface (they appear in `facilities.csv`,
//! in `access.csv` and in standards files), so a key is never renamed or reused.
//! The list covers the facilities named by GB 50180-2018's 5/10/15-minute living circles,
//! the MOFCOM 15-minute convenient living circle guide's business types, the complete
//! residential community standard and the seeds' community facility list.
//! `docs/categories.md` is the human-readable copy of this table; a test keeps them in step.

use std::fmt;

/// Which part of the population a facility of this category serves.
///
/// Used as the demand side of capacity ratios (2SFCA): nursery slots are set against
/// children aged 0-3, elderly-care beds against elderly residents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Demand {
    /// All residents.
    Population,
    /// Children aged 0-3 (`children_0_3` in `communities.csv`).
    Children0To3,
    /// Elderly residents (`elderly` in `communities.csv`).
    Elderly,
}

/// The broad family a category belongs to, for grouping in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// 教育与托育 Education and childcare.
    Education,
    /// 医疗卫生 Health.
    Health,
    /// 养老服务 Elderly care.
    ElderlyCare,
    /// 社区服务与文体 Community services, culture and sports.
    Community,
    /// 便民商业 Convenience commerce (MOFCOM business types).
    Commerce,
    /// 市政与交通 Municipal and transport.
    Municipal,
}

impl Group {
    /// Chinese name of the group.
    pub fn zh(self) -> &'static str {
        match self {
            Group::Education => "教育与托育",
            Group::Health => "医疗卫生",
            Group::ElderlyCare => "养老服务",
            Group::Community => "社区服务与文体",
            Group::Commerce => "便民商业",
            Group::Municipal => "市政与交通",
        }
    }
}

/// One entry of the vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CategoryInfo {
    /// Stable English key, `snake_case`, as written in CSV files.
    pub key: &'static str,
    /// Chinese name.
    pub zh: &'static str,
    /// English name.
    pub en: &'static str,
    /// Family for reports.
    pub group: Group,
    /// Who the capacity of such a facility serves.
    pub demand: Demand,
    /// What `capacity` counts for this category, if capacity is meaningful (e.g. "slots", "beds").
    pub capacity_unit: Option<&'static str>,
    /// Where the category comes from (standard and level), for the documentation.
    pub source: &'static str,
}

macro_rules! cat {
    ($key:literal, $zh:literal, $en:literal, $group:ident, $demand:ident, $unit:expr, $src:literal) => {
        CategoryInfo {
            key: $key,
            zh: $zh,
            en: $en,
            group: Group::$group,
            demand: Demand::$demand,
            capacity_unit: $unit,
            source: $src,
        }
    };
}

/// The vocabulary, in a fixed order. A [`Category`] is an index into this table.
pub const CATEGORIES: &[CategoryInfo] = &[
    // Education and childcare.
    cat!(
        "nursery",
        "托儿所/托育机构",
        "Nursery (0-3 childcare)",
        Education,
        Children0To3,
        Some("slots"),
        "GB 50180-2018 5-min; complete community basic facility"
    ),
    cat!(
        "kindergarten",
        "幼儿园",
        "Kindergarten",
        Education,
        Population,
        Some("places"),
        "GB 50180-2018 5-min; complete community basic facility"
    ),
    cat!(
        "primary_school",
        "小学",
        "Primary school",
        Education,
        Population,
        Some("places"),
        "GB 50180-2018 10-min"
    ),
    cat!(
        "middle_school",
        "初中",
        "Middle school",
        Education,
        Population,
        Some("places"),
        "GB 50180-2018 15-min"
    ),
    // Health.
    cat!(
        "health_station",
        "社区卫生服务站",
        "Community health station",
        Health,
        Population,
        None,
        "GB 50180-2018 5-min; complete community basic facility"
    ),
    cat!(
        "health_center",
        "社区卫生服务中心",
        "Community health centre",
        Health,
        Population,
        Some("beds"),
        "GB 50180-2018 15-min"
    ),
    cat!(
        "clinic",
        "门诊部/诊所",
        "Clinic / outpatient department",
        Health,
        Population,
        None,
        "GB 50180-2018 15-min"
    ),
    cat!(
        "hospital",
        "医院",
        "Hospital",
        Health,
        Population,
        Some("beds"),
        "GB 50180-93 (one per ~100k people)"
    ),
    cat!(
        "pharmacy",
        "药店",
        "Pharmacy",
        Health,
        Population,
        None,
        "MOFCOM basic guarantee (8-min)"
    ),
    // Elderly care.
    cat!(
        "elderly_care",
        "养老院/养老机构",
        "Elderly care home",
        ElderlyCare,
        Elderly,
        Some("beds"),
        "GB 50180-2018 15-min (养老院, 老年养护院)"
    ),
    cat!(
        "elderly_day_care",
        "老年人日间照料中心",
        "Elderly day-care centre",
        ElderlyCare,
        Elderly,
        Some("places"),
        "GB 50180-2018 5-min"
    ),
    cat!(
        "elderly_service_station",
        "老年服务站",
        "Elderly service station",
        ElderlyCare,
        Elderly,
        None,
        "complete community basic facility"
    ),
    cat!(
        "community_canteen",
        "社区食堂/老年助餐点",
        "Community canteen / meal-assistance point",
        ElderlyCare,
        Elderly,
        Some("seats"),
        "GB 50180-2018 5-min; seeds (meal assistance)"
    ),
    // Community services, culture and sports.
    cat!(
        "community_service_station",
        "社区综合服务站",
        "Community service station",
        Community,
        Population,
        None,
        "GB 50180-2018 5-min; complete community basic facility"
    ),
    cat!(
        "community_service_center",
        "社区服务中心",
        "Community service centre",
        Community,
        Population,
        None,
        "GB 50180-2018 15-min"
    ),
    cat!(
        "culture_station",
        "文化活动站",
        "Cultural activity station",
        Community,
        Population,
        None,
        "GB 50180-2018 5-min"
    ),
    cat!(
        "culture_center",
        "文化活动中心",
        "Cultural activity centre",
        Community,
        Population,
        None,
        "GB 50180-2018 15-min"
    ),
    cat!(
        "library",
        "图书馆/城市书房",
        "Library / city reading room",
        Community,
        Population,
        None,
        "seeds (reading space); Gansu 城市书房"
    ),
    cat!(
        "sports",
        "多功能运动场地/室外综合健身场地",
        "Sports ground / outdoor fitness",
        Community,
        Population,
        None,
        "GB 50180-2018 5/10/15-min"
    ),
    cat!(
        "gym",
        "健身房",
        "Gym / fitness centre",
        Community,
        Population,
        None,
        "GB 50180-2018 15-min; MOFCOM quality improvement"
    ),
    cat!(
        "park",
        "公园/绿地",
        "Park",
        Community,
        Population,
        None,
        "GB 50180-2018 (public green)"
    ),
    cat!(
        "micro_fire_station",
        "微型消防站",
        "Micro fire station",
        Community,
        Population,
        None,
        "seeds community facility list"
    ),
    cat!(
        "police",
        "派出所/警务室",
        "Police station",
        Community,
        Population,
        None,
        "GB 50180-2018 15-min"
    ),
    // Convenience commerce (MOFCOM guide business types).
    cat!(
        "convenience_store",
        "便利店",
        "Convenience store",
        Commerce,
        Population,
        None,
        "MOFCOM basic guarantee (5-min); GB 50180-2018 block"
    ),
    cat!(
        "supermarket",
        "综合超市",
        "Supermarket",
        Commerce,
        Population,
        None,
        "MOFCOM basic guarantee (15-min)"
    ),
    cat!(
        "vegetable_market",
        "菜市场/农贸市场",
        "Vegetable / farmers' market",
        Commerce,
        Population,
        None,
        "MOFCOM basic guarantee (8-min); GB 50180-2018 15-min"
    ),
    cat!(
        "fresh_grocery",
        "生鲜超市/菜店",
        "Fresh grocery / vegetable shop",
        Commerce,
        Population,
        None,
        "MOFCOM basic guarantee"
    ),
    cat!(
        "breakfast",
        "早餐店",
        "Breakfast shop",
        Commerce,
        Population,
        None,
        "MOFCOM basic guarantee"
    ),
    cat!(
        "restaurant",
        "餐饮店",
        "Restaurant",
        Commerce,
        Population,
        None,
        "MOFCOM basic guarantee (8-min); GB 50180-2018 15-min"
    ),
    cat!(
        "laundry",
        "洗染店",
        "Laundry / dry cleaner",
        Commerce,
        Population,
        None,
        "MOFCOM basic guarantee (8-min)"
    ),
    cat!(
        "hairdresser",
        "美容美发店",
        "Hairdresser / beauty salon",
        Commerce,
        Population,
        None,
        "MOFCOM basic guarantee (8-min)"
    ),
    cat!(
        "photo_print",
        "照相文印店",
        "Photo and print shop",
        Commerce,
        Population,
        None,
        "MOFCOM basic guarantee"
    ),
    cat!(
        "housekeeping",
        "家政服务点",
        "Housekeeping service point",
        Commerce,
        Population,
        None,
        "MOFCOM basic guarantee; seeds"
    ),
    cat!(
        "repair",
        "维修点",
        "Repair point",
        Commerce,
        Population,
        None,
        "MOFCOM basic guarantee (15-min); seeds"
    ),
    cat!(
        "express_station",
        "邮政快递综合服务点",
        "Parcel / express station",
        Commerce,
        Population,
        None,
        "MOFCOM basic guarantee; GB 50180-2018 block"
    ),
    cat!(
        "bookstore",
        "书店",
        "Bookstore",
        Commerce,
        Population,
        None,
        "MOFCOM quality improvement"
    ),
    cat!(
        "shopping_mall",
        "商场",
        "Shopping centre",
        Commerce,
        Population,
        None,
        "GB 50180-2018 15-min"
    ),
    cat!(
        "bank",
        "银行网点",
        "Bank branch",
        Commerce,
        Population,
        None,
        "GB 50180-2018 15-min"
    ),
    cat!(
        "post_office",
        "邮政营业场所",
        "Post office",
        Commerce,
        Population,
        None,
        "GB 50180-2018 15-min"
    ),
    // Municipal and transport.
    cat!(
        "recycling",
        "再生资源回收点",
        "Recycling point",
        Municipal,
        Population,
        None,
        "GB 50180-2018 5-min; MOFCOM basic guarantee [P]"
    ),
    cat!(
        "waste_collection",
        "垃圾收集站",
        "Waste collection station",
        Municipal,
        Population,
        None,
        "GB 50180-2018 5-min"
    ),
    cat!(
        "public_toilet",
        "公共厕所",
        "Public toilet",
        Municipal,
        Population,
        None,
        "GB 50180-2018 5-min"
    ),
    cat!(
        "bus_stop",
        "公交站",
        "Bus stop",
        Municipal,
        Population,
        None,
        "GB 50180-2018 5-min"
    ),
    cat!(
        "metro_station",
        "轨道交通站",
        "Metro / rail station",
        Municipal,
        Population,
        None,
        "GB 50180-2018 15-min"
    ),
];

/// A facility category: an index into [`CATEGORIES`].
///
/// Construct one with [`Category::from_key`]; the index is stable within one build only, so
/// files always carry the key, never the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Category(u16);

/// A category key that is not in the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "未知类别 {0}{1}；已知类别见下 unknown category {0}{2}; known categories are: {3}",
    crate::quote(key),
    suggestion(key).0,
    suggestion(key).1,
    known_keys().join(", ")
)]
pub struct UnknownCategory {
    /// The key as given.
    pub key: String,
}

/// `("，是否想用 'pharmacy'（药店）？", ", did you mean 'pharmacy' (药店)?")` for a Chinese
/// name, a key in other letter case or with spaces, or a key a couple of typos away; empty
/// when nothing is close.
fn suggestion(given: &str) -> (String, String) {
    match Category::suggest(given) {
        Some(c) => (
            format!("，是否想用 '{}'（{}）？", c.key(), c.info().zh),
            format!(", did you mean '{}' ({})?", c.key(), c.info().zh),
        ),
        None => Default::default(),
    }
}

/// Edit distance (Levenshtein) between two short strings, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// All keys, in vocabulary order.
pub fn known_keys() -> Vec<&'static str> {
    CATEGORIES.iter().map(|c| c.key).collect()
}

impl Category {
    /// Looks a key up. Keys are matched exactly after trimming ASCII whitespace.
    pub fn from_key(key: &str) -> Result<Category, UnknownCategory> {
        let trimmed = key.trim();
        CATEGORIES
            .iter()
            .position(|c| c.key == trimmed)
            .map(|i| Category(i as u16))
            .ok_or_else(|| UnknownCategory {
                key: key.to_string(),
            })
    }

    /// The category a user most likely meant by a string that is not a key: its Chinese name
    /// (`药店`), its English name or key in other case or with spaces (`Nursery`, `Day care`),
    /// or a key at most two edits away (`kindergarden`).
    pub fn suggest(given: &str) -> Option<Category> {
        let g = given.trim();
        if g.is_empty() {
            return None;
        }
        let norm = |s: &str| s.trim().to_lowercase().replace([' ', '-', '/'], "_");
        let gn = norm(g);
        let exact = CATEGORIES
            .iter()
            .position(|c| c.zh == g || norm(c.key) == gn || norm(c.en) == gn);
        let near = || {
            CATEGORIES
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    (
                        edit_distance(&gn, c.key).min(edit_distance(&gn, &norm(c.en))),
                        i,
                    )
                })
                .filter(|&(d, _)| d <= 2 && d < gn.chars().count())
                .min()
                .map(|(_, i)| i)
        };
        exact.or_else(near).map(|i| Category(i as u16))
    }

    /// Every category, in vocabulary order.
    pub fn all() -> impl Iterator<Item = Category> {
        (0..CATEGORIES.len()).map(|i| Category(i as u16))
    }

    /// The number of categories.
    pub fn count() -> usize {
        CATEGORIES.len()
    }

    /// Position in [`CATEGORIES`], for dense per-category arrays.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The category at a position of [`CATEGORIES`], if there is one.
    pub fn from_index(index: usize) -> Option<Category> {
        (index < CATEGORIES.len()).then_some(Category(index as u16))
    }

    /// The vocabulary entry.
    pub fn info(self) -> &'static CategoryInfo {
        &CATEGORIES[self.0 as usize]
    }

    /// The stable key.
    pub fn key(self) -> &'static str {
        self.info().key
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl std::str::FromStr for Category {
    type Err = UnknownCategory;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::from_key(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn keys_are_unique_snake_case_and_round_trip() {
        let mut seen = HashSet::new();
        for c in Category::all() {
            let key = c.key();
            assert!(seen.insert(key), "duplicate key {key}");
            assert!(
                key.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '_' || ch.is_ascii_digit()),
                "key {key} is not snake_case"
            );
            assert_eq!(Category::from_key(key).unwrap(), c);
            assert!(!c.info().zh.is_empty());
        }
    }

    #[test]
    fn issue_named_categories_exist() {
        for key in [
            "kindergarten",
            "nursery",
            "primary_school",
            "clinic",
            "pharmacy",
            "elderly_care",
            "supermarket",
            "convenience_store",
            "vegetable_market",
            "sports",
            "library",
            "express_station",
            "restaurant",
            "hairdresser",
            "laundry",
        ] {
            assert!(Category::from_key(key).is_ok(), "{key} missing");
        }
    }

    #[test]
    fn unknown_category_lists_the_known_ones() {
        let err = Category::from_key("bakery").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("unknown category 'bakery'"), "{msg}");
        // Did you mean: a Chinese name, another letter case, a typo.
        for (given, key) in [
            ("药店", "pharmacy"),
            ("Nursery", "nursery"),
            ("kindergarden", "kindergarten"),
        ] {
            let e = Category::from_key(given).unwrap_err().to_string();
            assert!(e.contains(&format!("did you mean '{key}'")), "{given}: {e}");
        }
        let e = Category::from_key("zzzzzzzz").unwrap_err().to_string();
        assert!(!e.contains("did you mean"), "{e}");
        assert!(
            msg.contains("kindergarten") && msg.contains("laundry"),
            "{msg}"
        );
    }

    #[test]
    fn capacity_demand_is_set_for_childcare_and_elderly() {
        let nursery = Category::from_key("nursery").unwrap().info();
        assert_eq!(nursery.demand, Demand::Children0To3);
        assert_eq!(nursery.capacity_unit, Some("slots"));
        let care = Category::from_key("elderly_care").unwrap().info();
        assert_eq!(care.demand, Demand::Elderly);
        assert_eq!(care.capacity_unit, Some("beds"));
    }
}

/// Renders the vocabulary as the Markdown table kept in `docs/categories.md`.
pub fn markdown_table() -> String {
    let mut s = String::from(
        "| key | 中文 | English | group 类别组 | capacity counts | capacity serves | source |\n|---|---|---|---|---|---|---|\n",
    );
    for c in CATEGORIES {
        let demand = match c.demand {
            Demand::Population => "all residents",
            Demand::Children0To3 => "children 0-3",
            Demand::Elderly => "elderly",
        };
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} |\n",
            c.key,
            c.zh,
            c.en,
            c.group.zh(),
            c.capacity_unit.unwrap_or("—"),
            if c.capacity_unit.is_some() {
                demand
            } else {
                "—"
            },
            c.source
        ));
    }
    s
}

#[cfg(test)]
mod doc_tests {
    /// `docs/categories.md` carries the table between two markers; `UPDATE_DOCS=1` rewrites it.
    #[test]
    fn docs_table_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/categories.md");
        let text = std::fs::read_to_string(path).expect("docs/categories.md exists");
        let (begin, end) = ("<!-- table:begin -->\n", "<!-- table:end -->");
        let a = text.find(begin).expect("begin marker") + begin.len();
        let b = text.find(end).expect("end marker");
        let want = super::markdown_table();
        if text[a..b] != want {
            if std::env::var_os("UPDATE_DOCS").is_some() {
                let new = format!("{}{}{}", &text[..a], want, &text[b..]);
                std::fs::write(path, new).expect("write docs/categories.md");
            } else {
                panic!(
                    "docs/categories.md is out of date: run UPDATE_DOCS=1 cargo test -p lc-model"
                );
            }
        }
    }
}
