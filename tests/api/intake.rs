//! Intake: stored before acknowledged, deduplicated, bad input refused with a reason.

use crate::helpers::{session, spawn_app, Db};
use crate::on_both_stores;
use serde_json::json;

on_both_stores!(hundred_copies_of_one_event_make_one_message_and_one_reply);

async fn hundred_copies_of_one_event_make_one_message_and_one_reply(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    let s = session();
    let posts = (0..100).map(|_| app.chat(&s, "evt-1", "where is my order?"));
    let responses = futures::future::join_all(posts).await;
    let mut statuses = std::collections::BTreeMap::new();
    for r in responses {
        assert_eq!(r.status(), 202);
        let body: serde_json::Value = r.json().await.unwrap();
        *statuses
            .entry(body["status"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    assert_eq!(statuses.get("accepted"), Some(&1), "{statuses:?}");
    assert_eq!(statuses.get("duplicate"), Some(&99), "{statuses:?}");
    app.drain().await;
    // A late platform retry after processing is still a no-op.
    assert_eq!(
        app.chat(&s, "evt-1", "where is my order?").await.status(),
        202
    );
    app.drain().await;
    let c = app.conversation_of(&s).await;
    let messages = c["messages"].as_array().unwrap();
    let inbound = messages.iter().filter(|m| m["direction"] == "in").count();
    let outbound = messages.iter().filter(|m| m["direction"] == "out").count();
    assert_eq!((inbound, outbound), (1, 1), "{messages:#?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 1);
}

#[tokio::test]
async fn malformed_json_gets_400_with_the_reason_and_stores_nothing() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    let r = app
        .http
        .post(format!("{}/v1/webchat/messages", app.addr))
        .header("content-type", "application/json")
        .body("{\"session_id\": \"0123456789abcdef\", \"text\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 1"),
        "{body}"
    );
    let r = app.chat("short", "m", "hi").await;
    assert_eq!(r.status(), 400, "a too-short session id is refused");
    assert_eq!(app.count("SELECT COUNT(*) FROM inbox").await, 0);
}

#[tokio::test]
async fn a_ten_megabyte_body_gets_413() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    let big = format!(
        "{{\"session_id\":\"0123456789abcdef\",\"text\":\"{}\"}}",
        "a".repeat(10 * 1024 * 1024)
    );
    let r = app
        .http
        .post(format!("{}/v1/webchat/messages", app.addr))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
    assert_eq!(app.count("SELECT COUNT(*) FROM inbox").await, 0);
}

#[tokio::test]
async fn an_unknown_channel_gets_404_unknown_channel() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    let r = app
        .http
        .post(format!("{}/v1/channels/myspace/webhook", app.addr))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unknown_channel");
}

#[tokio::test]
async fn the_json_api_refuses_requests_without_the_token() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    for token in [None, Some("wrong-token-0123456789abcdef")] {
        let mut req = app.http.get(format!("{}/v1/conversations", app.addr));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 401);
    }
}

#[tokio::test]
async fn ready_is_503_until_the_model_is_loaded() {
    let app =
        crate::helpers::spawn_with(crate::helpers::TestDb::new(Db::Sqlite), false, |_| {}).await;
    let r = app
        .http
        .get(format!("{}/ready", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_ready");
    // Messages are still taken and wait in the inbox.
    let s = session();
    assert_eq!(app.chat(&s, "m1", "hello").await.status(), 202);
    app.drain().await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM inbox WHERE status = 'pending'")
            .await,
        1
    );
    app.engine.set_brain_arc(crate::helpers::brain());
    let r = app
        .http
        .get(format!("{}/ready", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.drain().await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM inbox WHERE status = 'done'")
            .await,
        1
    );
    let health = app
        .http
        .get(format!("{}/health", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_gets_503_then_recovers() {
    let app = spawn_app(Db::Postgres, |s| s.database.acquire_timeout_secs = 1).await;
    let name = app.db.pg_name().unwrap().to_string();
    let s = session();
    assert_eq!(app.chat(&s, "before", "hello").await.status(), 202);
    crate::helpers::psql(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
    crate::helpers::psql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ));
    let r = app.chat(&s, "during", "are you there?").await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "store_unavailable");
    let ready = app
        .http
        .get(format!("{}/ready", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    crate::helpers::psql(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
    // The platform retries the refused delivery: now it is stored.
    let r = app.chat(&s, "during", "are you there?").await;
    assert_eq!(r.status(), 202);
    app.drain().await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM inbox WHERE status = 'done'")
            .await,
        2
    );
}

#[tokio::test]
async fn a_policy_naming_an_unknown_skill_stops_the_start_with_the_reason() {
    let db = crate::helpers::TestDb::new(Db::Sqlite);
    let mut settings = hearken::config::Settings::default();
    settings.server.listen = "127.0.0.1:0".into();
    settings.database.url = hearken::config::Secret::new(db.url.clone());
    settings.nlu.intents_dir = crate::helpers::root().join("intents");
    settings.policy.fallback_skill = "genral".into();
    let err = hearken::startup::Application::build(settings, Default::default())
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("genral"), "{err}");
}

#[tokio::test]
async fn failed_inbox_rows_are_listed_with_their_error() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    // An event no adapter could have written: the pipeline marks it failed, not lost.
    sqlx::query("INSERT INTO inbox (channel, event_id, received_at, event) VALUES ('webchat', 'x', 0, 'not json')")
        .execute(&app.engine.store.pool)
        .await
        .unwrap();
    app.drain().await;
    let v = app.get("/v1/inbox?status=failed").await;
    assert_eq!(v["counts"]["failed"], 1, "{v}");
    assert!(
        v["events"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("unreadable"),
        "{v}"
    );
}

#[tokio::test]
async fn the_web_chat_stream_delivers_the_reply_as_a_server_sent_event() {
    use futures::StreamExt;
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    let s = session();
    app.chat(&s, "m1", "how do I reset my password?").await;
    let stream = app
        .http
        .get(format!("{}/v1/webchat/sessions/{s}/stream", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let mut body = stream.bytes_stream();
    app.drain().await;
    let mut seen = String::new();
    while !seen.contains("\"from\":\"bot\"") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(20), body.next())
            .await
            .expect("an event arrives")
            .expect("stream open")
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("event: messages"), "{seen}");
    assert!(seen.contains("Forgot password"), "{seen}");
    assert!(
        seen.starts_with("event: presence\ndata: {\"owner\":\"bot\",\"text\":\"\"}"),
        "who is answering comes first: {seen}"
    );
}

on_both_stores!(the_web_chat_says_a_person_will_join_then_who_joined);

async fn the_web_chat_says_a_person_will_join_then_who_joined(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    let s = session();
    let presence = |v: &serde_json::Value| v["presence"].clone();
    let path = format!("/v1/webchat/sessions/{s}/messages");
    let poll = || app.get(&path);
    assert_eq!(
        presence(&poll().await),
        serde_json::Value::Null,
        "no chat yet"
    );
    app.chat(
        &s,
        "m1",
        "can I talk to a real person please, I need a human agent",
    )
    .await;
    app.drain().await;
    assert_eq!(
        presence(&poll().await),
        json!({"owner": "queued", "text": "A person will join this chat shortly."})
    );
    let dana = crate::routing::agent(&app, "dana", json!({"private_messages": 3}), 3).await;
    app.drain().await;
    let id = app.conversation_of(&s).await["conversation"]["id"]
        .as_i64()
        .unwrap();
    let (status, body) = app
        .send_json(
            reqwest::Method::POST,
            &format!("/v1/conversations/{id}/accept"),
            json!({"agent_id": dana}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        presence(&poll().await),
        json!({"owner": "agent", "agent": "dana", "text": "dana joined the chat."})
    );
}
