//! Polled channels (Mastodon): a loop per channel that asks the platform for news after the
//! persisted cursor, commits what it brings to the inbox, and only then moves the cursor, so a
//! crash between the two repeats a poll (deduplicated by the inbox) and never skips one.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::channels::{Channel, SendError};
use crate::engine::Engine;
use crate::intake::Intake;
use crate::store::cursors;

/// One poll of one channel: how many new events were committed, or when to try again. A
/// refused token marks the channel unhealthy (event `channel.unhealthy`); the next good poll
/// marks it healthy again.
pub async fn poll_once(
    engine: &Engine,
    intake: &Intake,
    channel: &dyn Channel,
) -> Result<usize, SendError> {
    let result = poll_and_store(engine, intake, channel).await;
    let name = channel.name();
    match &result {
        Ok(_) if engine.channels.health.get(name).healthy == Some(false) => {
            engine.channel_health(name, true, None, None).await
        }
        Err(SendError::Unauthorized(reason)) => {
            engine
                .channel_health(
                    name,
                    false,
                    Some(format!("credentials refused: {reason}")),
                    None,
                )
                .await
        }
        _ => {}
    }
    result
}

async fn poll_and_store(
    engine: &Engine,
    intake: &Intake,
    channel: &dyn Channel,
) -> Result<usize, SendError> {
    let Some(poller) = channel.poller() else {
        return Ok(0);
    };
    let name = channel.name();
    let cursor = cursors::get(&engine.store, name)
        .await
        .map_err(|e| SendError::Retryable(format!("reading the cursor: {e}")))?;
    let polled = poller.poll(cursor.as_deref()).await?;
    let accepted = intake
        .accept(channel, &polled.events)
        .await
        .map_err(|e| SendError::Retryable(format!("storing: {e}")))?;
    if let Some(next) = polled.cursor.as_deref() {
        if cursor.as_deref() != Some(next) {
            cursors::set(&engine.store, name, next, engine.clock.now_ms())
                .await
                .map_err(|e| SendError::Retryable(format!("saving the cursor: {e}")))?;
        }
    }
    Ok(accepted.new)
}

/// A loop per polled channel until shutdown.
pub fn spawn(
    engine: Arc<Engine>,
    intake: Intake,
    shutdown: watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let polled: Vec<Arc<dyn Channel>> = engine
        .channels
        .iter()
        .filter(|c| c.poller().is_some())
        .cloned()
        .collect();
    polled
        .into_iter()
        .map(|channel| {
            let (engine, intake, mut shutdown) = (engine.clone(), intake.clone(), shutdown.clone());
            tokio::spawn(async move {
                let interval = channel.poller().map(|p| p.interval()).unwrap_or(Duration::from_secs(30));
                let mut failures = 0u32;
                loop {
                    if *shutdown.borrow() {
                        break;
                    }
                    let wait = match poll_once(&engine, &intake, channel.as_ref()).await {
                        Ok(_) => {
                            failures = 0;
                            interval
                        }
                        Err(SendError::RateLimited { retry_after_ms, reason }) => {
                            tracing::warn!(channel = channel.name(), reason, "poll rate limited");
                            Duration::from_millis(retry_after_ms.max(0) as u64)
                        }
                        // Marked unhealthy by poll_once; a new token needs a restart anyway.
                        Err(SendError::Unauthorized(_)) => interval * 10,
                        Err(e) => {
                            failures += 1;
                            tracing::warn!(channel = channel.name(), error = %e, failures, "poll failed");
                            interval * failures.min(10)
                        }
                    };
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = shutdown.changed() => {}
                    }
                }
            })
        })
        .collect()
}
