//! The typed outbox: actions queued by an older hearken (untyped payloads) are converted by
//! migration 0006 and still delivered; a payload nobody can read is dead-lettered, not retried.

use std::time::Duration;

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{root, spawn_app, spawn_with, Db, TestDb};
use crate::on_both_stores;
use crate::pipeline::{event, post_api, received, with_api_channel, SECRET};
use hearken::config::{Secret, TicketSettings, WebhookSubscriber};
use hearken::outbox::action::{OutboxAction, TicketReply, TicketRequest};
use hearken::policy::{Priority, Visibility};
use hearken::store::{Store, StoreOptions};

/// What hearken 0005 queued, one row per kind of action, as `(key, channel, kind, payload)`.
fn legacy_rows() -> Vec<(&'static str, &'static str, &'static str, Value)> {
    vec![
        (
            "msg:1:0",
            "crm",
            "reply",
            json!({"kind": "reply", "visibility": "private", "text": "Your order ships today.",
                   "thread_id": "dm-1", "target_message_id": "m-1", "recipient": "dana"}),
        ),
        (
            "agent:1:like:7",
            "crm",
            "like",
            json!({"kind": "like", "thread_id": "post-9", "target_message_id": "m-9",
                   "recipient": "dana", "author": "agent:mulder"}),
        ),
        (
            "msg:2:0",
            "tickets",
            "ticket",
            json!({"title": "Checkout crashes", "body": "From dana on crm", "skill": "support",
                   "reply_visibility": "public", "reply_template": "Tracked at {{ticket_url}}",
                   "thread_id": "post-9", "target_message_id": "m-9", "recipient": "dana",
                   "channel": "crm", "fields": {"name": "Dana Scully", "handle": "dana", "channel": "crm"}}),
        ),
        (
            "evt:u-1:sink",
            "webhook:sink",
            "webhook",
            json!({"subscriber": "sink", "event": {"kind": "reply.sent", "id": "u-1", "data": {}}}),
        ),
    ]
}

/// A database at migration 0005 holding `rows`, pending and due.
async fn database_before_the_typed_outbox(db: Db, rows: &[(&str, &str, &str, Value)]) -> TestDb {
    let test_db = TestDb::new(db);
    let store = Store::connect(
        &test_db.url,
        &StoreOptions {
            max_connections: 1,
            acquire_timeout: Duration::from_secs(10),
        },
    )
    .await
    .expect("connect");
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = match db {
        Db::Sqlite => "sqlite",
        Db::Postgres => "postgres",
    };
    for f in std::fs::read_dir(root().join("migrations").join(folder)).expect("migrations") {
        let f = f.expect("entry").path();
        let name = f.file_name().expect("name").to_string_lossy().to_string();
        if name.as_str() < "0006" {
            std::fs::copy(&f, dir.path().join(&name)).expect("copy");
        }
    }
    sqlx::migrate::Migrator::new(dir.path())
        .await
        .expect("migrations up to 0005")
        .run(&store.pool)
        .await
        .expect("migrate to 0005");
    for (key, channel, kind, payload) in rows {
        sqlx::query(
            "INSERT INTO outbox (idempotency_key, conversation_id, channel, kind, payload, \
             next_attempt_at, deadline_at, created_at) VALUES ($1, NULL, $2, $3, $4, 0, $5, 0)",
        )
        .bind(*key)
        .bind(*channel)
        .bind(*kind)
        .bind(payload.to_string())
        .bind(i64::MAX / 2)
        .execute(&store.pool)
        .await
        .expect("an old-shape row");
    }
    store.pool.close().await;
    test_db
}

on_both_stores!(actions_queued_before_the_upgrade_are_still_delivered);

async fn actions_queued_before_the_upgrade_are_still_delivered(db: Db) {
    let platform = crate::pipeline::platform().await;
    let github = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/northwind/shop/issues"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "html_url": "https://github.com/northwind/shop/issues/42"})))
        .expect(1)
        .mount(&github)
        .await;
    let sink = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&sink)
        .await;
    let old = database_before_the_typed_outbox(db, &legacy_rows()).await;
    let app = spawn_with(old, false, |s| {
        with_api_channel(s, &platform);
        s.tickets = TicketSettings::Github {
            api_url: github.uri(),
            owner: "northwind".into(),
            repo: "shop".into(),
            token: Secret::new("ghp_test"),
            labels: vec![],
        };
        s.events.webhooks.push(WebhookSubscriber {
            name: "sink".into(),
            url: format!("{}/hook", sink.uri()),
            secret: Secret::new("hook-secret"),
            // Only the queued delivery: no new events go to this subscriber.
            events: vec!["none.of.these".into()],
        });
    })
    .await;

    let converted = app.get("/v1/outbox?limit=10").await;
    for a in converted["actions"].as_array().expect("actions") {
        OutboxAction::from_payload(&a["payload"])
            .unwrap_or_else(|e| panic!("{e}: the migration left {a:#}"));
    }
    let ticket = app.get("/v1/outbox?status=pending&limit=10").await["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .find(|a| a["kind"] == "ticket")
        .map(|a| OutboxAction::from_payload(&a["payload"]).expect("a ticket"))
        .expect("the ticket row");
    assert_eq!(
        ticket,
        OutboxAction::Ticket(TicketRequest {
            title: "Checkout crashes".into(),
            body: "From dana on crm".into(),
            skill: "support".into(),
            priority: Priority::Normal,
            fields: [
                ("name", "Dana Scully"),
                ("handle", "dana"),
                ("channel", "crm")
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            reply: TicketReply {
                channel: "crm".into(),
                visibility: Visibility::Public,
                template: "Tracked at {{ticket_url}}".into(),
                thread_id: "post-9".into(),
                target_message_id: Some("m-9".into()),
                recipient: "dana".into(),
            },
        }),
        "the ticket's reply fields moved under `reply`"
    );

    app.drain().await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
            .await,
        4,
        "{:#}",
        app.get("/v1/outbox?limit=10").await
    );
    let sent = received(&platform).await;
    assert!(
        sent.iter()
            .any(|a| a["action"]["text"] == "Your order ships today."),
        "{sent:#?}"
    );
    assert!(
        sent.iter().any(|a| a["action"]["kind"] == "like"),
        "{sent:#?}"
    );
    let issue: Value =
        serde_json::from_slice(&github.received_requests().await.expect("requests")[0].body)
            .expect("JSON");
    assert_eq!(issue["title"], "Checkout crashes");
    let hook = &sink.received_requests().await.expect("requests")[0];
    assert_eq!(hook.headers["x-hearken-event"], "reply.sent");
    assert_eq!(hook.headers["x-hearken-delivery"], "evt:u-1:sink");
}

on_both_stores!(an_unreadable_action_is_dead_lettered_and_reaches_an_agent);

async fn an_unreadable_action_is_dead_lettered_and_reaches_an_agent(db: Db) {
    let platform = crate::pipeline::platform().await;
    let app = spawn_app(db, |s| {
        crate::helpers::without_waiting_notice(s);
        with_api_channel(s, &platform);
    })
    .await;
    post_api(
        &app,
        &event("e1", "private", "dm-1", "dana", "where is my order?"),
        SECRET,
    )
    .await;
    app.drain().await;
    let conv = app.get("/v1/conversations?limit=1").await["conversations"][0]["id"]
        .as_i64()
        .expect("a conversation");
    for (key, payload) in [
        ("broken:1", r#"{"v": 1, "type": "fax"}"#.to_string()),
        ("broken:2", "not json at all".to_string()),
        ("broken:3", json!({"v": 9, "type": "send"}).to_string()),
    ] {
        sqlx::query(
            "INSERT INTO outbox (idempotency_key, conversation_id, channel, kind, payload, \
             next_attempt_at, deadline_at, created_at) VALUES ($1, $2, 'crm', 'reply', $3, 0, $4, 0)",
        )
        .bind(key)
        .bind(conv)
        .bind(payload)
        .bind(i64::MAX / 2)
        .execute(&app.engine.store.pool)
        .await
        .expect("a broken row");
    }
    let before = received(&platform).await.len();
    app.drain().await;
    app.drain().await;
    assert_eq!(
        received(&platform).await.len(),
        before,
        "nothing unreadable is sent"
    );
    let dead = app.get("/v1/outbox?status=dead").await;
    let dead = dead["actions"].as_array().expect("actions");
    assert_eq!(dead.len(), 3, "{dead:#?}");
    for a in dead {
        assert_eq!(a["attempts"], 1, "tried once, never retried: {a:#}");
        let error = a["last_error"].as_str().expect("an error");
        assert!(
            error.contains("outbox action"),
            "the reason names the payload: {error}"
        );
    }
    let failed = app.get("/v1/events?kind=reply.failed").await;
    assert_eq!(failed["events"].as_array().expect("events").len(), 3);
    let c = app.get(&format!("/v1/conversations/{conv}")).await;
    assert_eq!(
        c["conversation"]["owner"], "queued",
        "an agent gets it: {c:#}"
    );
}
