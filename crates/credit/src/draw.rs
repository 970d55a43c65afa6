//! 双随机一公开: verifiable random draws of inspection objects and inspectors (issue 13, item 4).
//!
//! A regulator publishes its check items (抽查事项清单), its object pool (检查对象名录库: providers
//! and outlets with their internal credit-risk class A–D) and its inspector pool (执法检查人员名录库,
//! with qualifications and declared relations) — "一单两库" — and fixes a seed in advance. The
//! draw then picks, per class, `ceil(n × ratio)` objects and, for each object, at least two
//! inspectors who hold every required qualification and have no conflict with it. Everything that
//! decides the result is written into a [`Manifest`]; [`verify`] replays it offline and says, in
//! Chinese and English, whether the published result follows.
//!
//! # The algorithm `lc-draw/1`
//!
//! In the style of RFC 3797 ("Publicly Verifiable NomCom Random Selection"), with SHA-256 instead
//! of MD5 and without its modulo bias:
//!
//! 1. **Canonical inputs.** Check items are sorted by code, objects and inspectors by id (ids are
//!    unique), sets inside an entry (qualifications, conflicts) are sorted and de-duplicated, codes
//!    are trimmed and upper-cased. The input order of a pool never matters.
//! 2. **Pool hashes.** `objects_sha256` and `inspectors_sha256` are the lower-case hex SHA-256 of
//!    the compact JSON (no spaces, UTF-8, fields in the order of the struct) of the sorted pool —
//!    exactly the arrays the manifest holds, so `jq -cj .objects MANIFEST | sha256sum` gives it.
//! 3. **Key.** The seed sources, each followed by `/`: first the revealed secret (if the draw uses
//!    commit–reveal), then the public values sorted by their source name. The secret's commitment
//!    is the hex SHA-256 of its UTF-8 bytes (`printf %s SECRET | sha256sum`).
//! 4. **Streams.** Each selection sequence has a name: `objects/A` … `objects/D` for the objects of
//!    a class, `inspectors/<object id>` for one object's inspectors. Hash number `i` (from 0) of a
//!    stream is `SHA-256(i ‖ key ‖ name ‖ "/" ‖ i)` with `i` as 4 bytes big-endian. RFC 3797 uses
//!    2 bytes and one sequence for everything; 4 bytes lift its limit of 65 536 selections (a
//!    city's pool can have tens of thousands of outlets), and named streams make each object's
//!    inspectors depend only on the seed, that object and the inspector pool — not on which other
//!    objects were drawn — so a reader can check one object without replaying the others.
//! 5. **Unbiased index.** The first 8 bytes of a hash, big-endian, are a number `x`. With `m`
//!    candidates left, `x` is accepted when `x < ⌊2⁶⁴ / m⌋ × m` (rejection sampling) and the index
//!    is `x mod m`; otherwise the stream moves on to its next hash. Every index is therefore exactly
//!    equiprobable (RFC 3797 takes the hash modulo `m`, which favours low indexes slightly).
//! 6. **Selection without replacement.** The chosen candidate leaves the list; the others keep
//!    their order (RFC 3797's "remaining pool"). As in RFC 3797 the first `k` selections of a
//!    stream are the same whatever the final count, so a higher ratio only adds objects at the end.
//! 7. **Order.** Classes A, B, C, D; within a class, objects in the order drawn; for each drawn
//!    object, its inspectors drawn from the eligible inspectors (canonical order) in the order
//!    drawn.
//!
//! # Ratios
//!
//! Per class, in basis points (1/10 000), configurable (provinces differ). The defaults follow the
//! Daqing table (DOMAIN.md §6.3: A ≤5%, B 5–20%, C 21–60%, D 61–100%): A 500 (5%, the table's
//! only value for A — a lower one would leave low-risk enterprises almost never checked), B 1500,
//! C 4000 and D 8000 (the middle of each range, so a regulator can move either way without
//! leaving the table). The count for a class of `n` objects is `ceil(n × ratio / 10 000)` in
//! integer arithmetic, at most `n`. When any check item is general (一般检查事项, "strictly
//! limited"), no class may exceed the upper end of its Daqing range (A 5%, B 20%, C 60%,
//! D 100%); key items (重点检查事项) are unlimited, up to 100%.
//!
//! # Recusal and staffing
//!
//! An inspector is never drawn for an object whose provider is their affiliation or one of their
//! declared conflicts, and must hold every qualification the check items require. Each object gets
//! `inspectors_per_object` (at least 2) distinct inspectors. Whether every object of the pool can
//! be staffed is checked **before** any randomness is used, for the whole pool and not only for
//! the objects that happen to be drawn: an infeasible plan is refused whatever the seed, so a
//! failed draw can never be a pretext for drawing again with a seed one likes better.
//!
//! # The seed
//!
//! Commit–reveal binds the regulator: it publishes the commitment with the pools and reveals the
//! secret at the draw. Alone it still lets whoever chose the secret try many secrets against the
//! published pools before committing; a future public value (e.g. a lottery draw announced after
//! the pools) closes that, and using both is recommended. [`verify`] notes a seed without a public
//! value. A secret has at least 16 characters and no `/`; it should be random (say 32 random hex
//! digits), since a guessable secret can be found from its commitment before the reveal.
//!
//! # What is public
//!
//! The class is internal (DOMAIN.md §6.3: used to allocate supervision, never published), and a
//! manifest holds every object's class, because the stratified draw cannot be replayed without
//! it. So the manifest goes to those who may see the classes (the regulator, auditors, the
//! supervising level), and the public list (一公开) is [`Manifest::public_result`]: the drawn
//! objects and their inspectors sorted by object id (so the order reveals no class), the check
//! items, the seed, the pool hashes and the manifest's hash, with no class and no per-class count.
//! An auditor holding the manifest checks that a public list is its own with
//! [`Published::public`]. Not solved here: the pool hashes are over entries that include the class,
//! and the other fields of an entry come from the public registry, so for a very small pool the
//! classes could be guessed and checked against a published hash (4ⁿ tries for n objects); a
//! salted or per-entry commitment would close that.
//!
//! # Redraws
//!
//! A manifest may carry `redraw_of` (the [`Manifest::sha256`] of the manifest it replaces) with a
//! `redraw_reason`; both or neither. [`Manifest::sha256`] is taken over the compact JSON of the
//! manifest, so re-indenting the file does not change it.

mod select;
mod validate;
mod verify;

use lc_registry::FieldError;
use serde::{Deserialize, Serialize};

pub use select::{count_for, stream_digest, unbiased_index};
pub use validate::{conflicted, pool_hashes, PoolHashes};
pub use verify::{verify, verify_published, Finding, Published, Report, Status};

/// The algorithm this crate implements.
pub const ALGORITHM: &str = "lc-draw/1";

/// Every algorithm version [`draw`] and [`verify`] accept.
pub const KNOWN_ALGORITHMS: &[&str] = &[ALGORITHM];

/// The smallest number of inspectors per object (≥2, DOMAIN.md §6.4).
pub const MIN_INSPECTORS_PER_OBJECT: u32 = 2;

/// The recusal and eligibility rules of `lc-draw/1`, by stable name.
pub const RECUSAL_RULES: [&str; 3] = ["same_provider", "declared_conflict", "qualification"];

/// What [`RECUSAL_RULES`] mean, in Chinese.
pub const RECUSAL_ZH: &str =
    "检查人员所属单位为检查对象的经营主体，或其申报的利害关系单位包含该经营主体的，\
     不得被抽中检查该对象；检查人员须具备全部检查事项要求的资格；每个对象的检查人员互不相同。";

/// What [`RECUSAL_RULES`] mean, in English.
pub const RECUSAL_EN: &str = "An inspector is never drawn for an object whose provider is the \
     inspector's affiliation or among the inspector's declared conflicts; an inspector must hold \
     every qualification the check items require; an object's inspectors are distinct.";

/// The internal credit-risk class (SAMR 2022), as [`crate::class`] assesses it. Internal only.
pub use crate::class::Class as RiskClass;

/// Key items (重点检查事项, safety and quality) are unlimited; general items (一般检查事项) are
/// limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Key,
    General,
}

/// One entry of the check-item list (抽查事项清单).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckItem {
    pub code: String,
    pub name: String,
    pub kind: ItemKind,
    /// Qualifications an inspector needs for this item.
    #[serde(default)]
    pub qualifications: Vec<String>,
}

/// One entry of the object pool: a provider or outlet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Object {
    pub id: String,
    /// The provider's unified social credit code (recusal is decided on it).
    pub provider_code: String,
    pub category: String,
    /// NBS statistical division code.
    pub division_code: String,
    pub class: RiskClass,
}

/// One entry of the inspector pool, with declared relations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inspector {
    pub id: String,
    pub name: String,
    pub department: String,
    #[serde(default)]
    pub qualifications: Vec<String>,
    /// A provider the inspector belongs to or works for (unified social credit code).
    #[serde(default)]
    pub affiliation: Option<String>,
    /// Providers the inspector declared a conflict of interest with.
    #[serde(default)]
    pub conflicts: Vec<String>,
}

/// Sampling ratios per class in basis points (10 000 = 100%).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ratios {
    pub a: u32,
    pub b: u32,
    pub c: u32,
    pub d: u32,
}

impl Default for Ratios {
    /// A 5%, B 15%, C 40%, D 80% (see the module documentation).
    fn default() -> Ratios {
        Ratios {
            a: 500,
            b: 1500,
            c: 4000,
            d: 8000,
        }
    }
}

impl Ratios {
    /// The ratio of one class.
    pub fn of(&self, class: RiskClass) -> u32 {
        match class {
            RiskClass::A => self.a,
            RiskClass::B => self.b,
            RiskClass::C => self.c,
            RiskClass::D => self.d,
        }
    }
}

/// A value announced publicly after the pools were published (a lottery result, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicValue {
    /// Where and when it is announced, e.g. `中国福利彩票3D 第2026330期`.
    pub source: String,
    /// The value as announced (trimmed; may not contain `/`).
    pub value: String,
}

/// The seed, fixed in advance.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// Hex SHA-256 of the secret, published before the draw.
    #[serde(default)]
    pub commitment: Option<String>,
    /// The secret, revealed at the draw.
    #[serde(default)]
    pub reveal: Option<String>,
    /// Future public values.
    #[serde(default)]
    pub public_values: Vec<PublicValue>,
}

fn default_algorithm() -> String {
    ALGORITHM.to_string()
}

fn default_inspectors_per_object() -> u32 {
    MIN_INSPECTORS_PER_OBJECT
}

/// What a draw is made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// `lc-draw/1` when absent.
    #[serde(default = "default_algorithm")]
    pub algorithm: String,
    /// What the draw is, e.g. `2026年第四季度养老服务机构双随机抽查`.
    pub label: String,
    /// When the draw is made (RFC 3339); recorded, not used by the algorithm.
    pub drawn_at: String,
    pub check_items: Vec<CheckItem>,
    pub objects: Vec<Object>,
    pub inspectors: Vec<Inspector>,
    #[serde(default)]
    pub ratios: Ratios,
    #[serde(default = "default_inspectors_per_object")]
    pub inspectors_per_object: u32,
    pub seed: Seed,
    /// The [`Manifest::sha256`] of the draw this one replaces.
    #[serde(default)]
    pub redraw_of: Option<String>,
    /// Why it is replaced.
    #[serde(default)]
    pub redraw_reason: Option<String>,
}

/// The recusal rules a draw applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recusal {
    pub rules: Vec<String>,
    pub description_zh: String,
    pub description_en: String,
}

impl Recusal {
    /// The rules of `lc-draw/1`.
    pub fn standard() -> Recusal {
        Recusal {
            rules: RECUSAL_RULES.iter().map(|s| s.to_string()).collect(),
            description_zh: RECUSAL_ZH.to_string(),
            description_en: RECUSAL_EN.to_string(),
        }
    }
}

/// One drawn object with its inspectors (ids, in the order drawn).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drawn {
    pub object: String,
    pub provider_code: String,
    pub inspectors: Vec<String>,
}

/// The draw of one class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassResult {
    pub class: RiskClass,
    /// Objects of this class in the pool.
    pub pool_size: usize,
    pub ratio: u32,
    /// `ceil(pool_size × ratio / 10 000)`.
    pub count: usize,
    /// In the order drawn.
    pub objects: Vec<Drawn>,
}

/// The published result: the four classes, A to D.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawResult {
    pub classes: Vec<ClassResult>,
}

/// A draw as published: everything needed to replay it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub algorithm: String,
    pub label: String,
    pub drawn_at: String,
    pub check_items: Vec<CheckItem>,
    pub objects: Vec<Object>,
    pub objects_sha256: String,
    pub inspectors: Vec<Inspector>,
    pub inspectors_sha256: String,
    pub ratios: Ratios,
    pub inspectors_per_object: u32,
    pub recusal: Recusal,
    pub seed: Seed,
    /// The key the seed sources make (`source/source/…/`), for readers.
    pub seed_key: String,
    #[serde(default)]
    pub redraw_of: Option<String>,
    #[serde(default)]
    pub redraw_reason: Option<String>,
    pub result: DrawResult,
}

impl Manifest {
    /// Lower-case hex SHA-256 of the manifest's compact JSON: what a redraw names in `redraw_of`.
    pub fn sha256(&self) -> String {
        // Serialising plain structs of strings and integers cannot fail.
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        select::hex_sha256(&bytes)
    }

    /// The plan this manifest says it was drawn from.
    pub fn plan(&self) -> Plan {
        Plan {
            algorithm: self.algorithm.clone(),
            label: self.label.clone(),
            drawn_at: self.drawn_at.clone(),
            check_items: self.check_items.clone(),
            objects: self.objects.clone(),
            inspectors: self.inspectors.clone(),
            ratios: self.ratios,
            inspectors_per_object: self.inspectors_per_object,
            seed: self.seed.clone(),
            redraw_of: self.redraw_of.clone(),
            redraw_reason: self.redraw_reason.clone(),
        }
    }

    /// What is published to everyone: no class, no per-class count, objects sorted by id.
    pub fn public_result(&self) -> PublicResult {
        let mut drawn: Vec<Drawn> = self.drawn().cloned().collect();
        drawn.sort_by(|a, b| a.object.cmp(&b.object));
        PublicResult {
            algorithm: self.algorithm.clone(),
            label: self.label.clone(),
            drawn_at: self.drawn_at.clone(),
            manifest_sha256: self.sha256(),
            objects_sha256: self.objects_sha256.clone(),
            inspectors_sha256: self.inspectors_sha256.clone(),
            check_items: self.check_items.clone(),
            seed: self.seed.clone(),
            redraw_of: self.redraw_of.clone(),
            redraw_reason: self.redraw_reason.clone(),
            drawn,
        }
    }

    /// The drawn objects of every class, A to D.
    pub fn drawn(&self) -> impl Iterator<Item = &Drawn> {
        self.result.classes.iter().flat_map(|c| c.objects.iter())
    }
}

/// The public list of a draw (一公开): nothing of the internal credit class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicResult {
    pub algorithm: String,
    pub label: String,
    pub drawn_at: String,
    /// [`Manifest::sha256`] of the manifest it comes from.
    pub manifest_sha256: String,
    pub objects_sha256: String,
    pub inspectors_sha256: String,
    pub check_items: Vec<CheckItem>,
    pub seed: Seed,
    #[serde(default)]
    pub redraw_of: Option<String>,
    #[serde(default)]
    pub redraw_reason: Option<String>,
    /// Every drawn object with its inspectors, sorted by object id.
    pub drawn: Vec<Drawn>,
}

/// Why a draw is refused. Every message is in Chinese and English ([`DrawError::zh`],
/// [`DrawError::en`]; both, Chinese first, as its `Display`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{} {}", self.zh(), self.en())]
pub enum DrawError {
    /// The plan or manifest names an algorithm version this crate does not implement.
    UnknownAlgorithm(String),
    /// Fields that are missing or wrong, each named.
    Invalid(Vec<FieldError>),
    /// A general check item is listed and a class's ratio exceeds its cap.
    RatioAboveCap {
        class: RiskClass,
        ratio: u32,
        cap: u32,
        item: String,
    },
    /// An object of the pool has fewer eligible inspectors than it needs.
    Unstaffable {
        object: String,
        provider_code: String,
        eligible: usize,
        needed: u32,
    },
    /// The revealed secret does not hash to the commitment.
    RevealMismatch {
        commitment: String,
        computed: String,
    },
    /// A commitment without its reveal.
    RevealMissing,
    /// A reveal without a commitment.
    CommitmentMissing,
    /// Neither a reveal nor a public value.
    NoSeed,
    /// A stream needed more than 2³² hashes (not reachable with real pools).
    Exhausted,
}

impl DrawError {
    /// The message in Chinese.
    pub fn zh(&self) -> String {
        match self {
            DrawError::UnknownAlgorithm(v) => {
                format!("不认识的抽取算法版本 {v:?}（支持 {ALGORITHM}）")
            }
            DrawError::Invalid(errors) => errors
                .iter()
                .map(|e| with_field(&e.field, &e.message_zh))
                .collect::<Vec<_>>()
                .join("；"),
            DrawError::RatioAboveCap {
                class,
                ratio,
                cap,
                item,
            } => format!(
                "抽查事项含一般事项 {item}，{class} 类抽查比例 {ratio} 个基点超过上限 {cap}"
            ),
            DrawError::Unstaffable {
                object,
                provider_code,
                eligible,
                needed,
            } => format!(
                "检查对象 {object}（经营主体 {provider_code}）无法配齐 {needed} 名检查人员：\
                 具备资格且无须回避的仅 {eligible} 名"
            ),
            DrawError::RevealMismatch {
                commitment,
                computed,
            } => format!(
                "揭示的秘密与事先公布的承诺不符（承诺 {commitment}，秘密的 SHA-256 为 {computed}）"
            ),
            DrawError::RevealMissing => "已公布承诺但未揭示秘密，不能抽取".into(),
            DrawError::CommitmentMissing => "揭示了秘密但没有事先公布的承诺".into(),
            DrawError::NoSeed => "随机种子为空：须有揭示的秘密或公开数值".into(),
            DrawError::Exhausted => "抽取所需哈希次数超出算法范围".into(),
        }
    }

    /// The message in English.
    pub fn en(&self) -> String {
        match self {
            DrawError::UnknownAlgorithm(v) => {
                format!("unknown draw algorithm version {v:?} (known: {ALGORITHM})")
            }
            DrawError::Invalid(errors) => errors
                .iter()
                .map(|e| with_field(&e.field, &e.message_en))
                .collect::<Vec<_>>()
                .join("; "),
            DrawError::RatioAboveCap {
                class,
                ratio,
                cap,
                item,
            } => format!(
                "the check items include the general item {item}, so class {class}'s ratio of \
                 {ratio} basis points exceeds its limit of {cap}"
            ),
            DrawError::Unstaffable {
                object,
                provider_code,
                eligible,
                needed,
            } => format!(
                "object {object} (provider {provider_code}) cannot be staffed with {needed} \
                 inspectors: only {eligible} are qualified and free of conflicts"
            ),
            DrawError::RevealMismatch {
                commitment,
                computed,
            } => format!(
                "the revealed secret does not match the commitment published before the draw \
                 (commitment {commitment}, SHA-256 of the secret {computed})"
            ),
            DrawError::RevealMissing => {
                "a commitment was published but the secret is not revealed: the draw cannot be made"
                    .into()
            }
            DrawError::CommitmentMissing => {
                "a secret is revealed without a commitment published before the draw".into()
            }
            DrawError::NoSeed => {
                "the seed is empty: a revealed secret or a public value is needed".into()
            }
            DrawError::Exhausted => "the draw needs more hashes than the algorithm allows".into(),
        }
    }
}

/// A field's message, prefixed with the field unless the message names it already.
fn with_field(field: &str, message: &str) -> String {
    if message.contains(field) {
        message.to_string()
    } else {
        format!("{field}: {message}")
    }
}

/// Makes a draw: checks the plan, derives the key from the seed and draws, per class, the objects
/// and, per object, the inspectors. The manifest holds the canonical pools and their hashes.
pub fn draw(plan: &Plan) -> Result<Manifest, DrawError> {
    let canon = validate::canonical(plan)?;
    validate::check_rules(&canon)?;
    let key = validate::seed_key(&canon.seed)?;
    let staff = validate::eligibility(&canon)?;
    let result = select::run(&canon, &staff, key.as_bytes())?;
    let hashes = validate::hashes_of(&canon);
    Ok(Manifest {
        algorithm: canon.algorithm,
        label: canon.label,
        drawn_at: canon.drawn_at,
        check_items: canon.check_items,
        objects: canon.objects,
        objects_sha256: hashes.objects_sha256,
        inspectors: canon.inspectors,
        inspectors_sha256: hashes.inspectors_sha256,
        ratios: canon.ratios,
        inspectors_per_object: canon.inspectors_per_object,
        recusal: Recusal::standard(),
        seed: canon.seed,
        seed_key: key,
        redraw_of: canon.redraw_of,
        redraw_reason: canon.redraw_reason,
        result,
    })
}

/// The commitment to a secret: lower-case hex SHA-256 of its UTF-8 bytes (trimmed, as the plan
/// reads it).
pub fn commitment(secret: &str) -> String {
    select::hex_sha256(secret.trim().as_bytes())
}
