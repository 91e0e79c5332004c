//! The engine: the state every worker and handler shares (store, bot and model, calendar,
//! channels, clock, wake-ups). Built once by `startup`; used by HTTP, the shell and the tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use tokio::sync::{broadcast, watch, Notify};

use crate::channels::Channels;
use crate::clock::Clock;
use crate::config::Settings;
use crate::intents::Bot;
use crate::nlu::Nlu;
use crate::policy::{Calendar, CalendarStatus};
use crate::reload::{ModelInfo, ModelStatus};
use crate::store::{switches, Store, StoreError};

/// The bot and its trained model: swapped whole when intent files change.
pub struct Brain {
    pub bot: Bot,
    pub nlu: Nlu,
}

/// Something changed in a conversation (for live views: SSE, the console).
#[derive(Debug, Clone, Serialize)]
pub struct LiveUpdate {
    pub conversation_id: i64,
    pub kind: &'static str,
}

pub struct Wakeups {
    pub pipeline: Arc<Notify>,
    pub outbox: Arc<Notify>,
    pub events: Arc<Notify>,
    pub routing: Arc<Notify>,
}

pub struct Engine {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub calendar: Calendar,
    pub channels: Channels,
    pub clock: Arc<dyn Clock>,
    pub wake: Wakeups,
    pub live: broadcast::Sender<LiveUpdate>,
    pub http: reqwest::Client,
    /// This process's counters for `/metrics`.
    pub metrics: crate::metrics::Metrics,
    brain: RwLock<Option<Arc<Brain>>>,
    /// The brain's identity and the reloads since start (`/ready`; tests wait on it).
    model: watch::Sender<ModelStatus>,
    /// Channels that said 429, and until when (unix ms).
    paused: Mutex<HashMap<String, i64>>,
    nats: tokio::sync::OnceCell<async_nats::jetstream::Context>,
}

impl Engine {
    pub fn new(
        store: Store,
        settings: Arc<Settings>,
        calendar: Calendar,
        channels: Channels,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(
                settings.outbox.send_timeout_secs,
            ))
            .user_agent(concat!("hearken/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            store,
            settings,
            calendar,
            channels,
            clock,
            wake: Wakeups {
                pipeline: Arc::new(Notify::new()),
                outbox: Arc::new(Notify::new()),
                events: Arc::new(Notify::new()),
                routing: Arc::new(Notify::new()),
            },
            live: broadcast::channel(1024).0,
            http,
            metrics: crate::metrics::Metrics::default(),
            brain: RwLock::new(None),
            model: watch::channel(ModelStatus::default()).0,
            paused: Mutex::new(HashMap::new()),
            nats: tokio::sync::OnceCell::new(),
        }
    }

    pub fn brain(&self) -> Option<Arc<Brain>> {
        self.brain.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set_brain(&self, brain: Brain) {
        self.install_brain(Arc::new(brain), None);
    }

    /// Swap in `brain`, trained from intent files whose hash is `hash`: messages analysed
    /// from now on use it, those in flight finish with the one they hold. Returns its
    /// generation (1 for the first brain).
    pub fn install_brain(&self, brain: Arc<Brain>, hash: Option<String>) -> u64 {
        let now = self.clock.now_ms();
        let mut slot = self.brain.write().unwrap_or_else(|p| p.into_inner());
        let mut generation = 0;
        // Under the brain's lock, so two installs cannot interleave their status.
        self.model.send_modify(|s| {
            generation = s.model.as_ref().map_or(0, |m| m.generation) + 1;
            s.model = Some(ModelInfo::new(&brain.bot, generation, now, hash));
        });
        *slot = Some(brain);
        drop(slot);
        self.wake.pipeline.notify_one();
        generation
    }

    /// The running model and the last reload (a copy).
    pub fn model_status(&self) -> ModelStatus {
        self.model.borrow().clone()
    }

    /// Changes of the model status: a new brain, a finished reload attempt.
    pub fn watch_model(&self) -> watch::Receiver<ModelStatus> {
        self.model.subscribe()
    }

    pub(crate) fn update_model_status(&self, change: impl FnOnce(&mut ModelStatus)) {
        self.model.send_modify(change);
    }

    /// The calendar now, with the emergency switch read from the store (shared by all processes).
    pub async fn calendar_status(&self) -> Result<CalendarStatus, StoreError> {
        let emergency = switches::get(&self.store, switches::EMERGENCY).await?;
        let message = emergency
            .filter(|s| s.on)
            .map(|s| s.message.unwrap_or_default());
        Ok(self
            .calendar
            .status_at(self.clock.now(), message.as_deref()))
    }

    /// Record a channel's health; a change raises `channel.unhealthy` / `channel.healthy`.
    pub async fn channel_health(
        &self,
        channel: &str,
        healthy: bool,
        detail: Option<String>,
        report: Option<&crate::channels::CheckReport>,
    ) {
        let now = self.clock.now_ms();
        let before = self
            .channels
            .health
            .set(channel, healthy, detail.clone(), report, now);
        if before == Some(healthy) || (before.is_none() && healthy) {
            return;
        }
        let kind = if healthy {
            crate::events::kind::CHANNEL_HEALTHY
        } else {
            tracing::error!(
                channel,
                detail = detail.as_deref().unwrap_or(""),
                "channel unhealthy"
            );
            crate::events::kind::CHANNEL_UNHEALTHY
        };
        let data = serde_json::json!({ "channel": channel, "detail": detail });
        let result = async {
            let mut tx = self.store.begin().await?;
            crate::events::record(&mut tx, kind, None, data, now).await?;
            tx.commit().await.map_err(StoreError::from)?;
            Ok::<_, StoreError>(())
        }
        .await;
        match result {
            Ok(()) => self.wake.events.notify_one(),
            Err(e) => {
                tracing::warn!(channel, error = %e, "could not record the channel health event")
            }
        }
    }

    pub fn pause_channel(&self, channel: &str, until_ms: i64) {
        let mut p = self.paused.lock().unwrap_or_else(|e| e.into_inner());
        let entry = p.entry(channel.to_string()).or_insert(0);
        *entry = (*entry).max(until_ms);
    }

    pub fn paused_until(&self, channel: &str) -> Option<i64> {
        let now = self.clock.now_ms();
        let p = self.paused.lock().unwrap_or_else(|e| e.into_inner());
        p.get(channel).copied().filter(|until| *until > now)
    }

    pub fn paused_channels(&self) -> Vec<String> {
        let now = self.clock.now_ms();
        let mut p = self.paused.lock().unwrap_or_else(|e| e.into_inner());
        p.retain(|_, until| *until > now);
        p.keys().cloned().collect()
    }

    pub fn publish(&self, conversation_id: i64, kind: &'static str) {
        // Nobody listening is fine: live views are optional.
        let _ = self.live.send(LiveUpdate {
            conversation_id,
            kind,
        });
    }

    /// The JetStream context, connected on first use (None when NATS is not configured).
    pub async fn nats(&self) -> Result<Option<&async_nats::jetstream::Context>, String> {
        let Some(cfg) = &self.settings.events.nats else {
            return Ok(None);
        };
        self.nats
            .get_or_try_init(|| crate::events::nats::connect(cfg))
            .await
            .map(Some)
    }
}

impl Engine {
    /// Install a brain that is already trained (tests share one across many engines).
    pub fn set_brain_arc(&self, brain: Arc<Brain>) {
        self.install_brain(brain, None);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BrainError {
    #[error("intent files: {0}")]
    Intents(#[from] crate::intents::IntentsError),
    #[error(transparent)]
    Nlu(#[from] crate::nlu::NluError),
}

impl Brain {
    /// Load the intent files and the model, and train the intent head (seconds).
    pub fn load(s: &crate::config::NluSettings) -> Result<Self, BrainError> {
        use crate::nlu::onnx::{OnnxEncoder, OnnxOptions};
        use crate::nlu::service::{EncoderService, ServiceOptions};
        let bot = crate::intents::load_valid(&s.intents_dir)?;
        let mut opts = OnnxOptions::default_for(&s.model_dir);
        opts.model_file = s.model_file.clone();
        if let Some(t) = s.threads {
            opts.intra_threads = t;
        }
        let encoder = OnnxEncoder::load(&opts)?;
        let service = EncoderService::start(
            vec![Box::new(encoder)],
            &ServiceOptions {
                queue_capacity: s.queue_capacity,
                ..ServiceOptions::default()
            },
        )?;
        let judgement = crate::nlu::Judgement::load(
            &s.sentiment_head,
            &s.complaint_head,
            service.judgement_dim(),
        )?;
        Self::train(bot, service, judgement)
    }

    /// Train on `bot` with a running encoder and the shipped heads.
    pub fn train(
        bot: Bot,
        encoder: crate::nlu::service::EncoderService,
        judgement: crate::nlu::Judgement,
    ) -> Result<Self, BrainError> {
        let nlu = Nlu::train(encoder, &bot, judgement, &Default::default(), |_| {})?;
        Ok(Self { bot, nlu })
    }
}
