//! Errors of the NLU engine: model files, tokenisation, inference, overload, training data.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum NluError {
    #[error("model file {path} is missing; run `make model` (`make model-accurate` for the accurate profile), or point --model-dir at a sentence-transformers ONNX directory")]
    ModelMissing { path: PathBuf },
    #[error("model file {path} is corrupt or was replaced: expected sha256 {expected}, found {actual}; run `make model` again")]
    ModelCorrupt {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid model directory {path}: {reason}")]
    ModelInvalid { path: PathBuf, reason: String },
    #[error("ONNX Runtime library {path} could not be loaded: {reason}; run `make model`")]
    RuntimeLibrary { path: PathBuf, reason: String },
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("inference: {0}")]
    Inference(String),
    #[error("the encoder queue is full; try again shortly")]
    Overloaded,
    #[error("the encoder thread has stopped")]
    EncoderStopped,
    #[error("training data: {0}")]
    Training(String),
    #[error("head file {path}: {reason}")]
    Head { path: PathBuf, reason: String },
}
