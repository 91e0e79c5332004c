//! The intent classifier: a softmax head trained on example vectors, calibrated on held-out
//! folds, and the verdict rules (confident, low confidence, ambiguous, out of scope).

use std::collections::HashMap;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;

use super::calibrate::fit_temperature;
use super::head::{HeadOptions, SoftmaxHead};
use crate::intents::Thresholds;

#[derive(Debug, Clone, Copy)]
pub struct TrainOptions {
    pub head: HeadOptions,
    /// Folds for fitting the temperature on held-out predictions (0 or 1: no calibration).
    pub calibration_folds: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            head: HeadOptions::default(),
            calibration_folds: 3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The top intent is above its threshold and clear of the runner-up.
    Confident,
    /// The top intent is below its threshold.
    LowConfidence,
    /// The top two are within the ambiguity margin.
    Ambiguous,
    /// The `out_of_scope` intent won.
    OutOfScopeIntent,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    pub name: String,
    pub confidence: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntentPrediction {
    pub name: String,
    pub confidence: f32,
    pub ranking: Vec<Ranked>,
    pub verdict: Verdict,
    pub out_of_scope: bool,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct IntentClassifier {
    pub head: SoftmaxHead,
    oos: Option<usize>,
    pub thresholds: Thresholds,
    per_intent: HashMap<String, f32>,
}

/// How many ranked intents a prediction carries.
const RANKING_LEN: usize = 5;

impl IntentClassifier {
    /// Trains on `vectors` labelled `labels`. `oos_label` names the out-of-scope class when
    /// the data has one.
    pub fn train(
        vectors: &[Vec<f32>],
        labels: &[String],
        oos_label: Option<&str>,
        opts: &TrainOptions,
    ) -> Self {
        let mut classes: Vec<String> = labels.to_vec();
        classes.sort();
        classes.dedup();
        let index: HashMap<&str, usize> = classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let y: Vec<usize> = labels.iter().map(|l| index[l.as_str()]).collect();
        let temperature = held_out_temperature(&classes, vectors, &y, opts);
        let mut head = SoftmaxHead::train(classes.clone(), vectors, &y, &opts.head);
        head.temperature = temperature;
        let oos = oos_label.and_then(|l| index.get(l).copied());
        Self {
            head,
            oos,
            thresholds: Thresholds::default(),
            per_intent: HashMap::new(),
        }
    }

    pub fn with_thresholds(
        mut self,
        thresholds: Thresholds,
        per_intent: HashMap<String, f32>,
    ) -> Self {
        self.thresholds = thresholds;
        self.per_intent = per_intent;
        self
    }

    pub fn classes(&self) -> &[String] {
        &self.head.classes
    }

    pub fn predict(&self, v: &[f32]) -> IntentPrediction {
        let probs = self.head.probabilities(v);
        let mut order: Vec<usize> = (0..probs.len()).collect();
        order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
        let ranking: Vec<Ranked> = order
            .iter()
            .take(RANKING_LEN)
            .map(|&i| Ranked {
                name: self.head.classes[i].clone(),
                confidence: probs[i],
            })
            .collect();
        let Some(top) = ranking.first().cloned() else {
            return IntentPrediction {
                name: String::new(),
                confidence: 0.0,
                ranking,
                verdict: Verdict::LowConfidence,
                out_of_scope: true,
                reason: "no intents are trained".into(),
            };
        };
        let t = &self.thresholds;
        let threshold = self
            .per_intent
            .get(&top.name)
            .copied()
            .unwrap_or(t.confidence);
        let second = ranking.get(1);
        let (verdict, reason) = if Some(order[0]) == self.oos {
            if top.confidence >= t.out_of_scope {
                (
                    Verdict::OutOfScopeIntent,
                    format!(
                        "matches the out-of-scope intent ({:.2} >= {:.2})",
                        top.confidence, t.out_of_scope
                    ),
                )
            } else {
                (
                    Verdict::LowConfidence,
                    format!(
                        "closest to the out-of-scope intent but only {:.2}",
                        top.confidence
                    ),
                )
            }
        } else if top.confidence < threshold {
            (
                Verdict::LowConfidence,
                format!(
                    "confidence {:.2} for '{}' is below the threshold {threshold:.2}",
                    top.confidence, top.name
                ),
            )
        } else if let Some(s) =
            second.filter(|s| top.confidence - s.confidence < t.ambiguity_margin)
        {
            (
                Verdict::Ambiguous,
                format!(
                    "'{}' ({:.2}) and '{}' ({:.2}) are within the ambiguity margin {:.2}",
                    top.name, top.confidence, s.name, s.confidence, t.ambiguity_margin
                ),
            )
        } else {
            (
                Verdict::Confident,
                format!(
                    "'{}' at {:.2} (threshold {threshold:.2})",
                    top.name, top.confidence
                ),
            )
        };
        IntentPrediction {
            name: top.name,
            confidence: top.confidence,
            out_of_scope: matches!(verdict, Verdict::LowConfidence | Verdict::OutOfScopeIntent),
            ranking,
            verdict,
            reason,
        }
    }
}

/// Fits the temperature on predictions for examples the fold's head never saw.
fn held_out_temperature(
    classes: &[String],
    x: &[Vec<f32>],
    y: &[usize],
    opts: &TrainOptions,
) -> f32 {
    let k = opts.calibration_folds;
    if k < 2 || x.len() < 2 * k {
        return 1.0;
    }
    let folds = stratified_folds(y, k, opts.head.seed);
    let mut logits = Vec::with_capacity(x.len());
    let mut labels = Vec::with_capacity(x.len());
    for fold in 0..k {
        let (train, test): (Vec<usize>, Vec<usize>) = (0..x.len()).partition(|&i| folds[i] != fold);
        let tx: Vec<Vec<f32>> = train.iter().map(|&i| x[i].clone()).collect();
        let ty: Vec<usize> = train.iter().map(|&i| y[i]).collect();
        let head = SoftmaxHead::train(classes.to_vec(), &tx, &ty, &opts.head);
        for &i in &test {
            logits.push(head.logits(&x[i]));
            labels.push(y[i]);
        }
    }
    fit_temperature(&logits, &labels)
}

/// Assigns each example a fold so every class is spread across folds.
pub fn stratified_folds(y: &[usize], k: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..y.len()).collect();
    order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
    order.sort_by_key(|&i| y[i]);
    let mut folds = vec![0; y.len()];
    for (pos, &i) in order.iter().enumerate() {
        folds[i] = pos % k.max(1);
    }
    folds
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> (Vec<Vec<f32>>, Vec<String>) {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..30 {
            let j = (i % 7) as f32 * 0.05;
            x.push(vec![1.0, j, 0.0]);
            y.push("a".to_string());
            x.push(vec![0.0, j, 1.0]);
            y.push("b".to_string());
            x.push(vec![-1.0, j, -1.0]);
            y.push("out_of_scope".to_string());
        }
        (x, y)
    }

    #[test]
    fn a_clear_message_is_confident_and_ranked_first() {
        let (x, y) = data();
        let clf = IntentClassifier::train(&x, &y, Some("out_of_scope"), &TrainOptions::default());
        let p = clf.predict(&[1.0, 0.1, 0.0]);
        assert_eq!(p.name, "a");
        assert_eq!(p.verdict, Verdict::Confident, "{}", p.reason);
        assert!(!p.out_of_scope);
    }

    #[test]
    fn the_out_of_scope_intent_and_a_midway_message_are_not_answered() {
        let (x, y) = data();
        let clf = IntentClassifier::train(&x, &y, Some("out_of_scope"), &TrainOptions::default());
        let p = clf.predict(&[-1.0, 0.1, -1.0]);
        assert_eq!(p.verdict, Verdict::OutOfScopeIntent);
        assert!(p.out_of_scope);
        let mid = clf.predict(&[0.5, 0.0, 0.5]);
        assert!(
            matches!(mid.verdict, Verdict::Ambiguous | Verdict::LowConfidence),
            "{mid:?}"
        );
    }

    #[test]
    fn folds_spread_each_class() {
        let y = vec![0, 0, 0, 1, 1, 1];
        let f = stratified_folds(&y, 3, 1);
        let mut a: Vec<usize> = f[..3].to_vec();
        a.sort();
        assert_eq!(a, vec![0, 1, 2]);
    }
}
