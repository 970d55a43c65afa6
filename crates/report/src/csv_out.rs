//! The CSV outputs: shortcomings, indicators, targets that need other data.

use crate::{categories_text, fmt_num, required_text, Report};
use lc_standards::Rule;

/// Quotes a CSV field when it needs it.
fn field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

fn row(out: &mut String, cells: &[&str]) {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(out, c);
    }
    out.push('\n');
}

fn opt(x: Option<f64>) -> String {
    x.map(fmt_num).unwrap_or_default()
}

/// `shortcomings.csv`: one row per community and unmet requirement, communities in rank order.
/// Returns the text and the number of rows.
pub fn shortcomings_csv(r: &Report) -> (String, usize) {
    let a = r.assessment;
    let ranks = r.ranks();
    let mut s = String::with_capacity(a.shortcomings.len() * 200 + 256);
    s.push_str("rank,community_id,community_name,division_code,division_name,standard,requirement_id,requirement_zh,requirement_en,obligation,status,categories,required,required_distance_m,required_amount,found_nearest_m,found_count,found_ratio,population_affected\n");
    let mut names: Vec<Option<String>> = vec![None; r.communities.len()];
    for sc in &a.shortcomings {
        let c = &r.communities[sc.community];
        let (st, req) = r.requirement(sc.requirement);
        let chk = a.check(sc.community, sc.requirement);
        let name = names[sc.community]
            .get_or_insert_with(|| r.division_name(c.division_code.as_deref()))
            .clone();
        let (dist, amount) = match &req.rule {
            Rule::Within {
                distance_m,
                min_count,
                ..
            } => (fmt_num(*distance_m), min_count.to_string()),
            Rule::Ratio { min, .. } => (String::new(), fmt_num(*min)),
        };
        row(
            &mut s,
            &[
                &ranks[sc.community].to_string(),
                &c.id,
                &c.name,
                c.division_code.as_deref().unwrap_or(""),
                &name,
                &st.id,
                &req.id,
                &req.name_zh,
                &req.name_en,
                req.obligation.key(),
                req.status.label(),
                &categories_text(req),
                &required_text(req),
                &dist,
                &amount,
                &chk.nearest_m.map(|d| format!("{d:.1}")).unwrap_or_default(),
                &chk.count.to_string(),
                &opt(chk.ratio),
                &fmt_num(c.population),
            ],
        );
    }
    (s, a.shortcomings.len())
}

/// The columns of `indicators.csv`.
pub const INDICATOR_COLUMNS: &[&str] = &[
    "plan",
    "indicator",
    "name_zh",
    "name_en",
    "level",
    "region_code",
    "region_name",
    "scope",
    "communities",
    "population",
    "value",
    "unit",
    "comparison",
    "target",
    "met",
    "gap",
    "numerator",
    "denominator",
    "status",
    "note",
    "definition",
    "source_quote",
];

/// `indicators.csv`: one row per indicator, level and region.
pub fn indicators_csv(r: &Report) -> String {
    let mut s = INDICATOR_COLUMNS.join(",");
    s.push('\n');
    for row_ in &r.assessment.indicators {
        let p = &r.plans[row_.plan];
        let ind = &p.indicators[row_.indicator];
        row(
            &mut s,
            &[
                &p.id,
                &ind.id,
                &ind.name_zh,
                &ind.name_en,
                row_.level.key(),
                &row_.region,
                row_.region_name.as_deref().unwrap_or(""),
                row_.scope.key(),
                &row_.communities.to_string(),
                &fmt_num(row_.population),
                &opt(row_.value),
                &ind.unit,
                ind.comparison.symbol(),
                &fmt_num(ind.threshold),
                match row_.met {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "",
                },
                &opt(row_.gap),
                &fmt_num(row_.numerator),
                &fmt_num(row_.denominator),
                ind.status.label(),
                &row_.note,
                &ind.definition,
                &ind.quote,
            ],
        );
    }
    s
}

/// `unavailable.csv`: the targets that need data livingcircle does not hold.
pub fn unavailable_csv(r: &Report) -> String {
    let mut s = String::from("plan,indicator,name_zh,name_en,target,needs,source_quote\n");
    for p in r.plans {
        for u in &p.unavailable {
            row(
                &mut s,
                &[&p.id, &u.id, &u.name_zh, &u.name_en, &u.target, &u.needs, &u.quote],
            );
        }
    }
    s
}
