//! Events: signed outbound webhooks with a delivery id, and NATS JetStream (the real server).

use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{session, spawn_app, Db};
use hearken::config::{NatsSettings, Secret, WebhookSubscriber};

#[tokio::test]
async fn subscribers_get_signed_events_with_a_stable_delivery_id() {
    let sink = MockServer::start().await;
    // The first delivery fails: the retry must carry the same delivery id.
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&sink)
        .await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&sink)
        .await;
    let app = spawn_app(Db::Sqlite, |s| {
        s.events.webhooks.push(WebhookSubscriber {
            name: "crm".into(),
            url: format!("{}/hook", sink.uri()),
            secret: Secret::new("hook-secret"),
            events: vec!["message.received".into(), "reply.sent".into()],
        });
    })
    .await;
    app.chat(&session(), "m1", "where is my order?").await;
    app.drain().await;
    app.clock.advance(chrono::Duration::seconds(5));
    app.drain().await;
    let reqs = sink.received_requests().await.unwrap();
    let kinds: Vec<String> = reqs
        .iter()
        .map(|r| {
            r.headers
                .get("x-hearken-event")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(reqs.len(), 3, "one retry then two deliveries: {kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "reply.sent").count(), 1);
    let ids: Vec<String> = reqs
        .iter()
        .map(|r| {
            r.headers
                .get("x-hearken-delivery")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        ids[0],
        ids.iter()
            .skip(1)
            .find(|i| **i == ids[0])
            .cloned()
            .unwrap_or_default(),
        "retry keeps the delivery id: {ids:?}"
    );
    for r in &reqs {
        let sig = r
            .headers
            .get("x-hearken-signature")
            .unwrap()
            .to_str()
            .unwrap();
        let at = hearken::clock::Clock::now(&*app.clock).timestamp();
        hearken::signature::verify("hook-secret", Some(sig), &r.body, at).expect("valid signature");
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert!(
            body["id"].is_string() && body["sequence"].is_i64() && body["data"].is_object(),
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_a_nats_jetstream_stream_once_each() {
    let stream = format!("HEARKEN_TEST_{}", uuid::Uuid::new_v4().simple());
    let prefix = format!("hk{}", uuid::Uuid::new_v4().simple());
    let (stream2, prefix2) = (stream.clone(), prefix.clone());
    let app = spawn_app(Db::Sqlite, move |s| {
        s.events.nats = Some(NatsSettings {
            url: "nats://127.0.0.1:4222".into(),
            stream: stream2,
            subject_prefix: prefix2,
        });
    })
    .await;
    app.chat(&session(), "m1", "where is my order?").await;
    app.drain().await;
    let stored = app.count("SELECT COUNT(*) FROM events").await;
    let client = async_nats::connect("nats://127.0.0.1:4222")
        .await
        .expect("NATS at 127.0.0.1:4222 is required");
    let js = async_nats::jetstream::new(client);
    let mut info = js
        .get_stream(&stream)
        .await
        .expect("stream created by hearken");
    let state = info.info().await.unwrap().state.clone();
    assert_eq!(
        state.messages as i64, stored,
        "every stored event published once"
    );
    let msg = info.get_raw_message(1).await.unwrap();
    assert!(
        msg.subject.as_str().starts_with(&format!("{prefix}.")),
        "{}",
        msg.subject
    );
    let body: Value = serde_json::from_slice(&msg.payload).unwrap();
    assert_eq!(body["sequence"], 1);
    js.delete_stream(&stream).await.unwrap();
}
