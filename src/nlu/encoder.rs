//! The `Encoder` trait: texts in, L2-normalised sentence vectors out. Backends implement it;
//! nothing here knows about threads, queues or caches (see `service.rs`).

use super::NluError;

/// What one pass of the encoder gives for a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    /// The sentence vector (mean-pooled last layer, L2-normalised): what intents are read from.
    pub sentence: Vec<f32>,
    /// What the judgement heads (sentiment, complaint) read: a lower layer's pooled vector
    /// followed by the sentence vector, each L2-normalised, when the model exposes that layer
    /// (`judgement_hidden`, added by `make model`); else the sentence vector alone. How a
    /// message is said lives lower in the network than what it asks for.
    pub judgement: Vec<f32>,
}

impl Features {
    /// Features of a model that exposes no lower layer.
    pub fn sentence_only(sentence: Vec<f32>) -> Self {
        Self {
            judgement: sentence.clone(),
            sentence,
        }
    }
}

/// A synchronous sentence encoder. Calls block; run them on a model thread, never on the
/// async runtime (see `EncoderService`).
pub trait Encoder: Send {
    /// Encodes `texts` into one L2-normalised vector each, in the same order.
    /// Mean pooling over the attention mask, as sentence-transformers does.
    fn encode(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, NluError>;

    /// The sentence vector and the judgement features of each text, from one pass. Backends
    /// that expose no lower layer give the sentence vector as the judgement features.
    fn encode_features(&mut self, texts: &[&str]) -> Result<Vec<Features>, NluError> {
        Ok(self
            .encode(texts)?
            .into_iter()
            .map(Features::sentence_only)
            .collect())
    }

    /// The vector dimension (384 for all-MiniLM-L6-v2).
    fn dim(&self) -> usize;

    /// The width of `Features::judgement` (twice `dim` when a lower layer is exposed).
    fn judgement_dim(&self) -> usize {
        self.dim()
    }

    /// A short name for logs and reports, e.g. `onnx:all-MiniLM-L6-v2`.
    fn name(&self) -> &str;
}

/// Mean-pools token vectors `hidden` (`[seq_len * dim]`, row-major) over `mask` and
/// L2-normalises the result. Shared by every backend so they pool identically.
pub fn mean_pool_normalize(hidden: &[f32], mask: &[i64], dim: usize) -> Vec<f32> {
    let mut out = vec![0f32; dim];
    let mut count = 0f32;
    for (row, &m) in hidden.chunks_exact(dim).zip(mask) {
        if m != 0 {
            count += 1.0;
            for (o, h) in out.iter_mut().zip(row) {
                *o += h;
            }
        }
    }
    let count = count.max(1.0);
    out.iter_mut().for_each(|o| *o /= count);
    normalize(&mut out);
    out
}

/// Scales `v` to unit length in place (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Cosine similarity of two vectors (not assumed normalised).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_pooling_ignores_padding_and_normalises() {
        let hidden = [1.0, 0.0, 3.0, 0.0, 100.0, 100.0];
        let v = mean_pool_normalize(&hidden, &[1, 1, 0], 2);
        assert!((v[0] - 1.0).abs() < 1e-6 && v[1].abs() < 1e-6, "{v:?}");
    }

    #[test]
    fn cosine_of_orthogonal_vectors_is_zero_and_of_equal_is_one() {
        assert_eq!(cosine(&[1.0, 0.0], &[0.0, 2.0]), 0.0);
        assert!((cosine(&[1.0, 2.0], &[2.0, 4.0]) - 1.0).abs() < 1e-6);
    }
}
