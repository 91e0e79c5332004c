//! The OpenAPI document and the router agree: every documented operation is served.

use serde_json::Value;

use crate::helpers::{spawn_app, Db};

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    let doc: Value = app
        .http
        .get(format!("{}/v1/openapi.json", app.addr))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().expect("paths");
    assert!(
        paths.len() >= 15,
        "the document lists the API: {}",
        paths.len()
    );
    let mut checked = 0;
    for (path, ops) in paths {
        for (method, _) in ops.as_object().unwrap() {
            let Ok(m) = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()) else {
                continue;
            };
            if method == "parameters" {
                continue;
            }
            let concrete = path
                .replace("{session}", "0123456789abcdef0123")
                .replace("{name}", "nope")
                .replace("{id}", "1");
            if concrete.ends_with("/stream") {
                continue; // an endless event stream; its route is checked below
            }
            let r = app
                .http
                .request(m.clone(), format!("{}{concrete}", app.addr))
                .bearer_auth(&app.token)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body = r.text().await.unwrap_or_default();
            // 404 is fine only as our own JSON "not found" (a missing row), never the router's.
            assert!(
                status != 405 && (status != 404 || body.contains("\"code\"")),
                "{method} {path} -> {status} {body}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 18, "{checked}");
}

#[test]
fn the_document_is_valid_json_with_an_error_schema_listing_every_code() {
    let doc: Value = serde_json::from_str(hearken::http::openapi::DOCUMENT).expect("valid JSON");
    assert_eq!(
        doc["openapi"].as_str().map(|v| v.starts_with("3.")),
        Some(true)
    );
    let text = hearken::http::openapi::DOCUMENT;
    for code in [
        "bad_request",
        "unauthorized",
        "bad_signature",
        "forbidden",
        "not_found",
        "unknown_channel",
        "conflict",
        "payload_too_large",
        "not_ready",
        "store_unavailable",
        "internal",
        "insufficient_role",
        "csrf_failed",
        "rate_limited",
    ] {
        assert!(text.contains(code), "error code {code} is documented");
    }
}

/// Routes anyone may call: health, the web chat, platform webhooks and this document.
const PUBLIC: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/chat"),
    ("POST", "/v1/webchat/messages"),
    ("GET", "/v1/webchat/sessions/{session}/messages"),
    ("GET", "/v1/webchat/sessions/{session}/stream"),
    ("POST", "/v1/channels/{name}/webhook"),
    ("GET", "/v1/channels/{name}/webhook"),
    ("GET", "/v1/openapi.json"),
];

#[test]
fn every_documented_role_is_the_one_the_access_table_enforces() {
    use hearken::http::access::API;
    let doc: Value = serde_json::from_str(hearken::http::openapi::DOCUMENT).expect("valid JSON");
    let mut documented = Vec::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("operations") {
            if method == "parameters" {
                continue;
            }
            let m = method.to_uppercase();
            match op["x-hearken-role"].as_str() {
                Some(role) => {
                    let enforced = API
                        .iter()
                        .find(|(am, ap, _)| *am == m && ap == path)
                        .map(|(_, _, r)| r.as_str());
                    assert_eq!(enforced, Some(role), "{m} {path}");
                    documented.push((m, path.clone()));
                }
                None => assert!(
                    PUBLIC.contains(&(m.as_str(), path.as_str())),
                    "{m} {path} has no x-hearken-role and is not public"
                ),
            }
        }
    }
    for (m, p, _) in API {
        assert!(
            documented.contains(&(m.to_string(), p.to_string())),
            "{m} {p} is protected but not documented"
        );
    }
}
