//! A sentence-transformers model directory on disk: which files it needs, their integrity
//! (the sha256 manifest written by `make model`), and the tokenizer it ships.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokenizers::{Tokenizer, TruncationParams};

use super::NluError;

/// Written by `make model` next to the files it prepared.
pub const MANIFEST: &str = "hearken-manifest.json";
/// sentence-transformers' own default when `sentence_bert_config.json` is absent.
const DEFAULT_MAX_SEQ_LEN: usize = 256;

#[derive(Deserialize)]
struct Manifest {
    sha256: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct SentenceBertConfig {
    max_seq_length: Option<usize>,
}

/// Returns `dir/name` if it exists, else the "run `make model`" error.
pub fn require_file(dir: &Path, name: &str) -> Result<PathBuf, NluError> {
    let path = dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(NluError::ModelMissing { path })
    }
}

/// Hex sha256 of a file.
pub fn sha256_file(path: &Path) -> Result<String, NluError> {
    let bytes = std::fs::read(path).map_err(|source| NluError::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(hex(&Sha256::digest(&bytes)))
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Checks `file` against the directory's manifest, when it has one and lists the file.
/// Directories without a manifest (a user's own model) are trusted as they are.
pub fn verify(dir: &Path, file: &str) -> Result<(), NluError> {
    let manifest_path = dir.join(MANIFEST);
    let Ok(text) = std::fs::read_to_string(&manifest_path) else {
        return Ok(());
    };
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| NluError::ModelInvalid {
        path: manifest_path.clone(),
        reason: e.to_string(),
    })?;
    let Some(expected) = manifest.sha256.get(file) else {
        return Ok(());
    };
    let path = require_file(dir, file)?;
    let actual = sha256_file(&path)?;
    if &actual != expected {
        return Err(NluError::ModelCorrupt {
            path,
            expected: expected.clone(),
            actual,
        });
    }
    Ok(())
}

/// Loads `tokenizer.json` with padding off (we pad per batch: the shipped file pads every
/// input to 128 tokens, which wastes most of the compute on short messages) and truncation
/// at the model's `max_seq_length`.
pub fn load_tokenizer(dir: &Path) -> Result<Tokenizer, NluError> {
    verify(dir, "tokenizer.json")?;
    let path = require_file(dir, "tokenizer.json")?;
    let mut tokenizer = Tokenizer::from_file(&path)
        .map_err(|e| NluError::Tokenizer(format!("{}: {e}", path.display())))?;
    tokenizer.with_padding(None);
    let max_length = max_seq_length(dir);
    tokenizer
        .with_truncation(Some(TruncationParams {
            max_length,
            ..TruncationParams::default()
        }))
        .map_err(|e| NluError::Tokenizer(e.to_string()))?;
    Ok(tokenizer)
}

/// The model's `max_seq_length` from `sentence_bert_config.json`, 256 when absent.
pub fn max_seq_length(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("sentence_bert_config.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<SentenceBertConfig>(&t).ok())
        .and_then(|c| c.max_seq_length)
        .unwrap_or(DEFAULT_MAX_SEQ_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_whose_hash_differs_from_the_manifest_is_refused_with_both_hashes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("model.onnx"), b"not a model").unwrap();
        std::fs::write(
            dir.path().join(MANIFEST),
            r#"{"sha256":{"model.onnx":"00ff"}}"#,
        )
        .unwrap();
        let err = verify(dir.path(), "model.onnx").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("expected sha256 00ff"), "{msg}");
        assert!(
            msg.contains(&sha256_file(&dir.path().join("model.onnx")).unwrap()),
            "{msg}"
        );
    }

    #[test]
    fn a_missing_model_file_says_to_run_make_model() {
        let dir = tempfile::tempdir().unwrap();
        let err = require_file(dir.path(), "model.onnx").unwrap_err();
        assert!(err.to_string().contains("make model"), "{err}");
    }
}
