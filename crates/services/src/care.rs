//! The register of elderly people in special difficulty (特殊困难老年人) and their entitlements.
//!
//! - [`CATEGORIES`]: the closed vocabulary of categories, stable keys with Chinese and English
//!   names; more than one may apply to a person.
//! - [`RegisterInput`] → [`RegisterEntry`]: a register entry (a registry resident, categories,
//!   since/until dates, the assigned visitor, notes).
//! - [`EntitlementInput`] → [`Entitlement`]: a rule per category and service type: so many fen
//!   of subsidy a month, optionally at most so much per service ("N services a month at up to X
//!   fen each" is `monthly_fen = N × X` with `per_service_cap_fen = X`).
//! - [`best_rules`]: what a person in several categories gets per service.
//!
//! **The rule for several categories** (就高不重复, "the higher one, not both"): per service
//! type the person gets the single most generous rule among their categories' rules, never a
//! sum. The most generous is the one with the larger `monthly_fen`; between equal amounts the
//! one with the larger cap per service (no cap is largest); between equal caps the one whose
//! category comes first in [`CATEGORIES`]. So a person who is both 特困 and 高龄 with meal rules
//! of 200 and 100 yuan a month gets 200 yuan for meals, not 300.

use std::collections::BTreeMap;

use jiff::civil::Date;
use lc_registry::records::Input;
use lc_registry::{Check, FieldError};
use serde::{Deserialize, Serialize};

use crate::money::MAX_AMOUNT_FEN;
use crate::time::parse_date;

/// One category of the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Category {
    /// Stable key (never renamed or reused).
    pub key: &'static str,
    /// 中文名称.
    pub name_zh: &'static str,
    /// English name.
    pub name_en: &'static str,
}

/// The categories, in the order of the list (also the tie-break of [`best_rules`]).
pub const CATEGORIES: &[Category] = &[
    Category {
        key: "tekun",
        name_zh: "特困",
        name_en: "extremely poor (persons in extreme difficulty)",
    },
    Category {
        key: "dibao",
        name_zh: "低保",
        name_en: "minimum living allowance",
    },
    Category {
        key: "dibao_edge",
        name_zh: "低保边缘",
        name_en: "on the margin of the minimum living allowance",
    },
    Category {
        key: "living_alone",
        name_zh: "独居",
        name_en: "living alone",
    },
    Category {
        key: "empty_nest",
        name_zh: "空巢",
        name_en: "empty nest",
    },
    Category {
        key: "left_behind",
        name_zh: "留守",
        name_en: "left behind",
    },
    Category {
        key: "disabled_care",
        name_zh: "失能",
        name_en: "loss of capability (needs care)",
    },
    Category {
        key: "severe_disability",
        name_zh: "重残",
        name_en: "severe disability",
    },
    Category {
        key: "advanced_age",
        name_zh: "高龄",
        name_en: "advanced age",
    },
    Category {
        key: "family_planning_special",
        name_zh: "计划生育特殊家庭",
        name_en: "family-planning special family",
    },
];

/// The category with this key.
pub fn category(key: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.key == key)
}

fn category_rank(key: &str) -> usize {
    CATEGORIES
        .iter()
        .position(|c| c.key == key)
        .unwrap_or(usize::MAX)
}

/// Whether a text is a service-type key: 1 to 32 of `a-z` and `_` (the catalogue checks the
/// vocabulary itself).
pub fn is_service_key(s: &str) -> bool {
    (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// The longest note.
pub const MAX_NOTES: usize = 2000;

// --- Register ---------------------------------------------------------------------------------

/// A register entry as a client sends it (create, or the base of a merge-patch).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterInput {
    /// The registry resident (`/api/residents/{id}`); cannot change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resident_id: Option<i64>,
    /// Category keys (one or more of `/api/care/categories`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
    /// First day in the register, `YYYY-MM-DD` (Asia/Shanghai).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Last day in the register, `YYYY-MM-DD`, if they left (not before `since`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// The visitor: a community worker's account…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor_user_id: Option<i64>,
    /// …or a named volunteer (not both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor_name: Option<String>,
    /// Notes (personal: masked in lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// A checked register entry.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterEntry {
    pub resident_id: i64,
    /// Distinct keys, in the order of [`CATEGORIES`].
    pub categories: Vec<String>,
    pub since: Date,
    pub until: Option<Date>,
    pub visitor_user_id: Option<i64>,
    pub visitor_name: Option<String>,
    pub notes: Option<String>,
}

/// The categories as stored: keys joined by `,`.
pub fn join_categories(keys: &[String]) -> String {
    keys.join(",")
}

/// The stored categories as keys.
pub fn split_categories(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect()
}

fn check_date(c: &mut Check, field: &str, v: &Option<String>, required: bool) -> Option<Date> {
    match v.as_deref() {
        None | Some("") => {
            if required {
                c.required(field);
            }
            None
        }
        Some(s) => match parse_date(s) {
            Ok(d) if d.year() >= 1900 && d.year() <= 2199 => Some(d),
            _ => {
                c.fail(
                    field,
                    "invalid_date",
                    format!("{field} 不是有效日期（格式 YYYY-MM-DD）：{s}"),
                    format!("{field} is not a real date in the form YYYY-MM-DD: {s}"),
                );
                None
            }
        },
    }
}

fn check_id(c: &mut Check, field: &str, v: Option<i64>, required: bool) -> Option<i64> {
    match v {
        None => {
            if required {
                c.required(field);
            }
            None
        }
        Some(x) if x > 0 => Some(x),
        Some(x) => {
            c.fail(
                field,
                "out_of_range",
                format!("{field} 应为正整数：{x}"),
                format!("{field} must be a positive integer: {x}"),
            );
            None
        }
    }
}

/// Checks the visitor fields: at most one of an account and a volunteer's name.
pub(crate) fn check_visitor(
    c: &mut Check,
    user: Option<i64>,
    name: &Option<String>,
) -> (Option<i64>, Option<String>) {
    let user = check_id(c, "visitor_user_id", user, false);
    let name = c.opt_text("visitor_name", name, 64);
    if user.is_some() && name.is_some() {
        c.fail(
            "visitor_name",
            "conflicting_fields",
            "探访人只能是社区工作者账户或志愿者姓名之一".into(),
            "the visitor is either a community worker's account or a volunteer's name, not both"
                .into(),
        );
    }
    (user, name)
}

impl Input for RegisterInput {
    const ENTITY: &'static str = "care_register";
    const FIELDS: &'static [&'static str] = &[
        "resident_id",
        "categories",
        "since",
        "until",
        "visitor_user_id",
        "visitor_name",
        "notes",
    ];
    const IMMUTABLE: &'static [&'static str] = &["resident_id"];
    type Checked = RegisterEntry;

    fn check(self) -> Result<RegisterEntry, Vec<FieldError>> {
        let mut c = Check::new();
        let resident_id = check_id(&mut c, "resident_id", self.resident_id, true);
        let mut keys: Vec<String> = Vec::new();
        match &self.categories {
            None => c.required("categories"),
            Some(list) if list.is_empty() => c.fail(
                "categories",
                "required",
                "至少需要一个类别".into(),
                "at least one category is required".into(),
            ),
            Some(list) => {
                for k in list {
                    if category(k).is_none() {
                        c.fail(
                            "categories",
                            "unknown_category",
                            format!("未知类别：{k}（见 /api/care/categories）"),
                            format!("unknown category: {k} (see /api/care/categories)"),
                        );
                    } else if !keys.contains(k) {
                        keys.push(k.clone());
                    }
                }
            }
        }
        keys.sort_by_key(|k| category_rank(k));
        let since = check_date(&mut c, "since", &self.since, true);
        let until = check_date(&mut c, "until", &self.until, false);
        if let (Some(s), Some(u)) = (since, until) {
            if u < s {
                c.fail(
                    "until",
                    "before_since",
                    format!("until（{u}）早于 since（{s}）"),
                    format!("until ({u}) is before since ({s})"),
                );
            }
        }
        let (visitor_user_id, visitor_name) =
            check_visitor(&mut c, self.visitor_user_id, &self.visitor_name);
        let notes = c.opt_text_multiline("notes", &self.notes, MAX_NOTES);
        c.finish()?;
        match (resident_id, since) {
            (Some(resident_id), Some(since)) => Ok(RegisterEntry {
                resident_id,
                categories: keys,
                since,
                until,
                visitor_user_id,
                visitor_name,
                notes,
            }),
            _ => Err(vec![]),
        }
    }
}

/// Multi-line texts (notes, outcomes): line breaks and tabs are allowed, other control
/// characters and invisible characters are not.
pub(crate) trait MultiLine {
    fn opt_text_multiline(&mut self, field: &str, v: &Option<String>, max: usize)
        -> Option<String>;
}

impl MultiLine for Check {
    fn opt_text_multiline(
        &mut self,
        field: &str,
        v: &Option<String>,
        max: usize,
    ) -> Option<String> {
        let s = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
        let flat: String = s
            .chars()
            .map(|ch| {
                if matches!(ch, '\n' | '\r' | '\t') {
                    ' '
                } else {
                    ch
                }
            })
            .collect();
        self.opt_text(field, &Some(flat), max)?;
        Some(s.to_string())
    }
}

// --- Entitlements -----------------------------------------------------------------------------

/// An entitlement rule as a client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntitlementInput {
    /// Category key; cannot change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Service type key (`meal`, `bathing`, …); cannot change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Subsidy granted each month, in fen. May be left out when `services_per_month` and
    /// `per_service_cap_fen` are given (it is then their product).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_fen: Option<i64>,
    /// At most this much of one service is paid from the subsidy, in fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_service_cap_fen: Option<i64>,
    /// So many services a month (with `per_service_cap_fen`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services_per_month: Option<i64>,
}

/// A checked entitlement rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entitlement {
    pub category: String,
    pub service: String,
    pub monthly_fen: i64,
    pub per_service_cap_fen: Option<i64>,
    pub services_per_month: Option<i64>,
}

fn check_amount(c: &mut Check, field: &str, v: Option<i64>, lo: i64, hi: i64) -> Option<i64> {
    let x = v?;
    if x < lo || x > hi {
        c.fail(
            field,
            "out_of_range",
            format!("{field} 的值 {x} 超出范围（{lo} 至 {hi}）"),
            format!("{field} = {x} is out of range ({lo} to {hi})"),
        );
        return None;
    }
    Some(x)
}

impl Input for EntitlementInput {
    const ENTITY: &'static str = "care_entitlement";
    const FIELDS: &'static [&'static str] = &[
        "category",
        "service",
        "monthly_fen",
        "per_service_cap_fen",
        "services_per_month",
    ];
    const IMMUTABLE: &'static [&'static str] = &["category", "service"];
    type Checked = Entitlement;

    fn check(self) -> Result<Entitlement, Vec<FieldError>> {
        let mut c = Check::new();
        let cat = c.text("category", &self.category, 32);
        if let Some(k) = &cat {
            if category(k).is_none() {
                c.fail(
                    "category",
                    "unknown_category",
                    format!("未知类别：{k}"),
                    format!("unknown category: {k}"),
                );
            }
        }
        let service = c.text("service", &self.service, 32);
        if let Some(s) = &service {
            if !is_service_key(s) {
                c.fail(
                    "service",
                    "invalid_service",
                    format!("服务类型应为 1-32 个小写字母或下划线：{s}"),
                    format!("a service type is 1-32 lower-case letters or underscores: {s}"),
                );
            }
        }
        let cap = check_amount(
            &mut c,
            "per_service_cap_fen",
            self.per_service_cap_fen,
            1,
            MAX_AMOUNT_FEN,
        );
        let count = check_amount(
            &mut c,
            "services_per_month",
            self.services_per_month,
            1,
            1000,
        );
        let mut monthly = check_amount(&mut c, "monthly_fen", self.monthly_fen, 0, MAX_AMOUNT_FEN);
        let product = match (count, cap) {
            (Some(n), Some(x)) => Some(n.saturating_mul(x)),
            _ => None,
        };
        if count.is_some() && self.per_service_cap_fen.is_none() {
            c.fail(
                "per_service_cap_fen",
                "required",
                "给出每月服务次数时需要每次补贴上限".into(),
                "services_per_month needs per_service_cap_fen".into(),
            );
        }
        match (self.monthly_fen, product) {
            (None, Some(p)) if p <= MAX_AMOUNT_FEN => monthly = Some(p),
            (None, Some(_)) => c.fail(
                "services_per_month",
                "out_of_range",
                "每月补贴总额超出上限".into(),
                "the monthly total exceeds the largest amount".into(),
            ),
            (None, None) if count.is_none() => c.required("monthly_fen"),
            (Some(m), Some(p)) if m != p => c.fail(
                "monthly_fen",
                "inconsistent",
                format!("monthly_fen（{m}）应等于 services_per_month × per_service_cap_fen（{p}）"),
                format!(
                    "monthly_fen ({m}) must equal services_per_month × per_service_cap_fen ({p})"
                ),
            ),
            _ => {}
        }
        c.finish()?;
        match (cat, service, monthly) {
            (Some(category), Some(service), Some(monthly_fen)) => Ok(Entitlement {
                category,
                service,
                monthly_fen,
                per_service_cap_fen: cap,
                services_per_month: count,
            }),
            _ => Err(vec![]),
        }
    }
}

/// Whether rule `a` is more generous than rule `b` (see the module's rule).
fn more_generous(a: &Entitlement, b: &Entitlement) -> bool {
    let cap = |e: &Entitlement| e.per_service_cap_fen.unwrap_or(i64::MAX);
    (
        a.monthly_fen,
        cap(a),
        std::cmp::Reverse(category_rank(&a.category)),
    ) > (
        b.monthly_fen,
        cap(b),
        std::cmp::Reverse(category_rank(&b.category)),
    )
}

/// Per service type, the one rule a person in `categories` gets: the most generous of their
/// categories' rules (就高不重复; see the module documentation).
pub fn best_rules<'a>(
    categories: &[String],
    rules: &'a [Entitlement],
) -> BTreeMap<String, &'a Entitlement> {
    let mut best: BTreeMap<String, &Entitlement> = BTreeMap::new();
    for r in rules.iter().filter(|r| categories.contains(&r.category)) {
        match best.get(&r.service) {
            Some(b) if !more_generous(r, b) => {}
            _ => {
                best.insert(r.service.clone(), r);
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(cat: &str, service: &str, monthly: i64, cap: Option<i64>) -> Entitlement {
        Entitlement {
            category: cat.into(),
            service: service.into(),
            monthly_fen: monthly,
            per_service_cap_fen: cap,
            services_per_month: None,
        }
    }

    #[test]
    fn categories_are_closed_and_distinct() {
        assert_eq!(CATEGORIES.len(), 10);
        for (i, a) in CATEGORIES.iter().enumerate() {
            assert!(is_service_key(a.key), "{}", a.key);
            assert!(CATEGORIES[i + 1..]
                .iter()
                .all(|b| b.key != a.key && b.name_zh != a.name_zh));
        }
        assert_eq!(category("dibao_edge").map(|c| c.name_zh), Some("低保边缘"));
        assert!(category("poor").is_none());
    }

    #[test]
    fn register_entries_are_checked() {
        let ok: RegisterInput = serde_json::from_value(json!({
            "resident_id": 3, "categories": ["advanced_age", "tekun", "tekun"],
            "since": "2026-11-15", "visitor_name": "志愿者 王"
        }))
        .unwrap();
        let e = ok.check().unwrap();
        assert_eq!(
            e.categories,
            vec!["tekun", "advanced_age"],
            "table order, distinct"
        );
        assert_eq!(e.since.to_string(), "2026-11-15");

        let bad: RegisterInput = serde_json::from_value(json!({
            "resident_id": 0, "categories": ["poor"], "since": "2026-11-31",
            "visitor_user_id": 2, "visitor_name": "x"
        }))
        .unwrap();
        let codes: Vec<&str> = bad.check().unwrap_err().iter().map(|e| e.code).collect();
        assert_eq!(
            codes,
            [
                "out_of_range",
                "unknown_category",
                "invalid_date",
                "conflicting_fields"
            ]
        );
        let early: RegisterInput = serde_json::from_value(json!({
            "resident_id": 1, "categories": ["dibao"], "since": "2026-11-15", "until": "2026-11-14"
        }))
        .unwrap();
        assert_eq!(early.check().unwrap_err()[0].code, "before_since");
        let empty: RegisterInput = serde_json::from_value(
            json!({"resident_id": 1, "categories": [], "since": "2026-11-15"}),
        )
        .unwrap();
        assert_eq!(empty.check().unwrap_err()[0].field, "categories");
        assert!(serde_json::from_value::<RegisterInput>(json!({"x": 1})).is_err());
        let notes: RegisterInput = serde_json::from_value(json!({
            "resident_id": 1, "categories": ["dibao"], "since": "2026-11-15", "notes": "a\nb\u{202E}"
        }))
        .unwrap();
        assert_eq!(notes.check().unwrap_err()[0].code, "invisible_character");
    }

    #[test]
    fn entitlements_are_checked() {
        let e: EntitlementInput = serde_json::from_value(json!({
            "category": "tekun", "service": "meal", "services_per_month": 30, "per_service_cap_fen": 500
        }))
        .unwrap();
        assert_eq!(e.check().unwrap().monthly_fen, 15_000);
        for (body, code) in [
            (
                json!({"category": "tekun", "service": "Meal", "monthly_fen": 1}),
                "invalid_service",
            ),
            (
                json!({"category": "nope", "service": "meal", "monthly_fen": 1}),
                "unknown_category",
            ),
            (json!({"category": "tekun", "service": "meal"}), "required"),
            (
                json!({"category": "tekun", "service": "meal", "monthly_fen": -1}),
                "out_of_range",
            ),
            (
                json!({"category": "tekun", "service": "meal", "monthly_fen": 1, "services_per_month": 2, "per_service_cap_fen": 3}),
                "inconsistent",
            ),
            (
                json!({"category": "tekun", "service": "meal", "services_per_month": 2}),
                "required",
            ),
        ] {
            let i: EntitlementInput = serde_json::from_value(body.clone()).unwrap();
            assert_eq!(i.check().unwrap_err()[0].code, code, "{body}");
        }
    }

    #[test]
    fn several_categories_get_the_most_generous_rule_per_service_not_the_sum() {
        let rules = vec![
            rule("advanced_age", "meal", 10_000, None),
            rule("tekun", "meal", 20_000, Some(1_000)),
            rule("dibao", "meal", 20_000, None),
            rule("tekun", "bathing", 3_000, None),
            rule("living_alone", "bathing", 3_000, None),
            rule("empty_nest", "cleaning", 9_000, None),
        ];
        let who = vec![
            "tekun".to_string(),
            "advanced_age".into(),
            "living_alone".into(),
        ];
        let best = best_rules(&who, &rules);
        assert_eq!(best.len(), 2, "cleaning is not theirs");
        assert_eq!(best["meal"].monthly_fen, 20_000, "the higher, not 30,000");
        assert_eq!(best["meal"].category, "tekun");
        // Same amount: the rule without a cap beats the capped one.
        let who2 = vec!["tekun".to_string(), "dibao".into()];
        assert_eq!(best_rules(&who2, &rules)["meal"].category, "dibao");
        // Same amount and cap: the category listed first.
        assert_eq!(best["bathing"].category, "tekun");
        let reversed: Vec<Entitlement> = rules.iter().rev().cloned().collect();
        let best_rev = best_rules(&who, &reversed);
        assert_eq!(
            best_rev["bathing"].category, "tekun",
            "independent of rule order"
        );
        assert_eq!(best_rev["meal"].category, "tekun");
        assert!(best_rules(&[], &rules).is_empty());
    }
}
