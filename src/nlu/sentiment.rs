//! The sentiment head (negative / neutral / positive): a softmax head shipped as a small
//! JSON file in models/, trained by `hearken nlu train-sentiment`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::head::SoftmaxHead;
use super::NluError;

pub const LABELS: [&str; 3] = ["negative", "neutral", "positive"];

/// The file form: the head plus where it came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SentimentFile {
    /// The encoder the head was trained on; vectors of another encoder are meaningless to it.
    pub encoder: String,
    pub trained_on: String,
    pub head: SoftmaxHead,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SentimentScores {
    pub negative: f32,
    pub neutral: f32,
    pub positive: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sentiment {
    pub label: &'static str,
    pub scores: SentimentScores,
}

#[derive(Debug, Clone)]
pub struct SentimentHead {
    head: SoftmaxHead,
    /// Column of each of `LABELS` in the head's classes.
    columns: [usize; 3],
}

impl SentimentHead {
    pub fn load(path: &Path, dim: usize) -> Result<Self, NluError> {
        let bad = |reason: String| NluError::Head {
            path: path.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|source| NluError::Io {
            path: path.to_owned(),
            source,
        })?;
        let file: SentimentFile = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if file.head.dim != dim
            || file.head.weights.len() != file.head.dim * file.head.classes.len()
        {
            return Err(bad(format!(
                "trained for {}-wide vectors, the encoder gives {dim}",
                file.head.dim
            )));
        }
        Self::from_head(file.head).map_err(bad)
    }

    pub fn from_head(head: SoftmaxHead) -> Result<Self, String> {
        let mut columns = [0; 3];
        for (c, label) in columns.iter_mut().zip(LABELS) {
            *c = head
                .classes
                .iter()
                .position(|x| x == label)
                .ok_or_else(|| format!("the head has no '{label}' class"))?;
        }
        Ok(Self { head, columns })
    }

    pub fn predict(&self, v: &[f32]) -> Sentiment {
        let p = self.head.probabilities(v);
        let scores = SentimentScores {
            negative: p[self.columns[0]],
            neutral: p[self.columns[1]],
            positive: p[self.columns[2]],
        };
        let values = [scores.negative, scores.neutral, scores.positive];
        let best = (0..3)
            .max_by(|&a, &b| values[a].total_cmp(&values[b]))
            .unwrap_or(1);
        Sentiment {
            label: LABELS[best],
            scores,
        }
    }
}
