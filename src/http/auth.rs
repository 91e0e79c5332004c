//! Who is calling: the API token (acts as an admin, named `api`) or a console session cookie
//! (a person with a role). `guard` authenticates every protected route, checks the role the
//! access table (`access.rs`) gives the route, and requires the session's CSRF token on every
//! request that changes something.

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;

use super::{access, ApiError, AppState};
use crate::desk::commands::Who;
use crate::desk::Actor;
use crate::routing::Role;
use crate::store::agents::AgentRow;
use crate::store::{self, sessions};

pub const SESSION_COOKIE: &str = "hearken_session";
/// The header a script sends the session's CSRF token in (forms send the `csrf` field).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// An authenticated caller.
#[derive(Clone, Debug)]
pub struct Principal {
    pub role: Role,
    /// The signed-in person; `None` for the API token.
    pub agent: Option<AgentRow>,
    /// The session's CSRF token (persons only).
    pub csrf: Option<String>,
    /// The stored hash of the session token (persons only), for logout.
    pub session_hash: Option<String>,
}

impl Principal {
    pub fn who(&self) -> Who {
        match &self.agent {
            Some(a) => Who {
                actor: Actor::Person {
                    agent_id: a.agent.id,
                    login: a.agent.login.clone(),
                },
                role: self.role,
                agent_id: Some(a.agent.id),
            },
            None => Who {
                actor: Actor::Api,
                role: self.role,
                agent_id: None,
            },
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or(ApiError::Unauthorized)
    }
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

/// The caller, if the request carries a valid token or session; `Err` only when the store
/// cannot answer.
pub async fn principal(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Principal>, ApiError> {
    if let Some(given) = bearer(headers) {
        if crate::auth::tokens_match(given, state.api_token.expose()) {
            return Ok(Some(Principal {
                role: Role::Admin,
                agent: None,
                csrf: None,
                session_hash: None,
            }));
        }
        return Ok(None);
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = crate::auth::token_hash(&token);
    let now = state.engine.clock.now_ms();
    let Some(session) = sessions::get(&state.engine.store, &hash, now).await? else {
        return Ok(None);
    };
    let agent = match store::agents::get(&state.engine.store, session.agent_id).await {
        Ok(a) if !a.disabled => a,
        Ok(_) | Err(store::StoreError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    Ok(Some(Principal {
        role: agent.agent.role,
        agent: Some(agent),
        csrf: Some(session.csrf),
        session_hash: Some(hash),
    }))
}

/// Methods that change something need the CSRF token when the credential is a cookie.
pub fn changes_state(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The JSON API's guard: 401 without credentials, 403 below the route's role or without the
/// CSRF header on a cookie-authenticated change.
pub async fn guard(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let p = principal(&state, req.headers())
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let path = matched.as_ref().map(|m| m.as_str()).unwrap_or_default();
    let need = access::api_role(req.method(), path).ok_or_else(|| {
        // Fail closed: a route missing from the table is nobody's.
        tracing::error!(method = %req.method(), path, "route missing from the access table");
        ApiError::InsufficientRole(Role::Admin)
    })?;
    if p.role < need {
        return Err(ApiError::InsufficientRole(need));
    }
    if changes_state(req.method()) {
        if let Some(expected) = &p.csrf {
            let given = req
                .headers()
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !crate::auth::tokens_match(given, expected) {
                return Err(ApiError::Csrf);
            }
        }
    }
    req.extensions_mut().insert(p);
    Ok(next.run(req).await)
}
