//! The libtorch encoder backend (cargo feature `rust-bert`): all-MiniLM-L6-v2 from
//! `model.safetensors` run by rust-bert's `BertModel` on tch, tokenised by `tokenizer.json`.
//!
//! It is a second, independent implementation of the same model as the ONNX backend, used to
//! cross-check it and to compare speed. Output matches sentence-transformers: BERT hidden states,
//! mean pooling over the attention mask, L2 normalisation (`mean_pool_normalize`, shared with
//! the other backends), inputs truncated at `max_seq_length` (256) tokens.
//!
//! libtorch comes from the PyTorch 2.4.0 wheel in a venv made by `scripts/torch_venv.sh`; build
//! and test with `make rust-bert` / `make test-rust-bert`. Binaries link libtorch dynamically
//! and need `LD_LIBRARY_PATH` from `eval "$(scripts/torch_venv.sh)"`; without it the dynamic
//! loader stops them before `main` ("libtorch_cuda.so: cannot open shared object file"), so
//! that failure cannot surface as an `NluError`.

use std::path::Path;

use rust_bert::bert::{BertConfig, BertEmbeddings, BertModel};
use tch::{nn::VarStore, Device, Kind, Tensor};
use tokenizers::{Encoding, Tokenizer};

use super::encoder::{mean_pool_normalize, Encoder};
use super::model_dir::{load_tokenizer, max_seq_length, require_file, verify};
use super::NluError;

/// libtorch intra-op threads used by [`RustBertEncoder::load`].
pub const DEFAULT_THREADS: usize = 2;

/// Texts per forward pass unless [`RustBertEncoder::with_max_batch`] says otherwise.
pub const DEFAULT_MAX_BATCH: usize = 16;

/// Hint appended to errors that come from libtorch itself.
const LIBTORCH_HINT: &str =
    "libtorch is the PyTorch 2.4.0 wheel from `make rust-bert` (scripts/torch_venv.sh)";

/// all-MiniLM-L6-v2 (or another BERT sentence-transformers model) on libtorch, CPU, f32.
pub struct RustBertEncoder {
    model: BertModel<BertEmbeddings>,
    // The variables (weights) whose tensors `model` shares; kept with the model.
    _vars: VarStore,
    tokenizer: Tokenizer,
    dim: usize,
    max_batch: usize,
    name: String,
}

impl RustBertEncoder {
    /// Loads `config.json`, `tokenizer.json`, `model.safetensors` and (optionally)
    /// `sentence_bert_config.json` from `model_dir`, with [`DEFAULT_THREADS`] libtorch threads.
    pub fn load(model_dir: &Path) -> Result<Self, NluError> {
        Self::load_with_threads(model_dir, DEFAULT_THREADS)
    }

    /// As [`load`](Self::load), with `threads` libtorch intra-op threads (at least 1).
    /// The setting is process-wide: it is libtorch's global thread pool.
    pub fn load_with_threads(model_dir: &Path, threads: usize) -> Result<Self, NluError> {
        let config_path = require_file(model_dir, "config.json")?;
        let weights_path = require_file(model_dir, "model.safetensors")?;
        verify(model_dir, "model.safetensors")?;
        // Truncates at `max_seq_length` (256), padding off: we pad per batch, as the ONNX backend.
        let tokenizer = load_tokenizer(model_dir)?;

        let config: BertConfig = read_json(&config_path)?;
        let max_seq_len = max_seq_length(model_dir);
        let max_positions = usize::try_from(config.max_position_embeddings).unwrap_or(0);
        if max_seq_len > max_positions {
            return Err(invalid(
                &config_path,
                format!(
                    "max_seq_length {max_seq_len} exceeds max_position_embeddings {max_positions}"
                ),
            ));
        }
        let dim = usize::try_from(config.hidden_size)
            .ok()
            .filter(|&d| d > 0)
            .ok_or_else(|| invalid(&config_path, "hidden_size must be positive".into()))?;

        tch::set_num_threads(i32::try_from(threads.max(1)).unwrap_or(i32::MAX));
        let mut vars = VarStore::new(Device::Cpu);
        let model = BertModel::<BertEmbeddings>::new_with_optional_pooler(
            vars.root(),
            &config,
            false, // the pooler (CLS head) is not part of a sentence-transformers encoder
        );
        vars.load(&weights_path).map_err(|e| {
            invalid(
                &weights_path,
                format!("cannot load BERT weights: {e} ({LIBTORCH_HINT})"),
            )
        })?;
        vars.freeze();

        let model_name = model_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".to_owned());
        Ok(Self {
            model,
            _vars: vars,
            tokenizer,
            dim,
            max_batch: DEFAULT_MAX_BATCH,
            name: format!("rust-bert:{model_name}"),
        })
    }

    /// Texts per libtorch forward pass (at least 1). A longer `encode` call is sorted by
    /// length and split, so each pass pads to similar lengths.
    pub fn with_max_batch(mut self, max_batch: usize) -> Self {
        self.max_batch = max_batch.max(1);
        self
    }

    /// Runs BERT on `encodings` padded to the longest, then pools each row.
    fn forward(&self, encodings: &[&Encoding]) -> Result<Vec<Vec<f32>>, NluError> {
        let batch = encodings.len();
        // Pad with [PAD] = 0 under mask 0.
        let seq_len = encodings.iter().map(|e| e.len()).max().unwrap_or(0).max(1);
        let mut ids = vec![0i64; batch * seq_len];
        let mut mask = vec![0i64; batch * seq_len];
        for (row, encoding) in encodings.iter().enumerate() {
            let start = row * seq_len;
            for (col, (&id, &m)) in encoding
                .get_ids()
                .iter()
                .zip(encoding.get_attention_mask())
                .enumerate()
            {
                ids[start + col] = i64::from(id);
                mask[start + col] = i64::from(m);
            }
        }
        let shape = [batch as i64, seq_len as i64];
        let hidden = tch::no_grad(|| -> Result<Vec<f32>, NluError> {
            let libtorch = |e: tch::TchError| NluError::Inference(format!("libtorch: {e}"));
            let ids_t = Tensor::f_from_slice(&ids)
                .and_then(|t| t.f_view(shape))
                .map_err(libtorch)?;
            let mask_t = Tensor::f_from_slice(&mask)
                .and_then(|t| t.f_view(shape))
                .map_err(libtorch)?;
            let out = self
                .model
                .forward_t(
                    Some(&ids_t),
                    Some(&mask_t),
                    None,
                    None,
                    None,
                    None,
                    None,
                    false,
                )
                .map_err(|e| NluError::Inference(format!("rust-bert forward: {e}")))?;
            let flat = out
                .hidden_state
                .f_to_kind(Kind::Float)
                .and_then(|t| t.f_contiguous())
                .and_then(|t| t.f_view([-1]))
                .map_err(libtorch)?;
            Vec::<f32>::try_from(&flat).map_err(libtorch)
        })?;
        if hidden.len() != batch * seq_len * self.dim {
            return Err(NluError::Inference(format!(
                "hidden states have {} values, expected {batch} x {seq_len} x {}",
                hidden.len(),
                self.dim
            )));
        }
        Ok(hidden
            .chunks_exact(seq_len * self.dim)
            .zip(mask.chunks_exact(seq_len))
            .map(|(h, m)| mean_pool_normalize(h, m, self.dim))
            .collect())
    }
}

impl Encoder for RustBertEncoder {
    fn encode(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, NluError> {
        // One text at a time on this thread, not `encode_batch`: its rayon pool competes for
        // the cores with libtorch's OpenMP threads, and tokenising is ~1% of the time here.
        let encodings = texts
            .iter()
            .map(|&text| self.tokenizer.encode(text, true))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| NluError::Tokenizer(e.to_string()))?;
        // Sorted by length so each forward pass pads to similar lengths.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| encodings[i].len());
        let mut out = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(self.max_batch) {
            let batch: Vec<&Encoding> = chunk.iter().map(|&i| &encodings[i]).collect();
            for (&i, v) in chunk.iter().zip(self.forward(&batch)?) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn name(&self) -> &str {
        &self.name
    }
}

fn invalid(path: &Path, reason: String) -> NluError {
    NluError::ModelInvalid {
        path: path.to_path_buf(),
        reason,
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, NluError> {
    let text = std::fs::read_to_string(path).map_err(|source| NluError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| invalid(path, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn model_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/all-MiniLM-L6-v2")
    }

    #[test]
    fn missing_directory_is_model_missing() {
        match RustBertEncoder::load(Path::new("/nonexistent/model")) {
            Err(NluError::ModelMissing { path }) => assert!(path.ends_with("config.json")),
            Err(e) => panic!("unexpected error {e}"),
            Ok(_) => panic!("loaded a model from nowhere"),
        }
    }

    #[test]
    fn encodes_unit_vectors_and_truncates_long_inputs() {
        let dir = model_dir();
        if !dir.join("model.safetensors").is_file() {
            eprintln!("skipping: run `make model` first");
            return;
        }
        let mut encoder = RustBertEncoder::load(&dir).unwrap();
        assert_eq!(encoder.dim(), 384);
        let long = "refund ".repeat(2000);
        let out = encoder
            .encode(&["hello", "where is my card?", long.as_str()])
            .unwrap();
        assert_eq!(out.len(), 3);
        for v in &out {
            assert_eq!(v.len(), 384);
            let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
        }
        // Padding must not change a sentence's vector.
        let alone = encoder.encode(&["hello"]).unwrap();
        let cos = crate::nlu::encoder::cosine(&alone[0], &out[0]);
        assert!(cos > 0.9999, "cosine {cos}");
        assert!(encoder.encode(&[]).unwrap().is_empty());
    }
}
