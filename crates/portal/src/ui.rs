//! What every page shows around its content: the language (Chinese first, English on request),
//! elder mode, the signed-in account, the CSRF token for forms, the one-time message; and the
//! small formatting helpers templates use (money in fen, walking minutes, times).

use serde_json::Value;

/// The page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 中文 (default).
    Zh,
    /// English.
    En,
}

/// The signed-in account, as `/api/auth/me` answers it.
#[derive(Debug, Clone)]
pub struct Me {
    pub id: i64,
    pub username: String,
    /// Role key (`resident`, `provider_staff`, `community_worker`, `regulator`, `admin`).
    pub role: String,
    pub display_name: String,
    pub provider_code: Option<String>,
    pub community_id: Option<String>,
    /// A resident's own registry record and its community.
    pub resident_id: Option<i64>,
    pub resident_community: Option<String>,
}

impl Me {
    /// From the API's user record.
    pub fn from_json(v: &Value) -> Option<Me> {
        let s = |k: &str| v[k].as_str().map(str::to_string);
        Some(Me {
            id: v["id"].as_i64()?,
            username: s("username")?,
            role: s("role")?,
            display_name: s("display_name").unwrap_or_default(),
            provider_code: s("provider_code"),
            community_id: s("community_id"),
            resident_id: v["resident"]["id"].as_i64(),
            resident_community: v["resident"]["community_id"].as_str().map(str::to_string),
        })
    }
}

/// A one-time message shown on the next page.
#[derive(Debug, Clone, PartialEq)]
pub struct Flash {
    /// `ok` or `error`.
    pub kind: String,
    pub zh: String,
    pub en: String,
}

impl Flash {
    /// A confirmation.
    pub fn ok(zh: impl Into<String>, en: impl Into<String>) -> Flash {
        Flash {
            kind: "ok".into(),
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// A refusal or failure.
    pub fn error(zh: impl Into<String>, en: impl Into<String>) -> Flash {
        Flash {
            kind: "error".into(),
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// As a cookie value (URL-encoded; no `;`, `,` or spaces).
    pub fn encode(&self) -> String {
        let text: String = serde_urlencoded::to_string([
            ("k", self.kind.as_str()),
            ("zh", &cut(&self.zh, 600)),
            ("en", &cut(&self.en, 600)),
        ])
        .unwrap_or_default();
        // The urlencoded form uses '+' for spaces and escapes ';' and ','; the whole is kept as
        // one cookie value by escaping what a cookie value may not hold.
        text.replace('"', "%22")
    }

    /// From a cookie value; `None` if it is not one of ours.
    pub fn decode(s: &str) -> Option<Flash> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(s).ok()?;
        let get = |k: &str| pairs.iter().find(|(a, _)| a == k).map(|(_, b)| b.clone());
        let kind = get("k").filter(|k| k == "ok" || k == "error")?;
        Some(Flash {
            kind,
            zh: get("zh").unwrap_or_default(),
            en: get("en").unwrap_or_default(),
        })
    }
}

fn cut(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// What the layout needs.
#[derive(Debug, Clone)]
pub struct Ui {
    pub lang: Lang,
    /// 长辈版.
    pub elder: bool,
    pub user: Option<Me>,
    /// This session's CSRF token (empty when signed out).
    pub csrf: String,
    /// This page's path and query (for "come back here" links).
    pub path: String,
    pub flash: Option<Flash>,
}

impl Ui {
    /// The text in the page language.
    pub fn tr<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// Owned variant of [`Ui::tr`] for computed texts.
    pub fn tr_s(&self, zh: &str, en: &str) -> String {
        self.tr(zh, en).to_string()
    }

    /// `zh` or `en` (the `lang` attribute).
    pub fn lang_code(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Whether English is shown.
    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }

    /// The link that switches the language and comes back here.
    pub fn lang_toggle(&self) -> String {
        format!(
            "/prefs?lang={}&back={}",
            if self.is_en() { "zh" } else { "en" },
            encode(&self.path)
        )
    }

    /// The link that switches elder mode and comes back here.
    pub fn elder_toggle(&self) -> String {
        format!(
            "/prefs?elder={}&back={}",
            if self.elder { "0" } else { "1" },
            encode(&self.path)
        )
    }

    /// The signed-in account's role key, empty when signed out.
    pub fn role(&self) -> &str {
        self.user.as_ref().map(|u| u.role.as_str()).unwrap_or("")
    }

    /// The signed-in account's name to show.
    pub fn who(&self) -> String {
        match &self.user {
            Some(u) if !u.display_name.is_empty() => u.display_name.clone(),
            Some(u) => u.username.clone(),
            None => String::new(),
        }
    }

    /// A role's name in the page language.
    pub fn role_name(&self, key: &str) -> String {
        let (zh, en) = match key {
            "resident" => ("居民", "Resident"),
            "provider_staff" => ("服务机构", "Service provider"),
            "community_worker" => ("社区工作者", "Community worker"),
            "regulator" => ("监管部门", "Regulator"),
            "admin" => ("系统管理员", "Administrator"),
            _ => (key, key),
        };
        self.tr_s(zh, en)
    }

    /// The one-time message in the page language.
    pub fn flash_text(&self) -> String {
        self.flash
            .as_ref()
            .map(|f| self.tr_s(&f.zh, &f.en))
            .unwrap_or_default()
    }

    /// Whether the one-time message is a refusal.
    pub fn flash_is_error(&self) -> bool {
        self.flash.as_ref().is_some_and(|f| f.kind == "error")
    }
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .map(|x| x[2..].to_string())
        .unwrap_or_default()
}

/// Fen as yuan with two decimals (`¥12.50`).
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let f = fen.unsigned_abs();
    format!("{sign}¥{}.{:02}", f / 100, f % 100)
}

/// `2026-12-05T11:30:00+08:00` → `12月5日 11:30` / `5 Dec 11:30`.
pub fn when(ui: &Ui, rfc3339: &str) -> String {
    let Ok(ts) = rfc3339.parse::<jiff::Timestamp>() else {
        return rfc3339.to_string();
    };
    let z = ts.to_zoned(lc_services::time::zone());
    const WEEK_ZH: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
    const WEEK_EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MON_EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let wd = z.weekday().to_monday_zero_offset() as usize;
    match ui.lang {
        Lang::Zh => format!(
            "{}月{}日 {} {:02}:{:02}",
            z.month(),
            z.day(),
            WEEK_ZH[wd],
            z.hour(),
            z.minute()
        ),
        Lang::En => format!(
            "{} {} {} {:02}:{:02}",
            WEEK_EN[wd],
            z.day(),
            MON_EN[(z.month() - 1) as usize],
            z.hour(),
            z.minute()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flashes_survive_the_cookie_round_trip() {
        let f = Flash::error(
            "该时段已约满；请选择其他时段",
            "the slot is full; choose another, \"please\"",
        );
        let enc = f.encode();
        assert!(
            !enc.contains(';') && !enc.contains(',') && !enc.contains(' ') && !enc.contains('"'),
            "{enc}"
        );
        assert_eq!(Flash::decode(&enc), Some(f));
        assert_eq!(Flash::decode("k=other&zh=x"), None);
        assert_eq!(Flash::decode("%%%"), None);
    }

    #[test]
    fn money_and_times_read_as_people_write_them() {
        assert_eq!(yuan(1250), "¥12.50");
        assert_eq!(yuan(5), "¥0.05");
        assert_eq!(yuan(-300), "-¥3.00");
        let ui = Ui {
            lang: Lang::Zh,
            elder: false,
            user: None,
            csrf: String::new(),
            path: "/".into(),
            flash: None,
        };
        assert_eq!(when(&ui, "2026-12-05T11:30:00+08:00"), "12月5日 周六 11:30");
        let en = Ui {
            lang: Lang::En,
            ..ui.clone()
        };
        assert_eq!(when(&en, "2026-12-05T03:30:00Z"), "Sat 5 Dec 11:30");
        assert_eq!(when(&en, "not a time"), "not a time");
        assert_eq!(
            encode("/nearby?service=meal&x=1"),
            "%2Fnearby%3Fservice%3Dmeal%26x%3D1"
        );
    }
}
