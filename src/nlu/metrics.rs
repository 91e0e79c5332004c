//! Evaluation figures from scored predictions: accuracy, macro-F1 and recall, per-class
//! precision/recall/F1, the most confused pairs, calibration error, out-of-scope recall and
//! the share that would escalate.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::calibrate::expected_calibration_error;

/// One evaluated message.
#[derive(Debug, Clone)]
pub struct Scored {
    pub text: String,
    pub gold: String,
    /// The label the system gave: the intent, or the out-of-scope label when it declined.
    pub predicted: String,
    /// The top intent (whatever the verdict) and its calibrated confidence.
    pub top: String,
    pub confidence: f32,
    /// Would not be answered by the bot at the configured thresholds.
    pub escalated: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassScore {
    pub label: String,
    pub precision: f32,
    pub recall: f32,
    pub f1: f32,
    pub support: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Confusion {
    pub gold: String,
    pub predicted: String,
    pub count: usize,
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub examples: usize,
    pub accuracy: f32,
    pub macro_f1: f32,
    pub macro_recall: f32,
    /// Top-1 accuracy of the head alone, before any threshold.
    pub top1_accuracy: f32,
    pub expected_calibration_error: f32,
    pub escalation_share: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_scope_accuracy: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oos_recall: Option<f32>,
    pub per_class: Vec<ClassScore>,
    pub confusions: Vec<Confusion>,
    /// Labels in matrix order, and `matrix[gold][predicted]` counts.
    pub labels: Vec<String>,
    pub matrix: Vec<Vec<usize>>,
    /// Ten confidence bins: (count, accuracy) for the histogram and reliability picture.
    pub confidence_bins: Vec<(usize, f32)>,
}

const MAX_EXAMPLES_PER_CONFUSION: usize = 3;

pub fn report(items: &[Scored], oos_label: Option<&str>, top_confusions: usize) -> Report {
    let n = items.len().max(1) as f32;
    let labels: Vec<String> = items
        .iter()
        .flat_map(|s| [s.gold.clone(), s.predicted.clone()])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let idx: HashMap<&str, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    let mut matrix = vec![vec![0usize; labels.len()]; labels.len()];
    let mut pairs: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for s in items {
        matrix[idx[s.gold.as_str()]][idx[s.predicted.as_str()]] += 1;
        if s.gold != s.predicted {
            pairs
                .entry((s.gold.clone(), s.predicted.clone()))
                .or_default()
                .push(s.text.clone());
        }
    }
    let per_class: Vec<ClassScore> = labels
        .iter()
        .enumerate()
        .filter(|(i, _)| matrix[*i].iter().sum::<usize>() > 0)
        .map(|(i, l)| {
            let tp = matrix[i][i] as f32;
            let support = matrix[i].iter().sum::<usize>();
            let predicted: usize = matrix.iter().map(|row| row[i]).sum();
            let precision = if predicted == 0 {
                0.0
            } else {
                tp / predicted as f32
            };
            let recall = tp / support as f32;
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            ClassScore {
                label: l.clone(),
                precision,
                recall,
                f1,
                support,
            }
        })
        .collect();
    let k = per_class.len().max(1) as f32;
    let mut confusions: Vec<Confusion> = pairs
        .into_iter()
        .map(|((gold, predicted), texts)| Confusion {
            gold,
            predicted,
            count: texts.len(),
            examples: texts.into_iter().take(MAX_EXAMPLES_PER_CONFUSION).collect(),
        })
        .collect();
    confusions.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.gold.cmp(&b.gold)));
    confusions.truncate(top_confusions);

    let confidences: Vec<f32> = items.iter().map(|s| s.confidence).collect();
    let top_correct: Vec<bool> = items.iter().map(|s| s.top == s.gold).collect();
    let mut bins = vec![(0usize, 0f32); 10];
    for (&c, &ok) in confidences.iter().zip(&top_correct) {
        let b = ((c * 10.0) as usize).min(9);
        bins[b].0 += 1;
        bins[b].1 += f32::from(u8::from(ok));
    }
    bins.iter_mut()
        .for_each(|(n, acc)| *acc = if *n == 0 { 0.0 } else { *acc / *n as f32 });

    let (in_scope, oos): (Vec<&Scored>, Vec<&Scored>) = items
        .iter()
        .partition(|s| Some(s.gold.as_str()) != oos_label);
    let share = |v: &[&Scored], f: &dyn Fn(&Scored) -> bool| {
        if v.is_empty() {
            None
        } else {
            Some(v.iter().filter(|s| f(s)).count() as f32 / v.len() as f32)
        }
    };
    Report {
        examples: items.len(),
        accuracy: items.iter().filter(|s| s.gold == s.predicted).count() as f32 / n,
        macro_f1: per_class.iter().map(|c| c.f1).sum::<f32>() / k,
        macro_recall: per_class.iter().map(|c| c.recall).sum::<f32>() / k,
        top1_accuracy: top_correct.iter().filter(|&&b| b).count() as f32 / n,
        expected_calibration_error: expected_calibration_error(&confidences, &top_correct, 15),
        escalation_share: items.iter().filter(|s| s.escalated).count() as f32 / n,
        in_scope_accuracy: oos_label.and_then(|_| share(&in_scope, &|s| s.gold == s.predicted)),
        oos_recall: oos_label.and_then(|_| share(&oos, &|s| s.gold == s.predicted)),
        per_class,
        confusions,
        labels,
        matrix,
        confidence_bins: bins,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(gold: &str, predicted: &str, conf: f32) -> Scored {
        Scored {
            text: format!("{gold}->{predicted}"),
            gold: gold.into(),
            predicted: predicted.into(),
            top: predicted.into(),
            confidence: conf,
            escalated: predicted == "oos",
        }
    }

    #[test]
    fn figures_match_a_hand_computed_example() {
        let items = vec![
            s("a", "a", 0.9),
            s("a", "b", 0.6),
            s("b", "b", 0.8),
            s("oos", "oos", 0.3),
            s("oos", "a", 0.7),
        ];
        let r = report(&items, Some("oos"), 5);
        assert!((r.accuracy - 0.6).abs() < 1e-6);
        assert_eq!(r.in_scope_accuracy, Some(2.0 / 3.0));
        assert_eq!(r.oos_recall, Some(0.5));
        let a = r.per_class.iter().find(|c| c.label == "a").unwrap();
        assert!((a.precision - 0.5).abs() < 1e-6 && (a.recall - 0.5).abs() < 1e-6);
        assert_eq!(r.confusions.len(), 2);
        assert!((r.escalation_share - 0.2).abs() < 1e-6);
    }
}
