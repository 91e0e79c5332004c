//! Signing in and out. Login: argon2 password check, a rate limit per login and per address,
//! a CSRF token for the form itself (double-submit cookie), and a fresh session token on every
//! success (never one the browser brought: no session fixation). Logout ends the session on
//! the server and takes the agent offline, returning open offers to the queue.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use serde::Deserialize;

use super::layout::secure;
use crate::auth;
use crate::desk::{self, Actor, Op};
use crate::http::auth::{cookie, Principal, SESSION_COOKIE};
use crate::http::AppState;
use crate::routing::{Role, Status};
use crate::store::{agents, sessions};

const LOGIN_CSRF_COOKIE: &str = "hearken_login";

pub const ROUTES: &[(&str, &str, Role)] = &[("POST", "/console/logout", Role::Agent)];

pub fn public_router() -> Router<AppState> {
    Router::new().route("/console/login", get(form).post(login))
}

pub fn protected_router() -> Router<AppState> {
    Router::new().route("/console/logout", post(logout))
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage<'a> {
    csrf: &'a str,
    next: &'a str,
    login: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
struct Next {
    #[serde(default)]
    next: Option<String>,
}

/// Only console paths: a login link cannot send anyone elsewhere.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with("/console")
                && !n.starts_with("/console/login")
                && !n.contains("//") =>
        {
            n
        }
        _ => "/console",
    }
}

fn page(status: StatusCode, next: &str, login: &str, error: Option<&str>) -> Response {
    let csrf = auth::random_token();
    let html = LoginPage {
        csrf: &csrf,
        next,
        login,
        error,
    }
    .render()
    .unwrap_or_default();
    let mut resp = (status, axum::response::Html(html)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LOGIN_CSRF_COOKIE}={csrf}; Path=/console/login; Max-Age=3600; HttpOnly; SameSite=Strict"
    )) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    secure(&mut resp);
    resp
}

async fn form(Query(q): Query<Next>) -> Response {
    page(StatusCode::OK, safe_next(q.next.as_deref()), "", None)
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

fn address(state: &AppState, headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    if state.engine.settings.console.trust_forwarded_for {
        if let Some(first) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
        {
            return first.trim().to_string();
        }
    }
    peer.map(|p| p.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

async fn login(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref()).to_string();
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if !auth::tokens_match(&f.csrf, &expected) {
        tracing::warn!("login form without a valid CSRF token");
        return page(
            StatusCode::FORBIDDEN,
            &next,
            &f.login,
            Some("The form expired. Please sign in again."),
        );
    }
    let login = f.login.trim().to_string();
    let engine = &state.engine;
    let c = &engine.settings.console;
    let now = engine.clock.now_ms();
    let window_ms = c.login_window_secs as i64 * 1000;
    let addr = address(&state, &headers, peer.map(|p| (p.0).0));
    let (by_login, by_addr, oldest) =
        match sessions::recent_failures(&engine.store, &login, &addr, now - window_ms).await {
            Ok(x) => x,
            Err(e) => return crate::http::ApiError::from(e).into_response(),
        };
    let max = i64::from(c.login_max_failures);
    if by_login >= max || by_addr >= max {
        let wait = (oldest.unwrap_or(now) + window_ms - now).max(1000) / 1000;
        tracing::warn!(login, address = addr, "login refused: too many failures");
        let mut r = page(
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            &login,
            Some(&format!(
                "Too many failed sign-ins. Try again in {} minutes.",
                (wait + 59) / 60
            )),
        );
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let found = match agents::by_login(&engine.store, &login).await {
        Ok(f) => f,
        Err(e) => return crate::http::ApiError::from(e).into_response(),
    };
    let password = f.password;
    let hash = found
        .as_ref()
        .filter(|(a, _)| !a.disabled)
        .map(|(_, h)| h.clone())
        .unwrap_or_else(|| auth::decoy_hash().to_string());
    // Unknown logins are checked against a decoy hash: both take as long.
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let agent = match (ok, found) {
        (true, Some((a, _))) if !a.disabled => a,
        _ => {
            let _ = sessions::record_failure(&engine.store, &login, &addr, now).await;
            tracing::warn!(login, address = addr, "login failed");
            return page(
                StatusCode::UNAUTHORIZED,
                &next,
                &login,
                Some("Wrong login or password."),
            );
        }
    };
    let _ = sessions::clear_failures(&engine.store, &login).await;
    // Whatever session the browser brought is ended, never reused.
    if let Some(old) = cookie(&headers, SESSION_COOKIE) {
        let _ = sessions::delete(&engine.store, &auth::token_hash(&old)).await;
    }
    let token = auth::random_token();
    let expires = now + c.session_hours as i64 * 3_600_000;
    if let Err(e) = sessions::create(
        &engine.store,
        &auth::token_hash(&token),
        agent.agent.id,
        &auth::random_token(),
        now,
        expires,
    )
    .await
    {
        return crate::http::ApiError::from(e).into_response();
    }
    let _ = sessions::sweep(&engine.store, now, now - window_ms).await;
    tracing::info!(login, "signed in");
    let mut resp = Redirect::to(&next).into_response();
    let secure_flag = if c.secure_cookie { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{secure_flag}",
        c.session_hours * 3600
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("hearken_login=; Path=/console/login; Max-Age=0"),
    );
    resp
}

async fn logout(State(state): State<AppState>, p: Principal) -> Response {
    let engine = &state.engine;
    if let Some(hash) = &p.session_hash {
        if let Err(e) = sessions::delete(&engine.store, hash).await {
            return crate::http::ApiError::from(e).into_response();
        }
    }
    if let Some(a) = &p.agent {
        let actor = Actor::Person {
            agent_id: a.agent.id,
            login: a.agent.login.clone(),
        };
        let op = Op::SetStatus {
            agent_id: a.agent.id,
            status: Status::Offline,
        };
        if let Err(e) = desk::run(engine, &actor, op).await {
            tracing::warn!(error = %e, "could not take the agent offline at logout");
        }
        tracing::info!(login = a.agent.login, "signed out");
    }
    let mut resp = Redirect::to("/console/login").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("hearken_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"),
    );
    resp
}
