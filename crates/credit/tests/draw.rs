//! 双随机一公开 draws: a hand-worked example, replay, tampering, recusal, ratios, the seed and
//! the algorithm version.

mod draw_support;

use draw_support::{city, general_item, inspector, key_item, object, plan, uscc};
use lc_credit::draw::{
    commitment, count_for, draw, pool_hashes, verify, verify_published, DrawError, Manifest,
    PublicValue, Published, Ratios, RiskClass, Seed, Status,
};

/// The tiny example, worked by hand with coreutils and Python (not with this crate):
///
/// * Pools: objects o1, o2, o3 of class C whose providers are codes 1, 2, 3; inspectors i1
///   (affiliated with provider 1), i2, i3 (declared conflict with provider 2), all qualified,
///   and i4 without the 行政执法证 the key item requires.
/// * Count: class C has 3 objects at 4000 basis points: ceil(3 × 4000 / 10000) = ceil(1.2) = 2.
///   The other classes are empty.
/// * Key: one public value "123" → `123/`.
/// * Stream `objects/C`, candidates [o1, o2, o3]:
///   `printf '\x00\x00\x00\x00123/objects/C/\x00\x00\x00\x00' | sha256sum` starts
///   `59deaaade9b3a817` = 6475800978132281367; below ⌊2⁶⁴/3⌋×3 = 2⁶⁴−1, so accepted;
///   mod 3 = 0 → o1. Candidates [o2, o3]: hash 1 (`\x00\x00\x00\x01` at both ends) starts
///   `2e9d953414b7f271` = 3359004948006695537, mod 2 = 1 → o3.
/// * o1's eligible inspectors: i1 recuses (affiliation), i4 is unqualified → [i2, i3]. Stream
///   `inspectors/o1`: hash 0 starts `5621b6cb45f2f257` = 6206442745661420119, mod 2 = 1 → i3;
///   then [i2] → i2 (hash 1, mod 1 = 0).
/// * o3's eligible inspectors: [i1, i2, i3]. Stream `inspectors/o3`: hash 0 starts
///   `f8b5017b90be6855` = 17921231922411759701, mod 3 = 2 → i3; [i1, i2]: hash 1 starts
///   `41693e1b669de9bd` = 4713366772426598845, mod 2 = 1 → i2.
/// * Object pool hash: Python's `json.dumps(objects, separators=(',', ':'),
///   ensure_ascii=False)` of the three sorted objects, SHA-256 →
///   `55a108b59c7ce70bd13695e4a27b6a3d7512cba13425ee03c3da9d0fe65473c6`.
#[test]
fn hand_worked_tiny_draw() {
    let mut p = plan(
        vec![
            object("o3", 3, RiskClass::C),
            object("o1", 1, RiskClass::C),
            object("o2", 2, RiskClass::C),
        ],
        vec![
            inspector("i1", true, Some(1), &[]),
            inspector("i2", true, None, &[]),
            inspector("i3", true, None, &[2]),
            inspector("i4", false, None, &[]),
        ],
    );
    // Python's codes: the same fixtures with the body 91230600MA1C0000n.
    for (o, code) in p.objects.iter_mut().zip([
        "91230600MA1C00003X",
        "91230600MA1C00001P",
        "91230600MA1C00002T",
    ]) {
        o.provider_code = code.into();
    }
    p.inspectors[0].affiliation = Some("91230600MA1C00001P".into());
    p.inspectors[2].conflicts = vec!["91230600MA1C00002T".into()];
    p.seed.public_values = vec![PublicValue {
        source: "lottery".into(),
        value: "123".into(),
    }];
    let m = draw(&p).unwrap();
    assert_eq!(m.seed_key, "123/");
    assert_eq!(
        m.objects_sha256,
        "55a108b59c7ce70bd13695e4a27b6a3d7512cba13425ee03c3da9d0fe65473c6"
    );
    let c = &m.result.classes[2];
    assert_eq!(
        (c.class, c.pool_size, c.ratio, c.count),
        (RiskClass::C, 3, 4000, 2)
    );
    let got: Vec<(&str, Vec<&str>)> = c
        .objects
        .iter()
        .map(|d| {
            (
                d.object.as_str(),
                d.inspectors.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(got, [("o1", vec!["i3", "i2"]), ("o3", vec!["i3", "i2"])]);
    for other in [0, 1, 3] {
        assert!(m.result.classes[other].objects.is_empty());
    }
    assert!(verify(&m).verified, "{}", verify(&m).text());
}

#[test]
fn counts_by_hand() {
    assert_eq!(count_for(3, 4000), 2);
    assert_eq!(count_for(10, 500), 1);
    assert_eq!(count_for(20, 500), 1);
    assert_eq!(count_for(21, 500), 2);
    assert_eq!(count_for(100, 1500), 15);
    assert_eq!(count_for(1, 1), 1);
    assert_eq!(count_for(0, 8000), 0);
    assert_eq!(count_for(7, 10_000), 7);
    assert_eq!(count_for(7, 0), 0);
    let d = Ratios::default();
    assert_eq!((d.a, d.b, d.c, d.d), (500, 1500, 4000, 8000));
}

#[test]
fn replay_is_deterministic_and_pool_order_does_not_matter() {
    let p = city(200);
    let m = draw(&p).unwrap();
    let report = verify(&m);
    assert!(report.verified, "{}", report.text());
    assert_eq!(draw(&p).unwrap(), m);

    let mut shuffled = p.clone();
    shuffled.objects.reverse();
    shuffled.objects.rotate_left(37);
    shuffled.inspectors.reverse();
    shuffled.check_items = vec![general_item(), key_item()];
    shuffled.check_items.reverse();
    let mut same_items = p.clone();
    same_items.check_items = vec![general_item(), key_item()];
    same_items.ratios.b = 2000;
    shuffled.ratios.b = 2000;
    assert_eq!(draw(&shuffled).unwrap(), draw(&same_items).unwrap());
    shuffled.check_items = p.check_items.clone();
    shuffled.ratios = p.ratios;
    assert_eq!(draw(&shuffled).unwrap(), m);

    // Through JSON, re-indented: the same manifest, the same hash, still verified.
    let text = serde_json::to_string_pretty(&m).unwrap();
    let back: Manifest = serde_json::from_str(&text).unwrap();
    assert_eq!(back.sha256(), m.sha256());
    assert!(verify(&back).verified);
    // Listing the manifest's pools in another order changes nothing either.
    let mut reordered = back.clone();
    reordered.objects.reverse();
    reordered.inspectors.reverse();
    assert!(verify(&reordered).verified);
}

#[test]
fn one_changed_pool_entry_fails_verification() {
    let m = draw(&city(60)).unwrap();
    let drawn: Vec<String> = m.drawn().map(|d| d.object.clone()).collect();

    // An object that was not drawn, one field changed: the hash says so.
    let mut t = m.clone();
    let i = t
        .objects
        .iter()
        .position(|o| !drawn.contains(&o.id))
        .unwrap();
    t.objects[i].category = "家政服务".into();
    let r = verify(&t);
    assert!(!r.verified);
    assert!(r.failed("objects_sha256"), "{}", r.text());
    assert!(!r.failed("replay"));

    // A drawn object moved to another class: the hash and the replay both fail.
    let mut t = m.clone();
    let i = t.objects.iter().position(|o| o.id == drawn[0]).unwrap();
    t.objects[i].class = if t.objects[i].class == RiskClass::D {
        RiskClass::A
    } else {
        RiskClass::D
    };
    let r = verify(&t);
    assert!(
        r.failed("objects_sha256") && r.failed("replay"),
        "{}",
        r.text()
    );

    // An inspector's declared conflicts changed.
    let mut t = m.clone();
    t.inspectors[4].conflicts.clear();
    let r = verify(&t);
    assert!(r.failed("inspectors_sha256"), "{}", r.text());

    // An object removed from the pool (hash recomputed by the forger): the hash published
    // before the draw catches it.
    let mut t = m.clone();
    t.objects.retain(|o| o.id != drawn[0]);
    t.objects_sha256 = pool_hashes(&t.plan()).unwrap().objects_sha256;
    let published = Published {
        objects_sha256: Some(m.objects_sha256.clone()),
        inspectors_sha256: Some(m.inspectors_sha256.clone()),
        ..Published::default()
    };
    let r = verify_published(&t, &published);
    assert!(r.failed("published_objects_sha256"), "{}", r.text());
    assert!(verify_published(&m, &published).verified);
}

#[test]
fn a_tampered_result_fails_and_says_where() {
    let m = draw(&city(60)).unwrap();
    let mut t = m.clone();
    let class = t
        .result
        .classes
        .iter_mut()
        .find(|c| !c.objects.is_empty())
        .unwrap();
    let d = &mut class.objects[0];
    let object = d.object.clone();
    d.inspectors[1] = "insp-xx".into();
    let r = verify(&t);
    assert!(r.failed("replay"));
    let f = r.failures().find(|f| f.check == "replay").unwrap();
    assert!(f.zh.contains(&object) && f.en.contains(&object), "{f:?}");
    assert!(f.en.contains("insp-xx"), "{f:?}");

    // An object dropped from the result.
    let mut t = m.clone();
    let c = t
        .result
        .classes
        .iter_mut()
        .find(|c| !c.objects.is_empty())
        .unwrap();
    let gone = c.objects.pop().unwrap();
    let r = verify(&t);
    let f = r.failures().find(|f| f.check == "replay").unwrap();
    assert!(f.en.contains(&gone.object), "{f:?}");
    assert!(r.text().contains("NOT VERIFIED"));
}

#[test]
fn conflicted_and_affiliated_inspectors_are_never_drawn_for_that_provider() {
    // Provider 1's objects: only i2 and i5 may check them.
    let objects: Vec<_> = (0..30)
        .map(|i| object(&format!("o{i:02}"), 1 + (i % 2), RiskClass::D))
        .collect();
    let inspectors = vec![
        inspector("i1", true, Some(1), &[]),
        inspector("i2", true, None, &[2]),
        inspector("i3", true, None, &[1]),
        // Declared in lower case: still the same provider.
        inspector("i4", true, None, &[]),
        inspector("i5", true, None, &[]),
        inspector("i6", false, None, &[]),
    ];
    let mut p = plan(objects, inspectors);
    p.inspectors[3].conflicts = vec![uscc(1).to_ascii_lowercase()];
    p.ratios.d = 10_000;
    let m = draw(&p).unwrap();
    for d in m.drawn() {
        let mut got = d.inspectors.clone();
        got.sort();
        if d.provider_code == uscc(1) {
            assert_eq!(got, ["i2", "i5"], "{d:?}");
        } else {
            assert!(!got.contains(&"i2".to_string()) && !got.contains(&"i6".to_string()));
        }
    }
}

#[test]
fn an_object_that_cannot_be_staffed_is_refused_before_the_draw() {
    let mut p = city(40);
    // A class-A object that a 5% draw would most likely skip: refused all the same.
    p.objects.push(object("lonely", 99, RiskClass::A));
    for i in p.inspectors.iter_mut().skip(1) {
        i.conflicts.push(uscc(99));
    }
    let e = draw(&p).unwrap_err();
    assert_eq!(
        e,
        DrawError::Unstaffable {
            object: "lonely".into(),
            provider_code: uscc(99),
            eligible: 1,
            needed: 2,
        }
    );
    let text = e.to_string();
    assert!(
        text.contains("lonely") && text.contains("无法配齐") && text.contains("cannot be staffed")
    );
    assert!(pool_hashes(&p).is_err());

    // Three inspectors per object when only two are free.
    let mut p = city(40);
    p.inspectors_per_object = 3;
    let mut q = p.clone();
    for i in q.inspectors.iter_mut().skip(2) {
        i.qualifications.clear();
    }
    assert!(matches!(
        draw(&q),
        Err(DrawError::Unstaffable { needed: 3, .. })
    ));
    let m = draw(&p).unwrap();
    assert!(m.drawn().all(|d| d.inspectors.len() == 3));
    // Fewer than two is not allowed.
    p.inspectors_per_object = 1;
    let Err(DrawError::Invalid(errors)) = draw(&p) else {
        panic!("one inspector per object accepted")
    };
    assert_eq!(errors[0].field, "inspectors_per_object");
}

#[test]
fn general_items_cap_the_ratios_and_key_items_do_not() {
    let mut p = city(50);
    p.ratios = Ratios {
        a: 10_000,
        b: 10_000,
        c: 10_000,
        d: 10_000,
    };
    let m = draw(&p).unwrap();
    assert!(m.result.classes.iter().all(|c| c.count == c.pool_size));

    p.check_items.push(general_item());
    p.ratios = Ratios {
        a: 500,
        b: 2000,
        c: 6000,
        d: 10_000,
    };
    assert!(draw(&p).is_ok());
    for (class, over) in [
        (RiskClass::A, Ratios { a: 501, ..p.ratios }),
        (
            RiskClass::B,
            Ratios {
                b: 2001,
                ..p.ratios
            },
        ),
        (
            RiskClass::C,
            Ratios {
                c: 6001,
                ..p.ratios
            },
        ),
    ] {
        let mut q = p.clone();
        q.ratios = over;
        let e = draw(&q).unwrap_err();
        assert!(
            matches!(&e, DrawError::RatioAboveCap { class: c, item, .. } if *c == class && item == "G01"),
            "{e}"
        );
        // A manifest forged with such ratios does not verify.
        let mut m = draw(&p).unwrap();
        m.ratios = over;
        assert!(verify(&m).failed("ratios"));
    }
    let mut q = p.clone();
    q.ratios.d = 10_001;
    let Err(DrawError::Invalid(errors)) = draw(&q) else {
        panic!("a ratio above 100% accepted")
    };
    assert_eq!(errors[0].field, "ratios.d");
}

#[test]
fn commit_reveal() {
    let secret = "2026-Q4-daqing-secret-7f3a";
    // `printf %s 2026-Q4-daqing-secret-7f3a | sha256sum`
    let hand = "698806fff21d64baca514a317c538cd00c4fdbc6ac1a7a2e307989f0a9efc68a";
    assert_eq!(commitment(secret), hand);
    let mut p = city(30);
    p.seed = Seed {
        commitment: Some(hand.to_ascii_uppercase()),
        reveal: Some(secret.into()),
        public_values: vec![PublicValue {
            source: "体彩排列3 第26330期".into(),
            value: "0 4 9".into(),
        }],
    };
    let m = draw(&p).unwrap();
    assert_eq!(m.seed_key, format!("{secret}/0 4 9/"));
    assert_eq!(m.seed.commitment.as_deref(), Some(hand));
    let r = verify_published(
        &m,
        &Published {
            commitment: Some(hand.into()),
            ..Published::default()
        },
    );
    assert!(r.verified, "{}", r.text());
    assert!(!r.findings.iter().any(|f| f.check == "public_value"));

    // A reveal that does not match: refused at the draw, failed at verification.
    let mut q = p.clone();
    q.seed.reveal = Some("2026-Q4-daqing-secret-7f3b".into());
    assert!(matches!(draw(&q), Err(DrawError::RevealMismatch { .. })));
    let mut t = m.clone();
    t.seed.reveal = q.seed.reveal.clone();
    let r = verify(&t);
    assert!(r.failed("commitment"), "{}", r.text());
    let f = r.failures().next().unwrap();
    assert!(
        f.zh.contains("承诺") && f.en.contains("commitment") && !f.en.contains("承诺"),
        "{f:?}"
    );

    // Committed but not revealed; revealed without a commitment; no seed at all.
    let mut q = p.clone();
    q.seed.reveal = None;
    assert_eq!(draw(&q), Err(DrawError::RevealMissing));
    assert!(
        pool_hashes(&q).is_ok(),
        "the pools can be hashed before the reveal"
    );
    q.seed.reveal = Some(secret.into());
    q.seed.commitment = None;
    assert_eq!(draw(&q), Err(DrawError::CommitmentMissing));
    q.seed = Seed::default();
    assert_eq!(draw(&q), Err(DrawError::NoSeed));
    // A short secret could be searched from its commitment.
    q.seed = Seed {
        commitment: Some(commitment("1234")),
        reveal: Some("1234".into()),
        public_values: vec![],
    };
    assert!(matches!(draw(&q), Err(DrawError::Invalid(e)) if e[0].code == "weak_secret"));

    // Commit–reveal alone draws, with a note.
    let mut q = p.clone();
    q.seed.public_values.clear();
    let r = verify(&draw(&q).unwrap());
    assert!(r.verified);
    assert!(r
        .findings
        .iter()
        .any(|f| f.check == "public_value" && f.status == Status::Note));
}

#[test]
fn a_different_seed_gives_a_different_draw() {
    let p = city(300);
    let mut q = p.clone();
    q.seed.public_values[0].value = "5 8 3".into();
    let a: Vec<_> = draw(&p).unwrap().drawn().cloned().collect();
    let b: Vec<_> = draw(&q).unwrap().drawn().cloned().collect();
    assert_eq!(a.len(), b.len());
    assert_ne!(a, b);
}

#[test]
fn unknown_algorithm_versions_are_refused() {
    let mut p = city(20);
    p.algorithm = "lc-draw/2".into();
    assert_eq!(
        draw(&p),
        Err(DrawError::UnknownAlgorithm("lc-draw/2".into()))
    );
    p.algorithm = "rfc3797".into();
    assert!(draw(&p)
        .unwrap_err()
        .to_string()
        .contains("unknown draw algorithm version"));

    let mut m = draw(&city(20)).unwrap();
    m.algorithm = "lc-draw/2".into();
    let r = verify(&m);
    assert!(!r.verified);
    assert_eq!(
        r.findings.len(),
        1,
        "nothing is replayed under an unknown version"
    );
    assert!(r.failed("algorithm"));
}

#[test]
fn a_higher_ratio_only_adds_objects_at_the_end() {
    let mut p = city(400);
    let low = draw(&p).unwrap();
    p.ratios = Ratios {
        a: 1000,
        b: 3000,
        c: 7000,
        d: 10_000,
    };
    let high = draw(&p).unwrap();
    for (l, h) in low.result.classes.iter().zip(&high.result.classes) {
        assert!(h.count > l.count);
        assert_eq!(l.objects[..], h.objects[..l.objects.len()]);
    }
}

#[test]
fn redraws_name_the_draw_they_replace_and_why() {
    let first = draw(&city(50)).unwrap();
    let mut p = city(50);
    p.seed.public_values[0].value = "1 1 7".into();
    p.redraw_of = Some(first.sha256());
    let Err(DrawError::Invalid(e)) = draw(&p) else {
        panic!("a redraw without a reason accepted")
    };
    assert_eq!(e[0].field, "redraw_reason");
    p.redraw_reason =
        Some("检查对象 obj-00003 已注销 the object obj-00003 was deregistered".into());
    let second = draw(&p).unwrap();
    assert_eq!(second.redraw_of.as_deref(), Some(first.sha256().as_str()));
    let r = verify(&second);
    assert!(r.verified);
    assert!(r
        .findings
        .iter()
        .any(|f| f.check == "redraw_of" && f.status == Status::Note && f.zh.contains("已注销")));
    let with_previous = Published {
        previous_sha256: Some(first.sha256()),
        ..Published::default()
    };
    assert!(verify_published(&second, &with_previous).verified);
    // A draw that does not name the previous one is no redraw of it.
    assert!(verify_published(&first, &with_previous).failed("redraw_of"));
}

#[test]
fn bad_entries_are_named_field_by_field() {
    let mut p = city(10);
    p.objects[3].provider_code = "91230600MA00000011".into();
    p.objects[4].division_code = "23x6".into();
    p.objects[5].id = p.objects[6].id.clone();
    p.inspectors[2].conflicts = vec!["nonsense".into()];
    p.drawn_at = "yesterday".into();
    p.seed.public_values[0].value = "5/8".into();
    let Err(DrawError::Invalid(errors)) = draw(&p) else {
        panic!("bad entries accepted")
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    for f in [
        "drawn_at",
        "objects[3].provider_code",
        "objects[4].division_code",
        "objects",
        "inspectors[2].conflicts[0]",
        "seed.public_values[0].value",
    ] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    assert!(errors
        .iter()
        .all(|e| !e.message_zh.is_empty() && !e.message_en.is_empty()));
    let dup = errors.iter().find(|e| e.code == "duplicate").unwrap();
    assert!(dup.message_en.contains(&p.objects[6].id));
}

#[test]
fn the_manifest_has_stable_snake_case_keys() {
    let m = draw(&city(20)).unwrap();
    let v = serde_json::to_value(&m).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = [
        "algorithm",
        "label",
        "drawn_at",
        "check_items",
        "objects",
        "objects_sha256",
        "inspectors",
        "inspectors_sha256",
        "ratios",
        "inspectors_per_object",
        "recusal",
        "seed",
        "seed_key",
        "redraw_of",
        "redraw_reason",
        "result",
    ];
    let mut keys = keys;
    keys.sort();
    expected.sort();
    assert_eq!(keys, expected);
    assert_eq!(v["check_items"][0]["kind"], "key");
    assert_eq!(v["objects"][0]["class"], "A");
    assert_eq!(v["ratios"]["b"], 1500);
    assert_eq!(v["result"]["classes"][3]["class"], "D");
    // Unknown keys are refused rather than ignored.
    let mut bad = v.clone();
    bad["result"]["note"] = "x".into();
    assert!(serde_json::from_value::<Manifest>(bad).is_err());
}

#[test]
fn a_city_sized_pool() {
    let p = city(20_000);
    let m = draw(&p).unwrap();
    let total: usize = m.result.classes.iter().map(|c| c.count).sum();
    assert!(total > 5_000);
    assert!(verify(&m).verified);
}

#[test]
fn the_public_list_carries_no_class() {
    let m = draw(&city(120)).unwrap();
    let public = m.public_result();
    let text = serde_json::to_string(&public).unwrap();
    assert!(!text.contains("class"), "{text}");
    assert!(!text.contains("ratio") && !text.contains("pool_size"));
    let ids: Vec<&str> = public.drawn.iter().map(|d| d.object.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "sorted by id, not grouped by class");
    assert_eq!(ids.len(), m.drawn().count());
    assert_eq!(public.manifest_sha256, m.sha256());

    let with = |p: &lc_credit::draw::PublicResult| Published {
        public: Some(p.clone()),
        ..Published::default()
    };
    assert!(verify_published(&m, &with(&public)).verified);
    let mut forged = public.clone();
    forged.drawn[0].inspectors.reverse();
    let r = verify_published(&m, &with(&forged));
    assert!(r.failed("public_result"), "{}", r.text());
}
