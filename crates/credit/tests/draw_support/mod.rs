//! Fixtures shared by the draw tests: valid credit codes, pools and plans.

#![allow(dead_code)]

use lc_credit::draw::{
    CheckItem, Inspector, ItemKind, Object, Plan, PublicValue, Ratios, RiskClass, Seed,
};

/// A valid unified social credit code numbered `n` (registered in Daqing, 230600).
pub fn uscc(n: u32) -> String {
    let body = format!("91230600MA{n:07}");
    let check = lc_registry::uscc_check_char(&body).expect("17 characters of the alphabet");
    format!("{body}{check}")
}

pub fn object(id: &str, provider: u32, class: RiskClass) -> Object {
    Object {
        id: id.into(),
        provider_code: uscc(provider),
        category: "养老服务".into(),
        division_code: "230602".into(),
        class,
    }
}

pub fn inspector(
    id: &str,
    qualified: bool,
    affiliation: Option<u32>,
    conflicts: &[u32],
) -> Inspector {
    Inspector {
        id: id.into(),
        name: format!("检查员{id}"),
        department: "大庆市市场监督管理局".into(),
        qualifications: if qualified {
            vec!["行政执法证".into()]
        } else {
            vec![]
        },
        affiliation: affiliation.map(uscc),
        conflicts: conflicts.iter().map(|&c| uscc(c)).collect(),
    }
}

pub fn key_item() -> CheckItem {
    CheckItem {
        code: "K01".into(),
        name: "消防安全".into(),
        kind: ItemKind::Key,
        qualifications: vec!["行政执法证".into()],
    }
}

pub fn general_item() -> CheckItem {
    CheckItem {
        code: "G01".into(),
        name: "价格公示".into(),
        kind: ItemKind::General,
        qualifications: vec![],
    }
}

/// A plan over the given pools with one key item, default ratios and a public-value seed.
pub fn plan(objects: Vec<Object>, inspectors: Vec<Inspector>) -> Plan {
    Plan {
        algorithm: "lc-draw/1".into(),
        label: "2026年第四季度养老服务机构双随机抽查".into(),
        drawn_at: "2026-12-05T02:00:00Z".into(),
        check_items: vec![key_item()],
        objects,
        inspectors,
        ratios: Ratios::default(),
        inspectors_per_object: 2,
        seed: Seed {
            commitment: None,
            reveal: None,
            public_values: vec![PublicValue {
                source: "中国福利彩票3D 第2026330期".into(),
                value: "5 8 2".into(),
            }],
        },
        redraw_of: None,
        redraw_reason: None,
    }
}

/// A mixed pool: `n` objects over classes A–D and 12 providers, 10 qualified inspectors (some
/// affiliated or with conflicts) and one unqualified one.
pub fn city(n: usize) -> Plan {
    let classes = RiskClass::ALL;
    let objects = (0..n)
        .map(|i| object(&format!("obj-{i:05}"), (i % 12) as u32, classes[i % 7 % 4]))
        .collect();
    let mut inspectors: Vec<Inspector> = (0..10)
        .map(|i| {
            let aff = (i % 3 == 0).then_some(i as u32);
            inspector(&format!("insp-{i:02}"), true, aff, &[(i as u32 + 1) % 12])
        })
        .collect();
    inspectors.push(inspector("insp-xx", false, None, &[]));
    plan(objects, inspectors)
}
