//! `Nlu`: the public face of the engine. Trains the intent head from a bot's examples and
//! analyses messages: intent ranking with confidences, out-of-scope verdict, sentiment, complaint.

use std::collections::HashMap;
use std::time::Instant;

use serde::Serialize;

use super::classifier::{IntentClassifier, IntentPrediction, TrainOptions};
use super::complaint::ComplaintHead;
use super::sentiment::{Sentiment, SentimentHead};
use super::service::EncoderService;
use super::NluError;
use crate::intents::{Bot, OUT_OF_SCOPE};

#[derive(Debug, Clone, Serialize)]
pub struct Timings {
    pub encode_ms: f64,
    pub classify_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub text: String,
    pub intent: IntentPrediction,
    pub out_of_scope: bool,
    pub sentiment: Option<Sentiment>,
    /// The calibrated probability that the message is a complaint; None without a complaint head.
    pub complaint: Option<f32>,
    pub timings: Timings,
}

#[derive(Clone)]
pub struct Nlu {
    encoder: EncoderService,
    intents: IntentClassifier,
    judgement: Judgement,
}

/// The shipped heads that read how a message is said rather than what it asks for.
#[derive(Clone, Default)]
pub struct Judgement {
    pub sentiment: Option<SentimentHead>,
    pub complaint: Option<ComplaintHead>,
}

impl Judgement {
    /// Loads the heads that exist; a missing file leaves its head out with a warning (the
    /// service still answers intents), a broken one is an error.
    pub fn load(
        sentiment: &std::path::Path,
        complaint: &std::path::Path,
        dim: usize,
    ) -> Result<Self, NluError> {
        let missing = |path: &std::path::Path, what: &str| {
            tracing::warn!(path = %path.display(), "no {what} head; {what} is left out");
        };
        Ok(Self {
            sentiment: if sentiment.exists() {
                Some(SentimentHead::load(sentiment, dim)?)
            } else {
                missing(sentiment, "sentiment");
                None
            },
            complaint: if complaint.exists() {
                Some(ComplaintHead::load(complaint, dim)?)
            } else {
                missing(complaint, "complaint");
                None
            },
        })
    }
}

impl Nlu {
    /// Trains the intent head from `bot`. Examples already in the encoder's cache are not
    /// encoded again, so retraining after an edit encodes only new or changed examples.
    pub fn train(
        encoder: EncoderService,
        bot: &Bot,
        judgement: Judgement,
        opts: &TrainOptions,
        progress: impl FnMut(usize),
    ) -> Result<Self, NluError> {
        let (texts, labels) = bot.training_pairs();
        if texts.is_empty() {
            return Err(NluError::Training(
                "the intent files have no examples".into(),
            ));
        }
        let vectors = encoder.encode_all(&texts, progress)?;
        let oos = bot.intent(OUT_OF_SCOPE).map(|_| OUT_OF_SCOPE);
        let per_intent: HashMap<String, f32> = bot
            .intents
            .iter()
            .filter_map(|i| i.threshold.map(|t| (i.name.clone(), t)))
            .collect();
        let intents = IntentClassifier::train(&vectors, &labels, oos, opts)
            .with_thresholds(bot.settings.thresholds, per_intent);
        Ok(Self {
            encoder,
            intents,
            judgement,
        })
    }

    pub fn encoder(&self) -> &EncoderService {
        &self.encoder
    }

    pub fn intents(&self) -> &IntentClassifier {
        &self.intents
    }

    pub fn judgement(&self) -> &Judgement {
        &self.judgement
    }

    pub fn analyze(&self, text: &str) -> Result<Analysis, NluError> {
        self.analyze_batch(&[text.to_string()])
            .map(|mut v| v.remove(0))
    }

    /// Analyses many messages with one pass through the encoder queue.
    pub fn analyze_batch(&self, texts: &[String]) -> Result<Vec<Analysis>, NluError> {
        let started = Instant::now();
        let features = self.encoder.encode_features(texts)?;
        let encode_ms = ms(started) / texts.len().max(1) as f64;
        Ok(texts
            .iter()
            .zip(&features)
            .map(|(text, f)| {
                let t = Instant::now();
                let intent = self.intents.predict(&f.sentence);
                let j = &f.judgement;
                let sentiment = self.judgement.sentiment.as_ref().map(|s| s.predict(j));
                let complaint = self.judgement.complaint.as_ref().map(|c| c.predict(j));
                Analysis {
                    text: text.clone(),
                    out_of_scope: intent.out_of_scope,
                    intent,
                    sentiment,
                    complaint,
                    timings: Timings {
                        encode_ms,
                        classify_ms: ms(t),
                    },
                }
            })
            .collect())
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}
