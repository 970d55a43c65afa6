//! Deadlines worked out by hand from `data/calendar_cn.json` (the 2026 notice: Spring Festival
//! off 02-15 to 02-23; 调休 working Saturdays 02-14 and 02-28).

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
