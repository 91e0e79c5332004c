//! Startup: build the application from settings (store, migrations, engine, channels, HTTP),
//! start the background workers, and run until SIGTERM/Ctrl-C with a graceful drain.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::engine::Engine;
use crate::http::{self, AppState};
use crate::intake::Intake;
use crate::policy::Calendar;
use crate::secret::Secret;
use crate::store::{Store, StoreOptions};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("calendar: {0}")]
    Calendar(String),
    #[error("cannot listen on {0}: {1}")]
    Listen(String, std::io::Error),
    #[error("API token file {0}: {1}")]
    Token(String, std::io::Error),
    #[error("configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Reload(#[from] crate::reload::ReloadError),
}

/// How to build: the clock, and whether to load the model in the background.
pub struct BuildOptions {
    pub clock: Arc<dyn Clock>,
    /// Load and train the model from `settings.nlu` (false: the caller installs a brain).
    pub load_brain: bool,
    /// Start the background workers (false: tests drive them with `drain`).
    pub workers: bool,
    /// Retrain when the intent files change, if `nlu.watch` says so too (false: tests that
    /// do not test it, so they do not all watch the shipped `intents/`).
    pub watch_intents: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            load_brain: true,
            workers: true,
            watch_intents: true,
        }
    }
}

pub struct Application {
    listener: TcpListener,
    pub engine: Arc<Engine>,
    pub state: AppState,
    shutdown: watch::Sender<bool>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

/// Connect and migrate the store named in the settings.
pub async fn open_store(settings: &Settings) -> Result<Store, StartupError> {
    let store = Store::connect(
        settings.database.url.expose(),
        &StoreOptions {
            max_connections: settings.database.max_connections,
            acquire_timeout: Duration::from_secs(settings.database.acquire_timeout_secs),
        },
    )
    .await?;
    store.migrate().await?;
    Ok(store)
}

/// The engine without HTTP: store, calendar, channels (the shell and `serve` share it).
pub async fn build_engine(
    settings: Arc<Settings>,
    clock: Arc<dyn Clock>,
) -> Result<Arc<Engine>, StartupError> {
    check(&settings)?;
    let store = open_store(&settings).await?;
    let calendar = Calendar::new(settings.calendar.clone())
        .map_err(|e| StartupError::Calendar(e.to_string()))?;
    let channels = settings
        .channels
        .build(Duration::from_secs(settings.outbox.send_timeout_secs));
    Ok(Arc::new(Engine::new(
        store, settings, calendar, channels, clock,
    )))
}

/// Mistakes that would only show later: unknown skills or intents in `[policy]`, a channel
/// name used twice. `hearken serve` and `hearken shell` both run it before anything starts.
pub fn check(settings: &Settings) -> Result<(), StartupError> {
    let mut names = std::collections::BTreeSet::new();
    for (table, name) in settings.channels.names() {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(StartupError::Config(format!(
                "channels.{table}: the name {name:?} must be letters, digits, '-' or '_' (it is part of the webhook URL)"
            )));
        }
        if !names.insert(name) {
            return Err(StartupError::Config(format!(
                "channels.{table}: the name {name:?} is used twice; channel names must be unique across all platforms"
            )));
        }
    }
    settings
        .routing
        .validate()
        .map_err(|e| StartupError::Config(format!("[routing]: {e}")))?;
    // The intent files are read again (and the model trained) in the background; reading them
    // here makes a policy that names a missing skill or intent fail at start, not at a message.
    if let Ok(bot) = crate::intents::load_valid(&settings.nlu.intents_dir) {
        settings
            .policy
            .validate(&bot)
            .map_err(|e| StartupError::Config(format!("[policy]: {e}")))?;
    }
    Ok(())
}

impl Application {
    pub async fn build(settings: Settings, opts: BuildOptions) -> Result<Self, StartupError> {
        let settings = Arc::new(settings);
        let listen = settings.server.listen.clone();
        let listener = TcpListener::bind(&listen)
            .await
            .map_err(|e| StartupError::Listen(listen, e))?;
        let engine = build_engine(settings.clone(), opts.clock.clone()).await?;
        let api_token = api_token(&settings)?;
        let intake = Intake::start(
            engine.store.clone(),
            opts.clock.clone(),
            settings.pipeline.intake_batch,
            engine.wake.pipeline.clone(),
            engine.channels.health.clone(),
        );
        let state = AppState {
            engine: engine.clone(),
            intake,
            api_token,
        };
        let (shutdown, _) = watch::channel(false);
        let mut app = Self {
            listener,
            engine,
            state,
            shutdown,
            workers: Vec::new(),
        };
        if opts.workers {
            app.workers = crate::workers::spawn(app.engine.clone(), app.shutdown.subscribe());
            app.workers.extend(crate::workers::spawn_channel_checks(
                app.engine.clone(),
                app.shutdown.subscribe(),
            ));
            app.workers.extend(crate::poller::spawn(
                app.engine.clone(),
                app.state.intake.clone(),
                app.shutdown.subscribe(),
            ));
        }
        // One thread loads the first brain and then retrains on changes, so a reload can
        // never race the first load.
        let watch = opts.watch_intents && settings.nlu.watch;
        if opts.load_brain || watch {
            let reload = crate::reload::ReloadOptions {
                initial_load: opts.load_brain,
                watch,
            };
            app.workers.push(crate::reload::spawn(
                app.engine.clone(),
                reload,
                app.shutdown.subscribe(),
            )?);
        }
        Ok(app)
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serve until SIGTERM or Ctrl-C, then stop taking requests and let workers finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let grace = Duration::from_secs(self.engine.settings.server.shutdown_grace_secs);
        let router = app(&self.state);
        let shutdown = self.shutdown.clone();
        let serve = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            signal().await;
            tracing::info!("shutting down: finishing in-flight work");
            let _ = shutdown.send(true);
        });
        serve.await?;
        let _ = self.shutdown.send(true);
        for w in self.workers {
            if tokio::time::timeout(grace, w).await.is_err() {
                tracing::warn!("a worker did not finish within the grace period");
            }
        }
        Ok(())
    }

    /// Serve in the background (tests): returns the shutdown sender.
    pub fn spawn(self) -> watch::Sender<bool> {
        let router = app(&self.state);
        let tx = self.shutdown.clone();
        let mut rx = self.shutdown.subscribe();
        tokio::spawn(async move {
            let _ = axum::serve(
                self.listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = rx.wait_for(|v| *v).await;
            })
            .await;
        });
        tx
    }
}

/// The HTTP application with the console mounted.
fn app(state: &AppState) -> axum::Router {
    http::router(state.clone(), crate::console::router(state))
}

async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// The configured token, or one generated once into the token file (mode 600, never logged).
fn api_token(settings: &Settings) -> Result<Secret, StartupError> {
    if let Some(t) = &settings.server.api_token {
        if t.expose().len() < 16 {
            return Err(StartupError::Config(
                "server.api_token must be at least 16 characters".into(),
            ));
        }
        return Ok(t.clone());
    }
    let path = &settings.server.api_token_file;
    let err = |e| StartupError::Token(path.display().to_string(), e);
    if let Ok(t) = std::fs::read_to_string(path) {
        if !t.trim().is_empty() {
            return Ok(Secret::new(t.trim()));
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    write_private(path, &token).map_err(err)?;
    tracing::warn!(file = %path.display(), "generated an API token; read it from this file");
    Ok(Secret::new(token))
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)?.write_all(text.as_bytes())
}
