//! Intent hot reload and the first load of the model: `hearken serve` watches
//! `nlu.intents_dir`, checks a changed folder as start-up does, retrains on its own thread with
//! the running encoder (its cache holds the example vectors, so only new or changed examples
//! are encoded) and swaps the brain. A broken edit keeps the running model; every attempt is
//! logged, recorded as an event and shown on `/ready`. Owns no HTTP and no SQL of its own.

pub mod debounce;
pub mod status;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender, TryRecvError};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};
use tracing::Instrument;

use crate::config::Settings;
use crate::engine::{Brain, Engine};
use crate::events::kind;
use crate::intents::{self, Bot, Severity};
use crate::store::StoreError;
use debounce::Debouncer;
pub use status::{ModelInfo, ModelStatus, Problem, ReloadAttempt, Stage};

#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("cannot start the model thread: {0}")]
    Thread(#[source] std::io::Error),
}

/// What the reload thread does.
#[derive(Debug, Clone, Copy)]
pub struct ReloadOptions {
    /// Load the model and train the first brain (serve). False: the caller installs one.
    pub initial_load: bool,
    /// Watch the intents folder and reload when an intent file changes.
    pub watch: bool,
}

/// Signals waiting for the reload thread. A full queue already holds a change that will be
/// acted on, so a change dropped then loses nothing.
const SIGNALS: usize = 64;

enum Signal {
    /// An intent file changed at this instant.
    Changed(Instant),
    Stop,
}

/// A finished reload, for the task that records it (the thread has no async runtime).
struct Report {
    attempt: ReloadAttempt,
    event: (&'static str, Value),
}

/// Starts the model thread: the first load (when asked), then one retrain per burst of
/// changes. Returns the task that records the outcomes; it ends at shutdown.
pub fn spawn(
    engine: Arc<Engine>,
    opts: ReloadOptions,
    shutdown: watch::Receiver<bool>,
) -> Result<tokio::task::JoinHandle<()>, ReloadError> {
    let (signal, signals) = bounded(SIGNALS);
    // Watching starts before the first load, so an edit made while it trains is not missed.
    let watcher = opts
        .watch
        .then(|| start_watcher(&engine.settings.nlu.intents_dir, signal.clone()))
        .flatten();
    engine.update_model_status(|s| s.watching = watcher.is_some());
    let (report, reports) = mpsc::channel(8);
    let stop = Arc::new(AtomicBool::new(false));
    let worker = Worker {
        engine: engine.clone(),
        signals,
        reports: report,
        stop: stop.clone(),
        debouncer: Debouncer::default(),
        watcher,
    };
    let span = tracing::info_span!("reload");
    std::thread::Builder::new()
        .name("hearken-reload".into())
        .spawn(move || {
            // A plain thread with no await: entering the span for its whole life is safe.
            let _span = span.entered();
            worker.run(opts.initial_load);
        })
        .map_err(ReloadError::Thread)?;
    let task = record_reports(engine, reports, signal, stop, shutdown)
        .instrument(tracing::info_span!("reload"));
    Ok(tokio::spawn(task))
}

fn start_watcher(dir: &Path, signal: Sender<Signal>) -> Option<RecommendedWatcher> {
    let handler = move |event: notify::Result<notify::Event>| match event {
        Ok(e) if debounce::counts(&e) => {
            let _ = signal.try_send(Signal::Changed(Instant::now()));
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "watching the intent files"),
    };
    let watching = notify::recommended_watcher(handler)
        .and_then(|mut w| w.watch(dir, RecursiveMode::Recursive).map(|()| w));
    match watching {
        Ok(w) => {
            tracing::info!(dir = %dir.display(), "watching the intent files");
            Some(w)
        }
        Err(e) => {
            // The service works without it; edits then need a restart.
            tracing::warn!(dir = %dir.display(), error = %e, "cannot watch the intent files; restart to pick up edits");
            None
        }
    }
}

/// Why a reload runs: the first load reports only to the log (there is nothing to fall back
/// on, and `/ready` says 503); a change is also an event and the last attempt on `/ready`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    Start,
    Change,
}

struct Worker {
    engine: Arc<Engine>,
    signals: Receiver<Signal>,
    reports: mpsc::Sender<Report>,
    stop: Arc<AtomicBool>,
    debouncer: Debouncer,
    /// Kept alive for as long as the thread runs; dropping it stops the watch.
    watcher: Option<RecommendedWatcher>,
}

impl Worker {
    fn run(mut self, initial_load: bool) {
        if initial_load {
            self.reload(Cause::Start);
        }
        if self.watcher.is_none() {
            return;
        }
        loop {
            let first = match self.debouncer.due_at() {
                Some(at) => self.signals.recv_deadline(at),
                None => self
                    .signals
                    .recv()
                    .map_err(|_| RecvTimeoutError::Disconnected),
            };
            if !self.take(first) || self.stop.load(Ordering::Relaxed) {
                return;
            }
            // One retrain at a time: changes during it wait in the queue and become the
            // next burst, read from the files as they are then.
            if self.debouncer.take_due(Instant::now()) {
                self.reload(Cause::Change);
            }
        }
    }

    /// Adds `first` and everything else already queued to the burst; false: stop.
    fn take(&mut self, first: Result<Signal, RecvTimeoutError>) -> bool {
        let mut next = first;
        loop {
            match next {
                Ok(Signal::Changed(at)) => self.debouncer.changed(at),
                Ok(Signal::Stop) | Err(RecvTimeoutError::Disconnected) => return false,
                Err(RecvTimeoutError::Timeout) => return true,
            }
            next = match self.signals.try_recv() {
                Ok(s) => Ok(s),
                Err(TryRecvError::Empty) => return true,
                Err(TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
            };
        }
    }

    fn reload(&mut self, cause: Cause) {
        let engine = &self.engine;
        let started = Instant::now();
        // Hashed before reading: a save during the load is a later change, reloaded next.
        let hash = status::files_hash(&engine.settings.nlu.intents_dir).ok();
        let serving = engine.brain();
        let result = checked_bot(&engine.settings)
            .and_then(|bot| train(bot, serving.as_deref(), &engine.settings));
        let duration_ms = started.elapsed().as_millis() as u64;
        let at = engine.clock.now_ms();
        let report = match result {
            Ok(brain) => {
                let (intents, examples) = (brain.bot.intents.len(), status::examples(&brain.bot));
                let (added, removed) = differences(serving.as_deref().map(|b| &b.bot), &brain.bot);
                let previous_hash = engine.model_status().model.and_then(|m| m.hash);
                let generation = engine.install_brain(Arc::new(brain), hash.clone());
                tracing::info!(
                    intents,
                    examples,
                    duration_ms,
                    hash = hash.as_deref().unwrap_or(""),
                    generation,
                    "intent files loaded: the new model answers"
                );
                let data = json!({
                    "intents": intents, "examples": examples, "duration_ms": duration_ms,
                    "hash": hash, "previous_hash": previous_hash, "generation": generation,
                    "intents_added": added, "intents_removed": removed,
                });
                Report {
                    attempt: ReloadAttempt {
                        at,
                        ok: true,
                        duration_ms,
                        hash,
                        stage: None,
                        errors: Vec::new(),
                        error_count: 0,
                    },
                    event: (kind::NLU_RELOADED, data),
                }
            }
            Err(failure) => {
                let stage = failure.stage;
                if serving.is_some() {
                    tracing::error!(
                        stage = stage.as_str(),
                        errors = failure.problems.len(),
                        "intent files not reloaded: the running model keeps answering"
                    );
                } else {
                    tracing::error!(
                        stage = stage.as_str(),
                        errors = failure.problems.len(),
                        "cannot load the bot; /ready stays 503"
                    );
                }
                let (errors, error_count) = status::capped(failure.problems);
                let model = engine.model_status().model;
                let data = json!({
                    "stage": stage, "errors": errors, "error_count": error_count,
                    "duration_ms": duration_ms, "hash": hash,
                    "serving": model.map(|m| json!({
                        "generation": m.generation, "hash": m.hash, "intents": m.intents,
                    })),
                });
                Report {
                    attempt: ReloadAttempt {
                        at,
                        ok: false,
                        duration_ms,
                        hash,
                        stage: Some(stage),
                        errors,
                        error_count,
                    },
                    event: (kind::NLU_RELOAD_FAILED, data),
                }
            }
        };
        if cause == Cause::Change {
            // Fails only when the runtime is shutting down; nothing is left to tell then.
            let _ = self.reports.blocking_send(report);
        }
    }
}

/// Why a reload did not happen: where it stopped and what was wrong.
struct Failure {
    stage: Stage,
    problems: Vec<Problem>,
}

/// The intent files, checked as start-up checks them: validation (`intents::load`, errors
/// refuse as `load_valid` does) and the `[policy]` against the new bot.
fn checked_bot(settings: &Settings) -> Result<Bot, Failure> {
    let dir = &settings.nlu.intents_dir;
    let (bot, diags) = intents::load(dir).map_err(|e| {
        tracing::error!(error = %e, "cannot read the intent files");
        Failure {
            stage: Stage::Files,
            problems: vec![Problem::from_files(&e, dir)],
        }
    })?;
    // As `hearken intents validate` prints them: file:line:column, the message, the hint.
    for d in &diags {
        match d.severity {
            Severity::Error => tracing::error!("{d}"),
            Severity::Warning => tracing::warn!("{d}"),
        }
    }
    let errors: Vec<Problem> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| Problem::from_diagnostic(d, dir))
        .collect();
    if !errors.is_empty() {
        let files = intents::load::files(dir).map_or(0, |f| f.len());
        tracing::error!("{}", intents::summary(&diags, files, &bot));
        return Err(Failure {
            stage: Stage::Validation,
            problems: errors,
        });
    }
    settings.policy.validate(&bot).map_err(|e| {
        for p in &e.problems {
            tracing::error!("[policy] {p}");
        }
        Failure {
            stage: Stage::Policy,
            problems: Problem::from_policy(&e),
        }
    })?;
    Ok(bot)
}

fn train(bot: Bot, serving: Option<&Brain>, settings: &Settings) -> Result<Brain, Failure> {
    let nlu = &settings.nlu;
    let brain = match serving {
        // The running encoder: its cache already holds the vectors of unchanged examples; the
        // shipped heads do not change with the intent files.
        Some(b) => Brain::train(bot, b.nlu.encoder().clone(), b.nlu.judgement().clone()),
        // Nothing answers yet (the first load, or it failed): start the model as well.
        None => Brain::load(nlu),
    };
    brain.map_err(|e| {
        tracing::error!(error = %e, "training failed");
        Failure {
            stage: Stage::Training,
            problems: vec![Problem::from_brain(&e, nlu)],
        }
    })
}

/// Intent names in `new` but not in `old`, and the reverse.
fn differences(old: Option<&Bot>, new: &Bot) -> (Vec<String>, Vec<String>) {
    let names = |b: &Bot| -> std::collections::BTreeSet<String> {
        b.intents.iter().map(|i| i.name.clone()).collect()
    };
    let (old, new) = (old.map(names).unwrap_or_default(), names(new));
    (
        new.difference(&old).cloned().collect(),
        old.difference(&new).cloned().collect(),
    )
}

/// Records each outcome (event, then status) until shutdown, then stops the thread.
async fn record_reports(
    engine: Arc<Engine>,
    mut reports: mpsc::Receiver<Report>,
    signal: Sender<Signal>,
    stop: Arc<AtomicBool>,
    mut shutdown: watch::Receiver<bool>,
) {
    // A dropped sender (tests) is a shutdown too.
    let stopping = async move {
        let _ = shutdown.wait_for(|stopping| *stopping).await;
    };
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            report = reports.recv() => match report {
                Some(r) => record(&engine, r).await,
                None => return,
            },
            () = &mut stopping => {
                stop.store(true, Ordering::Relaxed);
                let _ = signal.try_send(Signal::Stop);
                return;
            }
        }
    }
}

async fn record(engine: &Engine, r: Report) {
    let (kind, data) = r.event;
    let now = engine.clock.now_ms();
    let recorded = async {
        let mut tx = engine.store.begin().await?;
        crate::events::record(&mut tx, kind, None, data, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok::<_, StoreError>(())
    }
    .await;
    match recorded {
        Ok(()) => engine.wake.events.notify_one(),
        Err(e) => tracing::warn!(kind, error = %e, "could not record the reload event"),
    }
    // After the event, so whoever waits on the status finds the event recorded.
    engine.update_model_status(|s| {
        s.attempts += 1;
        s.last_reload = Some(r.attempt);
    });
}
