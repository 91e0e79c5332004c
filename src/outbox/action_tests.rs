//! The stored form of outbox actions: tagged, versioned, and flat where readers expect it.

use serde_json::json;

use super::*;
use crate::channels::OutboundKind;

fn agent_reply() -> OutboxAction {
    OutboxAction::Send(SendAction {
        channel: "crm".into(),
        outbound: Outbound {
            kind: OutboundKind::Reply {
                visibility: Visibility::Private,
                text: "on it".into(),
                quick_replies: Vec::new(),
            },
            thread_id: "dm-1".into(),
            target_message_id: Some("m-1".into()),
            recipient: "dana".into(),
        },
        author: Some("agent:mulder".into()),
    })
}

fn ticket() -> OutboxAction {
    OutboxAction::Ticket(TicketRequest {
        title: "Checkout crashes".into(),
        body: "From dana".into(),
        skill: "support".into(),
        priority: Priority::Normal,
        fields: [("name".to_string(), "Dana Scully".to_string())].into(),
        reply: TicketReply {
            channel: "crm".into(),
            visibility: Visibility::Public,
            template: "See {{ticket_url}}".into(),
            thread_id: "post-9".into(),
            target_message_id: Some("m-9".into()),
            recipient: "dana".into(),
        },
    })
}

fn webhook() -> OutboxAction {
    OutboxAction::Webhook(WebhookDelivery {
        subscriber: "crm-sync".into(),
        event: json!({"kind": "reply.sent", "id": "e-1"}),
    })
}

fn stored(a: &OutboxAction) -> serde_json::Value {
    serde_json::from_str(&a.to_payload()).expect("valid JSON")
}

#[test]
fn every_action_reads_back_as_it_was_written() {
    for action in [agent_reply(), ticket(), webhook()] {
        assert_eq!(
            OutboxAction::from_payload(&stored(&action)).unwrap(),
            action
        );
    }
}

#[test]
fn the_stored_payload_names_its_type_and_version() {
    assert_eq!(stored(&agent_reply())["type"], "send");
    assert_eq!(stored(&ticket())["type"], "ticket");
    assert_eq!(stored(&webhook())["type"], "webhook");
    assert_eq!(stored(&webhook())["v"], 1);
}

#[test]
fn a_send_keeps_text_visibility_and_author_at_the_top_as_before() {
    let p = stored(&agent_reply());
    assert_eq!(p["kind"], "reply");
    assert_eq!(p["text"], "on it");
    assert_eq!(p["visibility"], "private");
    assert_eq!(p["author"], "agent:mulder");
    assert_eq!(p["thread_id"], "dm-1");
}

#[test]
fn the_bot_s_sends_carry_no_author() {
    let OutboxAction::Send(mut s) = agent_reply() else {
        unreachable!()
    };
    s.author = None;
    assert!(stored(&OutboxAction::Send(s)).get("author").is_none());
}

#[test]
fn kind_and_channel_columns_come_from_the_action() {
    assert_eq!(
        (agent_reply().kind(), agent_reply().channel()),
        ("reply", "crm".to_string())
    );
    assert_eq!(
        (ticket().kind(), ticket().channel()),
        ("ticket", "tickets".to_string())
    );
    assert_eq!(
        (webhook().kind(), webhook().channel()),
        ("webhook", "webhook:crm-sync".to_string())
    );
}

#[test]
fn a_payload_from_another_format_version_is_refused_by_name() {
    let mut p = stored(&webhook());
    p["v"] = json!(2);
    let err = OutboxAction::from_payload(&p).unwrap_err().to_string();
    assert!(err.contains("v2"), "{err}");
    let err = OutboxAction::from_payload(&json!({"subscriber": "x", "event": {}}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("without a version"), "{err}");
}

#[test]
fn an_unknown_type_or_a_missing_field_is_unreadable() {
    for p in [
        json!({"v": 1, "type": "fax"}),
        json!({"v": 1, "type": "ticket", "title": "no reply"}),
        serde_json::Value::Null,
    ] {
        assert!(OutboxAction::from_payload(&p).is_err(), "{p}");
    }
    let err = OutboxAction::from_payload(&json!({"v": 1, "type": "fax"})).unwrap_err();
    assert!(matches!(err, PayloadError::Unreadable(_)), "{err}");
}
