//! Storage: the sqlx pool (SQLite or PostgreSQL through `Any`), migrations, and the queries,
//! grouped by table. The only module with SQL in it.

pub mod agents;
pub mod contacts;
pub mod conversations;
pub mod cursors;
pub mod events;
pub mod inbox;
pub mod outbox;
pub mod reports;
pub mod review;
pub mod routing;
pub mod sessions;
pub mod switches;
pub mod transcript;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is busy: callers answer 503 and retry later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Query(String),
    #[error("migration failed: {0}")]
    Migrate(String),
    #[error("cannot create the database directory {0}: {1}")]
    Directory(String, std::io::Error),
}

impl StoreError {
    /// The stable machine code clients see for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unavailable(_) => "store_unavailable",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::Query(_) | Self::Migrate(_) | Self::Directory(..) => "internal",
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => Self::Unavailable(e.to_string()),
            sqlx::Error::RowNotFound => Self::NotFound("row".into()),
            sqlx::Error::Database(d) => {
                let code = d.code().map(|c| c.to_string()).unwrap_or_default();
                // SQLITE_BUSY/LOCKED; PostgreSQL connection exceptions (08), shutdown (57P),
                // resources (53), and a database not accepting connections (55000).
                if matches!(code.as_str(), "5" | "6" | "55000")
                    || code.starts_with("08")
                    || code.starts_with("57P")
                    || code.starts_with("53")
                    || d.message().contains("database is locked")
                {
                    Self::Unavailable(d.message().to_string())
                } else {
                    Self::Query(d.message().to_string())
                }
            }
            _ => Self::Query(e.to_string()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The connection pool and which database is behind it.
#[derive(Clone, Debug)]
pub struct Store {
    pub pool: AnyPool,
    pub backend: Backend,
}

pub struct StoreOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Store {
    pub async fn connect(url: &str, opts: &StoreOptions) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let url = if backend == Backend::Sqlite {
            prepare_sqlite_url(url)?
        } else {
            url.to_string()
        };
        let options = AnyConnectOptions::from_str(&url)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
            .disable_statement_logging();
        let pool = AnyPoolOptions::new()
            .max_connections(opts.max_connections)
            .acquire_timeout(opts.acquire_timeout)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL with full sync: a commit is durable before the platform gets its 2xx.
                        conn.execute("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Self { pool, backend })
    }

    /// Apply the migrations of this backend (idempotent).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("migrations/postgres"),
        };
        migrator
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))
    }

    /// A transaction; failing to get a connection at all means the database is unavailable.
    ///
    /// SQLite transactions take the write lock up front (`BEGIN IMMEDIATE`): a deferred one that
    /// reads, then writes after another writer committed, fails at once with SQLITE_BUSY (its
    /// snapshot is stale, so the busy timeout cannot help). Waiting for the lock at `BEGIN`
    /// uses the busy timeout instead.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let begun = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        };
        begun.map_err(|e| match StoreError::from(e) {
            StoreError::Query(m) => StoreError::Unavailable(m),
            other => other,
        })
    }

    /// A cheap round trip, for /ready.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// `FOR UPDATE SKIP LOCKED` where the database has it: several processes share PostgreSQL.
    pub(crate) fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }
}

/// `sqlite://path` with the file and its directory created when missing.
fn prepare_sqlite_url(url: &str) -> Result<String, StoreError> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:" {
        if let Some(dir) = std::path::Path::new(path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError::Directory(dir.display().to_string(), e))?;
            }
        }
    }
    let query = if query.is_empty() {
        "mode=rwc".to_string()
    } else if query.contains("mode=") {
        query.to_string()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// Milliseconds since the Unix epoch, the unit of every time column.
pub fn millis(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn from_millis(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Rows per `status` of a queue table (`inbox`, `outbox`): counts for the API and /metrics.
pub(crate) async fn status_counts(
    store: &Store,
    table: &'static str,
) -> Result<Vec<(String, i64)>, StoreError> {
    use sqlx::Row;
    let sql = format!("SELECT status, COUNT(*) AS n FROM {table} GROUP BY status ORDER BY status");
    let rows = sqlx::query(&sql).fetch_all(&store.pool).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}
