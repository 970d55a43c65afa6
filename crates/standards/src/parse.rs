//! Reading standards and targets from TOML text, with errors that name file, line and key.
//!
//! Parsing goes in two steps: serde reads the text into raw structs that keep the position of
//! every value (`toml::Spanned`), then each value is checked and turned into the model. Every
//! error, whether from TOML syntax, a missing or unknown key, or a value the model refuses,
//! becomes a [`SpecError`] with the 1-based line and column.

use crate::model::*;
use lc_model::{quote, Category};
use serde::Deserialize;
use std::collections::HashSet;
use std::ops::Range;
use toml::Spanned;

/// A problem in a standards or targets file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}:{column}: {}{message}", key_prefix(.key))]
pub struct SpecError {
    /// The file as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The key concerned, when known (`requirement.distance_m`).
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

fn key_prefix(key: &Option<String>) -> String {
    match key {
        Some(k) => format!("键 key '{k}': "),
        None => String::new(),
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, before[col_start..].chars().count() + 1)
}

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> SpecError {
        let (line, column) = line_col(self.text, span.start);
        SpecError {
            file: self.file.to_string(),
            line,
            column,
            key: Some(key.to_string()),
            message: message.into(),
        }
    }

    fn line(&self, span: &Range<usize>) -> usize {
        line_col(self.text, span.start).0
    }

    /// Turns a TOML/serde error into a located one, naming the key where it can.
    fn located(&self, e: toml::de::Error, table: &str) -> SpecError {
        let msg = e.message().trim().to_string();
        let span = e.span().unwrap_or(0..0);
        let (line, column) = line_col(self.text, span.start);
        // "missing field `x`", "unknown field `x`, expected ...": the key is in the message.
        let mut key = msg
            .split('`')
            .nth(1)
            .filter(|_| msg.contains("field `"))
            .map(|k| k.to_string());
        if key.is_none() {
            // Otherwise: the key written on the line the error points at.
            let text_line = self.text.lines().nth(line.saturating_sub(1)).unwrap_or("");
            let t = text_line.trim();
            if let Some(eq) = t.find('=') {
                let k = t[..eq].trim().trim_matches('"');
                if !k.is_empty() && !k.starts_with('#') {
                    key = Some(k.to_string());
                }
            } else if t.starts_with('[') {
                key = Some(t.trim_matches(['[', ']', ' ']).to_string());
            }
        }
        let key = key.map(|k| {
            if k.contains('.') || table.is_empty() || t_is_table_name(&k) {
                k
            } else {
                format!("{table}.{k}")
            }
        });
        SpecError {
            file: self.file.to_string(),
            line,
            column,
            key,
            message: toml_message(&msg),
        }
    }
}

/// A TOML/serde message with a Chinese summary before the library's own English text.
fn toml_message(msg: &str) -> String {
    let zh = if msg.starts_with("missing field") {
        "缺少必需的键"
    } else if msg.starts_with("unknown field") {
        "未知的键（拼写错误或放错了表？）"
    } else if msg.starts_with("invalid type") {
        "值的类型不对"
    } else if msg.starts_with("duplicate key") {
        "键重复"
    } else {
        "TOML 格式错误"
    };
    format!("{zh} {msg}")
}

fn t_is_table_name(k: &str) -> bool {
    matches!(
        k,
        "standard" | "level" | "requirement" | "plan" | "indicator" | "unavailable" | "needs"
    )
}

fn span_of<T>(s: &Spanned<T>) -> Range<usize> {
    s.span()
}

fn text_field(ctx: &Ctx, v: &Spanned<String>, key: &str) -> Result<String, SpecError> {
    let s = v.get_ref().trim();
    if s.is_empty() {
        return Err(ctx.err(span_of(v), key, "不能为空 must not be empty"));
    }
    Ok(s.to_string())
}

fn positive(ctx: &Ctx, v: &Spanned<f64>, key: &str) -> Result<f64, SpecError> {
    let x = *v.get_ref();
    if !(x.is_finite() && x > 0.0) {
        return Err(ctx.err(
            span_of(v),
            key,
            format!("须为正数，实为 {x} must be a positive number, got {x}"),
        ));
    }
    Ok(x)
}

fn status(ctx: &Ctx, v: &Spanned<String>, key: &str) -> Result<Status, SpecError> {
    Status::parse(v.get_ref().trim()).ok_or_else(|| {
        ctx.err(
            span_of(v),
            key,
            format!(
                "{0} 不是状态，请用 V（已核实）、C（计算）、S（种子引文）、P（部分核实）或 U（未核实） \
                 {0} is not a status; use V (verified), C (computed), S (seed quote), P (partly verified) or U (unverified)",
                quote(v.get_ref())
            ),
        )
    })
}

fn categories(
    ctx: &Ctx,
    v: &Spanned<Vec<Spanned<String>>>,
    key: &str,
) -> Result<Vec<Category>, SpecError> {
    if v.get_ref().is_empty() {
        return Err(ctx.err(
            span_of(v),
            key,
            "至少需要一个类别 needs at least one category",
        ));
    }
    let mut out = Vec::new();
    for c in v.get_ref() {
        let cat =
            Category::from_key(c.get_ref()).map_err(|e| ctx.err(span_of(c), key, e.to_string()))?;
        if !out.contains(&cat) {
            out.push(cat);
        }
    }
    Ok(out)
}

fn measure(ctx: &Ctx, v: &Spanned<String>, key: &str) -> Result<Measure, SpecError> {
    Ok(match v.get_ref().as_str() {
        "capacity" => Measure::Capacity,
        "floor_area_m2" => Measure::FloorArea,
        "count" => Measure::Count,
        other => {
            return Err(ctx.err(
                span_of(v),
                key,
                format!(
                    "{0} 不是度量，请用 capacity、floor_area_m2 或 count {0} is not a measure; use capacity, floor_area_m2 or count",
                    quote(other)
                ),
            ))
        }
    })
}

fn denominator(ctx: &Ctx, v: &Spanned<String>, key: &str) -> Result<Denominator, SpecError> {
    Ok(match v.get_ref().as_str() {
        "population" => Denominator::Population,
        "households" => Denominator::Households,
        "elderly" => Denominator::Elderly,
        "children_0_3" => Denominator::Children0To3,
        other => return Err(ctx.err(
            span_of(v),
            key,
            format!(
                "{0} 不是分母，请用 population、households、elderly 或 children_0_3 {0} is not a denominator; use population, households, elderly or children_0_3",
                quote(other)
            ),
        )),
    })
}

fn community_filter(
    ctx: &Ctx,
    v: &Option<Spanned<String>>,
    key: &str,
) -> Result<CommunityFilter, SpecError> {
    let Some(v) = v else {
        return Ok(CommunityFilter::All);
    };
    Ok(match v.get_ref().as_str() {
        "all" => CommunityFilter::All,
        "urban" => CommunityFilter::Urban,
        "rural" => CommunityFilter::Rural,
        other => {
            return Err(ctx.err(
                span_of(v),
                key,
                format!(
                    "{0} 不是社区筛选，请用 all、urban 或 rural {0} is not a community filter; use all, urban or rural",
                    quote(other)
                ),
            ))
        }
    })
}

fn required<'a, T>(
    ctx: &Ctx,
    v: &'a Option<T>,
    at: &Range<usize>,
    key: &str,
    kind: &str,
) -> Result<&'a T, SpecError> {
    v.as_ref().ok_or_else(|| {
        ctx.err(
            at.clone(),
            key,
            format!("类型 {0} 必须有此键 is required for kind {0}", quote(kind)),
        )
    })
}

/// Refuses keys that do not apply to a kind, so a typo or a misplaced key is not ignored.
/// `present` lists every kind-specific key with its position when it is given.
fn only_keys_of_kind(
    ctx: &Ctx,
    present: &[(&str, Option<Range<usize>>)],
    allowed: &[&str],
    kind: &str,
    table: &str,
) -> Result<(), SpecError> {
    for (name, span) in present {
        if let (Some(span), false) = (span, allowed.contains(name)) {
            return Err(ctx.err(
                span.clone(),
                &format!("{table}.{name}"),
                format!("不适用于类型 {0} does not apply to kind {0}", quote(kind)),
            ));
        }
    }
    Ok(())
}

fn sp<T>(v: &Option<Spanned<T>>) -> Option<Range<usize>> {
    v.as_ref().map(|s| s.span())
}

// ---------------------------------------------------------------------------------------------
// Standards.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStandardFile {
    standard: RawStandardHead,
    #[serde(default)]
    level: Vec<Spanned<RawLevel>>,
    #[serde(default)]
    requirement: Vec<Spanned<RawRequirement>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStandardHead {
    id: Spanned<String>,
    name_zh: Spanned<String>,
    name_en: Spanned<String>,
    source: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLevel {
    id: Spanned<String>,
    name_zh: Spanned<String>,
    name_en: Spanned<String>,
    distance_m: Spanned<f64>,
    status: Spanned<String>,
    source: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequirement {
    id: Spanned<String>,
    name_zh: Spanned<String>,
    name_en: Spanned<String>,
    kind: Option<Spanned<String>>,
    level: Option<Spanned<String>>,
    categories: Spanned<Vec<Spanned<String>>>,
    distance_m: Option<Spanned<f64>>,
    min_count: Option<Spanned<i64>>,
    measure: Option<Spanned<String>>,
    denominator: Option<Spanned<String>>,
    per: Option<Spanned<f64>>,
    min: Option<Spanned<f64>>,
    catchment_m: Option<Spanned<f64>>,
    obligation: Option<Spanned<String>>,
    status: Spanned<String>,
    source: Spanned<String>,
}

/// Parses a standard from TOML text; `file` is used in error messages.
pub fn parse_standard(file: &str, text: &str) -> Result<Standard, SpecError> {
    let ctx = Ctx { file, text };
    let raw: RawStandardFile = toml::from_str(text).map_err(|e| ctx.located(e, ""))?;
    let h = &raw.standard;
    let mut levels = Vec::new();
    let mut level_ids = HashSet::new();
    for l in &raw.level {
        let l = l.get_ref();
        let id = text_field(&ctx, &l.id, "level.id")?;
        if !level_ids.insert(id.clone()) {
            return Err(ctx.err(
                span_of(&l.id),
                "level.id",
                format!("层级 {0} 定义了两次 level {0} is defined twice", quote(&id)),
            ));
        }
        levels.push(Level {
            id,
            name_zh: text_field(&ctx, &l.name_zh, "level.name_zh")?,
            name_en: text_field(&ctx, &l.name_en, "level.name_en")?,
            distance_m: positive(&ctx, &l.distance_m, "level.distance_m")?,
            status: status(&ctx, &l.status, "level.status")?,
            source: text_field(&ctx, &l.source, "level.source")?,
        });
    }
    let mut requirements = Vec::new();
    let mut ids = HashSet::new();
    for r in &raw.requirement {
        let at = r.span();
        let r = r.get_ref();
        let id = text_field(&ctx, &r.id, "requirement.id")?;
        if !ids.insert(id.clone()) {
            return Err(ctx.err(
                span_of(&r.id),
                "requirement.id",
                format!(
                    "要求 {0} 定义了两次 requirement {0} is defined twice",
                    quote(&id)
                ),
            ));
        }
        let level = match &r.level {
            Some(l) => {
                let lv = levels
                    .iter()
                    .find(|x| &x.id == l.get_ref())
                    .ok_or_else(|| {
                        ctx.err(
                            span_of(l),
                            "requirement.level",
                            format!(
                                "本文件中没有层级 {0}（已有层级：{1}）no level {0} in this file (levels: {1})",
                                quote(l.get_ref()),
                                levels
                                    .iter()
                                    .map(|x| x.id.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                    })?;
                Some(lv)
            }
            None => None,
        };
        let kind = r
            .kind
            .as_ref()
            .map(|k| k.get_ref().as_str())
            .unwrap_or("within");
        let cats = categories(&ctx, &r.categories, "requirement.categories")?;
        let allowed: &[&str] = match kind {
            "within" => &["distance_m", "min_count"],
            "ratio" => &["measure", "denominator", "per", "min", "catchment_m"],
            _ => &[
                "distance_m",
                "min_count",
                "measure",
                "denominator",
                "per",
                "min",
                "catchment_m",
            ],
        };
        only_keys_of_kind(
            &ctx,
            &[
                ("distance_m", sp(&r.distance_m)),
                ("min_count", sp(&r.min_count)),
                ("measure", sp(&r.measure)),
                ("denominator", sp(&r.denominator)),
                ("per", sp(&r.per)),
                ("min", sp(&r.min)),
                ("catchment_m", sp(&r.catchment_m)),
            ],
            allowed,
            kind,
            "requirement",
        )?;
        let rule = match kind {
            "within" => {
                let distance_m = match (&r.distance_m, level) {
                    (Some(d), _) => positive(&ctx, d, "requirement.distance_m")?,
                    (None, Some(l)) => l.distance_m,
                    (None, None) => {
                        return Err(ctx.err(
                            at,
                            "requirement.distance_m",
                            "'within' 要求须有 distance_m 或层级 a 'within' requirement needs distance_m or a level",
                        ))
                    }
                };
                let min_count = match &r.min_count {
                    Some(m) => {
                        let v = *m.get_ref();
                        if !(1..=1_000_000).contains(&v) {
                            return Err(ctx.err(
                                span_of(m),
                                "requirement.min_count",
                                format!("须为 1 至 1000000，实为 {v} must be at least 1, got {v}"),
                            ));
                        }
                        v as u32
                    }
                    None => 1,
                };
                Rule::Within {
                    categories: cats,
                    distance_m,
                    min_count,
                }
            }
            "ratio" => {
                let m = required(&ctx, &r.measure, &at, "requirement.measure", kind)?;
                let d = required(&ctx, &r.denominator, &at, "requirement.denominator", kind)?;
                let per = required(&ctx, &r.per, &at, "requirement.per", kind)?;
                let min = required(&ctx, &r.min, &at, "requirement.min", kind)?;
                let min_v = *min.get_ref();
                if !(min_v.is_finite() && min_v >= 0.0) {
                    return Err(ctx.err(
                        span_of(min),
                        "requirement.min",
                        format!(
                            "须为不小于 0 的数，实为 {min_v} must be a number ≥ 0, got {min_v}"
                        ),
                    ));
                }
                let catchment_m = match (&r.catchment_m, level) {
                    (Some(c), _) => positive(&ctx, c, "requirement.catchment_m")?,
                    (None, Some(l)) => l.distance_m,
                    (None, None) => {
                        return Err(ctx.err(
                            at,
                            "requirement.catchment_m",
                            "'ratio' 要求须有 catchment_m 或层级 a 'ratio' requirement needs catchment_m or a level",
                        ))
                    }
                };
                Rule::Ratio {
                    categories: cats,
                    measure: measure(&ctx, m, "requirement.measure")?,
                    denominator: denominator(&ctx, d, "requirement.denominator")?,
                    per: positive(&ctx, per, "requirement.per")?,
                    min: min_v,
                    catchment_m,
                }
            }
            other => {
                let span = r.kind.as_ref().map(span_of).unwrap_or(at);
                return Err(ctx.err(
                    span,
                    "requirement.kind",
                    format!(
                        "{0} 不是要求类型，请用 within 或 ratio {0} is not a requirement kind; use within or ratio",
                        quote(other)
                    ),
                ));
            }
        };
        let obligation = match &r.obligation {
            None => Obligation::Required,
            Some(o) => match o.get_ref().as_str() {
                "required" => Obligation::Required,
                "recommended" => Obligation::Recommended,
                other => {
                    return Err(ctx.err(
                        span_of(o),
                        "requirement.obligation",
                        format!(
                            "{0} 不是约束程度，请用 required 或 recommended {0} is not an obligation; use required or recommended",
                            quote(other)
                        ),
                    ))
                }
            },
        };
        requirements.push(Requirement {
            id,
            name_zh: text_field(&ctx, &r.name_zh, "requirement.name_zh")?,
            name_en: text_field(&ctx, &r.name_en, "requirement.name_en")?,
            level: level.map(|l| l.id.clone()),
            obligation,
            status: status(&ctx, &r.status, "requirement.status")?,
            source: text_field(&ctx, &r.source, "requirement.source")?,
            rule,
            line: ctx.line(&r.id.span()),
        });
    }
    Ok(Standard {
        file: file.to_string(),
        id: text_field(&ctx, &h.id, "standard.id")?,
        name_zh: text_field(&ctx, &h.name_zh, "standard.name_zh")?,
        name_en: text_field(&ctx, &h.name_en, "standard.name_en")?,
        source: text_field(&ctx, &h.source, "standard.source")?,
        levels,
        requirements,
    })
}

// ---------------------------------------------------------------------------------------------
// Targets.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlanFile {
    plan: RawPlanHead,
    #[serde(default)]
    indicator: Vec<Spanned<RawIndicator>>,
    #[serde(default)]
    unavailable: Vec<Spanned<RawUnavailable>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlanHead {
    id: Spanned<String>,
    name_zh: Spanned<String>,
    name_en: Spanned<String>,
    jurisdiction: Spanned<String>,
    year: Spanned<i64>,
    document: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNeed {
    categories: Spanned<Vec<Spanned<String>>>,
    distance_m: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: Spanned<String>,
    name_zh: Spanned<String>,
    name_en: Spanned<String>,
    kind: Spanned<String>,
    unit: Spanned<String>,
    comparison: Spanned<String>,
    threshold: Option<Spanned<f64>>,
    monitoring: Option<Spanned<bool>>,
    quote: Spanned<String>,
    definition: Spanned<String>,
    status: Spanned<String>,
    levels: Option<Spanned<Vec<Spanned<String>>>>,
    communities: Option<Spanned<String>>,
    units: Option<Spanned<String>>,
    scope_note: Option<Spanned<String>>,
    needs: Option<Spanned<Vec<Spanned<RawNeed>>>>,
    standard: Option<Spanned<String>>,
    standard_levels: Option<Spanned<Vec<Spanned<String>>>>,
    categories: Option<Spanned<Vec<Spanned<String>>>>,
    measure: Option<Spanned<String>>,
    denominator: Option<Spanned<String>>,
    per: Option<Spanned<f64>>,
    catchment_m: Option<Spanned<f64>>,
    of: Option<Spanned<String>>,
    distance_m: Option<Spanned<f64>>,
    min_population: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnavailable {
    id: Spanned<String>,
    name_zh: Spanned<String>,
    name_en: Spanned<String>,
    target: Spanned<String>,
    quote: Spanned<String>,
    needs: Spanned<String>,
}

/// Parses a plan's targets from TOML text; `file` is used in error messages.
pub fn parse_plan(file: &str, text: &str) -> Result<Plan, SpecError> {
    let ctx = Ctx { file, text };
    let raw: RawPlanFile = toml::from_str(text).map_err(|e| ctx.located(e, ""))?;
    let h = &raw.plan;
    let jurisdiction = h.jurisdiction.get_ref().trim().to_string();
    if !(jurisdiction.is_empty() || lc_model::division::is_code(&jurisdiction)) {
        return Err(ctx.err(
            span_of(&h.jurisdiction),
            "plan.jurisdiction",
            format!(
                "{0} 不是区划代码前缀（全国用 \"\"，或 2/4/6/9/12 位数字的区划代码）{0} is not a division code prefix (\"\" for national, or a division code of 2/4/6/9/12 digits)",
                quote(&jurisdiction)
            ),
        ));
    }
    let year = *h.year.get_ref();
    if !(2000..=2100).contains(&year) {
        return Err(ctx.err(
            span_of(&h.year),
            "plan.year",
            format!("'{year}' 不是合理的目标年份（2000 至 2100）'{year}' is not a plausible target year"),
        ));
    }
    let mut ids = HashSet::new();
    let mut indicators = Vec::new();
    for ind in &raw.indicator {
        let at = ind.span();
        let r = ind.get_ref();
        let id = text_field(&ctx, &r.id, "indicator.id")?;
        if !ids.insert(id.clone()) {
            return Err(ctx.err(
                span_of(&r.id),
                "indicator.id",
                format!("{0} 定义了两次 {0} is defined twice", quote(&id)),
            ));
        }
        let comparison = Comparison::parse(r.comparison.get_ref().trim()).ok_or_else(|| {
            ctx.err(
                span_of(&r.comparison),
                "indicator.comparison",
                format!(
                    "{0} 不是比较符，请用 >=、>、<= 或 < {0} is not a comparison; use >=, >, <= or <",
                    quote(r.comparison.get_ref())
                ),
            )
        })?;
        // A monitoring indicator (no seed states a number for it) says so and has no threshold;
        // every other indicator has one, so a forgotten threshold is never read as "monitoring".
        let monitoring = r.monitoring.as_ref().is_some_and(|m| *m.get_ref());
        let threshold = match (&r.threshold, monitoring) {
            (Some(t), false) => {
                if !t.get_ref().is_finite() {
                    return Err(ctx.err(
                        span_of(t),
                        "indicator.threshold",
                        "须为有限数 must be a finite number",
                    ));
                }
                Some(*t.get_ref())
            }
            (Some(t), true) => {
                return Err(ctx.err(
                    span_of(t),
                    "indicator.threshold",
                    "监测指标没有目标值 a monitoring indicator (monitoring = true) has no threshold",
                ))
            }
            (None, false) => {
                return Err(ctx.err(
                    at.clone(),
                    "indicator.threshold",
                    "必须填写（没有目标值的指标写 monitoring = true）is required (an indicator without a target says monitoring = true)",
                ))
            }
            (None, true) => None,
        };
        let mut levels = Vec::new();
        match &r.levels {
            Some(ls) => {
                for l in ls.get_ref() {
                    let lv = RegionLevel::parse(l.get_ref()).ok_or_else(|| {
                        ctx.err(
                            span_of(l),
                            "indicator.levels",
                            format!(
                                "{0} 不是区域层级，请用 all、province、city、district、street 或 community {0} is not a region level; use all, province, city, district, street or community",
                                quote(l.get_ref())
                            ),
                        )
                    })?;
                    if !levels.contains(&lv) {
                        levels.push(lv);
                    }
                }
                if levels.is_empty() {
                    return Err(ctx.err(
                        span_of(ls),
                        "indicator.levels",
                        "至少需要一个层级 needs at least one level",
                    ));
                }
            }
            None => levels.extend(RegionLevel::ALL),
        }
        levels.sort();
        let kind_s = r.kind.get_ref().as_str();
        let cats = |ctx: &Ctx| -> Result<Vec<Category>, SpecError> {
            let c = required(ctx, &r.categories, &at, "indicator.categories", kind_s)?;
            categories(ctx, c, "indicator.categories")
        };
        let allowed: &[&str] = match kind_s {
            "coverage" => &["needs"],
            "standard_coverage" => &["standard", "standard_levels"],
            "ratio" => &["categories", "measure", "denominator", "per", "catchment_m"],
            "total" => &["categories", "measure", "catchment_m"],
            "region_coverage" => &["of", "units", "categories", "distance_m", "min_population"],
            "platform_rate" => &[],
            "elderly_coverage" => &["categories", "distance_m"],
            // An unknown kind is reported by the match below, not as a misplaced key.
            _ => &[
                "units",
                "needs",
                "standard",
                "standard_levels",
                "categories",
                "measure",
                "denominator",
                "per",
                "catchment_m",
                "of",
                "distance_m",
                "min_population",
            ],
        };
        only_keys_of_kind(
            &ctx,
            &[
                ("units", sp(&r.units)),
                ("needs", sp(&r.needs)),
                ("standard", sp(&r.standard)),
                ("standard_levels", sp(&r.standard_levels)),
                ("categories", sp(&r.categories)),
                ("measure", sp(&r.measure)),
                ("denominator", sp(&r.denominator)),
                ("per", sp(&r.per)),
                ("catchment_m", sp(&r.catchment_m)),
                ("of", sp(&r.of)),
                ("distance_m", sp(&r.distance_m)),
                ("min_population", sp(&r.min_population)),
            ],
            allowed,
            kind_s,
            "indicator",
        )?;
        let kind = match kind_s {
            "coverage" => {
                let needs_raw = required(&ctx, &r.needs, &at, "indicator.needs", kind_s)?;
                if needs_raw.get_ref().is_empty() {
                    return Err(ctx.err(
                        span_of(needs_raw),
                        "indicator.needs",
                        "至少需要一项 needs at least one entry",
                    ));
                }
                let mut needs = Vec::new();
                for n in needs_raw.get_ref() {
                    let n = n.get_ref();
                    needs.push(Need {
                        categories: categories(&ctx, &n.categories, "indicator.needs.categories")?,
                        distance_m: positive(&ctx, &n.distance_m, "indicator.needs.distance_m")?,
                    });
                }
                IndicatorKind::Coverage {
                    needs,
                }
            }
            "standard_coverage" => {
                let s = required(&ctx, &r.standard, &at, "indicator.standard", kind_s)?;
                IndicatorKind::StandardCoverage {
                    standard: text_field(&ctx, s, "indicator.standard")?,
                    levels: r
                        .standard_levels
                        .as_ref()
                        .map(|v| v.get_ref().iter().map(|x| x.get_ref().clone()).collect())
                        .unwrap_or_default(),
                }
            }
            "ratio" | "total" => {
                let categories = cats(&ctx)?;
                let m = required(&ctx, &r.measure, &at, "indicator.measure", kind_s)?;
                let c = required(&ctx, &r.catchment_m, &at, "indicator.catchment_m", kind_s)?;
                let measure = measure(&ctx, m, "indicator.measure")?;
                let catchment_m = positive(&ctx, c, "indicator.catchment_m")?;
                if kind_s == "ratio" {
                    let d = required(&ctx, &r.denominator, &at, "indicator.denominator", kind_s)?;
                    let p = required(&ctx, &r.per, &at, "indicator.per", kind_s)?;
                    IndicatorKind::Ratio {
                        categories,
                        measure,
                        denominator: denominator(&ctx, d, "indicator.denominator")?,
                        per: positive(&ctx, p, "indicator.per")?,
                        catchment_m,
                    }
                } else {
                    IndicatorKind::Total {
                        categories,
                        measure,
                        catchment_m,
                    }
                }
            }
            "region_coverage" => {
                let of_raw = required(&ctx, &r.of, &at, "indicator.of", kind_s)?;
                let of = RegionLevel::parse(of_raw.get_ref())
                    .filter(|l| *l != RegionLevel::All)
                    .ok_or_else(|| {
                        ctx.err(
                            span_of(of_raw),
                            "indicator.of",
                            format!(
                                "{0} 不是下级区域层级，请用 province、city、district 或 street {0} is not a sub-region level; use province, city, district or street",
                                quote(of_raw.get_ref())
                            ),
                        )
                    })?;
                if let Some(bad) = levels.iter().find(|l| l.code_len() >= of.code_len()) {
                    let span = r.levels.as_ref().map(span_of).unwrap_or(at.clone());
                    return Err(ctx.err(
                        span,
                        "indicator.levels",
                        format!(
                            "层级 '{0}' 不高于所计的下级区域（'{1}'）level '{0}' is not above the counted sub-regions ('{1}')",
                            bad.key(),
                            of.key()
                        ),
                    ));
                }
                let d = required(&ctx, &r.distance_m, &at, "indicator.distance_m", kind_s)?;
                let min_population = match &r.min_population {
                    Some(p) => Some(positive(&ctx, p, "indicator.min_population")?),
                    None => None,
                };
                IndicatorKind::RegionCoverage {
                    of,
                    categories: cats(&ctx)?,
                    distance_m: positive(&ctx, d, "indicator.distance_m")?,
                    min_population,
                }
            }
            "platform_rate" => IndicatorKind::PlatformRate,
            "elderly_coverage" => {
                let d = required(&ctx, &r.distance_m, &at, "indicator.distance_m", kind_s)?;
                IndicatorKind::ElderlyCoverage {
                    categories: cats(&ctx)?,
                    distance_m: positive(&ctx, d, "indicator.distance_m")?,
                }
            }
            other => {
                return Err(ctx.err(
                    span_of(&r.kind),
                    "indicator.kind",
                    format!(
                        "{0} 不是指标类型，请用 coverage、standard_coverage、ratio、total、region_coverage、platform_rate 或 elderly_coverage {0} is not an indicator kind; use coverage, standard_coverage, ratio, total, region_coverage, platform_rate or elderly_coverage",
                        quote(other)
                    ),
                ))
            }
        };
        // Each community by itself is a figure of communities, not of what stands in a region.
        if levels.contains(&RegionLevel::Community)
            && matches!(
                kind,
                IndicatorKind::Ratio { .. }
                    | IndicatorKind::Total { .. }
                    | IndicatorKind::RegionCoverage { .. }
            )
        {
            let span = r.levels.as_ref().map(span_of).unwrap_or(at.clone());
            return Err(ctx.err(
                span,
                "indicator.levels",
                format!(
                    "类型 {0} 不按单个社区统计，层级不能含 'community' kind {0} is not a figure of single communities; its levels cannot include 'community'",
                    quote(kind_s)
                ),
            ));
        }
        // The scope is stated for every target, next to its quote (issue 22): which communities,
        // for region coverage which sub-regions, and why.
        let scope_missing = |key: &str, (zh, en): (&str, &str)| {
            ctx.err(
                at.clone(),
                key,
                format!(
                    "必须填写：每个指标都要写明{zh}（依据其原文） is required: every target states {en}, read from its sentence"
                ),
            )
        };
        let communities = match &r.communities {
            Some(_) => community_filter(&ctx, &r.communities, "indicator.communities")?,
            None => {
                return Err(scope_missing(
                    "indicator.communities",
                    (
                        "计入哪些社区（all、urban 或 rural）",
                        "which communities it counts (all, urban or rural)",
                    ),
                ))
            }
        };
        let units = match (&kind, &r.units) {
            (IndicatorKind::RegionCoverage { of, .. }, Some(u)) => {
                let unit = UnitFilter::parse(u.get_ref().trim()).ok_or_else(|| {
                    ctx.err(
                        span_of(u),
                        "indicator.units",
                        format!(
                            "{0} 不是单元筛选，请用 all、streets、towns、counties 或 districts {0} is not a unit filter; use all, streets, towns, counties or districts",
                            quote(u.get_ref())
                        ),
                    )
                })?;
                if let Some(l) = unit.level().filter(|l| l != of) {
                    return Err(ctx.err(
                        span_of(u),
                        "indicator.units",
                        format!(
                            "'{0}' 指 {1} 级单元，但该指标计的是 '{2}' 级下级区域 '{0}' speaks of {1} units, but the target counts '{2}' sub-regions",
                            unit.key(),
                            l.key(),
                            of.key()
                        ),
                    ));
                }
                unit
            }
            (IndicatorKind::RegionCoverage { .. }, None) => {
                return Err(scope_missing(
                    "indicator.units",
                    (
                        "计入哪些下级区域（all、streets、towns、counties 或 districts）",
                        "which sub-regions it counts (all, streets, towns, counties or districts)",
                    ),
                ))
            }
            _ => UnitFilter::All,
        };
        let Some(note) = &r.scope_note else {
            return Err(scope_missing(
                "indicator.scope_note",
                ("范围为何如此", "why its scope is what it is"),
            ));
        };
        let scope = TargetScope {
            communities,
            units,
            note: text_field(&ctx, note, "indicator.scope_note")?,
        };
        indicators.push(Indicator {
            id,
            name_zh: text_field(&ctx, &r.name_zh, "indicator.name_zh")?,
            name_en: text_field(&ctx, &r.name_en, "indicator.name_en")?,
            unit: text_field(&ctx, &r.unit, "indicator.unit")?,
            comparison,
            threshold,
            quote: text_field(&ctx, &r.quote, "indicator.quote")?,
            definition: text_field(&ctx, &r.definition, "indicator.definition")?,
            status: status(&ctx, &r.status, "indicator.status")?,
            levels,
            scope,
            kind,
            line: ctx.line(&r.id.span()),
        });
    }
    let mut unavailable = Vec::new();
    for u in &raw.unavailable {
        let u = u.get_ref();
        let id = text_field(&ctx, &u.id, "unavailable.id")?;
        if !ids.insert(id.clone()) {
            return Err(ctx.err(
                span_of(&u.id),
                "unavailable.id",
                format!("{0} 定义了两次 {0} is defined twice", quote(&id)),
            ));
        }
        unavailable.push(Unavailable {
            id,
            name_zh: text_field(&ctx, &u.name_zh, "unavailable.name_zh")?,
            name_en: text_field(&ctx, &u.name_en, "unavailable.name_en")?,
            target: text_field(&ctx, &u.target, "unavailable.target")?,
            quote: text_field(&ctx, &u.quote, "unavailable.quote")?,
            needs: text_field(&ctx, &u.needs, "unavailable.needs")?,
        });
    }
    Ok(Plan {
        file: file.to_string(),
        id: text_field(&ctx, &h.id, "plan.id")?,
        name_zh: text_field(&ctx, &h.name_zh, "plan.name_zh")?,
        name_en: text_field(&ctx, &h.name_en, "plan.name_en")?,
        jurisdiction,
        year: year as u32,
        document: text_field(&ctx, &h.document, "plan.document")?,
        indicators,
        unavailable,
    })
}

/// Checks what a plan refers to in the standards (`standard_coverage`): the standard exists and
/// the levels named are its levels. The error points at the indicator's line in the plan file.
pub fn check_plan(plan: &Plan, standards: &[Standard]) -> Result<(), SpecError> {
    for ind in &plan.indicators {
        if let IndicatorKind::StandardCoverage {
            standard, levels, ..
        } = &ind.kind
        {
            let err = |message: String| SpecError {
                file: plan.file.clone(),
                line: ind.line,
                column: 1,
                key: Some("indicator.standard".into()),
                message,
            };
            let Some(s) = standards.iter().find(|s| &s.id == standard) else {
                return Err(err(format!(
                    "指标 {0} 引用的标准 {1} 未加载（已加载：{2}）indicator {0} refers to standard {1}, which is not loaded (loaded: {2})",
                    ind.id,
                    quote(standard),
                    standards
                        .iter()
                        .map(|s| s.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            };
            for l in levels {
                if !s.levels.iter().any(|x| &x.id == l) {
                    return Err(err(format!(
                        "指标 {0} 指定的层级 {1} 不在标准 {2} 中 indicator {0} names level {1}, which standard {2} does not have",
                        ind.id,
                        quote(l),
                        quote(standard)
                    )));
                }
            }
        }
    }
    Ok(())
}
