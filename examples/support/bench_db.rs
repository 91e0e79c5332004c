//! Fresh databases for the benches: a SQLite file in a temporary directory, or a PostgreSQL
//! database on 127.0.0.1:5432 created for the run and dropped after it.

const ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database URL and what keeps it alive; dropping it removes the database.
pub struct BenchDb {
    pub url: String,
    /// The SQLite file's directory, removed on drop.
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL database to drop.
    pg_name: Option<String>,
}

impl BenchDb {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}/bench.db", dir.path().display());
        Self {
            url,
            _dir: Some(dir),
            pg_name: None,
        }
    }

    pub fn postgres() -> Self {
        let name = format!("hearken_bench_{}", uuid::Uuid::new_v4().simple());
        let ok = std::process::Command::new("psql")
            .args([ADMIN, "-qc", &format!("CREATE DATABASE {name}")])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(
            ok,
            "PostgreSQL at 127.0.0.1:5432 is needed for the postgres run"
        );
        let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
        Self {
            url,
            _dir: None,
            pg_name: Some(name),
        }
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            let _ = std::process::Command::new("psql")
                .args([ADMIN, "-qc", &format!("DROP DATABASE {name} WITH (FORCE)")])
                .status();
        }
    }
}
