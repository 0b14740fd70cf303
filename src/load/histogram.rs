//! Latency histograms: HDR histograms (the `hdrhistogram` crate) of microseconds, read in
//! milliseconds, and carried in JSON summaries as the V2 compressed encoding in base64, so that the
//! summaries of several processes merge exactly (`ecapi load --merge`).

use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

/// The largest value kept apart from the rest: one hour, in microseconds. Longer values count as
/// one hour (a request's time-out is far shorter).
pub const HIGHEST_US: u64 = 3_600_000_000;

/// Significant figures kept for the run's totals: 3, so a percentile is within 0.1 %.
pub const TOTAL_FIGURES: u8 = 3;

/// Significant figures kept for each second of the timeline: 2 (within 1 %), small enough to keep
/// one per second of a long run.
pub const SECOND_FIGURES: u8 = 2;

/// A histogram of durations in microseconds, from 1 µs to [`HIGHEST_US`].
#[derive(Debug, Clone)]
pub struct Latency(Histogram<u64>);

impl Latency {
    /// An empty histogram with this many significant figures (1 to 5). It grows with the largest
    /// value recorded, so a histogram of fast answers stays small.
    pub fn new(figures: u8) -> Latency {
        let mut h = Histogram::new(figures).expect("1 to 5 significant figures");
        h.auto(true);
        Latency(h)
    }

    /// Records one duration in microseconds; 0 counts as 1 µs, values past an hour as an hour.
    pub fn record_us(&mut self, us: u64) {
        let us = us.clamp(1, HIGHEST_US);
        // `record` grows the histogram to fit; `saturating_record` would clamp to its current top.
        if self.0.record(us).is_err() {
            self.0.saturating_record(us);
        }
    }

    /// Adds another histogram's counts.
    pub fn add(&mut self, other: &Latency) {
        // Both have the same bounds (or auto-resize), so adding cannot fail.
        let _ = self.0.add(&other.0);
    }

    /// How many values were recorded.
    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// The value at a percentile (0 to 100), in milliseconds; 0 when empty.
    pub fn percentile_ms(&self, percentile: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.value_at_percentile(percentile) as f64 / 1000.0
    }

    /// The largest value, in milliseconds; 0 when empty.
    pub fn max_ms(&self) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.max() as f64 / 1000.0
    }

    /// The smallest value, in milliseconds; 0 when empty.
    pub fn min_ms(&self) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.min() as f64 / 1000.0
    }

    /// The mean, in milliseconds; 0 when empty.
    pub fn mean_ms(&self) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.mean() / 1000.0
    }

    /// How many values exceed `us` microseconds.
    pub fn count_above_us(&self, us: u64) -> u64 {
        if self.0.is_empty() {
            return 0;
        }
        self.0.len() - self.0.count_between(0, us)
    }

    /// The V2 compressed encoding (HdrHistogram's interchange format), in base64.
    pub fn to_base64(&self) -> String {
        let mut bytes = Vec::new();
        V2DeflateSerializer::new()
            .serialize(&self.0, &mut bytes)
            .expect("a histogram encodes into memory");
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// Reads [`Latency::to_base64`]'s text back; the error says what is wrong with it.
    pub fn from_base64(text: &str) -> Result<Latency, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| format!("not base64: {e}"))?;
        let mut h: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| format!("not an HDR histogram: {e:?}"))?;
        h.auto(true);
        Ok(Latency(h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_read_in_milliseconds() {
        let mut h = Latency::new(TOTAL_FIGURES);
        for us in 1..=1000u64 {
            h.record_us(us * 1000);
        }
        assert_eq!(h.count(), 1000);
        assert!(
            (h.percentile_ms(50.0) - 500.0).abs() < 1.0,
            "{}",
            h.percentile_ms(50.0)
        );
        assert!((h.percentile_ms(99.0) - 990.0).abs() < 1.0);
        assert!((h.max_ms() - 1000.0).abs() < 1.0);
        assert_eq!(h.count_above_us(900_000), 100);
    }

    #[test]
    fn the_base64_encoding_round_trips_and_merges_exactly() {
        let mut a = Latency::new(TOTAL_FIGURES);
        let mut b = Latency::new(TOTAL_FIGURES);
        let mut both = Latency::new(TOTAL_FIGURES);
        for i in 0..500u64 {
            a.record_us(100 + i);
            b.record_us(5_000 + i * 7);
            both.record_us(100 + i);
            both.record_us(5_000 + i * 7);
        }
        let mut merged = Latency::from_base64(&a.to_base64()).unwrap();
        merged.add(&Latency::from_base64(&b.to_base64()).unwrap());
        for p in [50.0, 90.0, 95.0, 99.0, 100.0] {
            assert_eq!(merged.percentile_ms(p), both.percentile_ms(p), "p{p}");
        }
    }

    #[test]
    fn a_bad_encoding_says_what_is_wrong() {
        assert!(Latency::from_base64("%%%")
            .unwrap_err()
            .starts_with("not base64"));
        assert!(Latency::from_base64("aGVsbG8=")
            .unwrap_err()
            .starts_with("not an HDR histogram"));
    }
}
