//! Background workers: the pipeline, the routing desk, the outbox and the event dispatcher, each a loop that
//! runs a pass, then waits for a wake-up (or a short tick) until shutdown. `drain` runs passes
//! until nothing is left, for tests and the shell.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};

use crate::engine::Engine;

pub fn spawn(
    engine: Arc<Engine>,
    shutdown: watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut handles = Vec::new();
    // Every process may run the routing desk: its operations take one lock.
    let e = engine.clone();
    handles.push(tokio::spawn(run_loop(
        "routing",
        e.wake.routing.clone(),
        shutdown.clone(),
        move || {
            let e = e.clone();
            async move { crate::desk::tick(&e).await.map_err(|x| x.to_string()) }
        },
    )));
    if engine.settings.pipeline.enabled {
        let e = engine.clone();
        handles.push(tokio::spawn(run_loop(
            "pipeline",
            e.wake.pipeline.clone(),
            shutdown.clone(),
            move || {
                let e = e.clone();
                async move {
                    crate::pipeline::run_once(&e)
                        .await
                        .map_err(|x| x.to_string())
                }
            },
        )));
    }
    if engine.settings.outbox.enabled {
        let e = engine.clone();
        handles.push(tokio::spawn(run_loop(
            "outbox",
            e.wake.outbox.clone(),
            shutdown.clone(),
            move || {
                let e = e.clone();
                async move { crate::outbox::run_once(&e).await.map_err(|x| x.to_string()) }
            },
        )));
        let e = engine.clone();
        handles.push(tokio::spawn(run_loop(
            "events",
            e.wake.events.clone(),
            shutdown,
            move || {
                let e = e.clone();
                async move { crate::outbox::fanout::dispatch_once(&e).await }
            },
        )));
    }
    handles
}

/// Check every channel's credentials at start, then every `channels.check_interval_secs`.
pub fn spawn_channel_checks(
    engine: Arc<Engine>,
    mut shutdown: watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    let every = engine.settings.channels.check_interval_secs;
    if every == 0 {
        return None;
    }
    Some(tokio::spawn(async move {
        loop {
            for o in crate::channels::checks::check_all(&engine).await {
                if !o.healthy {
                    tracing::warn!(
                        channel = o.name,
                        error = o.error.as_deref().unwrap_or(""),
                        "channel check failed"
                    );
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(every)) => {}
                _ = shutdown.changed() => break,
            }
        }
    }))
}

async fn run_loop<F, Fut>(
    name: &'static str,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
    pass: F,
) where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<usize, String>>,
{
    let mut failures = 0u32;
    loop {
        if *shutdown.borrow() {
            break;
        }
        // A pass is never interrupted: shutdown is checked between passes.
        let wait = match pass().await {
            Ok(0) => {
                failures = 0;
                Duration::from_millis(500)
            }
            Ok(_) => continue,
            Err(e) => {
                failures += 1;
                tracing::warn!(worker = name, error = %e, "pass failed; backing off");
                Duration::from_millis(250 * u64::from(failures.min(20)))
            }
        };
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Run pipeline, routing, event and outbox passes until a full round does nothing.
pub async fn drain(engine: &Engine) -> Result<(), String> {
    loop {
        let p = crate::pipeline::run_once(engine)
            .await
            .map_err(|e| e.to_string())?;
        let r = crate::desk::tick(engine).await.map_err(|e| e.to_string())?;
        let e = crate::outbox::fanout::dispatch_once(engine).await?;
        let o = crate::outbox::run_once(engine)
            .await
            .map_err(|e| e.to_string())?;
        if p + r + e + o == 0 {
            return Ok(());
        }
    }
}
