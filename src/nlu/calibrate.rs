//! Confidence calibration: temperature scaling fitted on held-out logits, and the expected
//! calibration error (ECE) that measures it.

use super::head::softmax_in_place;

/// The temperature minimising the negative log-likelihood of `labels` under `logits`
/// (golden-section search on log T; NLL is unimodal in T).
pub fn fit_temperature(logits: &[Vec<f32>], labels: &[usize]) -> f32 {
    if logits.is_empty() {
        return 1.0;
    }
    let nll = |log_t: f64| -> f64 {
        let t = log_t.exp() as f32;
        let mut total = 0f64;
        for (l, &y) in logits.iter().zip(labels) {
            let mut p: Vec<f32> = l.iter().map(|x| x / t).collect();
            softmax_in_place(&mut p);
            total -= f64::from(p[y].max(1e-12)).ln();
        }
        total
    };
    let (mut a, mut b) = ((0.02f64).ln(), (50f64).ln());
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..60 {
        let c = b - phi * (b - a);
        let d = a + phi * (b - a);
        if nll(c) < nll(d) {
            b = d;
        } else {
            a = c;
        }
    }
    ((a + b) / 2.0).exp() as f32
}

/// Expected calibration error over `bins` equal-width confidence bins: the weighted mean
/// gap between confidence and accuracy.
pub fn expected_calibration_error(confidences: &[f32], correct: &[bool], bins: usize) -> f32 {
    let n = confidences.len();
    if n == 0 {
        return 0.0;
    }
    let mut sum_conf = vec![0f64; bins];
    let mut sum_acc = vec![0f64; bins];
    let mut count = vec![0usize; bins];
    for (&c, &ok) in confidences.iter().zip(correct) {
        let b = ((c * bins as f32) as usize).min(bins - 1);
        sum_conf[b] += f64::from(c);
        sum_acc[b] += f64::from(u8::from(ok));
        count[b] += 1;
    }
    let ece: f64 = (0..bins)
        .filter(|&b| count[b] > 0)
        .map(|b| (sum_conf[b] - sum_acc[b]).abs() / n as f64)
        .sum();
    ece as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overconfident_logits_get_a_temperature_above_one() {
        // Always 10:0 logits but right only 70% of the time: must be cooled down.
        let logits: Vec<Vec<f32>> = (0..100).map(|_| vec![10.0, 0.0]).collect();
        let labels: Vec<usize> = (0..100).map(|i| usize::from(i % 10 >= 7)).collect();
        let t = fit_temperature(&logits, &labels);
        assert!(t > 5.0, "{t}");
    }

    #[test]
    fn perfectly_calibrated_confidences_have_zero_error_and_overconfident_do_not() {
        let conf = vec![0.75; 4];
        assert!(expected_calibration_error(&conf, &[true, true, true, false], 10) < 1e-6);
        assert!((expected_calibration_error(&[0.95; 2], &[false, true], 10) - 0.45).abs() < 1e-6);
    }
}
