//! Checking a plan and putting it in canonical form; the rules that hold before any randomness
//! is used (ratio caps, staffing); the seed's key; the pool hashes.

use std::collections::BTreeSet;

use lc_registry::{Check, DivisionCode, Uscc};
use serde::Serialize;

use super::{
    select::hex_sha256, DrawError, ItemKind, Plan, RiskClass, Seed, KNOWN_ALGORITHMS,
    MIN_INSPECTORS_PER_OBJECT,
};

/// Longest id, code, category or qualification.
const SHORT: usize = 64;
/// Longest label, name, department, reason or public value.
const LONG: usize = 500;
/// The most inspectors per object a plan may ask for.
const MAX_INSPECTORS_PER_OBJECT: u32 = 20;
/// The shortest revealed secret, so that the commitment cannot be searched.
const MIN_SECRET_CHARS: usize = 16;

/// The SHA-256 of both pools in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolHashes {
    pub objects_sha256: String,
    pub inspectors_sha256: String,
}

/// The pool hashes a plan will have in its manifest, computable before the seed is known (to be
/// published with the pools). Also checks the plan and that every object can be staffed.
pub fn pool_hashes(plan: &Plan) -> Result<PoolHashes, DrawError> {
    let canon = canonical(plan)?;
    check_rules(&canon)?;
    eligibility(&canon)?;
    Ok(hashes_of(&canon))
}

pub(crate) fn hashes_of(canon: &Plan) -> PoolHashes {
    PoolHashes {
        objects_sha256: hex_sha256(&compact(&canon.objects)),
        inspectors_sha256: hex_sha256(&compact(&canon.inspectors)),
    }
}

/// Compact JSON: serialising plain structs of strings cannot fail.
fn compact<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

/// A text field, trimmed and checked (required).
fn text(c: &mut Check, field: &str, v: &str, max: usize) -> String {
    c.text(field, &Some(v.to_string()), max).unwrap_or_default()
}

/// A unified social credit code, upper-cased, its check character verified.
fn uscc(c: &mut Check, field: &str, v: &str) -> String {
    match Uscc::parse(v) {
        Ok(u) => u.as_str().to_string(),
        Err(e) => {
            c.fail(
                field,
                "uscc",
                format!("{field} 不是有效的统一社会信用代码：{}", quote(v)),
                format!(
                    "{field} is not a valid unified social credit code ({e}): {}",
                    quote(v)
                ),
            );
            String::new()
        }
    }
}

/// 64 lower-case hex digits (upper case accepted).
fn sha256_hex(c: &mut Check, field: &str, v: &str) -> String {
    let s = v.trim().to_ascii_lowercase();
    if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        c.fail(
            field,
            "sha256",
            format!("{field} 须为 64 位十六进制的 SHA-256 值"),
            format!("{field} must be a SHA-256 value of 64 hex digits"),
        );
    }
    s
}

fn duplicate(c: &mut Check, field: &str, what_zh: &str, what_en: &str, v: &str) {
    c.fail(
        field,
        "duplicate",
        format!("{what_zh} {v} 重复"),
        format!("{what_en} {v} appears more than once"),
    );
}

/// A sorted set of checked texts.
fn text_set(c: &mut Check, field: &str, v: &[String]) -> Vec<String> {
    let set: BTreeSet<String> = v
        .iter()
        .enumerate()
        .map(|(i, q)| text(c, &format!("{field}[{i}]"), q, SHORT))
        .collect();
    set.into_iter().collect()
}

/// The plan checked field by field and put in canonical form: texts trimmed, codes upper-cased,
/// entries sorted by id or code, sets sorted. Needs no seed beyond its format.
pub(crate) fn canonical(plan: &Plan) -> Result<Plan, DrawError> {
    let algorithm = plan.algorithm.trim();
    if !KNOWN_ALGORITHMS.contains(&algorithm) {
        return Err(DrawError::UnknownAlgorithm(plan.algorithm.clone()));
    }
    let mut c = Check::new();
    let label = text(&mut c, "label", &plan.label, LONG);
    let drawn_at = match plan.drawn_at.trim().parse::<jiff::Timestamp>() {
        Ok(t) => t.to_string(),
        Err(_) => {
            c.fail(
                "drawn_at",
                "invalid_time",
                format!(
                    "drawn_at 须为 RFC 3339 时间（如 2026-12-05T02:00:00Z）：{}",
                    quote(&plan.drawn_at)
                ),
                format!(
                    "drawn_at must be an RFC 3339 time such as 2026-12-05T02:00:00Z: {}",
                    quote(&plan.drawn_at)
                ),
            );
            String::new()
        }
    };

    if plan.check_items.is_empty() {
        c.required("check_items");
    }
    let mut items = Vec::with_capacity(plan.check_items.len());
    for (i, it) in plan.check_items.iter().enumerate() {
        let f = |name: &str| format!("check_items[{i}].{name}");
        let mut it2 = it.clone();
        it2.code = text(&mut c, &f("code"), &it.code, SHORT);
        it2.name = text(&mut c, &f("name"), &it.name, LONG);
        it2.qualifications = text_set(&mut c, &f("qualifications"), &it.qualifications);
        items.push(it2);
    }
    items.sort_by(|a, b| a.code.cmp(&b.code));
    for (i, w) in items.windows(2).enumerate() {
        if !w[0].code.is_empty() && w[0].code == w[1].code {
            duplicate(
                &mut c,
                &format!("check_items[{i}].code"),
                "检查事项编码",
                "check item code",
                &w[0].code,
            );
        }
    }

    if plan.objects.is_empty() {
        c.required("objects");
    }
    let mut objects = Vec::with_capacity(plan.objects.len());
    for (i, o) in plan.objects.iter().enumerate() {
        let f = |name: &str| format!("objects[{i}].{name}");
        let mut o2 = o.clone();
        o2.id = text(&mut c, &f("id"), &o.id, SHORT);
        o2.provider_code = uscc(&mut c, &f("provider_code"), &o.provider_code);
        o2.category = text(&mut c, &f("category"), &o.category, SHORT);
        o2.division_code = match DivisionCode::parse(&o.division_code) {
            Ok(d) => d.as_str().to_string(),
            Err(e) => {
                let field = f("division_code");
                c.fail(
                    &field,
                    "division_code",
                    format!(
                        "{field} 不是有效的统计用区划代码：{}",
                        quote(&o.division_code)
                    ),
                    format!(
                        "{field} is not a valid division code ({e}): {}",
                        quote(&o.division_code)
                    ),
                );
                String::new()
            }
        };
        objects.push(o2);
    }
    objects.sort_by(|a, b| a.id.cmp(&b.id));
    for w in objects.windows(2) {
        if !w[0].id.is_empty() && w[0].id == w[1].id {
            duplicate(&mut c, "objects", "检查对象编号", "object id", &w[0].id);
        }
    }

    if plan.inspectors.is_empty() {
        c.required("inspectors");
    }
    let mut inspectors = Vec::with_capacity(plan.inspectors.len());
    for (i, p) in plan.inspectors.iter().enumerate() {
        let f = |name: &str| format!("inspectors[{i}].{name}");
        let mut p2 = p.clone();
        p2.id = text(&mut c, &f("id"), &p.id, SHORT);
        p2.name = text(&mut c, &f("name"), &p.name, SHORT);
        p2.department = text(&mut c, &f("department"), &p.department, LONG);
        p2.qualifications = text_set(&mut c, &f("qualifications"), &p.qualifications);
        p2.affiliation = p
            .affiliation
            .as_deref()
            .filter(|a| !a.trim().is_empty())
            .map(|a| uscc(&mut c, &f("affiliation"), a));
        let conflicts: BTreeSet<String> = p
            .conflicts
            .iter()
            .enumerate()
            .map(|(j, x)| uscc(&mut c, &format!("inspectors[{i}].conflicts[{j}]"), x))
            .collect();
        p2.conflicts = conflicts.into_iter().collect();
        inspectors.push(p2);
    }
    inspectors.sort_by(|a, b| a.id.cmp(&b.id));
    for w in inspectors.windows(2) {
        if !w[0].id.is_empty() && w[0].id == w[1].id {
            duplicate(
                &mut c,
                "inspectors",
                "检查人员编号",
                "inspector id",
                &w[0].id,
            );
        }
    }

    for class in RiskClass::ALL {
        let r = plan.ratios.of(class);
        if r > 10_000 {
            let field = format!("ratios.{}", class.letter().to_ascii_lowercase());
            c.fail(
                &field,
                "out_of_range",
                format!("{field} 为 {r} 个基点，超过 10000（100%）"),
                format!("{field} is {r} basis points, more than 10000 (100%)"),
            );
        }
    }
    let ipo = plan.inspectors_per_object;
    if !(MIN_INSPECTORS_PER_OBJECT..=MAX_INSPECTORS_PER_OBJECT).contains(&ipo) {
        c.fail(
            "inspectors_per_object",
            "out_of_range",
            format!("inspectors_per_object 须在 {MIN_INSPECTORS_PER_OBJECT} 至 {MAX_INSPECTORS_PER_OBJECT} 之间，实为 {ipo}"),
            format!("inspectors_per_object must be {MIN_INSPECTORS_PER_OBJECT} to {MAX_INSPECTORS_PER_OBJECT}, got {ipo}"),
        );
    }

    let seed = canonical_seed(&mut c, &plan.seed);

    let redraw_of = plan
        .redraw_of
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| sha256_hex(&mut c, "redraw_of", s));
    let redraw_reason = c.opt_text("redraw_reason", &plan.redraw_reason, LONG);
    match (&redraw_of, &redraw_reason) {
        (Some(_), None) => c.fail(
            "redraw_reason",
            "required",
            "重新抽取须说明理由（redraw_reason）".into(),
            "a redraw needs its reason (redraw_reason)".into(),
        ),
        (None, Some(_)) => c.fail(
            "redraw_of",
            "required",
            "给出了重新抽取理由，但缺少被替代抽取的清单哈希（redraw_of）".into(),
            "a redraw reason is given without the hash of the draw it replaces (redraw_of)".into(),
        ),
        _ => {}
    }

    c.finish().map_err(DrawError::Invalid)?;
    Ok(Plan {
        algorithm: algorithm.to_string(),
        label,
        drawn_at,
        check_items: items,
        objects,
        inspectors,
        ratios: plan.ratios,
        inspectors_per_object: ipo,
        seed,
        redraw_of,
        redraw_reason,
    })
}

fn canonical_seed(c: &mut Check, seed: &Seed) -> Seed {
    let commitment = seed
        .commitment
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| sha256_hex(c, "seed.commitment", s));
    let reveal = c.opt_text("seed.reveal", &seed.reveal, LONG);
    if let Some(r) = &reveal {
        if r.chars().count() < MIN_SECRET_CHARS || r.contains('/') {
            c.fail(
                "seed.reveal",
                "weak_secret",
                format!("seed.reveal 须至少 {MIN_SECRET_CHARS} 个字符且不含 /"),
                format!("seed.reveal must have at least {MIN_SECRET_CHARS} characters and no /"),
            );
        }
    }
    let mut public_values = Vec::with_capacity(seed.public_values.len());
    for (i, pv) in seed.public_values.iter().enumerate() {
        let source = text(
            c,
            &format!("seed.public_values[{i}].source"),
            &pv.source,
            LONG,
        );
        let field = format!("seed.public_values[{i}].value");
        let value = text(c, &field, &pv.value, LONG);
        if value.contains('/') {
            c.fail(
                &field,
                "slash",
                format!("{field} 不得含有 /（/ 用于分隔种子来源）"),
                format!("{field} may not contain / (it ends each seed source)"),
            );
        }
        public_values.push(super::PublicValue { source, value });
    }
    public_values.sort_by(|a, b| a.source.cmp(&b.source));
    for w in public_values.windows(2) {
        if !w[0].source.is_empty() && w[0].source == w[1].source {
            duplicate(
                c,
                "seed.public_values",
                "公开数值来源",
                "public value source",
                &w[0].source,
            );
        }
    }
    Seed {
        commitment,
        reveal,
        public_values,
    }
}

/// The rules that do not depend on the seed: ratio caps when a general item is listed.
pub(crate) fn check_rules(canon: &Plan) -> Result<(), DrawError> {
    if let Some(item) = canon
        .check_items
        .iter()
        .find(|i| i.kind == ItemKind::General)
    {
        for class in RiskClass::ALL {
            let (ratio, cap) = (canon.ratios.of(class), class.general_cap());
            if ratio > cap {
                return Err(DrawError::RatioAboveCap {
                    class,
                    ratio,
                    cap,
                    item: item.code.clone(),
                });
            }
        }
    }
    Ok(())
}

/// The key of the seed: the revealed secret (checked against its commitment), then the public
/// values in the order of their sources, each followed by `/`.
pub(crate) fn seed_key(seed: &Seed) -> Result<String, DrawError> {
    let mut key = String::new();
    match (&seed.commitment, &seed.reveal) {
        (Some(_), None) => return Err(DrawError::RevealMissing),
        (None, Some(_)) => return Err(DrawError::CommitmentMissing),
        (Some(commitment), Some(secret)) => {
            let computed = hex_sha256(secret.as_bytes());
            if &computed != commitment {
                return Err(DrawError::RevealMismatch {
                    commitment: commitment.clone(),
                    computed,
                });
            }
            key.push_str(secret);
            key.push('/');
        }
        (None, None) => {}
    }
    for pv in &seed.public_values {
        key.push_str(&pv.value);
        key.push('/');
    }
    if key.is_empty() {
        return Err(DrawError::NoSeed);
    }
    Ok(key)
}

/// For each object (canonical order), the indexes of the inspectors who may check it: every
/// required qualification held, the object's provider neither their affiliation nor a declared
/// conflict. Refuses the plan when one object has fewer than `inspectors_per_object`.
pub(crate) fn eligibility(canon: &Plan) -> Result<Vec<Vec<usize>>, DrawError> {
    let required: BTreeSet<&str> = canon
        .check_items
        .iter()
        .flat_map(|i| i.qualifications.iter().map(String::as_str))
        .collect();
    let qualified: Vec<usize> = canon
        .inspectors
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            required.iter().all(|q| {
                p.qualifications
                    .binary_search_by(|h| h.as_str().cmp(q))
                    .is_ok()
            })
        })
        .map(|(i, _)| i)
        .collect();
    let mut out = Vec::with_capacity(canon.objects.len());
    for o in &canon.objects {
        let eligible: Vec<usize> = qualified
            .iter()
            .copied()
            .filter(|&i| !conflicted(&canon.inspectors[i], &o.provider_code))
            .collect();
        if eligible.len() < canon.inspectors_per_object as usize {
            return Err(DrawError::Unstaffable {
                object: o.id.clone(),
                provider_code: o.provider_code.clone(),
                eligible: eligible.len(),
                needed: canon.inspectors_per_object,
            });
        }
        out.push(eligible);
    }
    Ok(out)
}

/// Whether an inspector must recuse from a provider's object.
pub fn conflicted(p: &super::Inspector, provider_code: &str) -> bool {
    p.affiliation.as_deref() == Some(provider_code)
        || p.conflicts.iter().any(|c| c == provider_code)
}

/// A value as an error message shows it: quoted, cut after 60 characters.
fn quote(v: &str) -> String {
    let mut s: String = v.chars().take(60).collect();
    if v.chars().count() > 60 {
        s.push('…');
    }
    format!("{s:?}")
}
