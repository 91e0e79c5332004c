//! The simulated Bot API and the helpers the Telegram end-to-end tests share: deliveries with
//! the secret token, and the captured calls, each checked against the spec.

use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::spec;
use crate::helpers::{root, TestApp};
use hearken::channels::telegram::TelegramSettings;
use hearken::config::Settings;

pub fn example() -> TelegramSettings {
    TelegramSettings::example("tg")
}

pub fn token() -> String {
    example().bot_token.expose().to_string()
}

pub fn secret() -> String {
    example().secret_token.expose().to_string()
}

/// Answers every Bot API method as Telegram does on success.
pub struct BotApi;

impl Respond for BotApi {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let result = match req.url.path().rsplit('/').next().unwrap_or_default() {
            "sendMessage" => json!({"message_id": 9001, "date": 1_700_000_000,
                "chat": {"id": body["chat_id"], "type": "private"}, "text": body["text"]}),
            "getMe" => json!({"id": 123456789, "is_bot": true, "first_name": "Northwind",
                "username": "northwind_bot", "can_join_groups": true,
                "can_read_all_group_messages": false, "supports_inline_queries": false}),
            "getWebhookInfo" => json!({"url": "https://hearken.example/v1/channels/tg/webhook",
                "has_custom_certificate": false, "pending_update_count": 3,
                "last_error_date": 1_700_000_000, "last_error_message": "Connection refused",
                "max_connections": 40, "allowed_updates": ["message", "edited_message", "callback_query", "channel_post"]}),
            _ => json!(true),
        };
        ResponseTemplate::new(200).set_body_json(json!({"ok": true, "result": result}))
    }
}

pub async fn bot_api() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/bot[^/]+/[A-Za-z]+$"))
        .respond_with(BotApi)
        .mount(&server)
        .await;
    server
}

/// A Bot API failure for `method`, answered before the success responder.
pub async fn failing(server: &MockServer, bot_method: &str, status: u16, body: Value, times: u64) {
    Mock::given(method("POST"))
        .and(path(format!("/bot{}/{bot_method}", token())))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
}

pub fn with_telegram(s: &mut Settings, server: &MockServer) {
    crate::helpers::without_waiting_notice(s);
    s.channels.telegram.push(TelegramSettings {
        api_base: server.uri(),
        ..example()
    });
}

/// The Bot API calls the server received, in order; each one is checked against the spec and
/// must carry the bot's token in its path.
pub async fn calls(server: &MockServer) -> Vec<(String, Value)> {
    let prefix = format!("/bot{}/", token());
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let method = r
                .url
                .path()
                .strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("{} is not under {prefix}", r.url.path()))
                .to_string();
            let body: Value = serde_json::from_slice(&r.body).expect("a JSON body");
            let problems = spec::spec().check_request(&method, &body);
            assert!(problems.is_empty(), "{method} {body}: {problems:#?}");
            (method, body)
        })
        .collect()
}

pub fn fixture(name: &str) -> Value {
    let raw = std::fs::read(root().join("tests/fixtures/telegram").join(name)).expect("fixture");
    serde_json::from_slice(&raw).expect("json")
}

/// Telegram's documented private message, saying `text`.
pub fn private_message(update_id: i64, text: &str) -> Value {
    let mut u = fixture("update_message_text.json");
    u["update_id"] = json!(update_id);
    u["message"]["text"] = json!(text);
    u
}

/// A message in a supergroup (constructed from the same documented fields).
pub fn group_message(update_id: i64, message_id: i64, text: &str) -> Value {
    json!({"update_id": update_id, "message": {"message_id": message_id, "date": 1_700_000_000,
        "chat": {"id": -1001234, "type": "supergroup", "title": "Northwind fans"},
        "from": {"id": 42, "is_bot": false, "first_name": "Jane", "last_name": "Doe", "username": "jane"},
        "text": text}})
}

pub async fn deliver(app: &TestApp, update: &Value, secret: Option<&str>) -> reqwest::Response {
    let mut req = app
        .http
        .post(format!("{}/v1/channels/tg/webhook", app.addr))
        .header("content-type", "application/json")
        .body(update.to_string());
    if let Some(s) = secret {
        req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
    }
    req.send().await.expect("request")
}

pub async fn conversation(app: &TestApp, thread: &str) -> Value {
    let list = app.get("/v1/conversations?limit=50").await;
    let found = list["conversations"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["thread_key"] == thread))
        .unwrap_or_else(|| panic!("no conversation {thread}: {list:#}"));
    app.get(&format!("/v1/conversations/{}", found["id"])).await
}

pub fn bot_texts(c: &Value) -> Vec<String> {
    c["messages"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .filter(|m| m["direction"] == "out")
                .filter_map(|m| m["text"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}
