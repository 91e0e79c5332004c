#![cfg(feature = "rust-bert")]
//! Cross-checks the libtorch backend (`rust-bert` feature) against the ONNX backend and, when
//! `tests/fixtures/reference_embeddings.json` exists, against sentence-transformers' float
//! vectors. Run with `make test-rust-bert` (it sets up libtorch and `LD_LIBRARY_PATH`).

use std::path::{Path, PathBuf};

use hearken::nlu::encoder::cosine;
use hearken::nlu::onnx::{OnnxEncoder, OnnxOptions};
use hearken::nlu::rust_bert::RustBertEncoder;
use hearken::nlu::{Encoder, NluError};

/// Every sentence must be at least this close to the other implementation of the same model.
const MIN_COSINE: f32 = 0.99;

/// Customer-care messages of all shapes: short, long, typos, emoji, non-English, one long
/// enough to be truncated at 256 tokens.
fn sentences() -> Vec<String> {
    let mut s: Vec<String> = [
        "hi",
        "Where is my card? It was supposed to arrive last week.",
        "I was charged twice for the same purchase, please refund one of them",
        "how do i change my PIN",
        "My top-up failed but the money left my account!!",
        "cancel my subscription NOW",
        "Thanks, that solved it 🙏",
        "can u send me a new card i lost mine yesterday at the airport",
        "Why is the exchange rate on my statement different from the one in the app?",
        "¿Puedo pagar con mi tarjeta en el extranjero?",
        "Die Überweisung ist seit drei Tagen nicht angekommen.",
        "what's the fee for atm withdrawals abroad",
        "I'd like to speak to a human, please.",
        "",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    s.push("My transfer is still pending and nobody answers. ".repeat(40));
    s
}

fn model_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/all-MiniLM-L6-v2")
}

fn rust_bert() -> RustBertEncoder {
    RustBertEncoder::load(&model_dir()).unwrap_or_else(|e| panic!("rust-bert backend: {e}"))
}

fn onnx(model_file: &str) -> Result<OnnxEncoder, NluError> {
    let mut opts = OnnxOptions::default_for(&model_dir());
    opts.model_file = model_file.to_owned();
    OnnxEncoder::load(&opts)
}

/// Encodes `texts` with both encoders, batch by batch of 8 (so padding is exercised), and
/// asserts every pair of vectors is at least `min` apart in cosine; returns the cosines.
fn compare(a: &mut dyn Encoder, b: &mut dyn Encoder, texts: &[String], min: f32) -> Vec<f32> {
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut cosines = Vec::new();
    for chunk in refs.chunks(8) {
        let va = a
            .encode(chunk)
            .unwrap_or_else(|e| panic!("{}: {e}", a.name()));
        let vb = b
            .encode(chunk)
            .unwrap_or_else(|e| panic!("{}: {e}", b.name()));
        assert_eq!(va.len(), chunk.len());
        assert_eq!(vb.len(), chunk.len());
        for ((text, x), y) in chunk.iter().zip(&va).zip(&vb) {
            assert_eq!(x.len(), 384);
            let c = cosine(x, y);
            assert!(
                c >= min,
                "{} vs {}: cosine {c} < {min} for {text:?}",
                a.name(),
                b.name()
            );
            cosines.push(c);
        }
    }
    report(&format!("{} vs {}", a.name(), b.name()), &cosines);
    cosines
}

fn report(what: &str, cosines: &[f32]) {
    let min = cosines.iter().copied().fold(f32::INFINITY, f32::min);
    let mean = cosines.iter().sum::<f32>() / cosines.len().max(1) as f32;
    eprintln!(
        "{what}: {} sentences, min cosine {min:.6} (1 - min = {:.1e}), mean {mean:.6}",
        cosines.len(),
        1.0 - min
    );
}

#[test]
fn rust_bert_matches_the_float_onnx_graph() {
    let mut torch = rust_bert();
    let mut onnx = onnx("model_fp32.onnx").unwrap_or_else(|e| panic!("onnx backend: {e}"));
    compare(&mut torch, &mut onnx, &sentences(), MIN_COSINE);
}

/// The default ONNX graph (`OnnxOptions::default_for`: the dynamically quantised int8
/// `model.onnx` that `make model` picks). Quantisation, not either backend, limits agreement
/// here: `make model` itself measures the int8 graph at min cosine ~0.977, mean ~0.991 against
/// float (models/all-MiniLM-L6-v2/prepare-report.json), so `MIN_COSINE` per sentence cannot hold.
/// The floors below are those of the quantised graph; exactness is checked against the float
/// graph above.
const INT8_MIN_COSINE: f32 = 0.96;
const INT8_MEAN_COSINE: f32 = 0.98;

#[test]
fn rust_bert_is_close_to_the_default_int8_onnx_graph() {
    let mut torch = rust_bert();
    let mut onnx = OnnxEncoder::load(&OnnxOptions::default_for(&model_dir()))
        .unwrap_or_else(|e| panic!("onnx backend: {e}"));
    let cosines = compare(&mut torch, &mut onnx, &sentences(), INT8_MIN_COSINE);
    let mean = cosines.iter().sum::<f32>() / cosines.len() as f32;
    assert!(
        mean >= INT8_MEAN_COSINE,
        "mean cosine {mean} < {INT8_MEAN_COSINE}"
    );
}

#[test]
fn rust_bert_matches_the_sentence_transformers_reference_vectors() {
    #[derive(serde::Deserialize)]
    struct Reference {
        sentences: Vec<String>,
        vectors: Vec<Vec<f32>>,
    }
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference_embeddings.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipping: {} not present", path.display());
        return;
    };
    let reference: Reference = serde_json::from_str(&text).expect("reference_embeddings.json");
    assert_eq!(reference.sentences.len(), reference.vectors.len());
    let mut torch = rust_bert();
    let mut cosines = Vec::new();
    for (texts, expected) in reference
        .sentences
        .chunks(8)
        .zip(reference.vectors.chunks(8))
    {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let got = torch.encode(&refs).expect("rust-bert encode");
        for ((text, g), e) in texts.iter().zip(&got).zip(expected) {
            let c = cosine(g, e);
            assert!(
                c >= MIN_COSINE,
                "cosine {c} < {MIN_COSINE} vs reference for {text:?}"
            );
            cosines.push(c);
        }
    }
    report("rust-bert vs sentence-transformers reference", &cosines);
}

/// A call is sorted by length and split into forward passes of `max_batch`; neither the split
/// nor the padding may change a vector, and results come back in input order.
#[test]
fn batching_does_not_change_vectors() {
    let mut torch = rust_bert();
    let mut split = rust_bert().with_max_batch(3);
    let texts = sentences();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let batched = torch.encode(&refs).expect("batch");
    let split_up = split.encode(&refs).expect("split batch");
    assert_eq!(batched.len(), refs.len());
    for ((text, b), s) in refs.iter().zip(&batched).zip(&split_up) {
        let alone = torch.encode(&[text]).expect("single");
        for (what, v) in [("batch", b), ("split batch", s)] {
            let c = cosine(&alone[0], v);
            assert!(c > 0.9999, "{what} vs single cosine {c} for {text:?}");
        }
    }
}
