//! The default encoder backend: a sentence-transformers ONNX graph run by ONNX Runtime
//! (loaded at run time from the library `make model` unpacks), tokenised with `tokenizers`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;
use ort::session::{builder::GraphOptimizationLevel, Session};
use ort::value::Tensor;
use tokenizers::Tokenizer;

use super::encoder::{mean_pool_normalize, normalize, Encoder, Features};
use super::model_dir::{load_tokenizer, require_file, verify};
use super::NluError;

/// The ONNX Runtime version `make model` fetches; the `ort` crate is built for its API.
pub const ORT_VERSION: &str = "1.31.1";

/// Where and how to load the ONNX backend.
#[derive(Debug, Clone)]
pub struct OnnxOptions {
    pub model_dir: PathBuf,
    /// The graph inside `model_dir` (`model.onnx`, or `model_fp32.onnx` for the float graph).
    pub model_file: String,
    /// `libonnxruntime.so`; defaults to `ORT_DYLIB_PATH`, then `models/onnxruntime/` next to
    /// the model directory.
    pub runtime_library: Option<PathBuf>,
    /// Threads ONNX Runtime uses inside one inference call.
    pub intra_threads: usize,
    /// Texts per inference call; larger inputs are split.
    pub max_batch: usize,
}

impl OnnxOptions {
    pub fn default_for(model_dir: &Path) -> Self {
        Self {
            model_dir: model_dir.to_owned(),
            model_file: "model.onnx".into(),
            runtime_library: None,
            intra_threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_batch: 16,
        }
    }

    fn library_path(&self) -> PathBuf {
        if let Some(p) = &self.runtime_library {
            return p.clone();
        }
        if let Some(p) = std::env::var_os("ORT_DYLIB_PATH") {
            return PathBuf::from(p);
        }
        let base = self.model_dir.parent().unwrap_or(Path::new("."));
        base.join("onnxruntime")
            .join(format!("libonnxruntime.so.{ORT_VERSION}"))
    }
}

/// ONNX Runtime is one library per process with one environment; we load it once.
/// This is the only process-global state in the crate, and it is forced on us by ORT.
static RUNTIME: OnceLock<Result<Environment, String>> = OnceLock::new();

fn init_runtime(path: &Path) -> Result<Environment, NluError> {
    let result = RUNTIME.get_or_init(|| {
        if !path.is_file() {
            return Err("file not found".to_string());
        }
        let builder = ort::init_from(path).map_err(|e| e.to_string())?;
        builder
            .with_name("hearken")
            .build()
            .map_err(|e| e.to_string())
    });
    result.clone().map_err(|reason| NluError::RuntimeLibrary {
        path: path.to_owned(),
        reason,
    })
}

pub struct OnnxEncoder {
    session: Session,
    tokenizer: Tokenizer,
    dim: usize,
    judgement_dim: usize,
    max_batch: usize,
    needs_token_type_ids: bool,
    /// The graph has the `judgement_hidden` output (a lower layer's token vectors).
    has_judgement_layer: bool,
    name: String,
}

/// The graph output `make model` adds for the judgement heads (see `Features`).
pub const JUDGEMENT_OUTPUT: &str = "judgement_hidden";

impl OnnxEncoder {
    pub fn load(opts: &OnnxOptions) -> Result<Self, NluError> {
        let model_path = require_file(&opts.model_dir, &opts.model_file)?;
        verify(&opts.model_dir, &opts.model_file)?;
        let tokenizer = load_tokenizer(&opts.model_dir)?;
        let environment = init_runtime(&opts.library_path())?;
        let inference = |e: ort::Error| NluError::Inference(e.to_string());
        let session = Session::builder(&environment)
            .map_err(inference)?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(|e| NluError::Inference(e.to_string()))?
            .with_intra_threads(opts.intra_threads.max(1))
            .map_err(|e| NluError::Inference(e.to_string()))?
            .commit_from_file(&model_path)
            .map_err(|e| NluError::ModelInvalid {
                path: model_path.clone(),
                reason: e.to_string(),
            })?;
        let needs_token_type_ids = session
            .inputs()
            .iter()
            .any(|i| i.name() == "token_type_ids");
        let has_judgement_layer = session
            .outputs()
            .iter()
            .any(|o| o.name() == JUDGEMENT_OUTPUT);
        let name = format!(
            "onnx:{}",
            opts.model_dir
                .file_name()
                .map_or_else(|| "model".into(), |n| n.to_string_lossy())
        );
        let mut encoder = Self {
            session,
            tokenizer,
            dim: 0,
            judgement_dim: 0,
            max_batch: opts.max_batch.max(1),
            needs_token_type_ids,
            has_judgement_layer,
            name,
        };
        // The output width is only known after one run; it also warms the session up.
        if let Some(f) = encoder.encode_features(&["warm up"])?.first() {
            encoder.dim = f.sentence.len();
            encoder.judgement_dim = f.judgement.len();
        }
        Ok(encoder)
    }

    fn run_batch(
        &mut self,
        ids: Vec<i64>,
        mask: Vec<i64>,
        rows: usize,
        width: usize,
    ) -> Result<Vec<Features>, NluError> {
        let err = |e: ort::Error| NluError::Inference(e.to_string());
        let shape = [rows as i64, width as i64];
        let mut inputs = vec![
            (
                "input_ids",
                Tensor::from_array((shape, ids)).map_err(err)?.into_dyn(),
            ),
            (
                "attention_mask",
                Tensor::from_array((shape, mask.clone()))
                    .map_err(err)?
                    .into_dyn(),
            ),
        ];
        if self.needs_token_type_ids {
            let zeros = vec![0i64; rows * width];
            inputs.push((
                "token_type_ids",
                Tensor::from_array((shape, zeros)).map_err(err)?.into_dyn(),
            ));
        }
        let outputs = self.session.run(inputs).map_err(err)?;
        let (out_shape, data) = outputs[0].try_extract_tensor::<f32>().map_err(err)?;
        let sentences: Vec<Vec<f32>> = match out_shape.len() {
            // Token vectors [rows, width, dim]: pool them.
            3 => pool_rows(data, &mask, width, out_shape[2] as usize),
            // Some exports pool inside the graph: [rows, dim].
            2 => data
                .chunks_exact(out_shape[1] as usize)
                .map(|v| {
                    let mut v = v.to_vec();
                    normalize(&mut v);
                    v
                })
                .collect(),
            n => return Err(NluError::Inference(format!("unexpected output rank {n}"))),
        };
        if !self.has_judgement_layer {
            return Ok(sentences.into_iter().map(Features::sentence_only).collect());
        }
        let (shape, data) = outputs[JUDGEMENT_OUTPUT]
            .try_extract_tensor::<f32>()
            .map_err(err)?;
        if shape.len() != 3 {
            return Err(NluError::Inference(format!(
                "{JUDGEMENT_OUTPUT} has rank {}, expected [batch, tokens, dim]",
                shape.len()
            )));
        }
        let lower = pool_rows(data, &mask, width, shape[2] as usize);
        Ok(sentences
            .into_iter()
            .zip(lower)
            .map(|(sentence, mut judgement)| {
                judgement.extend_from_slice(&sentence);
                Features {
                    sentence,
                    judgement,
                }
            })
            .collect())
    }
}

/// Mean-pools `[rows, width, dim]` token vectors row by row over `mask`.
fn pool_rows(data: &[f32], mask: &[i64], width: usize, dim: usize) -> Vec<Vec<f32>> {
    data.chunks_exact(width * dim)
        .zip(mask.chunks_exact(width))
        .map(|(hidden, m)| mean_pool_normalize(hidden, m, dim))
        .collect()
}

impl Encoder for OnnxEncoder {
    fn encode(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, NluError> {
        Ok(self
            .encode_features(texts)?
            .into_iter()
            .map(|f| f.sentence)
            .collect())
    }

    fn encode_features(&mut self, texts: &[&str]) -> Result<Vec<Features>, NluError> {
        // Serial tokenisation: a rayon pool here competes with ONNX Runtime's threads for the
        // same cores, and short messages tokenise in microseconds.
        let encodings = texts
            .iter()
            .map(|t| self.tokenizer.encode(*t, true))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| NluError::Tokenizer(e.to_string()))?;
        // Sort by length so each batch pads to similar lengths.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| encodings[i].get_ids().len());
        let mut out = vec![Features::sentence_only(Vec::new()); texts.len()];
        for chunk in order.chunks(self.max_batch) {
            let width = chunk
                .iter()
                .map(|&i| encodings[i].get_ids().len())
                .max()
                .unwrap_or(0)
                .max(1);
            let mut ids = vec![0i64; chunk.len() * width];
            let mut mask = vec![0i64; chunk.len() * width];
            for (row, &i) in chunk.iter().enumerate() {
                for (col, &id) in encodings[i].get_ids().iter().enumerate() {
                    ids[row * width + col] = i64::from(id);
                    mask[row * width + col] = 1;
                }
            }
            let vectors = self.run_batch(ids, mask, chunk.len(), width)?;
            for (&i, v) in chunk.iter().zip(vectors) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn judgement_dim(&self) -> usize {
        self.judgement_dim
    }

    fn name(&self) -> &str {
        &self.name
    }
}
