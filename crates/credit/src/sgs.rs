//! 双公示: administrative licences (`XK_` fields) and penalties (`CF_` fields) in the layout of
//! 信用中国's collection (`PLATFORM.md` §2a, the codes verified in two public implementations).
//! A record is read from its fields by code (a CSV header row of codes, or a JSON object), checked
//! (the subject's unified social credit code, dates, amounts in **万元**), and its publicity
//! worked out from the rule table ([`crate::publicity`]): `CF_GSJZQ` is computed, never trusted
//! from the input.

use std::collections::BTreeMap;

use jiff::civil::Date;
use lc_registry::{Check, FieldError};

use crate::amount::Wan;
use crate::publicity::{self, Area, Publicity};

/// A field of the layout: its code, its Chinese name, whether required, its longest length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub code: &'static str,
    pub zh: &'static str,
    pub required: bool,
    pub max: usize,
}

const fn f(code: &'static str, zh: &'static str, required: bool, max: usize) -> Field {
    Field {
        code,
        zh,
        required,
        max,
    }
}

/// The licence fields (legal-person subjects).
pub const LICENCE_FIELDS: &[Field] = &[
    f("XK_XDR_MC", "行政相对人名称", true, 200),
    f("XK_XDR_TYPE", "行政相对人类别", false, 16),
    f("XK_XDR_SHXYM", "统一社会信用代码", true, 18),
    f("XK_FDDB", "法定代表人", false, 50),
    f("XK_XKWS", "行政许可决定文书名称", true, 64),
    f("XK_WSH", "行政许可决定文书号", true, 64),
    f("XK_XKLB", "许可类别", true, 256),
    f("XK_XKZS", "许可证书名称", false, 64),
    f("XK_XKBH", "许可编号", false, 64),
    f("XK_NR", "许可内容", true, 4000),
    f("XK_JDRQ", "许可决定日期", true, 10),
    f("XK_YXQZ", "有效期自", true, 10),
    f("XK_YXQZI", "有效期至", true, 10),
    f("XK_XKJG", "许可机关", true, 200),
    f("XK_XKJGDM", "许可机关统一社会信用代码", true, 18),
    f("XK_ZT", "当前状态", true, 16),
    f("XK_LYDW", "数据来源单位", true, 200),
    f("XK_LYDWDM", "数据来源单位统一社会信用代码", true, 18),
    f("BZ", "备注", false, 512),
];

/// The penalty fields (legal-person subjects), plus `LC_AREA`: this platform's column naming the
/// penalty's areas for its publicity period (`general`, `work_safety`, `fire`,
/// `special_equipment`, separated by `;`), inferred from the text when absent.
pub const PENALTY_FIELDS: &[Field] = &[
    f("CF_XDR_MC", "行政相对人名称", true, 200),
    f("CF_XDR_TYPE", "行政相对人类别", false, 16),
    f("CF_XDR_SHXYM", "统一社会信用代码", true, 18),
    f("CF_FRDB", "法定代表人", false, 50),
    f("CF_WSH", "行政处罚决定书文号", true, 64),
    f("CF_WFXW", "违法行为类型", true, 2000),
    f("CF_SY", "违法事实", true, 5000),
    f("CF_YJ", "处罚依据", true, 2048),
    f("CF_CFLB", "处罚类别", true, 256),
    f("CF_NR", "处罚内容", true, 4000),
    f("CF_NR_FK", "罚款金额（万元）", false, 20),
    f(
        "CF_NR_WFFF",
        "没收违法所得、没收非法财物的金额（万元）",
        false,
        20,
    ),
    f("CF_NR_ZKDX", "暂扣或吊销证照名称及编号", false, 200),
    f("CF_JDRQ", "处罚决定日期", true, 10),
    f("CF_YXQ", "处罚有效期", false, 10),
    f("CF_GSJZQ", "公示截止期", false, 10),
    f("CF_CFJG", "处罚机关", true, 200),
    f("CF_CFJGDM", "处罚机关统一社会信用代码", true, 18),
    f("CF_SJLY", "数据来源单位", true, 200),
    f("CF_SJLYDM", "数据来源单位统一社会信用代码", true, 18),
    f("LC_AREA", "公示期领域（本平台）", false, 64),
    f("BZ", "备注", false, 512),
];

/// A checked licence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Licence {
    pub subject_uscc: String,
    pub doc_number: String,
    pub decided: Date,
    pub valid_from: Date,
    pub valid_until: Date,
    /// Every field by code, trimmed (the layout kept whole for export).
    pub fields: BTreeMap<String, String>,
}

/// A checked penalty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Penalty {
    pub subject_uscc: String,
    pub doc_number: String,
    pub decided: Date,
    pub fine: Option<Wan>,
    pub confiscated: Option<Wan>,
    pub areas: Vec<Area>,
    pub publicity: Publicity,
    /// Every field by code, trimmed, with `CF_GSJZQ` set to the computed end of publicity.
    pub fields: BTreeMap<String, String>,
}

fn get<'a>(m: &'a BTreeMap<String, String>, code: &str) -> Option<&'a str> {
    m.get(code).map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// Checks presence and length of every field of the layout, and refuses codes it does not have.
fn check_fields(
    c: &mut Check,
    layout: &[Field],
    m: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    for k in m.keys() {
        if !layout.iter().any(|f| f.code == k) {
            c.fail(
                k,
                "unknown_field",
                format!("{k} 不是此类记录的字段"),
                format!("{k} is not a field of this layout"),
            );
        }
    }
    let mut out = BTreeMap::new();
    for f in layout {
        match get(m, f.code) {
            None if f.required => c.fail(
                f.code,
                "required",
                format!("缺少必填字段 {}（{}）", f.code, f.zh),
                format!("{} ({}) is required", f.code, f.zh),
            ),
            None => {}
            Some(v) if v.chars().count() > f.max => c.fail(
                f.code,
                "too_long",
                format!("{}（{}）超过 {} 个字符", f.code, f.zh, f.max),
                format!("{} ({}) is longer than {} characters", f.code, f.zh, f.max),
            ),
            Some(v) => {
                out.insert(f.code.to_string(), v.to_string());
            }
        }
    }
    out
}

fn uscc(c: &mut Check, code: &str, m: &BTreeMap<String, String>) -> Option<String> {
    let v = get(m, code)?.to_ascii_uppercase();
    if let Ok(u) = lc_registry::Uscc::parse(&v) {
        Some(u.as_str().to_string())
    } else {
        c.fail(
            code,
            "invalid_uscc",
            format!(
                "{code} 不是有效的统一社会信用代码（GB 32100 校验位）：'{}'",
                lc_model::quote(&v)
            ),
            format!(
                "{code} is not a valid unified social credit code (GB 32100 check character): '{}'",
                lc_model::quote(&v)
            ),
        );
        None
    }
}

fn date(c: &mut Check, code: &str, m: &BTreeMap<String, String>) -> Option<Date> {
    let v = get(m, code)?;
    // Both 2026-03-15 and 2026/03/15 occur in exchanged files.
    let norm = v.replace('/', "-");
    match norm.parse::<Date>() {
        Ok(d) => Some(d),
        Err(_) => {
            c.fail(
                code,
                "invalid_date",
                format!("{code} 应为日期 YYYY-MM-DD，而非 '{}'", lc_model::quote(v)),
                format!(
                    "{code} must be a date YYYY-MM-DD, not '{}'",
                    lc_model::quote(v)
                ),
            );
            None
        }
    }
}

fn wan(c: &mut Check, code: &str, m: &BTreeMap<String, String>) -> Option<Wan> {
    let v = get(m, code)?;
    match Wan::parse(v) {
        Ok(w) => Some(w),
        Err(e) => {
            c.fail(
                code,
                e.code(),
                format!("{code}：{}", e.message_zh()),
                format!("{code}: {e}"),
            );
            None
        }
    }
}

/// The areas of a penalty: `LC_AREA` when given, else inferred from the violation, the basis
/// and the category (安全生产, 消防, 特种设备), else general.
fn areas(c: &mut Check, m: &BTreeMap<String, String>) -> Vec<Area> {
    if let Some(v) = get(m, "LC_AREA") {
        let mut out = Vec::new();
        for part in v
            .split([';', '；'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match serde_json::from_value::<Area>(serde_json::Value::String(part.into())) {
                Ok(a) => out.push(a),
                Err(_) => c.fail(
                    "LC_AREA",
                    "invalid_area",
                    format!(
                        "LC_AREA 应为 general、work_safety、fire 或 special_equipment，而非 '{}'",
                        lc_model::quote(part)
                    ),
                    format!(
                        "LC_AREA must be general, work_safety, fire or special_equipment, not '{}'",
                        lc_model::quote(part)
                    ),
                ),
            }
        }
        return out;
    }
    let text: String = ["CF_WFXW", "CF_YJ", "CF_CFLB", "CF_SY"]
        .iter()
        .filter_map(|k| get(m, k))
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = vec![Area::General];
    for (word, a) in [
        ("安全生产", Area::WorkSafety),
        ("消防", Area::Fire),
        ("特种设备", Area::SpecialEquipment),
    ] {
        if text.contains(word) {
            out.push(a);
        }
    }
    out
}

impl Licence {
    /// Reads a licence from its fields by code.
    pub fn from_fields(m: &BTreeMap<String, String>) -> Result<Licence, Vec<FieldError>> {
        let mut c = Check::new();
        let fields = check_fields(&mut c, LICENCE_FIELDS, m);
        let subject = uscc(&mut c, "XK_XDR_SHXYM", m);
        uscc(&mut c, "XK_XKJGDM", m);
        uscc(&mut c, "XK_LYDWDM", m);
        let decided = date(&mut c, "XK_JDRQ", m);
        let from = date(&mut c, "XK_YXQZ", m);
        let until = date(&mut c, "XK_YXQZI", m);
        if let (Some(a), Some(b)) = (from, until) {
            if b < a {
                c.fail(
                    "XK_YXQZI",
                    "before_start",
                    "有效期至早于有效期自".into(),
                    "XK_YXQZI is before XK_YXQZ".into(),
                );
            }
        }
        c.finish()?;
        match (subject, decided, from, until) {
            (Some(subject_uscc), Some(decided), Some(valid_from), Some(valid_until)) => {
                Ok(Licence {
                    subject_uscc,
                    doc_number: fields.get("XK_WSH").cloned().unwrap_or_default(),
                    decided,
                    valid_from,
                    valid_until,
                    fields,
                })
            }
            _ => Err(vec![]),
        }
    }
}

impl Penalty {
    /// Reads a penalty from its fields by code and works out its publicity with `rules`.
    pub fn from_fields(
        m: &BTreeMap<String, String>,
        rules: &publicity::Rules,
    ) -> Result<Penalty, Vec<FieldError>> {
        let mut c = Check::new();
        let mut fields = check_fields(&mut c, PENALTY_FIELDS, m);
        let subject = uscc(&mut c, "CF_XDR_SHXYM", m);
        uscc(&mut c, "CF_CFJGDM", m);
        uscc(&mut c, "CF_SJLYDM", m);
        let decided = date(&mut c, "CF_JDRQ", m);
        date(&mut c, "CF_YXQ", m);
        date(&mut c, "CF_GSJZQ", m);
        let fine = wan(&mut c, "CF_NR_FK", m);
        let confiscated = wan(&mut c, "CF_NR_WFFF", m);
        let areas = areas(&mut c, m);
        c.finish()?;
        let (Some(subject_uscc), Some(decided)) = (subject, decided) else {
            return Err(vec![]);
        };
        let publicity = Publicity::of(decided, &areas, rules).map_err(|e| {
            let mut c = Check::new();
            c.fail(
                "CF_JDRQ",
                "out_of_range",
                format!("无法计算公示期：{e}"),
                format!("the publicity period cannot be worked out: {e}"),
            );
            c.errors
        })?;
        fields.insert("CF_GSJZQ".into(), publicity.until.to_string());
        // Amounts written back in one form (万元 without trailing zeros).
        if let Some(w) = fine {
            fields.insert("CF_NR_FK".into(), w.to_string());
        }
        if let Some(w) = confiscated {
            fields.insert("CF_NR_WFFF".into(), w.to_string());
        }
        Ok(Penalty {
            subject_uscc,
            doc_number: fields.get("CF_WSH").cloned().unwrap_or_default(),
            decided,
            fine,
            confiscated,
            areas,
            publicity,
            fields,
        })
    }
}

/// The fields of a penalty that are public (双公示): the subject's name and code, the decision
/// and its content, amounts, dates and authorities — not the legal representative.
pub const PENALTY_PUBLIC: &[&str] = &[
    "CF_XDR_MC",
    "CF_XDR_SHXYM",
    "CF_WSH",
    "CF_WFXW",
    "CF_SY",
    "CF_YJ",
    "CF_CFLB",
    "CF_NR",
    "CF_NR_FK",
    "CF_NR_WFFF",
    "CF_NR_ZKDX",
    "CF_JDRQ",
    "CF_YXQ",
    "CF_GSJZQ",
    "CF_CFJG",
    "CF_CFJGDM",
    "CF_SJLY",
    "CF_SJLYDM",
];

/// The public fields of a licence.
pub const LICENCE_PUBLIC: &[&str] = &[
    "XK_XDR_MC",
    "XK_XDR_SHXYM",
    "XK_XKWS",
    "XK_WSH",
    "XK_XKLB",
    "XK_XKZS",
    "XK_XKBH",
    "XK_NR",
    "XK_JDRQ",
    "XK_YXQZ",
    "XK_YXQZI",
    "XK_XKJG",
    "XK_XKJGDM",
    "XK_ZT",
    "XK_LYDW",
    "XK_LYDWDM",
];

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date as d;

    fn penalty() -> BTreeMap<String, String> {
        [
            ("CF_XDR_MC", "甲餐饮公司"),
            ("CF_XDR_SHXYM", "91310110666007217T"),
            ("CF_FRDB", "张三"),
            ("CF_WSH", "武市监罚〔2026〕15号"),
            ("CF_WFXW", "经营超过保质期的食品"),
            ("CF_SY", "2026年2月检查发现助餐点存放过期食品"),
            ("CF_YJ", "《中华人民共和国食品安全法》第一百二十四条"),
            ("CF_CFLB", "警告;罚款"),
            ("CF_NR", "警告，罚款1.5万元"),
            ("CF_NR_FK", "1.50"),
            ("CF_JDRQ", "2026-03-15"),
            ("CF_CFJG", "成都市武侯区市场监督管理局"),
            ("CF_CFJGDM", "11510107MB1535302N"),
            ("CF_SJLY", "成都市武侯区市场监督管理局"),
            ("CF_SJLYDM", "11510107MB1535302N"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn a_penalty_is_read_in_wan_with_its_publicity_worked_out() {
        let p = Penalty::from_fields(&penalty(), publicity::builtin()).unwrap();
        // 1.50 万元 = 15,000 yuan = 1,500,000 fen.
        assert_eq!(p.fine, Some(Wan(1_500_000)));
        assert_eq!(p.fields["CF_NR_FK"], "1.5");
        // Decided 2026-03-15, general: public to 2029-03-15, repairable from 2026-06-15.
        assert_eq!(p.fields["CF_GSJZQ"], "2029-03-15");
        assert_eq!(p.publicity.repair_from, d(2026, 6, 15));
        assert_eq!(p.areas, vec![Area::General]);
    }

    #[test]
    fn fire_safety_penalties_are_inferred_or_named() {
        let mut m = penalty();
        m.insert("CF_WFXW".into(), "消防设施未保持完好有效".into());
        let p = Penalty::from_fields(&m, publicity::builtin()).unwrap();
        assert_eq!(p.areas, vec![Area::General, Area::Fire]);
        assert_eq!(p.publicity.repair_from, d(2027, 3, 15));
        m.insert("LC_AREA".into(), "special_equipment".into());
        let p = Penalty::from_fields(&m, publicity::builtin()).unwrap();
        assert_eq!(p.areas, vec![Area::SpecialEquipment]);
        m.insert("LC_AREA".into(), "food".into());
        let e = Penalty::from_fields(&m, publicity::builtin()).unwrap_err();
        assert_eq!(e[0].code, "invalid_area");
    }

    #[test]
    fn bad_records_name_their_fields() {
        let mut m = penalty();
        m.insert("CF_NR_FK".into(), "15000元".into());
        m.insert("CF_XDR_SHXYM".into(), "91310110666007217X".into());
        m.remove("CF_WSH");
        m.insert("CF_EXTRA".into(), "x".into());
        let e = Penalty::from_fields(&m, publicity::builtin()).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(
            fields,
            ["CF_EXTRA", "CF_WSH", "CF_XDR_SHXYM", "CF_NR_FK"],
            "{e:?}"
        );
    }

    #[test]
    fn a_licence_is_read() {
        let m: BTreeMap<String, String> = [
            ("XK_XDR_MC", "甲餐饮公司"),
            ("XK_XDR_SHXYM", "91310110666007217T"),
            ("XK_XKWS", "食品经营许可决定书"),
            ("XK_WSH", "JY15101070012345"),
            ("XK_XKLB", "普通"),
            ("XK_NR", "热食类食品制售"),
            ("XK_JDRQ", "2025/01/10"),
            ("XK_YXQZ", "2025/01/10"),
            ("XK_YXQZI", "2030/01/09"),
            ("XK_XKJG", "成都市武侯区市场监督管理局"),
            ("XK_XKJGDM", "11510107MB1535302N"),
            ("XK_ZT", "有效"),
            ("XK_LYDW", "成都市武侯区市场监督管理局"),
            ("XK_LYDWDM", "11510107MB1535302N"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let l = Licence::from_fields(&m).unwrap();
        assert_eq!(
            (l.valid_from, l.valid_until),
            (d(2025, 1, 10), d(2030, 1, 9))
        );
    }
}
