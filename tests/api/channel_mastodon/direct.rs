//! The Mastodon channel driven directly (no app) against the simulated instance: replies it has
//! no memory of, boosts and refused actions, `check`, and threads it never saw.

use std::time::Duration;

use hearken::channels::mastodon::MastodonChannel;
use hearken::channels::{Channel, Outbound, OutboundKind, Registration, SendError};
use hearken::policy::Visibility;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use super::instance::*;
use super::spec;

fn reply(visibility: Visibility, text: &str, target: Option<&str>, recipient: &str) -> Outbound {
    Outbound {
        kind: OutboundKind::Reply {
            visibility,
            text: text.into(),
            quick_replies: vec![],
        },
        thread_id: target.unwrap_or("t").into(),
        target_message_id: target.map(String::from),
        recipient: recipient.into(),
    }
}

fn action(kind: OutboundKind, target: &str) -> Outbound {
    Outbound {
        kind,
        thread_id: target.into(),
        target_message_id: Some(target.into()),
        recipient: "1".into(),
    }
}

#[tokio::test]
async fn a_reply_hearken_has_no_memory_of_asks_the_instance_whom_to_mention_and_never_widens_the_audience(
) {
    let server = instance().await;
    let status = fixture("statuses_get_response.json");
    let mut followers_only = status.clone();
    followers_only["id"] = json!("2");
    followers_only["visibility"] = json!("private");
    for (id, body) in [("1", status), ("2", followers_only)] {
        Mock::given(method("GET"))
            .and(path(format!("/api/v1/statuses/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts/23634"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("entity_account.json")))
        .mount(&server)
        .await;
    let channel = MastodonChannel::new(settings(&server), Duration::from_secs(5));
    let sent = channel
        .send(&reply(Visibility::Public, "thanks!", Some("1"), "1"), "k1")
        .await
        .unwrap();
    assert_eq!(sent.external_id.as_deref(), Some(POSTED));
    channel
        .send(&reply(Visibility::Public, "noted", Some("2"), "1"), "k2")
        .await
        .unwrap();
    channel
        .send(&reply(Visibility::Private, "psst", None, "23634"), "k3")
        .await
        .unwrap();
    let long = "lorem ipsum dolor sit amet ".repeat(25);
    channel
        .send(&reply(Visibility::Public, &long, Some("1"), "1"), "k4")
        .await
        .unwrap();
    let posts = requests(&server, "POST", "/api/v1/statuses").await;
    let bodies: Vec<Value> = posts.iter().map(|r| r.body_json().unwrap()).collect();
    assert_eq!(
        bodies[..3],
        [
            json!({"status": "@Gargron thanks!", "in_reply_to_id": "1", "visibility": "unlisted"}),
            json!({"status": "@Gargron noted", "in_reply_to_id": "2", "visibility": "private"}),
            json!({"status": "@noiob@awoo.space psst", "visibility": "direct"}),
        ]
    );
    // 675 characters: two statuses, the second answering the first, each with its own key.
    assert_eq!(bodies.len(), 5, "{bodies:#?}");
    assert!(bodies[3]["status"].as_str().unwrap().ends_with(" (1/2)"));
    assert_eq!(bodies[3]["in_reply_to_id"], "1");
    assert_eq!(bodies[4]["in_reply_to_id"], POSTED);
    assert!(bodies[4]["status"]
        .as_str()
        .unwrap()
        .starts_with("@Gargron "));
    let keys: Vec<_> = posts.iter().map(idempotency_key).collect();
    assert_eq!(
        keys,
        [
            Some("k1".into()),
            Some("k2".into()),
            Some("k3".into()),
            Some("k4".into()),
            Some("k4/2".into())
        ]
    );
    assert_eq!(
        requests(&server, "GET", "/api/v1/statuses/1").await.len(),
        1,
        "remembered"
    );
    spec::assert_documented(&server, TOKEN).await;
}

#[tokio::test]
async fn boosts_are_sent_and_hiding_or_typing_are_refused() {
    let server = instance().await;
    let channel = MastodonChannel::new(settings(&server), Duration::from_secs(5));
    let sent = channel
        .send(&action(OutboundKind::Repost, "1"), "k")
        .await
        .unwrap();
    assert_eq!(sent.external_id.as_deref(), Some("103254401326800919"));
    assert_eq!(
        requests(&server, "POST", "/api/v1/statuses/1/reblog")
            .await
            .len(),
        1
    );
    for kind in [OutboundKind::Hide, OutboundKind::Typing] {
        let r = channel.send(&action(kind, "1"), "k").await;
        assert!(
            matches!(r, Err(SendError::Permanent(ref m)) if m.starts_with("Mastodon cannot")),
            "{r:?}"
        );
    }
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses/9/favourite"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"error": "Record not found"})),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    let missing = channel.send(&action(OutboundKind::Like, "9"), "k").await;
    assert!(
        matches!(missing, Err(SendError::Permanent(_))),
        "a 404 is permanent: {missing:?}"
    );
    spec::assert_documented(&server, TOKEN).await;
}

#[tokio::test]
async fn check_names_the_account_and_webhook_registration_is_not_supported() {
    let server = instance().await;
    let channel = MastodonChannel::new(settings(&server), Duration::from_secs(5));
    let report = channel.check().await.unwrap();
    assert_eq!(report.account.as_deref(), Some("@northwind"));
    assert!(
        report.notes.iter().any(|n| n.contains("every 30 s")),
        "{report:?}"
    );
    let r = channel
        .register_webhook("https://hearken.example/v1/channels/masto/webhook")
        .await
        .unwrap();
    assert_eq!(
        r,
        Registration::NotSupported(
            "Mastodon has no webhooks for client apps; hearken polls every 30 s".into()
        )
    );
    spec::assert_documented(&server, TOKEN).await;
}

#[tokio::test]
async fn a_mention_in_a_thread_hearken_never_saw_is_filed_under_the_root_the_instance_shows() {
    let server = instance().await;
    let mut deep = mention("101", "201", &DANA, "where is my order?");
    deep["status"]["in_reply_to_id"] = json!("555");
    let mut orphan = mention("102", "202", &FOX, "where is my order?");
    orphan["status"]["in_reply_to_id"] = json!("666");
    page_after(&server, HISTORY, vec![orphan, deep]).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/statuses/201/context"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ancestors": [{"id": "500"}, {"id": "555"}], "descendants": []
        })))
        .mount(&server)
        .await;
    let channel = MastodonChannel::new(settings(&server), Duration::from_secs(5));
    let polled = channel.poller().unwrap().poll(Some(HISTORY)).await.unwrap();
    let threads: Vec<(&str, &str)> = polled
        .events
        .iter()
        .map(|e| (e.event_id.as_str(), e.thread_id.as_str()))
        .collect();
    assert_eq!(
        threads,
        [("101", "500"), ("102", "666")],
        "oldest first; a hidden parent (404) leaves the status replied to"
    );
    assert_eq!(polled.cursor.as_deref(), Some("102"));
    spec::assert_documented(&server, TOKEN).await;
}

#[tokio::test]
async fn an_instance_that_ignores_the_cursor_cannot_move_it_back_or_replay_old_mentions() {
    let server = instance().await;
    // Every page request gets the same old mentions, whatever its `min_id`.
    Mock::given(method("GET"))
        .and(path("/api/v1/notifications"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            mention("101", "201", &DANA, "where is my order?"),
            mention("100", "200", &FOX, "where is my order?"),
        ])))
        .with_priority(1)
        .mount(&server)
        .await;
    let channel = MastodonChannel::new(settings(&server), Duration::from_secs(5));
    let polled = channel.poller().unwrap().poll(Some("500")).await.unwrap();
    assert!(polled.events.is_empty(), "{:?}", polled.events);
    assert_eq!(polled.cursor.as_deref(), Some("500"));
}
