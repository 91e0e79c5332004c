//! A validator for Send API requests, built from Meta's official Postman collection (Meta
//! publishes no OpenAPI): a request must use the method and path shape of a collection request
//! (`/{version}/{page-id}/messages`), and every body field must exist, with the same JSON type
//! and nesting, in that path's collection bodies. Fields the collection lacks but Meta
//! documents (messaging_type, sender_action, private replies' recipient) come from the
//! transcribed doc samples next to it; enumerations and limits are from the Send API reference.

use std::collections::BTreeMap;

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

fn kind(v: &Value) -> Kind {
    match v {
        Value::Null => Kind::Null,
        Value::Bool(_) => Kind::Bool,
        Value::Number(_) => Kind::Number,
        Value::String(_) => Kind::String,
        Value::Array(_) => Kind::Array,
        Value::Object(_) => Kind::Object,
    }
}

/// `{"message": {"quick_replies": [{"title": ..}]}}` -> `message` Object,
/// `message.quick_replies` Array, `message.quick_replies[].title` String.
fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, Kind>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(p.clone(), kind(x));
                flatten(&p, x, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                let p = format!("{prefix}[]");
                out.insert(p.clone(), kind(x));
                flatten(&p, x, out);
            }
        }
        _ => {}
    }
}

struct SpecRequest {
    name: String,
    method: String,
    path: Vec<String>,
    fields: BTreeMap<String, Kind>,
}

pub struct SendApiSpec {
    requests: Vec<SpecRequest>,
}

fn fixture(name: &str) -> Value {
    let path = crate::helpers::root()
        .join("tests/fixtures/facebook")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

fn collect(items: &Value, out: &mut Vec<SpecRequest>) {
    for item in items.as_array().into_iter().flatten() {
        if item.get("item").is_some() {
            collect(&item["item"], out);
            continue;
        }
        let r = &item["request"];
        let body: Value = r["body"]["raw"]
            .as_str()
            .and_then(|raw| serde_json::from_str(raw).ok())
            .unwrap_or(Value::Null);
        let mut fields = BTreeMap::new();
        flatten("", &body, &mut fields);
        out.push(SpecRequest {
            name: item["name"].as_str().unwrap_or("?").into(),
            method: r["method"].as_str().unwrap_or("").into(),
            path: r["url"]["path"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(String::from))
                .collect(),
            fields,
        });
    }
}

fn segment_matches(spec: &str, got: &str) -> bool {
    match spec {
        "{{version}}" => got
            .strip_prefix('v')
            .and_then(|v| v.split_once('.'))
            .is_some_and(|(a, b)| {
                !a.is_empty()
                    && !b.is_empty()
                    && (a.to_owned() + b).bytes().all(|c| c.is_ascii_digit())
            }),
        "{{page-id}}" => {
            got == "me" || (!got.is_empty() && got.bytes().all(|c| c.is_ascii_digit()))
        }
        literal => literal == got,
    }
}

impl SendApiSpec {
    pub fn load() -> Self {
        let collection = fixture("messenger-platform-api.postman_collection.json");
        let mut requests = Vec::new();
        collect(&collection["item"], &mut requests);
        assert!(
            requests.iter().any(|r| r.name == "Quick Replies"),
            "the collection has the Send API requests"
        );
        // Documented Send API fields the collection does not show, from the doc samples.
        let mut extra = BTreeMap::new();
        for name in [
            "send_api_text_request.json",
            "send_api_sender_action_request.json",
            "send_api_private_reply_request.json",
        ] {
            flatten("", &fixture(name), &mut extra);
        }
        // The private-replies page names `post_id` beside `comment_id` (a visitor post).
        extra.insert("recipient.post_id".into(), Kind::String);
        for r in requests
            .iter_mut()
            .filter(|r| r.path.last().map(String::as_str) == Some("messages"))
        {
            for (k, v) in &extra {
                r.fields.entry(k.clone()).or_insert(*v);
            }
        }
        Self { requests }
    }

    /// `Ok` when `method path` with `body` is a request the spec describes.
    pub fn validate(&self, method: &str, path: &str, body: &Value) -> Result<(), String> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let same_path: Vec<&SpecRequest> = self
            .requests
            .iter()
            .filter(|r| {
                r.path.len() == segments.len()
                    && r.path
                        .iter()
                        .zip(&segments)
                        .all(|(s, g)| segment_matches(s, g))
            })
            .collect();
        if same_path.is_empty() {
            return Err(format!("no collection request has the path {path}"));
        }
        if !same_path.iter().any(|r| r.method == method) {
            return Err(format!(
                "{method} {path}: the collection uses another method"
            ));
        }
        let mut got = BTreeMap::new();
        flatten("", body, &mut got);
        for (field, k) in &got {
            let known = same_path.iter().find_map(|r| r.fields.get(field));
            match known {
                None => return Err(format!("{path}: `{field}` is not a Send API field")),
                Some(want) if want != k => {
                    return Err(format!("{path}: `{field}` is {k:?}, the spec has {want:?}"))
                }
                Some(_) => {}
            }
        }
        if segments.last() == Some(&"messages") {
            required(body)?;
        }
        Ok(())
    }
}

/// What the Send API reference requires: one recipient, a message or a sender action,
/// the documented enumerations, and complete quick replies within their limits.
fn required(body: &Value) -> Result<(), String> {
    let recipient = body["recipient"]
        .as_object()
        .ok_or("`recipient` is required")?;
    let ids = ["id", "comment_id", "post_id"]
        .iter()
        .filter(|k| {
            recipient
                .get(**k)
                .is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty()))
        })
        .count();
    if ids != 1 || recipient.len() != 1 {
        return Err(format!(
            "`recipient` must name exactly one of id, comment_id, post_id: {body}"
        ));
    }
    match (body.get("message"), body.get("sender_action")) {
        (Some(m), None) => {
            if m.get("text").is_none() && m.get("attachment").is_none() {
                return Err("`message` needs `text` or `attachment`".into());
            }
            if m["text"].as_str().is_some_and(|t| t.chars().count() > 2000) {
                return Err("`message.text` is over 2000 characters".into());
            }
        }
        (None, Some(a)) => {
            if !matches!(a.as_str(), Some("typing_on" | "typing_off" | "mark_seen")) {
                return Err(format!("`sender_action` {a} is not documented"));
            }
        }
        _ => return Err("exactly one of `message` and `sender_action`".into()),
    }
    if let Some(t) = body.get("messaging_type") {
        if !matches!(t.as_str(), Some("RESPONSE" | "UPDATE" | "MESSAGE_TAG")) {
            return Err(format!("`messaging_type` {t} is not documented"));
        }
    }
    let quick = body["message"]["quick_replies"].as_array();
    if quick.is_some_and(|q| q.is_empty() || q.len() > 13) {
        return Err("`quick_replies` takes 1 to 13 items".into());
    }
    for q in quick.into_iter().flatten() {
        if q["content_type"] != "text" {
            return Err(format!("quick reply {q}: content_type must be \"text\""));
        }
        let title = q["title"].as_str().unwrap_or("");
        let payload = q["payload"].as_str().unwrap_or("");
        if title.is_empty() || title.chars().count() > 20 {
            return Err(format!("quick reply {q}: title must be 1 to 20 characters"));
        }
        if payload.is_empty() || payload.chars().count() > 1000 {
            return Err(format!(
                "quick reply {q}: payload must be 1 to 1000 characters"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::SendApiSpec;
    use serde_json::json;

    #[test]
    fn the_facebook_send_api_validator_accepts_the_collections_own_requests() {
        let spec = SendApiSpec::load();
        let qr = json!({"recipient": {"id": "1"}, "message": {"text": "Pick a color:",
            "quick_replies": [{"content_type": "text", "title": "Red", "payload": "RED", "image_url": "http://x/r.png"}]}});
        spec.validate("POST", "/v25.0/123/messages", &qr).unwrap();
        spec.validate(
            "POST",
            "/v20.0/me/messages",
            &json!({"recipient": {"id": "1"}, "message": {"text": "Hello!"}}),
        )
        .unwrap();
    }

    #[test]
    fn the_facebook_send_api_validator_rejects_what_the_spec_does_not_describe() {
        let spec = SendApiSpec::load();
        let ok = json!({"recipient": {"id": "1"}, "messaging_type": "RESPONSE", "message": {"text": "hi"}});
        spec.validate("POST", "/v25.0/123/messages", &ok).unwrap();
        let cases = [
            ("GET", "/v25.0/123/messages", ok.clone()),
            ("POST", "/v25.0/123/message", ok.clone()),
            ("POST", "/25/123/messages", ok.clone()),
            (
                "POST",
                "/v25.0/123/messages",
                json!({"recipient": {"id": "1"}, "message": {"txt": "hi"}}),
            ),
            (
                "POST",
                "/v25.0/123/messages",
                json!({"recipient": {"id": 1}, "message": {"text": "hi"}}),
            ),
            (
                "POST",
                "/v25.0/123/messages",
                json!({"message": {"text": "hi"}}),
            ),
            (
                "POST",
                "/v25.0/123/messages",
                json!({"recipient": {"id": "1"}, "messaging_type": "REPLY", "message": {"text": "hi"}}),
            ),
            (
                "POST",
                "/v25.0/123/messages",
                json!({"recipient": {"id": "1"}, "message": {"text": "hi", "quick_replies": ["a"]}}),
            ),
            (
                "POST",
                "/v25.0/123/messages",
                json!({"recipient": {"id": "1"}, "message": {"text": "hi", "quick_replies": [{"content_type": "text", "title": "a"}]}}),
            ),
            (
                "POST",
                "/v25.0/123/messages",
                json!({"recipient": {"id": "1"}, "sender_action": "typing"}),
            ),
            (
                "POST",
                "/v25.0/123/messages",
                json!({"recipient": {"id": "1", "comment_id": "2"}, "message": {"text": "hi"}}),
            ),
        ];
        for (method, path, body) in cases {
            assert!(
                spec.validate(method, path, &body).is_err(),
                "{method} {path} {body}"
            );
        }
    }
}
