//! Property tests of the division-code rules (`lc_model::division`): any text is judged
//! without a panic and consistently by every function; every code built from a province and
//! digits is a code whose prefixes are the codes of its regions, each the parent of the next.

use lc_model::division::{
    self, is_code, is_code_prefix, level_of, padded12, prefix_at, prefixes, DivisionCode,
    DivisionLevel, PROVINCES,
};
use proptest::prelude::*;

/// A code: a known province and digits up to one of the five lengths.
fn code() -> impl Strategy<Value = String> {
    (
        prop::sample::select(PROVINCES.to_vec()),
        prop::sample::select(vec![2usize, 4, 6, 9, 12]),
        "[0-9]{10}",
    )
        .prop_map(|(p, n, tail)| format!("{p}{}", &tail[..n - 2]))
}

proptest! {
    #[test]
    fn any_text_is_judged_consistently(s in "\\PC{0,14}|[0-9]{0,13}") {
        let level = level_of(&s);
        prop_assert_eq!(is_code(&s), level.is_some());
        // Parsing trims; otherwise it agrees.
        prop_assert_eq!(DivisionCode::parse(&s).is_ok(), is_code(s.trim()));
        match level {
            Some(l) => {
                prop_assert_eq!(l.digits(), s.len());
                prop_assert!(is_code_prefix(&s));
                prop_assert!(PROVINCES.contains(&&s[..2]));
                prop_assert_eq!(prefixes(&s).len() as i64, l.number());
            }
            None => {
                prop_assert!(prefixes(&s).is_empty());
                for l in DivisionLevel::ALL {
                    prop_assert_eq!(prefix_at(&s, l), None);
                }
            }
        }
    }

    #[test]
    fn a_codes_prefixes_are_its_regions(c in code()) {
        let own = level_of(&c).expect("a built code is a code");
        let parsed = DivisionCode::parse(&c).unwrap();
        prop_assert_eq!(parsed.level(), own);
        prop_assert_eq!(parsed.as_str(), c.as_str());
        let p = prefixes(&c);
        prop_assert_eq!(p.last().copied(), Some((own, c.as_str())));
        for w in p.windows(2) {
            // Each region is the parent of the next, by level and by code.
            prop_assert_eq!(w[1].0.parent(), Some(w[0].0));
            prop_assert_eq!(w[0].0.child(), Some(w[1].0));
            prop_assert!(w[1].1.starts_with(w[0].1));
            let child = DivisionCode::parse(w[1].1).unwrap();
            prop_assert_eq!(child.parent().map(|x| x.to_string()), Some(w[0].1.to_string()));
        }
        for (l, r) in &p {
            prop_assert!(is_code(r));
            prop_assert_eq!(level_of(r), Some(*l));
            prop_assert_eq!(prefix_at(&c, *l), Some(*r));
        }
        for l in DivisionLevel::ALL.into_iter().filter(|l| *l > own) {
            prop_assert_eq!(prefix_at(&c, l), None);
        }
        prop_assert_eq!(division::province(&c), Some(&c[..2]));
        prop_assert_eq!(division::city(&c).is_some(), own >= DivisionLevel::Prefecture);
        prop_assert_eq!(division::county(&c).is_some(), own >= DivisionLevel::County);
        let padded = padded12(&c);
        prop_assert_eq!(padded.len(), 12);
        prop_assert!(padded.starts_with(&c));
        prop_assert!(padded[c.len()..].bytes().all(|b| b == b'0'));
        prop_assert_eq!(parsed.padded12(), padded);
    }

    #[test]
    fn a_province_part_outside_gb_t_2260_is_never_a_code(p in "[0-9]{2}", tail in "[0-9]{10}", n in prop::sample::select(vec![2usize, 4, 6, 9, 12])) {
        let c = format!("{p}{}", &tail[..n - 2]);
        prop_assert_eq!(is_code(&c), PROVINCES.contains(&p.as_str()));
    }
}
