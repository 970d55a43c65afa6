//! `livingcircle draw run` and `draw verify` end to end: a small plan is drawn, its manifest
//! verifies; one changed pool entry, a tampered result, a wrong reveal or a hash other than the
//! published one do not; bad input names the file, the field and why.

mod common;

use common::{assert_mentions, assert_ok, json, refused, run, s, stderr, write};
use std::path::Path;
use std::process::Output;

/// Six outlets of four providers (codes with valid check characters), five inspectors: i1 works
/// for provider 1, i2 declared a conflict with provider 2, i5 lacks the 行政执法证 the key item
/// needs. The secret's commitment is `printf %s 2026-Q4-daqing-secret-7f3a | sha256sum`.
const PLAN: &str = r#"{
  "label": "2026年第四季度养老服务机构双随机抽查",
  "drawn_at": "2026-12-05T02:00:00Z",
  "check_items": [
    {"code": "K01", "name": "消防安全", "kind": "key", "qualifications": ["行政执法证"]},
    {"code": "G01", "name": "收费公示", "kind": "general"}
  ],
  "objects": [
    {"id": "o1", "provider_code": "91230600MA1C00001P", "category": "养老服务", "division_code": "230604", "class": "A"},
    {"id": "o2", "provider_code": "91230600MA1C00002T", "category": "养老服务", "division_code": "230604", "class": "B"},
    {"id": "o3", "provider_code": "91230600MA1C00003X", "category": "家政服务", "division_code": "230604", "class": "C"},
    {"id": "o4", "provider_code": "91230600MA1C000041", "category": "家政服务", "division_code": "230604", "class": "C"},
    {"id": "o5", "provider_code": "91230600MA1C00001P", "category": "养老服务", "division_code": "230604", "class": "D"},
    {"id": "o6", "provider_code": "91230600MA1C00002T", "category": "餐饮服务", "division_code": "230604", "class": "D"}
  ],
  "inspectors": [
    {"id": "i1", "name": "张明", "department": "让胡路区市场监督管理局", "qualifications": ["行政执法证"], "affiliation": "91230600MA1C00001P"},
    {"id": "i2", "name": "李娜", "department": "让胡路区市场监督管理局", "qualifications": ["行政执法证"], "conflicts": ["91230600MA1C00002T"]},
    {"id": "i3", "name": "王强", "department": "让胡路区民政局", "qualifications": ["行政执法证"]},
    {"id": "i4", "name": "赵敏", "department": "让胡路区民政局", "qualifications": ["行政执法证"]},
    {"id": "i5", "name": "刘洋", "department": "让胡路区商务局", "qualifications": []}
  ],
  "seed": {
    "commitment": "698806fff21d64baca514a317c538cd00c4fdbc6ac1a7a2e307989f0a9efc68a",
    "reveal": "2026-Q4-daqing-secret-7f3a",
    "public_values": [{"source": "中国福利彩票3D 第2026330期", "value": "5 8 2"}]
  }
}"#;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs `draw verify` on a manifest and expects it not to verify (exit 1); returns stdout and
/// stderr together.
fn not_verified(args: &[&str]) -> String {
    let o = run(args);
    let text = format!("{}{}", stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert_mentions(&text, &["NOT VERIFIED", "未通过"]);
    text
}

fn write_json(dir: &Path, name: &str, v: &serde_json::Value) -> String {
    s(&write(dir, name, &serde_json::to_string_pretty(v).unwrap())).to_string()
}

#[test]
fn draw_run_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let plan = write(d, "plan.json", PLAN);
    let out = d.join("manifest.json");

    let public = d.join("public.json");
    let o = run(&[
        "draw",
        "run",
        s(&plan),
        "--out",
        s(&out),
        "--public",
        s(&public),
    ]);
    assert_ok(&o);
    let m = json(&out);
    let public_text = common::read(&public);
    assert!(!public_text.contains("class"), "{public_text}");
    assert_ok(&run(&["draw", "verify", s(&out), "--public", s(&public)]));
    assert_eq!(m["algorithm"], "lc-draw/1");
    let objects_sha256 = m["objects_sha256"].as_str().unwrap().to_string();
    assert_mentions(&stdout(&o), &[&objects_sha256, "manifest_sha256", "D 类"]);
    // Written atomically: nothing but the plan and the manifest in the directory.
    let mut names: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["manifest.json", "plan.json", "public.json"]);
    // Recusal in the published result: i1 never for provider 1, i2 never for provider 2, i5
    // (unqualified) never.
    for class in m["result"]["classes"].as_array().unwrap() {
        for drawn in class["objects"].as_array().unwrap() {
            let inspectors: Vec<&str> = drawn["inspectors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(inspectors.len(), 2);
            match drawn["provider_code"].as_str().unwrap() {
                "91230600MA1C00001P" => assert!(!inspectors.contains(&"i1")),
                "91230600MA1C00002T" => assert!(!inspectors.contains(&"i2")),
                _ => {}
            }
            assert!(!inspectors.contains(&"i5"));
        }
    }

    // The manifest verifies, also against the hashes and commitment published in advance.
    let o = run(&["draw", "verify", s(&out)]);
    assert_ok(&o);
    assert_mentions(&stdout(&o), &["VERIFIED", "核验通过", "A 1/1"]);
    let hashes = run(&["draw", "hash", s(&plan)]);
    assert_ok(&hashes);
    assert_mentions(&stdout(&hashes), &[&objects_sha256]);
    let inspectors_sha256 = m["inspectors_sha256"].as_str().unwrap();
    let published = [
        "draw",
        "verify",
        s(&out),
        "--objects-sha256",
        &objects_sha256,
        "--inspectors-sha256",
        inspectors_sha256,
        "--commitment",
        "698806fff21d64baca514a317c538cd00c4fdbc6ac1a7a2e307989f0a9efc68a",
    ];
    assert_ok(&run(&published));
    let o = run(&["draw", "verify", s(&out), "--json"]);
    assert_ok(&o);
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["verified"], true);

    // One changed pool entry (an object's category).
    let mut t = m.clone();
    t["objects"][2]["category"] = "餐饮服务".into();
    let f = write_json(d, "changed-object.json", &t);
    let text = not_verified(&["draw", "verify", &f]);
    assert_mentions(&text, &["does not match its hash", "objects_sha256"]);

    // One changed inspector entry (a declared conflict dropped).
    let mut t = m.clone();
    let i2 = t["inspectors"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|i| i["id"] == "i2")
        .unwrap();
    i2["conflicts"] = serde_json::json!([]);
    let f = write_json(d, "changed-inspector.json", &t);
    assert_mentions(
        &not_verified(&["draw", "verify", &f]),
        &["inspectors_sha256"],
    );

    // A tampered result: another inspector named for the first D object.
    let mut t = m.clone();
    let first_d = &mut t["result"]["classes"][3]["objects"][0];
    let object = first_d["object"].as_str().unwrap().to_string();
    first_d["inspectors"][0] = "i5".into();
    let f = write_json(d, "tampered.json", &t);
    let text = not_verified(&["draw", "verify", &f]);
    assert_mentions(&text, &["replay", &object, "i5", "重放"]);

    // A reveal that does not match the commitment.
    let mut t = m.clone();
    t["seed"]["reveal"] = "2026-Q4-daqing-secret-7f3b".into();
    let f = write_json(d, "reveal.json", &t);
    assert_mentions(
        &not_verified(&["draw", "verify", &f]),
        &["commitment", "承诺"],
    );

    // A pool other than the one published before the draw, its hash recomputed by the forger.
    let mut t = m.clone();
    t["objects"].as_array_mut().unwrap().pop();
    let forged_plan = write_json(d, "forged-plan.json", &{
        let mut p: serde_json::Value = serde_json::from_str(PLAN).unwrap();
        p["objects"].as_array_mut().unwrap().pop();
        p
    });
    let o = run(&["draw", "hash", &forged_plan]);
    assert_ok(&o);
    let forged_hash = stdout(&o).split_whitespace().nth(1).unwrap().to_string();
    t["objects_sha256"] = forged_hash.into();
    let f = write_json(d, "forged.json", &t);
    let text = not_verified(&["draw", "verify", &f, "--objects-sha256", &objects_sha256]);
    assert_mentions(&text, &["published_objects_sha256", "事先公布"]);

    // A public list that is not this manifest's.
    let mut p = json(&public);
    p["drawn"][0]["inspectors"][0] = "i5".into();
    let f = write_json(d, "public-forged.json", &p);
    let text = not_verified(&["draw", "verify", s(&out), "--public", &f]);
    assert_mentions(&text, &["public_result", "公示名单"]);

    // An unknown algorithm version.
    let mut t = m.clone();
    t["algorithm"] = "lc-draw/9".into();
    let f = write_json(d, "version.json", &t);
    assert_mentions(
        &not_verified(&["draw", "verify", &f]),
        &["lc-draw/9", "unknown draw algorithm version"],
    );
}

#[test]
fn bad_input_names_the_file_the_field_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("m.json");

    let bad_class = PLAN.replace(r#""class": "B""#, r#""class": "E""#);
    let plan = write(d, "bad-class.json", &bad_class);
    let e = refused(&run(&["draw", "run", s(&plan), "--out", s(&out)]));
    assert_mentions(
        &e,
        &[
            "bad-class.json",
            "objects[1].class",
            "line 10",
            "unknown variant `E`",
        ],
    );
    assert!(!out.exists());

    let bad_code = PLAN.replace("91230600MA1C00003X", "91230600MA1C00003Y");
    let plan = write(d, "bad-code.json", &bad_code);
    let e = refused(&run(&["draw", "run", s(&plan), "--out", s(&out)]));
    assert_mentions(
        &e,
        &[
            "bad-code.json",
            "objects[2].provider_code",
            "统一社会信用代码",
            "check character",
        ],
    );

    let over = PLAN.replace(
        r#""seed""#,
        r#""ratios": {"a": 500, "b": 2500, "c": 4000, "d": 8000}, "seed""#,
    );
    let plan = write(d, "over.json", &over);
    let e = refused(&run(&["draw", "run", s(&plan), "--out", s(&out)]));
    assert_mentions(&e, &["over.json", "G01", "2500", "2000", "一般"]);

    let unstaffed = PLAN
        .replace(
            r#""qualifications": ["行政执法证"], "affiliation""#,
            r#""qualifications": [], "affiliation""#,
        )
        .replace(
            r#""name": "赵敏", "department": "让胡路区民政局", "qualifications": ["行政执法证"]"#,
            r#""name": "赵敏", "department": "让胡路区民政局", "qualifications": []"#,
        );
    let plan = write(d, "unstaffed.json", &unstaffed);
    let e = refused(&run(&["draw", "run", s(&plan), "--out", s(&out)]));
    assert_mentions(
        &e,
        &["o2", "91230600MA1C00002T", "无法配齐", "cannot be staffed"],
    );

    let e = refused(&run(&["draw", "verify", s(&d.join("missing.json"))]));
    assert_mentions(&e, &["missing.json", "无法读取 cannot read"]);
    let plan = write(d, "truncated.json", &PLAN[..200]);
    let e = refused(&run(&["draw", "run", s(&plan), "--out", s(&out)]));
    assert_mentions(&e, &["truncated.json", "line"]);
    assert!(!out.exists());
}
