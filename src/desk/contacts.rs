//! Contacts as operations: linking an identity into another contact (with evidence, so the
//! same person on two platforms becomes one contact) and undoing it, each with its event in
//! the same transaction.

use serde::Deserialize;
use serde_json::json;

use super::DeskError;
use crate::engine::Engine;
use crate::events::{self, kind};
use crate::store::contacts::{self, Link};
use crate::store::StoreError;

/// Why two identities are one person. Linking needs one of these; a bare request is refused.
#[derive(Deserialize, Debug)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Evidence {
    /// An agent confirmed it (e.g. the customer said so in both places).
    AgentConfirmed { note: String },
    /// Both identities carry the same verified attribute (e.g. a verified e-mail).
    VerifiedAttribute { attribute: String, value: String },
}

/// Move identity `identity_id` into contact `contact_id`, as `actor`, because of `evidence`.
pub async fn link(
    engine: &Engine,
    contact_id: i64,
    identity_id: i64,
    actor: &str,
    evidence: &Evidence,
) -> Result<Link, DeskError> {
    let evidence = match evidence {
        Evidence::AgentConfirmed { note } if !note.trim().is_empty() => {
            json!({"kind": "agent_confirmed", "note": note})
        }
        Evidence::VerifiedAttribute { attribute, value }
            if !attribute.is_empty() && !value.is_empty() =>
        {
            json!({"kind": "verified_attribute", "attribute": attribute, "value": value})
        }
        _ => return Err(DeskError::BadInput("evidence must not be empty".into())),
    };
    if actor.trim().is_empty() {
        return Err(DeskError::BadInput("`actor` is required".into()));
    }
    let now = engine.clock.now_ms();
    let mut tx = engine.store.begin().await?;
    let link = contacts::link(
        &mut tx,
        identity_id,
        contact_id,
        &evidence.to_string(),
        actor,
        now,
    )
    .await?;
    events::record(
        &mut tx,
        kind::CONTACT_LINKED,
        None,
        json!({
            "link_id": link.id, "identity_id": link.identity_id, "from_contact": link.from_contact,
            "to_contact": link.to_contact, "actor": link.actor, "evidence": evidence,
        }),
        now,
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    engine.wake.events.notify_one();
    Ok(link)
}

/// Undo link `link_id`: the identity goes back to the contact it came from.
pub async fn undo(engine: &Engine, link_id: i64, actor: &str) -> Result<Link, DeskError> {
    if actor.trim().is_empty() {
        return Err(DeskError::BadInput("`actor` is required".into()));
    }
    let now = engine.clock.now_ms();
    let mut tx = engine.store.begin().await?;
    let link = contacts::undo(&mut tx, link_id, actor, now).await?;
    events::record(
        &mut tx,
        kind::CONTACT_UNLINKED,
        None,
        json!({
            "link_id": link.id, "identity_id": link.identity_id,
            "back_to_contact": link.from_contact, "actor": actor,
        }),
        now,
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    engine.wake.events.notify_one();
    Ok(link)
}
