//! Intent files: the schema, loading with positions, and validation with hints.
//! No HTTP, no SQL, no model: similarity checks take vectors from the caller.

pub mod diagnostic;
pub mod load;
pub mod schema;
pub mod template;
pub mod validate;

use std::path::{Path, PathBuf};

pub use diagnostic::{Diagnostic, Location, Severity};
pub use schema::{
    Action, Bot, Example, Intent, Responses, Settings, Template, Thresholds, OUT_OF_SCOPE,
};

#[derive(Debug, thiserror::Error)]
pub enum IntentsError {
    #[error("{0} is not a directory of intent files")]
    NotADirectory(PathBuf),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{count} error(s) in the intent files:\n{report}")]
    Invalid { count: usize, report: String },
}

/// Loads and checks a folder (without the model-based checks). Diagnostics come back sorted
/// by file and line.
pub fn load(dir: &Path) -> Result<(Bot, Vec<Diagnostic>), IntentsError> {
    let mut diags = Vec::new();
    let bot = load::load_dir(dir, &mut diags)?;
    validate::check(&bot, &mut diags);
    diags.sort_by(|a, b| a.location.cmp(&b.location));
    Ok((bot, diags))
}

/// The closing line of `hearken intents validate` (also logged by a hot reload), e.g.
/// `1 error, 0 warnings in 7 files (19 intents, 294 examples)`.
pub fn summary(diags: &[Diagnostic], files: usize, bot: &Bot) -> String {
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags.len() - errors;
    let examples: usize = bot.intents.iter().map(|i| i.examples.len()).sum();
    format!(
        "{errors} error{}, {warnings} warning{} in {files} files ({} intents, {examples} examples)",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
        bot.intents.len()
    )
}

/// Loads a folder for use: errors refuse it, warnings pass.
pub fn load_valid(dir: &Path) -> Result<Bot, IntentsError> {
    let (bot, diags) = load(dir)?;
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(ToString::to_string)
        .collect();
    if errors.is_empty() {
        Ok(bot)
    } else {
        Err(IntentsError::Invalid {
            count: errors.len(),
            report: errors.join("\n"),
        })
    }
}
