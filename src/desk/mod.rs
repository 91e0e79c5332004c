//! The desk: every operation a person or the API triggers (routing, owner changes, agents,
//! contact links, the emergency switch, reports); `http/`, `console/` and `cli/` only parse, authorise, call
//! and render.
//!
//! Routing operations (`routing::Switchboard`) run against the stored queue.
//! Every operation, from every process, takes the routing lock, rebuilds the router from its
//! rows, runs, writes back what changed, and records owner changes, agents' work, events and
//! customer notices in the same transaction. So no item is lost or given to two agents, even
//! with several `hearken serve` processes on one PostgreSQL.

pub mod agents;
mod apply;
pub mod commands;
pub mod contacts;
pub mod customer;
pub mod emergency;
pub mod owner;
pub mod presence;
pub mod reports;

use std::collections::BTreeMap;

use crate::engine::Engine;
use crate::routing::{Agent, Effect, RoutingError, Status, Switchboard, Target};
use crate::store::routing::RoutedRow;
use crate::store::{self, StoreError};

pub use apply::owner_of;

/// Who asks: the timer, the API token, or a signed-in person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    System,
    Api,
    Person {
        agent_id: i64,
        login: String,
    },
    /// An API caller naming who acted (the owner endpoint's `actor`).
    Named(String),
}

impl Actor {
    /// How transitions and events name the actor: `system`, `api`, `agent:<login>`.
    pub fn name(&self) -> String {
        match self {
            Self::System => "system".into(),
            Self::Api => "api".into(),
            Self::Person { login, .. } => format!("agent:{login}"),
            Self::Named(name) => name.clone(),
        }
    }
}

/// One routing operation. Agent ids are explicit: the HTTP layer decides who may act for whom.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Expire offers, raise SLAs, send waiting notices, make offers.
    Tick,
    Accept {
        conversation_id: i64,
        agent_id: i64,
    },
    Decline {
        conversation_id: i64,
        agent_id: i64,
    },
    SetStatus {
        agent_id: i64,
        status: Status,
    },
    Transfer {
        conversation_id: i64,
        target: Target,
    },
    HandBack {
        conversation_id: i64,
    },
    Resolve {
        conversation_id: i64,
        agent_id: i64,
        disposition: String,
        note: Option<String>,
    },
    /// Out of routing without a router rule (the API set the owner directly).
    Withdraw {
        conversation_id: i64,
        to_owner: crate::policy::Owner,
        reason: String,
    },
    /// Re-read an agent's profile after an administrator changed it (a disabled agent's
    /// offers go back to the queue).
    Refresh {
        agent_id: i64,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error(transparent)]
    Routing(#[from] RoutingError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The person may not do this to this conversation or agent.
    #[error("{0}")]
    NotYours(String),
    #[error("{0}")]
    BadInput(String),
    /// The operation clashes with the current state (the last admin, an owner change the
    /// state machine forbids).
    #[error("{0}")]
    Conflict(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl DeskError {
    /// The stable machine code clients see for this error.
    pub fn code(&self) -> &'static str {
        use RoutingError as R;
        match self {
            Self::Store(s) => s.code(),
            Self::NotYours(_) => "forbidden",
            Self::BadInput(_) => "bad_request",
            Self::Conflict(_) => "conflict",
            Self::Internal(_) => "internal",
            Self::Routing(R::UnknownAgent(_)) => "not_found",
            Self::Routing(R::UnknownDisposition { .. } | R::BadSkillLevel { .. }) => "bad_request",
            Self::Routing(R::Config(_)) => "internal",
            Self::Routing(_) => "conflict",
        }
    }
}

/// What an operation did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub effects: Vec<Effect>,
    /// Conversations whose routing changed (for live views).
    pub touched: Vec<i64>,
}

/// Run one operation in one transaction. A refused operation changes nothing.
pub async fn run(engine: &Engine, actor: &Actor, op: Op) -> Result<Outcome, DeskError> {
    let now = engine.clock.now_ms();
    let mut tx = engine.store.begin().await?;
    store::routing::lock(&engine.store, &mut tx).await?;
    let agents = store::agents::for_routing(&mut tx).await?;
    let rows: BTreeMap<i64, RoutedRow> = store::routing::load(&mut tx)
        .await?
        .into_iter()
        .map(|r| (r.placed.item.conversation_id, r))
        .collect();
    let before_agents: BTreeMap<i64, Agent> = agents.iter().map(|a| (a.id, a.clone())).collect();
    let mut router = Switchboard::restore(
        engine.settings.routing.clone(),
        agents,
        rows.values().map(|r| r.placed.clone()).collect(),
    )?;
    let before = router.placements();
    let effects = match &op {
        Op::Tick => router.tick(now),
        Op::Accept {
            conversation_id,
            agent_id,
        } => router.accept(*conversation_id, *agent_id, now)?,
        Op::Decline {
            conversation_id,
            agent_id,
        } => router.decline(*conversation_id, *agent_id)?,
        Op::SetStatus { agent_id, status } => router.set_status(*agent_id, *status, now)?,
        Op::Transfer {
            conversation_id,
            target,
        } => router.transfer(*conversation_id, target.clone(), now)?,
        Op::HandBack { conversation_id } => router.hand_back(*conversation_id, now)?,
        Op::Resolve {
            conversation_id,
            agent_id,
            disposition,
            ..
        } => router.resolve(*conversation_id, *agent_id, disposition, now)?,
        Op::Withdraw {
            conversation_id, ..
        } => router.withdraw(*conversation_id, now)?,
        Op::Refresh { agent_id } => {
            let row = store::agents::get_tx(&mut tx, *agent_id).await?;
            let mut agent = row.agent;
            if row.disabled {
                agent.status = Status::Offline;
            }
            router.upsert_agent(agent, now)?
        }
    };
    let change = apply::Change {
        engine,
        actor,
        op: &op,
        now,
        rows: &rows,
        before: &before,
        after: &router.placements(),
        before_agents: &before_agents,
        after_agents: router.agents(),
        effects: &effects,
    };
    let touched = change.write(&mut tx).await?;
    if !touched.is_empty() || !effects.is_empty() {
        store::routing::bump(&mut tx).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    for id in &touched {
        engine.publish(*id, "routing");
    }
    if !effects.is_empty() || !touched.is_empty() {
        engine.publish(0, "routing");
        engine.wake.events.notify_one();
        engine.wake.outbox.notify_one();
    }
    Ok(Outcome { effects, touched })
}

/// One tick, skipped when nothing waits or is offered. Returns how many effects it had.
pub async fn tick(engine: &Engine) -> Result<usize, DeskError> {
    if !store::routing::anything_pending(&engine.store).await? {
        return Ok(0);
    }
    Ok(run(engine, &Actor::System, Op::Tick).await?.effects.len())
}
