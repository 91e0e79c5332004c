//! Test-only validators for Slack's published specs: a Web API request against the OpenAPI 2.0
//! spec (`slack_web_openapi_v2.json`), and a JSON value against a draft-07 JSON Schema subset
//! (`slack_common_event_wrapper_schema.json`). Shared by the unit tests and `tests/api` (which
//! includes this file by path), so it depends on serde_json only.
#![allow(dead_code)] // each includer uses its part

use serde_json::{Map, Value};

/// One captured HTTP request, as the validator needs it.
pub struct Request<'a> {
    pub method: &'a str,
    /// The URL path, e.g. `/api/chat.postMessage`.
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    pub content_type: Option<&'a str>,
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
}

pub struct WebApiSpec {
    doc: Value,
}

impl WebApiSpec {
    pub fn load(path: &std::path::Path) -> Self {
        let text = std::fs::read_to_string(path).expect("the spec fixture is readable");
        Self {
            doc: serde_json::from_str(&text).expect("the spec is JSON"),
        }
    }

    /// Every way `req` departs from the spec; empty when it conforms.
    pub fn violations(&self, req: &Request<'_>) -> Vec<String> {
        let mut out = Vec::new();
        let base = self.doc["basePath"].as_str().unwrap_or("");
        let Some(method_path) = req.path.strip_prefix(base) else {
            return vec![format!("{} is not under the base path {base}", req.path)];
        };
        let verb = req.method.to_ascii_lowercase();
        let Some(op) = self.doc["paths"][method_path].get(&verb) else {
            let known = self.doc["paths"].get(method_path).is_some();
            return vec![if known {
                format!("{method_path} has no {verb} operation")
            } else {
                format!("{method_path} is not a Web API method")
            }];
        };
        if let Some(ct) = req.content_type {
            let mime = ct.split(';').next().unwrap_or("").trim();
            let consumes = op["consumes"].as_array().cloned().unwrap_or_default();
            if !consumes.iter().any(|c| c.as_str() == Some(mime)) {
                out.push(format!(
                    "{method_path}: content type {mime} not in {consumes:?}"
                ));
            }
        }
        let fields = match request_fields(req) {
            Ok(f) => f,
            Err(e) => return vec![format!("{method_path}: {e}")],
        };
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        for p in &params {
            let name = p["name"].as_str().unwrap_or("");
            let required = p["required"].as_bool().unwrap_or(false);
            if name == "token" {
                // The token travels as `Authorization: Bearer`, never in the body.
                let bearer = req
                    .authorization
                    .and_then(|a| a.strip_prefix("Bearer "))
                    .is_some_and(|t| !t.is_empty());
                if required && !bearer {
                    out.push(format!("{method_path}: no Authorization: Bearer token"));
                }
                continue;
            }
            match fields.get(name) {
                None if required => out.push(format!("{method_path}: missing required {name}")),
                None => {}
                Some(v) => {
                    let ty = p["type"].as_str().unwrap_or("string");
                    if !has_type(v, ty) {
                        out.push(format!("{method_path}: {name} should be {ty}, is {v}"));
                    }
                }
            }
        }
        for name in fields.keys() {
            if name == "token" {
                out.push(format!(
                    "{method_path}: the token must not travel in the body"
                ));
            } else if !params.iter().any(|p| p["name"] == name.as_str()) {
                out.push(format!(
                    "{method_path}: {name} is not a parameter of this method"
                ));
            }
        }
        out
    }
}

/// The request's parameters: the JSON body's fields, or form fields, plus the query.
fn request_fields(req: &Request<'_>) -> Result<Map<String, Value>, String> {
    let mut fields = Map::new();
    for (k, v) in form_pairs(req.query) {
        fields.insert(k, Value::String(v));
    }
    let mime = req
        .content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("");
    if req.body.is_empty() {
        return Ok(fields);
    }
    if mime.trim() == "application/json" {
        let body: Value = serde_json::from_slice(req.body).map_err(|e| format!("body: {e}"))?;
        let obj = body.as_object().ok_or("the JSON body is not an object")?;
        fields.extend(obj.clone());
    } else {
        let text = std::str::from_utf8(req.body).map_err(|e| e.to_string())?;
        for (k, v) in form_pairs(text) {
            fields.insert(k, Value::String(v));
        }
    }
    Ok(fields)
}

fn form_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// JSON values for OpenAPI 2.0 types; form and query values are strings to be read as such.
fn has_type(v: &Value, ty: &str) -> bool {
    match (ty, v) {
        ("string", Value::String(_)) => true,
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
        ("integer", Value::String(s)) => s.parse::<i64>().is_ok(),
        ("number", Value::Number(_)) => true,
        ("number", Value::String(s)) => s.parse::<f64>().is_ok(),
        ("boolean", Value::Bool(_)) => true,
        ("boolean", Value::String(s)) => matches!(s.as_str(), "true" | "false" | "1" | "0"),
        _ => false,
    }
}

/// A draft-07 subset: `type`, `required`, `properties`, `additionalProperties: false`, `items`,
/// `minItems`, `uniqueItems`. Returns every violation with its JSON pointer.
pub fn schema_violations(schema: &Value, value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    check_schema(schema, value, "", &mut out);
    out
}

fn check_schema(schema: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(ty) = schema["type"].as_str() {
        let ok = match ty {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.as_i64().is_some() || v.as_u64().is_some(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => true,
        };
        if !ok {
            out.push(format!("{at}: expected {ty}, got {v}"));
            return;
        }
    }
    if let Some(obj) = v.as_object() {
        for r in schema["required"].as_array().into_iter().flatten() {
            let key = r.as_str().unwrap_or("");
            if !obj.contains_key(key) {
                out.push(format!("{at}/{key}: required but missing"));
            }
        }
        let props = schema["properties"].as_object();
        for (k, child) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => check_schema(s, child, &format!("{at}/{k}"), out),
                None if schema["additionalProperties"] == Value::Bool(false) => {
                    out.push(format!("{at}/{k}: not allowed"))
                }
                None => {}
            }
        }
    }
    if let Some(items) = v.as_array() {
        if let Some(min) = schema["minItems"].as_u64() {
            if (items.len() as u64) < min {
                out.push(format!("{at}: fewer than {min} items"));
            }
        }
        if schema["uniqueItems"] == Value::Bool(true) {
            for (i, a) in items.iter().enumerate() {
                if items.iter().skip(i + 1).any(|b| a == b) {
                    out.push(format!("{at}/{i}: not unique"));
                }
            }
        }
        if schema.get("items").is_some_and(Value::is_object) {
            for (i, item) in items.iter().enumerate() {
                check_schema(&schema["items"], item, &format!("{at}/{i}"), out);
            }
        }
    }
}
