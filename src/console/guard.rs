//! The console's guard: a page without a session redirects to the login form, a route above
//! the person's role gets 403, and every form post must carry the session's CSRF token (the
//! `csrf` field, or the `X-CSRF-Token` header for scripts).

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::layout::error_page;
use crate::http::access::lookup;
use crate::http::auth::{changes_state, principal, CSRF_HEADER};
use crate::http::AppState;

/// The hidden form field every console form carries.
pub const CSRF_FIELD: &str = "csrf";

pub async fn guard(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    let p = match principal(&state, req.headers()).await {
        Ok(Some(p)) if p.agent.is_some() => p,
        Ok(_) => return not_signed_in(&req),
        Err(e) => return e.into_response(),
    };
    let path = matched.as_ref().map(|m| m.as_str()).unwrap_or_default();
    let routes = super::routes();
    let Some(need) = lookup(&routes, req.method(), path) else {
        tracing::error!(method = %req.method(), path, "console route missing from the access table");
        return error_page(StatusCode::FORBIDDEN, "This page is not open to anyone.");
    };
    if p.role < need {
        tracing::warn!(
            login = p.agent.as_ref().map(|a| a.agent.login.as_str()),
            path,
            "console: role too low"
        );
        return error_page(
            StatusCode::FORBIDDEN,
            &format!("This page needs the {} role.", need.as_str()),
        );
    }
    let mut req = req;
    if changes_state(req.method()) {
        let expected = p.csrf.clone().unwrap_or_default();
        let (ok, rebuilt) = csrf_ok(
            req,
            &expected,
            state.engine.settings.server.body_limit_bytes,
        )
        .await;
        if !ok {
            tracing::warn!(path, "console: form post without a valid CSRF token");
            return error_page(
                StatusCode::FORBIDDEN,
                "This form has expired or did not come from the console. Go back, reload the page and try again.",
            );
        }
        let Some(r) = rebuilt else {
            return error_page(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.");
        };
        req = r;
    }
    req.extensions_mut().insert(p);
    next.run(req).await
}

fn not_signed_in(req: &Request) -> Response {
    if req.method() == Method::GET {
        let next = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/console");
        let target = format!(
            "/console/login?next={}",
            form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        );
        return Redirect::to(&target).into_response();
    }
    let mut r = error_page(StatusCode::UNAUTHORIZED, "Sign in first.");
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    r
}

/// Reads the body to find the form's `csrf` field, then hands the same bytes on.
async fn csrf_ok(req: Request, expected: &str, limit: usize) -> (bool, Option<Request>) {
    if let Some(h) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        let ok = crate::auth::tokens_match(h, expected);
        return (ok, Some(req));
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return (true, None);
    };
    let given = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let ok = crate::auth::tokens_match(&given, expected);
    (ok, Some(Request::from_parts(parts, Body::from(bytes))))
}
