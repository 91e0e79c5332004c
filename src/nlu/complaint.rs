//! The complaint head: the calibrated probability that a message complains (a breach of the
//! customer's expectations about a product, service or the company), shipped as a small JSON
//! file in models/ next to the sentiment head and read from the same vectors.

use std::path::Path;

use super::head::{HeadFile, SoftmaxHead};
use super::NluError;

pub const COMPLAINT: &str = "complaint";
pub const NOT_COMPLAINT: &str = "not_complaint";

#[derive(Debug, Clone)]
pub struct ComplaintHead {
    head: SoftmaxHead,
    /// Column of `COMPLAINT` in the head's classes.
    column: usize,
}

impl ComplaintHead {
    pub fn load(path: &Path, dim: usize) -> Result<Self, NluError> {
        let file = HeadFile::load(path, dim)?;
        Self::from_head(file.head).map_err(|reason| NluError::Head {
            path: path.to_owned(),
            reason,
        })
    }

    pub fn from_head(head: SoftmaxHead) -> Result<Self, String> {
        let has = |label: &str| head.classes.iter().position(|c| c == label);
        match (has(COMPLAINT), has(NOT_COMPLAINT), head.classes.len()) {
            (Some(column), Some(_), 2) => Ok(Self { head, column }),
            _ => Err(format!(
                "a complaint head has exactly the classes '{COMPLAINT}' and '{NOT_COMPLAINT}', this one has {:?}",
                head.classes
            )),
        }
    }

    /// The calibrated probability that `v`'s message is a complaint.
    pub fn predict(&self, v: &[f32]) -> f32 {
        self.head.probabilities(v)[self.column]
    }

    pub fn head(&self) -> &SoftmaxHead {
        &self.head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(classes: &[&str]) -> SoftmaxHead {
        SoftmaxHead {
            classes: classes.iter().map(|c| c.to_string()).collect(),
            dim: 2,
            weights: vec![1.0, 0.0, -1.0, 0.0],
            bias: vec![0.0, 0.0],
            temperature: 1.0,
        }
    }

    #[test]
    fn the_probability_is_read_from_the_complaint_column_whatever_its_position() {
        let a = ComplaintHead::from_head(head(&["complaint", "not_complaint"])).unwrap();
        let b = ComplaintHead::from_head(head(&["not_complaint", "complaint"])).unwrap();
        let v = [2.0, 0.0];
        assert!(a.predict(&v) > 0.95);
        assert!(b.predict(&v) < 0.05);
    }

    #[test]
    fn a_head_with_other_classes_is_refused_naming_them() {
        let err = ComplaintHead::from_head(head(&["negative", "positive"])).unwrap_err();
        assert!(err.contains("negative"), "{err}");
    }
}
