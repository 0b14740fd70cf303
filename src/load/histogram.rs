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

/// Significant figures kept for each second's histogram of one operation: 1 (within about 6 %),
/// enough to draw an operation's percentiles over time and against load, and small enough (about
/// 1.5 KB a second against 10 KB at 2 figures) to keep one per operation for every second of a
/// long run. What is compared and judged (`--baseline`, thresholds) reads the totals, at 3.
pub const OPERATION_SECOND_FIGURES: u8 = 1;

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

    /// Every distinct recorded value with its count, smallest first: `(µs, count)`, each value the
    /// highest equivalent of its bucket (so two histograms of the same precision name a bucket by
    /// the same value, and their distributions can be compared step by step).
    pub fn recorded(&self) -> Vec<(u64, u64)> {
        self.0
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect()
    }

    /// The value at `rank` (1 = the smallest, [`Latency::count`] = the largest), in µs; 0 when
    /// empty. Ranks past the ends read as the ends.
    pub fn value_at_rank_us(&self, rank: u64) -> u64 {
        let rank = rank.clamp(1, self.count().max(1));
        let mut seen = 0;
        for (value, n) in self.recorded() {
            seen += n;
            if seen >= rank {
                return value;
            }
        }
        0
    }

    /// The V2 compressed encoding (HdrHistogram's interchange format), in base64.
    pub fn to_base64(&self) -> String {
        let mut bytes = Vec::new();
        V2DeflateSerializer::new()
            .serialize(&self.0, &mut bytes)
            .expect("a histogram encodes into memory");
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// Reads [`Latency::to_base64`]'s text back, as a histogram of `figures` significant figures;
    /// the error says what is wrong with it. The encoding is checked before anything is allocated
    /// from what it claims (its sizes, figures and range), so a hand-edited one cannot make the
    /// reader allocate more than its own few kilobytes warrant.
    pub fn from_base64(text: &str, figures: u8) -> Result<Latency, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| format!("not base64: {e}"))?;
        let plain = v2_payload(&bytes, figures)?;
        let mut h: Histogram<u64> = Deserializer::new()
            .deserialize(&mut plain.as_slice())
            .map_err(|e| format!("not an HDR histogram: {e:?}"))?;
        h.auto(true);
        Ok(Latency(h))
    }
}

/// HdrHistogram's V2 cookies (plain and compressed) and header size.
const V2_COOKIE: u32 = 0x1c84_9313;
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9314;
const V2_HEADER: usize = 40;

/// The most a histogram's uncompressed encoding may take: every count of a 3-figure histogram up to
/// [`HIGHEST_US`] (some 24,000) at the longest varint, with room to spare.
const MAX_PLAIN_BYTES: usize = 1 << 20;

fn be32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(bytes[at..at + 4].try_into().expect("four bytes"))
}

fn be64(bytes: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(bytes[at..at + 8].try_into().expect("eight bytes"))
}

/// The uncompressed V2 encoding in `bytes` (inflated, at most [`MAX_PLAIN_BYTES`]), its header
/// checked: the payload length it claims is the payload it has, `figures` significant figures,
/// values from 1 µs to at most twice [`HIGHEST_US`].
fn v2_payload(bytes: &[u8], figures: u8) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    if bytes.len() < 8 {
        return Err("not an HDR histogram: too short".to_string());
    }
    let plain = match be32(bytes, 0) {
        V2_COOKIE => bytes.to_vec(),
        V2_COMPRESSED_COOKIE => {
            let claimed = be32(bytes, 4) as usize;
            if claimed != bytes.len() - 8 {
                return Err(format!(
                    "not an HDR histogram: it claims {claimed} compressed bytes and has {}",
                    bytes.len() - 8
                ));
            }
            let mut plain = Vec::new();
            flate2::read::ZlibDecoder::new(&bytes[8..])
                .take(MAX_PLAIN_BYTES as u64 + 1)
                .read_to_end(&mut plain)
                .map_err(|e| format!("not an HDR histogram: {e}"))?;
            if plain.len() > MAX_PLAIN_BYTES {
                return Err(format!(
                    "not an HDR histogram: it inflates past {MAX_PLAIN_BYTES} bytes"
                ));
            }
            plain
        }
        _ => return Err("not an HDR histogram: no V2 cookie".to_string()),
    };
    if plain.len() < V2_HEADER || be32(&plain, 0) != V2_COOKIE {
        return Err("not an HDR histogram: no V2 header".to_string());
    }
    let payload = be32(&plain, 4) as usize;
    if payload != plain.len() - V2_HEADER {
        return Err(format!(
            "not an HDR histogram: it claims {payload} bytes of counts and has {}",
            plain.len() - V2_HEADER
        ));
    }
    let (digits, low, high) = (be32(&plain, 12), be64(&plain, 16), be64(&plain, 24));
    if digits != u32::from(figures) {
        return Err(format!(
            "{digits} significant figures where a summary has {figures}"
        ));
    }
    if low != 1 || !(2..=2 * HIGHEST_US).contains(&high) {
        return Err(format!(
            "values from {low} to {high} µs where a summary's run from 1 to at most {} µs",
            2 * HIGHEST_US
        ));
    }
    Ok(plain)
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
        let mut merged = Latency::from_base64(&a.to_base64(), TOTAL_FIGURES).unwrap();
        merged.add(&Latency::from_base64(&b.to_base64(), TOTAL_FIGURES).unwrap());
        for p in [50.0, 90.0, 95.0, 99.0, 100.0] {
            assert_eq!(merged.percentile_ms(p), both.percentile_ms(p), "p{p}");
        }
    }

    #[test]
    fn a_bad_encoding_says_what_is_wrong() {
        assert!(Latency::from_base64("%%%", 3)
            .unwrap_err()
            .starts_with("not base64"));
        assert!(Latency::from_base64("aGVsbG8=", 3)
            .unwrap_err()
            .starts_with("not an HDR histogram"));
    }

    /// The plain V2 encoding of a histogram, to edit by hand.
    fn plain(h: &Latency) -> Vec<u8> {
        let b = base64::engine::general_purpose::STANDARD
            .decode(h.to_base64())
            .unwrap();
        v2_payload(&b, 3).unwrap()
    }

    fn encode(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn a_hand_edited_header_is_refused_before_it_allocates() {
        let mut h = Latency::new(TOTAL_FIGURES);
        h.record_us(1500);
        let good = plain(&h);
        // The plain encoding reads back too.
        assert_eq!(
            Latency::from_base64(&encode(&good), 3).unwrap().max_ms(),
            h.max_ms()
        );
        // A payload length of 4 GB: hdrhistogram would zero that much before reading.
        let mut huge = good.clone();
        huge[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(Latency::from_base64(&encode(&huge), 3)
            .unwrap_err()
            .contains("claims 4294967295 bytes of counts"));
        // Five significant figures up to u64's top: a counts array of megabytes per histogram.
        let mut wide = good.clone();
        wide[12..16].copy_from_slice(&5_u32.to_be_bytes());
        assert_eq!(
            Latency::from_base64(&encode(&wide), 3).unwrap_err(),
            "5 significant figures where a summary has 3"
        );
        let mut high = good;
        high[24..32].copy_from_slice(&(u64::MAX / 2).to_be_bytes());
        assert!(Latency::from_base64(&encode(&high), 3)
            .unwrap_err()
            .starts_with("values from 1 to 9223372036854775807"));
        // A compressed length that is not the bytes there.
        let mut bytes = base64::engine::general_purpose::STANDARD
            .decode(h.to_base64())
            .unwrap();
        bytes[4..8].copy_from_slice(&1_000_000_u32.to_be_bytes());
        assert!(Latency::from_base64(&encode(&bytes), 3)
            .unwrap_err()
            .contains("claims 1000000 compressed bytes"));
    }
}
