//! How well a bot tells its intents apart: k-fold cross-validation over its own examples,
//! exactly what `hearken intents test` reports, and the few figures the review loop shows
//! before and after an assignment. Synchronous and CPU-bound: async callers use
//! `spawn_blocking`.

use std::collections::HashMap;

use serde::Serialize;

use crate::intents::{Bot, OUT_OF_SCOPE};
use crate::nlu::classifier::TrainOptions;
use crate::nlu::evaluate::{cross_validate, Dataset, Scoring};
use crate::nlu::metrics::{report, Report};
use crate::nlu::service::EncoderService;
use crate::nlu::NluError;

/// Confused pairs a report keeps.
const TOP_CONFUSIONS: usize = 10;

/// How predictions become labels for this bot: its thresholds and its `out_of_scope` intent.
pub fn scoring(bot: &Bot) -> Scoring {
    Scoring {
        oos_label: bot.intent(OUT_OF_SCOPE).map(|_| OUT_OF_SCOPE.to_string()),
        thresholds: bot.settings.thresholds,
        per_intent: bot
            .intents
            .iter()
            .filter_map(|i| i.threshold.map(|t| (i.name.clone(), t)))
            .collect::<HashMap<_, _>>(),
    }
}

/// Cross-validates `bot` in `folds` folds. `encoded(n)` after each batch of examples is
/// encoded, `fold(k)` after each fold (progress bars).
pub fn cross_validate_bot(
    bot: &Bot,
    encoder: &EncoderService,
    folds: usize,
    encoded: impl FnMut(usize),
    fold: impl FnMut(usize),
) -> Result<Report, NluError> {
    if folds < 2 {
        return Err(NluError::Training("at least 2 folds are needed".into()));
    }
    let (texts, labels) = bot.training_pairs();
    if texts.is_empty() {
        return Err(NluError::Training(
            "the intent files have no examples".into(),
        ));
    }
    let vectors = encoder.encode_all(&texts, encoded)?;
    let scoring = scoring(bot);
    let data = Dataset {
        texts: &texts,
        labels: &labels,
        vectors: &vectors,
    };
    let scored = cross_validate(&data, folds, &scoring, &TrainOptions::default(), fold);
    Ok(report(
        &scored,
        scoring.oos_label.as_deref(),
        TOP_CONFUSIONS,
    ))
}

/// The figures the review loop shows for one intent.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Figures {
    pub examples: usize,
    pub accuracy: f32,
    pub macro_f1: f32,
    /// The intent the assignment was about.
    pub intent: String,
    pub precision: f32,
    pub recall: f32,
}

impl Figures {
    pub fn of(r: &Report, intent: &str) -> Self {
        let class = r.per_class.iter().find(|c| c.label == intent);
        Self {
            examples: r.examples,
            accuracy: r.accuracy,
            macro_f1: r.macro_f1,
            intent: intent.to_string(),
            precision: class.map_or(0.0, |c| c.precision),
            recall: class.map_or(0.0, |c| c.recall),
        }
    }
}

/// Before and after one change, as one line: "accuracy 91.2% → 91.5%, macro-F1 ...".
pub fn summary(before: &Figures, after: &Figures) -> String {
    format!(
        "accuracy {:.1}% → {:.1}%, macro-F1 {:.1}% → {:.1}%, {} precision {:.2} → {:.2}, recall {:.2} → {:.2}",
        before.accuracy * 100.0,
        after.accuracy * 100.0,
        before.macro_f1 * 100.0,
        after.macro_f1 * 100.0,
        after.intent,
        before.precision,
        after.precision,
        before.recall,
        after.recall
    )
}
