//! `summary.xlsx` for government users: sheets summary, indicators, shortcomings, communities,
//! recommended_sites (when candidate sites were given) and definitions.

use crate::{
    categories_text, fmt_num, kind_key, recommended_rows, required_text, Report, ReportError,
    DEFINITION_COLUMNS, INDICATOR_COLUMNS, RECOMMENDED_COLUMNS, RECOMMENDED_TEXT_COLUMNS,
};
use lc_assess::IndicatorRow;
use lc_standards::RegionLevel;
use rust_xlsxwriter::{Format, Workbook, Worksheet};

/// At most this many rows go into the workbook's indicators sheet. Past it, the rows of single
/// communities are left out (every region's row stays; `indicators.csv` has them all and the
/// sheet says so): a province has hundreds of thousands of community rows, more than anyone
/// reads in Excel, which took most of the province's report time, and a country's would pass
/// Excel's limit of 1,048,576 rows.
pub const XLSX_INDICATOR_ROWS: usize = 200_000;

/// The indicator rows the sheet shows: all of them when they fit in `cap`, else those of regions
/// (not single communities), at most `cap`, in their order.
fn sheet_indicator_rows(all: &[IndicatorRow], cap: usize) -> Vec<&IndicatorRow> {
    if all.len() <= cap {
        return all.iter().collect();
    }
    all.iter()
        .filter(|r| r.level != RegionLevel::Community)
        .take(cap)
        .collect()
}

/// At most this many shortcoming rows go into the workbook (the CSV has them all); the sheet
/// says so when it is cut. Rows are in rank order, so the cut keeps the worst gaps.
pub const XLSX_SHORTCOMING_ROWS: usize = 20_000;

fn header(ws: &mut Worksheet, cols: &[&str], bold: &Format) -> Result<(), ReportError> {
    for (i, c) in cols.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, *c, bold)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

fn num_or_blank(ws: &mut Worksheet, r: u32, c: u16, v: Option<f64>) -> Result<(), ReportError> {
    if let Some(v) = v {
        ws.write_number(r, c, v)?;
    }
    Ok(())
}

/// Renders the workbook to bytes.
pub fn summary_xlsx(r: &Report) -> Result<Vec<u8>, ReportError> {
    let a = r.assessment;
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();

    // Summary: facts, then each plan's headline indicators.
    let ws = wb.add_worksheet();
    ws.set_name("summary")?;
    ws.set_column_width(0, 46)?;
    ws.set_column_width(1, 60)?;
    ws.write_string_with_format(0, 0, "livingcircle 评估 assessment", &bold)?;
    ws.write_string(0, 1, &r.title)?;
    let (pop, n) = r.affected();
    let mut facts = r.facts.clone();
    facts.push(("社区 communities".into(), r.communities.len().to_string()));
    facts.push((
        "未达标社区 communities with a shortcoming".into(),
        n.to_string(),
    ));
    facts.push(("受影响人口 people affected".into(), fmt_num(pop)));
    facts.push((
        "缺项 shortcomings (community × requirement)".into(),
        a.shortcomings.len().to_string(),
    ));
    let mut row = 2u32;
    for (k, v) in &facts {
        ws.write_string(row, 0, k)?;
        match v.parse::<f64>() {
            Ok(x) if !v.is_empty() => ws.write_number(row, 1, x)?,
            _ => ws.write_string(row, 1, v)?,
        };
        row += 1;
    }
    row += 1;
    ws.write_string_with_format(row, 0, "指标（全部）headline indicators", &bold)?;
    row += 1;
    for (c, h) in ["indicator", "value", "target", "met"].iter().enumerate() {
        ws.write_string_with_format(row, c as u16, *h, &bold)?;
    }
    row += 1;
    for ir in r.headline() {
        let p = &r.plans[ir.plan];
        let ind = &p.indicators[ir.indicator];
        ws.write_string(
            row,
            0,
            format!("{} {} {}", ind.id, ind.name_zh, ind.name_en),
        )?;
        num_or_blank(ws, row, 1, ir.value)?;
        ws.write_string(row, 2, crate::target_text(ind))?;
        ws.write_string(
            row,
            3,
            match ir.met {
                Some(true) => "yes 达标",
                Some(false) => "no 未达标",
                None if ind.threshold.is_none() && ir.value.is_some() => "monitoring 监测",
                None => "not computable 无法计算",
            },
        )?;
        row += 1;
    }

    // Indicators (the same columns as indicators.csv, numbers as numbers), shortcomings and
    // communities: the large sheets, written row by row in constant-memory mode (strings inline,
    // no shared table), their rows on all threads. Their headers are written first, here: the
    // bold format is then known to the workbook before the threads look it up (two threads
    // adding one format at once could give it two indexes).
    let mut large = [
        wb.new_worksheet_with_constant_memory(),
        wb.new_worksheet_with_constant_memory(),
        wb.new_worksheet_with_constant_memory(),
    ];
    let names = [
        ("indicators", INDICATOR_COLUMNS),
        ("shortcomings", SHORTCOMING_COLUMNS),
        ("communities", COMMUNITY_COLUMNS),
    ];
    for (ws, (name, cols)) in large.iter_mut().zip(names) {
        ws.set_name(name)?;
        header(ws, cols, &bold)?;
    }
    let [ind_ws, short_ws, comm_ws] = &mut large;
    let (ind, (short, comm)) = rayon::join(
        || indicator_rows(r, ind_ws),
        || {
            rayon::join(
                || shortcoming_rows(r, short_ws),
                || community_rows(r, comm_ws),
            )
        },
    );
    ind?;
    short?;
    comm?;
    for ws in large {
        wb.push_worksheet(ws);
    }
    // Recommended sites (when candidate sites were given): the columns of recommended_sites.csv,
    // numbers as numbers.
    if !r.recommendations.is_empty() {
        let ws = wb.add_worksheet();
        ws.set_name("recommended_sites")?;
        header(ws, &RECOMMENDED_COLUMNS, &bold)?;
        for (k, cells) in recommended_rows(r).iter().enumerate() {
            let row = k as u32 + 1;
            for (c, v) in cells.iter().enumerate() {
                match v.parse::<f64>() {
                    Ok(x) if !RECOMMENDED_TEXT_COLUMNS.contains(&RECOMMENDED_COLUMNS[c]) => {
                        ws.write_number(row, c as u16, x)?
                    }
                    _ => ws.write_string(row, c as u16, v)?,
                };
            }
        }
    }
    // Definitions: one row per indicator, with the plan's sentence.
    let ws = wb.add_worksheet();
    ws.set_name("definitions")?;
    header(ws, DEFINITION_COLUMNS, &bold)?;
    let mut row = 1u32;
    for p in r.plans {
        for ind in &p.indicators {
            ws.write_string(row, 0, &p.id)?;
            ws.write_string(row, 1, &ind.id)?;
            ws.write_string(row, 2, &ind.name_zh)?;
            ws.write_string(row, 3, &ind.name_en)?;
            ws.write_string(row, 4, kind_key(&ind.kind))?;
            ws.write_string(row, 5, &ind.unit)?;
            ws.write_string(row, 6, crate::target_cells(ind).0)?;
            num_or_blank(ws, row, 7, ind.threshold)?;
            ws.write_string(row, 8, ind.status.label())?;
            ws.write_string(row, 9, &ind.definition)?;
            ws.write_string(row, 10, &ind.quote)?;
            ws.write_string(row, 11, &p.document)?;
            row += 1;
        }
    }
    Ok(wb.save_to_buffer()?)
}

/// The shortcomings sheet's columns.
const SHORTCOMING_COLUMNS: &[&str] = &[
    "rank",
    "community_id",
    "community_name",
    "division_code",
    "standard",
    "requirement_id",
    "requirement_zh",
    "requirement_en",
    "obligation",
    "status",
    "categories",
    "required",
    "found_nearest_m",
    "found_count",
    "found_ratio",
    "population_affected",
];

/// The communities sheet's columns.
const COMMUNITY_COLUMNS: &[&str] = &[
    "rank",
    "community_id",
    "community_name",
    "division_code",
    "division_name",
    "population",
    "placed",
    "required",
    "met",
    "short_required",
    "short_recommended",
    "not_computable",
    "share_met",
    "person_shortcomings",
];

/// The indicators sheet's rows (its header is written).
fn indicator_rows(r: &Report, ws: &mut Worksheet) -> Result<(), ReportError> {
    let a = r.assessment;
    let shown = sheet_indicator_rows(&a.indicators, XLSX_INDICATOR_ROWS);
    for (i, ir) in shown.iter().enumerate() {
        let row = i as u32 + 1;
        let p = &r.plans[ir.plan];
        let ind = &p.indicators[ir.indicator];
        ws.write_string(row, 0, &p.id)?;
        ws.write_string(row, 1, &ind.id)?;
        ws.write_string(row, 2, &ind.name_zh)?;
        ws.write_string(row, 3, &ind.name_en)?;
        ws.write_string(row, 4, ir.level.key())?;
        ws.write_string(row, 5, &ir.region)?;
        ws.write_string(row, 6, ir.region_name.as_deref().unwrap_or(""))?;
        ws.write_string(row, 7, ir.scope.key())?;
        ws.write_number(row, 8, ir.communities as f64)?;
        ws.write_number(row, 9, ir.population)?;
        num_or_blank(ws, row, 10, ir.value)?;
        ws.write_string(row, 11, &ind.unit)?;
        ws.write_string(row, 12, crate::target_cells(ind).0)?;
        num_or_blank(ws, row, 13, ind.threshold)?;
        ws.write_string(
            row,
            14,
            match ir.met {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            },
        )?;
        num_or_blank(ws, row, 15, ir.gap)?;
        ws.write_number(row, 16, ir.numerator)?;
        ws.write_number(row, 17, ir.denominator)?;
        ws.write_string(row, 18, ind.status.label())?;
        ws.write_string(row, 19, &ir.note)?;
        ws.write_string(row, 20, ir.basis.key())?;
        num_or_blank(ws, row, 21, ir.walking_value)?;
        ws.write_string(row, 22, ind.scope.communities.key())?;
        ws.write_string(row, 23, ind.scope.units.key())?;
        ws.write_number(row, 24, ir.off_network as f64)?;
    }
    if !shown.is_empty() {
        ws.autofilter(0, 0, shown.len() as u32, INDICATOR_COLUMNS.len() as u16 - 1)?;
    }
    if shown.len() < a.indicators.len() {
        ws.write_string(
            shown.len() as u32 + 2,
            0,
            format!(
                "仅列 {} 行（不含单个社区的行）/ {} of {} rows, without the rows of single communities; indicators.csv has them all",
                shown.len(),
                shown.len(),
                a.indicators.len()
            ),
        )?;
    }
    Ok(())
}

/// The shortcomings sheet's rows, in rank order (its header is written).
fn shortcoming_rows(r: &Report, ws: &mut Worksheet) -> Result<(), ReportError> {
    let a = r.assessment;
    let ranks = r.ranks();
    let shown = a.shortcomings.len().min(XLSX_SHORTCOMING_ROWS);
    for (i, sc) in a.shortcomings.iter().take(shown).enumerate() {
        let row = i as u32 + 1;
        let c = &r.communities[sc.community];
        let (st, req) = r.requirement(sc.requirement);
        let chk = a.check(sc.community, sc.requirement);
        ws.write_number(row, 0, ranks[sc.community] as f64)?;
        ws.write_string(row, 1, &c.id)?;
        ws.write_string(row, 2, &c.name)?;
        ws.write_string(row, 3, c.division_code.as_deref().unwrap_or(""))?;
        ws.write_string(row, 4, &st.id)?;
        ws.write_string(row, 5, &req.id)?;
        ws.write_string(row, 6, &req.name_zh)?;
        ws.write_string(row, 7, &req.name_en)?;
        ws.write_string(row, 8, req.obligation.key())?;
        ws.write_string(row, 9, req.status.label())?;
        ws.write_string(row, 10, categories_text(req))?;
        ws.write_string(row, 11, required_text(req))?;
        num_or_blank(
            ws,
            row,
            12,
            chk.nearest_m().map(|d| (d * 10.0).round() / 10.0),
        )?;
        ws.write_number(row, 13, chk.count as f64)?;
        num_or_blank(ws, row, 14, chk.ratio())?;
        ws.write_number(row, 15, c.population)?;
    }
    if shown < a.shortcomings.len() {
        ws.write_string(
            shown as u32 + 2,
            0,
            format!(
                "仅列前 {shown} 行 / first {shown} of {} rows; shortcomings.csv has them all",
                a.shortcomings.len()
            ),
        )?;
    }
    Ok(())
}

/// The communities sheet's rows, in rank order (its header is written).
fn community_rows(r: &Report, ws: &mut Worksheet) -> Result<(), ReportError> {
    let a = r.assessment;
    for (k, &i) in a.ranking.iter().enumerate() {
        let row = k as u32 + 1;
        let c = &r.communities[i];
        let s = &a.status[i];
        ws.write_number(row, 0, (k + 1) as f64)?;
        ws.write_string(row, 1, &c.id)?;
        ws.write_string(row, 2, &c.name)?;
        ws.write_string(row, 3, c.division_code.as_deref().unwrap_or(""))?;
        ws.write_string(row, 4, r.division_name(c.division_code.as_deref()))?;
        ws.write_number(row, 5, c.population)?;
        ws.write_string(row, 6, if s.placed { "yes" } else { "no" })?;
        ws.write_number(row, 7, s.required as f64)?;
        ws.write_number(row, 8, s.met as f64)?;
        ws.write_number(row, 9, s.short_required as f64)?;
        ws.write_number(row, 10, s.short_recommended as f64)?;
        ws.write_number(row, 11, s.not_computable as f64)?;
        num_or_blank(ws, row, 12, s.share_met())?;
        ws.write_number(row, 13, s.score)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lc_assess::{Basis, Scope};

    fn row(level: RegionLevel, region: &str) -> IndicatorRow {
        IndicatorRow {
            plan: 0,
            indicator: 0,
            level,
            region: region.to_string(),
            region_name: None,
            scope: Scope::Own,
            communities: 1,
            population: 100.0,
            off_network: 0,
            basis: Basis::Access,
            numerator: 1.0,
            denominator: 1.0,
            value: Some(100.0),
            walking_value: None,
            met: None,
            gap: None,
            note: String::new(),
        }
    }

    #[test]
    fn the_indicator_sheet_drops_single_communities_only_past_its_cap() {
        let rows = vec![
            row(RegionLevel::All, ""),
            row(RegionLevel::Community, "C1"),
            row(RegionLevel::Street, "620105001"),
            row(RegionLevel::Community, "C2"),
            row(RegionLevel::District, "620105"),
        ];
        let regions =
            |v: Vec<&IndicatorRow>| v.iter().map(|r| r.region.clone()).collect::<Vec<_>>();
        // Within the cap: every row, in order.
        assert_eq!(
            regions(sheet_indicator_rows(&rows, 5)),
            ["", "C1", "620105001", "C2", "620105"]
        );
        // Past it: the regions' rows, in order, then cut at the cap.
        assert_eq!(
            regions(sheet_indicator_rows(&rows, 4)),
            ["", "620105001", "620105"]
        );
        assert_eq!(regions(sheet_indicator_rows(&rows, 2)), ["", "620105001"]);
    }
}
