//! A softmax (multinomial logistic regression) head on sentence vectors: training with
//! mini-batch Adam and L2, prediction, and a JSON file form for shipped heads.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy)]
pub struct HeadOptions {
    pub epochs: usize,
    pub batch: usize,
    pub learning_rate: f32,
    /// L2 penalty on the weights (not the biases).
    pub l2: f32,
    /// Weight each class by n / (k * count): fair to rare classes (macro metrics).
    pub balanced: bool,
    pub seed: u64,
}

impl Default for HeadOptions {
    fn default() -> Self {
        Self {
            epochs: 60,
            batch: 32,
            learning_rate: 0.01,
            l2: 1e-5,
            balanced: false,
            seed: 7,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SoftmaxHead {
    pub classes: Vec<String>,
    pub dim: usize,
    /// Row-major `[classes x dim]`.
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
    /// Logits are divided by this before the softmax (fitted on held-out folds).
    pub temperature: f32,
}

impl SoftmaxHead {
    /// Trains on vectors `x` with class indices `y` into `classes`.
    pub fn train(classes: Vec<String>, x: &[Vec<f32>], y: &[usize], opts: &HeadOptions) -> Self {
        let k = classes.len();
        let dim = x.first().map_or(0, Vec::len);
        let mut head = Self {
            classes,
            dim,
            weights: vec![0.0; k * dim],
            bias: vec![0.0; k],
            temperature: 1.0,
        };
        if x.is_empty() || k == 0 {
            return head;
        }
        let class_weight = class_weights(y, k, opts.balanced);
        let mut adam_w = Adam::new(k * dim);
        let mut adam_b = Adam::new(k);
        let mut order: Vec<usize> = (0..x.len()).collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(opts.seed);
        let mut grad_w = vec![0f32; k * dim];
        let mut grad_b = vec![0f32; k];
        let mut probs = vec![0f32; k];
        for _ in 0..opts.epochs {
            order.shuffle(&mut rng);
            for batch in order.chunks(opts.batch.max(1)) {
                grad_w.iter_mut().for_each(|g| *g = 0.0);
                grad_b.iter_mut().for_each(|g| *g = 0.0);
                for &i in batch {
                    head.logits_into(&x[i], &mut probs);
                    softmax_in_place(&mut probs);
                    let cw = class_weight[y[i]];
                    for (c, p) in probs.iter().enumerate() {
                        let err = cw * (p - f32::from(u8::from(c == y[i])));
                        if err == 0.0 {
                            continue;
                        }
                        grad_b[c] += err;
                        for (g, xi) in grad_w[c * dim..(c + 1) * dim].iter_mut().zip(&x[i]) {
                            *g += err * xi;
                        }
                    }
                }
                let scale = 1.0 / batch.len() as f32;
                for (g, w) in grad_w.iter_mut().zip(&head.weights) {
                    *g = *g * scale + opts.l2 * w;
                }
                grad_b.iter_mut().for_each(|g| *g *= scale);
                adam_w.step(&mut head.weights, &grad_w, opts.learning_rate);
                adam_b.step(&mut head.bias, &grad_b, opts.learning_rate);
            }
        }
        head
    }

    /// Raw logits (before temperature).
    pub fn logits_into(&self, v: &[f32], out: &mut [f32]) {
        for (c, o) in out.iter_mut().enumerate() {
            *o = dot(&self.weights[c * self.dim..(c + 1) * self.dim], v) + self.bias[c];
        }
    }

    pub fn logits(&self, v: &[f32]) -> Vec<f32> {
        let mut out = vec![0.0; self.classes.len()];
        self.logits_into(v, &mut out);
        out
    }

    /// Calibrated probabilities.
    pub fn probabilities(&self, v: &[f32]) -> Vec<f32> {
        let mut p = self.logits(v);
        p.iter_mut().for_each(|l| *l /= self.temperature);
        softmax_in_place(&mut p);
        p
    }
}

/// A shipped head's file: the head plus where it came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeadFile {
    /// The encoder the head was trained on; vectors of another encoder are meaningless to it.
    pub encoder: String,
    pub trained_on: String,
    pub head: SoftmaxHead,
}

impl HeadFile {
    /// Reads a head file and checks it fits `dim`-wide vectors.
    pub fn load(path: &std::path::Path, dim: usize) -> Result<Self, super::NluError> {
        let bad = |reason: String| super::NluError::Head {
            path: path.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|source| super::NluError::Io {
            path: path.to_owned(),
            source,
        })?;
        let file: HeadFile = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let head = &file.head;
        if head.dim != dim
            || head.weights.len() != head.dim * head.classes.len()
            || head.bias.len() != head.classes.len()
        {
            return Err(bad(format!(
                "trained for {}-wide vectors, the encoder gives {dim} (a head belongs to the model it was \
                 trained on: run `make model` for the model it expects, or retrain it with \
                 `hearken nlu train-sentiment` / `train-complaint`)",
                head.dim
            )));
        }
        Ok(file)
    }
}

fn class_weights(y: &[usize], k: usize, balanced: bool) -> Vec<f32> {
    if !balanced {
        return vec![1.0; k];
    }
    let mut counts = vec![0usize; k];
    y.iter().for_each(|&c| counts[c] += 1);
    counts
        .iter()
        .map(|&n| {
            if n == 0 {
                0.0
            } else {
                y.len() as f32 / (k as f32 * n as f32)
            }
        })
        .collect()
}

/// Dot product written so the compiler vectorises it (8 independent accumulators).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

pub fn softmax_in_place(v: &mut [f32]) {
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    if sum > 0.0 {
        v.iter_mut().for_each(|x| *x /= sum);
    }
}

struct Adam {
    m: Vec<f32>,
    v: Vec<f32>,
    t: i32,
}

impl Adam {
    fn new(n: usize) -> Self {
        Self {
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        }
    }

    fn step(&mut self, params: &mut [f32], grad: &[f32], lr: f32) {
        const B1: f32 = 0.9;
        const B2: f32 = 0.999;
        self.t += 1;
        let c1 = 1.0 - B1.powi(self.t);
        let c2 = 1.0 - B2.powi(self.t);
        for (((p, g), m), v) in params
            .iter_mut()
            .zip(grad)
            .zip(&mut self.m)
            .zip(&mut self.v)
        {
            *m = B1 * *m + (1.0 - B1) * g;
            *v = B2 * *v + (1.0 - B2) * g * g;
            *p -= lr * (*m / c1) / ((*v / c2).sqrt() + 1e-8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_separable_problem_is_learned() {
        let x: Vec<Vec<f32>> = (0..40)
            .map(|i| {
                if i % 2 == 0 {
                    vec![1.0, 0.1 * (i % 5) as f32]
                } else {
                    vec![-1.0, 0.1 * (i % 3) as f32]
                }
            })
            .collect();
        let y: Vec<usize> = (0..40).map(|i| i % 2).collect();
        let opts = HeadOptions {
            epochs: 300,
            ..HeadOptions::default()
        };
        let head = SoftmaxHead::train(vec!["a".into(), "b".into()], &x, &y, &opts);
        assert!(head.probabilities(&[1.0, 0.2])[0] > 0.9);
        assert!(head.probabilities(&[-1.0, 0.2])[1] > 0.9);
    }

    #[test]
    fn dot_matches_the_naive_sum_for_odd_lengths() {
        let a: Vec<f32> = (0..19).map(|i| i as f32).collect();
        let b: Vec<f32> = (0..19).map(|i| (i * 2) as f32).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert_eq!(dot(&a, &b), naive);
    }
}
