//! The group-commit writer: one task takes every waiting submission and commits them in one
//! transaction, so a burst costs one fsync, not one per message; no submitter hears back before
//! its commit.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Notify};

use crate::clock::Clock;
use crate::store::inbox::{self, NewInbound, Stored};
use crate::store::{Store, StoreError};

/// One event waiting for the next commit.
pub(super) struct Job {
    pub channel: String,
    pub event_id: String,
    pub json: String,
    pub reply: oneshot::Sender<Result<Stored, StoreError>>,
}

/// Commit batches of up to `max_batch` jobs until every sender is gone; `wake` is notified after
/// each commit that stored something new.
pub(super) async fn run(
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
