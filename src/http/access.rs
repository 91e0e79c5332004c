//! The access table: the least role each protected route needs. The guard refuses a route
//! that is missing here (fail closed), and the security tests walk this table.

use axum::http::Method;

use crate::routing::Role;

/// (method, route pattern, least role) for the JSON API. The API token counts as an admin.
pub const API: &[(&str, &str, Role)] = &[
    ("GET", "/v1/conversations", Role::Agent),
    ("GET", "/v1/conversations/{id}", Role::Agent),
    ("POST", "/v1/conversations/{id}/owner", Role::Supervisor),
    ("POST", "/v1/conversations/{id}/accept", Role::Agent),
    ("POST", "/v1/conversations/{id}/decline", Role::Agent),
    ("POST", "/v1/conversations/{id}/transfer", Role::Agent),
    ("POST", "/v1/conversations/{id}/handback", Role::Agent),
    ("POST", "/v1/conversations/{id}/resolve", Role::Agent),
    ("POST", "/v1/conversations/{id}/reply", Role::Agent),
    ("POST", "/v1/conversations/{id}/react", Role::Agent),
    ("GET", "/v1/queue", Role::Agent),
    ("GET", "/v1/me", Role::Agent),
    ("GET", "/v1/agents", Role::Supervisor),
    ("POST", "/v1/agents", Role::Admin),
    ("GET", "/v1/agents/{id}", Role::Supervisor),
    ("PATCH", "/v1/agents/{id}", Role::Admin),
    ("POST", "/v1/agents/{id}/status", Role::Agent),
    ("POST", "/v1/agents/{id}/password", Role::Admin),
    ("GET", "/v1/reports", Role::Supervisor),
    ("GET", "/metrics", Role::Supervisor),
    ("GET", "/v1/calendar", Role::Agent),
    ("GET", "/v1/emergency", Role::Agent),
    ("PUT", "/v1/emergency", Role::Supervisor),
    ("GET", "/v1/events", Role::Admin),
    ("GET", "/v1/channels", Role::Admin),
    ("POST", "/v1/channels/check", Role::Admin),
    ("GET", "/v1/outbox", Role::Admin),
    ("GET", "/v1/outbox/{id}", Role::Admin),
    ("GET", "/v1/inbox", Role::Admin),
    ("GET", "/v1/contacts/{id}", Role::Agent),
    ("POST", "/v1/contacts/{id}/links", Role::Supervisor),
    ("POST", "/v1/links/{id}/undo", Role::Supervisor),
    ("POST", "/v1/messages/{id}/misread", Role::Agent),
    ("GET", "/v1/review", Role::Admin),
    ("POST", "/v1/review/{id}/assign", Role::Admin),
    ("POST", "/v1/review/{id}/dismiss", Role::Admin),
];

pub fn api_role(method: &Method, path: &str) -> Option<Role> {
    lookup(API, method, path)
}

pub fn lookup(table: &[(&str, &str, Role)], method: &Method, path: &str) -> Option<Role> {
    // HEAD is answered by GET routes.
    let m = if *method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    table
        .iter()
        .find(|(tm, tp, _)| *tm == m && *tp == path)
        .map(|(_, _, r)| *r)
}
