//! Signing in to the console over real HTTP, keeping the session cookie and the CSRF token by
//! hand (so tests can look at them), and posting forms as a browser does.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

pub const PASSWORD: &str = "a long enough password";

/// A browser's view of one console session.
pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
    /// `hearken_session=...` as the browser would send it.
    pub cookie: String,
    pub csrf: String,
}

/// A client that does not follow redirects: tests look at each 303.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The value of cookie `name` in a response's Set-Cookie headers.
pub fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(String::from)
}

fn value_of(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_string()
}

/// The hidden `csrf` field of the first form in a page.
pub fn csrf_field(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap_or_default().to_string()
}

/// Creates a person with `role` through the API (skills as JSON), not yet signed in.
pub async fn person(app: &TestApp, login: &str, role: &str, skills: serde_json::Value) -> i64 {
    let (status, body) = app
        .send_json(
            Method::POST,
            "/v1/agents",
            json!({"login": login, "name": format!("{login} Example"), "role": role,
                   "skills": skills, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["agent"]["id"].as_i64().expect("id")
}

/// The login form's response and the login CSRF cookie it set.
pub async fn login_form(app: &TestApp) -> (String, String) {
    let r = client()
        .get(format!("{}/console/login", app.addr))
        .send()
        .await
        .expect("login page");
    assert_eq!(r.status(), 200);
    let cookie = value_of(&set_cookie(&r, "hearken_login").expect("login csrf cookie"));
    let html = r.text().await.expect("html");
    (cookie, csrf_field(&html))
}

/// Posts the login form with extra cookies (e.g. a planted session); returns the response.
pub async fn post_login(
    app: &TestApp,
    login: &str,
    password: &str,
    extra_cookie: Option<&str>,
) -> reqwest::Response {
    let (cookie, csrf) = login_form(app).await;
    let cookies = match extra_cookie {
        Some(c) => format!("{cookie}; {c}"),
        None => cookie,
    };
    client()
        .post(format!("{}/console/login", app.addr))
        .header("cookie", cookies)
        .form(&[
            ("login", login),
            ("password", password),
            ("csrf", &csrf),
            ("next", "/console"),
        ])
        .send()
        .await
        .expect("login")
}

/// Signs in and reads the CSRF token from the queue page.
pub async fn sign_in(app: &TestApp, login: &str) -> Browser {
    let r = post_login(app, login, PASSWORD, None).await;
    assert_eq!(r.status(), 303, "signed in");
    let cookie = value_of(&set_cookie(&r, "hearken_session").expect("session cookie"));
    let mut b = Browser {
        http: client(),
        base: app.addr.clone(),
        cookie,
        csrf: String::new(),
    };
    let page = b.get("/console").await;
    assert_eq!(page.status(), 200);
    b.csrf = csrf_field(&page.text().await.expect("html"));
    b
}

impl Browser {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("request")
    }

    /// Posts a form as the console does, with the session's CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut all: Vec<(&str, &str)> = vec![("csrf", &self.csrf)];
        all.extend_from_slice(fields);
        self.http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(&all)
            .send()
            .await
            .expect("request")
    }

    /// The page's text after following one redirect (where a form post lands).
    pub async fn follow(&self, r: reqwest::Response) -> String {
        let to = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let flash = set_cookie(&r, "hearken_flash").map(|c| value_of(&c));
        let Some(to) = to else {
            return r.text().await.unwrap_or_default();
        };
        let cookie = match flash {
            Some(f) => format!("{}; {f}", self.cookie),
            None => self.cookie.clone(),
        };
        self.http
            .get(format!("{}{to}", self.base))
            .header("cookie", cookie)
            .send()
            .await
            .expect("request")
            .text()
            .await
            .unwrap_or_default()
    }
}
