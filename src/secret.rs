//! `Secret`: a credential as settings hold it. It never prints (`Debug` and `Serialize` show
//! `[redacted]`) and may be read from the environment or a file instead of hearken.toml. Its own
//! module so channel adapters need not depend on the settings to hold one.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A secret value: `Debug` and `Serialize` print `[redacted]`, only [`Secret::expose`] reveals it.
/// In hearken.toml it is a string, `{ env = "NAME" }` (read from that environment variable) or
/// `{ file = "/run/secrets/x" }` (read from that file, trailing newline dropped), so credentials
/// stay out of the file and out of git.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

#[derive(Deserialize)]
#[serde(untagged)]
enum SecretSource {
    Plain(String),
    Env { env: String },
    File { file: PathBuf },
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match SecretSource::deserialize(d).map_err(|_| {
            D::Error::custom(
                "a secret is a string, { env = \"VARIABLE\" } or { file = \"/path/to/file\" }",
            )
        })? {
            SecretSource::Plain(s) => Ok(Secret(s)),
            SecretSource::Env { env } => std::env::var(&env).map(Secret).map_err(|_| {
                D::Error::custom(format!("the environment variable {env} is not set"))
            }),
            SecretSource::File { file } => std::fs::read_to_string(&file)
                .map(|s| Secret(s.trim_end_matches(['\n', '\r']).to_string()))
                .map_err(|e| D::Error::custom(format!("cannot read {}: {e}", file.display()))),
        }
    }
}

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("[redacted]")
    }
}
