//! 信用承诺 (credit commitments) in the full collection template (`PLATFORM.md` §2b): the code
//! (6-digit division code of the accepting place + 8-digit date + 6-digit serial), who commits
//! and in what capacity, the type, cause, content, liability for breach, dates, the fulfilment
//! status (content not fulfilled and the liability pursued are required unless fully fulfilled),
//! the accepting unit and the publication type.

use jiff::civil::Date;
use lc_registry::{Check, FieldError};
use serde::{Deserialize, Serialize};

/// A commitment code: `DDDDDD` + `YYYYMMDD` + `NNNNNN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommitmentCode {
    /// The accepting place's 6-digit division code (county level), as a number.
    pub division: u32,
    /// The day the commitment was made.
    pub date: Date,
    /// The accepting unit's serial of that day, 1 to 999,999.
    pub serial: u32,
}

/// Why a code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("commitment code '{code}': {reason}")]
pub struct CodeError {
    pub code: String,
    pub reason: &'static str,
    pub reason_zh: &'static str,
}

impl CommitmentCode {
    /// Parses a 20-character code, checking the division's form, the date and the serial.
    pub fn parse(text: &str) -> Result<CommitmentCode, CodeError> {
        let t = text.trim();
        let fail = |reason, reason_zh| CodeError {
            code: lc_model::quote(t),
            reason,
            reason_zh,
        };
        if t.len() != 20 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail(
                "must be 20 digits: 6 of the division, 8 of the date, 6 of the serial",
                "应为 20 位数字：6 位区划代码、8 位日期、6 位流水号",
            ));
        }
        if lc_model::division::county(&t[0..6]).is_none() {
            return Err(fail(
                "the first 6 digits are not a county-level division code (its first two a province of GB/T 2260, 11 to 82)",
                "前 6 位不是县级行政区划代码（前两位须为省级代码 11 至 82）",
            ));
        }
        let division: u32 = t[0..6]
            .parse()
            .map_err(|_| fail("bad division", "区划代码有误"))?;
        let (y, m, d) = (&t[6..10], &t[10..12], &t[12..14]);
        let date = match (y.parse::<i16>(), m.parse::<i8>(), d.parse::<i8>()) {
            (Ok(y), Ok(m), Ok(d)) => Date::new(y, m, d).ok(),
            _ => None,
        }
        .filter(|d| d.year() >= 1990)
        .ok_or_else(|| {
            fail(
                "digits 7 to 14 are not a date YYYYMMDD",
                "第 7 至 14 位不是有效日期",
            )
        })?;
        let serial: u32 = t[14..20]
            .parse()
            .map_err(|_| fail("bad serial", "流水号有误"))?;
        if serial == 0 {
            return Err(fail("the serial starts at 000001", "流水号从 000001 起"));
        }
        Ok(CommitmentCode {
            division,
            date,
            serial,
        })
    }

    /// The code as written.
    pub fn format(&self) -> String {
        format!(
            "{:06}{}{:06}",
            self.division,
            self.date.strftime("%Y%m%d"),
            self.serial
        )
    }
}

/// 承诺人类别.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitterKind {
    /// 法人及非法人组织.
    Organisation,
    /// 自然人.
    Person,
    /// 个体工商户.
    IndividualBusiness,
}

/// 承诺类型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitmentType {
    /// 审批替代型.
    ApprovalSubstitute,
    /// 容缺受理型.
    ToleratedGaps,
    /// 证明事项型.
    CertificationMatter,
    /// 信用修复型: required for a credit repair; breaking it republishes the penalty for its
    /// maximum period.
    CreditRepair,
    /// 行业自律型.
    IndustrySelfDiscipline,
    /// 主动型.
    Voluntary,
    /// 其他.
    Other,
}

/// 承诺履行状态.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fulfilment {
    /// 全部履行.
    Full,
    /// 部分履行.
    Partial,
    /// 全部未履行.
    None,
}

/// 公开类型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Publication {
    /// 可向社会公开.
    Public,
    /// 特定范围内公开.
    Restricted,
    /// 不可公开.
    NotPublic,
}

impl CommitterKind {
    pub fn zh(self) -> &'static str {
        match self {
            CommitterKind::Organisation => "法人及非法人组织",
            CommitterKind::Person => "自然人",
            CommitterKind::IndividualBusiness => "个体工商户",
        }
    }
}

impl CommitmentType {
    pub fn zh(self) -> &'static str {
        match self {
            CommitmentType::ApprovalSubstitute => "审批替代型",
            CommitmentType::ToleratedGaps => "容缺受理型",
            CommitmentType::CertificationMatter => "证明事项型",
            CommitmentType::CreditRepair => "信用修复型",
            CommitmentType::IndustrySelfDiscipline => "行业自律型",
            CommitmentType::Voluntary => "主动型",
            CommitmentType::Other => "其他",
        }
    }
}

impl Fulfilment {
    pub fn zh(self) -> &'static str {
        match self {
            Fulfilment::Full => "全部履行",
            Fulfilment::Partial => "部分履行",
            Fulfilment::None => "全部未履行",
        }
    }
}

impl Publication {
    pub fn zh(self) -> &'static str {
        match self {
            Publication::Public => "可向社会公开",
            Publication::Restricted => "特定范围内公开",
            Publication::NotPublic => "不可公开",
        }
    }
}

/// A commitment as collected (the template's fields; dates `YYYY-MM-DD`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitmentInput {
    /// 承诺编码 (20).
    pub code: Option<String>,
    /// 承诺人名称 (200).
    pub committer_name: Option<String>,
    /// 承诺人类别.
    pub committer_kind: Option<CommitterKind>,
    /// 承诺人代码 (18): the unified social credit code, or a person's ID number.
    pub committer_code: Option<String>,
    /// 承诺类型.
    pub kind: Option<CommitmentType>,
    /// 承诺事由 (512).
    pub cause: Option<String>,
    /// 承诺内容 (4000).
    pub content: Option<String>,
    /// 违诺责任 (4000).
    pub liability: Option<String>,
    /// 承诺作出日期.
    pub made_on: Option<String>,
    /// 承诺有效期 (optional): the last day it binds.
    pub valid_until: Option<String>,
    /// 承诺履行状态 (once assessed).
    pub fulfilment: Option<Fulfilment>,
    /// 未履行的承诺内容 (4000): required unless fully fulfilled.
    pub unfulfilled: Option<String>,
    /// 违诺责任追究内容 (4000): required unless fully fulfilled.
    pub liability_pursued: Option<String>,
    /// 履行状态认定日期.
    pub assessed_on: Option<String>,
    /// 认定单位 and its code.
    pub assessed_by: Option<String>,
    pub assessed_by_code: Option<String>,
    /// 承诺受理单位 and its code (required).
    pub accepted_by: Option<String>,
    pub accepted_by_code: Option<String>,
    /// 公开类型.
    pub publication: Option<Publication>,
}

/// A checked commitment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commitment {
    pub code: String,
    pub committer_name: String,
    pub committer_kind: CommitterKind,
    pub committer_code: String,
    pub kind: CommitmentType,
    pub cause: Option<String>,
    pub content: String,
    pub liability: String,
    pub made_on: Date,
    pub valid_until: Option<Date>,
    pub fulfilment: Option<Fulfilment>,
    pub unfulfilled: Option<String>,
    pub liability_pursued: Option<String>,
    pub assessed_on: Option<Date>,
    pub assessed_by: Option<String>,
    pub assessed_by_code: Option<String>,
    pub accepted_by: String,
    pub accepted_by_code: String,
    pub publication: Publication,
}

fn date_field(c: &mut Check, field: &str, v: &Option<String>) -> Option<Date> {
    let s = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    match s.parse::<Date>() {
        Ok(d) => Some(d),
        Err(_) => {
            c.fail(
                field,
                "invalid_date",
                format!(
                    "{field} 应为 YYYY-MM-DD 日期，而非 '{}'",
                    lc_model::quote(s)
                ),
                format!(
                    "{field} must be a date YYYY-MM-DD, not '{}'",
                    lc_model::quote(s)
                ),
            );
            None
        }
    }
}

impl CommitmentInput {
    /// Checks the template: required fields and lengths, the code's form and that its date is
    /// the day the commitment was made, the dates' order, and the fulfilment rule.
    pub fn check(&self) -> Result<Commitment, Vec<FieldError>> {
        let mut c = Check::new();
        let code = c.text("code", &self.code, 20);
        if let Some(k) = &code {
            match CommitmentCode::parse(k) {
                Ok(parsed) => {
                    if let Some(made) = date_field(&mut Check::new(), "made_on", &self.made_on) {
                        if parsed.date != made {
                            c.fail(
                                "code",
                                "code_date_mismatch",
                                format!(
                                    "承诺编码中的日期 {} 与承诺作出日期 {made} 不一致",
                                    parsed.date
                                ),
                                format!(
                                    "the code's date {} differs from made_on {made}",
                                    parsed.date
                                ),
                            );
                        }
                    }
                }
                Err(e) => c.fail(
                    "code",
                    "invalid_commitment_code",
                    format!("承诺编码 {}：{}", e.code, e.reason_zh),
                    e.to_string(),
                ),
            }
        }
        let committer_name = c.text("committer_name", &self.committer_name, 200);
        let committer_code = c.text("committer_code", &self.committer_code, 18);
        let cause = c.opt_text("cause", &self.cause, 512);
        let content = c.text("content", &self.content, 4000);
        let liability = c.text("liability", &self.liability, 4000);
        let made_on = date_field(&mut c, "made_on", &self.made_on);
        if self.made_on.as_deref().is_none_or(|s| s.trim().is_empty()) {
            c.required("made_on");
        }
        let valid_until = date_field(&mut c, "valid_until", &self.valid_until);
        if let (Some(m), Some(v)) = (made_on, valid_until) {
            if v < m {
                c.fail(
                    "valid_until",
                    "before_made",
                    "承诺有效期不能早于作出日期".into(),
                    "valid_until cannot be before made_on".into(),
                );
            }
        }
        let unfulfilled = c.opt_text("unfulfilled", &self.unfulfilled, 4000);
        let liability_pursued = c.opt_text("liability_pursued", &self.liability_pursued, 4000);
        if matches!(
            self.fulfilment,
            Some(Fulfilment::Partial | Fulfilment::None)
        ) {
            for (field, v) in [
                ("unfulfilled", &unfulfilled),
                ("liability_pursued", &liability_pursued),
            ] {
                if v.is_none() {
                    c.fail(
                        field,
                        "required_unless_fulfilled",
                        format!("承诺未全部履行时须填写 {field}"),
                        format!("{field} is required unless the commitment is fully fulfilled"),
                    );
                }
            }
        }
        let assessed_on = date_field(&mut c, "assessed_on", &self.assessed_on);
        let assessed_by = c.opt_text("assessed_by", &self.assessed_by, 200);
        let assessed_by_code = c.opt_text("assessed_by_code", &self.assessed_by_code, 18);
        if self.fulfilment.is_some() && (assessed_on.is_none() || assessed_by.is_none()) {
            c.fail(
                "assessed_on",
                "assessment_incomplete",
                "认定履行状态须填写认定日期和认定单位".into(),
                "a fulfilment status needs the day it was assessed and the assessing unit".into(),
            );
        }
        let accepted_by = c.text("accepted_by", &self.accepted_by, 200);
        let accepted_by_code = c.text("accepted_by_code", &self.accepted_by_code, 18);
        let mut need = |field: &str, present: bool| {
            if !present {
                c.required(field);
            }
        };
        need("committer_kind", self.committer_kind.is_some());
        need("kind", self.kind.is_some());
        need("publication", self.publication.is_some());
        c.finish()?;
        match (
            code,
            committer_name,
            self.committer_kind,
            committer_code,
            self.kind,
            content,
            liability,
            made_on,
            accepted_by,
            accepted_by_code,
            self.publication,
        ) {
            (
                Some(code),
                Some(committer_name),
                Some(committer_kind),
                Some(committer_code),
                Some(kind),
                Some(content),
                Some(liability),
                Some(made_on),
                Some(accepted_by),
                Some(accepted_by_code),
                Some(publication),
            ) => Ok(Commitment {
                code,
                committer_name,
                committer_kind,
                committer_code,
                kind,
                cause,
                content,
                liability,
                made_on,
                valid_until,
                fulfilment: self.fulfilment,
                unfulfilled,
                liability_pursued,
                assessed_on,
                assessed_by,
                assessed_by_code,
                accepted_by,
                accepted_by_code,
                publication,
            }),
            _ => {
                let mut c = Check::new();
                c.required("commitment");
                Err(c.errors)
            }
        }
    }
}

impl Commitment {
    /// Broken: assessed as not (fully) fulfilled.
    pub fn is_broken(&self) -> bool {
        matches!(
            self.fulfilment,
            Some(Fulfilment::Partial | Fulfilment::None)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn codes_are_division_date_and_serial() {
        // 成都市武侯区 510107, accepted 2026-03-02, the 15th of the day.
        let c = CommitmentCode::parse("51010720260302000015").unwrap();
        assert_eq!(
            (c.division, c.date, c.serial),
            (510107, date(2026, 3, 2), 15)
        );
        assert_eq!(c.format(), "51010720260302000015");
        for bad in [
            "5101072026030200001",   // 19 digits
            "510107202603020000151", // 21
            "51010720260230000015",  // 30 February
            "51010720261301000015",  // month 13
            "00010720260302000015",  // no division
            "99010720260302000015",  // no province 99 (accepted before the one rule)
            "16010720260302000015",  // nor 16
            "51010720260302000000",  // serial 0
            "5101072026030200001X",
        ] {
            assert!(CommitmentCode::parse(bad).is_err(), "{bad}");
        }
    }

    fn sample() -> CommitmentInput {
        CommitmentInput {
            code: Some("51010720260302000015".into()),
            committer_name: Some("甲餐饮公司".into()),
            committer_kind: Some(CommitterKind::Organisation),
            committer_code: Some("91310110666007217T".into()),
            kind: Some(CommitmentType::IndustrySelfDiscipline),
            cause: Some("纳入普惠性养老服务清单".into()),
            content: Some("按公示价格提供助餐服务，不降低质量".into()),
            liability: Some("违诺的，退出清单并记入信用记录".into()),
            made_on: Some("2026-03-02".into()),
            valid_until: Some("2027-03-01".into()),
            accepted_by: Some("武侯区民政局".into()),
            accepted_by_code: Some("11510107MB1234567X".into()),
            publication: Some(Publication::Public),
            ..Default::default()
        }
    }

    #[test]
    fn the_template_is_checked() {
        let ok = sample().check().unwrap();
        assert!(!ok.is_broken());
        let mut wrong_day = sample();
        wrong_day.made_on = Some("2026-03-03".into());
        let e = wrong_day.check().unwrap_err();
        assert_eq!(e[0].code, "code_date_mismatch");
        let mut broken = sample();
        broken.fulfilment = Some(Fulfilment::Partial);
        broken.assessed_on = Some("2026-09-01".into());
        broken.assessed_by = Some("武侯区民政局".into());
        let codes: Vec<String> = broken
            .check()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(codes, ["unfulfilled", "liability_pursued"]);
        broken.unfulfilled = Some("周末未供餐".into());
        broken.liability_pursued = Some("约谈并限期整改".into());
        assert!(broken.check().unwrap().is_broken());
        let mut missing = sample();
        missing.kind = None;
        missing.content = None;
        let fields: Vec<String> = missing
            .check()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["content", "kind"]);
    }
}
