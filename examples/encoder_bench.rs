//! Encoder throughput and latency on a fixed sentence file, one JSON line per run:
//! `{"backend":..,"batch":..,"threads":..,"sentences":..,"sentences_per_s":..,"p50_ms":..,"p99_ms":..}`.
//!
//!   cargo run --release --example encoder_bench -- --backend onnx --batch 8
//!   make rust-bert && eval "$(scripts/torch_venv.sh)" && \
//!     CARGO_TARGET_DIR=target/rust-bert cargo run --release --features rust-bert \
//!     --example encoder_bench -- --backend rust-bert --batch 8
//!
//! Sentences are encoded in consecutive batches of `--batch`, in file order, `--rounds` times
//! after one warm-up pass; latencies are per `encode` call.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use hearken::nlu::onnx::{OnnxEncoder, OnnxOptions};
use hearken::nlu::Encoder;

#[derive(Parser)]
struct Args {
    /// `onnx`, or `rust-bert` (needs `--features rust-bert`).
    #[arg(long, default_value = "onnx")]
    backend: String,
    /// Texts per `encode` call.
    #[arg(long, default_value_t = 8)]
    batch: usize,
    /// Threads inside one inference (ONNX intra-op / libtorch intra-op).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// One sentence per line.
    #[arg(long, default_value = "tests/fixtures/bench_sentences.txt")]
    sentences: PathBuf,
    #[arg(long, default_value = "models/all-MiniLM-L6-v2")]
    model_dir: PathBuf,
    /// ONNX graph inside the model directory (default: whatever `OnnxOptions` picks).
    #[arg(long)]
    onnx_model_file: Option<String>,
    /// Texts per forward pass inside one call (the backend sorts a call by length and splits
    /// it); default: the backend's own default (ONNX 32, rust-bert 16).
    #[arg(long)]
    max_batch: Option<usize>,
    /// Timed passes over the sentence file.
    #[arg(long, default_value_t = 1)]
    rounds: usize,
}

fn load(args: &Args) -> anyhow::Result<Box<dyn Encoder>> {
    match args.backend.as_str() {
        "onnx" => {
            let mut opts = OnnxOptions::default_for(&args.model_dir);
            opts.intra_threads = args.threads;
            if let Some(n) = args.max_batch {
                opts.max_batch = n.max(1);
            }
            if let Some(file) = &args.onnx_model_file {
                opts.model_file = file.clone();
            }
            Ok(Box::new(OnnxEncoder::load(&opts)?))
        }
        #[cfg(feature = "rust-bert")]
        "rust-bert" => {
            use hearken::nlu::rust_bert::{RustBertEncoder, DEFAULT_MAX_BATCH};
            let encoder = RustBertEncoder::load_with_threads(&args.model_dir, args.threads)?
                .with_max_batch(args.max_batch.unwrap_or(DEFAULT_MAX_BATCH));
            Ok(Box::new(encoder))
        }
        #[cfg(not(feature = "rust-bert"))]
        "rust-bert" => anyhow::bail!("built without the `rust-bert` feature; see `make rust-bert`"),
        other => anyhow::bail!("unknown backend {other:?} (onnx | rust-bert)"),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let text = std::fs::read_to_string(&args.sentences)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.sentences.display()))?;
    let sentences: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    anyhow::ensure!(
        !sentences.is_empty(),
        "{} has no sentences",
        args.sentences.display()
    );
    let batch = args.batch.max(1);

    let mut encoder = load(&args)?;
    for chunk in sentences.chunks(batch) {
        encoder.encode_features(chunk)?; // warm-up pass: allocator, thread pools, kernels
    }

    let mut latencies_ms = Vec::new();
    let start = Instant::now();
    for _ in 0..args.rounds.max(1) {
        for chunk in sentences.chunks(batch) {
            let t = Instant::now();
            // Both outputs, as analysing a message needs (sentence vector and judgement features).
            let out = encoder.encode_features(chunk)?;
            latencies_ms.push(t.elapsed().as_secs_f64() * 1e3);
            anyhow::ensure!(
                out.len() == chunk.len(),
                "encoder returned {} vectors",
                out.len()
            );
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies_ms.sort_by(f64::total_cmp);
    let encoded = sentences.len() * args.rounds.max(1);
    let report = serde_json::json!({
        "backend": args.backend,
        "encoder": encoder.name(),
        "batch": batch,
        "threads": args.threads,
        "max_batch": args.max_batch,
        "rayon_num_threads": std::env::var("RAYON_NUM_THREADS").ok(),
        "sentences": encoded,
        "sentences_per_s": (encoded as f64 / elapsed * 10.0).round() / 10.0,
        "p50_ms": (percentile(&latencies_ms, 50.0) * 100.0).round() / 100.0,
        "p99_ms": (percentile(&latencies_ms, 99.0) * 100.0).round() / 100.0,
    });
    println!("{report}");
    Ok(())
}
