//! The reports chart: conversations per day stacked by outcome, as inline SVG drawn on the
//! server (no chart library, no script). Colours come from console.css classes.

use std::fmt::Write;

use super::Day;

const WIDTH: f64 = 1100.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 10.0;

/// One outcome series: (css class, legend label, its value on a day).
pub type Series = (&'static str, &'static str, fn(&Day) -> usize);

/// The outcome series, bottom to top.
pub const SERIES: &[Series] = &[
    ("auto", "auto-answered", |d| d.outcomes.auto_answered),
    ("liked", "liked", |d| d.outcomes.liked),
    ("ticketed", "ticketed", |d| d.outcomes.ticketed),
    ("unanswered", "unanswered", |d| d.outcomes.unanswered),
    ("escalated", "escalated", |d| d.outcomes.escalated),
];

/// A "nice" axis maximum at or above `n`: 1, 2, 5 times a power of ten.
fn nice_max(n: usize) -> usize {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= n.max(1) {
                return m * step;
            }
        }
        step *= 10;
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVG markup; every text in it is escaped here.
pub fn svg(days: &[Day]) -> String {
    let max = nice_max(days.iter().map(|d| d.outcomes.total).max().unwrap_or(0));
    let plot_w = WIDTH - LEFT - 8.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / days.len().max(1) as f64;
    let bar = (slot * 0.7).clamp(1.0, 48.0);
    let y = |v: f64| TOP + plot_h - v / max as f64 * plot_h;
    let total: usize = days.iter().map(|d| d.outcomes.total).sum();
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-label=\"Conversations per day by outcome, {} days, {total} conversations\">",
        days.len()
    );
    // Whole-number gridlines: every 1 up to 5, else quarters or fifths of the (round) maximum.
    let ticks = if max <= 5 {
        max
    } else if max.is_multiple_of(4) {
        4
    } else {
        5
    };
    for i in 0..=ticks {
        let v = (max * i / ticks) as f64;
        let (gy, label) = (y(v), v.to_string());
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{gy:.1}\" y2=\"{gy:.1}\"/>\
             <text class=\"axis\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>",
            WIDTH - 8.0,
            LEFT - 6.0,
            gy + 4.0
        );
    }
    // Label at most about twelve days so that dates never overlap.
    let every = days.len().div_ceil(12).max(1);
    for (i, d) in days.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let mut base = 0usize;
        let parts: Vec<String> = SERIES
            .iter()
            .map(|(_, label, f)| format!("{} {label}", f(d)))
            .collect();
        let _ = write!(
            out,
            "<g><title>{}: {} conversations ({})</title>",
            escape(&d.date),
            d.outcomes.total,
            escape(&parts.join(", "))
        );
        for (class, _, f) in SERIES {
            let v = f(d);
            if v == 0 {
                continue;
            }
            let (top, bottom) = (y((base + v) as f64), y(base as f64));
            let _ = write!(
                out,
                "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{top:.1}\" width=\"{bar:.1}\" height=\"{:.1}\"/>",
                bottom - top
            );
            base += v;
        }
        out.push_str("</g>");
        if i % every == 0 {
            let label = d.date.get(5..).unwrap_or(&d.date);
            let _ = write!(
                out,
                "<text class=\"axis\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x + bar / 2.0,
                HEIGHT - 10.0,
                escape(label)
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::Outcomes;

    fn day(date: &str, auto_answered: usize, escalated: usize) -> Day {
        Day {
            date: date.into(),
            outcomes: Outcomes {
                total: auto_answered + escalated,
                auto_answered,
                escalated,
                ..Outcomes::default()
            },
            ..Day::default()
        }
    }

    #[test]
    fn the_axis_ends_on_a_round_number() {
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(3), 5);
        assert_eq!(nice_max(17), 20);
        assert_eq!(nice_max(51), 100);
    }

    #[test]
    fn gridlines_fall_on_whole_numbers() {
        let axis = |n| {
            let svg = svg(&[day("2026-12-01", n, 0)]);
            svg.split("text-anchor=\"end\">")
                .skip(1)
                .map(|t| t.split('<').next().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(axis(3), ["0", "1", "2", "3", "4", "5"]);
        assert_eq!(axis(7), ["0", "2", "4", "6", "8", "10"]);
        assert_eq!(axis(17), ["0", "5", "10", "15", "20"]);
    }

    #[test]
    fn bars_stack_each_outcome_and_have_a_readable_title() {
        let svg = svg(&[day("2026-11-30", 3, 1), day("2026-12-01", 0, 0)]);
        assert_eq!(svg.matches("<rect class=\"auto\"").count(), 1);
        assert_eq!(svg.matches("<rect class=\"escalated\"").count(), 1);
        assert!(svg.contains("<title>2026-11-30: 4 conversations (3 auto-answered, 0 liked"));
        assert!(svg.contains(">11-30</text>"));
        assert!(svg
            .contains("aria-label=\"Conversations per day by outcome, 2 days, 4 conversations\""));
    }

    #[test]
    fn a_full_bar_reaches_the_top_of_the_axis() {
        // 5 conversations on an axis of 5: the top of the stack is the top of the plot.
        let svg = svg(&[day("2026-12-01", 2, 3)]);
        assert!(svg.contains(&format!("y=\"{TOP:.1}\"")), "{svg}");
    }
}
