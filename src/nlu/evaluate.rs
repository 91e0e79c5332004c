//! Running evaluations: k-fold cross-validation and train/test splits over encoded data,
//! producing `Scored` rows for `metrics::report`.

use std::collections::HashMap;

use super::classifier::{stratified_folds, IntentClassifier, TrainOptions};
use super::metrics::Scored;
use crate::intents::Thresholds;

/// Labelled, encoded data.
pub struct Dataset<'a> {
    pub texts: &'a [String],
    pub labels: &'a [String],
    pub vectors: &'a [Vec<f32>],
}

/// How predictions become labels.
#[derive(Clone, Default)]
pub struct Scoring {
    pub oos_label: Option<String>,
    pub thresholds: Thresholds,
    pub per_intent: HashMap<String, f32>,
}

pub fn train(data: &Dataset<'_>, scoring: &Scoring, opts: &TrainOptions) -> IntentClassifier {
    IntentClassifier::train(
        data.vectors,
        data.labels,
        scoring.oos_label.as_deref(),
        opts,
    )
    .with_thresholds(scoring.thresholds, scoring.per_intent.clone())
}

pub fn score(clf: &IntentClassifier, data: &Dataset<'_>, scoring: &Scoring) -> Vec<Scored> {
    data.vectors
        .iter()
        .zip(data.labels)
        .zip(data.texts)
        .map(|((v, gold), text)| {
            let p = clf.predict(v);
            let predicted = match (&scoring.oos_label, p.out_of_scope) {
                (Some(oos), true) => oos.clone(),
                _ => p.name.clone(),
            };
            Scored {
                text: text.clone(),
                gold: gold.clone(),
                predicted,
                top: p.name,
                confidence: p.confidence,
                escalated: p.verdict != super::classifier::Verdict::Confident,
            }
        })
        .collect()
}

/// K-fold cross-validation; `progress(fold)` after each fold.
pub fn cross_validate(
    data: &Dataset<'_>,
    k: usize,
    scoring: &Scoring,
    opts: &TrainOptions,
    mut progress: impl FnMut(usize),
) -> Vec<Scored> {
    let index: HashMap<&str, usize> = {
        let mut labels: Vec<&str> = data.labels.iter().map(String::as_str).collect();
        labels.sort_unstable();
        labels.dedup();
        labels
            .into_iter()
            .enumerate()
            .map(|(i, l)| (l, i))
            .collect()
    };
    let y: Vec<usize> = data.labels.iter().map(|l| index[l.as_str()]).collect();
    let folds = stratified_folds(&y, k, opts.head.seed);
    let mut out = Vec::with_capacity(data.texts.len());
    for fold in 0..k {
        let (train_idx, test_idx): (Vec<usize>, Vec<usize>) =
            (0..y.len()).partition(|&i| folds[i] != fold);
        let pick = |idx: &[usize]| -> (Vec<String>, Vec<String>, Vec<Vec<f32>>) {
            (
                idx.iter().map(|&i| data.texts[i].clone()).collect(),
                idx.iter().map(|&i| data.labels[i].clone()).collect(),
                idx.iter().map(|&i| data.vectors[i].clone()).collect(),
            )
        };
        let (tt, tl, tv) = pick(&train_idx);
        let (et, el, ev) = pick(&test_idx);
        let clf = train(
            &Dataset {
                texts: &tt,
                labels: &tl,
                vectors: &tv,
            },
            scoring,
            opts,
        );
        out.extend(score(
            &clf,
            &Dataset {
                texts: &et,
                labels: &el,
                vectors: &ev,
            },
            scoring,
        ));
        progress(fold + 1);
    }
    out
}
