//! The part of the Mastodon client API hearken calls, as documented, and a validator run on
//! every request the simulated instance received. Mastodon publishes no OpenAPI spec: the table
//! is transcribed from its documentation (github.com/mastodon/documentation @ 2903485da54a,
//! `content/en/methods/statuses.md`, `notifications.md`, `accounts.md`; the same pinned source
//! as tests/fixtures/mastodon/SOURCES.md).

use serde_json::Value;
use wiremock::Request;

struct Endpoint {
    method: &'static str,
    /// `:id` stands for one id segment.
    path: &'static str,
    /// Documented query parameters.
    query: &'static [&'static str],
    /// Documented body parameters (`None`: no body), and the required ones.
    body: Option<(&'static [&'static str], &'static [&'static str])>,
    /// The endpoint documents an `Idempotency-Key` header.
    idempotency: bool,
}

const STATUS_PARAMS: &[&str] = &[
    "status",
    "media_ids",
    "poll",
    "in_reply_to_id",
    "sensitive",
    "spoiler_text",
    "visibility",
    "language",
    "scheduled_at",
    "quoted_status_id",
    "quote_approval_policy",
];

const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "GET",
        path: "/api/v1/accounts/verify_credentials",
        query: &[],
        body: None,
        idempotency: false,
    },
    Endpoint {
        method: "GET",
        path: "/api/v1/accounts/:id",
        query: &[],
        body: None,
        idempotency: false,
    },
    Endpoint {
        method: "GET",
        path: "/api/v1/notifications",
        query: &[
            "max_id",
            "since_id",
            "min_id",
            "limit",
            "types[]",
            "exclude_types[]",
            "account_id",
        ],
        body: None,
        idempotency: false,
    },
    Endpoint {
        method: "GET",
        path: "/api/v1/statuses/:id",
        query: &[],
        body: None,
        idempotency: false,
    },
    Endpoint {
        method: "GET",
        path: "/api/v1/statuses/:id/context",
        query: &[],
        body: None,
        idempotency: false,
    },
    Endpoint {
        method: "POST",
        path: "/api/v1/statuses",
        query: &[],
        body: Some((STATUS_PARAMS, &["status"])),
        idempotency: true,
    },
    Endpoint {
        method: "POST",
        path: "/api/v1/statuses/:id/favourite",
        query: &[],
        body: None,
        idempotency: false,
    },
    Endpoint {
        method: "POST",
        path: "/api/v1/statuses/:id/reblog",
        query: &[],
        body: Some((&["visibility"], &[])),
        idempotency: false,
    },
];

const NOTIFICATION_TYPES: &[&str] = &[
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
    "admin.sign_up",
    "admin.report",
];
const VISIBILITIES: &[&str] = &["public", "unlisted", "private", "direct"];

fn path_matches(pattern: &str, path: &str) -> bool {
    let (p, a): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
    p.len() == a.len()
        && p.iter().zip(&a).all(|(p, a)| {
            if *p == ":id" {
                !a.is_empty() && a.bytes().all(|b| b.is_ascii_alphanumeric())
            } else {
                p == a
            }
        })
}

/// What is wrong with `req` against the documented API (empty: nothing).
pub fn problems(req: &Request, token: &str) -> Vec<String> {
    let what = format!("{} {}", req.method, req.url);
    let path = req.url.path();
    // Literal paths win over `:id` (verify_credentials is not an account id).
    let mut candidates: Vec<&Endpoint> = ENDPOINTS
        .iter()
        .filter(|e| e.method == req.method.as_str() && path_matches(e.path, path))
        .collect();
    candidates.sort_by_key(|e| e.path.contains(":id"));
    let Some(ep) = candidates.first() else {
        return vec![format!("{what}: not a documented endpoint")];
    };
    let mut out = Vec::new();
    let auth = req
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    if auth != Some(&format!("Bearer {token}")) {
        out.push(format!(
            "{what}: Authorization is {auth:?}, not the bearer token"
        ));
    }
    for (k, v) in req.url.query_pairs() {
        if !ep.query.contains(&k.as_ref()) {
            out.push(format!("{what}: undocumented query parameter {k}"));
        }
        if k == "limit" && !v.parse::<u32>().is_ok_and(|n| (1..=80).contains(&n)) {
            out.push(format!("{what}: limit {v} is not an integer in 1..=80"));
        }
        if (k == "types[]" || k == "exclude_types[]") && !NOTIFICATION_TYPES.contains(&v.as_ref()) {
            out.push(format!("{what}: {v} is not a notification type"));
        }
    }
    let key = req.headers.get("idempotency-key");
    if key.is_some() && !ep.idempotency {
        out.push(format!("{what}: Idempotency-Key is not documented here"));
    }
    if key.is_some_and(|k| k.is_empty()) {
        out.push(format!("{what}: empty Idempotency-Key"));
    }
    match (&ep.body, req.body.is_empty()) {
        (None, false) => out.push(format!("{what}: takes no body")),
        (Some((_, required)), true) if !required.is_empty() => {
            out.push(format!("{what}: a body with {required:?} is required"))
        }
        (Some((allowed, required)), false) => {
            let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&req.body) else {
                return [out, vec![format!("{what}: the body is not a JSON object")]].concat();
            };
            for k in body.keys() {
                if !allowed.contains(&k.as_str()) {
                    out.push(format!("{what}: undocumented parameter {k}"));
                }
            }
            for r in *required {
                if !body.contains_key(*r) {
                    out.push(format!("{what}: missing required {r}"));
                }
            }
            for (k, v) in &body {
                let ok = match k.as_str() {
                    "status" | "in_reply_to_id" | "spoiler_text" | "language" | "scheduled_at" => {
                        v.as_str().is_some_and(|s| !s.is_empty())
                    }
                    "visibility" => v.as_str().is_some_and(|s| VISIBILITIES.contains(&s)),
                    "sensitive" => v.is_boolean(),
                    _ => true,
                };
                if !ok {
                    out.push(format!("{what}: {k} = {v} has the wrong type or value"));
                }
            }
        }
        _ => {}
    }
    out
}

/// Every request the instance received follows the documented API.
pub async fn assert_documented(server: &wiremock::MockServer, token: &str) {
    let requests = server.received_requests().await.unwrap_or_default();
    assert!(!requests.is_empty(), "the instance received nothing");
    let problems: Vec<String> = requests.iter().flat_map(|r| problems(r, token)).collect();
    assert!(problems.is_empty(), "{problems:#?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, url: &str, body: &str, key: Option<&str>) -> Request {
        let mut headers = http_headers(key);
        headers.insert("authorization", "Bearer t".parse().unwrap());
        Request {
            url: url.parse().unwrap(),
            method: method.parse().unwrap(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    fn http_headers(key: Option<&str>) -> wiremock::http::HeaderMap {
        let mut h = wiremock::http::HeaderMap::new();
        if let Some(k) = key {
            h.insert("idempotency-key", k.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_validator_refuses_what_the_documentation_does_not_allow() {
        let ok = request(
            "POST",
            "http://i/api/v1/statuses",
            r#"{"status": "@a hi", "in_reply_to_id": "1", "visibility": "unlisted"}"#,
            Some("k"),
        );
        assert_eq!(problems(&ok, "t"), Vec::<String>::new());
        let bad = [
            request(
                "POST",
                "http://i/api/v1/statuses",
                r#"{"text": "hi"}"#,
                None,
            ),
            request(
                "POST",
                "http://i/api/v1/statuses",
                r#"{"status": "hi", "visibility": "followers"}"#,
                None,
            ),
            request(
                "POST",
                "http://i/api/v1/statuses",
                r#"{"status": "hi", "in_reply_to_id": 5}"#,
                None,
            ),
            request(
                "GET",
                "http://i/api/v1/notifications?types%5B%5D=mentions&limit=40",
                "",
                None,
            ),
            request("GET", "http://i/api/v1/notifications?cursor=5", "", None),
            request(
                "POST",
                "http://i/api/v1/statuses/1/favourite",
                "",
                Some("k"),
            ),
            request("POST", "http://i/api/v1/statuses/1/hide", "", None),
        ];
        for r in bad {
            assert!(
                !problems(&r, "t").is_empty(),
                "{} {} passed",
                r.method,
                r.url
            );
        }
        assert!(!problems(&ok, "other").is_empty(), "a wrong token passed");
    }
}
