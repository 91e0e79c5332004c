//! Service settings: `hearken.toml` < environment (`HEARKEN_<SECTION>_<KEY>`) < command-line flags.
//! Unknown keys are an error at start; secrets are wrapped in [`Secret`] and never printed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::channels::registry::{ChannelSettings, WebchatSettings};
use crate::policy::{CalendarConfig, PolicyConfig};
pub use crate::secret::Secret;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub nlu: NluSettings,
    pub pipeline: PipelineSettings,
    pub outbox: OutboxSettings,
    pub policy: PolicyConfig,
    pub calendar: CalendarConfig,
    pub tickets: TicketSettings,
    pub events: EventSettings,
    pub channels: ChannelSettings,
    pub routing: crate::routing::RoutingConfig,
    pub console: ConsoleSettings,
}

/// The agent console: sessions, the login rate limit, and the wording it proposes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleSettings {
    /// Serve the console at /console.
    pub enabled: bool,
    /// A session ends this many hours after login.
    pub session_hours: u64,
    /// Mark the session cookie `Secure` (set it when hearken is served over HTTPS).
    pub secure_cookie: bool,
    /// Failed logins allowed per login, and per address, within `login_window_secs`.
    pub login_max_failures: u32,
    pub login_window_secs: u64,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy you run).
    pub trust_forwarded_for: bool,
    /// The public acknowledgement posted when an agent moves a public conversation to private.
    pub move_to_private_message: String,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            session_hours: 12,
            secure_cookie: false,
            login_max_failures: 5,
            login_window_secs: 900,
            trust_forwarded_for: false,
            move_to_private_message: "Hi {{first_name}}, we're sorry about this. We've sent you a \
                                      private message so we can sort it out together."
                .into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address to listen on.
    pub listen: String,
    /// Largest request body accepted, in bytes (larger: 413).
    pub body_limit_bytes: usize,
    /// Bearer token for the /v1 JSON API. Unset: one is generated into `api_token_file`.
    pub api_token: Option<Secret>,
    /// Where a generated API token is kept (mode 600).
    pub api_token_file: PathBuf,
    /// Seconds allowed for in-flight work after SIGTERM.
    pub shutdown_grace_secs: u64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            body_limit_bytes: 1024 * 1024,
            api_token: None,
            api_token_file: PathBuf::from("data/api-token"),
            shutdown_grace_secs: 20,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `sqlite://data/hearken.db` (default) or `postgres://user@host/db`.
    pub url: Secret,
    pub max_connections: u32,
    /// Seconds to wait for a connection before answering 503.
    pub acquire_timeout_secs: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: Secret::new("sqlite://data/hearken.db"),
            max_connections: 8,
            acquire_timeout_secs: 3,
        }
    }
}

/// The encoder and heads `[nlu]` uses unless `model_dir` or a head file is set explicitly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// all-MiniLM-L6-v2 (`make model`): fast, small, 2 cores are plenty.
    #[default]
    Default,
    /// all-mpnet-base-v2 (`make model-accurate`): better judgement, about 5x the compute.
    Accurate,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Accurate => "accurate",
        }
    }

    pub fn model_dir(self) -> PathBuf {
        PathBuf::from(match self {
            Self::Default => "models/all-MiniLM-L6-v2",
            Self::Accurate => "models/all-mpnet-base-v2",
        })
    }

    /// The shipped heads are tied to the encoder they were trained on.
    fn heads_dir(self) -> &'static str {
        match self {
            Self::Default => "models",
            Self::Accurate => "models/accurate",
        }
    }

    pub fn sentiment_head(self) -> PathBuf {
        Path::new(self.heads_dir()).join("sentiment-head.json")
    }

    pub fn complaint_head(self) -> PathBuf {
        Path::new(self.heads_dir()).join("complaint-head.json")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NluSettings {
    /// Chooses the defaults of `model_dir`, `sentiment_head` and `complaint_head`.
    pub profile: Profile,
    pub intents_dir: PathBuf,
    pub model_dir: PathBuf,
    pub model_file: String,
    pub sentiment_head: PathBuf,
    /// The complaint head; when the file is absent complaint detection is left out (warned).
    pub complaint_head: PathBuf,
    /// Inference threads (default: all cores).
    pub threads: Option<usize>,
    /// Requests waiting for the model before new ones get "overloaded".
    pub queue_capacity: usize,
    /// `serve` watches `intents_dir` and retrains when an intent file changes.
    pub watch: bool,
}

impl Default for NluSettings {
    fn default() -> Self {
        let profile = Profile::Default;
        Self {
            profile,
            intents_dir: PathBuf::from("intents"),
            model_dir: profile.model_dir(),
            model_file: "model.onnx".into(),
            sentiment_head: profile.sentiment_head(),
            complaint_head: profile.complaint_head(),
            threads: None,
            queue_capacity: 64,
            watch: true,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineSettings {
    /// Inbox rows claimed (and analysed together) per pass.
    pub batch: usize,
    /// Seconds a claim is held; a crashed worker's rows are taken again after it.
    pub claim_secs: u64,
    /// Attempts before an inbox row is marked failed (listed at /v1/inbox?status=failed).
    pub max_attempts: u32,
    /// Inbound events committed per database transaction at most (group commit).
    pub intake_batch: usize,
    /// Run the pipeline workers in this process (false: intake only).
    pub enabled: bool,
}

impl Default for PipelineSettings {
    fn default() -> Self {
        Self {
            batch: 32,
            claim_secs: 60,
            max_attempts: 5,
            intake_batch: 256,
            enabled: true,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxSettings {
    /// Keep retrying a failed action for this long, then dead-letter it and escalate.
    pub retry_for_secs: u64,
    /// First retry delay; doubles each attempt (with jitter) up to `max_backoff_secs`.
    pub initial_backoff_ms: u64,
    pub max_backoff_secs: u64,
    /// Timeout of one send.
    pub send_timeout_secs: u64,
    /// Actions claimed per pass.
    pub batch: usize,
    /// Run the outbox and event workers in this process.
    pub enabled: bool,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self {
            retry_for_secs: 15 * 60,
            initial_backoff_ms: 1000,
            max_backoff_secs: 60,
            send_timeout_secs: 10,
            batch: 32,
            enabled: true,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "snake_case")]
pub enum TicketSettings {
    /// The `ticket` action escalates instead.
    #[default]
    None,
    /// GitHub Issues REST API (`POST {api_url}/repos/{owner}/{repo}/issues`).
    Github {
        #[serde(default = "github_api")]
        api_url: String,
        owner: String,
        repo: String,
        token: Secret,
        #[serde(default)]
        labels: Vec<String>,
    },
    /// A generic webhook, signed like event webhooks; the answer is `{"url": "..."}`.
    Webhook { url: String, secret: Secret },
}

fn github_api() -> String {
    "https://api.github.com".into()
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct EventSettings {
    pub webhooks: Vec<WebhookSubscriber>,
    pub nats: Option<NatsSettings>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSubscriber {
    /// A short name, used in delivery ids and the outbox.
    pub name: String,
    pub url: String,
    pub secret: Secret,
    /// Event kinds to send (`["*"]` or absent: all).
    #[serde(default)]
    pub events: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatsSettings {
    pub url: String,
    #[serde(default = "nats_stream")]
    pub stream: String,
    /// Subjects are `<prefix>.<event kind>`.
    #[serde(default = "nats_prefix")]
    pub subject_prefix: String,
}

fn nats_stream() -> String {
    "HEARKEN".into()
}
fn nats_prefix() -> String {
    "hearken".into()
}

/// The top-level tables; an environment variable `HEARKEN_<TABLE>_<KEY>` overrides `<table>.<key>`.
const TABLES: [&str; 12] = [
    "server", "database", "nlu", "pipeline", "outbox", "policy", "calendar", "tickets", "events",
    "channels", "routing", "console",
];

impl Settings {
    /// Read `path` (or `hearken.toml` in the working directory when present), then the environment.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let (text, origin) = match path {
            Some(p) => (read(p)?, p.display().to_string()),
            None if Path::new("hearken.toml").exists() => {
                (read(Path::new("hearken.toml"))?, "hearken.toml".into())
            }
            None => (String::new(), "defaults".into()),
        };
        let env: BTreeMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("HEARKEN_"))
            .collect();
        Self::from_sources(&text, &origin, &env)
    }

    /// Layer a TOML text and environment variables; testable without touching the process.
    pub fn from_sources(
        toml_text: &str,
        origin: &str,
        env: &BTreeMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let mut doc: toml::Table = toml::from_str(toml_text).map_err(|e| ConfigError::Invalid {
            origin: origin.into(),
            message: e.to_string(),
        })?;
        let mut used_env = Vec::new();
        for (key, value) in env {
            let Some(rest) = key.strip_prefix("HEARKEN_") else {
                continue;
            };
            let lower = rest.to_ascii_lowercase();
            let Some((table, field)) = lower.split_once('_') else {
                continue;
            };
            if !TABLES.contains(&table) {
                continue; // HEARKEN_LOG, HEARKEN_MODEL_DIR... belong to the CLI
            }
            let entry = doc
                .entry(table.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let toml::Value::Table(t) = entry else {
                return Err(ConfigError::Invalid {
                    origin: key.clone(),
                    message: format!("`{table}` is not a table"),
                });
            };
            t.insert(field.to_string(), env_value(value));
            used_env.push(key.clone());
        }
        apply_profile(&mut doc);
        let typed = toml::Value::Table(doc.clone()).try_into::<Settings>();
        if typed.is_err() && !used_env.is_empty() {
            // A secret or name made of digits ("123456") was read as a number: try strings.
            let mut as_strings = doc.clone();
            for key in &used_env {
                let lower = key["HEARKEN_".len()..].to_ascii_lowercase();
                if let Some((table, field)) = lower.split_once('_') {
                    if let Some(toml::Value::Table(t)) = as_strings.get_mut(table) {
                        t.insert(field.to_string(), toml::Value::String(env[key].clone()));
                    }
                }
            }
            if let Ok(s) = toml::Value::Table(as_strings).try_into::<Settings>() {
                return Ok(s);
            }
        }
        let origin = if used_env.is_empty() {
            origin.to_string()
        } else {
            format!("{origin} + environment ({})", used_env.join(", "))
        };
        toml::Value::Table(doc)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid {
                origin,
                message: e.message().to_string(),
            })
    }

    pub fn is_postgres(&self) -> bool {
        self.database.url.expose().starts_with("postgres")
    }
}

/// `[nlu] profile = "accurate"` moves the model and head paths that are not set explicitly (in
/// the file or the environment) to that profile's.
fn apply_profile(doc: &mut toml::Table) {
    let Some(toml::Value::Table(nlu)) = doc.get_mut("nlu") else {
        return;
    };
    let Some(toml::Value::String(name)) = nlu.get("profile") else {
        return;
    };
    let Ok(profile) = <Profile as clap::ValueEnum>::from_str(name, false) else {
        return; // the typed parse names the allowed values
    };
    for (key, path) in [
        ("model_dir", profile.model_dir()),
        ("sentiment_head", profile.sentiment_head()),
        ("complaint_head", profile.complaint_head()),
    ] {
        nlu.entry(key)
            .or_insert_with(|| toml::Value::String(path.display().to_string()));
    }
}

/// Numbers and booleans are typed; everything else is a string.
fn env_value(raw: &str) -> toml::Value {
    if let Ok(b) = raw.parse::<bool>() {
        return toml::Value::Boolean(b);
    }
    if let Ok(i) = raw.parse::<i64>() {
        return toml::Value::Integer(i);
    }
    if let Ok(f) = raw.parse::<f64>() {
        return toml::Value::Float(f);
    }
    toml::Value::String(raw.to_string())
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_need_no_file() {
        let s = Settings::from_sources("", "defaults", &env(&[])).unwrap();
        assert_eq!(s.server.listen, "127.0.0.1:8080");
        assert_eq!(s.database.url.expose(), "sqlite://data/hearken.db");
        assert_eq!(s.outbox.retry_for_secs, 900);
    }

    #[test]
    fn environment_overrides_the_file() {
        let s = Settings::from_sources(
            "[server]\nlisten = \"0.0.0.0:9000\"\n[outbox]\nretry_for_secs = 5\n",
            "hearken.toml",
            &env(&[
                ("HEARKEN_SERVER_LISTEN", "127.0.0.1:1"),
                ("HEARKEN_LOG", "debug"),
            ]),
        )
        .unwrap();
        assert_eq!(s.server.listen, "127.0.0.1:1");
        assert_eq!(s.outbox.retry_for_secs, 5);
    }

    #[test]
    fn the_accurate_profile_moves_the_model_and_heads_unless_they_are_set() {
        let s = Settings::from_sources("", "defaults", &env(&[])).unwrap();
        assert_eq!(s.nlu.profile, Profile::Default);
        assert_eq!(s.nlu.model_dir, Path::new("models/all-MiniLM-L6-v2"));
        let s = Settings::from_sources(
            "[nlu]\nprofile = \"accurate\"\n",
            "hearken.toml",
            &env(&[("HEARKEN_NLU_COMPLAINT_HEAD", "/srv/complaint.json")]),
        )
        .unwrap();
        assert_eq!(s.nlu.model_dir, Path::new("models/all-mpnet-base-v2"));
        assert_eq!(
            s.nlu.sentiment_head,
            Path::new("models/accurate/sentiment-head.json")
        );
        assert_eq!(s.nlu.complaint_head, Path::new("/srv/complaint.json"));
        let e = Settings::from_sources("", "defaults", &env(&[("HEARKEN_NLU_PROFILE", "fast")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("fast") && e.contains("accurate"), "{e}");
    }

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let e = Settings::from_sources("[server]\nlisen = \"x\"\n", "hearken.toml", &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("lisen") && e.contains("hearken.toml"), "{e}");
        let e = Settings::from_sources("", "defaults", &env(&[("HEARKEN_OUTBOX_RETRY", "3")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("HEARKEN_OUTBOX_RETRY"), "{e}");
    }

    #[test]
    fn a_secret_made_of_digits_is_still_a_string() {
        let s = Settings::from_sources(
            "",
            "defaults",
            &env(&[("HEARKEN_SERVER_API_TOKEN", "12345678901234567890")]),
        )
        .unwrap();
        assert_eq!(s.server.api_token.unwrap().expose(), "12345678901234567890");
    }

    #[test]
    fn a_secret_can_come_from_a_file_or_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "from-file\n").unwrap();
        let toml = format!(
            "[server]\napi_token = {{ file = {:?} }}\n[database]\nurl = {{ env = \"PATH\" }}\n",
            path.display().to_string()
        );
        let s = Settings::from_sources(&toml, "hearken.toml", &env(&[])).unwrap();
        assert_eq!(s.server.api_token.unwrap().expose(), "from-file");
        assert_eq!(s.database.url.expose(), std::env::var("PATH").unwrap());
    }

    #[test]
    fn a_missing_secret_source_is_named_in_the_error() {
        let e = Settings::from_sources(
            "[server]\napi_token = { env = \"HEARKEN_TEST_SURELY_UNSET_VAR\" }\n",
            "hearken.toml",
            &env(&[]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("HEARKEN_TEST_SURELY_UNSET_VAR") && e.contains("not set"),
            "{e}"
        );
        let e = Settings::from_sources(
            "[server]\napi_token = { file = \"/nonexistent/secret\" }\n",
            "hearken.toml",
            &env(&[]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("/nonexistent/secret"), "{e}");
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let s = Settings::from_sources(
            "[database]\nurl = \"postgres://u:hunter2@db/x\"\n",
            "f",
            &env(&[]),
        )
        .unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(s.is_postgres());
    }
}
