//! `hearken nlu evaluate` (public benchmarks) and `hearken nlu train-sentiment`.

use std::path::Path;

use anyhow::Context;

use super::common::{encode, progress, read_jsonl, start_encoder};
use super::intents::print_report;
use super::{EvaluateArgs, ModelArgs, Task};
use crate::intents::Thresholds;
use crate::nlu::classifier::TrainOptions;
use crate::nlu::evaluate::{cross_validate, score, train, Dataset, Scoring};
use crate::nlu::head::{HeadOptions, SoftmaxHead};
use crate::nlu::metrics::report;
use crate::nlu::sentiment::{SentimentFile, SentimentHead, LABELS};

const OOS: &str = "oos";

fn train_options(task: Task, epochs: Option<usize>, l2: Option<f32>) -> TrainOptions {
    let mut opts = TrainOptions::default();
    // Sentiment is scored by macro recall: weight the classes evenly.
    opts.head.balanced = task == Task::Sentiment;
    if task == Task::Sentiment {
        opts.head = HeadOptions {
            epochs: 20,
            batch: 64,
            ..opts.head
        };
    }
    if let Some(e) = epochs {
        opts.head.epochs = e;
    }
    if let Some(l) = l2 {
        opts.head.l2 = l;
    }
    opts
}

pub fn evaluate(args: &EvaluateArgs) -> anyhow::Result<i32> {
    let (train_texts, train_labels) = read_jsonl(&args.train)?;
    let encoder = start_encoder(&args.model)?;
    let train_vectors = encode(&encoder, &train_texts, "train")?;
    let has_oos = args.task == Task::Intent && train_labels.iter().any(|l| l == OOS);
    let scoring = Scoring {
        oos_label: has_oos.then(|| OOS.to_string()),
        thresholds: if args.task == Task::Intent {
            Thresholds {
                confidence: args.threshold,
                ..Thresholds::default()
            }
        } else {
            // Sentiment: the argmax is the answer; no abstaining.
            Thresholds {
                confidence: 0.0,
                ambiguity_margin: 0.0,
                out_of_scope: 0.0,
            }
        },
        per_intent: Default::default(),
    };
    let opts = train_options(args.task, args.epochs, args.l2);
    let train_data = Dataset {
        texts: &train_texts,
        labels: &train_labels,
        vectors: &train_vectors,
    };
    let started = std::time::Instant::now();
    let (scored, how) = match &args.test {
        Some(test_path) => {
            let (texts, labels) = read_jsonl(test_path)?;
            let has_test_oos = labels.iter().any(|l| l == OOS);
            let vectors = encode(&encoder, &texts, "test")?;
            let scoring = Scoring {
                oos_label: (has_oos || has_test_oos).then(|| OOS.to_string()),
                ..scoring
            };
            let clf = train(&train_data, &scoring, &opts);
            (
                score(
                    &clf,
                    &Dataset {
                        texts: &texts,
                        labels: &labels,
                        vectors: &vectors,
                    },
                    &scoring,
                ),
                format!(
                    "train {} -> test {}",
                    args.train.display(),
                    test_path.display()
                ),
            )
        }
        None => {
            let bar = progress(args.folds, "folds");
            let s = cross_validate(&train_data, args.folds, &scoring, &opts, |f| {
                bar.set_position(f as u64)
            });
            bar.finish_and_clear();
            (
                s,
                format!(
                    "{}-fold cross-validation of {}",
                    args.folds,
                    args.train.display()
                ),
            )
        }
    };
    let train_seconds = started.elapsed().as_secs_f64();
    let has_oos = scored.iter().any(|s| s.gold == OOS);
    let r = report(&scored, has_oos.then_some(OOS), 10);
    if args.json {
        let mut v = serde_json::to_value(&r)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("evaluation".into(), how.into());
            o.insert("encoder".into(), encoder.name().into());
            o.insert("train_seconds".into(), train_seconds.into());
            // The matrix is for --html; keep the JSON readable.
            o.remove("matrix");
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_report(&r, &how);
        println!("\n  training and scoring took {train_seconds:.1} s");
    }
    Ok(0)
}

pub fn train_sentiment(train_path: &Path, out: &Path, model: &ModelArgs) -> anyhow::Result<i32> {
    let (texts, labels) = read_jsonl(train_path)?;
    if let Some(bad) = labels.iter().find(|l| !LABELS.contains(&l.as_str())) {
        anyhow::bail!(
            "label '{bad}' in {}: sentiment labels are {}",
            train_path.display(),
            LABELS.join(", ")
        );
    }
    let encoder = start_encoder(model)?;
    let vectors = encode(&encoder, &texts, "encoding")?;
    let opts = train_options(Task::Sentiment, None, None);
    let clf = crate::nlu::classifier::IntentClassifier::train(&vectors, &labels, None, &opts);
    let head: SoftmaxHead = clf.head;
    SentimentHead::from_head(head.clone()).map_err(anyhow::Error::msg)?;
    let file = SentimentFile {
        encoder: encoder.name().to_string(),
        trained_on: format!("{} ({} examples)", train_path.display(), texts.len()),
        head,
    };
    std::fs::write(out, serde_json::to_string(&file)?)
        .with_context(|| format!("writing {}", out.display()))?;
    eprintln!(
        "wrote {} (temperature {:.3})",
        out.display(),
        file.head.temperature
    );
    Ok(0)
}

/// `hearken nlu normalize`: stdin lines to stdout, through `nlu::normalize` (for designers who
/// want to see what the model reads, and for training scripts that must read the same).
pub fn normalize_stdin() -> anyhow::Result<i32> {
    use std::io::{BufRead, Write};
    use crate::nlu::normalize::normalize;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (i, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line.with_context(|| format!("stdin line {}: not UTF-8 text", i + 1))?;
        if line.trim_start().starts_with('{') {
            let mut v: serde_json::Value = serde_json::from_str(&line)
                .with_context(|| format!("stdin line {}: not a JSON object", i + 1))?;
            if let Some(t) = v.get("text").and_then(|t| t.as_str()) {
                let n = normalize(t).into_owned();
                v["text"] = n.into();
            }
            writeln!(out, "{v}")?;
        } else {
            writeln!(out, "{}", normalize(&line))?;
        }
    }
    out.flush()?;
    Ok(0)
}
