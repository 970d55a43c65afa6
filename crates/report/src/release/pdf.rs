//! `release.pdf`: the release as an A4 PDF (krilla), with the CJK font embedded as a subset
//! and the trend charts drawn as vector paths.
//!
//! The font is `fonts/NotoSansSC-lc.otf` (Noto Sans CJK SC, SIL OFL 1.1), a subset of GB 2312,
//! every administrative-division name of the national lists and the templates' text, made by
//! `fonts/make_font.py`; krilla subsets it again to the glyphs a release uses. Text is laid out
//! in two passes: first into pages of drawing operations (positions from a width estimate:
//! full-width characters one em, others 0.55 em), then drawn.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke, StrokeDash};
use krilla::text::{Font, TextDirection};
use krilla::Document;

use super::{axis_label, chart, Cell, Release, Trend, CHART_PAD};

/// The embedded font (see the module documentation).
pub const FONT_BYTES: &[u8] = include_bytes!("../../fonts/NotoSansSC-lc.otf");

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 48.0;
const BLUE: (u8, u8, u8) = (31, 78, 121);
const GREY: (u8, u8, u8) = (110, 110, 110);
const BLACK: (u8, u8, u8) = (34, 34, 34);
const RED: (u8, u8, u8) = (192, 57, 43);

enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
        colour: (u8, u8, u8),
    },
    Line {
        points: Vec<(f32, f32)>,
        width: f32,
        colour: (u8, u8, u8),
        dash: bool,
    },
    Dot {
        x: f32,
        y: f32,
        r: f32,
        colour: (u8, u8, u8),
    },
}

/// Estimated width of `s` at `size` points.
fn width(s: &str, size: f32) -> f32 {
    s.chars()
        .map(|c| if (c as u32) >= 0x2E80 { 1.0 } else { 0.55 })
        .sum::<f32>()
        * size
}

/// Lines of at most `max` points (breaks at a space when a line holds one, else anywhere).
fn wrap(s: &str, size: f32, max: f32) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for c in s.chars() {
        line.push(c);
        if width(&line, size) > max {
            let cut = match line.rfind(' ') {
                Some(i) if i > line.len() / 2 => i,
                _ => line.len() - c.len_utf8(),
            };
            let rest = line.split_off(cut);
            out.push(line.trim_end().to_string());
            line = rest.trim_start().to_string();
        }
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

/// Cuts `s` to `max` points with an ellipsis.
fn clip(s: &str, size: f32, max: f32) -> String {
    if width(s, size) <= max {
        return s.to_string();
    }
    let mut o = String::new();
    for c in s.chars() {
        if width(&o, size) + width("…", size) + width(&c.to_string(), size) > max {
            break;
        }
        o.push(c);
    }
    o.push('…');
    o
}

struct Layout {
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Layout {
    fn new() -> Layout {
        Layout {
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a page")
    }

    /// Starts a new page unless `h` points still fit.
    fn room(&mut self, h: f32) {
        if self.y + h > PAGE_H - MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, text: &str, colour: (u8, u8, u8)) {
        self.ops().push(Op::Text {
            x,
            y,
            size,
            text: text.to_string(),
            colour,
        });
    }

    fn line(&mut self, points: Vec<(f32, f32)>, width: f32, colour: (u8, u8, u8), dash: bool) {
        self.ops().push(Op::Line {
            points,
            width,
            colour,
            dash,
        });
    }

    /// A paragraph, wrapped to the text width.
    fn para(&mut self, text: &str, size: f32, colour: (u8, u8, u8)) {
        for l in wrap(text, size, PAGE_W - 2.0 * MARGIN) {
            self.room(size * 1.5);
            self.y += size * 1.3;
            let y = self.y;
            self.text(MARGIN, y, size, &l, colour);
        }
        self.y += size * 0.4;
    }

    fn heading(&mut self, text: &str) {
        self.room(60.0);
        self.y += 22.0;
        let y = self.y;
        self.text(MARGIN, y, 13.0, text, BLUE);
        self.line(
            vec![(MARGIN, y + 5.0), (PAGE_W - MARGIN, y + 5.0)],
            0.8,
            BLUE,
            false,
        );
        self.y += 10.0;
    }

    fn rule(&mut self, y: f32) {
        self.line(
            vec![(MARGIN, y), (PAGE_W - MARGIN, y)],
            0.3,
            (200, 200, 200),
            false,
        );
    }

    /// A trend chart at (`x`, `y`), `w` × `h`, with its title above.
    fn chart(&mut self, t: &Trend, x: f32, y: f32, w: f32, h: f32) {
        self.text(x, y - 4.0, 8.0, &clip(&t.indicator.name_zh, 8.0, w), BLACK);
        let g = chart(t, w, h);
        let (left, _) = CHART_PAD;
        let at = |(px, py): (f32, f32)| (x + px, y + py);
        self.line(
            vec![
                at((left, 8.0)),
                at((left, g.baseline)),
                at((w - 8.0, g.baseline)),
            ],
            0.5,
            GREY,
            false,
        );
        self.text(x, y + 12.0, 6.5, &axis_label(&g, t.indicator.percent), GREY);
        self.text(x + left - 8.0, y + g.baseline, 6.5, "0", GREY);
        if let Some(ty) = g.target_y {
            self.line(vec![at((left, ty)), at((w - 8.0, ty))], 0.8, RED, true);
        }
        for l in &g.lines {
            self.line(l.iter().copied().map(at).collect(), 1.4, BLUE, false);
        }
        for d in &g.dots {
            let (dx, dy) = at(*d);
            self.ops().push(Op::Dot {
                x: dx,
                y: dy,
                r: 1.8,
                colour: BLUE,
            });
        }
        let n = t.points.len();
        for (i, p) in t.points.iter().enumerate() {
            // Every label when they fit, else every other one.
            if n > 6 && i % 2 == 1 && i + 1 != n {
                continue;
            }
            let label = p.period.label_en();
            let lx = x + g.xs[i] - width(&label, 6.0) / 2.0;
            self.text(lx, y + h - 4.0, 6.0, &label, GREY);
        }
    }
}

fn cell_text(c: &Cell, percent: bool) -> String {
    c.text(percent)
}

fn lay_out(r: &Release) -> Layout {
    let mut l = Layout::new();
    let content = PAGE_W - 2.0 * MARGIN;
    for line in wrap(&r.title_zh, 18.0, content) {
        l.y += 24.0;
        let y = l.y;
        l.text(MARGIN, y, 18.0, &line, BLUE);
    }
    l.y += 4.0;
    l.para(&r.title_en, 11.0, BLACK);
    l.para(
        &format!(
            "区划代码 Division code {} · {} / {} · 发布日期 Made on {}",
            r.region.code,
            r.period.label_zh(),
            r.period.label_en(),
            r.made_on
        ),
        8.0,
        GREY,
    );

    // Headline figures.
    l.heading("主要数据 Headline figures");
    let cols = [MARGIN, MARGIN + 230.0, MARGIN + 300.0, MARGIN + 370.0];
    l.room(20.0);
    l.y += 12.0;
    let y = l.y;
    for (x, t) in cols.iter().zip([
        "指标 Indicator",
        "本期 This period",
        "上期 Previous",
        "2025年目标 2025 target",
    ]) {
        l.text(*x, y, 7.5, t, GREY);
    }
    l.rule(y + 4.0);
    for x in &r.headlines {
        l.room(26.0);
        l.y += 12.0;
        let y = l.y;
        let p = x.indicator.percent;
        l.text(
            cols[0],
            y,
            9.0,
            &clip(&x.indicator.name_zh, 9.0, 225.0),
            BLACK,
        );
        l.text(
            cols[0],
            y + 9.0,
            6.5,
            &clip(&x.indicator.name_en, 6.5, 225.0),
            GREY,
        );
        l.text(cols[1], y, 10.0, &cell_text(&x.current, p), BLUE);
        l.text(cols[2], y, 9.0, &cell_text(&x.previous, p), BLACK);
        let target = match &x.target {
            None => "—".to_string(),
            Some(t) => format!(
                "{} {} {}（{}）{}",
                t.comparison,
                crate::fmt_num(t.threshold),
                t.plan_indicator,
                t.year,
                match t.met {
                    Some(true) => "已达到 met",
                    Some(false) => "未达到 not met",
                    None => "无法判断 unknown",
                }
            ),
        };
        l.text(cols[3], y, 8.0, &clip(&target, 8.0, content - 370.0), BLACK);
        l.y += 10.0;
        let y = l.y;
        l.rule(y);
    }

    // Trends, two charts a row.
    l.heading("趋势与2025年目标 Trends against the 2025 targets");
    l.para(
        "红色虚线为2025年目标；断开处为不予公布或无数据的期间。 The dashed red line is the 2025 target; gaps are periods withheld or without data.",
        7.5,
        GREY,
    );
    let (cw, ch) = ((content - 20.0) / 2.0, 118.0);
    for pair in r.trends.chunks(2) {
        l.room(ch + 16.0);
        l.y += 14.0;
        let y = l.y;
        for (i, t) in pair.iter().enumerate() {
            l.chart(t, MARGIN + i as f32 * (cw + 20.0), y, cw, ch);
        }
        l.y += ch;
    }

    // The table by sub-region: indicators as numbered columns, named in a legend.
    l.heading("分区域数据 By sub-region");
    l.para(
        &format!(
            "x 不予公布（小于 {t} 或互补隐藏） withheld (below {t}, or a complement); — 无数据 no data. 列号见下方图例 Column numbers: see the legend below.",
            t = r.threshold
        ),
        7.5,
        GREY,
    );
    let name_w = 118.0;
    let n = r.table.columns.len().max(1) as f32;
    let col_w = (content - name_w) / n;
    let header = |l: &mut Layout| {
        l.room(40.0);
        l.y += 12.0;
        let y = l.y;
        l.text(MARGIN, y, 7.0, "区划 Region", GREY);
        for i in 0..r.table.columns.len() {
            let x = MARGIN + name_w + col_w * i as f32;
            l.text(
                x + col_w - width(&format!("{}", i + 1), 7.0) - 2.0,
                y,
                7.0,
                &format!("{}", i + 1),
                GREY,
            );
        }
        l.rule(y + 3.0);
    };
    header(&mut l);
    let rows: Vec<_> = r
        .table
        .rows
        .iter()
        .chain(&r.table.unallocated)
        .chain(std::iter::once(&r.table.total))
        .collect();
    for row in rows {
        if l.y + 14.0 > PAGE_H - MARGIN {
            l.room(PAGE_H);
            header(&mut l);
        }
        l.y += 11.0;
        let y = l.y;
        l.text(MARGIN, y, 7.0, &clip(&row.name, 7.0, name_w - 4.0), BLACK);
        for (i, (c, col)) in row.cells.iter().zip(&r.table.columns).enumerate() {
            let s = cell_text(c, col.percent);
            let x = MARGIN + name_w + col_w * (i as f32 + 1.0) - width(&s, 6.5) - 2.0;
            let colour = if matches!(c, Cell::Suppressed) {
                RED
            } else {
                BLACK
            };
            l.text(x, y, 6.5, &s, colour);
        }
        l.rule(y + 3.0);
    }
    l.y += 6.0;
    for (i, c) in r.table.columns.iter().enumerate() {
        l.para(
            &format!("{} {} {}（{}）", i + 1, c.name_zh, c.name_en, c.unit),
            7.0,
            GREY,
        );
    }

    // Notes.
    l.heading("说明 Methods and data notes");
    for nt in &r.notes {
        l.room(30.0);
        l.y += 4.0;
        l.para(&format!("{} {}", nt.title_zh, nt.title_en), 9.5, BLUE);
        l.para(&nt.text_zh, 8.0, BLACK);
        l.para(&nt.text_en, 7.0, GREY);
    }
    l
}

fn colour((r, g, b): (u8, u8, u8)) -> krilla::paint::Paint {
    rgb::Color::new(r, g, b).into()
}

/// Renders the release as a PDF.
pub fn release_pdf(r: &Release) -> Result<Vec<u8>, String> {
    let font = Font::new(FONT_BYTES.into(), 0).ok_or("the embedded font cannot be read")?;
    let layout = lay_out(r);
    let total = layout.pages.len();
    let mut doc = Document::new();
    doc.set_metadata(
        krilla::metadata::Metadata::new()
            .title(format!("{} {}", r.title_zh, r.title_en))
            .language("zh-CN".into())
            .creator("livingcircle".into()),
    );
    for (k, ops) in layout.pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or("page size")?;
        let mut page = doc.start_page_with(settings);
        let mut s = page.surface();
        let footer = format!("{} · {} / {}", r.region.name, k + 1, total);
        let footer_op = Op::Text {
            x: MARGIN,
            y: PAGE_H - MARGIN / 2.0,
            size: 7.0,
            text: footer,
            colour: GREY,
        };
        for op in ops.iter().chain(std::iter::once(&footer_op)) {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    text,
                    colour: c,
                } => {
                    s.set_fill(Some(Fill {
                        paint: colour(*c),
                        ..Fill::default()
                    }));
                    s.draw_text(
                        Point::from_xy(*x, *y),
                        font.clone(),
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Op::Line {
                    points,
                    width,
                    colour: c,
                    dash,
                } => {
                    let mut pb = PathBuilder::new();
                    for (i, (x, y)) in points.iter().enumerate() {
                        if i == 0 {
                            pb.move_to(*x, *y);
                        } else {
                            pb.line_to(*x, *y);
                        }
                    }
                    let Some(path) = pb.finish() else { continue };
                    s.set_fill(None);
                    s.set_stroke(Some(Stroke {
                        paint: colour(*c),
                        width: *width,
                        opacity: NormalizedF32::ONE,
                        dash: dash.then(|| StrokeDash {
                            array: vec![4.0, 2.5],
                            offset: 0.0,
                        }),
                        ..Stroke::default()
                    }));
                    s.draw_path(&path);
                    s.set_stroke(None);
                }
                Op::Dot { x, y, r, colour: c } => {
                    let mut pb = PathBuilder::new();
                    // A small square-ish octagon: a vector mark without curves.
                    let k = r * 0.414;
                    pb.move_to(x - k, y - r);
                    for (dx, dy) in [
                        (k, -r),
                        (*r, -k),
                        (*r, k),
                        (k, *r),
                        (-k, *r),
                        (-r, k),
                        (-r, -k),
                    ] {
                        pb.line_to(x + dx, y + dy);
                    }
                    pb.close();
                    let Some(path) = pb.finish() else { continue };
                    s.set_stroke(None);
                    s.set_fill(Some(Fill {
                        paint: colour(*c),
                        ..Fill::default()
                    }));
                    s.draw_path(&path);
                }
            }
        }
        s.finish();
        page.finish();
    }
    doc.finish().map_err(|e| format!("{e:?}"))
}
