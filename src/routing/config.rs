//! The `[routing]` table: offer timeout, SLA, queue order, the waiting message and the
//! disposition codes. Only data and its validation; the rules live in `assign.rs`.

use serde::{Deserialize, Serialize};

use super::{RoutingError, MAX_SKILL_LEVEL};

/// How waiting items are ordered before offers are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueOrder {
    /// Most urgent first (complaints and negative sentiment arrive as High/Urgent), then the
    /// longest waiting.
    #[default]
    PriorityThenWait,
    /// Strictly first come, first served; priority is ignored.
    WaitOnly,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingConfig {
    /// An offer not accepted within this many seconds goes back to the queue.
    pub offer_timeout_secs: u64,
    /// After this wait an item's priority is raised one step, once, and an event is emitted.
    pub sla_secs: u64,
    pub priority_order: QueueOrder,
    /// Sent once when no online agent has the skill a conversation needs; empty: never.
    pub waiting_message: String,
    /// Told the customer when a person hands their conversation back to the bot; empty: never.
    pub hand_back_message: String,
    /// The codes an agent chooses from when resolving; one is required.
    pub dispositions: Vec<String>,
    /// The lowest skill level (1-5) that qualifies an agent for an item with that skill.
    pub min_skill_level: u8,
}

/// The customer knows who answers from now on, and how to reach a person again.
pub const DEFAULT_HAND_BACK: &str =
    "You're back with our assistant: ask me anything, or ask for a person at any time.";

impl Default for RoutingConfig {
    fn default() -> Self {
        Self {
            offer_timeout_secs: 30,
            sla_secs: 300,
            priority_order: QueueOrder::default(),
            waiting_message: "Thanks for your patience: all our specialists are busy right now. \
                              We will get back to you here as soon as one is free."
                .into(),
            hand_back_message: DEFAULT_HAND_BACK.into(),
            dispositions: [
                "resolved",
                "refund_issued",
                "replacement_sent",
                "no_response",
                "spam",
            ]
            .map(String::from)
            .to_vec(),
            min_skill_level: 1,
        }
    }
}

impl RoutingConfig {
    /// Settings that would make routing unusable are refused at start, not discovered later.
    pub fn validate(&self) -> Result<(), RoutingError> {
        if self.offer_timeout_secs == 0 {
            return Err(RoutingError::Config(
                "offer_timeout_secs must be at least 1".into(),
            ));
        }
        if self.dispositions.is_empty() {
            return Err(RoutingError::Config(
                "dispositions must list at least one code (resolving requires one)".into(),
            ));
        }
        if !(1..=MAX_SKILL_LEVEL).contains(&self.min_skill_level) {
            return Err(RoutingError::Config(format!(
                "min_skill_level must be 1 to {MAX_SKILL_LEVEL}, got {}",
                self.min_skill_level
            )));
        }
        Ok(())
    }

    pub(crate) fn offer_timeout_ms(&self) -> i64 {
        secs_to_ms(self.offer_timeout_secs)
    }

    pub(crate) fn sla_ms(&self) -> i64 {
        secs_to_ms(self.sla_secs)
    }
}

/// Saturating, so an absurd setting means "never" rather than an overflow.
fn secs_to_ms(secs: u64) -> i64 {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}
