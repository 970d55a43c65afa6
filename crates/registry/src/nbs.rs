//! 国家统计局《生活性服务业统计分类(2019)》: the life-service classes providers and outlets carry.
//!
//! The classification is data (`standards/nbs/2019.toml`, embedded), versioned: a stored class is
//! the opaque code `VERSION:CODE` (`2019:03`), so a record keeps its meaning when a later version
//! of the classification is added beside this one. [`check_class`] is the one rule: the version
//! must be a shipped classification's and the code one of its classes.

use serde::Deserialize;

/// The shipped classifications: (file, text).
pub const SHIPPED: &[(&str, &str)] = &[(
    "standards/nbs/2019.toml",
    include_str!("../../../standards/nbs/2019.toml"),
)];

/// A classification, as read from its file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = NbsClassification)]
#[allow(missing_docs)]
pub struct Classification {
    /// Stable id (`nbs-life-services`).
    pub id: String,
    /// The version stored codes carry (`2019`).
    pub version: String,
    /// Corrections of this version's file (raised when a row is corrected).
    pub revision: u32,
    pub name_zh: String,
    pub name_en: String,
    pub publisher: String,
    /// How sure the rows are (DOMAIN.md labels: V, C, S, P, U).
    pub status: String,
    pub note: String,
    /// The classes, in code order.
    pub classes: Vec<Class>,
}

/// One class.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NbsClass)]
#[allow(missing_docs)]
pub struct Class {
    /// The class's code within its version (`03`).
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

impl Classification {
    /// The stored form of a class's code (`2019:03`).
    pub fn key(&self, class: &Class) -> String {
        format!("{}:{}", self.version, class.code)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    id: String,
    version: String,
    revision: u32,
    name_zh: String,
    name_en: String,
    publisher: String,
    status: String,
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    classification: RawHeader,
    class: Vec<Class>,
}

/// Why a classification file was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{file}: {message}")]
pub struct NbsError {
    /// The file.
    pub file: String,
    /// What is wrong (with the TOML location where there is one).
    pub message: String,
}

/// Parses and checks a classification file: codes of two digits, unique and ascending; names
/// not empty; the version a 4-digit year; the status one of DOMAIN.md's labels.
pub fn parse(file: &str, text: &str) -> Result<Classification, NbsError> {
    let err = |message: String| NbsError {
        file: file.to_string(),
        message,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    let h = raw.classification;
    if h.version.len() != 4 || !h.version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(format!(
            "classification.version '{}' 应为四位年份 must be a 4-digit year",
            h.version
        )));
    }
    if !["V", "C", "S", "P", "U"].contains(&h.status.as_str()) {
        return Err(err(format!(
            "classification.status '{}' 应为 V/C/S/P/U must be one of V, C, S, P, U",
            h.status
        )));
    }
    let mut last: Option<&str> = None;
    for (i, c) in raw.class.iter().enumerate() {
        let at = format!("class[{}] (code '{}')", i + 1, c.code);
        if c.code.len() != 2 || !c.code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(format!(
                "{at}: 代码应为两位数字 the code must be two digits"
            )));
        }
        if last.is_some_and(|l| l >= c.code.as_str()) {
            return Err(err(format!(
                "{at}: 代码须唯一且递增 codes must be unique and ascending"
            )));
        }
        if c.name_zh.trim().is_empty() || c.name_en.trim().is_empty() {
            return Err(err(format!("{at}: 名称不能为空 names are required")));
        }
        last = Some(&c.code);
    }
    if raw.class.is_empty() {
        return Err(err("没有类别 no class".into()));
    }
    Ok(Classification {
        id: h.id,
        version: h.version,
        revision: h.revision,
        name_zh: h.name_zh,
        name_en: h.name_en,
        publisher: h.publisher,
        status: h.status,
        note: h.note,
        classes: raw.class,
    })
}

/// The shipped classifications, parsed once (a shipped file that does not parse is a build
/// defect, caught by this crate's tests).
pub fn shipped() -> &'static [Classification] {
    static ALL: std::sync::LazyLock<Vec<Classification>> = std::sync::LazyLock::new(|| {
        SHIPPED
            .iter()
            .filter_map(|(f, t)| parse(f, t).ok())
            .collect()
    });
    &ALL
}

/// The class of a stored code (`2019:03`), with its classification.
pub fn find(code: &str) -> Option<(&'static Classification, &'static Class)> {
    let (version, class) = code.split_once(':')?;
    let c = shipped().iter().find(|c| c.version == version)?;
    Some((c, c.classes.iter().find(|k| k.code == class)?))
}

/// Checks a stored class code; the message (Chinese, English) says why it is refused.
pub fn check_class(code: &str) -> Result<(), (String, String)> {
    if find(code).is_some() {
        return Ok(());
    }
    let known: Vec<String> = shipped()
        .iter()
        .flat_map(|c| c.classes.iter().map(|k| c.key(k)))
        .collect();
    Err((
        format!(
            "'{code}' 不是《生活性服务业统计分类》的类别代码（格式 版本:代码，如 2019:03；见 GET /api/series/nbs-classes）"
        ),
        format!(
            "'{code}' is not a class of the NBS life-service classification (VERSION:CODE, e.g. 2019:03; one of {})",
            known.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_parses_with_the_twelve_classes_of_domain_md() {
        assert_eq!(shipped().len(), SHIPPED.len());
        let c = &shipped()[0];
        assert_eq!(c.version, "2019");
        assert_eq!(c.status, "U");
        let codes: Vec<&str> = c.classes.iter().map(|k| k.code.as_str()).collect();
        assert_eq!(
            codes,
            ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"]
        );
        // DOMAIN.md §4 lists the names shortened; every name here ends in 服务 (the rule there).
        assert!(c.classes.iter().all(|k| k.name_zh.ends_with("服务")));
        assert_eq!(find("2019:03").unwrap().1.name_zh, "养老服务");
        assert_eq!(c.key(&c.classes[8]), "2019:09");
    }

    #[test]
    fn codes_outside_the_file_are_refused_with_a_reason() {
        assert!(check_class("2019:12").is_ok());
        for bad in ["2019:13", "2019:3", "2020:03", "03", "", "2019:", ":03"] {
            let (zh, en) = check_class(bad).unwrap_err();
            assert!(zh.contains(bad) && en.contains("2019:01"), "{bad}: {en}");
        }
    }

    #[test]
    fn a_bad_file_names_the_class_and_the_fault() {
        let good = SHIPPED[0].1;
        let e = parse("x.toml", &good.replace("code = \"02\"", "code = \"2\"")).unwrap_err();
        assert!(e.to_string().contains("class[2]"), "{e}");
        let e = parse("x.toml", &good.replace("code = \"03\"", "code = \"01\"")).unwrap_err();
        assert!(e.message.contains("ascending"), "{e}");
        let e = parse(
            "x.toml",
            &good.replace("version = \"2019\"", "version = \"19\""),
        )
        .unwrap_err();
        assert!(e.message.contains("version"), "{e}");
        let e = parse("x.toml", &good.replace("name_en = \"Sports services\"", "")).unwrap_err();
        assert!(e.to_string().starts_with("x.toml: "), "{e}");
        let e = parse("x.toml", &format!("{good}\nextra = 1\n")).unwrap_err();
        assert!(e.message.contains("extra"), "{e}");
    }
}
