//! Owner changes asked for through the API (`POST /v1/conversations/{id}/owner`): the owner
//! state machine, and who carries the change out (the routing desk for routed conversations,
//! one transaction here for the rest).

use serde_json::json;

use super::{Actor, DeskError, Op};
use crate::engine::Engine;
use crate::events::{self, kind};
use crate::pipeline;
use crate::policy::{EscalationCause, Owner, Priority};
use crate::routing::Target;
use crate::store::conversations as convs;
use crate::store::StoreError;

/// The owner state machine: bot -> queued -> agent -> resolved, agent -> bot (hand-back).
pub fn allowed(from: Owner, to: Owner) -> bool {
    use Owner::*;
    matches!(
        (from, to),
        (Bot, Queued)
            | (Bot, Agent)
            | (Queued, Agent)
            | (Queued, Bot)
            | (Queued, Resolved)
            | (Agent, Bot)
            | (Agent, Queued)
            | (Agent, Resolved)
            | (Resolved, Bot)
            | (Bot, Resolved)
    )
}

/// Move conversation `id` to owner `to`, as `actor`, for `reason`.
pub async fn change(
    engine: &Engine,
    id: i64,
    to: Owner,
    actor: &str,
    reason: &str,
) -> Result<(), DeskError> {
    if actor.trim().is_empty() || reason.trim().is_empty() {
        return Err(DeskError::BadInput(
            "`actor` and `reason` are required".into(),
        ));
    }
    let conv = convs::get(&engine.store, id).await?;
    let from = Owner::parse(&conv.owner).unwrap_or(Owner::Bot);
    if !allowed(from, to) {
        return Err(DeskError::Conflict(format!(
            "a conversation owned by {} cannot go to {}",
            from.as_str(),
            to.as_str()
        )));
    }
    let named = Actor::Named(actor.trim().to_string());
    let routed = crate::store::routing::get(&engine.store, id)
        .await?
        .is_some();
    let skill = || {
        conv.skill
            .clone()
            .unwrap_or_else(|| engine.settings.policy.fallback_skill.clone())
    };
    match (routed, to) {
        // The routing desk owns routed conversations: it frees the agent and keeps the
        // history right.
        (true, Owner::Queued) => {
            let target = Target::Skill(skill());
            super::run(
                engine,
                &named,
                Op::Transfer {
                    conversation_id: id,
                    target,
                },
            )
            .await?;
        }
        (true, to) => {
            super::run(
                engine,
                &named,
                Op::Withdraw {
                    conversation_id: id,
                    to_owner: to,
                    reason: reason.to_string(),
                },
            )
            .await?;
        }
        (false, Owner::Queued) => {
            let skill = skill();
            let now = engine.clock.now_ms();
            let mut tx = engine.store.begin().await?;
            if from != Owner::Bot {
                // `escalate` only takes conversations from the bot.
                convs::transition(&mut tx, id, Owner::Bot.as_str(), actor, reason, now).await?;
            }
            pipeline::escalate(
                &mut tx,
                id,
                &pipeline::Escalation {
                    skill: &skill,
                    priority: conv.priority.map_or(Priority::Normal, Priority::from_rank),
                    not_before: None,
                    reason,
                    cause: EscalationCause::Manual,
                },
                now,
            )
            .await?;
            tx.commit().await.map_err(StoreError::from)?;
            engine.wake.routing.notify_one();
        }
        (false, to) => {
            let now = engine.clock.now_ms();
            let mut tx = engine.store.begin().await?;
            convs::transition(&mut tx, id, to.as_str(), actor, reason, now).await?;
            if to == Owner::Bot && matches!(from, Owner::Agent | Owner::Queued) {
                super::customer::handed_back(&mut tx, engine, id, now).await?;
            }
            let event = match to {
                Owner::Agent => kind::CONVERSATION_ASSIGNED,
                Owner::Resolved => kind::CONVERSATION_RESOLVED,
                _ => kind::CONVERSATION_OWNER_CHANGED,
            };
            events::record(
                &mut tx,
                event,
                Some(id),
                json!({ "from": from, "to": to, "actor": actor, "reason": reason }),
                now,
            )
            .await?;
            tx.commit().await.map_err(StoreError::from)?;
        }
    }
    engine.wake.events.notify_one();
    engine.publish(id, "owner");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resolved_conversation_goes_back_to_the_bot_but_not_straight_to_an_agent() {
        assert!(allowed(Owner::Resolved, Owner::Bot));
        assert!(!allowed(Owner::Resolved, Owner::Agent));
        assert!(!allowed(Owner::Bot, Owner::Bot));
    }
}
