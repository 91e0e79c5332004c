//! Assigning a reviewed message to an intent: its text becomes the last example of the intent
//! in the file that defines it (`out_of_scope` included), written as text (`yaml`), checked by
//! loading a copy of the folder with the change before the real file is replaced, and measured
//! by cross-validation before and after.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::measure::{cross_validate_bot, Figures};
use super::{customer_message, known_intent, not_reviewed, yaml, Ctx, ReviewError};
use crate::intents::{self, validate::normalize, Bot, Location, OUT_OF_SCOPE};
use crate::nlu::service::EncoderService;
use crate::store::review as rows;

/// What an assignment did.
#[derive(Debug, Clone, Serialize)]
pub struct Assigned {
    pub message_id: i64,
    pub intent: String,
    /// `assigned`, or `out_of_scope` for the out-of-scope intent.
    pub outcome: &'static str,
    /// The example as written: the message on one line.
    pub example: String,
    pub file: PathBuf,
    pub line: usize,
    pub folds: usize,
    pub before: Figures,
    pub after: Figures,
}

/// How many times a write is retried when the file changed under it.
const WRITE_ATTEMPTS: usize = 3;

/// Assign message `message_id` to intent `target` (or `out_of_scope`).
pub async fn assign(
    ctx: &Ctx<'_>,
    message_id: i64,
    target: &str,
    actor: &str,
    encoder: &EncoderService,
    folds: usize,
) -> Result<Assigned, ReviewError> {
    let Checked {
        bot,
        intent,
        example,
    } = check(ctx, message_id, target).await?;
    let before = measure(&bot, encoder, folds, &intent).await?;
    let outcome = if intent == OUT_OF_SCOPE {
        "out_of_scope"
    } else {
        "assigned"
    };
    let claimed = rows::claim(
        ctx.store,
        &rows::NewOutcome {
            message_id,
            outcome,
            intent: Some(&intent),
            file: None,
            actor,
        },
        ctx.now_ms,
    )
    .await?;
    if !claimed {
        not_reviewed(ctx, message_id).await?;
    }
    let written = {
        let (dir, name, text) = (
            ctx.intents_dir.to_path_buf(),
            intent.clone(),
            example.clone(),
        );
        tokio::task::spawn_blocking(move || write_example(&dir, &name, &text))
            .await
            .map_err(|e| ReviewError::Files(e.to_string()))
            .and_then(|r| r)
    };
    let (file, line, bot_after) = match written {
        Ok(w) => w,
        Err(e) => {
            rows::unclaim(ctx.store, message_id).await?;
            return Err(e);
        }
    };
    let after = measure(&bot_after, encoder, folds, &intent).await?;
    let figures = serde_json::json!({"folds": folds, "before": before, "after": after});
    rows::complete(ctx.store, message_id, &file.display().to_string(), &figures).await?;
    Ok(Assigned {
        message_id,
        intent,
        outcome,
        example,
        file,
        line,
        folds,
        before,
        after,
    })
}

/// An assignment that passed the checks.
pub struct Checked {
    pub bot: Bot,
    /// The intent's name as the files spell it.
    pub intent: String,
    /// The message on one line.
    pub example: String,
}

/// Everything `assign` checks before it measures or writes anything (no model needed): the
/// message exists, is a customer's and is not handled; the intent exists; the text is new.
pub async fn check(ctx: &Ctx<'_>, message_id: i64, target: &str) -> Result<Checked, ReviewError> {
    let message = customer_message(ctx, message_id).await?;
    not_reviewed(ctx, message_id).await?;
    let example = yaml::one_line(&message.text);
    if example.is_empty() {
        return Err(ReviewError::EmptyText(message_id));
    }
    let bot = intents::load_valid(ctx.intents_dir)?;
    let intent = known_intent(&bot, target)?.name.clone();
    check_new(&bot, &intent, &example)?;
    Ok(Checked {
        bot,
        intent,
        example,
    })
}

/// Cross-validation on the model thread's encoder, off the async runtime.
async fn measure(
    bot: &Bot,
    encoder: &EncoderService,
    folds: usize,
    intent: &str,
) -> Result<Figures, ReviewError> {
    let (bot, encoder, intent) = (bot.clone(), encoder.clone(), intent.to_string());
    tokio::task::spawn_blocking(move || {
        cross_validate_bot(&bot, &encoder, folds, |_| {}, |_| {}).map(|r| Figures::of(&r, &intent))
    })
    .await
    .map_err(|e| ReviewError::Files(e.to_string()))?
    .map_err(Into::into)
}

/// Refuses an example the bot already has, in this intent or another.
fn check_new(bot: &Bot, intent: &str, example: &str) -> Result<(), ReviewError> {
    let wanted = normalize(example);
    let Some(owner) = bot
        .intents
        .iter()
        .find(|i| i.examples.iter().any(|e| normalize(&e.text) == wanted))
    else {
        return Ok(());
    };
    let (name, text) = (owner.name.clone(), example.to_string());
    Err(if owner.name == intent {
        ReviewError::DuplicateExample { intent: name, text }
    } else {
        ReviewError::ExampleElsewhere { intent: name, text }
    })
}

/// Writes `example` into the file of `intent` under `dir`; returns the file, the example's
/// line and the bot as loaded after the change.
fn write_example(
    dir: &Path,
    intent: &str,
    example: &str,
) -> Result<(PathBuf, usize, Bot), ReviewError> {
    for _ in 0..WRITE_ATTEMPTS {
        let bot = intents::load_valid(dir)?;
        let current = known_intent(&bot, intent)?;
        check_new(&bot, intent, example)?;
        let file = current.location.file.clone();
        let source = read(&file)?;
        let change = yaml::append_example(&source, intent, example)
            .map_err(|e| ReviewError::WriteRefused(e.to_string()))?;
        verify(dir, &file, &change.text, &bot, intent, example)?;
        if replace(&file, &source, &change.text)? {
            let after = intents::load_valid(dir)?;
            return Ok((file, change.line, after));
        }
    }
    Err(ReviewError::WriteRefused(
        "the intent file kept changing while it was being written; try again".into(),
    ))
}

fn read(file: &Path) -> Result<String, ReviewError> {
    std::fs::read_to_string(file)
        .map_err(|e| ReviewError::Files(format!("cannot read {}: {e}", file.display())))
}

/// Loads a copy of the folder with the changed file and checks that exactly one example was
/// added, to the right intent, and nothing else changed.
fn verify(
    dir: &Path,
    file: &Path,
    text: &str,
    before: &Bot,
    intent: &str,
    example: &str,
) -> Result<(), ReviewError> {
    let copy =
        std::env::temp_dir().join(format!("hearken-review-{}", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let io = |e: std::io::Error| ReviewError::Files(format!("checking the change: {e}"));
        for f in intents::load::files(dir)? {
            let rel = f.strip_prefix(dir).unwrap_or(&f);
            let dest = copy.join(rel);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            if f == file {
                std::fs::write(&dest, text).map_err(io)?;
            } else {
                std::fs::copy(&f, &dest).map_err(io)?;
            }
        }
        let (after, diags) = intents::load(&copy)?;
        if let Some(d) = diags
            .iter()
            .find(|d| d.severity == intents::Severity::Error)
        {
            return Err(ReviewError::WriteRefused(format!(
                "the changed file would not load: {}",
                d.message
            )));
        }
        let mut expected = without_locations(before);
        match expected.intents.iter_mut().find(|i| i.name == intent) {
            Some(i) => i.examples.push(intents::Example {
                text: example.to_string(),
                location: Location::default(),
            }),
            None => return Err(ReviewError::WriteRefused(format!("no intent '{intent}'"))),
        }
        if without_locations(&after) != expected {
            return Err(ReviewError::WriteRefused(
                "loading the changed file gives something else than one more example; the file is left as it was".into(),
            ));
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&copy);
    result
}

/// The bot with every position blanked, to compare what two loads mean.
fn without_locations(bot: &Bot) -> Bot {
    let mut b = bot.clone();
    for i in &mut b.intents {
        i.location = Location::default();
        for e in &mut i.examples {
            e.location = Location::default();
        }
        for t in i
            .responses
            .public
            .iter_mut()
            .chain(i.responses.private.iter_mut())
        {
            t.location = Location::default();
        }
    }
    b
}

/// Replaces `file` with `text` unless it no longer holds `expected` (someone else wrote it):
/// a temporary file beside it, then an atomic rename.
fn replace(file: &Path, expected: &str, text: &str) -> Result<bool, ReviewError> {
    let io = |e: std::io::Error| ReviewError::Files(format!("writing {}: {e}", file.display()));
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = file.with_file_name(format!(".{name}.hearken-tmp"));
    std::fs::write(&tmp, text).map_err(io)?;
    if read(file)? != expected {
        let _ = std::fs::remove_file(&tmp);
        return Ok(false);
    }
    std::fs::rename(&tmp, file).map_err(io)?;
    Ok(true)
}
