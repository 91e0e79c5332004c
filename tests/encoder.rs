//! The default ONNX encoder on the real model fetched by `make model`.

use std::path::{Path, PathBuf};

use hearken::nlu::encoder::cosine;
use hearken::nlu::onnx::{OnnxEncoder, OnnxOptions};
use hearken::nlu::{Encoder, NluError};

fn model_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/all-MiniLM-L6-v2")
}

fn encoder() -> OnnxEncoder {
    OnnxEncoder::load(&OnnxOptions::default_for(&model_dir()))
        .unwrap_or_else(|e| panic!("the real model must load (run `make model`): {e}"))
}

#[test]
fn vectors_are_unit_length_and_384_wide() {
    let mut enc = encoder();
    assert_eq!(enc.dim(), 384);
    let v = enc.encode(&["where is my order?", "hello"]).unwrap();
    for x in &v {
        let norm: f32 = x.iter().map(|a| a * a).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
    }
}

#[test]
fn paraphrases_are_closer_than_unrelated_messages() {
    let mut enc = encoder();
    let v = enc
        .encode(&[
            "where is my parcel, it still hasn't arrived",
            "my package has not been delivered yet",
            "what will the weather be tomorrow",
        ])
        .unwrap();
    assert!(cosine(&v[0], &v[1]) > cosine(&v[0], &v[2]) + 0.2);
}

/// The float graph gives the same vector whatever the batch; the int8 graph quantizes
/// activations with one scale per batch tensor, so batch-mates move a vector slightly.
#[test]
fn batching_and_sorting_by_length_barely_change_the_vectors() {
    let texts = [
        "a much longer message about a refund that never reached my card after three weeks",
        "hi",
        "order status?",
    ];
    for (file, min) in [("model_fp32.onnx", 0.9999), ("model.onnx", 0.97)] {
        let mut opts = OnnxOptions::default_for(&model_dir());
        opts.model_file = file.into();
        let mut enc = OnnxEncoder::load(&opts).unwrap();
        let batch = enc.encode(&texts).unwrap();
        for (t, b) in texts.iter().zip(&batch) {
            let single = enc.encode(&[t]).unwrap();
            let c = cosine(&single[0], b);
            assert!(c > min, "{file}: {t}: {c}");
        }
    }
}

#[test]
fn hard_inputs_give_a_vector_not_a_panic() {
    let mut enc = encoder();
    let long = "refund ".repeat(100_000 / 7);
    let texts = [
        "",
        "🙂🙂🙂",
        "Привет, где мой заказ? 我的订单在哪里",
        long.as_str(),
        " \n\t ",
    ];
    let v = enc.encode(&texts).unwrap();
    assert_eq!(v.len(), texts.len());
    assert!(v
        .iter()
        .all(|x| x.len() == 384 && x.iter().all(|a| a.is_finite())));
}

#[test]
fn a_missing_model_directory_says_to_run_make_model() {
    let err = OnnxEncoder::load(&OnnxOptions::default_for(Path::new("/nonexistent/model")))
        .err()
        .expect("loading from a missing directory must fail");
    assert!(matches!(err, NluError::ModelMissing { .. }), "{err}");
    assert!(err.to_string().contains("make model"));
}

#[test]
fn a_model_file_that_does_not_match_its_manifest_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["model.onnx", "tokenizer.json", "sentence_bert_config.json"] {
        std::os::unix::fs::symlink(model_dir().join(f), dir.path().join(f)).unwrap();
    }
    let wrong = "0".repeat(64);
    std::fs::write(
        dir.path().join("hearken-manifest.json"),
        format!(r#"{{"sha256":{{"model.onnx":"{wrong}"}}}}"#),
    )
    .unwrap();
    let err = OnnxEncoder::load(&OnnxOptions::default_for(dir.path()))
        .err()
        .expect("a corrupt model must be refused");
    let msg = err.to_string();
    assert!(matches!(err, NluError::ModelCorrupt { .. }), "{msg}");
    assert!(msg.contains(&wrong), "expected hash shown: {msg}");
}

#[derive(serde::Deserialize)]
struct Reference {
    sentences: Vec<String>,
    vectors: Vec<Vec<f32>>,
}

/// The conversion check: our prepared graph against sentence-transformers' float vectors
/// (tests/fixtures/reference_embeddings.json, see SOURCES.md). The int8 graph keeps a mean
/// cosine >= 0.99; content-free inputs ("hi", emoji-only) may drop to ~0.97.
#[test]
fn prepared_graphs_match_the_sentence_transformers_float_reference() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference_embeddings.json"),
    )
    .unwrap();
    let reference: Reference = serde_json::from_str(&text).unwrap();
    let texts: Vec<&str> = reference.sentences.iter().map(String::as_str).collect();
    for (file, min_mean, min_each) in [
        ("model_fp32.onnx", 0.9999, 0.9995),
        ("model.onnx", 0.99, 0.97),
    ] {
        let mut opts = OnnxOptions::default_for(&model_dir());
        opts.model_file = file.into();
        let mut enc = OnnxEncoder::load(&opts).unwrap();
        // One at a time, as the reference was computed (no batch-mates).
        let cos: Vec<f32> = texts
            .iter()
            .zip(&reference.vectors)
            .map(|(t, r)| cosine(&enc.encode(&[t]).unwrap()[0], r))
            .collect();
        let mean = cos.iter().sum::<f32>() / cos.len() as f32;
        let min = cos.iter().copied().fold(1.0, f32::min);
        assert!(
            mean >= min_mean && min >= min_each,
            "{file}: mean {mean}, min {min}: {cos:?}"
        );
    }
}
