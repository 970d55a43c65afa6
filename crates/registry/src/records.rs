//! The registry's records and their validation: what a client sends (an input object) is
//! checked field by field and turned into the stored columns.
//!
//! Updates are merges: the stored record's input fields, overlaid with the fields the client
//! sends, are checked again as a whole, so a record is never stored half-valid.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::check::{Check, FieldError};
use crate::division::{DivisionCode, DivisionLevel};
use crate::mask::is_phone;
use crate::resident_id::ResidentId;
use crate::uscc::Uscc;

/// A checked record: its columns, and the resident ID number if one was given (the caller
/// stores only its masked form and a keyed fingerprint).
#[derive(Debug)]
pub struct Validated {
    /// Column name → value, as stored (no timestamps, no generated key).
    pub columns: Map<String, Value>,
    /// The ID number given in this request, if any.
    pub resident_id: Option<ResidentId>,
}

impl From<Map<String, Value>> for Validated {
    /// Columns of a record without an ID number.
    fn from(columns: Map<String, Value>) -> Validated {
        Validated {
            columns,
            resident_id: None,
        }
    }
}

/// A kind of registry record.
pub trait Record {
    /// Entity name, as in the audit trail (`community`).
    const ENTITY: &'static str;
    /// The fields a client may send.
    const FIELDS: &'static [&'static str];
    /// Fields that cannot change once created (the key).
    const IMMUTABLE: &'static [&'static str];
    /// Checks an input object.
    fn validate(input: Value) -> Result<Validated, Vec<FieldError>>;
}

/// Declares what a client may send for a record: a struct of optional fields that refuses
/// unknown ones, and `FIELDS`, the names of its fields in order (the record's
/// [`Record::FIELDS`]), so the two cannot drift apart.
macro_rules! input {
    ($(#[$doc:meta])* struct $name:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct $name {
            $($field: $ty),*
        }

        impl $name {
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];
        }
    };
}

fn parse<T: for<'de> Deserialize<'de>>(input: Value) -> Result<T, Vec<FieldError>> {
    serde_json::from_value(input).map_err(|e| {
        vec![FieldError {
            field: "body".into(),
            code: "invalid_body",
            message_zh: format!("请求体字段类型或名称错误：{e}"),
            message_en: format!("the body has a wrong field or type: {e}"),
        }]
    })
}

fn put(m: &mut Map<String, Value>, k: &str, v: impl Into<Value>) {
    m.insert(k.to_string(), v.into());
}

fn put_opt<T: Into<Value>>(m: &mut Map<String, Value>, k: &str, v: Option<T>) {
    m.insert(k.to_string(), v.map(Into::into).unwrap_or(Value::Null));
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
    struct DivisionInput {
        code: Option<String>,
        name: Option<String>,
    }
}

/// 行政区划 Administrative division.
pub struct Division;

impl Record for Division {
    const ENTITY: &'static str = "division";
    const FIELDS: &'static [&'static str] = DivisionInput::FIELDS;
    const IMMUTABLE: &'static [&'static str] = &["code"];
    fn validate(input: Value) -> Result<Validated, Vec<FieldError>> {
        let i: DivisionInput = parse(input)?;
        let mut c = Check::new();
        let code = match c.text("code", &i.code, 12) {
            Some(s) => division(&mut c, "code", &Some(s), None),
            None => None,
        };
        let name = c.text("name", &i.name, 100);
        c.finish()?;
        let (code, name) = (
            code.unwrap_or_else(unreachable_code),
            name.unwrap_or_default(),
        );
        let mut m = Map::new();
        put(&mut m, "code", code.as_str());
        put(&mut m, "name", name);
        put(&mut m, "level", code.level().number());
        put_opt(&mut m, "parent_code", code.parent().map(|p| p.to_string()));
        Ok(m.into())
    }
}

#[cold]
fn unreachable_code() -> DivisionCode {
    // Only reached if Check::finish passed with a missing value, which it cannot.
    DivisionCode::parse("11").unwrap_or_else(|_| unreachable!())
}

// ---------------------------------------------------------------------------------------------

input! {
    struct CommunityInput {
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

/// 社区 Residential community (the engine's `communities.csv` row plus a boundary).
pub struct CommunityRecord;

impl Record for CommunityRecord {
    const ENTITY: &'static str = "community";
    const FIELDS: &'static [&'static str] = CommunityInput::FIELDS;
    const IMMUTABLE: &'static [&'static str] = &["id"];
    fn validate(input: Value) -> Result<Validated, Vec<FieldError>> {
        let i: CommunityInput = parse(input)?;
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
        let boundary = match &i.boundary {
            None | Some(Value::Null) => None,
            Some(b) => match crate::geometry::check_boundary(b) {
                Ok(()) => Some(b.to_string()),
                Err((zh, en)) => {
                    c.fail("boundary", "invalid_boundary", zh, en);
                    None
                }
            },
        };
        c.finish()?;
        let mut m = Map::new();
        put_opt(&mut m, "id", id);
        put_opt(&mut m, "name", name);
        put_opt(&mut m, "division_code", div.map(|d| d.to_string()));
        put_opt(&mut m, "lon", lon);
        put_opt(&mut m, "lat", lat);
        put_opt(&mut m, "population", population);
        put_opt(&mut m, "households", households);
        put_opt(&mut m, "elderly", elderly);
        put_opt(&mut m, "children_0_3", children);
        put_opt(&mut m, "boundary", boundary);
        Ok(m.into())
    }
}

// ---------------------------------------------------------------------------------------------

input! {
    struct FacilityInput {
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

/// 服务设施/网点 Service facility or outlet.
pub struct FacilityRecord;

impl Record for FacilityRecord {
    const ENTITY: &'static str = "facility";
    const FIELDS: &'static [&'static str] = FacilityInput::FIELDS;
    const IMMUTABLE: &'static [&'static str] = &["id"];
    fn validate(input: Value) -> Result<Validated, Vec<FieldError>> {
        let i: FacilityInput = parse(input)?;
        let mut c = Check::new();
        let id = key(&mut c, "id", &i.id);
        let name = c.opt_text("name", &i.name, 100).or(Some(String::new()));
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
        let mut m = Map::new();
        put_opt(&mut m, "id", id);
        put_opt(&mut m, "name", name);
        put_opt(&mut m, "category", category);
        put_opt(&mut m, "lon", lon);
        put_opt(&mut m, "lat", lat);
        put_opt(&mut m, "capacity", capacity);
        put_opt(&mut m, "floor_area_m2", area);
        put_opt(&mut m, "provider_code", provider.map(|u| u.to_string()));
        put_opt(&mut m, "operator_name", operator);
        put_opt(&mut m, "opening_hours", hours);
        put_opt(&mut m, "address", address);
        put_opt(&mut m, "division_code", div.map(|d| d.to_string()));
        put_opt(&mut m, "listing_number", listing);
        put_opt(&mut m, "credit_commitment_date", commitment);
        Ok(m.into())
    }
}

// ---------------------------------------------------------------------------------------------

input! {
    struct ProviderInput {
        uscc: Option<String>,
        name: Option<String>,
        address: Option<String>,
        division_code: Option<String>,
        contact_name: Option<String>,
        contact_phone: Option<String>,
    }
}

/// 服务机构 Service provider (enterprise or individual business), keyed by its USCC.
pub struct ProviderRecord;

impl Record for ProviderRecord {
    const ENTITY: &'static str = "provider";
    const FIELDS: &'static [&'static str] = ProviderInput::FIELDS;
    const IMMUTABLE: &'static [&'static str] = &["uscc"];
    fn validate(input: Value) -> Result<Validated, Vec<FieldError>> {
        let i: ProviderInput = parse(input)?;
        let mut c = Check::new();
        let code = uscc(&mut c, "uscc", &i.uscc, true);
        let name = c.text("name", &i.name, 200);
        let address = c.opt_text("address", &i.address, 200);
        let div = division(&mut c, "division_code", &i.division_code, None);
        let contact = c.opt_text("contact_name", &i.contact_name, 50);
        let phone = phone(&mut c, "contact_phone", &i.contact_phone);
        c.finish()?;
        let mut m = Map::new();
        put_opt(&mut m, "kind", code.as_ref().map(|u| u.kind().1));
        put_opt(&mut m, "uscc", code.map(|u| u.to_string()));
        put_opt(&mut m, "name", name);
        put_opt(&mut m, "address", address);
        put_opt(&mut m, "division_code", div.map(|d| d.to_string()));
        put_opt(&mut m, "contact_name", contact);
        put_opt(&mut m, "contact_phone", phone);
        Ok(m.into())
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CertificateInput {
    name: Option<String>,
    number: Option<String>,
    issuer: Option<String>,
    issued_on: Option<String>,
    valid_until: Option<String>,
}

input! {
    struct PractitionerInput {
        provider_code: Option<String>,
        name: Option<String>,
        kind: Option<String>,
        phone: Option<String>,
        id_number: Option<String>,
        certificates: Option<Vec<CertificateInput>>,
    }
}

/// 从业人员 Practitioner (caregiver, housekeeper, nursery staff) with certificates.
pub struct PractitionerRecord;

impl Record for PractitionerRecord {
    const ENTITY: &'static str = "practitioner";
    const FIELDS: &'static [&'static str] = PractitionerInput::FIELDS;
    const IMMUTABLE: &'static [&'static str] = &[];
    fn validate(input: Value) -> Result<Validated, Vec<FieldError>> {
        let i: PractitionerInput = parse(input)?;
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
            certs.push(serde_json::json!({
                "name": name, "number": number, "issuer": issuer,
                "issued_on": issued, "valid_until": until,
            }));
        }
        c.finish()?;
        let mut m = Map::new();
        put_opt(&mut m, "provider_code", provider.map(|u| u.to_string()));
        put_opt(&mut m, "name", name);
        put_opt(&mut m, "kind", kind);
        put_opt(&mut m, "phone", phone);
        put(&mut m, "certificates", Value::Array(certs).to_string());
        Ok(Validated {
            columns: m,
            resident_id: rid,
        })
    }
}

// ---------------------------------------------------------------------------------------------

input! {
    struct ResidentInput {
        community_id: Option<String>,
        name: Option<String>,
        phone: Option<String>,
        id_number: Option<String>,
        address: Option<String>,
        user_id: Option<i64>,
    }
}

/// 居民 Resident of a community (personal data: name, phone, ID number, address).
pub struct ResidentRecord;

impl Record for ResidentRecord {
    const ENTITY: &'static str = "resident";
    const FIELDS: &'static [&'static str] = ResidentInput::FIELDS;
    const IMMUTABLE: &'static [&'static str] = &[];
    fn validate(input: Value) -> Result<Validated, Vec<FieldError>> {
        let i: ResidentInput = parse(input)?;
        let mut c = Check::new();
        let community = key(&mut c, "community_id", &i.community_id);
        let name = c.text("name", &i.name, 50);
        let phone = phone(&mut c, "phone", &i.phone);
        let rid = resident_id(&mut c, "id_number", &i.id_number);
        let address = c.opt_text("address", &i.address, 200);
        c.finish()?;
        let mut m = Map::new();
        put_opt(&mut m, "community_id", community);
        put_opt(&mut m, "name", name);
        put_opt(&mut m, "phone", phone);
        put_opt(&mut m, "address", address);
        put_opt(&mut m, "user_id", i.user_id);
        Ok(Validated {
            columns: m,
            resident_id: rid,
        })
    }
}

/// Merges a PATCH body into the stored record's input fields.
///
/// Unknown fields and changes to immutable fields are refused; `id_number` is never in the
/// stored record (only its masked form), so it is kept unless the patch sends a new one.
pub fn merge_patch<R: Record>(
    stored: &Map<String, Value>,
    patch: &Value,
) -> Result<Value, Vec<FieldError>> {
    let Value::Object(p) = patch else {
        return Err(vec![FieldError {
            field: "body".into(),
            code: "invalid_body",
            message_zh: "请求体应为 JSON 对象".into(),
            message_en: "the body must be a JSON object".into(),
        }]);
    };
    let mut errors = Vec::new();
    for k in p.keys() {
        if !R::FIELDS.contains(&k.as_str()) {
            errors.push(FieldError {
                field: k.clone(),
                code: "unknown_field",
                message_zh: format!("未知字段 {k}"),
                message_en: format!("unknown field {k}"),
            });
        } else if R::IMMUTABLE.contains(&k.as_str()) && stored.get(k) != p.get(k) {
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
    let mut merged = Map::new();
    for f in R::FIELDS {
        if let Some(v) = p.get(*f).or_else(|| stored.get(*f)) {
            let v = match (*f, v) {
                // Stored as text; sent as JSON.
                ("boundary" | "certificates", Value::String(s)) if !p.contains_key(*f) => {
                    serde_json::from_str(s).unwrap_or(Value::Null)
                }
                _ => v.clone(),
            };
            merged.insert((*f).to_string(), v);
        }
    }
    Ok(Value::Object(merged))
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
        let ok = CommunityRecord::validate(json!({
            "id": "110108010031", "name": "富润家园", "division_code": "110108010031",
            "lon": 116.35, "lat": 39.99, "population": 6200, "elderly": 1180
        }))
        .unwrap();
        assert_eq!(ok.columns["population"], json!(6200.0));
        assert_eq!(ok.columns["households"], Value::Null);
        let errs = CommunityRecord::validate(json!({
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
        assert!(CommunityRecord::validate(json!({"id": "x", "colour": 1})).is_err());
    }

    #[test]
    fn facility_listing_needs_commitment_and_real_codes() {
        let base =
            json!({"id": "f1", "name": "托育园", "category": "nursery", "lon": 116.3, "lat": 39.9});
        assert!(FacilityRecord::validate(base.clone()).is_ok());
        let mut v = base.clone();
        v["listing_number"] = json!("PH-110108-0001");
        let e = FacilityRecord::validate(v.clone()).unwrap_err();
        assert_eq!(e[0].code, "commitment_required");
        // Blank is none (found by fuzzing, issue 19).
        for blank in ["", "  "] {
            v["credit_commitment_date"] = json!(blank);
            let e = FacilityRecord::validate(v.clone()).unwrap_err();
            assert_eq!(e[0].code, "commitment_required", "{blank:?}");
        }
        v["credit_commitment_date"] = json!("2024-02-30");
        assert_eq!(
            FacilityRecord::validate(v.clone()).unwrap_err()[0].code,
            "invalid_date"
        );
        v["credit_commitment_date"] = json!("2024-02-29");
        v["provider_code"] = json!("91350100M000100Y43");
        v["opening_hours"] = json!("07:30-11:30,13:30-18:00");
        assert!(FacilityRecord::validate(v.clone()).is_ok());
        v["provider_code"] = json!("91350100M000100Y44");
        assert_eq!(
            FacilityRecord::validate(v.clone()).unwrap_err()[0].code,
            "invalid_uscc"
        );
        v["provider_code"] = Value::Null;
        v["category"] = json!("casino");
        assert_eq!(
            FacilityRecord::validate(v).unwrap_err()[0].code,
            "unknown_category"
        );
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
        let v = PractitionerRecord::validate(json!({
            "provider_code": "91310110666007217T", "name": "王芳", "kind": "caregiver",
            "id_number": "11010519491231002X",
            "certificates": [{"name": "养老护理员职业技能等级证书", "number": "Y001", "issued_on": "2022-01-01", "valid_until": "2021-01-01"}]
        }))
        .unwrap_err();
        assert_eq!(v[0].field, "certificates[0].valid_until");
        let ok = PractitionerRecord::validate(json!({
            "provider_code": "91310110666007217T", "name": "王芳", "kind": "caregiver",
            "id_number": "11010519491231002X"
        }))
        .unwrap();
        assert!(ok.resident_id.is_some());
        assert!(!ok.columns.contains_key("id_number"));
        let bad = ResidentRecord::validate(json!({
            "community_id": "c1", "name": "张三", "id_number": "11010519491231002Y"
        }))
        .unwrap_err();
        assert_eq!(bad[0].code, "invalid_resident_id");
    }

    #[test]
    fn patches_merge_and_refuse_key_changes() {
        let stored = CommunityRecord::validate(json!({
            "id": "c1", "name": "A", "lon": 116.0, "lat": 39.0, "population": 100,
            "boundary": {"type": "Polygon", "coordinates": [[[116.0,39.0],[116.001,39.0],[116.001,39.001],[116.0,39.0]]]}
        }))
        .unwrap()
        .columns;
        let merged = merge_patch::<CommunityRecord>(&stored, &json!({"population": 120})).unwrap();
        let v = CommunityRecord::validate(merged).unwrap();
        assert_eq!(v.columns["population"], json!(120.0));
        assert_eq!(v.columns["name"], json!("A"));
        assert!(v.columns["boundary"].as_str().unwrap().contains("Polygon"));
        let e = merge_patch::<CommunityRecord>(&stored, &json!({"id": "c2", "x": 1})).unwrap_err();
        assert_eq!(e.len(), 2);
    }
}
