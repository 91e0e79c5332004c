//! The sentiment head (negative / neutral / positive): a softmax head shipped as a small
//! JSON file in models/, trained by `hearken nlu train-sentiment`.

use std::path::Path;

use serde::Serialize;

use super::head::SoftmaxHead;
use super::NluError;

pub const LABELS: [&str; 3] = ["negative", "neutral", "positive"];

/// The file form: the head plus where it came from.
pub type SentimentFile = super::head::HeadFile;

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
        let file = SentimentFile::load(path, dim)?;
        Self::from_head(file.head).map_err(|reason| NluError::Head {
            path: path.to_owned(),
            reason,
        })
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
