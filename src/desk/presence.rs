//! What a customer sees of who is answering them: the bot, a queue they wait in, or a person
//! by first name. The web chat shows it above the messages.

use serde::Serialize;

use crate::engine::Engine;
use crate::policy::Owner;
use crate::routing::Place;
use crate::store::conversations::Conversation;
use crate::store::{agents, routing, StoreError};

/// Who is answering, in words a customer reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Presence {
    /// `bot`, `queued`, `agent` or `resolved`.
    pub owner: String,
    /// The agent's first name, once one has accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// "A person will join this chat shortly.", "Dana joined the chat.", or empty.
    pub text: String,
}

/// The presence for `conv` now.
pub async fn of(engine: &Engine, conv: &Conversation) -> Result<Presence, StoreError> {
    let owner = Owner::parse(&conv.owner).unwrap_or(Owner::Bot);
    let (agent, text) = match owner {
        Owner::Queued => (None, "A person will join this chat shortly.".to_string()),
        Owner::Agent => {
            let holder = match routing::get(&engine.store, conv.id).await? {
                Some(row) => match row.placed.place {
                    Place::Assigned { agent_id, .. } => Some(agent_id),
                    _ => None,
                },
                None => None,
            };
            let name = match holder {
                Some(id) => {
                    let a = agents::get(&engine.store, id).await?.agent;
                    a.name
                        .split_whitespace()
                        .next()
                        .map(str::to_string)
                        .filter(|n| !n.is_empty())
                }
                None => None,
            };
            let text = match &name {
                Some(n) => format!("{n} joined the chat."),
                None => "A person joined the chat.".to_string(),
            };
            (name, text)
        }
        Owner::Bot | Owner::Resolved => (None, String::new()),
    };
    Ok(Presence {
        owner: owner.as_str().to_string(),
        agent,
        text,
    })
}
