//! Intake: inbound events are committed to the inbox before the platform is acknowledged.
//! One writer task groups concurrent requests into one transaction (group commit), so a burst
//! costs one fsync, not one per message; no request is answered before its commit.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Notify};

use crate::channels::InboundEvent;
use crate::clock::Clock;
use crate::store::inbox::{self, NewInbound, Stored};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the intake writer has stopped")]
    Stopped,
}

struct Job {
    channel: String,
    event_id: String,
    json: String,
    reply: oneshot::Sender<Result<Stored, StoreError>>,
}

/// A handle to the group-commit writer.
#[derive(Clone)]
pub struct Intake {
    jobs: mpsc::Sender<Job>,
}

impl Intake {
    /// Start the writer; `wake` is notified after each commit that stored something new.
    pub fn start(store: Store, clock: Arc<dyn Clock>, max_batch: usize, wake: Arc<Notify>) -> Self {
        let (tx, rx) = mpsc::channel(max_batch.max(1) * 8);
        tokio::spawn(writer(store, clock, max_batch.max(1), wake, rx));
        Self { jobs: tx }
    }

    /// Store `event` durably; `Duplicate` when the platform already delivered it.
    pub async fn submit(&self, event: &InboundEvent) -> Result<Stored, IntakeError> {
        let json = serde_json::to_string(event).expect("InboundEvent serialises; this is a bug");
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
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

async fn writer(
    store: Store,
    clock: Arc<dyn Clock>,
    max_batch: usize,
    wake: Arc<Notify>,
    mut rx: mpsc::Receiver<Job>,
) {
    let mut batch = Vec::with_capacity(max_batch);
    while rx.recv_many(&mut batch, max_batch).await > 0 {
        // Within one batch the same event may appear twice (a fast platform retry).
        let rows: Vec<NewInbound> = batch
            .iter()
            .map(|j| NewInbound {
                channel: &j.channel,
                event_id: &j.event_id,
                event_json: &j.json,
            })
            .collect();
        let result = inbox::insert_batch(&store, &rows, clock.now_ms()).await;
        drop(rows);
        match result {
            Ok(outcomes) => {
                if outcomes.iter().any(|o| matches!(o, Stored::New(_))) {
                    wake.notify_one();
                }
                for (job, outcome) in batch.drain(..).zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, events = batch.len(), "inbox commit failed");
                let msg = e.to_string();
                let unavailable = matches!(e, StoreError::Unavailable(_));
                for job in batch.drain(..) {
                    let err = if unavailable {
                        StoreError::Unavailable(msg.clone())
                    } else {
                        StoreError::Query(msg.clone())
                    };
                    let _ = job.reply.send(Err(err));
                }
            }
        }
    }
}
