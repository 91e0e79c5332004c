//! End to end: the facebook adapter against a simulated Graph API (wiremock). Webhooks are
//! signed as Meta signs them; every request the simulated Graph receives is checked against
//! Meta's Postman collection (Send API) or the documented Page feed shapes.

mod calls;
mod postman;

use hearken::channels::facebook::FacebookSettings;
use hearken::config::{Secret, Settings};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{spawn_app, Db, TestApp};
use crate::on_both_stores;
use postman::SendApiSpec;

const PAGE: &str = "1000000001";
const APP_SECRET: &str = "fb-app-secret";
const PAGE_TOKEN: &str = "EAApage-token";
const CHANNEL: &str = "northwind-fb";

fn settings(graph: &MockServer) -> FacebookSettings {
    FacebookSettings {
        api_base: graph.uri(),
        page_id: PAGE.into(),
        app_secret: Secret::new(APP_SECRET),
        verify_token: Secret::new("fb-verify-token"),
        page_access_token: Secret::new(PAGE_TOKEN),
        ..FacebookSettings::example(CHANNEL)
    }
}

fn with_facebook(s: &mut Settings, graph: &MockServer) {
    crate::helpers::without_waiting_notice(s);
    s.channels.facebook.push(settings(graph));
}

/// A simulated Graph API that accepts every documented call.
async fn graph() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/v25\.0/\d+/messages$"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"recipient_id": "2001", "message_id": "m_sent"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"/comments$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1_900"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"/likes$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .mount(&server)
        .await;
    server
}

/// POST `body` to the channel's webhook signed with `secret`, as Meta does.
async fn deliver_signed(app: &TestApp, body: &str, signature: Option<&str>) -> reqwest::Response {
    let mut req = app
        .http
        .post(format!("{}/v1/channels/{CHANNEL}/webhook", app.addr))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(sig) = signature {
        req = req.header("x-hub-signature-256", sig);
    }
    req.send().await.expect("request")
}

fn sign(secret: &str, body: &str) -> String {
    let mac = hearken::channels::webhook::hmac_sha256(secret.as_bytes(), &[body.as_bytes()]);
    format!("sha256={}", hex::encode(mac))
}

async fn deliver(app: &TestApp, body: &Value) -> Value {
    let raw = body.to_string();
    let r = deliver_signed(app, &raw, Some(&sign(APP_SECRET, &raw))).await;
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

/// A customer's new comment `comment_id` on Page post `post_id`.
fn comment(comment_id: &str, post_id: &str, text: &str) -> Value {
    json!({"object": "page", "entry": [{"id": PAGE, "time": 1_700_000_000, "changes": [{
        "field": "feed",
        "value": {"from": {"id": "3001", "name": "Jane Doe"}, "post_id": post_id,
                  "comment_id": comment_id, "parent_id": post_id, "created_time": 1_700_000_000,
                  "item": "comment", "verb": "add", "message": text}}]}]})
}

/// A Messenger message `mid` from PSID `psid`.
fn dm(mid: &str, psid: &str, text: &str) -> Value {
    json!({"object": "page", "entry": [{"id": PAGE, "time": 1_700_000_000_000_i64, "messaging": [{
        "sender": {"id": psid}, "recipient": {"id": PAGE}, "timestamp": 1_700_000_000_000_i64,
        "message": {"mid": mid, "text": text}}]}]})
}

/// The Graph calls the server received, each checked against the spec: (method, path, body).
async fn graph_calls(server: &MockServer) -> Vec<(String, String, Value)> {
    let spec = SendApiSpec::load();
    let proof = hex::encode(hearken::channels::webhook::hmac_sha256(
        APP_SECRET.as_bytes(),
        &[PAGE_TOKEN.as_bytes()],
    ));
    let mut calls = Vec::new();
    for r in server.received_requests().await.unwrap_or_default() {
        let (m, p) = (r.method.to_string(), r.url.path().to_string());
        let auth = r.headers.get("authorization").and_then(|v| v.to_str().ok());
        assert_eq!(
            auth,
            Some(format!("Bearer {PAGE_TOKEN}").as_str()),
            "{m} {p}"
        );
        let q: Vec<(String, String)> = r.url.query_pairs().into_owned().collect();
        assert!(
            q.contains(&("appsecret_proof".into(), proof.clone())),
            "{m} {p} {q:?}"
        );
        let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        if p.ends_with("/messages") {
            spec.validate(&m, &p, &body)
                .unwrap_or_else(|e| panic!("{e}"));
        } else {
            feed_call_is_documented(&m, &p, &body, &q);
        }
        calls.push((m, p, body));
    }
    calls
}

/// Page feed calls have no machine-readable spec: the shapes docs/channels/facebook.md lists.
fn feed_call_is_documented(m: &str, p: &str, body: &Value, q: &[(String, String)]) {
    let seg: Vec<&str> = p.trim_start_matches('/').split('/').collect();
    let id = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit() || c == b'_');
    let ok = match (m, seg.as_slice()) {
        ("POST", ["v25.0", obj, "comments"]) => {
            id(obj)
                && body
                    .as_object()
                    .is_some_and(|o| o.len() == 1 && o["message"].is_string())
        }
        ("POST", ["v25.0", obj, "likes"]) => id(obj) && *body == json!({}),
        ("POST", ["v25.0", obj]) => id(obj) && *body == json!({"is_hidden": true}),
        ("GET", ["v25.0", "me"]) => q.contains(&("fields".into(), "id,name".into())),
        ("GET", ["v25.0", page, "subscribed_apps"]) => *page == PAGE,
        ("POST", ["v25.0", page, "subscribed_apps"]) => {
            *page == PAGE && q.iter().any(|(k, _)| k == "subscribed_fields")
        }
        _ => false,
    };
    assert!(ok, "undocumented Graph call: {m} {p} {body}");
}

async fn conversation(app: &TestApp) -> Value {
    let list = app.get("/v1/conversations?limit=5").await;
    let id = list["conversations"][0]["id"]
        .as_i64()
        .expect("a conversation");
    app.get(&format!("/v1/conversations/{id}")).await
}

on_both_stores!(a_messenger_question_is_answered_in_the_conversation);

async fn a_messenger_question_is_answered_in_the_conversation(db: Db) {
    let graph = graph().await;
    let app = spawn_app(db, |s| with_facebook(s, &graph)).await;
    let ack = deliver(&app, &dm("m_100", "2001", "how do I reset my password?")).await;
    assert_eq!(
        (ack["status"].as_str(), ack["event_id"].as_str()),
        (Some("accepted"), Some("m_100"))
    );
    app.drain().await;
    let calls = graph_calls(&graph).await;
    assert_eq!(calls.len(), 1, "{calls:#?}");
    let (m, p, body) = &calls[0];
    assert_eq!(
        (m.as_str(), p.as_str()),
        ("POST", "/v25.0/1000000001/messages")
    );
    // Messenger webhooks carry no name: the greeting's name is the engine's fallback.
    let text = body["message"]["text"].as_str().expect("text");
    let (greeting, rest) = text.split_once(", ").expect("a greeting");
    assert_eq!(
        rest,
        "let's get you back in. Use 'Forgot password' on the sign-in page — the email can \
         take a few minutes, so check your spam folder too. If it still fails, or you think \
         someone else accessed your account, tell me and I'll pass you to our accounts team."
    );
    assert_eq!(
        *body,
        json!({"recipient": {"id": "2001"}, "messaging_type": "RESPONSE",
               "message": {"text": format!("{greeting}, {rest}")}})
    );
    let c = conversation(&app).await;
    assert_eq!(c["conversation"]["owner"], "bot", "{c:#}");
    let sent = app.get("/v1/outbox?status=sent").await;
    assert_eq!(
        sent["actions"].as_array().map(Vec::len),
        Some(1),
        "{sent:#}"
    );
}

#[tokio::test]
async fn a_question_in_a_comment_is_answered_under_that_comment() {
    let graph = graph().await;
    let app = spawn_app(Db::Sqlite, |s| with_facebook(s, &graph)).await;
    deliver(
        &app,
        &comment("5_77", "1000000001_5", "how do I reset my password?"),
    )
    .await;
    app.drain().await;
    let calls = graph_calls(&graph).await;
    assert_eq!(calls.len(), 1, "{calls:#?}");
    let (m, p, body) = &calls[0];
    assert_eq!((m.as_str(), p.as_str()), ("POST", "/v25.0/5_77/comments"));
    assert_eq!(
        *body,
        json!({"message": "Hi Jane Doe, sorry you're locked out! Try 'Forgot password' on the \
            sign-in page, and if that doesn't work, DM us and we'll help. 🔑"})
    );
}

#[tokio::test]
async fn praise_in_a_comment_is_liked() {
    let graph = graph().await;
    let app = spawn_app(Db::Sqlite, |s| with_facebook(s, &graph)).await;
    let praise = "Just got my parcel, you folks are brilliant, love it!";
    deliver(&app, &comment("5_78", "1000000001_5", praise)).await;
    app.drain().await;
    let calls = graph_calls(&graph).await;
    assert!(
        calls
            .iter()
            .any(|(m, p, _)| m == "POST" && p == "/v25.0/5_78/likes"),
        "{calls:#?}"
    );
}

#[tokio::test]
async fn a_complaint_in_a_comment_is_escalated_with_a_short_public_acknowledgement_only() {
    let graph = graph().await;
    let app = spawn_app(Db::Sqlite, |s| with_facebook(s, &graph)).await;
    let complaint =
        "This is the worst service I have ever had, my complaint has been ignored for weeks";
    deliver(&app, &comment("5_79", "1000000001_5", complaint)).await;
    app.drain().await;
    let c = conversation(&app).await;
    assert_eq!(c["conversation"]["owner"], "queued", "{c:#}");
    assert_eq!(c["conversation"]["skill"], "complaints", "{c:#}");
    let calls = graph_calls(&graph).await;
    assert_eq!(calls.len(), 1, "one acknowledgement, no answer: {calls:#?}");
    let (method, path, body) = &calls[0];
    assert_eq!(
        (method.as_str(), path.as_str()),
        ("POST", "/v25.0/5_79/comments"),
        "a reply under the comment"
    );
    let text = body["message"].as_str().unwrap_or_default();
    assert!(
        text.ends_with(
            "A member of our team will reach out to you by DM shortly to put this right."
        ),
        "{body}"
    );
}

#[tokio::test]
async fn a_rate_limited_reply_waits_for_metas_estimate_then_goes_out() {
    let graph = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v25.0/1000000001/messages"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header(
                    "x-business-use-case-usage",
                    r#"{"1000000001":[{"type":"messenger","call_count":100,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":2}]}"#,
                )
                .set_body_json(json!({"error": {"message": "(#613) Calls to this api have exceeded the rate limit.",
                    "type": "OAuthException", "code": 613, "fbtrace_id": "A1"}})),
        )
        .up_to_n_times(1)
        .mount(&graph)
        .await;
    Mock::given(method("POST"))
        .and(path("/v25.0/1000000001/messages"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"recipient_id": "2001", "message_id": "m_ok"})),
        )
        .mount(&graph)
        .await;
    let app = spawn_app(Db::Sqlite, |s| {
        with_facebook(s, &graph);
        // Long enough to outlast Meta's two-minute estimate.
        s.outbox.retry_for_secs = 600;
    })
    .await;
    deliver(&app, &dm("m_200", "2001", "where is my order?")).await;
    app.drain().await;
    assert_eq!(graph_calls(&graph).await.len(), 1);
    app.clock.advance(chrono::Duration::seconds(60));
    app.drain().await;
    assert_eq!(graph_calls(&graph).await.len(), 1, "Meta said two minutes");
    app.clock.advance(chrono::Duration::seconds(61));
    app.drain().await;
    let calls = graph_calls(&graph).await;
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert_eq!(calls[0].2, calls[1].2, "the same message is sent again");
    let sent = app.get("/v1/outbox?status=sent").await;
    assert_eq!(
        sent["actions"].as_array().map(Vec::len),
        Some(1),
        "{sent:#}"
    );
}

#[tokio::test]
async fn an_expired_page_token_marks_the_channel_unhealthy_and_escalates() {
    let graph = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "Error validating access token: Session has expired.",
            "type": "OAuthException", "code": 190, "error_subcode": 463, "fbtrace_id": "A2"}})))
        .mount(&graph)
        .await;
    let app = spawn_app(Db::Sqlite, |s| with_facebook(s, &graph)).await;
    deliver(&app, &dm("m_300", "2001", "how do I reset my password?")).await;
    app.drain().await;
    let channels = app.get("/v1/channels").await;
    let fb = channels["channels"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["name"] == CHANNEL))
        .expect("listed");
    assert_eq!(fb["platform"], "facebook");
    assert_eq!(fb["inbound"], "webhook");
    assert_eq!(fb["health"]["healthy"], false, "{fb:#}");
    assert!(
        fb["health"]["detail"]
            .as_str()
            .unwrap_or("")
            .contains("190"),
        "{fb:#}"
    );
    let c = conversation(&app).await;
    assert_eq!(c["conversation"]["owner"], "queued", "{c:#}");
    let events = app.get("/v1/events?kind=channel.unhealthy").await;
    assert_eq!(
        events["events"].as_array().map(Vec::len),
        Some(1),
        "{events:#}"
    );
    let dead = app.get("/v1/outbox?status=dead").await;
    assert_eq!(
        dead["actions"].as_array().map(Vec::len),
        Some(1),
        "{dead:#}"
    );
    assert_eq!(
        graph_calls(&graph).await.len(),
        1,
        "no retry with a dead token"
    );
}

#[tokio::test]
async fn a_redelivered_webhook_is_one_message_and_one_reply() {
    let graph = graph().await;
    let app = spawn_app(Db::Sqlite, |s| with_facebook(s, &graph)).await;
    let body = dm("m_400", "2001", "how do I reset my password?");
    assert_eq!(deliver(&app, &body).await["status"], "accepted");
    assert_eq!(deliver(&app, &body).await["status"], "duplicate");
    app.drain().await;
    assert_eq!(deliver(&app, &body).await["status"], "duplicate");
    app.drain().await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages WHERE direction = 'in'")
            .await,
        1
    );
    assert_eq!(graph_calls(&graph).await.len(), 1);
}

fn rejected(channels: &Value) -> u64 {
    channels["channels"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["name"] == CHANNEL))
        .and_then(|c| c["health"]["rejected_requests"].as_u64())
        .unwrap_or(0)
}

#[tokio::test]
async fn forged_truncated_missing_and_legacy_signatures_get_401_and_store_nothing() {
    let vector: Value = serde_json::from_str(
        &std::fs::read_to_string(
            crate::helpers::root()
                .join("tests/fixtures/facebook/x_hub_signature_256_test_vector.json"),
        )
        .expect("vector"),
    )
    .expect("json");
    let graph = graph().await;
    let app = spawn_app(Db::Sqlite, |s| {
        let mut fb = settings(&graph);
        fb.app_secret = Secret::new(vector["app_secret"].as_str().expect("secret"));
        fb.page_id = "<PAGE_ID>".into();
        s.channels.facebook.push(fb);
    })
    .await;
    let body = vector["raw_body"].as_str().expect("body");
    let good = vector["expected_header_value"].as_str().expect("header");
    let forged = sign("not-the-app-secret", body);
    let truncated = &good[..good.len() - 8];
    for sig in [Some(forged.as_str()), Some(truncated), None] {
        let r = deliver_signed(&app, body, sig).await;
        assert_eq!(r.status(), 401, "{sig:?}");
    }
    let legacy = app
        .http
        .post(format!("{}/v1/channels/{CHANNEL}/webhook", app.addr))
        .header(
            "x-hub-signature",
            "sha1=0b2e9e3e4a0a2f1e2d3c4b5a69788796a5b4c3d2",
        )
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    assert_eq!(legacy.status(), 401);
    let altered = body.replace("hello, world!", "hello, world?");
    assert_eq!(
        deliver_signed(&app, &altered, Some(good)).await.status(),
        401
    );
    let inbox = app.get("/v1/inbox").await;
    assert_eq!(
        inbox["events"].as_array().map(Vec::len),
        Some(0),
        "{inbox:#}"
    );
    assert_eq!(rejected(&app.get("/v1/channels").await), 5);
    // The published vector itself is accepted.
    let r = deliver_signed(&app, body, Some(good)).await;
    assert_eq!(r.status(), 200);
    let inbox = app.get("/v1/inbox").await;
    assert_eq!(
        inbox["events"].as_array().map(Vec::len),
        Some(1),
        "{inbox:#}"
    );
}

#[tokio::test]
async fn the_subscription_handshake_answers_only_the_right_verify_token() {
    let graph = graph().await;
    let app = spawn_app(Db::Sqlite, |s| with_facebook(s, &graph)).await;
    let get = |query: &'static str| {
        let url = format!("{}/v1/channels/{CHANNEL}/webhook?{query}", app.addr);
        let http = app.http.clone();
        async move { http.get(url).send().await.expect("request") }
    };
    let ok =
        get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=fb-verify-token").await;
    assert_eq!(ok.status(), 200);
    let ct = ok.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .to_string();
    assert!(ct.starts_with("text/plain"), "{ct}");
    assert_eq!(ok.text().await.unwrap_or_default(), "1158201444");
    let wrong = get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess").await;
    assert_eq!(wrong.status(), 403);
    let missing = get("hub.mode=subscribe").await;
    assert_eq!(missing.status(), 400);
    assert_eq!(rejected(&app.get("/v1/channels").await), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM inbox").await, 0);
}
