//! Routing: agents, skills, the queue of escalated conversations, offers and assignment. Pure
//! state transitions that return effects for the caller to store and publish; no SQL, no HTTP,
//! no clock reads (time comes in as unix milliseconds). The rules are listed in docs/routing.md.

mod assign;
mod config;
mod snapshot;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::policy::Priority;
pub use assign::{Assignment, Effect, OpenOffer, RequeueReason, Switchboard};
pub use config::{QueueOrder, RoutingConfig};
pub use snapshot::{Place, Placed};

/// What a person may do in the console; routing only offers work to those with skills, whatever
/// the role, so supervisors and admins can also take conversations. Ordered: each role may do
/// everything the one before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    Supervisor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Supervisor => "supervisor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "agent" => Self::Agent,
            "supervisor" => Self::Supervisor,
            "admin" => Self::Admin,
            _ => return None,
        })
    }
}

/// Only `Online` agents receive offers; `Away` keeps accepted work but takes nothing new.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Online,
    Away,
    Offline,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Away => "away",
            Self::Offline => "offline",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "online" => Self::Online,
            "away" => Self::Away,
            "offline" => Self::Offline,
            _ => return None,
        })
    }
}

/// Skill levels run from 1 (can handle it) to 5 (expert).
pub const MAX_SKILL_LEVEL: u8 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub role: Role,
    /// Skill name to level (1-5).
    pub skills: BTreeMap<String, u8>,
    /// Groups such as the private-message group; a transfer to a group goes to its members.
    pub groups: Vec<String>,
    /// How many conversations the agent works at once (accepted plus open offers).
    pub capacity: u32,
    pub status: Status,
    /// When the agent last had no conversation: the tie-breaker after load (longest idle first).
    pub idle_since_ms: i64,
}

/// One escalated conversation waiting for an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueItem {
    pub conversation_id: i64,
    pub skill: String,
    /// Set by a transfer to a group: then group membership, not the skill, decides who qualifies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub priority: Priority,
    /// Why the conversation was escalated, shown to the agent with the offer.
    pub reason: String,
    pub enqueued_at_ms: i64,
    /// Escalations made while closed wait for the opening time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before_ms: Option<i64>,
    /// The SLA raise happens once per wait.
    #[serde(default)]
    pub sla_raised: bool,
    /// Agents whose offer lapsed or who declined: the next offer prefers someone else.
    #[serde(default)]
    pub declined_by: Vec<i64>,
    /// The customer is told to wait at most once per conversation.
    #[serde(default)]
    pub waiting_notice_sent: bool,
}

impl QueueItem {
    /// A fresh item as the policy's escalation produces it.
    pub fn new(
        conversation_id: i64,
        skill: impl Into<String>,
        priority: Priority,
        reason: impl Into<String>,
        enqueued_at_ms: i64,
    ) -> Self {
        Self {
            conversation_id,
            skill: skill.into(),
            group: None,
            priority,
            reason: reason.into(),
            enqueued_at_ms,
            not_before_ms: None,
            sla_raised: false,
            declined_by: Vec::new(),
            waiting_notice_sent: false,
        }
    }
}

/// A conversation proposed to one agent until `expires_at_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub conversation_id: i64,
    pub agent_id: i64,
    pub offered_at_ms: i64,
    pub expires_at_ms: i64,
}

/// Where a transfer sends a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Target {
    Agent(i64),
    Group(String),
    Skill(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    #[error("no agent with id {0}")]
    UnknownAgent(i64),
    #[error("agent {agent_id}: skill {skill:?} has level {level}, expected 1 to 5")]
    BadSkillLevel {
        agent_id: i64,
        skill: String,
        level: u8,
    },
    #[error("conversation {0} is already queued, offered or assigned")]
    AlreadyRouted(i64),
    #[error("conversation {0} is not being routed")]
    UnknownConversation(i64),
    #[error("conversation {0} has no open offer")]
    NotOffered(i64),
    #[error("conversation {conversation_id} was not offered to agent {agent_id}")]
    OfferedToAnother { conversation_id: i64, agent_id: i64 },
    #[error("the offer of conversation {conversation_id} expired at {expires_at_ms}")]
    OfferExpired {
        conversation_id: i64,
        expires_at_ms: i64,
    },
    #[error("conversation {0} is not assigned to an agent")]
    NotAssigned(i64),
    #[error("conversation {conversation_id} is not assigned to agent {agent_id}")]
    NotAssignedTo { conversation_id: i64, agent_id: i64 },
    #[error("agent {agent_id} is {} and cannot take a transfer", status.as_str())]
    AgentUnavailable { agent_id: i64, status: Status },
    #[error("agent {agent_id} is at capacity ({capacity})")]
    AgentAtCapacity { agent_id: i64, capacity: u32 },
    #[error("unknown disposition {given:?}; allowed: {allowed}")]
    UnknownDisposition { given: String, allowed: String },
    #[error("routing settings: {0}")]
    Config(String),
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod proptests;
