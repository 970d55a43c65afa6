//! The CSV outputs: shortcomings, indicators, targets that need other data.

use crate::{categories_text, fmt_num, required_text, Report};
use lc_standards::Rule;
use std::fmt::Write as _;
use std::io;

/// Rows rendered into a text buffer and handed to a writer in pieces of about a megabyte: the
/// province's files (a gigabyte of shortcomings, 5.7 million facilities) are never held whole.
pub(crate) struct Sink<'w> {
    out: &'w mut dyn io::Write,
    /// The rows not yet handed over.
    pub(crate) buf: String,
}

impl<'w> Sink<'w> {
    pub(crate) fn new(out: &'w mut dyn io::Write) -> Sink<'w> {
        Sink {
            out,
            buf: String::with_capacity(1 << 21),
        }
    }

    /// Hands the buffer over once it holds a megabyte.
    pub(crate) fn row_done(&mut self) -> io::Result<()> {
        if self.buf.len() >= 1 << 20 {
            self.out.write_all(self.buf.as_bytes())?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Hands over the rest.
    pub(crate) fn finish(self) -> io::Result<()> {
        self.out.write_all(self.buf.as_bytes())
    }
}

/// Renders a streaming writer's output into a string (for callers that want the text).
pub(crate) fn to_string<T>(write: impl FnOnce(&mut dyn io::Write) -> io::Result<T>) -> (String, T) {
    let mut bytes = Vec::new();
    // Writing into a vector cannot fail, and every writer writes UTF-8 text.
    let n = write(&mut bytes).unwrap_or_else(|e| unreachable!("writing to memory: {e}"));
    let text = String::from_utf8(bytes).unwrap_or_else(|e| unreachable!("CSV text: {e}"));
    (text, n)
}

/// Quotes a CSV field when it needs it.
fn field(out: &mut String, s: &str) {
    // Byte by byte: the four are ASCII, which never occurs inside a multi-byte character, and a
    // char pattern decodes every character (most of a province's `facilities.csv` names are
    // Chinese).
    if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
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

/// Appends `x` exactly as `{}` writes it (the shortest digits that read back as `x`, never an
/// exponent). Where ryu writes the same text (it adds `.0` to whole numbers, which is removed)
/// it is used: the 11.4 million coordinates of a province's `facilities.csv` were most of that
/// file's time through `std::fmt`.
pub(crate) fn push_shortest(out: &mut String, x: f64) {
    if (1e-4..1e15).contains(&x.abs()) {
        let mut b = ryu::Buffer::new();
        let s = b.format_finite(x);
        out.push_str(s.strip_suffix(".0").unwrap_or(s));
    } else {
        let _ = write!(out, "{x}");
    }
}

fn opt(x: Option<f64>) -> String {
    x.map(fmt_num).unwrap_or_default()
}

/// `shortcomings.csv`: one row per community and unmet requirement, communities in rank order.
/// Returns the text and the number of rows.
pub fn shortcomings_csv(r: &Report) -> (String, usize) {
    to_string(|w| write_shortcomings_csv(r, w))
}

/// [`shortcomings_csv`] written to `out` as it is rendered; returns the number of rows.
pub fn write_shortcomings_csv(r: &Report, out: &mut dyn io::Write) -> io::Result<usize> {
    let a = r.assessment;
    let ranks = r.ranks();
    // The requirement's part of a row is the same for every community: render it once.
    let req_part: Vec<String> = (0..a.requirements.len())
        .map(|ri| {
            let (st, req) = r.requirement(ri);
            let (dist, amount) = match &req.rule {
                Rule::Within {
                    distance_m,
                    min_count,
                    ..
                } => (fmt_num(*distance_m), min_count.to_string()),
                Rule::Ratio { min, .. } => (String::new(), fmt_num(*min)),
            };
            let mut s = String::new();
            row(
                &mut s,
                &[
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
                ],
            );
            s.pop(); // the newline
            s
        })
        .collect();
    let mut sink = Sink::new(out);
    sink.buf.push_str("rank,community_id,community_name,division_code,division_name,standard,requirement_id,requirement_zh,requirement_en,obligation,status,categories,required,required_distance_m,required_amount,found_nearest_m,found_count,found_ratio,population_affected\n");
    let mut last = usize::MAX;
    let mut comm_part = String::new();
    let mut population = String::new();
    let mut tail = String::new();
    for sc in &a.shortcomings {
        let c = &r.communities[sc.community];
        if sc.community != last {
            last = sc.community;
            comm_part.clear();
            row(
                &mut comm_part,
                &[
                    &ranks[sc.community].to_string(),
                    &c.id,
                    &c.name,
                    c.division_code.as_deref().unwrap_or(""),
                    &r.division_name(c.division_code.as_deref()),
                ],
            );
            comm_part.pop();
            population = fmt_num(c.population);
        }
        let chk = a.check(sc.community, sc.requirement);
        sink.buf.push_str(&comm_part);
        sink.buf.push(',');
        sink.buf.push_str(&req_part[sc.requirement]);
        tail.clear();
        if let Some(d) = chk.nearest_m() {
            let _ = write!(tail, ",{d:.1}");
        } else {
            tail.push(',');
        }
        let _ = writeln!(tail, ",{},{},{population}", chk.count, opt(chk.ratio()));
        sink.buf.push_str(&tail);
        sink.row_done()?;
    }
    sink.finish()?;
    Ok(a.shortcomings.len())
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
    "basis",
    "walking_value",
    "communities_scope",
    "units_scope",
    "off_network",
];

/// `indicators.csv`: one row per indicator, level and region.
pub fn indicators_csv(r: &Report) -> String {
    to_string(|w| write_indicators_csv(r, w)).0
}

/// [`indicators_csv`] written to `out` as it is rendered.
pub fn write_indicators_csv(r: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    let mut sink = Sink::new(out);
    sink.buf.push_str(&INDICATOR_COLUMNS.join(","));
    sink.buf.push('\n');
    for row_ in &r.assessment.indicators {
        let p = &r.plans[row_.plan];
        let ind = &p.indicators[row_.indicator];
        let (cmp, target) = crate::target_cells(ind);
        row(
            &mut sink.buf,
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
                cmp,
                &target,
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
                row_.basis.key(),
                &opt(row_.walking_value),
                ind.scope.communities.key(),
                ind.scope.units.key(),
                &row_.off_network.to_string(),
            ],
        );
        sink.row_done()?;
    }
    sink.finish()
}

/// The columns of `indicator_definitions.csv`.
pub const DEFINITION_COLUMNS: &[&str] = &[
    "plan",
    "indicator",
    "name_zh",
    "name_en",
    "kind",
    "unit",
    "comparison",
    "target",
    "status",
    "definition",
    "source_quote",
    "document",
    "communities_scope",
    "units_scope",
    "scope_note",
];

/// `indicator_definitions.csv`: one row per indicator, with the definition used and the plan's
/// sentence (kept out of `indicators.csv`, where they would repeat on every region's row).
pub fn definitions_csv(r: &Report) -> String {
    let mut s = DEFINITION_COLUMNS.join(",");
    s.push('\n');
    for p in r.plans {
        for ind in &p.indicators {
            let (cmp, target) = crate::target_cells(ind);
            row(
                &mut s,
                &[
                    &p.id,
                    &ind.id,
                    &ind.name_zh,
                    &ind.name_en,
                    crate::kind_key(&ind.kind),
                    &ind.unit,
                    cmp,
                    &target,
                    ind.status.label(),
                    &ind.definition,
                    &ind.quote,
                    &p.document,
                    ind.scope.communities.key(),
                    ind.scope.units.key(),
                    &ind.scope.note,
                ],
            );
        }
    }
    s
}

/// Floor area at or under which a community service facility qualifies for the simplified fire
/// acceptance filing: 「对建筑面积300平方米以下或总投资30万元以下的社区服务设施…优化办理消防验收备案手续」
/// (000 art. 25; 001, 002, 004). 以下 includes the number itself.
pub const SIMPLIFIED_FIRE_FILING_M2: f64 = 300.0;

/// `facilities.csv` of the assessment: every facility counted, the region it stands in and how
/// that was known, and whether its floor area qualifies it for the simplified fire filing
/// (`yes`, `no` — by area; the investment criterion needs data livingcircle does not hold — or
/// empty when the area is unknown).
pub fn facilities_csv(r: &Report) -> String {
    to_string(|w| write_facilities_csv(r, w)).0
}

/// [`facilities_csv`] written to `out` as it is rendered.
pub fn write_facilities_csv(r: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    let regions = &r.assessment.facility_regions;
    let codes = regions.codes();
    // Each region's name once (a province: tens of thousands of codes, millions of facilities).
    let names: Vec<String> = codes.iter().map(|c| r.division_name(Some(c))).collect();
    let mut sink = Sink::new(out);
    sink.buf.push_str("facility_id,name,category,category_zh,lon,lat,capacity,floor_area_m2,region_code,region_name,region_from,simplified_fire_filing\n");
    let facilities = r.facilities;
    for i in 0..facilities.len() {
        let code = regions.code_index(i);
        let from = match code {
            None => "",
            Some(_) if regions.by_nearest(i) => "nearest_community",
            Some(_) => "division_code",
        };
        let (category, pos) = (facilities.category(i), facilities.pos(i));
        let fire = match facilities.floor_area_m2(i) {
            Some(m2) if m2 <= SIMPLIFIED_FIRE_FILING_M2 => "yes",
            Some(_) => "no",
            None => "",
        };
        let b = &mut sink.buf;
        field(b, facilities.id(i));
        b.push(',');
        field(b, facilities.name(i));
        b.push(',');
        field(b, category.key());
        b.push(',');
        field(b, category.info().zh);
        b.push(',');
        push_shortest(b, pos.lon);
        b.push(',');
        push_shortest(b, pos.lat);
        b.push(',');
        if let Some(c) = facilities.capacity(i) {
            b.push_str(&fmt_num(c));
        }
        b.push(',');
        if let Some(m2) = facilities.floor_area_m2(i) {
            b.push_str(&fmt_num(m2));
        }
        b.push(',');
        if let Some(c) = code {
            field(b, &codes[c]);
            b.push(',');
            field(b, &names[c]);
        } else {
            b.push(',');
        }
        b.push(',');
        b.push_str(from);
        b.push(',');
        b.push_str(fire);
        b.push('\n');
        sink.row_done()?;
    }
    sink.finish()
}

/// `unavailable.csv`: the targets that need data livingcircle does not hold.
pub fn unavailable_csv(r: &Report) -> String {
    let mut s = String::from("plan,indicator,name_zh,name_en,target,needs,source_quote\n");
    for p in r.plans {
        for u in &p.unavailable {
            row(
                &mut s,
                &[
                    &p.id, &u.id, &u.name_zh, &u.name_en, &u.target, &u.needs, &u.quote,
                ],
            );
        }
    }
    s
}

/// `recommended_sites.csv`: one row per proposed site (header only when there are none).
pub fn recommended_csv(r: &Report) -> String {
    let mut out = String::new();
    row(&mut out, &crate::RECOMMENDED_COLUMNS);
    for cells in crate::recommended_rows(r) {
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        row(&mut out, &refs);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::push_shortest;
    use proptest::prelude::*;

    fn shortest(x: f64) -> String {
        let mut s = String::new();
        push_shortest(&mut s, x);
        s
    }

    #[test]
    fn shortest_writes_what_display_writes_at_the_edges() {
        for x in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            1e-4,
            9.99e-5,
            1e-5,
            1e15,
            1e15 - 1.0,
            1e16,
            1e21,
            1e-7,
            103.812345,
            -33.5,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            123456789012345.6,
        ] {
            assert_eq!(shortest(x), format!("{x}"), "{x:e}");
        }
    }

    proptest! {
        #[test]
        fn shortest_writes_what_display_writes(bits in any::<u64>()) {
            let x = f64::from_bits(bits);
            prop_assert_eq!(shortest(x), format!("{x}"));
        }

        #[test]
        fn shortest_writes_coordinates_as_display_does(x in -180.0f64..180.0) {
            prop_assert_eq!(shortest(x), format!("{x}"));
        }

        #[test]
        fn shortest_writes_whole_and_small_numbers_as_display_does(
            n in -1_000_000_000i64..1_000_000_000, e in -6i32..6
        ) {
            let x = n as f64 * 10f64.powi(e);
            prop_assert_eq!(shortest(x), format!("{x}"));
        }
    }
}
