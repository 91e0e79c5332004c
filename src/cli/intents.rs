//! `hearken intents validate` and `hearken intents test` (the cross-validation itself is
//! `review::measure`, shared with the review loop's before/after figures).

use std::path::Path;

use anyhow::Context;

use super::common::{progress, start_encoder};
use super::report_html;
use super::ModelArgs;
use crate::intents::{self, validate, Severity};
use crate::nlu::metrics::Report;
use crate::review::measure::cross_validate_bot;

/// Exit code: 1 on errors (or warnings with --strict), else 0.
pub fn validate(
    dir: &Path,
    strict: bool,
    no_model: bool,
    json: bool,
    model: &ModelArgs,
) -> anyhow::Result<i32> {
    let (bot, mut diags) = intents::load(dir)?;
    let has_errors = diags.iter().any(|d| d.severity == Severity::Error);
    // The similarity check needs the model and sane data; skip it when the files are broken.
    if !no_model && !has_errors {
        let encoder = start_encoder(model)?;
        let mut vectors = Vec::new();
        for intent in &bot.intents {
            let texts: Vec<String> = intent.examples.iter().map(|e| e.text.clone()).collect();
            vectors.push(encoder.encode(&texts)?);
        }
        validate::check_similarity(&bot, &vectors, &mut diags);
        diags.sort_by(|a, b| a.location.cmp(&b.location));
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags.len() - errors;
    let files = intents::load::files(dir)?.len();
    let examples: usize = bot.intents.iter().map(|i| i.examples.len()).sum();
    if json {
        let out = serde_json::json!({
            "errors": errors, "warnings": warnings, "files": files,
            "intents": bot.intents.len(), "examples": examples, "diagnostics": diags,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for d in &diags {
            println!("{d}");
        }
        println!("{}", intents::summary(&diags, files, &bot));
    }
    Ok(i32::from(errors > 0 || (strict && warnings > 0)))
}

pub fn test(
    dir: &Path,
    folds: usize,
    json: bool,
    html: Option<&Path>,
    model: &ModelArgs,
) -> anyhow::Result<i32> {
    anyhow::ensure!(folds >= 2, "--folds must be at least 2");
    let bot = intents::load_valid(dir)?;
    let encoder = start_encoder(model)?;
    let examples: usize = bot.intents.iter().map(|i| i.examples.len()).sum();
    let encoding = progress(examples, "encoding");
    let bar = progress(folds, "folds");
    let r = cross_validate_bot(
        &bot,
        &encoder,
        folds,
        |n| encoding.set_position(n as u64),
        |f| bar.set_position(f as u64),
    )?;
    encoding.finish_and_clear();
    bar.finish_and_clear();
    if let Some(path) = html {
        let title = format!(
            "Intent test of {} ({folds}-fold cross-validation)",
            dir.display()
        );
        std::fs::write(path, report_html::render(&title, &r)?)
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print_report(
            &r,
            &format!("{folds}-fold cross-validation of {}", dir.display()),
        );
    }
    Ok(0)
}

/// The human table, like `rasa test nlu`.
pub fn print_report(r: &Report, title: &str) {
    println!("{title}: {} examples\n", r.examples);
    println!("  accuracy            {:6.1} %", r.accuracy * 100.0);
    println!("  macro F1            {:6.1} %", r.macro_f1 * 100.0);
    println!("  macro recall        {:6.1} %", r.macro_recall * 100.0);
    println!(
        "  top-1 accuracy      {:6.1} %   (the head alone, before thresholds)",
        r.top1_accuracy * 100.0
    );
    if let Some(a) = r.in_scope_accuracy {
        println!("  in-scope accuracy   {:6.1} %", a * 100.0);
    }
    if let Some(o) = r.oos_recall {
        println!("  out-of-scope recall {:6.1} %", o * 100.0);
    }
    println!("  calibration (ECE)   {:6.3}", r.expected_calibration_error);
    println!(
        "  would escalate      {:6.1} %   (low confidence, ambiguous or out of scope)\n",
        r.escalation_share * 100.0
    );
    let width = r
        .per_class
        .iter()
        .map(|c| c.label.len())
        .max()
        .unwrap_or(6)
        .max(6);
    println!("  {:width$}  precision  recall     f1  support", "intent");
    for c in &r.per_class {
        println!(
            "  {:width$}  {:9.3}  {:6.3}  {:5.3}  {:7}",
            c.label, c.precision, c.recall, c.f1, c.support
        );
    }
    if !r.confusions.is_empty() {
        println!("\n  most confused (gold -> predicted):");
        for c in &r.confusions {
            println!("  {:4} x {} -> {}", c.count, c.gold, c.predicted);
            for e in &c.examples {
                println!("         \"{e}\"");
            }
        }
    }
}
