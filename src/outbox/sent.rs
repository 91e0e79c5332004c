//! After a successful send: the row is marked sent, a reply goes on the transcript, a ticket's
//! URL is stored and answered to the customer, anything else becomes an `action.sent` event.

use std::collections::BTreeMap;

use serde_json::json;

use super::action::{OutboxAction, SendAction, TicketRequest};
use crate::channels::{Outbound, OutboundKind, Sent};
use crate::engine::Engine;
use crate::events::{self, kind};
use crate::intents::template;
use crate::store::conversations::{self as convs, NewMessage};
use crate::store::outbox::{self, OutboxRow};
use crate::store::{StoreError, Tx};

pub(super) async fn on_sent(
    engine: &Engine,
    row: &OutboxRow,
    action: &OutboxAction,
    sent: Sent,
) -> Result<(), StoreError> {
    if engine.channels.health.get(&row.channel).healthy == Some(false) {
        engine.channel_health(&row.channel, true, None, None).await;
    }
    let now = engine.clock.now_ms();
    let attempts = row.attempts + 1;
    let mut tx = engine.store.begin().await?;
    outbox::mark_sent(&mut tx, row.id, attempts, sent.external_id.as_deref(), now).await?;
    if let Some(conv_id) = row.conversation_id {
        let done = Done {
            row,
            conv_id,
            attempts,
            sent: &sent,
            now,
        };
        match action {
            OutboxAction::Send(
                s @ SendAction {
                    outbound:
                        Outbound {
                            kind: OutboundKind::Reply { .. },
                            ..
                        },
                    ..
                },
            ) => reply_sent(&mut tx, &done, s).await?,
            OutboxAction::Ticket(t) => ticket_opened(&mut tx, engine, &done, t).await?,
            OutboxAction::Send(_) | OutboxAction::Webhook(_) => {
                events::record(&mut tx, kind::ACTION_SENT, Some(conv_id), json!({
                    "kind": action.kind(), "outbox_id": row.id, "attempts": attempts, "external_id": sent.external_id,
                }), now).await?;
            }
        }
    }
    tx.commit().await?;
    engine.metrics.outbox_sent(&row.channel);
    if let Some(conv_id) = row.conversation_id {
        engine.publish(conv_id, "outbox");
    }
    engine.wake.events.notify_one();
    Ok(())
}

/// The sent row and what the platform answered.
struct Done<'a> {
    row: &'a OutboxRow,
    conv_id: i64,
    attempts: i64,
    sent: &'a Sent,
    now: i64,
}

/// A reply is on the platform: it joins the transcript, attributed to its author.
async fn reply_sent(tx: &mut Tx, d: &Done<'_>, s: &SendAction) -> Result<(), StoreError> {
    let OutboundKind::Reply {
        visibility, text, ..
    } = &s.outbound.kind
    else {
        return Ok(());
    };
    let author = s.author.as_deref().unwrap_or("bot");
    if author != "bot" {
        crate::store::routing::mark_first_reply(tx, d.conv_id, d.now).await?;
    }
    let message_id = convs::add_message(
        tx,
        &NewMessage {
            conversation_id: d.conv_id,
            inbox_id: None,
            outbox_id: Some(d.row.id),
            direction: "out",
            visibility: visibility.as_str(),
            author,
            text,
            platform_message_id: d.sent.external_id.as_deref(),
            analysis: None,
        },
        d.now,
    )
    .await?;
    events::record(
        tx,
        kind::REPLY_SENT,
        Some(d.conv_id),
        json!({
            "message_id": message_id, "outbox_id": d.row.id, "visibility": visibility,
            "text": text, "attempts": d.attempts, "external_id": d.sent.external_id,
            "author": author,
        }),
        d.now,
    )
    .await
}

/// The ticket exists: its URL goes on the conversation, and the customer's answer with the
/// URL is queued.
async fn ticket_opened(
    tx: &mut Tx,
    engine: &Engine,
    d: &Done<'_>,
    t: &TicketRequest,
) -> Result<(), StoreError> {
    let url = d.sent.external_id.clone().unwrap_or_default();
    convs::set_ticket_url(tx, d.conv_id, &url).await?;
    events::record(
        tx,
        kind::TICKET_OPENED,
        Some(d.conv_id),
        json!({"url": url, "outbox_id": d.row.id}),
        d.now,
    )
    .await?;
    let reply = OutboxAction::Send(SendAction {
        channel: t.reply.channel.clone(),
        outbound: Outbound {
            kind: OutboundKind::Reply {
                visibility: t.reply.visibility,
                text: ticket_reply_text(t, &url),
                quick_replies: Vec::new(),
            },
            thread_id: t.reply.thread_id.clone(),
            target_message_id: t.reply.target_message_id.clone(),
            recipient: t.reply.recipient.clone(),
        },
        author: None,
    });
    let key = format!("{}:reply", d.row.idempotency_key);
    crate::outbox::enqueue(
        tx,
        &crate::outbox::NewAction {
            idempotency_key: &key,
            conversation_id: Some(d.conv_id),
            action: &reply,
            deadline_ms: d.now + engine.settings.outbox.retry_for_secs as i64 * 1000,
        },
        d.now,
    )
    .await?;
    engine.wake.outbox.notify_one();
    Ok(())
}

/// The reply template filled with the ticket's fields, `first_name` and `ticket_url`.
pub(super) fn ticket_reply_text(t: &TicketRequest, url: &str) -> String {
    let mut values: BTreeMap<&str, String> = t
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    if let Some(first) = values
        .get("name")
        .and_then(|n| n.split_whitespace().next())
        .map(String::from)
    {
        values.insert("first_name", first);
    }
    values.insert("ticket_url", url.to_string());
    template::render(&t.reply.template, &values)
}
