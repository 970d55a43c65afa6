//! `index.html`: the self-contained report. Styles, script and drawings (inline SVG) are all in
//! the one file, so it opens offline from disk; nothing is fetched.

use crate::{fmt_num, Recommendation, Report, RequirementTexts};
use lc_assess::Scope;
use lc_standards::{Obligation, RegionLevel};
use std::fmt::Write as _;

pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(ch),
        }
    }
    o
}

/// A whole number with thousands separators (`79,109,621`).
pub(crate) fn grouped(x: f64) -> String {
    let digits = format!("{}", x.round().abs() as u64);
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if x < 0.0 {
        out.insert(0, '-');
    }
    out
}

/// At most `n` characters, with an ellipsis when cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut o: String = s.chars().take(n - 1).collect();
    o.push('…');
    o
}

/// Red → yellow → green for a share 0–1.
fn colour(share: Option<f64>) -> String {
    let Some(s) = share else {
        return "#9e9e9e".into();
    };
    let s = s.clamp(0.0, 1.0);
    let (a, b, t) = if s < 0.5 {
        ((215.0, 48.0, 39.0), (254.0, 224.0, 139.0), s / 0.5)
    } else {
        ((254.0, 224.0, 139.0), (26.0, 152.0, 80.0), (s - 0.5) / 0.5)
    };
    let mix = |x: f64, y: f64| (x + (y - x) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(a.0, b.0),
        mix(a.1, b.1),
        mix(a.2, b.2)
    )
}

pub(crate) const STYLE: &str = r#"
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;margin:0;color:#222;background:#f6f7f9}
header{background:#1f4e79;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:24px}header p{margin:6px 0 0;opacity:.9}
main{max-width:1180px;margin:0 auto;padding:8px 20px 40px}
section{background:#fff;border-radius:8px;margin:16px 0;padding:14px 20px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{font-size:19px;margin:4px 0 10px;border-left:4px solid #1f4e79;padding-left:8px}
h3{font-size:16px;margin:14px 0 6px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{flex:1 1 150px;background:#eef3f8;border-radius:6px;padding:10px 12px}
.card b{display:block;font-size:22px;color:#1f4e79}.card span{font-size:13px;color:#555}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e3e3e3;padding:5px 6px;text-align:left;vertical-align:top}
th{background:#f0f2f5}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.met{color:#1a7f3c;font-weight:bold}.short{color:#c0392b;font-weight:bold}.na{color:#888}
.legend span{display:inline-block;width:14px;height:14px;border-radius:7px;margin:0 4px -2px 10px}
#detail{min-height:48px;background:#fafafa;border:1px dashed #ccc;border-radius:6px;padding:8px;font-size:13px;margin-top:8px}
.note{font-size:12px;color:#555}
svg text{font-family:inherit}
.community{cursor:pointer;stroke:#333;stroke-width:.6}
.community:hover{stroke-width:2}
details summary{cursor:pointer;color:#1f4e79}
"#;

/// Renders the report.
pub fn html_report(r: &Report) -> String {
    let a = r.assessment;
    let mut h = String::with_capacity(256 * 1024);
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>社区生活圈评估 Living-circle assessment — {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header><h1>社区生活圈评估报告 Living-circle assessment</h1><p>{}</p></header>\n<main>",
        esc(&r.title),
        esc(&r.title)
    );
    summary(&mut h, r);
    map(&mut h, r);
    indicators(&mut h, r);
    scopes(&mut h, r);
    requirements(&mut h, r);
    recommended(&mut h, r);
    top_ten(&mut h, r);
    regions(&mut h, r);
    unavailable(&mut h, r);
    notes(&mut h, r);
    // Details for the click handler (only for maps of a readable size).
    let mut data = Vec::new();
    if r.communities.len() <= 5000 {
        for (i, c) in r.communities.iter().enumerate() {
            let s = &a.status[i];
            let missing: Vec<String> = r
                .missing(i)
                .into_iter()
                .map(|ri| {
                    let (_, req) = r.requirement(ri);
                    format!("{} {}", req.name_zh, req.name_en)
                })
                .collect();
            data.push(serde_json::json!([
                c.name,
                r.division_name(c.division_code.as_deref()),
                c.population,
                s.met,
                s.required,
                missing
            ]));
        }
    }
    let json = serde_json::to_string(&data)
        .unwrap_or_else(|_| "[]".into())
        .replace("</", "<\\/");
    let _ = writeln!(
        h,
        "</main>\n<script>\n\"use strict\";\nconst D = {json};\n{SCRIPT}\n</script>\n</body>\n</html>"
    );
    h
}

const SCRIPT: &str = r#"
(function () {
  var box = document.getElementById("detail");
  function show(el) {
    if (!box) { return; }
    var d = D[Number(el.getAttribute("data-i"))];
    if (!d) {
      // Large maps carry no detail table: the circle's own title says it.
      var t = el.querySelector("title");
      box.textContent = t ? t.textContent : "";
      return;
    }
    var esc = function (s) { return String(s).replace(/[&<>"]/g, function (c) { return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]; }); };
    var html = "<b>" + esc(d[0]) + "</b> " + esc(d[1]) + "<br>人口 population " + d[2] +
      " · 达标 met " + d[3] + " / " + d[4];
    if (d[5].length) {
      html += "<br>缺 missing: " + d[5].map(esc).join("；");
    }
    box.innerHTML = html;
  }
  document.querySelectorAll(".community").forEach(function (el) {
    el.addEventListener("click", function () { show(el); });
  });
})();
"#;

fn summary(h: &mut String, r: &Report) {
    let a = r.assessment;
    let (pop, n) = r.affected();
    let total_pop: f64 = r.communities.iter().map(|c| c.population).sum();
    let required: usize = r
        .standards
        .iter()
        .map(|s| {
            s.requirements
                .iter()
                .filter(|q| q.obligation == Obligation::Required)
                .count()
        })
        .sum();
    let met = r.headline().iter().filter(|x| x.met == Some(true)).count();
    let computed = r.headline().iter().filter(|x| x.met.is_some()).count();
    let _ = write!(
        h,
        "<section id=\"summary\"><h2>概况 Summary</h2><div class=\"cards\">"
    );
    for (v, label) in [
        (grouped(r.communities.len() as f64), "社区 communities"),
        (grouped(total_pop), "人口 residents"),
        (required.to_string(), "标准要求 required items"),
        (grouped(n as f64), "未达标社区 communities short"),
        (grouped(pop), "受影响人口 people affected"),
        (grouped(a.shortcomings.len() as f64), "缺项 shortcomings"),
        (format!("{met} / {computed}"), "达标指标 targets met"),
    ] {
        let _ = write!(
            h,
            "<div class=\"card\"><b>{}</b><span>{}</span></div>",
            esc(&v),
            label
        );
    }
    let _ = write!(h, "</div>");
    if !r.facts.is_empty() {
        let _ = write!(
            h,
            "<details><summary>输入与运行 Inputs and run</summary><table>"
        );
        for (k, v) in &r.facts {
            let _ = write!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
        }
        let _ = write!(h, "</table></details>");
    }
    let _ = writeln!(h, "</section>");
}

fn map(h: &mut String, r: &Report) {
    let a = r.assessment;
    let pts: Vec<(f64, f64)> = r
        .communities
        .iter()
        .map(|c| (c.pos.lon, c.pos.lat))
        .chain(
            r.streets
                .iter()
                .flat_map(|s| s.iter().map(|p| (p.lon, p.lat))),
        )
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    let _ = write!(
        h,
        "<section id=\"map\"><h2>社区达标地图 Communities by requirements met</h2>"
    );
    if pts.is_empty() {
        let _ = writeln!(h, "<p>无社区 No communities.</p></section>");
        return;
    }
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    // Bounds of the communities (streets beyond them are clipped by the viewBox).
    for c in r.communities {
        x0 = x0.min(c.pos.lon);
        x1 = x1.max(c.pos.lon);
        y0 = y0.min(c.pos.lat);
        y1 = y1.max(c.pos.lat);
    }
    let padx = ((x1 - x0) * 0.08).max(0.002);
    let pady = ((y1 - y0) * 0.08).max(0.002);
    let (x0, x1, y0, y1) = (x0 - padx, x1 + padx, y0 - pady, y1 + pady);
    let k = ((y0 + y1) / 2.0).to_radians().cos().max(0.1);
    let w = 1000.0;
    let mut hgt = w * (y1 - y0) / ((x1 - x0) * k);
    let mut scale = w / ((x1 - x0) * k);
    if hgt > 720.0 {
        scale *= 720.0 / hgt;
        hgt = 720.0;
    }
    let px = |lon: f64| (lon - x0) * k * scale;
    let py = |lat: f64| (y1 - lat) * scale;
    let width = (x1 - x0) * k * scale;
    let _ = write!(
        h,
        "<svg id=\"map-svg\" viewBox=\"0 0 {width:.0} {hgt:.0}\" width=\"100%\" role=\"img\" aria-label=\"map\" style=\"background:#f3f1ea;max-height:760px\">"
    );
    if !r.streets.is_empty() {
        let mut d = String::with_capacity(r.streets.len() * 24);
        for s in &r.streets {
            let _ = write!(
                d,
                "M{:.1} {:.1}L{:.1} {:.1}",
                px(s[0].lon),
                py(s[0].lat),
                px(s[1].lon),
                py(s[1].lat)
            );
        }
        let _ = write!(
            h,
            "<path class=\"streets\" d=\"{d}\" stroke=\"#b9b4a6\" stroke-width=\"1\" fill=\"none\"/>"
        );
    }
    let maxpop = r
        .communities
        .iter()
        .map(|c| c.population)
        .fold(1.0f64, f64::max);
    let (rmin, rspan) = if r.communities.len() > 2000 {
        (1.5, 3.0)
    } else {
        (5.0, 12.0)
    };
    // Largest first so small circles stay clickable on top.
    let mut order: Vec<usize> = (0..r.communities.len()).collect();
    order.sort_by(|&p, &q| {
        r.communities[q]
            .population
            .total_cmp(&r.communities[p].population)
    });
    for i in order {
        let c = &r.communities[i];
        let s = &a.status[i];
        let rad = rmin + rspan * (c.population.max(0.0) / maxpop).sqrt();
        let share = s.share_met();
        let _ = write!(
            h,
            "<circle class=\"community\" data-i=\"{i}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{rad:.1}\" fill=\"{}\" fill-opacity=\"0.9\"><title>{} — 达标 met {}/{}{} · 人口 {}</title></circle>",
            px(c.pos.lon),
            py(c.pos.lat),
            colour(if s.placed { share } else { None }),
            esc(&c.name),
            s.met,
            s.required,
            if s.not_computable > 0 {
                format!(" ({} 无法计算 n/a)", s.not_computable)
            } else {
                String::new()
            },
            fmt_num(c.population)
        );
    }
    // Recommended sites: one diamond per candidate, labelled with the rows of the "recommended
    // sites" table it is proposed for (a candidate may serve several requirements).
    let mut site_rows: Vec<(&crate::RecommendedSite, Vec<usize>)> = Vec::new();
    for (n, rec) in r.recommendations.iter().enumerate() {
        for s in &rec.sites {
            match site_rows.iter_mut().find(|(x, _)| x.id == s.id) {
                Some((_, rows)) => rows.push(n),
                None => site_rows.push((s, vec![n])),
            }
        }
    }
    for (s, rows) in &site_rows {
        let (x, y) = (px(s.pos.lon), py(s.pos.lat));
        let numbers: Vec<String> = rows.iter().map(|n| (n + 1).to_string()).collect();
        let what: Vec<String> = rows
            .iter()
            .map(|&n| {
                let rec = &r.recommendations[n];
                format!(
                    "{}. {} {}",
                    n + 1,
                    rec.category.info().zh,
                    rec.category.key()
                )
            })
            .collect();
        let _ = write!(
            h,
            "<g class=\"site\"><path d=\"M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}Z\" fill=\"#1f5fbf\" stroke=\"#fff\" stroke-width=\"1.5\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#1f3f7f\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{} · {}</text><title>建议选址 recommended site {}: {}</title></g>",
            y - 8.0,
            x + 8.0,
            y + 8.0,
            x - 8.0,
            x + 11.0,
            y + 4.0,
            esc(&s.id),
            numbers.join(" "),
            esc(&Recommendation::site_label(s)),
            esc(&what.join("; "))
        );
    }
    let _ = write!(
        h,
        "</svg><div class=\"legend\">达标比例 share of required items met:"
    );
    for (s, label) in [
        (Some(0.0), "0%"),
        (Some(0.5), "50%"),
        (Some(0.75), "75%"),
        (Some(1.0), "100%"),
        (None, "未入网 not on the network"),
    ] {
        let _ = write!(
            h,
            "<span style=\"background:{}\"></span>{}",
            colour(s),
            label
        );
    }
    if !r.recommendations.is_empty() {
        let _ = write!(
            h,
            "<span style=\"background:#1f5fbf;transform:rotate(45deg)\"></span>建议选址 recommended site (numbers = rows of the table below)"
        );
    }
    let _ = writeln!(
        h,
        " · 圆大小 = 人口 circle size = population</div><div id=\"detail\">点击社区查看缺项 Click a community to see what it lacks.</div></section>"
    );
}

fn indicators(h: &mut String, r: &Report) {
    let _ = write!(
        h,
        "<section id=\"indicators\"><h2>2025 年目标指标 2025 target indicators</h2><p class=\"note\">每条：数值（条）与目标（竖线）。绿色达标，红色未达标，灰色无法计算。Each bar is the value, the line the target; green met, red short, grey not computable. 参照 reference = the plan's own region holds none of these communities, so they are measured against it for comparison.</p>"
    );
    for (pi, p) in r.plans.iter().enumerate() {
        let rows: Vec<_> = r.headline().into_iter().filter(|x| x.plan == pi).collect();
        if rows.is_empty() {
            continue;
        }
        let scope = rows[0].scope;
        let _ = write!(
            h,
            "<h3>{} {} <span class=\"note\">({})</span></h3>",
            esc(&p.name_zh),
            esc(&p.name_en),
            match scope {
                Scope::Own => "本地区 own jurisdiction",
                Scope::Reference => "参照 reference",
            }
        );
        let row_h = 34.0;
        let label_w = 400.0;
        let bar_w = 320.0;
        let height = rows.len() as f64 * row_h + 10.0;
        let _ = write!(
            h,
            "<svg class=\"chart\" viewBox=\"0 0 1000 {height:.0}\" width=\"100%\" role=\"img\" aria-label=\"{} indicators\">",
            esc(&p.id)
        );
        for (k, ir) in rows.iter().enumerate() {
            let ind = &p.indicators[ir.indicator];
            let y = 5.0 + k as f64 * row_h;
            let _ = write!(
                h,
                "<text x=\"0\" y=\"{:.1}\" font-size=\"12\">{} {}<title>{}</title></text><text x=\"0\" y=\"{:.1}\" font-size=\"10\" fill=\"#666\">{}</text>",
                y + 13.0,
                esc(&ind.id),
                esc(&clip(&ind.name_zh, 26)),
                esc(&ind.name_zh),
                y + 26.0,
                esc(&clip(&ind.name_en, 64))
            );
            let max = ir
                .value
                .unwrap_or(0.0)
                .max(ind.threshold.unwrap_or(0.0))
                .max(1e-9)
                * 1.15;
            let fill = match ir.met {
                Some(true) => "#2e9d57",
                Some(false) => "#d0473a",
                // A monitoring indicator: a value, no target.
                None if ir.value.is_some() => "#3b6ea8",
                None => "#bbbbbb",
            };
            let vw = ir
                .value
                .map(|v| (v / max).clamp(0.0, 1.0) * bar_w)
                .unwrap_or(bar_w);
            let _ = write!(
                h,
                "<rect class=\"bar\" x=\"{label_w}\" y=\"{:.1}\" width=\"{vw:.1}\" height=\"18\" fill=\"{fill}\" fill-opacity=\"{}\"><title>{}</title></rect>",
                y + 4.0,
                if ir.value.is_some() { "0.9" } else { "0.35" },
                esc(&ind.definition)
            );
            if let Some(t) = ind.threshold {
                let tx = label_w + t / max * bar_w;
                let _ = write!(
                    h,
                    "<line class=\"target\" x1=\"{tx:.1}\" x2=\"{tx:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#222\" stroke-width=\"2\"/>",
                    y,
                    y + 26.0
                );
            }
            let _ = write!(
                h,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" font-weight=\"bold\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#555\">目标 target {}</text>",
                label_w + bar_w + 8.0,
                y + 13.0,
                ir.value
                    .map(|v| fmt_num((v * 100.0).round() / 100.0))
                    .unwrap_or_else(|| "无法计算 not computable".into()),
                label_w + bar_w + 8.0,
                y + 26.0,
                esc(&clip(&crate::target_text(ind), 48))
            );
        }
        let _ = write!(h, "</svg>");
        // Where a value the platform computed came from (GS21: its visit records of a month).
        for ir in &rows {
            let ind = &p.indicators[ir.indicator];
            if ind.kind == lc_standards::IndicatorKind::PlatformRate {
                let _ = write!(
                    h,
                    "<p class=\"note platform\">{} {} {}：{}</p>",
                    esc(&ind.id),
                    esc(&ind.name_zh),
                    esc(&ind.name_en),
                    esc(&ir.note)
                );
            }
        }
    }
    let _ = writeln!(h, "</section>");
}

/// What each target's figure counts (issue 22): which communities and sub-regions, whether it is
/// what stands in the region or who can walk to it, how many communities off the network were
/// counted as reaching nothing, and why the scope is what it is.
fn scopes(h: &mut String, r: &Report) {
    let _ = write!(
        h,
        "<section id=\"scopes\"><h2>指标口径 What each figure counts</h2><p class=\"note\">范围取自目标原文；“位于本区域”按设施所在地区统计（设施的区划代码，无代码时取最近社区的区划），“步行可达”按路网统计。不在路网上的社区留在分母中，计为未覆盖。The scope is read from each target's sentence. Supply-side figures count what stands in the region (the facility's division code, else the nearest community's); access-side figures count who can walk to one. Communities off the network stay in the denominator, counted as not covered.</p><table><tr><th>指标 indicator</th><th>社区范围 communities</th><th>统计单元 units</th><th>依据 basis</th><th>步行可达值 walking figure</th><th>不在路网 off network</th><th>理由 why</th></tr>"
    );
    for ir in r.headline() {
        let p = &r.plans[ir.plan];
        let ind = &p.indicators[ir.indicator];
        let units = match &ind.kind {
            lc_standards::IndicatorKind::RegionCoverage { of, .. } => {
                format!("{} {} · {}", of.zh(), of.key(), ind.scope.units.zh())
            }
            _ => "—".into(),
        };
        let _ = write!(
            h,
            "<tr><td>{} {}</td><td>{} {}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"note\">{}</td></tr>",
            esc(&ind.id),
            esc(&ind.name_zh),
            ind.scope.communities.zh(),
            ind.scope.communities.key(),
            esc(&units),
            ir.basis.label(),
            ir.walking_value
                .map(|v| fmt_num((v * 100.0).round() / 100.0))
                .unwrap_or_else(|| "—".into()),
            if ir.off_network > 0 {
                format!("{} 计为未覆盖 counted as not covered", ir.off_network)
            } else {
                "0".into()
            },
            esc(&ind.scope.note)
        );
    }
    let _ = writeln!(h, "</table></section>");
}

fn requirements(h: &mut String, r: &Report) {
    let a = r.assessment;
    let nr = a.requirements.len();
    // People and communities short of each required requirement.
    let mut pop = vec![0.0; nr];
    let mut cnt = vec![0usize; nr];
    for sc in &a.shortcomings {
        pop[sc.requirement] += r.communities[sc.community].population;
        cnt[sc.requirement] += 1;
    }
    let mut order: Vec<usize> = (0..nr)
        .filter(|&i| cnt[i] > 0 && r.requirement(i).1.obligation == Obligation::Required)
        .collect();
    order.sort_by(|&x, &y| pop[y].total_cmp(&pop[x]).then(x.cmp(&y)));
    order.truncate(25);
    let _ = write!(
        h,
        "<section id=\"requirements\"><h2>各项要求的缺口 Shortfalls by requirement</h2><p class=\"note\">缺少该项的社区人口（前 25 项）。People in communities lacking each required item (top 25). 状态 U = 标准条文未核实 unverified item of the standard.</p>"
    );
    // Per standard: communities (and people) meeting every required item of it.
    let _ = write!(
        h,
        "<table><tr><th>标准 standard</th><th>必备项目 required items</th><th>全部达标社区 communities meeting all</th><th>其人口 their residents</th></tr>"
    );
    let total_pop: f64 = r.communities.iter().map(|c| c.population).sum();
    for (si, st) in r.standards.iter().enumerate() {
        let reqs: Vec<usize> = (0..nr)
            .filter(|&i| {
                a.requirements[i].standard == si
                    && r.requirement(i).1.obligation == Obligation::Required
            })
            .collect();
        let mut n = 0;
        let mut people = 0.0;
        for (c, comm) in r.communities.iter().enumerate() {
            if a.status[c].placed
                && reqs
                    .iter()
                    .all(|&i| a.check(c, i).state == lc_assess::CheckState::Met)
            {
                n += 1;
                people += comm.population;
            }
        }
        let _ = write!(
            h,
            "<tr><td><b>{}</b> {}<br><span class=\"note\">{}</span></td><td class=\"num\">{}</td><td class=\"num\">{} / {}</td><td class=\"num\">{} ({:.0}%)</td></tr>",
            esc(&st.id),
            esc(&st.name_zh),
            esc(&st.name_en),
            reqs.len(),
            grouped(n as f64),
            grouped(r.communities.len() as f64),
            grouped(people),
            if total_pop > 0.0 { people / total_pop * 100.0 } else { 0.0 }
        );
    }
    let _ = write!(h, "</table>");
    if order.is_empty() {
        let _ = writeln!(h, "<p>无缺项 No shortcomings.</p></section>");
        return;
    }
    let maxp = pop[order[0]].max(1.0);
    let row_h = 24.0;
    let _ = write!(
        h,
        "<svg class=\"chart\" viewBox=\"0 0 1000 {:.0}\" width=\"100%\" role=\"img\" aria-label=\"requirements\">",
        order.len() as f64 * row_h + 6.0
    );
    for (k, &i) in order.iter().enumerate() {
        let (st, req) = r.requirement(i);
        let y = 3.0 + k as f64 * row_h;
        let w = pop[i] / maxp * 300.0;
        let _ = write!(
            h,
            "<text x=\"0\" y=\"{:.1}\" font-size=\"12\">{} {} [{}]</text><rect class=\"bar\" x=\"470\" y=\"{:.1}\" width=\"{w:.1}\" height=\"16\" fill=\"#d0473a\" fill-opacity=\"0.85\"><title>{} {}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{} 人 people · {} 社区 communities</text>",
            y + 14.0,
            esc(&req.name_zh),
            esc(&st.id),
            req.status.label(),
            y + 2.0,
            esc(&req.name_en),
            esc(&req.source),
            478.0 + w,
            y + 14.0,
            fmt_num(pop[i]),
            cnt[i]
        );
    }
    let _ = writeln!(h, "</svg></section>");
}

fn recommended(h: &mut String, r: &Report) {
    if r.recommendations.is_empty() {
        return;
    }
    let _ = write!(
        h,
        "<section id=\"recommended\"><h2>建议选址 Recommended sites</h2><p class=\"note\">针对未达标的必备项目，从候选用地中选出能让最多居民进入要求步行距离的位置（最大覆盖模型，含最优性证明）。For the required items communities lack, the candidate sites that bring the most residents within the required walking distance (maximal coverage, with a proven bound on how far from the best). 蓝色菱形为地图上的位置 Blue diamonds on the map.</p><table><tr><th>#</th><th>要求 requirement</th><th>设施 facility</th><th>距离 distance</th><th>缺口人口 people short: before → after</th><th>建议选址 sites (+ people newly within reach)</th><th>结果质量 quality</th></tr>"
    );
    for (n, rec) in r.recommendations.iter().enumerate() {
        let (zh, en) = rec.requirement_names(r);
        let (st, _) = rec.requirement_ids(r);
        let before = rec.short_before();
        let after = rec.short_after();
        let w_after = if before > 0.0 {
            after / before * 120.0
        } else {
            0.0
        };
        let sites: Vec<String> = rec
            .sites
            .iter()
            .map(|s| {
                format!(
                    "{} (+{}, {} 社区 communities)",
                    esc(&Recommendation::site_label(s)),
                    grouped(s.newly_covered),
                    s.communities.len()
                )
            })
            .collect();
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}<br><span class=\"note\">{} [{}]</span></td><td>{} {}</td><td class=\"num\">{} m</td><td><svg width=\"124\" height=\"22\" role=\"img\" aria-label=\"before after\"><rect x=\"0\" y=\"2\" width=\"120\" height=\"8\" fill=\"#d0473a\" fill-opacity=\"0.35\"/><rect x=\"0\" y=\"12\" width=\"{w_after:.1}\" height=\"8\" fill=\"#d0473a\"/></svg><br>{} → {}</td><td>{}</td><td>{}</td></tr>",
            n + 1,
            esc(&zh),
            esc(&en),
            esc(&st),
            rec.category.info().zh,
            rec.category.key(),
            fmt_num(rec.radius_m),
            grouped(before),
            grouped(after),
            if sites.is_empty() {
                "无可改善的候选 no candidate brings anyone within reach".to_string()
            } else {
                sites.join("<br>")
            },
            if rec.out_of_reach > 0.0 {
                format!(
                    "{}<br><span class=\"note\">{} 人无候选可及 people no candidate can reach</span>",
                    rec.quality_text(),
                    grouped(rec.out_of_reach)
                )
            } else {
                rec.quality_text()
            }
        );
    }
    let _ = writeln!(
        h,
        "</table><p class=\"note\">完整清单 Full list: recommended_sites.csv · summary.xlsx（recommended_sites 工作表 sheet）。一个候选用地可能被推荐给多类设施（综合服务设施）A candidate may be proposed for several facilities (a multi-service site).</p></section>"
    );
}

fn top_ten(h: &mut String, r: &Report) {
    let a = r.assessment;
    let _ = write!(
        h,
        "<section id=\"top10\"><h2>缺口最大的十个社区 The ten communities where the most people lack the most</h2><p class=\"note\">按“人口 × 未达标要求数”排序 Ranked by population × required items missing.</p><table><tr><th>#</th><th>社区 community</th><th>区划 division</th><th>人口 population</th><th>缺项 missing</th><th>未达标项目 what is missing</th></tr>"
    );
    for (k, &i) in a
        .ranking
        .iter()
        .filter(|&&i| a.status[i].short_required > 0)
        .take(10)
        .enumerate()
    {
        let c = &r.communities[i];
        let s = &a.status[i];
        let missing: Vec<String> = r
            .missing(i)
            .into_iter()
            .map(|ri| r.requirement(ri).1.name_zh.clone())
            .collect();
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}<br><span class=\"note\">{}</span></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{} / {}</td><td>{}</td></tr>",
            k + 1,
            esc(&c.name),
            esc(&c.id),
            esc(&r.division_name(c.division_code.as_deref())),
            fmt_num(c.population),
            s.short_required,
            s.required,
            esc(&missing.join("、"))
        );
    }
    let _ = writeln!(h, "</table></section>");
}

fn regions(h: &mut String, r: &Report) {
    let a = r.assessment;
    let rows = |l: RegionLevel| a.indicators.iter().filter(|x| x.level == l).count();
    // The finest level with at most 400 rows; when that is the street, the districts as well
    // (first), so a city's report reads district by district and street by street.
    let finest = [
        RegionLevel::Street,
        RegionLevel::District,
        RegionLevel::City,
        RegionLevel::Province,
    ]
    .into_iter()
    .find(|l| (1..=400).contains(&rows(*l)));
    if let Some(finest) = finest {
        if finest == RegionLevel::Street && (1..=400).contains(&rows(RegionLevel::District)) {
            region_table(h, r, RegionLevel::District, "regions-district");
        }
        region_table(h, r, finest, "regions");
    }
    // The figures of single communities (GS21's visit rate, meal sites within 15 minutes), for
    // a readable number of communities; indicators.csv has them all.
    if (1..=1000).contains(&rows(RegionLevel::Community)) {
        region_table(h, r, RegionLevel::Community, "regions-community");
    }
}

fn region_table(h: &mut String, r: &Report, level: RegionLevel, id: &str) {
    let a = r.assessment;
    let _ = write!(
        h,
        "<section id=\"{id}\"><h2>分地区指标 Indicators by {} ({})</h2><table><tr><th>指标 indicator</th><th>地区 region</th><th>社区 communities</th><th>不在路网 off network</th><th>数值 value</th><th>步行可达值 walking</th><th>目标 target</th><th>达标 met</th><th>说明 note</th></tr>",
        level.key(),
        level.zh()
    );
    for ir in a.indicators.iter().filter(|x| x.level == level) {
        let p = &r.plans[ir.plan];
        let ind = &p.indicators[ir.indicator];
        let (cls, txt) = match ir.met {
            Some(true) => ("met", "达标 yes"),
            Some(false) => ("short", "未达标 no"),
            None => ("na", "—"),
        };
        let _ = write!(
            h,
            "<tr><td>{} {}</td><td>{} {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"{cls}\">{txt}</td><td class=\"note\">{}</td></tr>",
            esc(&ind.id),
            esc(&ind.name_zh),
            esc(&ir.region),
            esc(ir.region_name.as_deref().unwrap_or("")),
            ir.communities,
            ir.off_network,
            ir.value
                .map(|v| fmt_num((v * 100.0).round() / 100.0))
                .unwrap_or_else(|| "n/a".into()),
            ir.walking_value
                .map(|v| fmt_num((v * 100.0).round() / 100.0))
                .unwrap_or_else(|| "—".into()),
            esc(&crate::target_text(ind)),
            esc(&ir.note)
        );
    }
    let _ = writeln!(h, "</table></section>");
}

fn unavailable(h: &mut String, r: &Report) {
    let _ = write!(
        h,
        "<section id=\"unavailable\"><h2>需要其他数据的目标 Targets that need other data</h2><table><tr><th>指标 target</th><th>目标值 value</th><th>所需数据 input needed</th><th>原文 source</th></tr>"
    );
    for p in r.plans {
        for u in &p.unavailable {
            let _ = write!(
                h,
                "<tr><td>{} {}<br><span class=\"note\">{}</span></td><td>{}</td><td>{}</td><td class=\"note\">「{}」</td></tr>",
                esc(&u.id),
                esc(&u.name_zh),
                esc(&u.name_en),
                esc(&u.target),
                esc(&u.needs),
                esc(&u.quote)
            );
        }
    }
    let _ = writeln!(h, "</table></section>");
}

fn notes(h: &mut String, r: &Report) {
    let _ = write!(
        h,
        "<section id=\"notes\"><h2>口径与来源 Definitions and sources</h2><ul class=\"note\"><li>“范围内” within = 步行网络距离 ≤ 要求距离 walking network distance ≤ the required distance.</li><li>标准中的比例要求（社区层面）：每处设施的容量或面积按人口（或户数）分摊给其服务范围内的社区（两步移动搜索法 2SFCA）。A standard's ratio requirement (per community) shares each facility's capacity or area among the communities within its catchment in proportion to their population or households.</li><li>目标中的比例、总量和“每个地区有一处”按设施所在地区统计；步行可达值（2SFCA 分摊、步行距离内有一处）另列。Targets' ratios, totals and \"every region has one\" count the facilities standing in the region; the walking figure (2SFCA shares; one within walking distance) is shown beside them.</li><li>达标比较精度 comparison resolution: 目标值的 1e-9（1 mm for distances）。</li><li>状态 status: V 已核实 verified · S 政策原文 seed quote · P 部分核实 partly verified · U 未核实 unverified (GB 50180-2018 表5.0.2 items are U).</li><li>城乡 urban/rural: 居委会 001–199 / 村委会 200–399 (heuristic); a community known only by a 街道 code (001–099) is urban.</li></ul><h3>标准 Standards</h3><ul class=\"note\">"
    );
    for s in r.standards {
        let _ = write!(
            h,
            "<li><b>{}</b> {} {} — {}</li>",
            esc(&s.id),
            esc(&s.name_zh),
            esc(&s.name_en),
            esc(&s.source)
        );
    }
    let _ = write!(
        h,
        "</ul><h3>指标定义 Indicator definitions</h3><ul class=\"note\">"
    );
    for p in r.plans {
        for ind in &p.indicators {
            let _ = write!(
                h,
                "<li><b>{} {}</b>: {} 「{}」</li>",
                esc(&ind.id),
                esc(&ind.name_zh),
                esc(&ind.definition),
                esc(&ind.quote)
            );
        }
    }
    let _ = writeln!(
        h,
        "</ul><p class=\"note\">由 livingcircle 生成 Made with livingcircle. 路网与设施数据可能含 OpenStreetMap 数据 © OpenStreetMap contributors, ODbL 1.0.</p></section>"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(grouped(79_109_621.0), "79,109,621");
        assert_eq!(grouped(900.0), "900");
        assert_eq!(grouped(1000.0), "1,000");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(colour(Some(0.0)), "#d73027");
        assert_eq!(colour(Some(1.0)), "#1a9850");
        assert_eq!(colour(None), "#9e9e9e");
    }
}
