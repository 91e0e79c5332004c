//! The emergency switch as an operation: the switch and its `emergency.changed` event are
//! written in one transaction, so no process sees one without the other.

use serde_json::json;

use super::DeskError;
use crate::engine::Engine;
use crate::events::{self, kind};
use crate::store::switches::{self, Switch};
use crate::store::StoreError;

/// Turn emergency mode on or off (API, `hearken emergency`, `serve --emergency`).
pub async fn set(
    engine: &Engine,
    on: bool,
    message: Option<String>,
    actor: &str,
) -> Result<Switch, DeskError> {
    if actor.trim().is_empty() {
        return Err(DeskError::BadInput("`actor` is required".into()));
    }
    let now = engine.clock.now_ms();
    let s = Switch {
        name: switches::EMERGENCY.into(),
        on,
        message: message.filter(|m| !m.trim().is_empty()),
        actor: actor.into(),
        changed_at: now,
    };
    let mut tx = engine.store.begin().await?;
    switches::set(&mut tx, &s).await?;
    events::record(
        &mut tx,
        kind::EMERGENCY_CHANGED,
        None,
        json!({"on": s.on, "message": s.message, "actor": s.actor}),
        now,
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    engine.wake.events.notify_one();
    Ok(s)
}
