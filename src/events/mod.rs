//! Events, recorded: every state change writes its event to the `events` table in the same
//! transaction as the change (`record`), in the envelope subscribers receive (`envelope`). This
//! layer sits below the engine; the fan-out to webhooks and NATS lives in `outbox::fanout`.
//! Schemas: docs/events.md.

pub mod kind;
pub mod nats;

use serde_json::{json, Value};

use crate::store::{self, StoreError, Tx};

/// Record an event inside the caller's transaction: it exists if and only if the change does.
pub async fn record(
    tx: &mut Tx,
    kind: &str,
    conversation_id: Option<i64>,
    data: Value,
    now_ms: i64,
) -> Result<(), StoreError> {
    store::events::insert(tx, kind, conversation_id, &data, now_ms).await?;
    Ok(())
}

/// The JSON every subscriber receives.
pub fn envelope(e: &store::events::EventRow) -> Value {
    json!({
        "id": e.uuid,
        "sequence": e.id,
        "kind": e.kind,
        "created_at": store::from_millis(e.created_at).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "conversation_id": e.conversation_id,
        "data": e.payload,
    })
}
