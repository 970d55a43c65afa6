//! `release.html`: the release as one self-contained page (the assessment report's styles; the
//! trend charts as inline SVG; nothing fetched).

use std::fmt::Write as _;

use super::{axis_label, chart, Cell, Release, Trend};
use crate::html::{esc, STYLE};

const EXTRA: &str = r#"
.trends{display:flex;flex-wrap:wrap;gap:14px}
.trend{flex:1 1 320px}
.trend h3{font-size:14px;margin:6px 0 2px}
svg.chart{background:#fafbfc;border:1px solid #e3e3e3;border-radius:4px}
.withheld{color:#8a5a00}
"#;

const W: f32 = 340.0;
const H: f32 = 150.0;

fn svg_trend(h: &mut String, t: &Trend) {
    let g = chart(t, W, H);
    let _ = write!(
        h,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{} {}\">",
        esc(&t.indicator.name_zh),
        esc(&t.indicator.name_en)
    );
    let (left, _) = super::CHART_PAD;
    let _ = write!(
        h,
        "<line x1=\"{left}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#999\"/><line x1=\"{left}\" y1=\"8\" x2=\"{left}\" y2=\"{b}\" stroke=\"#999\"/>\
         <text x=\"{x}\" y=\"14\" font-size=\"9\" text-anchor=\"end\">{top}</text><text x=\"{x}\" y=\"{b}\" font-size=\"9\" text-anchor=\"end\">0</text>",
        b = g.baseline,
        r = W - 8.0,
        x = left - 3.0,
        top = esc(&axis_label(&g, t.indicator.percent)),
    );
    if let Some(y) = g.target_y {
        let _ = write!(
            h,
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{r}\" y2=\"{y:.1}\" stroke=\"#c0392b\" stroke-dasharray=\"5 3\"><title>2025 目标 target</title></line>",
            r = W - 8.0
        );
    }
    for line in &g.lines {
        let pts: Vec<String> = line.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ = write!(
            h,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#1f4e79\" stroke-width=\"2\"/>",
            pts.join(" ")
        );
    }
    for (x, y) in &g.dots {
        let _ = write!(
            h,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"#1f4e79\"/>"
        );
    }
    for (i, p) in t.points.iter().enumerate() {
        let _ = write!(
            h,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" text-anchor=\"middle\">{}<title>{}</title></text>",
            g.xs[i],
            H - 4.0,
            esc(&p.period.label_en()),
            esc(&p.cell.text(t.indicator.percent))
        );
    }
    h.push_str("</svg>");
}

fn cell_td(c: &Cell, percent: bool) -> String {
    let class = match c {
        Cell::Suppressed => "num withheld",
        Cell::Missing => "num na",
        Cell::Value { .. } => "num",
    };
    format!("<td class=\"{class}\">{}</td>", esc(&c.text(percent)))
}

/// Renders the release as one HTML page.
pub fn release_html(r: &Release) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{} {}</title>\n<style>{STYLE}{EXTRA}</style>\n</head>\n<body>\n<header><h1>{}</h1><p>{}</p><p>区划代码 Division code {} · {} / {} · 发布日期 Made on {}</p></header>\n<main>",
        esc(&r.title_zh),
        esc(&r.title_en),
        esc(&r.title_zh),
        esc(&r.title_en),
        esc(&r.region.code),
        esc(&r.period.label_zh()),
        esc(&r.period.label_en()),
        esc(&r.made_on),
    );

    h.push_str("<section id=\"headlines\"><h2>主要数据 Headline figures</h2><table><tr><th>指标 Indicator</th><th>本期 This period</th><th>上期 Previous period</th><th>2025年目标 2025 target</th></tr>");
    for x in &r.headlines {
        let p = x.indicator.percent;
        let target = match &x.target {
            None => "<td class=\"na\">—</td>".to_string(),
            Some(t) => {
                let state = match t.met {
                    Some(true) => "<span class=\"met\">已达到 met</span>",
                    Some(false) => "<span class=\"short\">未达到 not met</span>",
                    None => "<span class=\"na\">无法判断 unknown</span>",
                };
                format!(
                    "<td>{} {} ({} {} {}) {state}</td>",
                    esc(&t.comparison),
                    super::super::fmt_num(t.threshold),
                    esc(&t.plan_indicator),
                    esc(&t.plan),
                    t.year
                )
            }
        };
        let _ = write!(
            h,
            "<tr><td>{}<br><span class=\"note\">{} · {}</span></td>{}{}{target}</tr>",
            esc(&x.indicator.name_zh),
            esc(&x.indicator.name_en),
            esc(&x.indicator.unit),
            cell_td(&x.current, p),
            cell_td(&x.previous, p),
        );
    }
    h.push_str("</table></section>\n");

    h.push_str("<section id=\"trends\"><h2>趋势与2025年目标 Trends against the 2025 targets</h2><p class=\"note\">红色虚线为2025年目标；断开处为不予公布或无数据的期间。 The dashed red line is the 2025 target; gaps are periods withheld or without data.</p><div class=\"trends\">");
    for t in &r.trends {
        let _ = write!(
            h,
            "<div class=\"trend\"><h3>{} <span class=\"note\">{}</span></h3>",
            esc(&t.indicator.name_zh),
            esc(&t.indicator.name_en)
        );
        svg_trend(&mut h, t);
        h.push_str("</div>");
    }
    h.push_str("</div></section>\n");

    let _ = write!(
        h,
        "<section id=\"regions\"><h2>分区域数据 By sub-region</h2><p class=\"note\">x 不予公布（小于 {t} 或互补隐藏） withheld (below {t}, or a complement); — 无数据 no data.</p><div style=\"overflow-x:auto\"><table><tr><th>区划 Region</th>",
        t = r.threshold
    );
    for c in &r.table.columns {
        let _ = write!(
            h,
            "<th>{}<br><span class=\"note\">{}</span></th>",
            esc(&c.name_zh),
            esc(&c.name_en)
        );
    }
    h.push_str("</tr>");
    let rows = r
        .table
        .rows
        .iter()
        .chain(&r.table.unallocated)
        .chain(std::iter::once(&r.table.total));
    for row in rows {
        let _ = write!(
            h,
            "<tr><td>{} <span class=\"note\">{}</span></td>",
            esc(&row.name),
            esc(&row.code)
        );
        for (c, col) in row.cells.iter().zip(&r.table.columns) {
            h.push_str(&cell_td(c, col.percent));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table></div></section>\n");

    h.push_str("<section id=\"notes\"><h2>说明 Methods and data notes</h2>");
    for n in &r.notes {
        let _ = write!(
            h,
            "<h3>{} {}</h3><p>{}</p><p class=\"note\">{}</p>",
            esc(&n.title_zh),
            esc(&n.title_en),
            esc(&n.text_zh),
            esc(&n.text_en)
        );
    }
    h.push_str("</section>\n</main>\n</body>\n</html>\n");
    h
}
