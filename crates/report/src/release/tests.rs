use super::*;

const D: &str = "110108";
const S1: &str = "110108001";
const S2: &str = "110108002";

fn v(div: &str, ind: &str, month: &str, num: f64, den: Option<f64>) -> MonthValue {
    MonthValue {
        division: div.into(),
        indicator: ind.into(),
        month: month.into(),
        numerator: Some(num),
        denominator: den,
    }
}

/// Street 1 and 2 of a district over 2026Q2–Q3, worked by hand:
/// - bookings: S1 20+15+10 = 45, S2 3+2+0 = 5 in Q3 (district 50); Q2: S1 30, S2 12 (district 42);
/// - home beds (a stock): district 30, 31, 33 in Q3 → 33;
/// - visit rate: district 8/10, 9/10, 10/10 in Q3 → 27/30 = 90 %.
fn input() -> ReleaseInput {
    let mut values = Vec::new();
    for (m, a, b) in [
        ("2026-07", 20.0, 3.0),
        ("2026-08", 15.0, 2.0),
        ("2026-09", 10.0, 0.0),
    ] {
        values.push(v(S1, "bookings_completed", m, a, None));
        values.push(v(S2, "bookings_completed", m, b, None));
        values.push(v(D, "bookings_completed", m, a + b, None));
    }
    values.push(v(S1, "bookings_completed", "2026-05", 30.0, None));
    values.push(v(S2, "bookings_completed", "2026-05", 12.0, None));
    values.push(v(D, "bookings_completed", "2026-05", 42.0, None));
    for (m, n) in [("2026-07", 30.0), ("2026-08", 31.0), ("2026-09", 33.0)] {
        values.push(v(D, "home_beds_in_use", m, n, None));
        values.push(v(S1, "home_beds_in_use", m, n, None));
    }
    for (m, n) in [("2026-07", 8.0), ("2026-08", 9.0), ("2026-09", 10.0)] {
        values.push(v(D, "visit_rate", m, n, Some(10.0)));
        values.push(v(S1, "visit_rate", m, n, Some(10.0)));
    }
    ReleaseInput {
        region: Region {
            code: D.into(),
            name: "海淀区".into(),
        },
        period: "2026Q3".parse().unwrap(),
        names: vec![
            Region {
                code: S1.into(),
                name: "学院路街道".into(),
            },
            Region {
                code: S2.into(),
                name: "清河街道".into(),
            },
        ],
        values,
        targets: vec![TargetInfo {
            indicator: "visit_rate".into(),
            plan: "test".into(),
            plan_indicator: "GS21".into(),
            year: 2025,
            comparison: ">=".into(),
            threshold: 100.0,
        }],
        threshold: 10,
        suppress_zeros: false,
        made_on: "2026-10-02".into(),
    }
}

fn headline<'a>(r: &'a Release, key: &str) -> &'a Headline {
    r.headlines.iter().find(|h| h.indicator.key == key).unwrap()
}

fn col(r: &Release, key: &str) -> usize {
    r.table.columns.iter().position(|c| c.key == key).unwrap()
}

#[test]
fn periods_parse_and_step() {
    let q: Period = "2026Q3".parse().unwrap();
    assert_eq!(q.months(), ["2026-07", "2026-08", "2026-09"]);
    assert_eq!(q.previous().to_string(), "2026Q2");
    assert_eq!(
        "2026Q1".parse::<Period>().unwrap().previous().to_string(),
        "2025Q4"
    );
    let y: Period = "2025".parse().unwrap();
    assert_eq!(y.months().len(), 12);
    assert_eq!(y.months()[11], "2025-12");
    assert_eq!(y.kind(), "annual");
    for bad in ["2026Q5", "2026Q0", "26Q1", "2026-07", "", "Q3", "20261"] {
        assert!(bad.parse::<Period>().is_err(), "{bad}");
    }
    assert_eq!(
        Period::last_closed(2026, 10),
        ["2026Q3".parse().unwrap(), Period::Year(2025)]
    );
    assert_eq!(
        Period::last_closed(2026, 1),
        ["2025Q4".parse().unwrap(), Period::Year(2025)]
    );
    assert_eq!(
        Period::last_closed(2026, 3),
        ["2025Q4".parse().unwrap(), Period::Year(2025)]
    );
    assert_eq!(Period::last_closed(2026, 4)[0].to_string(), "2026Q1");
}

#[test]
fn headlines_are_the_period_sums_by_hand() {
    let r = make(&input()).unwrap();
    assert_eq!(r.level, "district");
    assert_eq!(r.title_zh, "海淀区2026年第3季度生活服务统计季度发布");
    let b = headline(&r, "bookings_completed");
    assert_eq!(b.current, Cell::Value { value: 50.0 });
    assert_eq!(b.previous, Cell::Value { value: 42.0 });
    // A stock is the last month's, not the sum (94).
    assert_eq!(
        headline(&r, "home_beds_in_use").current,
        Cell::Value { value: 33.0 }
    );
    // 27 of 30 person-months: but the rest (3) is below 10, so the rate is withheld.
    let vr = headline(&r, "visit_rate");
    assert_eq!(vr.current, Cell::Suppressed);
    assert_eq!(vr.target.as_ref().unwrap().met, None);
    // No data at all in the quarter: missing, not 0.
    assert_eq!(headline(&r, "warnings_opened").current, Cell::Missing);
}

#[test]
fn percents_against_the_target() {
    let mut i = input();
    // 60 of 100 person-months: every part ≥ 10, published, and short of the 100 % target.
    i.values.retain(|v| v.indicator != "visit_rate");
    for m in ["2026-07", "2026-08", "2026-09"] {
        i.values
            .push(v(D, "visit_rate", m, 20.0, Some(100.0 / 3.0)));
    }
    let r = make(&i).unwrap();
    let vr = headline(&r, "visit_rate");
    let value = vr.current.value().unwrap();
    assert!((value - 60.0).abs() < 1e-9, "{value}");
    assert_eq!(vr.target.as_ref().unwrap().met, Some(false));
    let t = r
        .trends
        .iter()
        .find(|t| t.indicator.key == "visit_rate")
        .unwrap();
    assert_eq!(t.target, Some(100.0));
}

#[test]
fn the_table_suppresses_small_cells_and_their_complements() {
    let r = make(&input()).unwrap();
    let k = col(&r, "bookings_completed");
    let names: Vec<&str> = r.table.rows.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["学院路街道", "清河街道"]);
    // S2 = 5 is withheld for itself; S1 = 45 then follows from the total 50, so it is
    // withheld as the complement; the total stays.
    assert_eq!(r.table.rows[1].cells[k], Cell::Suppressed);
    assert_eq!(r.table.rows[0].cells[k], Cell::Suppressed);
    assert_eq!(r.table.total.cells[k], Cell::Value { value: 50.0 });
    assert!(r.table.primary >= 1 && r.table.secondary >= 1);
    assert!(r.table.unallocated.is_none());
    // No published cell anywhere is a count between 1 and 9.
    for row in r.table.rows.iter().chain([&r.table.total]) {
        for (c, l) in row.cells.iter().zip(&r.table.columns) {
            if let (false, Some(x)) = (l.percent, c.value()) {
                assert!(x == 0.0 || x >= 10.0, "{} {x}", l.key);
            }
        }
    }
}

#[test]
fn what_is_coded_to_the_region_itself_has_its_own_row() {
    let mut i = input();
    // 12 more bookings coded to the district itself in July.
    for x in i.values.iter_mut() {
        if x.division == D && x.indicator == "bookings_completed" && x.month == "2026-07" {
            x.numerator = Some(35.0);
        }
    }
    let r = make(&i).unwrap();
    let k = col(&r, "bookings_completed");
    assert_eq!(r.table.total.cells[k], Cell::Value { value: 62.0 });
    // 62 = 45 + 5 + 12: S2 (5) is withheld, and the smallest other part — the rest, 12 — as
    // its complement; S1 and the district stay published.
    let rest = r.table.unallocated.as_ref().expect("a row for the rest");
    assert_eq!(rest.cells[k], Cell::Suppressed);
    assert_eq!(r.table.rows[0].cells[k], Cell::Value { value: 45.0 });
    assert_eq!(r.table.rows[1].cells[k], Cell::Suppressed);
}

#[test]
fn trends_start_at_the_first_period_with_data() {
    let r = make(&input()).unwrap();
    let t = r
        .trends
        .iter()
        .find(|t| t.indicator.key == "bookings_completed")
        .unwrap();
    let periods: Vec<String> = t.points.iter().map(|p| p.period.to_string()).collect();
    assert_eq!(periods, ["2026Q2", "2026Q3"]);
    assert_eq!(t.points[0].cell, Cell::Value { value: 42.0 });
    let g = chart(t, 300.0, 120.0);
    assert_eq!(g.lines.len(), 1);
    assert_eq!(g.y_max, 50.0);
    // 42 of 50 up the plot area (8 … baseline).
    let y42 = g.lines[0][0].1;
    assert!((y42 - (g.baseline - 0.84 * (g.baseline - 8.0))).abs() < 1e-3);
}

#[test]
fn no_data_and_wrong_regions_are_refused() {
    let mut i = input();
    i.period = "2025Q1".parse().unwrap();
    assert_eq!(
        make(&i).unwrap_err(),
        ReleaseError::NoData {
            region: D.into(),
            period: "2025Q1".into()
        }
    );
    let mut i = input();
    i.region.code = S1.into();
    assert!(matches!(make(&i), Err(ReleaseError::Region(_))));
}

#[test]
fn html_and_pdf_render() {
    let r = make(&input()).unwrap();
    let h = release_html(&r);
    assert!(h.contains("海淀区2026年第3季度生活服务统计季度发布"));
    assert!(h.contains("<svg class=\"chart\""));
    assert!(h.contains("<polyline"));
    assert!(!h.contains("http://") && !h.contains("https://"));
    let pdf = release_pdf(&r).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    assert!(!doc.get_pages().is_empty());
}
