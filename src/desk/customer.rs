//! What people send to customers: the waiting notice, the hand-back notice, an agent's reply (public, private, or
//! moved to private with a public acknowledgement), a like or a repost. Everything goes
//! through the outbox, so it is retried and a failure shows on the conversation.

use crate::channels::{Outbound, OutboundKind};
use crate::engine::Engine;
use crate::outbox;
use crate::outbox::action::{OutboxAction, SendAction};
use crate::policy::Visibility;
use crate::store::conversations as convs;
use crate::store::{StoreError, Tx};

/// Where an action on a conversation goes: its thread, the message it answers and the person.
struct Address {
    channel: String,
    thread_id: String,
    target_message_id: Option<String>,
    recipient: String,
}

async fn address(
    tx: &mut Tx,
    conversation_id: i64,
    message_id: Option<i64>,
) -> Result<Address, StoreError> {
    let conv = convs::get_tx(tx, conversation_id).await?;
    let target = match message_id {
        Some(m) => Some(convs::inbound_message_tx(tx, conversation_id, m).await?),
        None => convs::last_inbound_tx(tx, conversation_id).await?,
    };
    Ok(Address {
        channel: conv.channel,
        thread_id: conv.thread_key,
        target_message_id: target.as_ref().and_then(|m| m.platform_message_id.clone()),
        recipient: target.map(|m| m.author).unwrap_or_default(),
    })
}

/// Queue one action to the customer of `conversation_id`. `author` is who the transcript will
/// show (`agent:<login>`; `None` is the bot). Returns the outbox id (None: the key was used).
pub async fn send(
    tx: &mut Tx,
    engine: &Engine,
    conversation_id: i64,
    kind: OutboundKind,
    message_id: Option<i64>,
    key: &str,
    author: Option<&str>,
) -> Result<Option<i64>, StoreError> {
    let a = address(tx, conversation_id, message_id).await?;
    let action = OutboxAction::Send(SendAction {
        channel: a.channel,
        outbound: Outbound {
            kind,
            thread_id: a.thread_id,
            target_message_id: a.target_message_id,
            recipient: a.recipient,
        },
        author: author.map(String::from),
    });
    let now = engine.clock.now_ms();
    outbox::enqueue(
        tx,
        &outbox::NewAction {
            idempotency_key: key,
            conversation_id: Some(conversation_id),
            action: &action,
            deadline_ms: now + engine.settings.outbox.retry_for_secs as i64 * 1000,
        },
        now,
    )
    .await
}

/// A reply in the conversation's own visibility (public thread or private chat).
pub async fn reply_in_thread(
    tx: &mut Tx,
    engine: &Engine,
    conversation_id: i64,
    text: &str,
    key: &str,
    author: Option<&str>,
) -> Result<Option<i64>, StoreError> {
    let conv = convs::get_tx(tx, conversation_id).await?;
    let visibility = if conv.visibility == "private" {
        Visibility::Private
    } else {
        Visibility::Public
    };
    let kind = OutboundKind::Reply {
        visibility,
        text: text.to_string(),
        quick_replies: Vec::new(),
    };
    send(tx, engine, conversation_id, kind, None, key, author).await
}

/// A person handed the conversation back: the customer hears so (`routing.hand_back_message`).
pub async fn handed_back(
    tx: &mut Tx,
    engine: &Engine,
    conversation_id: i64,
    now: i64,
) -> Result<(), StoreError> {
    let text = &engine.settings.routing.hand_back_message;
    if text.trim().is_empty() {
        return Ok(());
    }
    let key = format!("handback:{conversation_id}:{now}");
    reply_in_thread(tx, engine, conversation_id, text, &key, None).await?;
    Ok(())
}

/// The configured public acknowledgement for "move to private", addressed to this
/// conversation's customer (`{{first_name}}`, `{{name}}`, `{{handle}}`).
pub async fn acknowledgement(engine: &Engine, conversation_id: i64) -> Result<String, StoreError> {
    let conv = convs::get(&engine.store, conversation_id).await?;
    let contact = crate::store::contacts::get(&engine.store, conv.contact_id).await?;
    let identity = contact
        .identities
        .iter()
        .find(|i| i.channel == conv.channel);
    let name = identity
        .and_then(|i| i.display_name.clone())
        .or(contact.display_name.clone())
        .filter(|n| !n.trim().is_empty());
    let mut values = std::collections::BTreeMap::new();
    // No name: the fields stay out and the message reads without them ("Hi," not "Hi there,").
    if let Some(name) = name {
        let first = name.split_whitespace().next().unwrap_or(&name).to_string();
        values.insert("first_name", first);
        values.insert("name", name);
    }
    values.insert(
        "handle",
        identity.map(|i| i.handle.clone()).unwrap_or_default(),
    );
    Ok(crate::intents::template::render(
        &engine.settings.console.move_to_private_message,
        &values,
    ))
}
