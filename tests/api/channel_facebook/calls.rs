//! The adapter's Graph calls without the pipeline: every outbound kind, check and
//! register-webhooks, each request held to the spec.

use std::time::Duration;

use hearken::channels::facebook::FacebookChannel;
use hearken::channels::{Channel, Outbound, OutboundKind, Registration, SendError};
use hearken::policy::Visibility;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{graph, graph_calls, settings, PAGE};

fn channel(graph: &MockServer) -> FacebookChannel {
    FacebookChannel::new(settings(graph), Duration::from_secs(5))
}

#[tokio::test]
async fn every_facebook_action_sends_a_request_the_spec_accepts() {
    let graph = graph().await;
    Mock::given(method("POST"))
        .and(path("/v25.0/5_77"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .mount(&graph)
        .await;
    let ch = channel(&graph);
    let reply = |visibility, quick: Vec<String>| OutboundKind::Reply {
        visibility,
        text: "On its way".into(),
        quick_replies: quick,
    };
    let dm = |kind| Outbound {
        kind,
        thread_id: "2001".into(),
        target_message_id: Some("m_1".into()),
        recipient: "2001".into(),
    };
    let on_comment = |kind| Outbound {
        kind,
        thread_id: "1000000001_5".into(),
        target_message_id: Some("5_77".into()),
        recipient: "3001".into(),
    };
    let quick = vec!["Track my order".to_string(), "Talk to a person".to_string()];
    let actions = [
        dm(reply(Visibility::Private, quick)),
        dm(OutboundKind::Typing),
        on_comment(reply(Visibility::Public, Vec::new())),
        on_comment(reply(Visibility::Private, Vec::new())),
        on_comment(OutboundKind::Like),
        on_comment(OutboundKind::Hide),
    ];
    let mut ids = Vec::new();
    for a in &actions {
        ids.push(ch.send(a, "key").await.expect("sent").external_id);
    }
    assert_eq!(
        ids,
        [
            Some("m_sent".into()),
            Some("m_sent".into()),
            Some("1_900".into()),
            Some("m_sent".into()),
            None,
            None
        ]
    );
    let calls = graph_calls(&graph).await;
    assert_eq!(calls.len(), actions.len());
    assert_eq!(
        calls[0].2["message"]["quick_replies"][1],
        json!({"content_type": "text", "title": "Talk to a person", "payload": "Talk to a person"})
    );
    assert_eq!(
        calls[3].2,
        json!({"recipient": {"comment_id": "5_77"}, "message": {"text": "On its way"}})
    );
    let repost = ch.send(&on_comment(OutboundKind::Repost), "key").await;
    assert!(matches!(repost, Err(SendError::Permanent(m)) if m == "facebook cannot repost"));
}

#[tokio::test]
async fn check_and_register_webhooks_report_the_page_and_its_subscription() {
    let graph = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v25.0/me"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": PAGE, "name": "Northwind Goods"})),
        )
        .mount(&graph)
        .await;
    Mock::given(method("GET"))
        .and(path("/v25.0/1000000001/subscribed_apps"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [
            {"category": "Business", "link": "https://hearken.example", "name": "hearken", "id": "77",
             "subscribed_fields": ["feed"]}]})))
        .mount(&graph)
        .await;
    Mock::given(method("POST"))
        .and(path("/v25.0/1000000001/subscribed_apps"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .mount(&graph)
        .await;
    let ch = channel(&graph);
    let report = ch.check().await.expect("checked");
    assert_eq!(report.account.as_deref(), Some("Northwind Goods"));
    assert_eq!(report.webhook.as_deref(), Some("hearken: feed"));
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("messages, messaging_postbacks")),
        "{report:?}"
    );
    let url = "https://hearken.example/v1/channels/northwind-fb/webhook";
    match ch.register_webhook(url).await.expect("registered") {
        Registration::Registered(detail) => {
            assert!(
                detail.contains("App Dashboard") && detail.contains(url),
                "{detail}"
            )
        }
        other => panic!("{other:?}"),
    }
    let calls = graph.received_requests().await.unwrap_or_default();
    let register = calls
        .iter()
        .find(|r| r.method.as_str() == "POST")
        .expect("POST");
    let fields: Vec<(String, String)> = register.url.query_pairs().into_owned().collect();
    assert!(
        fields.contains(&(
            "subscribed_fields".into(),
            "feed,messages,messaging_postbacks".into()
        )),
        "{fields:?}"
    );
    graph_calls(&graph).await;
}

#[tokio::test]
async fn check_with_a_revoked_token_is_unauthorized() {
    let graph = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "The session has been invalidated", "type": "OAuthException", "code": 190, "error_subcode": 460}})))
        .mount(&graph)
        .await;
    assert!(matches!(
        channel(&graph).check().await,
        Err(SendError::Unauthorized(_))
    ));
}
