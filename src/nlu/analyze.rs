//! `Nlu`: the public face of the engine. Trains the intent head from a bot's examples and
//! analyses messages: intent ranking with confidences, out-of-scope verdict, sentiment.

use std::collections::HashMap;
use std::time::Instant;

use serde::Serialize;

use super::classifier::{IntentClassifier, IntentPrediction, TrainOptions};
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
    pub timings: Timings,
}

#[derive(Clone)]
pub struct Nlu {
    encoder: EncoderService,
    intents: IntentClassifier,
    sentiment: Option<SentimentHead>,
}

impl Nlu {
    /// Trains the intent head from `bot`. Examples already in the encoder's cache are not
    /// encoded again, so retraining after an edit encodes only new or changed examples.
    pub fn train(
        encoder: EncoderService,
        bot: &Bot,
        sentiment: Option<SentimentHead>,
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
            sentiment,
        })
    }

    pub fn encoder(&self) -> &EncoderService {
        &self.encoder
    }

    pub fn intents(&self) -> &IntentClassifier {
        &self.intents
    }

    pub fn analyze(&self, text: &str) -> Result<Analysis, NluError> {
        self.analyze_batch(&[text.to_string()])
            .map(|mut v| v.remove(0))
    }

    /// Analyses many messages with one pass through the encoder queue.
    pub fn analyze_batch(&self, texts: &[String]) -> Result<Vec<Analysis>, NluError> {
        let started = Instant::now();
        let vectors = self.encoder.encode(texts)?;
        let encode_ms = ms(started) / texts.len().max(1) as f64;
        Ok(texts
            .iter()
            .zip(&vectors)
            .map(|(text, v)| {
                let t = Instant::now();
                let intent = self.intents.predict(v);
                let sentiment = self.sentiment.as_ref().map(|s| s.predict(v));
                Analysis {
                    text: text.clone(),
                    out_of_scope: intent.out_of_scope,
                    intent,
                    sentiment,
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
