//! Properties of 双随机 draws over random pools: recusal always holds, per-class counts follow
//! the ratios, the input order of the pools never matters, every draw verifies.

mod draw_support;

use draw_support::{inspector, object, plan, uscc};
use lc_credit::draw::{draw, verify, DrawError, Plan, Ratios, RiskClass};
use proptest::prelude::*;

const PROVIDERS: u32 = 6;

/// (provider, class) per object; (qualified, affiliation, conflict mask) per inspector.
type Pools = (Vec<(u32, usize)>, Vec<(bool, Option<u32>, u8)>);

fn pools() -> impl Strategy<Value = Pools> {
    (
        prop::collection::vec((0..PROVIDERS, 0..4usize), 1..40),
        prop::collection::vec(
            (
                prop::bool::weighted(0.9),
                prop::option::weighted(0.3, 0..PROVIDERS),
                any::<u8>().prop_map(|m| m & 0b11_1111 & (m >> 2)),
            ),
            2..14,
        ),
    )
}

fn ratios() -> impl Strategy<Value = Ratios> {
    (0..=10_000u32, 0..=10_000u32, 0..=10_000u32, 0..=10_000u32).prop_map(|(a, b, c, d)| Ratios {
        a,
        b,
        c,
        d,
    })
}

fn build(pools: &Pools, ratios: Ratios, seed: &str) -> Plan {
    let (objs, insps) = pools;
    let objects = objs
        .iter()
        .enumerate()
        .map(|(i, &(p, c))| object(&format!("o{i}"), p, RiskClass::ALL[c]))
        .collect();
    let inspectors = insps
        .iter()
        .enumerate()
        .map(|(i, &(q, aff, mask))| {
            let conflicts: Vec<u32> = (0..PROVIDERS).filter(|b| mask & (1 << b) != 0).collect();
            inspector(&format!("i{i}"), q, aff, &conflicts)
        })
        .collect();
    let mut p = plan(objects, inspectors);
    p.ratios = ratios;
    p.seed.public_values[0].value = seed.to_string();
    p
}

/// Whether inspector `i` of the pools may check an object of `provider` (the rule restated
/// here from the raw pools, not from the crate).
fn may_check(pools: &Pools, i: usize, provider: u32) -> bool {
    let (q, aff, mask) = pools.1[i];
    q && aff != Some(provider) && mask & (1 << provider) == 0
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn a_conflicted_inspector_is_never_drawn_for_that_object(
        pools in pools(),
        ratios in ratios(),
        seed in "[0-9]{1,6}",
        per_object in 2u32..4,
    ) {
        let mut p = build(&pools, ratios, &seed);
        p.inspectors_per_object = per_object;
        match draw(&p) {
            Ok(m) => {
                for d in m.drawn() {
                    let oi: usize = d.object[1..].parse().unwrap();
                    let provider = pools.0[oi].0;
                    prop_assert_eq!(d.provider_code.clone(), uscc(provider));
                    prop_assert_eq!(d.inspectors.len(), per_object as usize);
                    let mut distinct = d.inspectors.clone();
                    distinct.sort();
                    distinct.dedup();
                    prop_assert_eq!(distinct.len(), d.inspectors.len());
                    for id in &d.inspectors {
                        let ii: usize = id[1..].parse().unwrap();
                        prop_assert!(may_check(&pools, ii, provider), "{} drawn for {}", id, d.object);
                    }
                }
                prop_assert!(verify(&m).verified);
            }
            Err(DrawError::Unstaffable { object, eligible, needed, .. }) => {
                let oi: usize = object[1..].parse().unwrap();
                let provider = pools.0[oi].0;
                let free = (0..pools.1.len()).filter(|&i| may_check(&pools, i, provider)).count();
                prop_assert_eq!(free, eligible);
                prop_assert!(free < needed as usize);
            }
            Err(e) => prop_assert!(false, "unexpected refusal: {}", e),
        }
    }

    #[test]
    fn per_class_counts_follow_the_ratios(
        classes in prop::collection::vec(0..4usize, 1..200),
        ratios in ratios(),
        seed in "[0-9]{1,6}",
    ) {
        let objects = classes
            .iter()
            .enumerate()
            .map(|(i, &c)| object(&format!("o{i}"), 1, RiskClass::ALL[c]))
            .collect();
        let inspectors = (0..3).map(|i| inspector(&format!("i{i}"), true, None, &[])).collect();
        let mut p = plan(objects, inspectors);
        p.ratios = ratios;
        p.seed.public_values[0].value = seed;
        let m = draw(&p).unwrap();
        prop_assert_eq!(m.result.classes.len(), 4);
        for (k, c) in m.result.classes.iter().enumerate() {
            prop_assert_eq!(c.class, RiskClass::ALL[k]);
            let n = classes.iter().filter(|&&x| x == k).count();
            let r = u64::from(ratios.of(c.class));
            // ceil(n × r / 10000): the quotient, plus one when there is a remainder.
            let product = n as u64 * r;
            let mut expected = (product / 10_000) as usize;
            if expected as u64 * 10_000 < product {
                expected += 1;
            }
            prop_assert_eq!(c.pool_size, n);
            prop_assert_eq!(c.count, expected);
            prop_assert_eq!(c.objects.len(), expected);
            prop_assert!(expected <= n);
            prop_assert!(expected as f64 >= n as f64 * r as f64 / 10_000.0);
            prop_assert!((expected as f64) < n as f64 * r as f64 / 10_000.0 + 1.0);
            let mut ids: Vec<&str> = c.objects.iter().map(|d| d.object.as_str()).collect();
            for id in &ids {
                let oi: usize = id[1..].parse().unwrap();
                prop_assert_eq!(classes[oi], k);
            }
            ids.sort();
            ids.dedup();
            prop_assert_eq!(ids.len(), expected);
        }
    }

    #[test]
    fn the_input_order_of_the_pools_does_not_matter(
        pools in pools(),
        ratios in ratios(),
        seed in "[0-9]{1,6}",
        rot_o in 0usize..40,
        rot_i in 0usize..14,
    ) {
        let p = build(&pools, ratios, &seed);
        let mut q = p.clone();
        q.objects.reverse();
        let n = q.objects.len();
        q.objects.rotate_left(rot_o % n);
        let n = q.inspectors.len();
        q.inspectors.rotate_left(rot_i % n);
        q.inspectors.swap(0, n - 1);
        prop_assert_eq!(draw(&p), draw(&q));
    }
}
