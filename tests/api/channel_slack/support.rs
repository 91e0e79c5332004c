//! The simulated Slack and the deliveries it makes: signed Events API requests built on the
//! documented payloads, and the Web API calls it received, each checked against the spec.

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::spec_check;
use crate::helpers::{root, TestApp};
use hearken::channels::slack::SlackSettings;
use hearken::channels::webhook::hmac_sha256;
use hearken::config::{Secret, Settings};

pub(super) const SIGNING_SECRET: &str = "e2e-signing-secret";
pub(super) const CHANNEL: &str = "C123ABC456";

pub(super) fn fixture(name: &str) -> Value {
    let path = root().join("tests/fixtures/slack").join(name);
    serde_json::from_slice(&std::fs::read(&path).expect("fixture")).expect("json")
}

pub(super) fn with_slack(s: &mut Settings, slack: &MockServer) {
    crate::helpers::without_waiting_notice(s);
    let mut c = SlackSettings::example("acme-slack");
    c.api_base = format!("{}/api", slack.uri());
    c.signing_secret = Secret::new(SIGNING_SECRET);
    c.bot_token = Secret::new("xoxb-e2e-token");
    c.bot_user_id = Some("U0LAN0Z89".into());
    s.channels.slack.push(c);
}

/// A Slack that answers every call this adapter makes.
pub(super) async fn slack() -> MockServer {
    let server = MockServer::start().await;
    for (web_method, body) in [
        (
            "chat.postMessage",
            json!({"ok": true, "channel": CHANNEL, "ts": "1700000099.000100"}),
        ),
        ("reactions.add", json!({"ok": true})),
        (
            "conversations.open",
            json!({"ok": true, "channel": {"id": "D024BE91L"}}),
        ),
    ] {
        Mock::given(method("POST"))
            .and(path(format!("/api/{web_method}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    server
}

/// An `app_mention` delivery (the documented payload) carrying `text` at `ts`.
pub(super) fn mention(ts: &str, text: &str) -> Value {
    let mut m = fixture("event_app_mention.json");
    m["event"]["ts"] = json!(ts);
    m["event"]["event_ts"] = json!(ts);
    m["event"]["text"] = json!(format!("<@U0LAN0Z89> {text}"));
    m
}

/// The same message as `message.channels` delivers it, with its own Slack event id.
pub(super) fn channel_message(ts: &str, text: &str) -> Value {
    let mut m = mention(ts, text);
    m["event"]["type"] = json!("message");
    m["event"]["channel_type"] = json!("channel");
    m["event_id"] = json!(format!("Ev-msg-{ts}"));
    m
}

pub(super) fn direct_message(ts: &str, text: &str) -> Value {
    let mut m = fixture("event_message_im.json");
    m["event"]["ts"] = json!(ts);
    m["event"]["text"] = json!(text);
    m
}

pub(super) fn slack_signature(secret: &str, ts: i64, body: &str) -> String {
    // The scheme is checked against Slack's published example in the unit tests.
    let mac = hmac_sha256(secret.as_bytes(), &[format!("v0:{ts}:{body}").as_bytes()]);
    format!("v0={}", hex::encode(mac))
}

pub(super) async fn post_raw(
    app: &TestApp,
    headers: &[(&str, String)],
    body: &str,
) -> reqwest::Response {
    let mut req = app
        .http
        .post(format!("{}/v1/channels/acme-slack/webhook", app.addr))
        .header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    req.body(body.to_string()).send().await.expect("request")
}

/// Deliver `payload` as Slack does: signed now; `retry` adds `X-Slack-Retry-Num`.
pub(super) async fn deliver(app: &TestApp, payload: &Value, retry: Option<u32>) -> Value {
    let body = payload.to_string();
    let now = chrono::Utc::now().timestamp();
    let mut headers = vec![
        ("x-slack-request-timestamp", now.to_string()),
        (
            "x-slack-signature",
            slack_signature(SIGNING_SECRET, now, &body),
        ),
    ];
    if let Some(n) = retry {
        headers.push(("x-slack-retry-num", n.to_string()));
        headers.push(("x-slack-retry-reason", "http_timeout".into()));
    }
    let r = post_raw(app, &headers, &body).await;
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

/// (Web API method, JSON body) of every call Slack received, each checked against the spec.
pub(super) async fn calls(server: &MockServer) -> Vec<(String, Value)> {
    let spec = spec_check::WebApiSpec::load(
        &root().join("tests/fixtures/slack/slack_web_openapi_v2.json"),
    );
    let reqs = server.received_requests().await.unwrap_or_default();
    reqs.iter()
        .map(|r| {
            let header = |n: &str| r.headers.get(n).and_then(|v| v.to_str().ok());
            let violations = spec.violations(&spec_check::Request {
                method: r.method.as_str(),
                path: r.url.path(),
                query: r.url.query().unwrap_or(""),
                content_type: header("content-type"),
                authorization: header("authorization"),
                body: &r.body,
            });
            assert_eq!(violations, Vec::<String>::new(), "{} {}", r.method, r.url);
            assert_eq!(header("authorization"), Some("Bearer xoxb-e2e-token"));
            let name = r.url.path().trim_start_matches("/api/").to_string();
            (name, serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        })
        .collect()
}

pub(super) fn of<'a>(calls: &'a [(String, Value)], web_method: &str) -> Vec<&'a Value> {
    calls
        .iter()
        .filter(|(m, _)| m == web_method)
        .map(|(_, b)| b)
        .collect()
}

/// This channel's row in `GET /v1/channels`.
pub(super) async fn our_channel(app: &TestApp) -> Value {
    let channels = app.get("/v1/channels").await;
    channels["channels"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["name"] == "acme-slack")
        .expect("listed")
        .clone()
}
