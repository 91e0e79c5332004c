//! What the running model is and how the last reload went, in a form safe to show on the
//! unauthenticated `/ready` and in events: file names relative to the intents folder, never a
//! path of the machine.

use std::path::{Path, PathBuf};

use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::config::NluSettings;
use crate::engine::BrainError;
use crate::intents::{Bot, Diagnostic, IntentsError};
use crate::policy::PolicyError;

/// Most problems kept per attempt (the log has them all): bounds `/ready` and event sizes.
pub const MAX_PROBLEMS: usize = 50;

/// The model serving now and the reloads since start. Per process.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ModelStatus {
    /// None until the first brain is installed.
    pub model: Option<ModelInfo>,
    /// Whether this process watches the intents folder.
    pub watching: bool,
    /// Reload attempts finished since start, successful or not (tests wait on it).
    pub attempts: u64,
    /// The last reload attempt (None: the files have not changed since start).
    pub last_reload: Option<ReloadAttempt>,
}

/// The brain that answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelInfo {
    /// 1 for the first brain installed, one more for each swap.
    pub generation: u64,
    #[serde(serialize_with = "rfc3339")]
    pub trained_at: i64,
    pub intents: usize,
    pub examples: usize,
    /// [`files_hash`] of the intent files it was trained from (None: installed without its
    /// files, e.g. the tests' shared brain).
    pub hash: Option<String>,
}

impl ModelInfo {
    pub fn new(bot: &Bot, generation: u64, trained_at: i64, hash: Option<String>) -> Self {
        Self {
            generation,
            trained_at,
            intents: bot.intents.len(),
            examples: examples(bot),
            hash,
        }
    }
}

pub fn examples(bot: &Bot) -> usize {
    bot.intents.iter().map(|i| i.examples.len()).sum()
}

/// Where a reload stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The folder could not be read.
    Files,
    /// The intent files have errors (what `hearken intents validate` reports).
    Validation,
    /// `[policy]` names a skill or intent the new files do not have.
    Policy,
    /// Training (or loading the model, when none was running) failed.
    Training,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Files => "files",
            Self::Validation => "validation",
            Self::Policy => "policy",
            Self::Training => "training",
        }
    }
}

/// One reload: when, how long, and what went wrong.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReloadAttempt {
    #[serde(serialize_with = "rfc3339")]
    pub at: i64,
    pub ok: bool,
    pub duration_ms: u64,
    /// The files' hash when the attempt read them.
    pub hash: Option<String>,
    /// None when it succeeded.
    pub stage: Option<Stage>,
    /// The first [`MAX_PROBLEMS`] errors.
    pub errors: Vec<Problem>,
    /// All errors, also those left out of `errors`.
    pub error_count: usize,
}

/// An error a reload met, with its place when it is in an intent file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// Relative to the intents folder, `/`-separated (None: not about one file).
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// A stable code: a validation code (`yaml_syntax`, `unknown_skill`...), or `policy`,
    /// `files`, `training`.
    pub code: String,
    pub message: String,
    pub hint: Option<String>,
}

impl Problem {
    fn general(code: &str, message: String) -> Self {
        Self {
            file: None,
            line: None,
            column: None,
            code: code.into(),
            message,
            hint: None,
        }
    }

    /// A validation error, its file made relative to `dir` (also inside the message and hint,
    /// which may point at another place: "the first is at orders.yml:12:5").
    pub fn from_diagnostic(d: &Diagnostic, dir: &Path) -> Self {
        let scrub = |t: &str| scrub(t, &[(dir, "")]);
        Self {
            file: Some(relative(&d.location.file, dir)),
            line: Some(d.location.line),
            column: Some(d.location.column),
            code: d.code.into(),
            message: scrub(&d.message),
            hint: d.hint.as_deref().map(scrub),
        }
    }

    pub fn from_policy(e: &PolicyError) -> Vec<Self> {
        e.problems
            .iter()
            .map(|p| Self::general("policy", format!("[policy] {p}")))
            .collect()
    }

    pub fn from_files(e: &IntentsError, dir: &Path) -> Self {
        match e {
            IntentsError::NotADirectory(_) => Self::general(
                "files",
                "the intents folder is missing or is not a folder".into(),
            ),
            IntentsError::Io { path, source } => Self {
                file: Some(relative(path, dir)),
                ..Self::general("files", format!("cannot read it: {source}"))
            },
            IntentsError::Invalid { report, .. } => {
                Self::general("validation", scrub(report, &[(dir, "")]))
            }
        }
    }

    /// A training or model failure; model paths are replaced by the setting's name.
    pub fn from_brain(e: &BrainError, nlu: &NluSettings) -> Self {
        if let BrainError::Intents(i) = e {
            return Self::from_files(i, &nlu.intents_dir);
        }
        let heads = nlu.sentiment_head.parent().unwrap_or(Path::new(""));
        let message = scrub(
            &e.to_string(),
            &[
                (&nlu.intents_dir, ""),
                (&nlu.model_dir, "<nlu.model_dir>/"),
                (heads, "<models>/"),
            ],
        );
        Self::general("training", message)
    }
}

/// `file` relative to `dir` with `/` separators; only the file name if it is elsewhere.
pub fn relative(file: &Path, dir: &Path) -> String {
    let rel = file
        .strip_prefix(dir)
        .ok()
        .filter(|r| !r.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .or_else(|| file.file_name().map(PathBuf::from))
        .unwrap_or_default();
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Replaces each folder prefix (`dir/`) in `text`.
fn scrub(text: &str, prefixes: &[(&Path, &str)]) -> String {
    let mut out = text.to_string();
    for (dir, with) in prefixes {
        let dir = dir.display().to_string();
        if dir.is_empty() || dir == "." {
            continue;
        }
        out = out.replace(&format!("{}/", dir.trim_end_matches('/')), with);
    }
    out
}

/// Keeps the first [`MAX_PROBLEMS`] and the count.
pub fn capped(mut problems: Vec<Problem>) -> (Vec<Problem>, usize) {
    let count = problems.len();
    problems.truncate(MAX_PROBLEMS);
    (problems, count)
}

/// A short hash of the intent files the loader reads (names relative to `dir`, and
/// contents): the first 12 hex digits of a SHA-256. Equal folders have equal hashes on every
/// machine, so two processes (or a process and a git checkout) can be compared.
pub fn files_hash(dir: &Path) -> Result<String, IntentsError> {
    let mut h = Sha256::new();
    for path in crate::intents::load::files(dir)? {
        let bytes = std::fs::read(&path).map_err(|source| IntentsError::Io {
            path: path.clone(),
            source,
        })?;
        h.update(relative(&path, dir).as_bytes());
        h.update([0]);
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    Ok(hex::encode(h.finalize())[..12].to_string())
}

fn rfc3339<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    crate::store::from_millis(*ms)
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        .serialize(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intents::Location;

    #[test]
    fn a_diagnostic_shows_file_names_relative_to_the_folder_and_no_machine_path() {
        let dir = Path::new("/srv/acme/intents");
        let d = Diagnostic::error(
            "duplicate_intent",
            Location {
                file: dir.join("sub/orders.yml"),
                line: 12,
                column: 5,
            },
            "intent 'refund' is defined twice",
        )
        .hint("the first is at /srv/acme/intents/billing.yml:3:5; merge them or rename one");
        let p = Problem::from_diagnostic(&d, dir);
        assert_eq!(p.file.as_deref(), Some("sub/orders.yml"));
        assert_eq!((p.line, p.column), (Some(12), Some(5)));
        assert_eq!(
            p.hint.as_deref(),
            Some("the first is at billing.yml:3:5; merge them or rename one")
        );
        assert!(!serde_json::to_string(&p).unwrap().contains("/srv"));
    }

    #[test]
    fn model_paths_in_a_training_error_are_named_by_their_setting() {
        let nlu = NluSettings {
            model_dir: "/opt/models/minilm".into(),
            ..NluSettings::default()
        };
        let e = BrainError::Nlu(crate::nlu::NluError::ModelMissing {
            path: "/opt/models/minilm/model.onnx".into(),
        });
        let p = Problem::from_brain(&e, &nlu);
        assert_eq!(p.code, "training");
        assert!(p.message.contains("<nlu.model_dir>/model.onnx"), "{p:?}");
        assert!(!p.message.contains("/opt"), "{p:?}");
    }

    #[test]
    fn the_hash_follows_names_and_contents_and_ignores_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let hash = || files_hash(dir.path()).unwrap();
        std::fs::write(dir.path().join("a.yml"), "intents: []\n").unwrap();
        let first = hash();
        assert_eq!(first.len(), 12);
        std::fs::write(dir.path().join("notes.md"), "not an intent file").unwrap();
        std::fs::write(dir.path().join(".a.yml.swp"), "swap").unwrap();
        assert_eq!(hash(), first, "only the files the loader reads count");
        std::fs::write(dir.path().join("a.yml"), "intents: [ ]\n").unwrap();
        assert_ne!(hash(), first, "contents count");
        std::fs::rename(dir.path().join("a.yml"), dir.path().join("b.yml")).unwrap();
        let renamed = hash();
        std::fs::write(dir.path().join("b.yml"), "intents: []\n").unwrap();
        assert_ne!(hash(), renamed);
        assert_ne!(hash(), first, "names count");
    }
}
