//! `Intake::accept`: admit, submit, count — what webhooks, pollers and the web chat share.

use super::{Intake, IntakeError};
use crate::channels::{Channel, InboundEvent};
use crate::store::inbox::Stored;

/// What became of one event offered to [`Intake::accept`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Committed to the inbox now.
    New,
    /// Committed earlier: a platform retry, acknowledged and ignored.
    Duplicate,
    /// Dropped by the channel's keyword monitoring; never stored.
    Filtered,
}

/// One event's id and fate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub event_id: String,
    pub fate: Fate,
}

/// What one call to [`Intake::accept`] did, per event (in the order given) and counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accepted {
    pub new: usize,
    pub duplicate: usize,
    pub filtered: usize,
    pub outcomes: Vec<Outcome>,
}

impl Accepted {
    fn record(&mut self, event_id: &str, fate: Fate) {
        match fate {
            Fate::New => self.new += 1,
            Fate::Duplicate => self.duplicate += 1,
            Fate::Filtered => self.filtered += 1,
        }
        self.outcomes.push(Outcome {
            event_id: event_id.to_string(),
            fate,
        });
    }

    /// The ids of the events that reached the inbox, now or earlier (not the filtered ones).
    pub fn stored_ids(&self) -> impl Iterator<Item = &str> {
        self.outcomes
            .iter()
            .filter(|o| o.fate != Fate::Filtered)
            .map(|o| o.event_id.as_str())
    }
}

impl Intake {
    /// Offer `events` from `channel`: posts its keyword monitoring drops are counted on the
    /// health board and skipped, the rest are committed one by one (concurrent callers share
    /// commits). The first storage error ends the call; events before it stay committed, and
    /// the platform's retry finds them as duplicates.
    pub async fn accept(
        &self,
        channel: &dyn Channel,
        events: &[InboundEvent],
    ) -> Result<Accepted, IntakeError> {
        let mut accepted = Accepted::default();
        for event in events {
            let fate = if !self.admit(channel, event) {
                Fate::Filtered
            } else {
                match self.submit(event).await? {
                    Stored::New(_) => Fate::New,
                    Stored::Duplicate => Fate::Duplicate,
                }
            };
            accepted.record(&event.event_id, fate);
        }
        Ok(accepted)
    }

    /// The channel's keyword monitoring; a dropped post is counted for `/v1/channels`.
    fn admit(&self, channel: &dyn Channel, event: &InboundEvent) -> bool {
        match channel.monitor().map(|f| f.admit(event)) {
            None | Some(Ok(())) => true,
            Some(Err(why)) => {
                tracing::debug!(channel = channel.name(), event_id = %event.event_id, ?why, "post filtered out");
                self.health.count_filtered(channel.name());
                false
            }
        }
    }
}
