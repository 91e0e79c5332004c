//! A validator for the official X API v2 OpenAPI 3 document (tests/fixtures/x): the request's
//! path template and method exist, path and query parameters fit their schemas, and the JSON
//! body fits the operation's `requestBody` schema (`$ref`s resolved, required properties, JSON
//! types, nested objects, `additionalProperties: false`, enums, lengths, patterns, anyOf/oneOf).

use std::sync::OnceLock;

use serde_json::Value;

use serde_json::json;

use super::pattern::full_match;

pub struct Spec {
    doc: Value,
}

/// A path template that matches a request: the template, its path item, the parameter values.
struct Matched<'a> {
    template: String,
    item: &'a Value,
    params: Vec<(String, String)>,
    literal: usize,
}

/// The spec, read once per test process.
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = crate::helpers::root().join("tests/fixtures/x/openapi-x-api-v2.json");
        let raw = std::fs::read(&path).expect("the X OpenAPI spec is in tests/fixtures/x");
        Spec {
            doc: serde_json::from_slice(&raw).expect("the spec is JSON"),
        }
    })
}

impl Spec {
    /// The problems with one request; empty when the spec allows it.
    pub fn problems(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: &[u8],
    ) -> Vec<String> {
        let mut out = Vec::new();
        let Some(Matched {
            template,
            item,
            params,
            ..
        }) = self.find_path(path)
        else {
            return vec![format!("no path template matches {path}")];
        };
        let method = method.to_ascii_lowercase();
        let Some(op) = item.get(&method) else {
            return vec![format!("{template} has no {method} operation")];
        };
        let declared: Vec<Value> = item
            .get("parameters")
            .into_iter()
            .chain(op.get("parameters"))
            .flat_map(|p| p.as_array().cloned().unwrap_or_default())
            .map(|p| self.resolve(&p).clone())
            .collect();
        let find = |name: &str, place: &str| {
            declared
                .iter()
                .find(|p| p["name"] == name && p["in"] == place)
        };
        for (name, value) in &params {
            match find(name, "path") {
                Some(p) => self.check(
                    &p["schema"],
                    &Value::from(value.as_str()),
                    &format!("path {{{name}}}"),
                    &mut out,
                ),
                None => out.push(format!("{template}: path parameter {name} is not declared")),
            }
        }
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        for (name, value) in &pairs {
            let Some(p) = find(name, "query") else {
                out.push(format!(
                    "{template}: query parameter {name} is not declared"
                ));
                continue;
            };
            let schema = self.resolve(&p["schema"]);
            let value = if schema["type"] == "array" {
                Value::from(value.split(',').collect::<Vec<_>>())
            } else if schema["type"] == "integer" {
                value
                    .parse::<i64>()
                    .map(Value::from)
                    .unwrap_or(Value::from(value.as_str()))
            } else {
                Value::from(value.as_str())
            };
            self.check(schema, &value, &format!("query {name}"), &mut out);
        }
        for p in declared
            .iter()
            .filter(|p| p["in"] == "query" && p["required"] == true)
        {
            if !pairs.iter().any(|(k, _)| p["name"] == k.as_str()) {
                out.push(format!("required query parameter {} is missing", p["name"]));
            }
        }
        match (
            op.get("requestBody").map(|b| self.resolve(b)),
            body.is_empty(),
        ) {
            (None, true) => {}
            (None, false) => out.push(format!("{method} {template} takes no body")),
            (Some(b), true) if b["required"] == true => {
                out.push(format!("{method} {template} requires a body"))
            }
            (Some(_), true) => {}
            (Some(b), false) => match serde_json::from_slice::<Value>(body) {
                Err(e) => out.push(format!("the body is not JSON: {e}")),
                Ok(json) => match b.pointer("/content/application~1json/schema") {
                    Some(schema) => self.check(schema, &json, "body", &mut out),
                    None => out.push(format!("{method} {template} takes no JSON body")),
                },
            },
        }
        out
    }

    /// The template matching `path` (most literal segments win: `/2/users/me` over
    /// `/2/users/{id}`), its path item and the parameter values.
    fn find_path(&self, path: &str) -> Option<Matched<'_>> {
        let segs: Vec<&str> = path.split('/').collect();
        let mut best: Option<Matched<'_>> = None;
        for (template, item) in self.doc["paths"].as_object()? {
            let t: Vec<&str> = template.split('/').collect();
            if t.len() != segs.len() {
                continue;
            }
            let mut params = Vec::new();
            let mut literal = 0;
            let fits = t.iter().zip(&segs).all(|(t, s)| {
                match t.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
                    Some(name) => {
                        params.push((name.to_string(), s.to_string()));
                        !s.is_empty()
                    }
                    None => {
                        literal += 1;
                        t == s
                    }
                }
            });
            if fits && best.as_ref().is_none_or(|b| literal > b.literal) {
                best = Some(Matched {
                    template: template.clone(),
                    item,
                    params,
                    literal,
                });
            }
        }
        best
    }

    fn resolve<'a>(&'a self, mut v: &'a Value) -> &'a Value {
        for _ in 0..32 {
            match v.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    v = self
                        .doc
                        .pointer(r.trim_start_matches('#'))
                        .unwrap_or_else(|| panic!("dangling $ref {r}"));
                }
                None => return v,
            }
        }
        panic!("$ref chain too long")
    }

    /// Check `value` against `schema`, pushing one line per problem.
    fn check(&self, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
        let schema = self.resolve(schema);
        for (key, need) in [("anyOf", 1..usize::MAX), ("oneOf", 1..2)] {
            if let Some(alts) = schema.get(key).and_then(Value::as_array) {
                let passing = alts
                    .iter()
                    .filter(|alt| {
                        let mut sub = Vec::new();
                        self.check(alt, value, at, &mut sub);
                        sub.is_empty()
                    })
                    .count();
                if !need.contains(&passing) {
                    out.push(format!("{at}: {passing} of the {key} alternatives match"));
                }
            }
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for s in all {
                self.check(s, value, at, out);
            }
        }
        if value.is_null() && schema["nullable"] == true {
            return;
        }
        if let Some(t) = schema.get("type").and_then(Value::as_str) {
            let ok = match t {
                "string" => value.is_string(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                "boolean" => value.is_boolean(),
                "array" => value.is_array(),
                "object" => value.is_object(),
                other => panic!("unknown type {other} in the spec"),
            };
            if !ok {
                out.push(format!("{at}: {value} is not of type {t}"));
                return;
            }
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array) {
            if !options.contains(value) {
                out.push(format!("{at}: {value} is not one of {options:?}"));
            }
        }
        if let Some(s) = value.as_str() {
            let n = s.chars().count() as u64;
            if schema
                .get("minLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| n < m)
            {
                out.push(format!("{at}: shorter than minLength"));
            }
            if schema
                .get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| n > m)
            {
                out.push(format!("{at}: longer than maxLength"));
            }
            if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
                if !full_match(p, s) {
                    out.push(format!("{at}: {s:?} does not match {p}"));
                }
            }
        }
        if let Some(items) = value.as_array() {
            let n = items.len() as u64;
            if schema
                .get("minItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| n < m)
            {
                out.push(format!("{at}: fewer than minItems"));
            }
            if schema
                .get("maxItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| n > m)
            {
                out.push(format!("{at}: more than maxItems"));
            }
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    self.check(item_schema, item, &format!("{at}[{i}]"), out);
                }
            }
        }
        if let Some(obj) = value.as_object() {
            for r in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(name) = r.as_str().filter(|n| !obj.contains_key(*n)) {
                    out.push(format!("{at}: required property {name} is missing"));
                }
            }
            let props = schema.get("properties").and_then(Value::as_object);
            for (k, v) in obj {
                match (
                    props.and_then(|p| p.get(k)),
                    schema.get("additionalProperties"),
                ) {
                    (Some(s), _) => self.check(s, v, &format!("{at}.{k}"), out),
                    (None, Some(Value::Bool(false))) => {
                        out.push(format!("{at}: property {k} is not allowed"))
                    }
                    (None, Some(extra)) if extra.is_object() => {
                        self.check(extra, v, &format!("{at}.{k}"), out)
                    }
                    (None, _) => {}
                }
            }
        }
    }
}

#[test]
fn the_spec_validator_accepts_the_documented_requests_and_refuses_what_x_would() {
    let s = spec();
    let ok = |m: &str, p: &str, q: Option<&str>, b: &Value| {
        let problems = s.problems(m, p, q, b.to_string().as_bytes());
        assert!(problems.is_empty(), "{m} {p}: {problems:?}");
    };
    ok(
        "POST",
        "/2/tweets",
        None,
        &super::fixture("v2_create_post_request.json"),
    );
    ok(
        "POST",
        "/2/tweets",
        None,
        &super::fixture("v2_create_post_reply_request.json"),
    );
    ok(
        "POST",
        "/2/dm_conversations/with/123/messages",
        None,
        &super::fixture("v2_dm_send_request.json"),
    );
    assert!(s
        .problems("GET", "/2/users/me", Some("user.fields=username,name"), b"")
        .is_empty());
    let refused = [
        ("POST", "/2/tweetz", None, json!({"text": "x"})),
        ("DELETE", "/2/users/me", None, json!(null)),
        ("POST", "/2/users/123/likes", None, json!({})),
        ("POST", "/2/users/123/likes", None, json!({"tweet_id": 1})),
        (
            "POST",
            "/2/users/123/likes",
            None,
            json!({"tweet_id": "1", "extra": true}),
        ),
        ("POST", "/2/users/abc/likes", None, json!({"tweet_id": "1"})),
        (
            "POST",
            "/2/tweets",
            None,
            json!({"text": "x", "reply": {"in_reply_to": "1"}}),
        ),
        (
            "POST",
            "/2/tweets",
            None,
            json!({"text": "x", "reply": {"in_reply_to_tweet_id": "x1"}}),
        ),
        (
            "POST",
            "/2/dm_conversations/with/1/messages",
            None,
            json!({}),
        ),
        (
            "POST",
            "/2/dm_conversations/with/1/messages",
            None,
            json!({"text": ""}),
        ),
        ("PUT", "/2/tweets/1/hidden", None, json!({"hidden": "yes"})),
        (
            "GET",
            "/2/users/me",
            Some("user.fields=shoe_size"),
            json!(null),
        ),
        ("GET", "/2/users/me", Some("colour=red"), json!(null)),
        ("POST", "/2/webhooks", None, json!(null)),
    ];
    for (m, p, q, body) in refused {
        let raw = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        assert!(
            !s.problems(m, p, q, &raw).is_empty(),
            "{m} {p} {q:?} {body} passed"
        );
    }
}
