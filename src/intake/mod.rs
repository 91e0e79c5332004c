//! Intake: the one way inbound events enter hearken, for webhooks, pollers and the web chat
//! alike. [`Intake::accept`] applies the channel's keyword monitoring, commits what it admits to
//! the inbox (group commit, `writer`) and counts what happened; the platform is acknowledged
//! only after the commit.

mod accept;
mod writer;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Notify};

pub use accept::{Accepted, Fate, Outcome};

use crate::channels::{HealthBoard, InboundEvent};
use crate::clock::Clock;
use crate::store::inbox::Stored;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the intake writer has stopped")]
    Stopped,
}

/// A handle to the group-commit writer, and the health board filtered posts are counted on.
#[derive(Clone)]
pub struct Intake {
    jobs: mpsc::Sender<writer::Job>,
    health: Arc<HealthBoard>,
}

impl Intake {
    /// Start the writer; `wake` is notified after each commit that stored something new.
    pub fn start(
        store: Store,
        clock: Arc<dyn Clock>,
        max_batch: usize,
        wake: Arc<Notify>,
        health: Arc<HealthBoard>,
    ) -> Self {
        let (tx, rx) = mpsc::channel(max_batch.max(1) * 8);
        tokio::spawn(writer::run(store, clock, max_batch.max(1), wake, rx));
        Self { jobs: tx, health }
    }

    /// Store `event` durably, unfiltered; `Duplicate` when the platform already delivered it.
    pub async fn submit(&self, event: &InboundEvent) -> Result<Stored, IntakeError> {
        let json = serde_json::to_string(event).expect("InboundEvent serialises; this is a bug");
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(writer::Job {
                channel: event.channel.clone(),
                event_id: event.event_id.clone(),
                json,
                reply,
            })
            .await
            .map_err(|_| IntakeError::Stopped)?;
        Ok(answer.await.map_err(|_| IntakeError::Stopped)??)
    }
}
