//! NLU: sentence encoders, the intent and sentiment heads, and their evaluation.
//! No HTTP, no SQL: callers hand texts in and get `Analysis` values out.

pub mod encoder;
pub mod error;
pub mod model_dir;
pub mod onnx;
pub mod service;

pub use encoder::Encoder;
pub use error::NluError;
