//! Writing one routing operation's result: changed rows, agents' status, owner transitions,
//! the agents' work history, events and the waiting notice, all in the operation's transaction.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::{customer, Actor, Op};
use crate::engine::Engine;
use crate::events::{self, kind};
use crate::policy::Owner;
use crate::routing::{Agent, Effect, Place, Placed};
use crate::store::conversations as convs;
use crate::store::routing::{self, RoutedRow};
use crate::store::{agents, StoreError, Tx};

pub(super) struct Change<'a> {
    pub engine: &'a Engine,
    pub actor: &'a Actor,
    pub op: &'a Op,
    pub now: i64,
    pub rows: &'a BTreeMap<i64, RoutedRow>,
    pub before: &'a BTreeMap<i64, Placed>,
    pub after: &'a BTreeMap<i64, Placed>,
    pub before_agents: &'a BTreeMap<i64, Agent>,
    pub after_agents: &'a BTreeMap<i64, Agent>,
    pub effects: &'a [Effect],
}

/// The conversation owner a routing place means: waiting or offered is `queued`.
pub fn owner_of(place: &Place) -> Owner {
    match place {
        Place::Queued | Place::Offered { .. } => Owner::Queued,
        Place::Assigned { .. } => Owner::Agent,
    }
}

fn assigned_to(p: Option<&Placed>) -> Option<i64> {
    match p.map(|p| p.place) {
        Some(Place::Assigned { agent_id, .. }) => Some(agent_id),
        _ => None,
    }
}

impl Change<'_> {
    /// Writes everything; returns the conversations whose routing changed.
    pub async fn write(&self, tx: &mut Tx) -> Result<Vec<i64>, StoreError> {
        self.write_agents(tx).await?;
        let ids: BTreeSet<i64> = self
            .before
            .keys()
            .chain(self.after.keys())
            .copied()
            .collect();
        let mut touched = Vec::new();
        for id in ids {
            let (b, a) = (self.before.get(&id), self.after.get(&id));
            if b == a {
                continue;
            }
            touched.push(id);
            match a {
                Some(p) => routing::save(tx, p).await?,
                None => routing::remove(tx, id).await?,
            }
            self.write_work(tx, id, b, a).await?;
            self.write_owner(tx, id, b, a).await?;
        }
        for e in self.effects {
            self.write_effect(tx, e).await?;
        }
        if let Op::Transfer {
            conversation_id,
            target,
        } = self.op
        {
            events::record(
                tx,
                kind::CONVERSATION_TRANSFERRED,
                Some(*conversation_id),
                json!({"target": target, "actor": self.actor.name()}),
                self.now,
            )
            .await?;
        }
        Ok(touched)
    }

    async fn write_agents(&self, tx: &mut Tx) -> Result<(), StoreError> {
        for (id, a) in self.after_agents {
            let was = self.before_agents.get(id);
            if was == Some(a) {
                continue;
            }
            agents::save_routing(tx, a, self.now).await?;
            if was.map(|w| w.status) != Some(a.status) {
                events::record(
                    tx,
                    kind::AGENT_STATUS_CHANGED,
                    None,
                    json!({
                        "agent_id": a.id, "login": a.login, "status": a.status,
                        "from": was.map(|w| w.status), "actor": self.actor.name(),
                    }),
                    self.now,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// How an assignment that ended, ended: from the operation's effects.
    fn ending(&self, id: i64) -> (&'static str, Option<&str>, Option<&str>) {
        for e in self.effects {
            match e {
                Effect::Resolved {
                    conversation_id, ..
                } if *conversation_id == id => {
                    if let Op::Resolve {
                        disposition, note, ..
                    } = self.op
                    {
                        return ("resolved", Some(disposition), note.as_deref());
                    }
                }
                Effect::HandBack {
                    conversation_id, ..
                } if *conversation_id == id => return ("handed_back", None, None),
                Effect::Withdrawn {
                    conversation_id, ..
                } if *conversation_id == id => return ("withdrawn", None, None),
                _ => {}
            }
        }
        ("transferred", None, None)
    }

    async fn write_work(
        &self,
        tx: &mut Tx,
        id: i64,
        b: Option<&Placed>,
        a: Option<&Placed>,
    ) -> Result<(), StoreError> {
        let (was, now_with) = (assigned_to(b), assigned_to(a));
        if was == now_with {
            return Ok(());
        }
        if let Some(agent) = was {
            let (outcome, disposition, note) = self.ending(id);
            routing::end_work(tx, id, agent, outcome, disposition, note, self.now).await?;
        }
        if let (Some(agent), Some(p), Some(row)) = (now_with, a, self.rows.get(&id)) {
            let row = RoutedRow {
                placed: p.clone(),
                ..row.clone()
            };
            let accepted = match p.place {
                Place::Assigned { accepted_at_ms, .. } => accepted_at_ms,
                _ => self.now,
            };
            routing::start_work(tx, &row, agent, accepted).await?;
        }
        Ok(())
    }

    async fn write_owner(
        &self,
        tx: &mut Tx,
        id: i64,
        b: Option<&Placed>,
        a: Option<&Placed>,
    ) -> Result<(), StoreError> {
        let from = b.map(|p| owner_of(&p.place));
        let (to, reason) = match a {
            Some(p) => {
                let to = owner_of(&p.place);
                let why = match (to, self.op) {
                    (Owner::Agent, _) => "accepted the offer".to_string(),
                    (_, Op::Transfer { target, .. }) => {
                        format!("transferred to {}", target_name(target))
                    }
                    _ => "back in the queue".to_string(),
                };
                (to, why)
            }
            None => match (self.ending(id), self.op) {
                (("resolved", Some(d), _), _) => (Owner::Resolved, format!("resolved: {d}")),
                (("handed_back", ..), _) => (Owner::Bot, "handed back to the bot".to_string()),
                (
                    _,
                    Op::Withdraw {
                        to_owner, reason, ..
                    },
                ) => (*to_owner, reason.clone()),
                _ => (Owner::Bot, "left routing".to_string()),
            },
        };
        if from == Some(to) {
            return Ok(());
        }
        let actor = self.actor.name();
        let previous = convs::transition(tx, id, to.as_str(), &actor, &reason, self.now).await?;
        if to == Owner::Bot && from.is_some() {
            customer::handed_back(tx, self.engine, id, self.now).await?;
        }
        let event = match to {
            Owner::Agent => kind::CONVERSATION_ASSIGNED,
            Owner::Resolved => kind::CONVERSATION_RESOLVED,
            _ => kind::CONVERSATION_OWNER_CHANGED,
        };
        let agent_id = assigned_to(a).or(assigned_to(b));
        let (_, disposition, note) = self.ending(id);
        events::record(
            tx,
            event,
            Some(id),
            json!({
                "from": previous, "to": to, "actor": actor, "reason": reason,
                "agent_id": agent_id, "disposition": disposition, "note": note,
            }),
            self.now,
        )
        .await?;
        Ok(())
    }

    async fn write_effect(&self, tx: &mut Tx, e: &Effect) -> Result<(), StoreError> {
        let (kind, id, data) = match e {
            Effect::Offered {
                conversation_id,
                agent_id,
                expires_at_ms,
            } => (
                kind::ROUTING_OFFERED,
                *conversation_id,
                json!({"agent_id": agent_id, "expires_at": expires_at_ms}),
            ),
            Effect::OfferExpired {
                conversation_id,
                agent_id,
            } => (
                kind::ROUTING_OFFER_EXPIRED,
                *conversation_id,
                json!({"agent_id": agent_id}),
            ),
            Effect::Requeued {
                conversation_id,
                agent_id,
                reason,
            } => (
                kind::ROUTING_REQUEUED,
                *conversation_id,
                json!({"agent_id": agent_id, "reason": reason}),
            ),
            Effect::WaitingNotice {
                conversation_id,
                message,
            } => {
                let key = format!("waiting:{conversation_id}:{}", self.now);
                customer::reply_in_thread(tx, self.engine, *conversation_id, message, &key, None)
                    .await?;
                (
                    kind::ROUTING_WAITING_NOTICE,
                    *conversation_id,
                    json!({"message": message}),
                )
            }
            Effect::SlaBreached {
                conversation_id,
                priority,
            } => {
                convs::set_priority(tx, *conversation_id, *priority as i64).await?;
                (
                    kind::ROUTING_SLA_BREACHED,
                    *conversation_id,
                    json!({"priority": priority, "sla_secs": self.engine.settings.routing.sla_secs}),
                )
            }
            // Owner changes carry these (see write_owner).
            Effect::Assigned { .. }
            | Effect::Resolved { .. }
            | Effect::HandBack { .. }
            | Effect::Withdrawn { .. } => return Ok(()),
        };
        events::record(tx, kind, Some(id), data, self.now).await
    }
}

fn target_name(t: &crate::routing::Target) -> String {
    use crate::routing::Target;
    match t {
        Target::Agent(id) => format!("agent {id}"),
        Target::Group(g) => format!("group {g}"),
        Target::Skill(s) => format!("skill {s}"),
    }
}
