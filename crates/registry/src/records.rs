//! The registry's records and their validation: what a client sends (an input struct, every
//! field optional so that a missing one is reported by name) is checked field by field into a
//! checked value, which is what the server stores.
//!
//! Updates are merges: the stored record's input, overlaid with the fields the client sends,
//! is checked again as a whole, so a record is never stored half-valid.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::check::{Check, FieldError};
use crate::division::{DivisionCode, DivisionLevel};
use crate::mask::is_phone;
use crate::resident_id::ResidentId;
use crate::uscc::Uscc;

/// What a client sends for a kind of record: refuses unknown fields, every field optional
/// (a missing required one is a field error, not a parse error).
pub trait Input: Serialize + DeserializeOwned + Default {
    /// Entity name, as in the audit trail (`community`).
    const ENTITY: &'static str;
    /// The fields a client may send.
    const FIELDS: &'static [&'static str];
    /// Fields that cannot change once created (the key).
    const IMMUTABLE: &'static [&'static str];
    /// The checked record.
    type Checked;
    /// Checks every field, and the fields together.
    fn check(self) -> Result<Self::Checked, Vec<FieldError>>;
}

/// Declares an input struct and `FIELDS`, the names of its fields in order, so the two cannot
/// drift apart.
macro_rules! input {
    ($(#[$doc:meta])* pub struct $name:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $(#[allow(missing_docs)] #[serde(default, skip_serializing_if = "Option::is_none")] pub $field: $ty),*
        }

        impl $name {
            /// The names of the fields, in order.
            pub const FIELD_NAMES: &'static [&'static str] = &[$(stringify!($field)),*];
        }
    };
}

/// Reads an input struct from a JSON value; a wrong field or type is one field error
/// (`body`, `invalid_body`).
pub fn parse_input<I: Input>(input: Value) -> Result<I, Vec<FieldError>> {
    serde_json::from_value(input).map_err(|e| {
        vec![FieldError {
            field: "body".into(),
            code: "invalid_body",
            message_zh: format!("请求体字段类型或名称错误：{e}"),
            message_en: format!("the body has a wrong field or type: {e}"),
        }]
    })
}

/// Reads and checks a new record.
pub fn check_new<I: Input>(input: Value) -> Result<I::Checked, Vec<FieldError>> {
    parse_input::<I>(input)?.check()
}

/// Whether a text is an identifier a client may choose: 1-64 ASCII letters, digits and
/// `-_.:`, beginning with a letter or digit (no look-alike letters of other scripts, no
/// leading punctuation, nothing that changes meaning in a path).
pub fn is_identifier(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.starts_with(|ch: char| ch.is_ascii_alphanumeric())
        && s.chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "-_.:".contains(ch))
}

/// Checks an identifier chosen by the client ([`is_identifier`]).
fn key(c: &mut Check, field: &str, v: &Option<String>) -> Option<String> {
    let s = c.text(field, v, 64)?;
    if !is_identifier(&s) {
        c.fail(
            field,
            "invalid_id",
            format!("{field} 只能包含英文字母、数字和 -_.:，且以字母或数字开头"),
            format!(
                "{field} may contain only ASCII letters, digits and -_.:, and must begin with a letter or digit"
            ),
        );
        return None;
    }
    Some(s)
}

fn uscc(c: &mut Check, field: &str, v: &Option<String>, required: bool) -> Option<Uscc> {
    let s = match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => s,
        None => {
            if required {
                c.required(field);
            }
            return None;
        }
    };
    match Uscc::parse(s) {
        Ok(u) => Some(u),
        Err(e) => {
            c.fail(
                field,
                "invalid_uscc",
                format!("{field} 不是有效的统一社会信用代码（GB 32100-2015）：{e}"),
                format!("{field} is not a valid unified social credit code (GB 32100-2015): {e}"),
            );
            None
        }
    }
}

/// Checks an NBS life-service class code against the shipped classification ([`crate::nbs`]).
fn nbs_class(c: &mut Check, v: &Option<String>) -> Option<String> {
    let s = c.opt_text("nbs_class", v, 16)?;
    match crate::nbs::check_class(&s) {
        Ok(()) => Some(s),
        Err((zh, en)) => {
            c.fail("nbs_class", "unknown_nbs_class", zh, en);
            None
        }
    }
}

fn division(
    c: &mut Check,
    field: &str,
    v: &Option<String>,
    level: Option<DivisionLevel>,
) -> Option<DivisionCode> {
    let s = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    match DivisionCode::parse(s) {
        Ok(code) if level.is_none_or(|l| code.level() == l) => Some(code),
        Ok(code) => {
            let want = level.map(|l| l.digits()).unwrap_or(0);
            c.fail(
                field,
                "wrong_division_level",
                format!(
                    "{field} 应为 {want} 位的村级（社区、村委会）代码，实际为 {} 位",
                    code.as_str().len()
                ),
                format!(
                    "{field} must be a {want}-digit committee code, found {} digits",
                    code.as_str().len()
                ),
            );
            None
        }
        Err(e) => {
            c.fail(
                field,
                "invalid_division_code",
                format!("{field} 不是有效的统计用区划代码：{e}"),
                format!("{field} is not a valid statistical division code: {e}"),
            );
            None
        }
    }
}

fn phone(c: &mut Check, field: &str, v: &Option<String>) -> Option<String> {
    let s = c.opt_text(field, v, 20)?;
    if !is_phone(&s) {
        c.fail(
            field,
            "invalid_phone",
            format!("{field} 不是有效的电话号码"),
            format!("{field} is not a valid phone number"),
        );
        return None;
    }
    Some(s)
}

fn resident_id(c: &mut Check, field: &str, v: &Option<String>) -> Option<ResidentId> {
    let s = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    match ResidentId::parse(s) {
        Ok(id) => Some(id),
        Err(e) => {
            c.fail(
                field,
                "invalid_resident_id",
                format!("{field} 不是有效的公民身份号码（GB 11643-1999）：{e}"),
                format!("{field} is not a valid resident ID number (GB 11643-1999): {e}"),
            );
            None
        }
    }
}

fn lon_lat(c: &mut Check, lon: Option<f64>, lat: Option<f64>) -> (Option<f64>, Option<f64>) {
    (
        c.number("lon", lon, -180.0, 180.0, true),
        c.number("lat", lat, -90.0, 90.0, true),
    )
}

fn count(c: &mut Check, field: &str, v: Option<f64>, required: bool) -> Option<f64> {
    c.number(field, v, 0.0, 1e9, required)
}

// ---------------------------------------------------------------------------------------------

input! {
    /// An administrative division created or renamed by hand (the national list is imported
    /// in bulk).
    pub struct DivisionInput {
        code: Option<String>,
        name: Option<String>,
    }
}

/// 行政区划 A checked administrative division.
#[derive(Debug, Clone)]
pub struct Division {
    /// Statistical code.
    pub code: DivisionCode,
    /// Name.
    pub name: String,
}

impl Input for DivisionInput {
    const ENTITY: &'static str = "division";
    const FIELDS: &'static [&'static str] = DivisionInput::FIELD_NAMES;
    const IMMUTABLE: &'static [&'static str] = &["code"];
    type Checked = Division;
    fn check(self) -> Result<Division, Vec<FieldError>> {
        let mut c = Check::new();
        let code = match c.text("code", &self.code, 12) {
            Some(s) => division(&mut c, "code", &Some(s), None),
            None => None,
        };
        let name = c.text("name", &self.name, 100);
        c.finish()?;
        match (code, name) {
            (Some(code), Some(name)) => Ok(Division { code, name }),
            _ => Err(vec![internal_missing()]),
        }
    }
}

/// The error of a value that `Check::finish` passed but is missing (cannot happen: every
/// missing required value is recorded).
#[cold]
fn internal_missing() -> FieldError {
    FieldError {
        field: "body".into(),
        code: "required",
        message_zh: "缺少必填字段".into(),
        message_en: "a required field is missing".into(),
    }
}

// ---------------------------------------------------------------------------------------------

input! {
    /// What a client sends for a community.
    pub struct CommunityInput {
        id: Option<String>,
        name: Option<String>,
        division_code: Option<String>,
        lon: Option<f64>,
        lat: Option<f64>,
        population: Option<f64>,
        households: Option<f64>,
        elderly: Option<f64>,
        children_0_3: Option<f64>,
        boundary: Option<Value>,
    }
}

/// 社区 A checked residential community (the engine's `communities.csv` row plus a boundary).
#[derive(Debug, Clone)]
pub struct Community {
    /// Key, chosen by the client.
    pub id: String,
    /// Name.
    pub name: String,
    /// Committee-level division code.
    pub division_code: Option<String>,
    /// Longitude (WGS 84).
    pub lon: f64,
    /// Latitude (WGS 84).
    pub lat: f64,
    /// Residents.
    pub population: f64,
    /// Households.
    pub households: Option<f64>,
    /// Residents aged 60 and over.
    pub elderly: Option<f64>,
    /// Children aged 0-3.
    pub children_0_3: Option<f64>,
    /// GeoJSON polygon, checked.
    pub boundary: Option<Value>,
}

impl Input for CommunityInput {
    const ENTITY: &'static str = "community";
    const FIELDS: &'static [&'static str] = CommunityInput::FIELD_NAMES;
    const IMMUTABLE: &'static [&'static str] = &["id"];
    type Checked = Community;
    fn check(self) -> Result<Community, Vec<FieldError>> {
        let i = self;
        let mut c = Check::new();
        let id = key(&mut c, "id", &i.id);
        let name = c.text("name", &i.name, 100);
        let div = division(
            &mut c,
            "division_code",
            &i.division_code,
            Some(DivisionLevel::Committee),
        );
        let (lon, lat) = lon_lat(&mut c, i.lon, i.lat);
        let population = count(&mut c, "population", i.population, true);
        let households = count(&mut c, "households", i.households, false);
        let elderly = count(&mut c, "elderly", i.elderly, false);
        let children = count(&mut c, "children_0_3", i.children_0_3, false);
        if let Some(p) = population {
            for (f, v) in [
                ("households", households),
                ("elderly", elderly),
                ("children_0_3", children),
            ] {
                if v.is_some_and(|v| v > p) {
                    c.fail(
                        f,
                        "exceeds_population",
                        format!("{f} 不能大于人口数 {p}"),
                        format!("{f} cannot exceed the population {p}"),
                    );
                }
            }
        }
        let boundary = match i.boundary {
            None | Some(Value::Null) => None,
            Some(b) => match crate::geometry::check_boundary(&b) {
                Ok(()) => Some(b),
                Err((zh, en)) => {
                    c.fail("boundary", "invalid_boundary", zh, en);
                    None
                }
            },
        };
        c.finish()?;
        match (id, name, lon, lat, population) {
            (Some(id), Some(name), Some(lon), Some(lat), Some(population)) => Ok(Community {
                id,
                name,
                division_code: div.map(|d| d.to_string()),
                lon,
                lat,
                population,
                households,
                elderly,
                children_0_3: children,
                boundary,
            }),
            _ => Err(vec![internal_missing()]),
        }
    }
}

// ---------------------------------------------------------------------------------------------

input! {
    /// What a client sends for a facility or outlet.
    pub struct FacilityInput {
        id: Option<String>,
        name: Option<String>,
        category: Option<String>,
        lon: Option<f64>,
        lat: Option<f64>,
        capacity: Option<f64>,
        floor_area_m2: Option<f64>,
        provider_code: Option<String>,
        operator_name: Option<String>,
        opening_hours: Option<String>,
        address: Option<String>,
        division_code: Option<String>,
        listing_number: Option<String>,
        credit_commitment_date: Option<String>,
        nbs_class: Option<String>,
    }
}

/// Checks opening hours: `24/7`, or comma-separated `HH:MM-HH:MM` ranges (a range may end
/// after midnight, e.g. `18:00-02:00`).
pub fn check_opening_hours(s: &str) -> bool {
    if s == "24/7" {
        return true;
    }
    let time = |t: &str| -> Option<u32> {
        let (h, m) = t.trim().split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h <= 24 && m < 60 && (h < 24 || m == 0)).then_some(h * 60 + m)
    };
    s.split(',').all(|r| {
        r.split_once('-')
            .and_then(|(a, b)| Some((time(a)?, time(b)?)))
            .is_some_and(|(a, b)| a != b)
    })
}

/// Checks a unified listing number of an inclusive-service outlet: 4-40 characters of
/// upper-case letters, digits and `-`. (No national format is published; this is the
/// platform's rule, documented in the API.)
pub fn check_listing_number(s: &str) -> bool {
    (4..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

/// 服务设施/网点 A checked service facility or outlet.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub struct Facility {
    pub id: String,
    pub name: String,
    /// Category key of the engine's vocabulary.
    pub category: String,
    pub lon: f64,
    pub lat: f64,
    pub capacity: Option<f64>,
    pub floor_area_m2: Option<f64>,
    /// The provider's USCC.
    pub provider_code: Option<String>,
    pub operator_name: Option<String>,
    pub opening_hours: Option<String>,
    pub address: Option<String>,
    pub division_code: Option<String>,
    pub listing_number: Option<String>,
    pub credit_commitment_date: Option<String>,
    /// Its class of the NBS life-service classification (`2019:03`, [`crate::nbs`]).
    pub nbs_class: Option<String>,
}

impl Input for FacilityInput {
    const ENTITY: &'static str = "facility";
    const FIELDS: &'static [&'static str] = FacilityInput::FIELD_NAMES;
    const IMMUTABLE: &'static [&'static str] = &["id"];
    type Checked = Facility;
    fn check(self) -> Result<Facility, Vec<FieldError>> {
        let i = self;
        let mut c = Check::new();
        let id = key(&mut c, "id", &i.id);
        let name = c.opt_text("name", &i.name, 100).unwrap_or_default();
        let category = match c.text("category", &i.category, 64) {
            Some(k) => match lc_model::Category::from_key(&k) {
                Ok(cat) => Some(cat.key()),
                Err(e) => {
                    c.fail(
                        "category",
                        "unknown_category",
                        format!("未知的设施类别 '{k}'（见 GET /api/categories）"),
                        e.to_string(),
                    );
                    None
                }
            },
            None => None,
        };
        let (lon, lat) = lon_lat(&mut c, i.lon, i.lat);
        let capacity = count(&mut c, "capacity", i.capacity, false);
        let area = count(&mut c, "floor_area_m2", i.floor_area_m2, false);
        let provider = uscc(&mut c, "provider_code", &i.provider_code, false);
        let operator = c.opt_text("operator_name", &i.operator_name, 100);
        let hours = c.opt_text("opening_hours", &i.opening_hours, 100);
        if let Some(h) = &hours {
            if !check_opening_hours(h) {
                c.fail(
                    "opening_hours",
                    "invalid_opening_hours",
                    format!("营业时间格式应为 HH:MM-HH:MM（可用逗号分隔多段）或 24/7：{h}"),
                    format!("opening_hours must be HH:MM-HH:MM ranges separated by commas, or 24/7: {h}"),
                );
            }
        }
        let address = c.opt_text("address", &i.address, 200);
        let div = division(&mut c, "division_code", &i.division_code, None);
        let listing = c.opt_text("listing_number", &i.listing_number, 40);
        if let Some(l) = &listing {
            if !check_listing_number(l) {
                c.fail(
                    "listing_number",
                    "invalid_listing_number",
                    "统一标识编号应为 4-40 位大写字母、数字或 -".into(),
                    "listing_number must be 4-40 upper-case letters, digits or -".into(),
                );
            }
        }
        let commitment = c.date("credit_commitment_date", &i.credit_commitment_date);
        let nbs_class = nbs_class(&mut c, &i.nbs_class);
        // A date that was given but is not one has been reported above; a blank one is none
        // (found by fuzzing, issue 19: "" was accepted, and the stored record then refused
        // every later update).
        let given = i
            .credit_commitment_date
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty());
        if listing.is_some() && commitment.is_none() && !given {
            c.fail(
                "credit_commitment_date",
                "commitment_required",
                "普惠性服务网点须填写信用承诺日期".into(),
                "an inclusive-service outlet with a listing number needs its credit commitment date".into(),
            );
        }
        c.finish()?;
        match (id, category, lon, lat) {
            (Some(id), Some(category), Some(lon), Some(lat)) => Ok(Facility {
                id,
                name,
                category: category.to_string(),
                lon,
                lat,
                capacity,
                floor_area_m2: area,
                provider_code: provider.map(|u| u.to_string()),
                operator_name: operator,
                opening_hours: hours,
                address,
                division_code: div.map(|d| d.to_string()),
                listing_number: listing,
                credit_commitment_date: commitment,
                nbs_class,
            }),
            _ => Err(vec![internal_missing()]),
        }
    }
}

// ---------------------------------------------------------------------------------------------

input! {
    /// What a client sends for a provider.
    pub struct ProviderInput {
        uscc: Option<String>,
        name: Option<String>,
        address: Option<String>,
        division_code: Option<String>,
        contact_name: Option<String>,
        contact_phone: Option<String>,
        nbs_class: Option<String>,
    }
}

/// 服务机构 A checked service provider (enterprise or individual business), keyed by its USCC.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub struct Provider {
    pub uscc: String,
    /// The kind of registration (from the USCC).
    pub kind: String,
    pub name: String,
    pub address: Option<String>,
    pub division_code: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// Its main class of the NBS life-service classification (`2019:01`, [`crate::nbs`]).
    pub nbs_class: Option<String>,
}

impl Input for ProviderInput {
    const ENTITY: &'static str = "provider";
    const FIELDS: &'static [&'static str] = ProviderInput::FIELD_NAMES;
    const IMMUTABLE: &'static [&'static str] = &["uscc"];
    type Checked = Provider;
    fn check(self) -> Result<Provider, Vec<FieldError>> {
        let i = self;
        let mut c = Check::new();
        let code = uscc(&mut c, "uscc", &i.uscc, true);
        let name = c.text("name", &i.name, 200);
        let address = c.opt_text("address", &i.address, 200);
        let div = division(&mut c, "division_code", &i.division_code, None);
        let contact = c.opt_text("contact_name", &i.contact_name, 50);
        let phone = phone(&mut c, "contact_phone", &i.contact_phone);
        let nbs_class = nbs_class(&mut c, &i.nbs_class);
        c.finish()?;
        match (code, name) {
            (Some(code), Some(name)) => Ok(Provider {
                kind: code.kind().1.to_string(),
                uscc: code.to_string(),
                name,
                address,
                division_code: div.map(|d| d.to_string()),
                contact_name: contact,
                contact_phone: phone,
                nbs_class,
            }),
            _ => Err(vec![internal_missing()]),
        }
    }
}

// ---------------------------------------------------------------------------------------------

/// Kinds of practitioner.
pub const PRACTITIONER_KINDS: [(&str, &str); 4] = [
    ("caregiver", "养老护理员"),
    ("housekeeper", "家政服务员"),
    ("nursery_staff", "保育员/育婴员"),
    ("other", "其他"),
];

/// A certificate as a client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CertificateInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub issued_on: Option<String>,
    #[serde(default)]
    pub valid_until: Option<String>,
}

/// A checked certificate, as stored (a JSON array in the practitioner's record).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[allow(missing_docs)]
pub struct Certificate {
    pub name: String,
    pub number: String,
    pub issuer: Option<String>,
    pub issued_on: Option<String>,
    pub valid_until: Option<String>,
}

impl From<Certificate> for CertificateInput {
    fn from(c: Certificate) -> CertificateInput {
        CertificateInput {
            name: Some(c.name),
            number: Some(c.number),
            issuer: c.issuer,
            issued_on: c.issued_on,
            valid_until: c.valid_until,
        }
    }
}

input! {
    /// What a client sends for a practitioner.
    pub struct PractitionerInput {
        provider_code: Option<String>,
        name: Option<String>,
        kind: Option<String>,
        phone: Option<String>,
        id_number: Option<String>,
        certificates: Option<Vec<CertificateInput>>,
    }
}

/// 从业人员 A checked practitioner (caregiver, housekeeper, nursery staff) with certificates.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub struct Practitioner {
    pub provider_code: String,
    pub name: String,
    pub kind: String,
    pub phone: Option<String>,
    /// The ID number sent in this request, if any (stored only masked and fingerprinted).
    pub resident_id: Option<ResidentId>,
    pub certificates: Vec<Certificate>,
}

impl Input for PractitionerInput {
    const ENTITY: &'static str = "practitioner";
    const FIELDS: &'static [&'static str] = PractitionerInput::FIELD_NAMES;
    const IMMUTABLE: &'static [&'static str] = &[];
    type Checked = Practitioner;
    fn check(self) -> Result<Practitioner, Vec<FieldError>> {
        let i = self;
        let mut c = Check::new();
        let provider = uscc(&mut c, "provider_code", &i.provider_code, true);
        let name = c.text("name", &i.name, 50);
        let kind = match c.text("kind", &i.kind, 20) {
            Some(k) if PRACTITIONER_KINDS.iter().any(|(x, _)| *x == k) => Some(k),
            Some(k) => {
                c.fail(
                    "kind",
                    "invalid_kind",
                    format!("从业人员类别应为 caregiver、housekeeper、nursery_staff 或 other：{k}"),
                    format!("kind must be caregiver, housekeeper, nursery_staff or other: {k}"),
                );
                None
            }
            None => None,
        };
        let phone = phone(&mut c, "phone", &i.phone);
        let rid = resident_id(&mut c, "id_number", &i.id_number);
        let mut certs = Vec::new();
        for (k, cert) in i.certificates.iter().flatten().enumerate() {
            let f = |x: &str| format!("certificates[{k}].{x}");
            let name = c.text(&f("name"), &cert.name, 100);
            let number = c.text(&f("number"), &cert.number, 64);
            let issuer = c.opt_text(&f("issuer"), &cert.issuer, 100);
            let issued = c.date(&f("issued_on"), &cert.issued_on);
            let until = c.date(&f("valid_until"), &cert.valid_until);
            if let (Some(a), Some(b)) = (&issued, &until) {
                if b < a {
                    c.fail(
                        &f("valid_until"),
                        "before_issue",
                        "有效期截止日期早于发证日期".into(),
                        "valid_until is before issued_on".into(),
                    );
                }
            }
            if let (Some(name), Some(number)) = (name, number) {
                certs.push(Certificate {
                    name,
                    number,
                    issuer,
                    issued_on: issued,
                    valid_until: until,
                });
            }
        }
        c.finish()?;
        match (provider, name, kind) {
            (Some(provider), Some(name), Some(kind)) => Ok(Practitioner {
                provider_code: provider.to_string(),
                name,
                kind,
                phone,
                resident_id: rid,
                certificates: certs,
            }),
            _ => Err(vec![internal_missing()]),
        }
    }
}

// ---------------------------------------------------------------------------------------------

input! {
    /// What a client sends for a resident.
    pub struct ResidentInput {
        community_id: Option<String>,
        name: Option<String>,
        phone: Option<String>,
        id_number: Option<String>,
        address: Option<String>,
        user_id: Option<i64>,
    }
}

/// 居民 A checked resident of a community (personal data: name, phone, ID number, address).
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub struct Resident {
    pub community_id: String,
    pub name: String,
    pub phone: Option<String>,
    /// The ID number sent in this request, if any (stored only masked and fingerprinted).
    pub resident_id: Option<ResidentId>,
    pub address: Option<String>,
    /// The resident's own account, if any.
    pub user_id: Option<i64>,
}

impl Input for ResidentInput {
    const ENTITY: &'static str = "resident";
    const FIELDS: &'static [&'static str] = ResidentInput::FIELD_NAMES;
    const IMMUTABLE: &'static [&'static str] = &[];
    type Checked = Resident;
    fn check(self) -> Result<Resident, Vec<FieldError>> {
        let i = self;
        let mut c = Check::new();
        let community = key(&mut c, "community_id", &i.community_id);
        let name = c.text("name", &i.name, 50);
        let phone = phone(&mut c, "phone", &i.phone);
        let rid = resident_id(&mut c, "id_number", &i.id_number);
        let address = c.opt_text("address", &i.address, 200);
        c.finish()?;
        match (community, name) {
            (Some(community_id), Some(name)) => Ok(Resident {
                community_id,
                name,
                phone,
                resident_id: rid,
                address,
                user_id: i.user_id,
            }),
            _ => Err(vec![internal_missing()]),
        }
    }
}

/// Merges a PATCH body into the stored record's input.
///
/// Unknown fields and changes to immutable fields are refused; `id_number` is never in the
/// stored record (only its masked form), so it stays absent unless the patch sends a new one.
pub fn merge_patch<I: Input>(stored: &I, patch: &Value) -> Result<I, Vec<FieldError>> {
    let Value::Object(p) = patch else {
        return Err(vec![FieldError {
            field: "body".into(),
            code: "invalid_body",
            message_zh: "请求体应为 JSON 对象".into(),
            message_en: "the body must be a JSON object".into(),
        }]);
    };
    let stored = match serde_json::to_value(stored) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let mut errors = Vec::new();
    for k in p.keys() {
        if !I::FIELDS.contains(&k.as_str()) {
            errors.push(FieldError {
                field: k.clone(),
                code: "unknown_field",
                message_zh: format!("未知字段 {k}"),
                message_en: format!("unknown field {k}"),
            });
        } else if I::IMMUTABLE.contains(&k.as_str()) && stored.get(k) != p.get(k) {
            errors.push(FieldError {
                field: k.clone(),
                code: "immutable",
                message_zh: format!("{k} 创建后不能修改"),
                message_en: format!("{k} cannot be changed after creation"),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut merged = stored;
    for (k, v) in p {
        merged.insert(k.clone(), v.clone());
    }
    parse_input(Value::Object(merged))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_ascii_and_begin_with_a_letter_or_digit() {
        for ok in ["XYL-F01", "110108010031", "a.b:c_d", "F1"] {
            assert!(is_identifier(ok), "{ok}");
        }
        let long = "a".repeat(65);
        for bad in [
            "",
            "-F1",
            ".hidden",
            "设施1",
            "F\u{0430}1",
            "a b",
            "a/b",
            "a%00",
            &long,
        ] {
            assert!(!is_identifier(bad), "{bad:?}");
        }
    }
    use serde_json::json;

    #[test]
    fn community_checks_fields_together() {
        let ok = check_new::<CommunityInput>(json!({
            "id": "110108010031", "name": "富润家园", "division_code": "110108010031",
            "lon": 116.35, "lat": 39.99, "population": 6200, "elderly": 1180
        }))
        .unwrap();
        assert_eq!(ok.population, 6200.0);
        assert_eq!(ok.households, None);
        let errs = check_new::<CommunityInput>(json!({
            "id": "a b", "lon": 200.0, "lat": 39.0, "population": 10, "elderly": 11,
            "division_code": "110108010"
        }))
        .unwrap_err();
        let codes: Vec<(&str, &str)> = errs.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            codes,
            [
                ("id", "invalid_id"),
                ("name", "required"),
                ("division_code", "wrong_division_level"),
                ("lon", "out_of_range"),
                ("elderly", "exceeds_population")
            ]
        );
        let e = check_new::<CommunityInput>(json!({"id": "x", "colour": 1})).unwrap_err();
        assert_eq!(e[0].code, "invalid_body");
    }

    #[test]
    fn facility_listing_needs_commitment_and_real_codes() {
        let check = |v: &Value| check_new::<FacilityInput>(v.clone());
        let base =
            json!({"id": "f1", "name": "托育园", "category": "nursery", "lon": 116.3, "lat": 39.9});
        assert!(check(&base).is_ok());
        let mut v = base.clone();
        v["listing_number"] = json!("PH-110108-0001");
        let e = check(&v).unwrap_err();
        assert_eq!(e[0].code, "commitment_required");
        // Blank is none (found by fuzzing, issue 19).
        for blank in ["", "  "] {
            v["credit_commitment_date"] = json!(blank);
            let e = check(&v).unwrap_err();
            assert_eq!(e[0].code, "commitment_required", "{blank:?}");
        }
        v["credit_commitment_date"] = json!("2024-02-30");
        assert_eq!(check(&v).unwrap_err()[0].code, "invalid_date");
        v["credit_commitment_date"] = json!("2024-02-29");
        v["provider_code"] = json!("91350100M000100Y43");
        v["opening_hours"] = json!("07:30-11:30,13:30-18:00");
        let ok = check(&v).unwrap();
        assert_eq!(ok.provider_code.as_deref(), Some("91350100M000100Y43"));
        v["provider_code"] = json!("91350100M000100Y44");
        assert_eq!(check(&v).unwrap_err()[0].code, "invalid_uscc");
        v["provider_code"] = Value::Null;
        v["category"] = json!("casino");
        assert_eq!(check(&v).unwrap_err()[0].code, "unknown_category");
    }

    #[test]
    fn opening_hours() {
        assert!(check_opening_hours("24/7"));
        assert!(check_opening_hours("08:00-20:00"));
        assert!(check_opening_hours("18:00-02:00"));
        assert!(check_opening_hours("00:00-24:00"));
        assert!(!check_opening_hours("8:00-20:00"));
        assert!(!check_opening_hours("08:00-08:00"));
        assert!(!check_opening_hours("08:00-24:30"));
        assert!(!check_opening_hours("always"));
    }

    #[test]
    fn practitioner_keeps_only_the_masked_id_outside_validation() {
        let v = check_new::<PractitionerInput>(json!({
            "provider_code": "91310110666007217T", "name": "王芳", "kind": "caregiver",
            "id_number": "11010519491231002X",
            "certificates": [{"name": "养老护理员职业技能等级证书", "number": "Y001", "issued_on": "2022-01-01", "valid_until": "2021-01-01"}]
        }))
        .unwrap_err();
        assert_eq!(v[0].field, "certificates[0].valid_until");
        let ok = check_new::<PractitionerInput>(json!({
            "provider_code": "91310110666007217T", "name": "王芳", "kind": "caregiver",
            "id_number": "11010519491231002X"
        }))
        .unwrap();
        assert_eq!(
            ok.resident_id.as_ref().map(|r| r.masked()).as_deref(),
            Some("1101**********002X")
        );
        let bad = check_new::<ResidentInput>(json!({
            "community_id": "c1", "name": "张三", "id_number": "11010519491231002Y"
        }))
        .unwrap_err();
        assert_eq!(bad[0].code, "invalid_resident_id");
    }

    #[test]
    fn patches_merge_and_refuse_key_changes() {
        let stored: CommunityInput = parse_input(json!({
            "id": "c1", "name": "A", "lon": 116.0, "lat": 39.0, "population": 100,
            "boundary": {"type": "Polygon", "coordinates": [[[116.0,39.0],[116.001,39.0],[116.001,39.001],[116.0,39.0]]]}
        }))
        .unwrap();
        let merged = merge_patch(&stored, &json!({"population": 120, "id": "c1"})).unwrap();
        let v = merged.check().unwrap();
        assert_eq!(v.population, 120.0);
        assert_eq!(v.name, "A");
        assert!(v.boundary.unwrap().to_string().contains("Polygon"));
        let e = merge_patch(&stored, &json!({"id": "c2", "x": 1})).unwrap_err();
        assert_eq!(e.len(), 2);
        let cleared = merge_patch(&stored, &json!({"boundary": null})).unwrap();
        assert!(cleared.check().unwrap().boundary.is_none());
    }
}
