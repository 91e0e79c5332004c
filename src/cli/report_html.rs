//! The `--html` report of `hearken intents test`: figures, the confusion matrix and a
//! confidence histogram as inline SVG, rendered through an escaped askama template.

use askama::Template;

use crate::nlu::metrics::Report;

pub struct Cell {
    pub x: usize,
    pub y: usize,
    pub opacity: String,
    pub title: String,
}

pub struct Bar {
    pub x: usize,
    pub y: usize,
    pub height: usize,
    pub acc_y: usize,
    pub title: String,
}

#[derive(Template)]
#[template(path = "intent_report.html")]
struct Page<'a> {
    title: &'a str,
    r: &'a Report,
    cell: usize,
    size: usize,
    labels: Vec<(usize, &'a str)>,
    cells: Vec<Cell>,
    bars: Vec<Bar>,
    figures: Vec<(&'static str, String)>,
}

const CELL: usize = 14;
const HIST_H: usize = 160;

pub fn render(title: &str, r: &Report) -> anyhow::Result<String> {
    let n = r.labels.len();
    let mut cells = Vec::new();
    for (g, row) in r.matrix.iter().enumerate() {
        let total = row.iter().sum::<usize>().max(1);
        for (p, &count) in row.iter().enumerate() {
            if count > 0 {
                cells.push(Cell {
                    x: p * CELL,
                    y: g * CELL,
                    opacity: format!("{:.2}", 0.15 + 0.85 * count as f32 / total as f32),
                    title: format!("{} -> {}: {count}", r.labels[g], r.labels[p]),
                });
            }
        }
    }
    let max = r
        .confidence_bins
        .iter()
        .map(|b| b.0)
        .max()
        .unwrap_or(1)
        .max(1);
    let bars = r
        .confidence_bins
        .iter()
        .enumerate()
        .map(|(i, (count, acc))| {
            let height = count * HIST_H / max;
            Bar {
                x: i * 40,
                y: HIST_H - height,
                height,
                acc_y: HIST_H - (acc * HIST_H as f32) as usize,
                title: format!(
                    "confidence {:.1}-{:.1}: {count} messages, {:.0} % right",
                    i as f32 / 10.0,
                    (i + 1) as f32 / 10.0,
                    acc * 100.0
                ),
            }
        })
        .collect();
    let page = Page {
        title,
        r,
        cell: CELL,
        size: n * CELL,
        labels: r
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| (i * CELL, l.as_str()))
            .collect(),
        cells,
        bars,
        figures: figures(r),
    };
    Ok(page.render()?)
}

fn figures(r: &Report) -> Vec<(&'static str, String)> {
    let pct = |x: f32| format!("{:.1} %", x * 100.0);
    let mut f = vec![
        ("examples", r.examples.to_string()),
        ("accuracy", pct(r.accuracy)),
        ("macro F1", pct(r.macro_f1)),
        ("top-1 accuracy (before thresholds)", pct(r.top1_accuracy)),
    ];
    if let Some(o) = r.oos_recall {
        f.push(("out-of-scope recall", pct(o)));
    }
    f.push((
        "expected calibration error",
        format!("{:.3}", r.expected_calibration_error),
    ));
    f.push(("would escalate", pct(r.escalation_share)));
    f
}
