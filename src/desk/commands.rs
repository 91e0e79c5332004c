//! What a person may do with a routed conversation, checked once for the JSON API and the
//! console alike: agents act on their own offers and conversations; supervisors and admins
//! (and the API token) on anyone's. Each command then runs one desk operation or queues
//! actions to the customer in one transaction.

use serde::Deserialize;

use super::{customer, run, Actor, DeskError, Op, Outcome};
use crate::channels::OutboundKind;
use crate::engine::Engine;
use crate::policy::Visibility;
use crate::routing::{Place, Role, Status, Target};
use crate::store::{self, StoreError};

/// The person (or token) asking, as the desk needs to know them.
#[derive(Debug, Clone)]
pub struct Who {
    pub actor: Actor,
    pub role: Role,
    /// The signed-in agent; `None` for the API token.
    pub agent_id: Option<i64>,
}

impl Who {
    fn oversees(&self) -> bool {
        self.role >= Role::Supervisor
    }

    /// The agent an agent-scoped command acts as: themselves, or for a supervisor or the
    /// token, the one named (`for_agent`) or the one holding the conversation.
    fn acting_agent(&self, for_agent: Option<i64>, holder: Option<i64>) -> Result<i64, DeskError> {
        match (self.agent_id, self.oversees()) {
            (Some(me), false) => match for_agent {
                Some(other) if other != me => {
                    Err(DeskError::NotYours("agents act only for themselves".into()))
                }
                _ => Ok(me),
            },
            (me, true) => for_agent.or(holder).or(me).ok_or_else(|| {
                DeskError::BadInput("name the agent (`agent_id`) this is done for".into())
            }),
            (None, false) => Err(DeskError::NotYours("no agent to act as".into())),
        }
    }
}

/// Where the conversation is in routing, if it is routed at all.
async fn place_of(engine: &Engine, conversation_id: i64) -> Result<Option<Place>, DeskError> {
    Ok(store::routing::get(&engine.store, conversation_id)
        .await?
        .map(|r| r.placed.place))
}

/// Agents may only touch what is offered or assigned to them.
async fn check_holds(
    engine: &Engine,
    who: &Who,
    conversation_id: i64,
) -> Result<Option<i64>, DeskError> {
    let holder = place_of(engine, conversation_id)
        .await?
        .and_then(|p| p.agent_id());
    if who.oversees() {
        return Ok(holder);
    }
    match (who.agent_id, holder) {
        (Some(me), Some(h)) if me == h => Ok(holder),
        _ => Err(DeskError::NotYours(format!(
            "conversation {conversation_id} is not offered or assigned to you"
        ))),
    }
}

pub async fn accept(
    engine: &Engine,
    who: &Who,
    conversation_id: i64,
    for_agent: Option<i64>,
) -> Result<Outcome, DeskError> {
    let holder = place_of(engine, conversation_id)
        .await?
        .and_then(|p| p.agent_id());
    let agent_id = who.acting_agent(for_agent, holder)?;
    run(
        engine,
        &who.actor,
        Op::Accept {
            conversation_id,
            agent_id,
        },
    )
    .await
}

pub async fn decline(
    engine: &Engine,
    who: &Who,
    conversation_id: i64,
    for_agent: Option<i64>,
) -> Result<Outcome, DeskError> {
    let holder = place_of(engine, conversation_id)
        .await?
        .and_then(|p| p.agent_id());
    let agent_id = who.acting_agent(for_agent, holder)?;
    run(
        engine,
        &who.actor,
        Op::Decline {
            conversation_id,
            agent_id,
        },
    )
    .await
}

pub async fn set_status(
    engine: &Engine,
    who: &Who,
    agent_id: i64,
    status: Status,
) -> Result<Outcome, DeskError> {
    if !who.oversees() && who.agent_id != Some(agent_id) {
        return Err(DeskError::NotYours(
            "agents set only their own status".into(),
        ));
    }
    run(engine, &who.actor, Op::SetStatus { agent_id, status }).await
}

pub async fn transfer(
    engine: &Engine,
    who: &Who,
    conversation_id: i64,
    target: Target,
) -> Result<Outcome, DeskError> {
    check_holds(engine, who, conversation_id).await?;
    match &target {
        Target::Skill(s) | Target::Group(s) if s.trim().is_empty() => {
            return Err(DeskError::BadInput("the transfer target is empty".into()))
        }
        _ => {}
    }
    run(
        engine,
        &who.actor,
        Op::Transfer {
            conversation_id,
            target,
        },
    )
    .await
}

pub async fn hand_back(
    engine: &Engine,
    who: &Who,
    conversation_id: i64,
) -> Result<Outcome, DeskError> {
    check_holds(engine, who, conversation_id).await?;
    run(engine, &who.actor, Op::HandBack { conversation_id }).await
}

pub async fn resolve(
    engine: &Engine,
    who: &Who,
    conversation_id: i64,
    disposition: &str,
    note: Option<String>,
) -> Result<Outcome, DeskError> {
    let holder = check_holds(engine, who, conversation_id).await?;
    let agent_id = who.acting_agent(None, holder)?;
    let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    run(
        engine,
        &who.actor,
        Op::Resolve {
            conversation_id,
            agent_id,
            disposition: disposition.trim().to_string(),
            note,
        },
    )
    .await
}

/// How an agent's reply goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyMode {
    /// In the conversation's own thread, as it is (public or private).
    Thread,
    Public,
    Private,
    /// A public acknowledgement in the thread, then the reply in private.
    MoveToPrivate,
}

/// What was queued for the customer.
#[derive(Debug, Default)]
pub struct Queued {
    pub outbox_ids: Vec<i64>,
}

/// An agent's reply, liked or reposted message: through the outbox, attributed to the agent.
pub async fn reply(
    engine: &Engine,
    who: &Who,
    conversation_id: i64,
    text: &str,
    mode: ReplyMode,
    acknowledgement: Option<&str>,
    request_id: &str,
) -> Result<Queued, DeskError> {
    check_holds(engine, who, conversation_id).await?;
    let text = text.trim();
    if text.is_empty() {
        return Err(DeskError::BadInput("the reply is empty".into()));
    }
    if text.chars().count() > 8000 {
        return Err(DeskError::BadInput(
            "the reply is longer than 8000 characters".into(),
        ));
    }
    let author = who.actor.name();
    let conv = store::conversations::get(&engine.store, conversation_id).await?;
    let public_thread = conv.visibility == "public";
    let mut parts: Vec<(Visibility, String)> = Vec::new();
    match mode {
        ReplyMode::Thread if public_thread => parts.push((Visibility::Public, text.into())),
        ReplyMode::Thread | ReplyMode::Private => parts.push((Visibility::Private, text.into())),
        ReplyMode::Public if !public_thread => {
            return Err(DeskError::BadInput(
                "a private conversation has no public thread to reply in".into(),
            ))
        }
        ReplyMode::Public => parts.push((Visibility::Public, text.into())),
        ReplyMode::MoveToPrivate => {
            if !public_thread {
                return Err(DeskError::BadInput(
                    "the conversation is already private".into(),
                ));
            }
            let ack = acknowledgement
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .ok_or_else(|| DeskError::BadInput("the public acknowledgement is empty".into()))?;
            parts.push((Visibility::Public, ack.to_string()));
            parts.push((Visibility::Private, text.into()));
        }
    }
    let mut tx = engine.store.begin().await?;
    let mut queued = Queued::default();
    for (i, (visibility, text)) in parts.into_iter().enumerate() {
        let kind = OutboundKind::Reply {
            visibility,
            text,
            quick_replies: Vec::new(),
        };
        let key = format!("agent:{conversation_id}:{request_id}:{i}");
        if let Some(id) = customer::send(
            &mut tx,
            engine,
            conversation_id,
            kind,
            None,
            &key,
            Some(&author),
        )
        .await?
        {
            queued.outbox_ids.push(id);
        }
    }
    tx.commit().await.map_err(StoreError::from)?;
    engine.wake.outbox.notify_one();
    engine.publish(conversation_id, "outbox");
    Ok(queued)
}

/// Like or repost one customer message of the conversation.
pub async fn react(
    engine: &Engine,
    who: &Who,
    conversation_id: i64,
    message_id: i64,
    kind: OutboundKind,
) -> Result<Queued, DeskError> {
    check_holds(engine, who, conversation_id).await?;
    if !matches!(kind, OutboundKind::Like | OutboundKind::Repost) {
        return Err(DeskError::BadInput(
            "only like and repost are reactions".into(),
        ));
    }
    let key = format!("agent:{conversation_id}:{}:{message_id}", kind.name());
    let author = who.actor.name();
    let mut tx = engine.store.begin().await?;
    let id = customer::send(
        &mut tx,
        engine,
        conversation_id,
        kind,
        Some(message_id),
        &key,
        Some(&author),
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    engine.wake.outbox.notify_one();
    engine.publish(conversation_id, "outbox");
    Ok(Queued {
        outbox_ids: id.into_iter().collect(),
    })
}
