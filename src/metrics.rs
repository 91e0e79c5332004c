//! Prometheus metrics: this process's counters and the NLU latency histogram, and the text
//! exposition format `/metrics` serves (gauges read from the store are added by the handler).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the NLU latency buckets: a batch of messages through the model.
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A counter family with one label, e.g. messages by channel.
#[derive(Default)]
struct Counter(Mutex<BTreeMap<String, u64>>);

impl Counter {
    fn add(&self, label: &str, n: u64) {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // The pipeline counts every message: allocate a label only the first time it is seen.
        match m.get_mut(label) {
            Some(v) => *v += n,
            None => {
                m.insert(label.to_string(), n);
            }
        }
    }

    fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[derive(Default, Clone)]
struct HistogramData {
    /// Cumulative counts are computed when rendering; these are per bucket (+Inf last).
    buckets: Vec<u64>,
    sum: f64,
    count: u64,
}

struct Histogram(Mutex<HistogramData>);

impl Default for Histogram {
    fn default() -> Self {
        Self(Mutex::new(HistogramData {
            buckets: vec![0; LATENCY_BUCKETS.len() + 1],
            ..HistogramData::default()
        }))
    }
}

impl Histogram {
    fn observe(&self, secs: f64) {
        let i = LATENCY_BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(LATENCY_BUCKETS.len());
        let mut h = self.0.lock().unwrap_or_else(|p| p.into_inner());
        h.buckets[i] += 1;
        h.sum += secs;
        h.count += 1;
    }
}

/// What this process counted since it started. Every `hearken serve` process keeps its own;
/// Prometheus sums them across processes (`sum without (instance)`).
#[derive(Default)]
pub struct Metrics {
    messages_in: Counter,
    decisions: Counter,
    outbox_sent: Counter,
    outbox_retries: Counter,
    outbox_dead: Counter,
    nlu_messages: Counter,
    nlu_latency: Histogram,
}

impl Metrics {
    /// A customer message went through the pipeline (stored, analysed, decided on).
    pub fn message_in(&self, channel: &str) {
        self.messages_in.add(channel, 1);
    }

    /// The policy decided `kind` (reply, like, escalate, ...).
    pub fn decision(&self, kind: &str) {
        self.decisions.add(kind, 1);
    }

    pub fn outbox_sent(&self, channel: &str) {
        self.outbox_sent.add(channel, 1);
    }

    /// A send failed and is scheduled again.
    pub fn outbox_retry(&self, channel: &str) {
        self.outbox_retries.add(channel, 1);
    }

    /// A send failed for good (dead-lettered, surfaced to an agent).
    pub fn outbox_dead(&self, channel: &str) {
        self.outbox_dead.add(channel, 1);
    }

    /// One batch of `messages` through the model took `took`.
    pub fn nlu_batch(&self, messages: usize, took: Duration) {
        self.nlu_messages.add("", messages as u64);
        self.nlu_latency.observe(took.as_secs_f64());
    }

    /// The counters and histogram in the Prometheus text format (version 0.0.4).
    pub fn render(&self, out: &mut String) {
        family(
            out,
            "hearken_messages_in_total",
            "Customer messages taken in by the pipeline, by channel.",
            "counter",
            "channel",
            &self.messages_in.snapshot(),
        );
        family(
            out,
            "hearken_decisions_total",
            "Decisions the policy made, by kind.",
            "counter",
            "kind",
            &self.decisions.snapshot(),
        );
        family(
            out,
            "hearken_outbox_sent_total",
            "Platform actions sent, by channel.",
            "counter",
            "channel",
            &self.outbox_sent.snapshot(),
        );
        family(
            out,
            "hearken_outbox_retries_total",
            "Failed sends scheduled for another attempt, by channel.",
            "counter",
            "channel",
            &self.outbox_retries.snapshot(),
        );
        family(
            out,
            "hearken_outbox_dead_letters_total",
            "Sends given up on after their retries (shown to agents), by channel.",
            "counter",
            "channel",
            &self.outbox_dead.snapshot(),
        );
        let analysed = self.nlu_messages.snapshot().values().sum::<u64>();
        header(
            out,
            "hearken_nlu_messages_total",
            "Messages analysed by the model.",
            "counter",
        );
        let _ = writeln!(out, "hearken_nlu_messages_total {analysed}");
        let h = self
            .nlu_latency
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        header(
            out,
            "hearken_nlu_latency_seconds",
            "Time to analyse one batch of messages (intent, sentiment and complaint).",
            "histogram",
        );
        let mut cumulative = 0;
        for (i, n) in h.buckets.iter().enumerate() {
            cumulative += n;
            let le = LATENCY_BUCKETS
                .get(i)
                .map_or("+Inf".to_string(), |b| b.to_string());
            let _ = writeln!(
                out,
                "hearken_nlu_latency_seconds_bucket{{le=\"{le}\"}} {cumulative}"
            );
        }
        let _ = writeln!(out, "hearken_nlu_latency_seconds_sum {}", h.sum);
        let _ = writeln!(out, "hearken_nlu_latency_seconds_count {}", h.count);
    }
}

/// `# HELP` and `# TYPE` lines of one metric family.
pub fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A whole family whose samples differ by one label.
pub fn family(
    out: &mut String,
    name: &str,
    help: &str,
    kind: &str,
    label: &str,
    values: &BTreeMap<String, u64>,
) {
    header(out, name, help, kind);
    for (value, n) in values {
        let _ = writeln!(out, "{name}{{{label}=\"{}\"}} {n}", escape(value));
    }
}

/// A label value as the exposition format wants it: backslash, quote and newline escaped.
pub fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_rendered_by_label_with_help_and_type() {
        let m = Metrics::default();
        m.message_in("x");
        m.message_in("x");
        m.message_in("slack");
        m.decision("reply");
        let mut out = String::new();
        m.render(&mut out);
        assert!(out.contains("# TYPE hearken_messages_in_total counter"));
        assert!(out.contains("hearken_messages_in_total{channel=\"x\"} 2\n"));
        assert!(out.contains("hearken_messages_in_total{channel=\"slack\"} 1\n"));
        assert!(out.contains("hearken_decisions_total{kind=\"reply\"} 1\n"));
    }

    #[test]
    fn the_latency_histogram_is_cumulative_and_ends_with_inf() {
        let m = Metrics::default();
        m.nlu_batch(4, Duration::from_millis(3));
        m.nlu_batch(1, Duration::from_millis(30));
        m.nlu_batch(1, Duration::from_secs(60));
        let mut out = String::new();
        m.render(&mut out);
        assert!(out.contains("hearken_nlu_latency_seconds_bucket{le=\"0.005\"} 1\n"));
        assert!(out.contains("hearken_nlu_latency_seconds_bucket{le=\"0.025\"} 1\n"));
        assert!(out.contains("hearken_nlu_latency_seconds_bucket{le=\"0.05\"} 2\n"));
        assert!(out.contains("hearken_nlu_latency_seconds_bucket{le=\"10\"} 2\n"));
        assert!(out.contains("hearken_nlu_latency_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(out.contains("hearken_nlu_latency_seconds_count 3\n"));
        assert!(out.contains("hearken_nlu_messages_total 6\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
