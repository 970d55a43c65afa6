//! Verification of a manifest: hashes, seed, rules, and a replay compared with the published
//! result, each finding in Chinese and English.

use serde::Serialize;

use super::{
    select, validate, DrawError, DrawResult, Manifest, PublicResult, Recusal, KNOWN_ALGORITHMS,
};

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Holds.
    Pass,
    /// Does not hold: the manifest does not verify.
    Fail,
    /// Worth knowing, not a failure (a seed without a future public value, a redraw).
    Note,
}

/// One check of a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable name: `algorithm`, `inputs`, `objects_sha256`, `inspectors_sha256`, `recusal`,
    /// `ratios`, `commitment`, `seed`, `seed_key`, `staffing`, `replay`, `redraw_of`,
    /// `published_objects_sha256`, `published_inspectors_sha256`, `published_commitment`,
    /// `public_value`, `public_result`.
    pub check: &'static str,
    pub status: Status,
    pub zh: String,
    pub en: String,
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// No finding failed.
    pub verified: bool,
    /// [`Manifest::sha256`] of the manifest verified.
    pub manifest_sha256: String,
    pub findings: Vec<Finding>,
}

impl Report {
    /// The failed findings.
    pub fn failures(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.status == Status::Fail)
    }

    /// Whether the check of that name failed.
    pub fn failed(&self, check: &str) -> bool {
        self.failures().any(|f| f.check == check)
    }

    /// A bilingual summary, one finding per line, the verdict last.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for f in &self.findings {
            let tag = match f.status {
                Status::Pass => "[通过 ok]",
                Status::Fail => "[不通过 FAIL]",
                Status::Note => "[提示 note]",
            };
            s.push_str(&format!("{tag} {} {}\n", f.zh, f.en));
        }
        let n = self.failures().count();
        if self.verified {
            s.push_str(&format!(
                "结论：清单核验通过，公布结果可由清单重放得出 verdict: VERIFIED, the published result follows from the manifest (sha256 {})\n",
                self.manifest_sha256
            ));
        } else {
            s.push_str(&format!(
                "结论：清单核验未通过（{n} 项问题） verdict: NOT VERIFIED ({n} problem{}) (sha256 {})\n",
                if n == 1 { "" } else { "s" },
                self.manifest_sha256
            ));
        }
        s
    }
}

/// Values published before the draw, to compare the manifest with (each optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Published {
    pub objects_sha256: Option<String>,
    pub inspectors_sha256: Option<String>,
    pub commitment: Option<String>,
    /// [`Manifest::sha256`] of the draw this one says it replaces.
    pub previous_sha256: Option<String>,
    /// A public list ([`Manifest::public_result`]) that should be this manifest's.
    pub public: Option<PublicResult>,
}

struct Findings(Vec<Finding>);

impl Findings {
    fn add(&mut self, check: &'static str, status: Status, zh: String, en: String) {
        self.0.push(Finding {
            check,
            status,
            zh,
            en,
        });
    }
    fn pass(&mut self, check: &'static str, zh: String, en: String) {
        self.add(check, Status::Pass, zh, en);
    }
    fn fail(&mut self, check: &'static str, zh: String, en: String) {
        self.add(check, Status::Fail, zh, en);
    }
    fn error(&mut self, check: &'static str, e: &DrawError) {
        self.add(check, Status::Fail, e.zh(), e.en());
    }
}

/// Replays a manifest offline: checks the algorithm version, the entries, both pool hashes, the
/// recusal rules, the ratio caps, the reveal against its commitment, the key, that every object
/// could be staffed, and that replaying gives exactly the published result.
pub fn verify(manifest: &Manifest) -> Report {
    verify_published(manifest, &Published::default())
}

/// [`verify`], also comparing the manifest with values published before the draw.
pub fn verify_published(m: &Manifest, published: &Published) -> Report {
    let mut f = Findings(Vec::new());
    check_all(m, published, &mut f);
    let verified = !f.0.iter().any(|x| x.status == Status::Fail);
    Report {
        verified,
        manifest_sha256: m.sha256(),
        findings: f.0,
    }
}

fn same_hex(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

fn check_all(m: &Manifest, published: &Published, f: &mut Findings) {
    if let Some(p) = &published.public {
        if *p == m.public_result() {
            f.pass(
                "public_result",
                "公示名单与本清单一致".into(),
                "the public list is this manifest's".into(),
            );
        } else {
            f.fail(
                "public_result",
                format!(
                    "公示名单不是本清单的（公示名单注明的清单哈希 {}）",
                    p.manifest_sha256
                ),
                format!(
                    "the public list is not this manifest's (it names manifest {})",
                    p.manifest_sha256
                ),
            );
        }
    }
    if !KNOWN_ALGORITHMS.contains(&m.algorithm.trim()) {
        f.error(
            "algorithm",
            &DrawError::UnknownAlgorithm(m.algorithm.clone()),
        );
        return;
    }
    f.pass(
        "algorithm",
        format!("算法版本 {}", m.algorithm),
        format!("algorithm version {}", m.algorithm),
    );
    let canon = match validate::canonical(&m.plan()) {
        Ok(c) => c,
        Err(e) => {
            f.error("inputs", &e);
            return;
        }
    };
    f.pass(
        "inputs",
        format!(
            "检查事项 {} 项、检查对象 {} 个、检查人员 {} 名，字段均有效",
            canon.check_items.len(),
            canon.objects.len(),
            canon.inspectors.len()
        ),
        format!(
            "{} check items, {} objects, {} inspectors, every field valid",
            canon.check_items.len(),
            canon.objects.len(),
            canon.inspectors.len()
        ),
    );

    let hashes = validate::hashes_of(&canon);
    for (check, zh, en, stated, computed, expected, pcheck) in [
        (
            "objects_sha256",
            "检查对象名录库",
            "object pool",
            &m.objects_sha256,
            &hashes.objects_sha256,
            &published.objects_sha256,
            "published_objects_sha256",
        ),
        (
            "inspectors_sha256",
            "检查人员名录库",
            "inspector pool",
            &m.inspectors_sha256,
            &hashes.inspectors_sha256,
            &published.inspectors_sha256,
            "published_inspectors_sha256",
        ),
    ] {
        if same_hex(stated, computed) {
            f.pass(
                check,
                format!("{zh}哈希一致 {computed}"),
                format!("the {en} hash matches ({computed})"),
            );
        } else {
            f.fail(
                check,
                format!("{zh}与其哈希不符：清单载明 {stated}，按名录重新计算为 {computed}"),
                format!("the {en} does not match its hash: the manifest states {stated}, the pool as listed hashes to {computed}"),
            );
        }
        if let Some(p) = expected {
            if same_hex(p, computed) {
                f.pass(
                    pcheck,
                    format!("{zh}与事先公布的哈希一致"),
                    format!("the {en} is the one published before the draw"),
                );
            } else {
                f.fail(
                    pcheck,
                    format!("{zh}不是事先公布的名录：公布的哈希 {p}，清单中名录的哈希 {computed}"),
                    format!("the {en} is not the one published before the draw: published hash {p}, the manifest's pool hashes to {computed}"),
                );
            }
        }
    }

    if m.recusal == Recusal::standard() {
        f.pass(
            "recusal",
            format!("回避规则：{}", m.recusal.description_zh),
            format!("recusal rules: {}", m.recusal.description_en),
        );
    } else {
        f.fail(
            "recusal",
            format!(
                "回避规则不是 {} 的规则（{}）",
                m.algorithm,
                m.recusal.rules.join(", ")
            ),
            format!(
                "the recusal rules are not those of {} ({})",
                m.algorithm,
                m.recusal.rules.join(", ")
            ),
        );
    }

    match validate::check_rules(&canon) {
        Ok(()) => {
            let r = &canon.ratios;
            f.pass(
                "ratios",
                format!(
                    "抽查比例（基点）A {} B {} C {} D {}，每个对象 {} 名检查人员",
                    r.a, r.b, r.c, r.d, canon.inspectors_per_object
                ),
                format!(
                    "ratios (basis points) A {} B {} C {} D {}, {} inspectors per object",
                    r.a, r.b, r.c, r.d, canon.inspectors_per_object
                ),
            );
        }
        Err(e) => f.error("ratios", &e),
    }

    if let (Some(p), c) = (&published.commitment, &canon.seed.commitment) {
        if c.as_deref().is_some_and(|c| same_hex(c, p)) {
            f.pass(
                "published_commitment",
                "承诺与事先公布的一致".into(),
                "the commitment is the one published before the draw".into(),
            );
        } else {
            f.fail(
                "published_commitment",
                format!("承诺不是事先公布的 {p}"),
                format!("the commitment is not the one published before the draw ({p})"),
            );
        }
    }
    let key = match validate::seed_key(&canon.seed) {
        Ok(k) => k,
        Err(e @ DrawError::RevealMismatch { .. }) => {
            f.error("commitment", &e);
            return;
        }
        Err(e) => {
            f.error("seed", &e);
            return;
        }
    };
    if canon.seed.commitment.is_some() {
        f.pass(
            "commitment",
            "揭示的秘密与事先公布的承诺相符".into(),
            "the revealed secret matches its commitment".into(),
        );
    }
    if canon.seed.public_values.is_empty() {
        f.add(
            "public_value",
            Status::Note,
            "种子不含抽取后才公布的公开数值：确定秘密的一方可能预先试算过结果".into(),
            "the seed has no public value announced after the pools: whoever chose the secret could have tried it out in advance".into(),
        );
    }
    if m.seed_key == key {
        f.pass(
            "seed_key",
            format!("种子串 {key}"),
            format!("seed key {key}"),
        );
    } else {
        f.fail(
            "seed_key",
            format!(
                "清单载明的种子串 {} 与种子来源拼接所得 {key} 不符",
                m.seed_key
            ),
            format!(
                "the stated seed key {} is not what the seed sources make ({key})",
                m.seed_key
            ),
        );
    }

    match (&canon.redraw_of, &published.previous_sha256) {
        (Some(of), Some(prev)) if same_hex(of, prev) => f.pass(
            "redraw_of",
            format!(
                "重新抽取，替代清单 {of}，理由：{}",
                canon.redraw_reason.as_deref().unwrap_or("")
            ),
            format!(
                "a redraw replacing manifest {of}; reason: {}",
                canon.redraw_reason.as_deref().unwrap_or("")
            ),
        ),
        (of, Some(prev)) => f.fail(
            "redraw_of",
            format!(
                "清单未注明替代上一次抽取 {prev}（redraw_of 为 {}）",
                of.as_deref().unwrap_or("空")
            ),
            format!(
                "the manifest does not say it replaces draw {prev} (redraw_of is {})",
                of.as_deref().unwrap_or("empty")
            ),
        ),
        (Some(of), None) => f.add(
            "redraw_of",
            Status::Note,
            format!(
                "重新抽取，替代清单 {of}，理由：{}",
                canon.redraw_reason.as_deref().unwrap_or("")
            ),
            format!(
                "a redraw replacing manifest {of}; reason: {}",
                canon.redraw_reason.as_deref().unwrap_or("")
            ),
        ),
        (None, None) => {}
    }

    let eligible = match validate::eligibility(&canon) {
        Ok(e) => e,
        Err(e) => {
            f.error("staffing", &e);
            return;
        }
    };
    match select::run(&canon, &eligible, key.as_bytes()) {
        Err(e) => f.error("replay", &e),
        Ok(replayed) if replayed == m.result => {
            let per_class: Vec<String> = replayed
                .classes
                .iter()
                .map(|c| format!("{} {}/{}", c.class, c.count, c.pool_size))
                .collect();
            let objects: usize = replayed.classes.iter().map(|c| c.count).sum();
            f.pass(
                "replay",
                format!(
                    "重放结果与公布结果完全一致：{}，共抽中检查对象 {objects} 个",
                    per_class.join("、")
                ),
                format!(
                    "replaying gives exactly the published result: {}, {objects} objects drawn",
                    per_class.join(", ")
                ),
            );
        }
        Ok(replayed) => {
            let diffs = differences(&m.result, &replayed);
            let shown = 10;
            let more = diffs.len().saturating_sub(shown);
            let (zh, en): (Vec<String>, Vec<String>) = diffs.into_iter().take(shown).unzip();
            let (more_zh, more_en) = if more > 0 {
                (format!("；另有 {more} 处"), format!("; {more} more"))
            } else {
                (String::new(), String::new())
            };
            f.fail(
                "replay",
                format!("重放结果与公布结果不同：{}{more_zh}", zh.join("；")),
                format!(
                    "replaying does not give the published result: {}{more_en}",
                    en.join("; ")
                ),
            );
        }
    }
}

fn ids(v: &[String]) -> String {
    format!("[{}]", v.join(", "))
}

/// Where the published result and the replay differ, in Chinese and English.
fn differences(published: &DrawResult, replayed: &DrawResult) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if published.classes.len() != replayed.classes.len() {
        out.push((
            format!(
                "公布结果有 {} 个类别，应为 {} 个",
                published.classes.len(),
                replayed.classes.len()
            ),
            format!(
                "the published result has {} classes, not {}",
                published.classes.len(),
                replayed.classes.len()
            ),
        ));
    }
    for r in &replayed.classes {
        let class = r.class;
        let Some(p) = published.classes.iter().find(|p| p.class == class) else {
            out.push((
                format!("公布结果缺少 {class} 类"),
                format!("class {class} is missing from the published result"),
            ));
            continue;
        };
        for (what_zh, what_en, pv, rv) in [
            ("名录中对象数", "pool size", p.pool_size, r.pool_size),
            ("抽取数量", "count", p.count, r.count),
            ("抽查比例", "ratio", p.ratio as usize, r.ratio as usize),
        ] {
            if pv != rv {
                out.push((
                    format!("{class} 类{what_zh}公布为 {pv}，重放为 {rv}"),
                    format!("class {class} {what_en}: published {pv}, replayed {rv}"),
                ));
            }
        }
        for i in 0..p.objects.len().max(r.objects.len()) {
            let n = i + 1;
            match (p.objects.get(i), r.objects.get(i)) {
                (Some(a), Some(b)) if a.object != b.object => out.push((
                    format!(
                        "{class} 类第 {n} 个抽中对象公布为 {}，重放为 {}",
                        a.object, b.object
                    ),
                    format!(
                        "class {class} draw {n}: published object {}, replayed {}",
                        a.object, b.object
                    ),
                )),
                (Some(a), Some(b)) => {
                    if a.inspectors != b.inspectors {
                        out.push((
                            format!(
                                "对象 {} 的检查人员公布为 {}，重放为 {}",
                                a.object,
                                ids(&a.inspectors),
                                ids(&b.inspectors)
                            ),
                            format!(
                                "object {}'s inspectors: published {}, replayed {}",
                                a.object,
                                ids(&a.inspectors),
                                ids(&b.inspectors)
                            ),
                        ));
                    }
                    if a.provider_code != b.provider_code {
                        out.push((
                            format!(
                                "对象 {} 的经营主体公布为 {}，名录中为 {}",
                                a.object, a.provider_code, b.provider_code
                            ),
                            format!(
                                "object {}'s provider: published {}, in the pool {}",
                                a.object, a.provider_code, b.provider_code
                            ),
                        ));
                    }
                }
                (Some(a), None) => out.push((
                    format!("{class} 类第 {n} 个抽中对象 {} 不应抽中", a.object),
                    format!(
                        "class {class} draw {n}: published object {} should not be there",
                        a.object
                    ),
                )),
                (None, Some(b)) => out.push((
                    format!("{class} 类第 {n} 个抽中对象应为 {}，公布结果缺少", b.object),
                    format!(
                        "class {class} draw {n}: object {} is missing from the published result",
                        b.object
                    ),
                )),
                (None, None) => {}
            }
        }
    }
    if out.is_empty() {
        out.push((
            "类别的顺序或结构不同".into(),
            "the classes are in another order or shape".into(),
        ));
    }
    out
}
