//! NLU: sentence encoders, text normalisation, the intent, sentiment and complaint heads, and their evaluation.
//! No HTTP, no SQL: callers hand texts in and get `Analysis` values out.

pub mod analyze;
pub mod calibrate;
pub mod classifier;
pub mod complaint;
pub mod encoder;
pub mod error;
pub mod evaluate;
pub mod head;
pub mod metrics;
pub mod model_dir;
pub mod normalize;
pub mod onnx;
#[cfg(feature = "rust-bert")]
pub mod rust_bert;
pub mod sentiment;
pub mod service;

pub use analyze::{Analysis, Judgement, Nlu};
pub use encoder::Encoder;
pub use error::NluError;
