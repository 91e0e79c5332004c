//! What several subcommands share: starting the encoder, reading JSONL data, progress bars.

use std::io::BufRead;
use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::ModelArgs;
use crate::nlu::onnx::{OnnxEncoder, OnnxOptions};
use crate::nlu::service::{EncoderService, ServiceOptions};
use crate::nlu::Judgement;

pub fn start_encoder(args: &ModelArgs) -> anyhow::Result<EncoderService> {
    let mut opts = OnnxOptions::default_for(&args.model_dir());
    opts.model_file = args.model_file.clone();
    if let Some(t) = args.threads {
        opts.intra_threads = t;
    }
    let encoder = OnnxEncoder::load(&opts).context("loading the encoder")?;
    Ok(EncoderService::start(
        vec![Box::new(encoder)],
        &ServiceOptions::default(),
    )?)
}

/// The shipped sentiment and complaint heads (each None, with a warning, when absent).
pub fn judgement(args: &ModelArgs, dim: usize) -> anyhow::Result<Judgement> {
    Ok(Judgement::load(
        &args.sentiment_head(),
        &args.complaint_head(),
        dim,
    )?)
}

#[derive(serde::Deserialize)]
struct Row {
    text: String,
    label: String,
}

/// `{"text": ..., "label": ...}` lines; a bad line is an error naming its number.
pub fn read_jsonl(path: &Path) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let (mut texts, mut labels) = (Vec::new(), Vec::new());
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("{}:{}: not UTF-8 text", path.display(), i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let row: Row = serde_json::from_str(&line).with_context(|| {
            format!(
                "{}:{}: expected {{\"text\": ..., \"label\": ...}}",
                path.display(),
                i + 1
            )
        })?;
        texts.push(row.text);
        labels.push(row.label);
    }
    anyhow::ensure!(!texts.is_empty(), "{} has no examples", path.display());
    Ok((texts, labels))
}

/// A progress bar on stderr (drawn only on a terminal).
pub fn progress(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} ({per_sec}, {eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

/// Encodes with a progress bar.
pub fn encode(
    encoder: &EncoderService,
    texts: &[String],
    what: &str,
) -> anyhow::Result<Vec<Vec<f32>>> {
    let bar = progress(texts.len(), what);
    let v = encoder.encode_all(texts, |n| bar.set_position(n as u64))?;
    bar.finish_and_clear();
    Ok(v)
}

/// Judgement features (what the sentiment and complaint heads read), with a progress bar.
pub fn encode_judgement(
    encoder: &EncoderService,
    texts: &[String],
    what: &str,
) -> anyhow::Result<Vec<Vec<f32>>> {
    let bar = progress(texts.len(), what);
    let mut out = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(256) {
        out.extend(
            encoder
                .encode_features(chunk)?
                .into_iter()
                .map(|f| f.judgement),
        );
        bar.set_position(out.len() as u64);
    }
    bar.finish_and_clear();
    Ok(out)
}
