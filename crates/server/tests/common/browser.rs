//! A browser without JavaScript for the portal's tests: keeps cookies, follows no redirect by
//! itself, shows each answer as it comes; and the readers of what a page shows.

use std::collections::BTreeMap;

use reqwest::StatusCode;

use super::TestServer;

/// A browser without JavaScript: keeps cookies, shows each answer as it comes.
pub struct Browser<'a> {
    s: &'a TestServer,
    http: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: String,
    pub html: String,
}

impl<'a> Browser<'a> {
    pub fn new(s: &'a TestServer) -> Browser<'a> {
        Browser {
            s,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, rb: reqwest::RequestBuilder) -> Page {
        let resp = rb
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        for c in resp.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (kv, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        Page {
            status: resp.status(),
            location: resp
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default(),
            html: resp.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let rb = self.http.get(format!("{}{path}", self.s.base));
        self.send(rb).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(form).unwrap();
        let rb = self
            .http
            .post(format!("{}{path}", self.s.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(rb).await
    }

    /// Follows a 303 to the page it names.
    pub async fn follow(&mut self, p: Page) -> Page {
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
        let to = p.location.clone();
        self.get(&to).await
    }

    /// Posts a form with this session's CSRF token first.
    pub async fn post_csrf(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let csrf = self.csrf();
        let mut f = vec![("_csrf", csrf.as_str())];
        f.extend_from_slice(form);
        self.post(path, &f).await
    }

    /// Posts a form with this session's CSRF token and follows its redirect
    /// (post/redirect/get): the page it leads to and its one-time message.
    pub async fn send_form(&mut self, path: &str, form: &[(&str, &str)]) -> (Page, String) {
        let p = self.post_csrf(path, form).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{path}: {}", p.html);
        let to = p.location.clone();
        let p = self.get(&to).await;
        let f = flash(&p.html);
        (p, f)
    }

    /// Posts a form with this session's CSRF token, expects the redirect to `back` and shows
    /// the page it leads to.
    pub async fn submit(&mut self, path: &str, back: &str, form: &[(&str, &str)]) -> Page {
        let csrf = self.csrf();
        let mut f = vec![("_csrf", csrf.as_str())];
        f.extend_from_slice(form);
        let p = self.post(path, &f).await;
        assert_eq!(
            (p.status, p.location.as_str()),
            (StatusCode::SEE_OTHER, back),
            "{}",
            p.html
        );
        self.get(back).await
    }

    pub fn csrf(&self) -> String {
        self.cookies.get("lc_csrf").cloned().unwrap_or_default()
    }

    pub async fn login(&mut self, user: &str, password: &str) {
        let p = self
            .post(
                "/login",
                &[("username", user), ("password", password), ("next", "/")],
            )
            .await;
        assert_eq!(
            (p.status, p.location.as_str()),
            (StatusCode::SEE_OTHER, "/"),
            "{}",
            p.html
        );
        assert!(self.cookies.contains_key("lc_session") && !self.csrf().is_empty());
    }
}

/// The value of the first `name="…" value="…"` input after `after` in a page.
pub fn input_value(html: &str, after: &str, name: &str) -> String {
    let from = html
        .find(after)
        .unwrap_or_else(|| panic!("{after} in {html}"));
    let rest = &html[from..];
    let at = rest
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("{name} after {after}"));
    let v = &rest[at + name.len() + 15..];
    v[..v.find('"').unwrap()].to_string()
}

/// The one-time message shown on a page.
pub fn flash(html: &str) -> String {
    let Some(at) = html.find("data-testid=\"flash\">") else {
        return String::new();
    };
    let v = &html[at + 20..];
    v[..v.find('<').unwrap()].to_string()
}
