//! Medians, percentiles and the Markdown table of the report.

use std::time::Duration;

/// Samples of one operation by one runner.
#[derive(Debug, Clone, Default)]
pub struct Samples(pub Vec<Duration>);

impl Samples {
    /// The `q`-quantile (0..=1) by nearest rank; zero when empty.
    pub fn quantile(&self, q: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        let mut v = self.0.clone();
        v.sort_unstable();
        let rank = (q * v.len() as f64).ceil() as usize;
        v[rank.clamp(1, v.len()) - 1]
    }

    /// The median.
    pub fn median(&self) -> Duration {
        self.quantile(0.5)
    }

    /// The 99th percentile.
    pub fn p99(&self) -> Duration {
        self.quantile(0.99)
    }
}

/// A duration in the unit that reads best: µs below 10 ms, ms above.
pub fn human(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 10_000.0 { format!("{us:.1} µs") } else { format!("{:.2} ms", us / 1000.0) }
}

/// `a / b` as "1.23x" (or "–" when `b` is zero).
pub fn ratio(a: Duration, b: Duration) -> String {
    if b.is_zero() {
        "–".to_owned()
    } else {
        format!("{:.2}x", a.as_secs_f64() / b.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_nearest_rank() {
        let s = Samples((1..=100).map(Duration::from_micros).collect());
        assert_eq!(s.median(), Duration::from_micros(50));
        assert_eq!(s.p99(), Duration::from_micros(99));
        assert_eq!(Samples::default().median(), Duration::ZERO);
    }

    #[test]
    fn formatting() {
        assert_eq!(human(Duration::from_micros(12)), "12.0 µs");
        assert_eq!(human(Duration::from_millis(12)), "12.00 ms");
        assert_eq!(ratio(Duration::from_micros(3), Duration::from_micros(2)), "1.50x");
    }
}
