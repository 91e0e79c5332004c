//! The simulated Mastodon instance (wiremock): our account, a notification history hearken must
//! not replay, pages of mentions after a cursor, and the status endpoints answering with the
//! documented responses (tests/fixtures/mastodon).

use hearken::channels::mastodon::MastodonSettings;
use hearken::config::{Secret, Settings};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const CHANNEL: &str = "masto";
pub const TOKEN: &str = "masto-access-token";
/// Our account on the instance.
pub const ME: &str = "109000000000000001";
/// The newest mention before hearken started: history, not to be replayed.
pub const HISTORY: &str = "100";
/// The id in `statuses_create_response.json`: every status hearken posts gets it.
pub const POSTED: &str = "103254962155278888";

pub fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/mastodon/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("json")
}

pub struct Customer {
    pub id: &'static str,
    pub acct: &'static str,
    pub display: &'static str,
}

pub const DANA: Customer = Customer {
    id: "301",
    acct: "dana@example.social",
    display: "Dana Scully",
};
pub const FOX: Customer = Customer {
    id: "302",
    acct: "fox",
    display: "Fox Mulder",
};

/// A public mention of us, shaped like the documented notification
/// (notifications_list_response.json), replying to nothing.
pub fn mention(id: &str, status_id: &str, who: &Customer, text: &str) -> Value {
    let mut n = fixture("notifications_list_response.json")[0].clone();
    let account = json!({
        "id": who.id, "username": who.acct.split('@').next(), "acct": who.acct,
        "display_name": who.display,
    });
    n["id"] = json!(id);
    n["account"] = account.clone();
    let s = &mut n["status"];
    s["id"] = json!(status_id);
    s["in_reply_to_id"] = Value::Null;
    s["in_reply_to_account_id"] = Value::Null;
    s["visibility"] = json!("public");
    s["account"] = account;
    s["content"] = json!(format!(
        "<p><span class=\"h-card\"><a href=\"https://masto.example/@northwind\" class=\"u-url mention\">@<span>northwind</span></a></span> {text}</p>"
    ));
    s["mentions"] = json!([{"id": ME, "username": "northwind", "url": "https://masto.example/@northwind", "acct": "northwind"}]);
    n
}

pub async fn instance() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts/verify_credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": ME, "username": "northwind", "acct": "northwind",
            "display_name": "Northwind Goods", "url": "https://masto.example/@northwind"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/notifications"))
        .and(query_param_is_missing("min_id"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([mention(
            HISTORY,
            "200",
            &FOX,
            "an old question nobody should answer again"
        )])))
        .with_priority(1)
        .mount(&server)
        .await;
    // Nothing newer than any other cursor.
    Mock::given(method("GET"))
        .and(path("/api/v1/notifications"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .with_priority(10)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("statuses_create_response.json")),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/api/v1/statuses/[0-9]+/favourite$"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("statuses_favourite_response.json")),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/api/v1/statuses/[0-9]+/reblog$"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("statuses_reblog_response.json")),
        )
        .mount(&server)
        .await;
    server
}

/// The instance answers `GET /api/v1/notifications?min_id=<min_id>` with `page` (newest
/// first, as Mastodon does).
pub async fn page_after(server: &MockServer, min_id: &str, page: Vec<Value>) {
    Mock::given(method("GET"))
        .and(path("/api/v1/notifications"))
        .and(query_param("min_id", min_id))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(page)))
        .with_priority(1)
        .mount(server)
        .await;
}

pub fn settings(server: &MockServer) -> MastodonSettings {
    MastodonSettings {
        api_base: server.uri(),
        access_token: Secret::new(TOKEN),
        ..MastodonSettings::example(CHANNEL)
    }
}

pub fn configure(s: &mut Settings, server: &MockServer) {
    crate::helpers::without_waiting_notice(s);
    s.channels.mastodon.push(settings(server));
}

/// The requests the instance received for `verb path`.
pub async fn requests(server: &MockServer, verb: &str, p: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == p)
        .collect()
}

/// The bodies of the statuses hearken posted.
pub async fn posted(server: &MockServer) -> Vec<Value> {
    requests(server, "POST", "/api/v1/statuses")
        .await
        .iter()
        .map(|r| serde_json::from_slice(&r.body).expect("a JSON body"))
        .collect()
}

pub fn idempotency_key(r: &Request) -> Option<String> {
    r.headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(String::from)
}
