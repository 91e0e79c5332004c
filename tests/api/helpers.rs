//! spawn_app: the real server on port 0 with a fresh database (SQLite file or a new PostgreSQL
//! database), a hand-set clock, and the model trained once per test process.

use std::sync::{Arc, OnceLock};

use chrono::TimeZone;
use hearken::clock::ManualClock;
use hearken::config::{Secret, Settings};
use hearken::engine::{Brain, Engine};
use hearken::startup::{Application, BuildOptions};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Generates one test per backend from `async fn name(db: Db)`.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_sqlite() { super::$name($crate::helpers::Db::Sqlite).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_postgres() { super::$name($crate::helpers::Db::Postgres).await }
            }
        )*
    };
}

pub fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The example bot trained on the real model, once per test process.
pub fn brain() -> Arc<Brain> {
    static BRAIN: OnceLock<Arc<Brain>> = OnceLock::new();
    BRAIN
        .get_or_init(|| {
            let s = hearken::config::NluSettings {
                intents_dir: root().join("intents"),
                model_dir: root().join("models/all-MiniLM-L6-v2"),
                sentiment_head: root().join("models/sentiment-head.json"),
                complaint_head: root().join("models/complaint-head.json"),
                ..Default::default()
            };
            Arc::new(Brain::load(&s).expect("the model is fetched by `make test` (make model)"))
        })
        .clone()
}

pub const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub fn new(db: Db) -> Self {
        match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/hearken.db", dir.path().display());
                Self {
                    url,
                    pg_name: None,
                    _dir: Some(dir),
                }
            }
            Db::Postgres => {
                let name = format!("hearken_test_{}", uuid::Uuid::new_v4().simple());
                psql(&format!("CREATE DATABASE {name}"));
                Self {
                    url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
                    pg_name: Some(name),
                    _dir: None,
                }
            }
        }
    }

    /// Another handle on an existing database (a second process); it drops nothing.
    pub fn borrowed(url: &str) -> Self {
        Self {
            url: url.into(),
            pg_name: None,
            _dir: None,
        }
    }

    pub fn pg_name(&self) -> Option<&str> {
        self.pg_name.as_deref()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            let _ = std::process::Command::new("psql")
                .args([
                    PG_ADMIN,
                    "-qc",
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ])
                .output();
        }
    }
}

/// Run SQL as the PostgreSQL superuser; a failure fails the test (the server must be there).
pub fn psql(sql: &str) {
    let out = std::process::Command::new("psql")
        .args([PG_ADMIN, "-v", "ON_ERROR_STOP=1", "-qc", sql])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "PostgreSQL at 127.0.0.1:5432 is required for these tests: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub struct TestApp {
    pub addr: String,
    pub engine: Arc<Engine>,
    /// The inbox writer, for polled channels (`hearken::poller::poll_once`).
    pub intake: hearken::intake::Intake,
    pub token: String,
    pub clock: Arc<ManualClock>,
    pub http: reqwest::Client,
    pub db: TestDb,
    _shutdown: tokio::sync::watch::Sender<bool>,
}

pub const TOKEN: &str = "test-token-0123456789abcdef";

/// Monday 2026-11-23 10:00 UTC: inside any office hours.
pub fn monday_morning() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 23, 10, 0, 0)
        .single()
        .expect("valid date")
}

pub async fn spawn_app(db: Db, configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_with(TestDb::new(db), true, configure).await
}

pub async fn spawn_with(
    db: TestDb,
    with_brain: bool,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    spawn_built(db, with_brain, false, false, configure).await
}

/// The app with its background workers running, as `hearken serve` runs them: for the few
/// tests about what happens between a request and the workers (races a drain would hide).
#[allow(dead_code)] // used by the browser tests, which share this file
pub async fn spawn_running(db: Db, configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_built(TestDb::new(db), true, false, true, configure).await
}

/// The server watching `intents` (a copy of the example bot the test edits); `with_brain`:
/// answering with the example bot's model until the first reload (else as if it could not
/// load one at start).
pub async fn spawn_watching(db: Db, intents: &std::path::Path, with_brain: bool) -> TestApp {
    let intents = intents.to_path_buf();
    spawn_built(TestDb::new(db), with_brain, true, false, move |s| {
        s.nlu.intents_dir = intents;
        s.nlu.sentiment_head = root().join("models/sentiment-head.json");
        s.nlu.model_dir = root().join("models/all-MiniLM-L6-v2");
        s.nlu.watch = true;
    })
    .await
}

async fn spawn_built(
    db: TestDb,
    with_brain: bool,
    watch_intents: bool,
    workers: bool,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let mut settings = Settings::default();
    settings.server.listen = "127.0.0.1:0".into();
    settings.server.api_token = Some(Secret::new(TOKEN));
    settings.database.url = Secret::new(db.url.clone());
    settings.database.max_connections = 4;
    settings.outbox.retry_for_secs = 60;
    configure(&mut settings);
    let clock = Arc::new(ManualClock::new(monday_morning()));
    let app = Application::build(
        settings,
        BuildOptions {
            clock: clock.clone(),
            load_brain: false,
            workers,
            watch_intents,
        },
    )
    .await
    .expect("the app starts");
    if with_brain {
        app.engine.set_brain_arc(brain());
    }
    let addr = format!("http://127.0.0.1:{}", app.port());
    let engine = app.engine.clone();
    let intake = app.state.intake.clone();
    let shutdown = app.spawn();
    TestApp {
        addr,
        engine,
        intake,
        token: TOKEN.into(),
        clock,
        http: reqwest::Client::new(),
        db,
        _shutdown: shutdown,
    }
}

impl TestApp {
    /// Poll every polled channel once (what the poller loop does each interval).
    pub async fn poll(&self) {
        for c in self.engine.channels.iter() {
            hearken::poller::poll_once(&self.engine, &self.intake, c.as_ref())
                .await
                .expect("poll succeeds");
        }
    }

    /// Run the workers until nothing is left to do (never sleeps).
    pub async fn drain(&self) {
        hearken::workers::drain(&self.engine)
            .await
            .expect("workers drain");
    }

    pub async fn chat(&self, session: &str, message_id: &str, text: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/v1/webchat/messages", self.addr))
            .json(
                &serde_json::json!({"session_id": session, "message_id": message_id, "text": text}),
            )
            .send()
            .await
            .expect("request")
    }

    pub async fn get(&self, path: &str) -> Value {
        let r = self
            .http
            .get(format!("{}{path}", self.addr))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request");
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.expect("json")
    }

    /// A GET with the API token whose body is not JSON: (status, content type, body).
    pub async fn get_text(&self, path: &str) -> (u16, String, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.addr))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        let kind = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (status, kind, r.text().await.expect("body"))
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> (u16, Value) {
        let r = self
            .http
            .request(method, format!("{}{path}", self.addr))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// The only conversation of a web chat session, with transcript and decisions.
    pub async fn conversation_of(&self, session: &str) -> Value {
        use sqlx::Row;
        let list = self.get("/v1/conversations?limit=500").await;
        let Some(found) = list["conversations"]
            .as_array()
            .expect("list")
            .iter()
            .find(|c| c["thread_key"] == session)
        else {
            let errors: Vec<String> =
                sqlx::query("SELECT status || ': ' || COALESCE(last_error, '') FROM inbox")
                    .fetch_all(&self.engine.store.pool)
                    .await
                    .expect("inbox")
                    .iter()
                    .map(|r| r.get::<String, _>(0))
                    .collect();
            panic!("no conversation for {session}; inbox: {errors:?}");
        };
        let id = found["id"].as_i64().expect("id");
        self.get(&format!("/v1/conversations/{id}")).await
    }

    pub async fn count(&self, sql: &str) -> i64 {
        use sqlx::Row;
        sqlx::query(sql)
            .fetch_one(&self.engine.store.pool)
            .await
            .expect("count query")
            .try_get::<i64, _>(0)
            .expect("count")
    }
}

/// A random web chat session id.
pub fn session() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Platform tests check the bot's own answers: routing's waiting notice (tested in
/// routing.rs) would add a message when no agent exists, so these switch it off.
pub fn without_waiting_notice(s: &mut Settings) {
    s.routing.waiting_message.clear();
}
