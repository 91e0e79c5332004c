//! End to end: the Mastodon adapter against a simulated instance (wiremock). Mentions are polled
//! after a persisted cursor, answered in their thread, favourited or escalated; rate limits,
//! refused tokens, restarts and repeats. Every request is checked against the documented API.

mod direct;
mod instance;
mod spec;

use hearken::channels::SendError;
use hearken::store::cursors;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{spawn_app, spawn_with, Db, TestApp, TestDb};
use crate::on_both_stores;
use instance::*;

async fn start(db: Db, server: &MockServer) -> TestApp {
    spawn_app(db, |s| configure(s, server)).await
}

/// The conversation of a Mastodon thread, with messages and decisions.
async fn conversation(app: &TestApp, thread: &str) -> Value {
    let list = app.get("/v1/conversations?limit=500").await;
    let found = list["conversations"]
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["thread_key"] == thread)
        .unwrap_or_else(|| panic!("no conversation for thread {thread}: {list:#}"))
        .clone();
    app.get(&format!("/v1/conversations/{}", found["id"])).await
}

/// The first poll only sets the cursor; the second brings what came since.
async fn poll_twice(app: &TestApp) {
    app.poll().await;
    app.poll().await;
}

const PASSWORD_REPLY: &str = "@dana@example.social Hi Dana Scully (@dana@example.social), sorry you're locked out! Try 'Forgot password' on the sign-in page, and if that doesn't work, DM us and we'll help. 🔑";

on_both_stores!(a_mention_is_answered_in_its_thread_and_praise_is_favourited);

async fn a_mention_is_answered_in_its_thread_and_praise_is_favourited(db: Db) {
    let server = instance().await;
    page_after(
        &server,
        HISTORY,
        vec![
            mention(
                "102",
                "202",
                &FOX,
                "Just got my parcel, you folks are brilliant, love it!",
            ),
            mention("101", "201", &DANA, "how do I reset my password?"),
        ],
    )
    .await;
    let app = start(db, &server).await;
    app.poll().await;
    let inbox = app.get("/v1/inbox").await;
    assert_eq!(
        inbox["events"].as_array().unwrap().len(),
        0,
        "the first poll replays no history: {inbox:#}"
    );
    assert_eq!(
        cursors::get(&app.engine.store, CHANNEL).await.unwrap(),
        Some(HISTORY.into())
    );
    app.poll().await;
    app.drain().await;
    assert_eq!(
        cursors::get(&app.engine.store, CHANNEL).await.unwrap(),
        Some("102".into()),
        "the cursor is the newest mention seen"
    );
    let posts = requests(&server, "POST", "/api/v1/statuses").await;
    let answer = posts
        .iter()
        .find(|r| r.body_json::<Value>().unwrap()["in_reply_to_id"] == "201")
        .expect("a reply to Dana's status");
    assert_eq!(
        answer.body_json::<Value>().unwrap(),
        json!({"status": PASSWORD_REPLY, "in_reply_to_id": "201", "visibility": "unlisted"})
    );
    assert!(
        idempotency_key(answer).is_some_and(|k| k.starts_with("msg:")),
        "the outbox key travels as Idempotency-Key"
    );
    let favourites = requests(&server, "POST", "/api/v1/statuses/202/favourite").await;
    assert_eq!(favourites.len(), 1, "praise is favourited once");
    let c = conversation(&app, "201").await;
    assert_eq!(c["messages"][0]["text"], "how do I reset my password?");
    let sent = app.get("/v1/outbox?status=sent").await;
    assert!(
        sent["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "reply" && a["external_id"] == POSTED),
        "{sent:#}"
    );
    spec::assert_documented(&server, TOKEN).await;
}

#[tokio::test]
async fn a_complaint_is_escalated_with_a_short_public_acknowledgement_only() {
    let server = instance().await;
    page_after(
        &server,
        HISTORY,
        vec![mention(
            "101",
            "201",
            &DANA,
            "This is the worst service I have ever had, my complaint has been ignored for weeks",
        )],
    )
    .await;
    let app = start(Db::Sqlite, &server).await;
    poll_twice(&app).await;
    app.drain().await;
    let c = conversation(&app, "201").await;
    assert_eq!(c["conversation"]["owner"], "queued", "{c:#}");
    assert_eq!(c["conversation"]["skill"], "complaints", "{c:#}");
    // A short public acknowledgement in the thread; the agent answers.
    let posts = posted(&server).await;
    assert_eq!(posts.len(), 1, "one acknowledgement, no answer: {posts:?}");
    assert_eq!(posts[0]["in_reply_to_id"], "201", "{posts:?}");
    let text = posts[0]["status"].as_str().unwrap_or_default();
    assert!(
        text.ends_with(
            "A member of our team will reach out to you by DM shortly to put this right."
        ),
        "{posts:?}"
    );
    assert!(requests(&server, "POST", "/api/v1/statuses/201/favourite")
        .await
        .is_empty());
    spec::assert_documented(&server, TOKEN).await;
}

#[tokio::test]
async fn a_direct_message_is_answered_with_a_direct_status() {
    let server = instance().await;
    let mut dm = mention("101", "201", &DANA, "how do I reset my password?");
    dm["status"]["visibility"] = json!("direct");
    page_after(&server, HISTORY, vec![dm]).await;
    let app = start(Db::Sqlite, &server).await;
    poll_twice(&app).await;
    app.drain().await;
    let c = conversation(&app, "201").await;
    assert_eq!(c["messages"][0]["visibility"], "private", "{c:#}");
    let posts = posted(&server).await;
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0]["visibility"], "direct");
    assert_eq!(posts[0]["in_reply_to_id"], "201");
    assert!(
        posts[0]["status"]
            .as_str()
            .unwrap()
            .starts_with("@dana@example.social Hi Dana"),
        "{posts:?}"
    );
    spec::assert_documented(&server, TOKEN).await;
}

#[tokio::test]
async fn a_rate_limited_reply_is_sent_again_after_the_instance_reset_time() {
    let server = instance().await;
    let reset = (chrono::Utc::now() + chrono::Duration::seconds(30))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("X-RateLimit-Limit", "300")
                .insert_header("X-RateLimit-Remaining", "0")
                .insert_header("X-RateLimit-Reset", reset.as_str())
                .set_body_json(json!({"error": "Too many requests"})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    page_after(
        &server,
        HISTORY,
        vec![mention("101", "201", &DANA, "how do I reset my password?")],
    )
    .await;
    let app = start(Db::Sqlite, &server).await;
    poll_twice(&app).await;
    app.drain().await;
    assert_eq!(posted(&server).await.len(), 1);
    let pending = app.get("/v1/outbox?status=pending").await;
    assert_eq!(
        pending["actions"].as_array().unwrap().len(),
        1,
        "{pending:#}"
    );
    app.clock.advance(chrono::Duration::seconds(10));
    app.drain().await;
    assert_eq!(posted(&server).await.len(), 1, "still before the reset");
    app.clock.advance(chrono::Duration::seconds(25));
    app.drain().await;
    let posts = requests(&server, "POST", "/api/v1/statuses").await;
    assert_eq!(posts.len(), 2, "sent again after the reset");
    assert_eq!(posts[0].body, posts[1].body);
    assert_eq!(
        idempotency_key(&posts[0]),
        idempotency_key(&posts[1]),
        "the retry carries the same Idempotency-Key"
    );
    assert_eq!(
        posts[1].body_json::<Value>().unwrap()["status"],
        PASSWORD_REPLY
    );
    let sent = app.get("/v1/outbox?status=sent").await;
    assert_eq!(sent["actions"].as_array().unwrap().len(), 1, "{sent:#}");
    spec::assert_documented(&server, TOKEN).await;
}

#[tokio::test]
async fn a_refused_token_marks_the_channel_unhealthy_and_escalates() {
    let server = instance().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": "The access token is invalid"})),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    page_after(
        &server,
        HISTORY,
        vec![mention("101", "201", &DANA, "how do I reset my password?")],
    )
    .await;
    let app = start(Db::Sqlite, &server).await;
    poll_twice(&app).await;
    app.drain().await;
    let channels = app.get("/v1/channels").await;
    let masto = channels["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == CHANNEL)
        .expect("the channel is listed")
        .clone();
    assert_eq!(masto["platform"], "mastodon");
    assert_eq!(masto["inbound"], "polling");
    assert_eq!(masto["health"]["healthy"], false, "{masto:#}");
    assert!(
        masto["health"]["detail"]
            .as_str()
            .unwrap()
            .contains("The access token is invalid"),
        "{masto:#}"
    );
    let events = app.get("/v1/events?kind=channel.unhealthy").await;
    let events = events["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["data"]["channel"], CHANNEL);
    let c = conversation(&app, "201").await;
    assert_eq!(c["conversation"]["owner"], "queued", "{c:#}");
    let dead = app.get("/v1/outbox?status=dead").await;
    assert_eq!(dead["actions"].as_array().unwrap().len(), 1, "{dead:#}");
    spec::assert_documented(&server, TOKEN).await;
}

#[tokio::test]
async fn a_poll_with_a_refused_token_is_unauthorized_and_stores_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": "The access token is invalid"})),
        )
        .mount(&server)
        .await;
    let app = start(Db::Sqlite, &server).await;
    let channel = app
        .engine
        .channels
        .get(CHANNEL)
        .expect("configured")
        .clone();
    let result = hearken::poller::poll_once(&app.engine, &app.intake, channel.as_ref()).await;
    assert!(
        matches!(&result, Err(SendError::Unauthorized(m)) if m.contains("The access token is invalid")),
        "{result:?}"
    );
    let channels = app.get("/v1/channels").await;
    assert_eq!(
        channels["channels"][0]["health"]["healthy"], false,
        "{channels}"
    );
    let events = app.get("/v1/events").await;
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "channel.unhealthy" && e["data"]["channel"] == CHANNEL),
        "{events}"
    );
    assert_eq!(
        cursors::get(&app.engine.store, CHANNEL).await.unwrap(),
        None
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM inbox").await, 0);
    spec::assert_documented(&server, TOKEN).await;
}

on_both_stores!(a_restart_resumes_after_the_saved_cursor_and_a_repeated_notification_is_a_no_op);

async fn a_restart_resumes_after_the_saved_cursor_and_a_repeated_notification_is_a_no_op(db: Db) {
    let server = instance().await;
    page_after(
        &server,
        HISTORY,
        vec![mention("101", "201", &DANA, "how do I reset my password?")],
    )
    .await;
    let app = start(db, &server).await;
    poll_twice(&app).await;
    app.drain().await;
    assert_eq!(posted(&server).await.len(), 1);
    // A crash after the events were committed but before the cursor was saved: the instance
    // hands the same notification again.
    cursors::set(&app.engine.store, CHANNEL, HISTORY, 0)
        .await
        .unwrap();
    app.poll().await;
    app.drain().await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM inbox").await,
        1,
        "one message"
    );
    assert_eq!(posted(&server).await.len(), 1, "one reply");

    // Restart on the same database; Dana answers our reply meanwhile.
    let TestApp { db, .. } = app;
    let mut follow_up = mention("103", "203", &DANA, "where is my order?");
    follow_up["status"]["in_reply_to_id"] = json!(POSTED);
    page_after(&server, "101", vec![follow_up]).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/statuses/203/context"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ancestors": [{"id": "201"}, {"id": POSTED}], "descendants": []
        })))
        .mount(&server)
        .await;
    let app = spawn_with(TestDb::borrowed(&db.url), true, |s| configure(s, &server)).await;
    app.poll().await;
    app.drain().await;
    let history_polls = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| {
            r.url.path() == "/api/v1/notifications"
                && !r.url.query().unwrap_or("").contains("min_id")
        })
        .count();
    assert_eq!(
        history_polls, 1,
        "only the very first poll looks at history"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM inbox").await,
        2,
        "101 is not emitted again"
    );
    let posts = posted(&server).await;
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert_eq!(posts[1]["in_reply_to_id"], "203");
    assert!(posts[1]["status"]
        .as_str()
        .unwrap()
        .starts_with("@dana@example.social "));
    let c = conversation(&app, "201").await;
    let inbound: Vec<&str> = c["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "in")
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        inbound,
        ["how do I reset my password?", "where is my order?"],
        "the follow-up joins the thread's conversation"
    );
    spec::assert_documented(&server, TOKEN).await;
    drop(app);
    drop(db);
}
