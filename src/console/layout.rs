//! What every console page shares: who is signed in, the CSRF token for its forms, the flash
//! message left by the last form post, the security headers, and the error page.

use askama::Template;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::http::auth::{cookie, Principal};
use crate::routing::{Role, Status};

const FLASH_COOKIE: &str = "hearken_flash";

/// A one-time message shown on the next page after a form post.
#[derive(Debug, Clone)]
pub struct Flash {
    /// `ok` or `error`.
    pub kind: &'static str,
    pub text: String,
}

/// The signed-in person and the page's place in the navigation.
#[derive(Debug, Clone)]
pub struct Page {
    pub title: String,
    /// Which navigation entry is current: queue, supervisor, reports, agents.
    pub nav: &'static str,
    pub me_id: i64,
    pub me_name: String,
    pub me_login: String,
    pub me_role: Role,
    pub me_status: Status,
    pub csrf: String,
    pub flash: Option<Flash>,
}

impl Page {
    pub fn new(
        p: &Principal,
        headers: &HeaderMap,
        title: impl Into<String>,
        nav: &'static str,
    ) -> Self {
        let (id, name, login, status) = p
            .agent
            .as_ref()
            .map(|a| {
                (
                    a.agent.id,
                    a.agent.name.clone(),
                    a.agent.login.clone(),
                    a.agent.status,
                )
            })
            .unwrap_or((0, "API".into(), "api".into(), Status::Offline));
        Self {
            title: title.into(),
            nav,
            me_id: id,
            me_name: name,
            me_login: login,
            me_role: p.role,
            me_status: status,
            csrf: p.csrf.clone().unwrap_or_default(),
            flash: take_flash(headers),
        }
    }

    pub fn is_supervisor(&self) -> bool {
        self.me_role >= Role::Supervisor
    }

    pub fn is_admin(&self) -> bool {
        self.me_role >= Role::Admin
    }

    pub fn status(&self) -> &'static str {
        self.me_status.as_str()
    }
}

fn take_flash(headers: &HeaderMap) -> Option<Flash> {
    let raw = cookie(headers, FLASH_COOKIE)?;
    let decoded: String = form_urlencoded::parse(format!("f={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())?;
    let (kind, text) = decoded.split_once(':')?;
    let kind = if kind == "error" { "error" } else { "ok" };
    Some(Flash {
        kind,
        text: text.to_string(),
    })
}

/// Headers every console response carries: no caching of pages with customer data, no
/// framing, scripts and styles only from hearken itself.
pub fn secure(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

/// Render a page; a shown flash message is cleared.
pub fn render(t: &impl Template, page: &Page) -> Response {
    let mut resp = match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "console template failed");
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The page could not be shown.",
            );
        }
    };
    if page.flash.is_some() {
        resp.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static(
                "hearken_flash=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict",
            ),
        );
    }
    secure(&mut resp);
    resp
}

#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage<'a> {
    status: u16,
    message: &'a str,
}

pub fn error_page(status: StatusCode, message: &str) -> Response {
    let html = ErrorPage {
        status: status.as_u16(),
        message,
    }
    .render()
    .unwrap_or_else(|_| message.to_string());
    let mut resp = (status, Html(html)).into_response();
    secure(&mut resp);
    resp
}

/// After a form post: back to `to` (303), with a message for the next page.
pub fn redirect(to: &str, kind: &'static str, text: &str) -> Response {
    let value: String =
        form_urlencoded::byte_serialize(format!("{kind}:{text}").as_bytes()).collect();
    let mut resp = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{FLASH_COOKIE}={value}; Path=/console; Max-Age=60; HttpOnly; SameSite=Strict"
    )) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// An error from a form action, shown on the page the form came from.
pub fn redirect_error(to: &str, e: &crate::http::ApiError) -> Response {
    let (status, _) = e.status_and_code();
    if status.is_server_error() {
        tracing::error!(error = %e, "console action failed");
        return redirect(
            to,
            "error",
            "Something went wrong; it has been logged. Try again.",
        );
    }
    redirect(to, "error", &e.to_string())
}

/// A duration as "45 s", "12 min", "3 h 5 min", "2 d 4 h".
pub fn ago(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        3600..=86_399 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// A moment as "23 Nov 2026 10:00:05 UTC" (the console shows every time in UTC).
pub fn when(ms: i64) -> String {
    crate::store::from_millis(ms)
        .format("%d %b %Y %H:%M:%S UTC")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(ago(42_000), "42 s");
        assert_eq!(ago(12 * 60_000), "12 min");
        assert_eq!(ago(3 * 3_600_000 + 5 * 60_000), "3 h 5 min");
        assert_eq!(ago(-5), "0 s");
    }

    #[test]
    fn a_moment_reads_as_a_utc_date_and_time() {
        assert_eq!(when(1_795_428_000_000), "23 Nov 2026 10:00:00 UTC");
    }

    #[test]
    fn a_flash_message_survives_the_cookie_round_trip() {
        let resp = redirect(
            "/console",
            "error",
            "unknown disposition \"x\"; allowed: a, b",
        );
        let set = resp.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_string();
        let value = set.split(';').next().unwrap().to_string();
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(&value).unwrap());
        let f = take_flash(&h).unwrap();
        assert_eq!(f.kind, "error");
        assert_eq!(f.text, "unknown disposition \"x\"; allowed: a, b");
    }
}
