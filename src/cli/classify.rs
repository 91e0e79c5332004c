//! `hearken classify`: one JSON line of analysis per message, from arguments or stdin.

use std::io::{BufRead, Write};

use super::common::{judgement, start_encoder};
use super::ClassifyArgs;
use crate::intents;
use crate::nlu::classifier::TrainOptions;
use crate::nlu::Nlu;

/// Lines read from stdin per batch: big enough to keep the encoder busy.
const STDIN_BATCH: usize = 256;

pub fn run(args: &ClassifyArgs) -> anyhow::Result<i32> {
    let bot = intents::load_valid(&args.intents)?;
    let encoder = start_encoder(&args.model)?;
    let judgement = judgement(&args.model, encoder.judgement_dim())?;
    let nlu = Nlu::train(encoder, &bot, judgement, &TrainOptions::default(), |_| {})?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if !args.texts.is_empty() {
        for a in nlu.analyze_batch(&args.texts)? {
            writeln!(out, "{}", serde_json::to_string(&a)?)?;
        }
        return Ok(0);
    }
    let stdin = std::io::stdin();
    let mut reader = stdin.lock();
    let mut batch = Vec::with_capacity(STDIN_BATCH);
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    let mut failed = 0;
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf)?;
        if n > 0 {
            line_no += 1;
            while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                buf.pop();
            }
            match String::from_utf8(buf.clone()) {
                Ok(s) => batch.push(s),
                Err(_) => {
                    // Flush what came before so the output stays in input order.
                    flush(&nlu, &mut batch, &mut out)?;
                    writeln!(
                        out,
                        "{}",
                        serde_json::json!({"line": line_no, "error": "invalid UTF-8; this line was skipped"})
                    )?;
                    failed += 1;
                }
            }
        }
        if batch.len() >= STDIN_BATCH || (n == 0 && !batch.is_empty()) {
            flush(&nlu, &mut batch, &mut out)?;
        }
        if n == 0 {
            break;
        }
    }
    out.flush()?;
    Ok(i32::from(failed > 0))
}

fn flush(nlu: &Nlu, batch: &mut Vec<String>, out: &mut impl Write) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    for a in nlu.analyze_batch(batch)? {
        writeln!(out, "{}", serde_json::to_string(&a)?)?;
    }
    batch.clear();
    Ok(())
}
