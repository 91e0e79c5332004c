//! The router as rows: every routed conversation with where it is (`Placed`), and a router
//! rebuilt from such rows. The store keeps these rows; each operation restores a router from
//! them, runs, and writes back what changed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    Agent, Assignment, Offer, OpenOffer, QueueItem, RoutingConfig, RoutingError, Switchboard,
};

/// Where a routed conversation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Place {
    Queued,
    Offered {
        agent_id: i64,
        offered_at_ms: i64,
        expires_at_ms: i64,
    },
    Assigned {
        agent_id: i64,
        accepted_at_ms: i64,
    },
}

impl Place {
    pub fn state(&self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Offered { .. } => "offered",
            Self::Assigned { .. } => "assigned",
        }
    }

    /// The agent holding it (offered or assigned).
    pub fn agent_id(&self) -> Option<i64> {
        match self {
            Self::Queued => None,
            Self::Offered { agent_id, .. } | Self::Assigned { agent_id, .. } => Some(*agent_id),
        }
    }
}

/// One routed conversation: its queue item and its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placed {
    pub item: QueueItem,
    pub place: Place,
}

impl Switchboard {
    /// A router holding exactly these agents and routed conversations. Loads are counted from
    /// the assignments; nothing is re-decided.
    pub fn restore(
        config: RoutingConfig,
        agents: Vec<Agent>,
        placed: Vec<Placed>,
    ) -> Result<Self, RoutingError> {
        let mut r = Switchboard::new(config)?;
        for a in agents {
            r.agents.insert(a.id, a);
        }
        for Placed { item, place } in placed {
            let id = item.conversation_id;
            match place {
                Place::Queued => {
                    r.queue.insert(id, item);
                }
                Place::Offered {
                    agent_id,
                    offered_at_ms,
                    expires_at_ms,
                } => {
                    r.offers.insert(
                        id,
                        OpenOffer {
                            offer: Offer {
                                conversation_id: id,
                                agent_id,
                                offered_at_ms,
                                expires_at_ms,
                            },
                            item,
                        },
                    );
                }
                Place::Assigned {
                    agent_id,
                    accepted_at_ms,
                } => {
                    *r.loads.entry(agent_id).or_insert(0) += 1;
                    r.assigned.insert(
                        id,
                        Assignment {
                            agent_id,
                            accepted_at_ms,
                            item,
                        },
                    );
                }
            }
        }
        Ok(r)
    }

    /// Every routed conversation and where it is, by conversation id.
    pub fn placements(&self) -> BTreeMap<i64, Placed> {
        let queued = self.queue.values().map(|i| Placed {
            item: i.clone(),
            place: Place::Queued,
        });
        let offered = self.offers.values().map(|o| Placed {
            item: o.item.clone(),
            place: Place::Offered {
                agent_id: o.offer.agent_id,
                offered_at_ms: o.offer.offered_at_ms,
                expires_at_ms: o.offer.expires_at_ms,
            },
        });
        let assigned = self.assigned.values().map(|a| Placed {
            item: a.item.clone(),
            place: Place::Assigned {
                agent_id: a.agent_id,
                accepted_at_ms: a.accepted_at_ms,
            },
        });
        queued
            .chain(offered)
            .chain(assigned)
            .map(|p| (p.item.conversation_id, p))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::{Priority, Role, Status};

    fn agent(id: i64) -> Agent {
        Agent {
            id,
            login: format!("a{id}"),
            name: format!("A {id}"),
            role: Role::Agent,
            skills: [("billing".to_string(), 3)].into_iter().collect(),
            groups: Vec::new(),
            capacity: 2,
            status: Status::Online,
            idle_since_ms: 0,
        }
    }

    #[test]
    fn a_restored_router_has_the_same_placements_and_loads() {
        let mut r = Switchboard::new(RoutingConfig::default()).unwrap();
        r.upsert_agent(agent(1), 0).unwrap();
        r.upsert_agent(agent(2), 0).unwrap();
        for c in 1..=4 {
            r.enqueue(QueueItem::new(c, "billing", Priority::Normal, "x", c))
                .unwrap();
        }
        r.tick(10);
        r.accept(1, 1, 11).unwrap();
        let placed = r.placements();
        let agents = r.agents().values().cloned().collect();
        let back = Switchboard::restore(
            r.config().clone(),
            agents,
            placed.values().cloned().collect(),
        )
        .unwrap();
        assert_eq!(back.placements(), placed);
        assert_eq!(back.load(1), 1);
        assert_eq!(back.open_offers(2), r.open_offers(2));
        // And it goes on deciding as the original would.
        let (mut a, mut b) = (r.clone(), back);
        assert_eq!(a.tick(40_000), b.tick(40_000));
        assert_eq!(a.placements(), b.placements());
    }
}
