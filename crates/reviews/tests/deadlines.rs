//! Deadlines worked out by hand from `data/calendar_cn.json` (the 2026 notice: Spring Festival
//! off 02-15 to 02-23; 调休 working Saturdays 02-14 and 02-28; New Year 01-01 to 01-03, 调休
//! Sunday 01-04. The 2025 notice: Spring Festival off 01-28 to 02-04; 调休 Sunday 01-26 and
//! Saturday 02-08).

use jiff::civil::{date, time, Date};
use lc_reviews::case::{transition, Action, Actor, Case};
use lc_reviews::jurisdiction;
use lc_reviews::workdays::Calendar;

fn at(d: Date) -> i64 {
    lc_services::time::instant(d, time(16, 30, 0, 0)).unwrap()
}

#[test]
fn sichuan_15_working_days_from_the_working_day_before_the_spring_festival() {
    // Received Saturday 2026-02-14, a 调休 working day and the last working day before the
    // holiday. The day of receipt does not count; 02-15..02-23 are off.
    //  1 Tue 02-24   2 Wed 02-25   3 Thu 02-26   4 Fri 02-27   5 Sat 02-28 (调休)
    //  6 Mon 03-02   7 Tue 03-03   8 Wed 03-04   9 Thu 03-05  10 Fri 03-06
    // 11 Mon 03-09  12 Tue 03-10  13 Wed 03-11  14 Thu 03-12  15 Fri 03-13
    let c = Case::open(
        at(date(2026, 2, 14)),
        jurisdiction::get("sichuan").unwrap(),
        Calendar::national(),
    )
    .unwrap();
    assert_eq!(c.received, date(2026, 2, 14));
    assert_eq!(c.deadline, Some(date(2026, 3, 13)));
    assert!(!c.is_overdue(date(2026, 3, 13)));
    assert!(c.is_overdue(date(2026, 3, 14)));
}

#[test]
fn dezhou_5_working_days_ending_on_a_tiaoxiu_saturday() {
    // Received Saturday 02-14: 1 Tue 02-24, 2 Wed 02-25, 3 Thu 02-26, 4 Fri 02-27,
    // 5 Sat 02-28 (调休 working Saturday).
    let dz = jurisdiction::get("dezhou").unwrap();
    let c = Case::open(at(date(2026, 2, 14)), dz, Calendar::national()).unwrap();
    assert_eq!(c.deadline, Some(date(2026, 2, 28)));
    // Received Friday 02-13: 1 Sat 02-14 (调休), then 02-24, 02-25, 02-26, 5 Fri 02-27.
    let c = Case::open(at(date(2026, 2, 13)), dz, Calendar::national()).unwrap();
    assert_eq!(c.deadline, Some(date(2026, 2, 27)));
    // Received during the holiday (Wednesday 02-18): the count starts on the next working day,
    // 02-24, and ends on 02-28 as for a case received on 02-14.
    let c = Case::open(at(date(2026, 2, 18)), dz, Calendar::national()).unwrap();
    assert_eq!(c.deadline, Some(date(2026, 2, 28)));
    // Across the 调休 Sunday before National Day: received Friday 09-18, 1 Sun 09-20 (调休),
    // 2 Mon 09-21, 3 Tue 09-22, 4 Wed 09-23, 5 Thu 09-24.
    let c = Case::open(at(date(2026, 9, 18)), dz, Calendar::national()).unwrap();
    assert_eq!(c.deadline, Some(date(2026, 9, 24)));
}

#[test]
fn a_late_fix_is_recorded_as_late() {
    let dz = jurisdiction::get("dezhou").unwrap();
    let c = Case::open(at(date(2026, 2, 14)), dz, Calendar::national()).unwrap();
    let now = at(date(2026, 3, 2));
    let c = transition(&c, &Action::Verify, Actor::Provider, now)
        .unwrap()
        .0;
    let c = transition(&c, &Action::Rectify, Actor::Provider, now)
        .unwrap()
        .0;
    assert!(c.is_overdue(date(2026, 3, 1)));
    let c = transition(
        &c,
        &Action::ReportRectified {
            text: "已整改".into(),
        },
        Actor::Provider,
        now,
    )
    .unwrap()
    .0;
    assert_eq!(c.rectified_on_time, Some(false));
}

#[test]
fn a_deadline_past_the_calendar_data_is_refused() {
    let err = Case::open(
        at(date(2026, 12, 28)),
        jurisdiction::get("sichuan").unwrap(),
        Calendar::national(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "calendar_not_covered");
    assert!(err.message_zh().contains("2027"));
}

#[test]
fn sichuan_2025_spring_festival_and_across_new_year() {
    let sc = jurisdiction::get("sichuan").unwrap();
    // Received Monday 2025-01-27, the working day before the holiday (01-28..02-04 off):
    //  1 Wed 02-05   2 Thu 02-06   3 Fri 02-07   4 Sat 02-08 (调休)  5 Mon 02-10
    //  6 Tue 02-11   7 Wed 02-12   8 Thu 02-13   9 Fri 02-14        10 Mon 02-17
    // 11 Tue 02-18  12 Wed 02-19  13 Thu 02-20  14 Fri 02-21        15 Mon 02-24
    let c = Case::open(at(date(2025, 1, 27)), sc, Calendar::national()).unwrap();
    assert_eq!(c.deadline, Some(date(2025, 2, 24)));
    // Received Monday 2025-12-29, across the 2026 New Year (01-01..01-03 off, Sunday 01-04 worked):
    //  1 Tue 12-30   2 Wed 12-31   3 Sun 01-04 (调休)  4 Mon 01-05   5 Tue 01-06
    //  6 Wed 01-07   7 Thu 01-08   8 Fri 01-09        9 Mon 01-12  10 Tue 01-13
    // 11 Wed 01-14  12 Thu 01-15  13 Fri 01-16       14 Mon 01-19  15 Tue 01-20
    let c = Case::open(at(date(2025, 12, 29)), sc, Calendar::national()).unwrap();
    assert_eq!(c.deadline, Some(date(2026, 1, 20)));
}
