//! End to end: the x adapter against a simulated x server. Deliveries are signed Account
//! Activity payloads built from the official fixtures; every request the simulated X receives is
//! checked against the official OpenAPI spec.

mod direct;
mod pattern;
mod spec;

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::helpers::{root, spawn_app, Db, TestApp};
use crate::on_both_stores;
use hearken::channels::x::{sign, XSettings, SIGNATURE_HEADER};
use hearken::config::Secret;

/// Our account (@XDevelopers in the fixtures) and a customer (@furiouscamper).
const OURS: &str = "2244994945";
const CUSTOMER: &str = "3001969357";
const CONSUMER_SECRET: &str = "example_consumer_secret";
const USER_TOKEN: &str = "user-token-0123";

fn fixture(name: &str) -> Value {
    let raw = std::fs::read(root().join("tests/fixtures/x").join(name)).expect("fixture");
    serde_json::from_slice(&raw).expect("fixture JSON")
}

fn x_settings(server: &MockServer) -> XSettings {
    let mut s = XSettings::example("x");
    s.api_base = server.uri();
    s.consumer_secret = Secret::new(CONSUMER_SECRET);
    s.user_token = Secret::new(USER_TOKEN);
    s.user_id = OURS.into();
    s
}

/// Created posts get increasing ids, as X would give them.
struct Posts(AtomicU64);

impl Respond for Posts {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        ResponseTemplate::new(201).set_body_json(json!({"data": {
            "id": (1445880548472328192u64 + n).to_string(), "text": body["text"]}}))
    }
}

/// A simulated X answering every call hearken makes with its documented success.
async fn x_server() -> MockServer {
    let server = MockServer::start().await;
    let ok = |body: Value| ResponseTemplate::new(200).set_body_json(body);
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(Posts(AtomicU64::new(0)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/2/dm_conversations/with/[0-9]+/messages$"))
        .respond_with(ResponseTemplate::new(201).set_body_json(fixture("v2_dm_send_response.json")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/2/users/[0-9]+/likes$"))
        .respond_with(ok(json!({"data": {"liked": true}})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/2/users/[0-9]+/retweets$"))
        .respond_with(ok(json!({"data": {"retweeted": true, "rest_id": "1999"}})))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path_regex(r"^/2/tweets/[0-9]+/hidden$"))
        .respond_with(ok(json!({"data": {"hidden": true}})))
        .mount(&server)
        .await;
    server
}

/// What X would refuse among the requests it received; it must have received some.
async fn assert_requests_follow_the_spec(server: &MockServer) {
    let requests = server.received_requests().await.unwrap_or_default();
    assert!(!requests.is_empty(), "X received no request");
    let problems: Vec<String> = requests
        .iter()
        .flat_map(|r| {
            spec::spec()
                .problems(r.method.as_str(), r.url.path(), r.url.query(), &r.body)
                .into_iter()
                .map(move |p| format!("{} {}: {p}", r.method, r.url))
        })
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The JSON bodies X received at `path`.
async fn bodies(server: &MockServer, verb: &str, at: &str) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == at)
        .map(|r| serde_json::from_slice(&r.body).expect("JSON body"))
        .collect()
}

/// A customer's mention of our account, as Account Activity delivers it.
fn mention(tweet_id: &str, text: &str) -> Value {
    let mut body = fixture("aaa_tweet_create_events_mention.json");
    body["for_user_id"] = json!(OURS);
    let t = &mut body["tweet_create_events"][0];
    t["id"] = json!(tweet_id.parse::<u64>().unwrap());
    t["id_str"] = json!(tweet_id);
    t["text"] = json!(text);
    for k in [
        "in_reply_to_status_id",
        "in_reply_to_status_id_str",
        "in_reply_to_user_id",
        "in_reply_to_user_id_str",
        "in_reply_to_screen_name",
    ] {
        t[k] = Value::Null;
    }
    t["user"]["id"] = json!(CUSTOMER.parse::<u64>().unwrap());
    t["user"]["id_str"] = json!(CUSTOMER);
    t["user"]["name"] = json!("Jordan Brinks");
    t["user"]["screen_name"] = json!("furiouscamper");
    t["entities"]["urls"] = json!([]);
    t["entities"]["user_mentions"] = json!([{"screen_name": "XDevelopers", "name": "X Dev",
        "id": 2244994945u64, "id_str": OURS, "indices": [0, 12]}]);
    body
}

/// A customer's direct message to our account.
fn direct_message(event_id: &str, text: &str) -> Value {
    let mut body = fixture("aaa_direct_message_events.json");
    body["for_user_id"] = json!(OURS);
    let e = &mut body["direct_message_events"][0];
    e["id"] = json!(event_id);
    e["message_create"]["target"]["recipient_id"] = json!(OURS);
    e["message_create"]["message_data"]["text"] = json!(text);
    body
}

async fn deliver(app: &TestApp, body: &Value) -> reqwest::Response {
    let raw = body.to_string();
    app.http
        .post(format!("{}/v1/channels/x/webhook", app.addr))
        .header(SIGNATURE_HEADER, sign(CONSUMER_SECRET, raw.as_bytes()))
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .expect("request")
}

async fn spawn_with_x(db: Db, server: &MockServer) -> TestApp {
    let settings = x_settings(server);
    spawn_app(db, move |s| {
        crate::helpers::without_waiting_notice(s);
        s.channels.x.push(settings)
    })
    .await
}

/// The conversation of an X thread.
async fn conversation(app: &TestApp, thread: &str) -> Value {
    let list = app.get("/v1/conversations?limit=500").await;
    let id = list["conversations"]
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["thread_key"] == thread)
        .unwrap_or_else(|| panic!("no conversation for {thread}: {list:#}"))["id"]
        .clone();
    app.get(&format!("/v1/conversations/{id}")).await
}

/// The x channel in `GET /v1/channels`.
async fn x_channel_listing(app: &TestApp) -> Value {
    let channels = app.get("/v1/channels").await;
    channels["channels"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["name"] == "x")
        .cloned()
        .unwrap_or_else(|| panic!("no x channel: {channels:#}"))
}

on_both_stores!(a_customer_mention_on_x_is_answered_in_its_thread);

async fn a_customer_mention_on_x_is_answered_in_its_thread(db: Db) {
    let server = x_server().await;
    let app = spawn_with_x(db, &server).await;
    let r = deliver(
        &app,
        &mention(
            "1700000000000000001",
            "@XDevelopers how do I reset my password?",
        ),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "accepted");
    app.drain().await;
    let posts = bodies(&server, "POST", "/2/tweets").await;
    assert_eq!(
        posts,
        vec![json!({
            "text": "Hi Jordan Brinks (@furiouscamper), sorry you're locked out! Try 'Forgot password' on the sign-in page, and if that doesn't work, DM us and we'll help. 🔑",
            "reply": {"in_reply_to_tweet_id": "1700000000000000001"}
        })]
    );
    let req = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        req.headers.get("authorization").unwrap().to_str().unwrap(),
        format!("Bearer {USER_TOKEN}")
    );
    let sent = app.get("/v1/outbox?status=sent").await;
    assert_eq!(
        sent["actions"][0]["external_id"], "1445880548472328192",
        "{sent:#}"
    );
    let conv = conversation(&app, "1700000000000000001").await;
    assert_eq!(conv["conversation"]["owner"], "bot");
    assert_requests_follow_the_spec(&server).await;
}

#[tokio::test]
async fn a_direct_message_on_x_is_answered_by_direct_message() {
    let server = x_server().await;
    let app = spawn_with_x(Db::Sqlite, &server).await;
    let r = deliver(
        &app,
        &direct_message("1800000000000000001", "where is my order?"),
    )
    .await;
    assert_eq!(r.status(), 200);
    app.drain().await;
    let dms = bodies(
        &server,
        "POST",
        &format!("/2/dm_conversations/with/{CUSTOMER}/messages"),
    )
    .await;
    assert_eq!(
        dms,
        vec![
            json!({"text": "Hi Jordan, thanks for reaching out. Could you share your order number (it starts with NW-)? I'll look up the tracking for you."})
        ]
    );
    assert!(
        bodies(&server, "POST", "/2/tweets").await.is_empty(),
        "nothing public"
    );
    let sent = app.get("/v1/outbox?status=sent").await;
    assert_eq!(sent["actions"][0]["external_id"], "1582103724607971332");
    assert_requests_follow_the_spec(&server).await;
}

#[tokio::test]
async fn a_positive_mention_on_x_is_liked() {
    let server = x_server().await;
    let app = spawn_with_x(Db::Sqlite, &server).await;
    let tweet = "1700000000000000002";
    deliver(
        &app,
        &mention(
            tweet,
            "Shoutout to @XDevelopers for the super fast delivery 🚀",
        ),
    )
    .await;
    app.drain().await;
    let likes = bodies(&server, "POST", &format!("/2/users/{OURS}/likes")).await;
    assert_eq!(likes, vec![json!({"tweet_id": tweet})]);
    // The praise intent also thanks in the thread.
    for post in bodies(&server, "POST", "/2/tweets").await {
        assert_eq!(post["reply"]["in_reply_to_tweet_id"], tweet, "{post}");
    }
    assert_requests_follow_the_spec(&server).await;
}

#[tokio::test]
async fn a_complaint_on_x_is_escalated_with_a_short_public_acknowledgement_only() {
    let server = x_server().await;
    let app = spawn_with_x(Db::Sqlite, &server).await;
    let tweet = "1700000000000000003";
    let text = "@XDevelopers this is the worst customer service I've ever experienced";
    deliver(&app, &mention(tweet, text)).await;
    app.drain().await;
    let conv = conversation(&app, tweet).await;
    assert_eq!(conv["conversation"]["owner"], "queued", "{conv:#}");
    assert_eq!(conv["conversation"]["skill"], "complaints", "{conv:#}");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests.len(),
        1,
        "one acknowledgement, no answer: {requests:?}"
    );
    assert_eq!(requests[0].url.path(), "/2/tweets");
    let post: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(post["reply"]["in_reply_to_tweet_id"], tweet, "{post}");
    let text = post["text"].as_str().unwrap_or_default();
    assert!(
        text.ends_with(
            "A member of our team will reach out to you by DM shortly to put this right."
        ),
        "{post}"
    );
}

#[tokio::test]
async fn x_rate_limits_hold_the_reply_until_the_reset_time() {
    let server = x_server().await;
    let reset = chrono::Utc::now().timestamp() + 60;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("x-rate-limit-limit", "100")
                .insert_header("x-rate-limit-remaining", "0")
                .insert_header("x-rate-limit-reset", reset.to_string().as_str())
                .set_body_json(
                    json!({"title": "Too Many Requests", "detail": "Too Many Requests",
                    "type": "about:blank", "status": 429}),
                ),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let app = spawn_with_x(Db::Sqlite, &server).await;
    deliver(
        &app,
        &mention(
            "1700000000000000004",
            "@XDevelopers how do I reset my password?",
        ),
    )
    .await;
    app.drain().await;
    assert_eq!(bodies(&server, "POST", "/2/tweets").await.len(), 1);
    let pending = app.get("/v1/outbox?status=pending").await;
    assert_eq!(
        pending["actions"].as_array().unwrap().len(),
        1,
        "{pending:#}"
    );
    app.clock.advance(chrono::Duration::seconds(30));
    app.drain().await;
    assert_eq!(
        bodies(&server, "POST", "/2/tweets").await.len(),
        1,
        "before the reset"
    );
    app.clock.advance(chrono::Duration::seconds(31));
    app.drain().await;
    let posts = bodies(&server, "POST", "/2/tweets").await;
    assert_eq!(posts.len(), 2, "retried after the reset");
    assert_eq!(posts[0], posts[1], "the same reply");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
            .await,
        1
    );
    assert_requests_follow_the_spec(&server).await;
}

#[tokio::test]
async fn a_revoked_x_token_marks_the_channel_unhealthy_and_escalates() {
    let server = x_server().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})))
        .with_priority(1)
        .mount(&server)
        .await;
    let app = spawn_with_x(Db::Sqlite, &server).await;
    let tweet = "1700000000000000005";
    deliver(
        &app,
        &mention(tweet, "@XDevelopers how do I reset my password?"),
    )
    .await;
    app.drain().await;
    let x = x_channel_listing(&app).await;
    assert_eq!(x["platform"], "x");
    assert_eq!(x["inbound"], "webhook");
    assert_eq!(x["health"]["healthy"], false, "{x:#}");
    assert!(
        x["health"]["detail"].as_str().unwrap().contains("401"),
        "{x:#}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'dead'")
            .await,
        1
    );
    assert_eq!(
        conversation(&app, tweet).await["conversation"]["owner"],
        "queued"
    );
    let events = app.get("/v1/events?kind=channel.unhealthy").await;
    assert_eq!(events["events"].as_array().unwrap().len(), 1, "{events:#}");
    assert_requests_follow_the_spec(&server).await;
}

#[tokio::test]
async fn a_repeated_x_delivery_is_one_message_and_one_reply() {
    let server = x_server().await;
    let app = spawn_with_x(Db::Sqlite, &server).await;
    let body = mention(
        "1700000000000000006",
        "@XDevelopers how do I reset my password?",
    );
    assert_eq!(
        deliver(&app, &body).await.json::<Value>().await.unwrap()["status"],
        "accepted"
    );
    assert_eq!(
        deliver(&app, &body).await.json::<Value>().await.unwrap()["status"],
        "duplicate"
    );
    app.drain().await;
    assert_eq!(
        deliver(&app, &body).await.json::<Value>().await.unwrap()["status"],
        "duplicate"
    );
    app.drain().await;
    assert_eq!(app.count("SELECT COUNT(*) FROM inbox").await, 1);
    assert_eq!(bodies(&server, "POST", "/2/tweets").await.len(), 1);
    assert_requests_follow_the_spec(&server).await;
}

#[tokio::test]
async fn unsigned_forged_and_truncated_x_deliveries_are_rejected_and_not_stored() {
    let server = x_server().await;
    let app = spawn_with_x(Db::Sqlite, &server).await;
    let raw = direct_message("1800000000000000002", "where is my order?").to_string();
    let good = sign(CONSUMER_SECRET, raw.as_bytes());
    let forged = sign("not-the-consumer-secret", raw.as_bytes());
    let truncated = good[..good.len() - 6].to_string();
    for sig in [
        None,
        Some(forged),
        Some(truncated),
        Some(good.replace("sha256=", "")),
    ] {
        let mut req = app
            .http
            .post(format!("{}/v1/channels/x/webhook", app.addr))
            .body(raw.clone());
        if let Some(s) = &sig {
            req = req.header(SIGNATURE_HEADER, s);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 401, "{sig:?}");
        assert_eq!(
            r.json::<Value>().await.unwrap()["error"]["code"],
            "bad_signature"
        );
    }
    let inbox = app.get("/v1/inbox").await;
    assert_eq!(inbox["events"].as_array().unwrap().len(), 0, "{inbox:#}");
    let x = x_channel_listing(&app).await;
    assert_eq!(x["health"]["rejected_requests"], 4, "{x:#}");
    app.drain().await;
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_crc_check_is_answered_over_http_with_the_published_vector() {
    let server = x_server().await;
    let app = spawn_with_x(Db::Sqlite, &server).await;
    let v = fixture("webhook_security_test_vectors.json");
    let r = app
        .http
        .get(format!(
            "{}/v1/channels/x/webhook?crc_token=challenge_string",
            app.addr
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        v["crc"]["expected_response_body"]
    );
    let missing = app
        .http
        .get(format!("{}/v1/channels/x/webhook", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);
    assert_eq!(app.count("SELECT COUNT(*) FROM inbox").await, 0);
}
