//! The simulated platform behind the API channel `crm`: signed events in (`post_api`), and a
//! wiremock server that answers and records every action hearken sends (`received`). Shared by
//! the API and the browser test binaries.

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::TestApp;
use hearken::channels::api::ApiChannelSettings;
use hearken::config::{Secret, Settings};

pub const SECRET: &str = "crm-shared-secret";

pub fn with_api_channel(s: &mut Settings, platform: &MockServer) {
    s.channels.api.push(ApiChannelSettings {
        name: "crm".into(),
        secret: Secret::new(SECRET),
        outbound_url: format!("{}/actions", platform.uri()),
        monitor: Default::default(),
    });
}

/// POST a signed event to the API channel.
pub async fn post_api(app: &TestApp, body: &Value, secret: &str) -> reqwest::Response {
    let raw = body.to_string();
    let sig = hearken::signature::sign(secret, chrono::Utc::now().timestamp(), raw.as_bytes());
    app.http
        .post(format!("{}/v1/channels/crm/webhook", app.addr))
        .header("x-hearken-signature", sig)
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap()
}

pub fn event(id: &str, visibility: &str, thread: &str, handle: &str, text: &str) -> Value {
    json!({"event_id": id, "visibility": visibility, "thread_id": thread,
           "author": {"handle": handle, "name": "Dana Scully"}, "text": text})
}

pub async fn platform() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/actions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "p-1"})))
        .mount(&server)
        .await;
    server
}

/// The actions the simulated platform received, by kind.
pub async fn received(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/actions")
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
        .collect()
}
