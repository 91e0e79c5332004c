//! A validator for Telegram's machine-readable Bot API description (`bot-api-spec.json`): a
//! request names a method that exists, sends every required field, no unknown one, and each
//! value has the spec's type (Integer, String, Boolean, Float, `Array of X`, object types by
//! name, unions through their `subtypes` with the `always "x"` discriminator).

use std::sync::OnceLock;

use serde_json::Value;

pub struct Spec {
    doc: Value,
}

/// The spec, read once per test process.
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = crate::helpers::root().join("tests/fixtures/telegram/bot-api-spec.json");
        let raw = std::fs::read(&path).expect("the Bot API spec fixture");
        Spec {
            doc: serde_json::from_slice(&raw).expect("the spec is JSON"),
        }
    })
}

impl Spec {
    /// Every problem with calling `method` with `body`; empty when it is valid.
    pub fn check_request(&self, method: &str, body: &Value) -> Vec<String> {
        let Some(m) = self.doc["methods"].get(method) else {
            return vec![format!("no method {method:?} in the Bot API")];
        };
        let mut problems = Vec::new();
        self.check_fields(m, body, method, &mut problems);
        problems
    }

    /// An object against a method's or a type's `fields`.
    fn check_fields(&self, def: &Value, v: &Value, path: &str, out: &mut Vec<String>) {
        let Some(obj) = v.as_object() else {
            out.push(format!("{path}: expected an object, got {v}"));
            return;
        };
        let fields = def["fields"].as_array().cloned().unwrap_or_default();
        for f in &fields {
            let name = f["name"].as_str().unwrap_or_default();
            if f["required"] == true && !obj.contains_key(name) {
                out.push(format!("{path}.{name}: required but missing"));
            }
        }
        for (key, value) in obj {
            let Some(f) = fields.iter().find(|f| f["name"] == key.as_str()) else {
                out.push(format!("{path}.{key}: not a field of {}", def["name"]));
                continue;
            };
            let here = format!("{path}.{key}");
            let types: Vec<&str> = f["types"]
                .as_array()
                .map(|t| t.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if !types
                .iter()
                .any(|t| self.matches(t, value, &here).is_empty())
            {
                let why: Vec<String> = types
                    .iter()
                    .flat_map(|t| self.matches(t, value, &here))
                    .collect();
                out.push(format!("{here}: not any of {types:?}: {}", why.join("; ")));
            }
            // `type` fields say `always "emoji"`: the discriminator of a union's member.
            let description = f["description"].as_str().unwrap_or_default();
            if let Some(rest) = description.split("always \"").nth(1) {
                let fixed = rest.split('"').next().unwrap_or_default();
                if value.as_str() != Some(fixed) {
                    out.push(format!("{here}: must be {fixed:?}, is {value}"));
                }
            }
        }
    }

    /// Problems with `v` as spec type `ty`; empty when it matches.
    fn matches(&self, ty: &str, v: &Value, path: &str) -> Vec<String> {
        let ok = |b: bool| {
            if b {
                Vec::new()
            } else {
                vec![format!("{path}: {v} is not {ty}")]
            }
        };
        if let Some(item) = ty.strip_prefix("Array of ") {
            let Some(items) = v.as_array() else {
                return ok(false);
            };
            return items
                .iter()
                .enumerate()
                .flat_map(|(i, x)| self.matches(item, x, &format!("{path}[{i}]")))
                .collect();
        }
        match ty {
            "Integer" => ok(v.is_i64() || v.is_u64()),
            "Float" => ok(v.is_number()),
            "String" => ok(v.is_string()),
            "Boolean" => ok(v.is_boolean()),
            "True" => ok(v == &Value::Bool(true)),
            name => match self.doc["types"].get(name) {
                None => vec![format!("{path}: unknown type {name}")],
                Some(def) => match def["subtypes"].as_array() {
                    Some(subs) => {
                        let subs: Vec<&str> = subs.iter().filter_map(Value::as_str).collect();
                        if subs.iter().any(|s| self.matches(s, v, path).is_empty()) {
                            Vec::new()
                        } else {
                            vec![format!("{path}: {v} is none of {name}'s kinds {subs:?}")]
                        }
                    }
                    None => {
                        let mut out = Vec::new();
                        self.check_fields(def, v, path, &mut out);
                        out
                    }
                },
            },
        }
    }
}

#[test]
fn the_spec_validator_accepts_the_documented_requests_and_catches_each_kind_of_mistake() {
    use serde_json::json;
    let s = spec();
    let fixture = |name: &str| -> Value {
        let raw = std::fs::read(
            crate::helpers::root()
                .join("tests/fixtures/telegram")
                .join(name),
        )
        .expect("fixture");
        serde_json::from_slice(&raw).expect("json")
    };
    assert_eq!(
        s.check_request("sendMessage", &fixture("sendMessage_request.json")),
        Vec::<String>::new()
    );
    assert_eq!(
        s.check_request("setWebhook", &fixture("setWebhook_request.json")),
        Vec::<String>::new()
    );
    let reaction =
        json!({"chat_id": -100, "message_id": 3, "reaction": [{"type": "emoji", "emoji": "👍"}]});
    assert_eq!(
        s.check_request("setMessageReaction", &reaction),
        Vec::<String>::new()
    );
    let mistakes = [
        (
            "sendMesage",
            json!({"chat_id": 1, "text": "x"}),
            "no method",
        ),
        (
            "sendMessage",
            json!({"chat_id": 1}),
            "sendMessage.text: required",
        ),
        (
            "sendMessage",
            json!({"chat_id": 1, "text": "x", "reply_to_message_id": 3}),
            "not a field",
        ),
        (
            "sendMessage",
            json!({"chat_id": true, "text": "x"}),
            "chat_id: not any of",
        ),
        (
            "sendMessage",
            json!({"chat_id": 1, "text": "x", "reply_parameters": {"message_id": "3"}}),
            "reply_parameters.message_id",
        ),
        (
            "sendMessage",
            json!({"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [{"text": "a"}]}}),
            "reply_markup",
        ),
        (
            "setMessageReaction",
            json!({"chat_id": 1, "message_id": 3, "reaction": [{"type": "emoij", "emoji": "👍"}]}),
            "none of ReactionType",
        ),
        (
            "setMessageReaction",
            json!({"chat_id": 1, "message_id": 3, "reaction": {"type": "emoji", "emoji": "👍"}}),
            "reaction",
        ),
    ];
    for (method, body, want) in mistakes {
        let problems = s.check_request(method, &body);
        assert!(
            problems.iter().any(|p| p.contains(want)),
            "{method} {body}: {problems:?} should mention {want:?}"
        );
    }
}
