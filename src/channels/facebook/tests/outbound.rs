//! Outbound: what each action becomes on the Graph API, and the Graph error table.

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::Method;
use serde_json::json;

use super::page;
use crate::channels::facebook::send::{classify, created_id, plan, rate_limit_delay_ms};
use crate::channels::{Outbound, OutboundKind, SendError};
use crate::policy::Visibility;

fn reply(visibility: Visibility, text: &str, quick: &[&str]) -> OutboundKind {
    OutboundKind::Reply {
        visibility,
        text: text.into(),
        quick_replies: quick.iter().map(|q| q.to_string()).collect(),
    }
}

/// An action in a Messenger conversation with PSID `p1`.
fn in_messenger(kind: OutboundKind) -> Outbound {
    Outbound {
        kind,
        thread_id: "p1".into(),
        target_message_id: Some("m_1".into()),
        recipient: "p1".into(),
    }
}

/// An action on comment `1_10` under Page post `42_1`, written by `u1`.
fn on_comment(kind: OutboundKind) -> Outbound {
    Outbound {
        kind,
        thread_id: "42_1".into(),
        target_message_id: Some("1_10".into()),
        recipient: "u1".into(),
    }
}

fn planned(action: &Outbound) -> (Method, String, serde_json::Value) {
    let c = plan(&page("42"), action).expect("planned");
    (c.method, c.path, c.body.unwrap_or_default())
}

fn refused(action: &Outbound) -> String {
    match plan(&page("42"), action) {
        Err(SendError::Permanent(m)) => m,
        other => panic!("expected a permanent refusal, got {other:?}"),
    }
}

#[test]
fn a_messenger_reply_is_a_send_api_response_with_quick_replies() {
    let long = "a quick reply title that is far too long";
    let (m, path, body) = planned(&in_messenger(reply(
        Visibility::Private,
        "Pick one",
        &["Track order", long],
    )));
    assert_eq!((m, path.as_str()), (Method::POST, "/v25.0/42/messages"));
    assert_eq!(
        body,
        json!({"recipient": {"id": "p1"}, "messaging_type": "RESPONSE", "message": {
        "text": "Pick one",
        "quick_replies": [
            {"content_type": "text", "title": "Track order", "payload": "Track order"},
            {"content_type": "text", "title": "a quick reply title ", "payload": long},
        ]}})
    );
    let (_, _, plain) = planned(&in_messenger(reply(Visibility::Private, "hi", &[])));
    assert_eq!(plain["message"], json!({"text": "hi"}));
}

#[test]
fn a_public_reply_to_a_comment_is_a_comment_on_that_comment() {
    let (m, path, body) = planned(&on_comment(reply(Visibility::Public, "Hello", &["x"])));
    assert_eq!((m, path.as_str()), (Method::POST, "/v25.0/1_10/comments"));
    assert_eq!(body, json!({"message": "Hello"}));
}

#[test]
fn a_private_reply_to_a_comment_or_a_visitor_post_goes_through_the_send_api() {
    let (_, path, body) = planned(&on_comment(reply(Visibility::Private, "See DM", &[])));
    assert_eq!(path, "/v25.0/42/messages");
    assert_eq!(
        body,
        json!({"recipient": {"comment_id": "1_10"}, "message": {"text": "See DM"}})
    );
    let mut on_post = on_comment(reply(Visibility::Private, "See DM", &[]));
    on_post.target_message_id = Some("42_1".into());
    assert_eq!(planned(&on_post).2["recipient"], json!({"post_id": "42_1"}));
}

#[test]
fn likes_hides_and_typing_address_their_object() {
    let (_, path, body) = planned(&on_comment(OutboundKind::Like));
    assert_eq!((path.as_str(), body), ("/v25.0/1_10/likes", json!({})));
    let (_, path, body) = planned(&on_comment(OutboundKind::Hide));
    assert_eq!(
        (path.as_str(), body),
        ("/v25.0/1_10", json!({"is_hidden": true}))
    );
    let (_, path, body) = planned(&in_messenger(OutboundKind::Typing));
    assert_eq!(path, "/v25.0/42/messages");
    assert_eq!(
        body,
        json!({"recipient": {"id": "p1"}, "sender_action": "typing_on"})
    );
    let (_, path, body) = planned(&in_messenger(OutboundKind::Seen));
    assert_eq!(path, "/v25.0/42/messages");
    assert_eq!(
        body,
        json!({"recipient": {"id": "p1"}, "sender_action": "mark_seen"})
    );
}

#[test]
fn what_facebook_cannot_do_is_refused_for_good() {
    assert_eq!(
        refused(&on_comment(OutboundKind::Repost)),
        "facebook cannot repost"
    );
    assert!(refused(&in_messenger(OutboundKind::Like)).contains("cannot like"));
    assert!(refused(&in_messenger(OutboundKind::Hide)).contains("cannot hide"));
    assert!(refused(&on_comment(OutboundKind::Typing)).contains("cannot show typing"));
    assert!(refused(&on_comment(OutboundKind::Seen)).contains("cannot mark"));
    let mut sneaky = on_comment(OutboundKind::Like);
    sneaky.target_message_id = Some("1_10/../../me/feed".into());
    assert!(refused(&sneaky).contains("not a Graph object id"));
    let long = "x".repeat(2001);
    assert!(refused(&in_messenger(reply(Visibility::Private, &long, &[]))).contains("2000"));
}

fn err(status: u16, body: serde_json::Value) -> SendError {
    classify(status, &HeaderMap::new(), &body.to_string()).expect_err("an error")
}

fn graph_error(code: i64, sub: i64) -> serde_json::Value {
    json!({"error": {"message": "m", "type": "OAuthException", "code": code,
                     "error_subcode": sub, "fbtrace_id": "t"}})
}

#[test]
fn an_expired_token_is_unauthorized() {
    assert!(matches!(
        err(400, graph_error(190, 463)),
        SendError::Unauthorized(_)
    ));
    assert!(matches!(err(401, json!({})), SendError::Unauthorized(_)));
}

#[test]
fn rate_limit_codes_wait_for_the_time_meta_estimates() {
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-business-use-case-usage",
        HeaderValue::from_static(
            r#"{"42":[{"type":"pages","call_count":100,"total_cputime":3,"total_time":4,"estimated_time_to_regain_access":5}]}"#,
        ),
    );
    match classify(400, &headers, &graph_error(80001, 0).to_string()) {
        Err(SendError::RateLimited { retry_after_ms, .. }) => assert_eq!(retry_after_ms, 300_000),
        other => panic!("{other:?}"),
    }
    for code in [4, 17, 32, 613, 80006, 80009] {
        match err(400, graph_error(code, 0)) {
            SendError::RateLimited { retry_after_ms, .. } => assert_eq!(retry_after_ms, 60_000),
            other => panic!("{code}: {other:?}"),
        }
    }
    let mut app = HeaderMap::new();
    app.insert(
        "x-app-usage",
        HeaderValue::from_static(r#"{"call_count":100,"estimated_time_to_regain_access":2}"#),
    );
    assert_eq!(rate_limit_delay_ms(&app), 120_000);
    assert!(matches!(
        classify(429, &HeaderMap::new(), ""),
        Err(SendError::RateLimited {
            retry_after_ms: 60_000,
            ..
        })
    ));
}

#[test]
fn the_messenger_window_is_a_permanent_error_that_says_so() {
    match err(400, graph_error(10, 2018278)) {
        SendError::Permanent(m) => assert!(m.contains("24-hour window"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn transient_graph_errors_are_retried_and_the_rest_are_not() {
    assert!(matches!(
        err(500, graph_error(1, 0)),
        SendError::Retryable(_)
    ));
    assert!(matches!(
        err(400, graph_error(2, 0)),
        SendError::Retryable(_)
    ));
    let transient = json!({"error": {"code": 100, "is_transient": true}});
    assert!(matches!(err(400, transient), SendError::Retryable(_)));
    assert!(matches!(
        classify(503, &HeaderMap::new(), "down"),
        Err(SendError::Retryable(_))
    ));
    assert!(matches!(
        err(400, graph_error(100, 33)),
        SendError::Permanent(_)
    ));
    assert!(matches!(
        err(400, graph_error(10, 0)),
        SendError::Permanent(_)
    ));
}

#[test]
fn a_success_names_what_it_created() {
    let sent = classify(
        200,
        &HeaderMap::new(),
        r#"{"recipient_id":"p1","message_id":"m_9"}"#,
    );
    assert_eq!(created_id(&sent.unwrap()).as_deref(), Some("m_9"));
    let comment = classify(200, &HeaderMap::new(), r#"{"id":"1_77"}"#).unwrap();
    assert_eq!(created_id(&comment).as_deref(), Some("1_77"));
    let liked = classify(200, &HeaderMap::new(), r#"{"success":true}"#).unwrap();
    assert_eq!(created_id(&liked), None);
}
