//! Injected faults: an operation made to answer a chosen code, for the next N calls, until cleared,
//! or with a probability drawn from a seeded generator (so that runs repeat), and added latency.
//!
//! A counted or standing fault, and a delay, may be scoped to one unit and port ([`PortRef`]): it
//! then applies only to requests that name that unit and port (so parallel agents on one served
//! simulator are not hit by each other's faults). InitStation, InitUser and the desktop operations
//! name no port and are met only by unscoped rules. A scoped rule wins over an unscoped one.

use std::collections::HashMap;
use std::time::Duration;

use crate::api::Operation;

/// A unit and port as a request names them, compared as the recorder compares them: numbers by
/// value (`"05"` is port 5), other text exactly, surrounding blanks ignored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PortRef {
    unit: String,
    port: String,
}

impl PortRef {
    /// The unit and port, normalised for comparison.
    pub fn new(unit: &str, port: &str) -> PortRef {
        fn norm(s: &str) -> String {
            let t = s.trim();
            match t.parse::<u64>() {
                Ok(n) => n.to_string(),
                Err(_) => t.to_string(),
            }
        }
        PortRef {
            unit: norm(unit),
            port: norm(port),
        }
    }

    /// The unit, normalised.
    pub fn unit(&self) -> &str {
        &self.unit
    }

    /// The port, normalised.
    pub fn port(&self) -> &str {
        &self.port
    }
}

/// What a rule applies to: an operation (`None`: every one) on a port (`None`: every port).
type Key = (Option<Operation>, Option<PortRef>);

/// A chosen answer for an operation (or every operation).
#[derive(Debug, Clone, PartialEq, Eq)]
struct FaultRule {
    code: u16,
    /// Calls left; `None` until cleared.
    remaining: Option<u32>,
}

/// A chosen answer that fires with a probability.
#[derive(Debug, Clone, PartialEq)]
struct Chance {
    code: u16,
    probability: f64,
}

/// SplitMix64: a small, fast generator whose sequence is fixed by its seed.
#[derive(Debug, Clone)]
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in [0, 1).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The faults and delays in force. `None` as the operation means every operation.
#[derive(Debug, Default, Clone)]
pub struct Faults {
    rules: HashMap<Key, FaultRule>,
    chances: HashMap<Option<Operation>, Chance>,
    delays: HashMap<Key, Duration>,
    seed: u64,
    rng: Option<SplitMix>,
}

impl Faults {
    /// Makes `op` answer `code` for the next `count` calls that would succeed (`None`: until
    /// cleared). Code 100 clears the rule.
    pub fn set(&mut self, op: Option<Operation>, code: u16, count: Option<u32>) {
        self.set_at(op, None, code, count);
    }

    /// [`Faults::set`] for one unit and port (`None`: every port). Code 100 clears the rule of that
    /// scope (and, unscoped, the operation's probability rule).
    pub fn set_at(
        &mut self,
        op: Option<Operation>,
        at: Option<PortRef>,
        code: u16,
        count: Option<u32>,
    ) {
        if code == 100 && at.is_none() {
            self.chances.remove(&op);
        }
        let key = (op, at);
        if code == 100 || count == Some(0) {
            self.rules.remove(&key);
        } else {
            self.rules.insert(
                key,
                FaultRule {
                    code,
                    remaining: count,
                },
            );
        }
    }

    /// Makes `op` answer `code` on each call that would succeed, with a probability from 0 to 1;
    /// 0 or code 100 removes the rule. Which calls fire depends only on the seed and the order of
    /// calls, so a run repeats.
    pub fn set_chance(&mut self, op: Option<Operation>, code: u16, probability: f64) {
        if code == 100 || probability.is_nan() || probability <= 0.0 {
            self.chances.remove(&op);
        } else {
            self.chances.insert(
                op,
                Chance {
                    code,
                    probability: probability.min(1.0),
                },
            );
        }
    }

    /// Whether any rule or delay could depend on the unit and port (a counted or standing rule, or
    /// a delay); probabilities never do. Without one, a request's port need not be looked at.
    #[inline]
    pub fn by_port(&self) -> bool {
        !self.rules.is_empty() || !self.delays.is_empty()
    }

    /// Restarts the generator behind probabilities from a seed.
    pub fn seed(&mut self, seed: u64) {
        self.seed = seed;
        self.rng = None;
    }

    /// Adds latency to `op`; zero removes it.
    pub fn set_delay(&mut self, op: Option<Operation>, delay: Duration) {
        self.set_delay_at(op, None, delay);
    }

    /// [`Faults::set_delay`] for one unit and port (`None`: every port).
    pub fn set_delay_at(&mut self, op: Option<Operation>, at: Option<PortRef>, delay: Duration) {
        if delay.is_zero() {
            self.delays.remove(&(op, at));
        } else {
            self.delays.insert((op, at), delay);
        }
    }

    /// The keys that may apply to a call of `op` on `at`, the most specific first: the operation on
    /// the port, every operation on the port, the operation anywhere, every operation anywhere.
    fn candidates(op: Operation, at: Option<&PortRef>) -> impl Iterator<Item = Key> + '_ {
        let scoped = at
            .into_iter()
            .flat_map(move |p| [(Some(op), Some(p.clone())), (None, Some(p.clone()))]);
        scoped.chain([(Some(op), None), (None, None)])
    }

    /// The code to answer instead of 100, if a rule fires; uses up one call of a counted rule.
    /// `at` is the unit and port the request names, if any. A rule for the port wins over an
    /// unscoped one, and a rule for the operation itself over one for every operation. Counted and
    /// standing rules come before probabilities.
    #[inline]
    pub fn take(&mut self, op: Operation, at: Option<&PortRef>) -> Option<u16> {
        // No fault set (most runs): answered here, inlined into every request's path.
        if self.rules.is_empty() && self.chances.is_empty() {
            return None;
        }
        self.take_set(op, at)
    }

    /// [`Faults::take`] when some rule is set.
    fn take_set(&mut self, op: Operation, at: Option<&PortRef>) -> Option<u16> {
        if self.rules.is_empty() {
            return self.draw(op);
        }
        let Some(key) = Self::candidates(op, at).find(|k| self.rules.contains_key(k)) else {
            return self.draw(op);
        };
        let rule = self.rules.get_mut(&key)?;
        let code = rule.code;
        if let Some(n) = rule.remaining.as_mut() {
            *n -= 1;
            if *n == 0 {
                self.rules.remove(&key);
            }
        }
        Some(code)
    }

    /// The code of a probability rule for `op`, when the draw says it fires.
    fn draw(&mut self, op: Operation) -> Option<u16> {
        if self.chances.is_empty() {
            return None;
        }
        let chance = self
            .chances
            .get(&Some(op))
            .or_else(|| self.chances.get(&None))?
            .clone();
        let seed = self.seed;
        let x = self.rng.get_or_insert(SplitMix(seed)).next_f64();
        (x < chance.probability).then_some(chance.code)
    }

    /// The latency to add to `op` on `at` (the unit and port the request names, if any); the most
    /// specific rule wins, as for [`Faults::take`].
    #[inline]
    pub fn delay(&self, op: Operation, at: Option<&PortRef>) -> Duration {
        if self.delays.is_empty() {
            return Duration::ZERO;
        }
        self.delay_set(op, at)
    }

    /// [`Faults::delay`] when some delay is set.
    fn delay_set(&self, op: Operation, at: Option<&PortRef>) -> Duration {
        Self::candidates(op, at)
            .find_map(|k| self.delays.get(&k).copied())
            .unwrap_or_default()
    }

    /// Clears every rule and delay, and restarts the generator from its seed.
    pub fn clear(&mut self) {
        self.rules.clear();
        self.chances.clear();
        self.delays.clear();
        self.rng = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counted_fault_fires_that_many_times() {
        let mut f = Faults::default();
        f.set(Some(Operation::StartRecording), 618, Some(2));
        assert_eq!(f.take(Operation::StopRecording, None), None);
        assert_eq!(f.take(Operation::StartRecording, None), Some(618));
        assert_eq!(f.take(Operation::StartRecording, None), Some(618));
        assert_eq!(f.take(Operation::StartRecording, None), None);
    }

    #[test]
    fn an_operation_rule_wins_over_the_catch_all_and_100_clears() {
        let mut f = Faults::default();
        f.set(None, 651, None);
        f.set(Some(Operation::PortStatus), 621, None);
        assert_eq!(f.take(Operation::PortStatus, None), Some(621));
        assert_eq!(f.take(Operation::GetUrl, None), Some(651));
        f.set(None, 100, None);
        assert_eq!(f.take(Operation::GetUrl, None), None);
    }

    fn fired(f: &mut Faults, n: usize) -> Vec<bool> {
        (0..n)
            .map(|_| f.take(Operation::LogEvent, None).is_some())
            .collect()
    }

    #[test]
    fn a_probability_fault_repeats_given_its_seed() {
        let mut a = Faults::default();
        a.seed(42);
        a.set_chance(Some(Operation::LogEvent), 651, 0.3);
        let mut b = a.clone();
        let first = fired(&mut a, 200);
        assert_eq!(first, fired(&mut b, 200));
        let hits = first.iter().filter(|h| **h).count();
        assert!((40..=80).contains(&hits), "{hits} of 200 at p = 0.3");
        a.clear();
        a.set_chance(Some(Operation::LogEvent), 651, 0.3);
        assert_eq!(fired(&mut a, 200), first, "clearing restarts from the seed");
        let mut c = Faults::default();
        c.seed(43);
        c.set_chance(Some(Operation::LogEvent), 651, 0.3);
        assert_ne!(fired(&mut c, 200), first);
    }

    #[test]
    fn a_counted_fault_comes_before_a_probability_and_100_clears_both() {
        let mut f = Faults::default();
        f.set_chance(None, 621, 1.0);
        f.set(Some(Operation::LogEvent), 801, Some(1));
        assert_eq!(f.take(Operation::LogEvent, None), Some(801));
        assert_eq!(f.take(Operation::LogEvent, None), Some(621));
        f.set(None, 100, None);
        assert_eq!(f.take(Operation::LogEvent, None), None);
    }

    #[test]
    fn a_port_scoped_fault_leaves_other_ports_alone_and_wins_over_an_unscoped_one() {
        let mut f = Faults::default();
        let five = PortRef::new("1", "05");
        let six = PortRef::new("1", "6");
        f.set_at(
            Some(Operation::StartRecording),
            Some(five.clone()),
            618,
            Some(1),
        );
        f.set(None, 651, Some(1));
        assert_eq!(f.take(Operation::StartRecording, Some(&six)), Some(651));
        assert_eq!(f.take(Operation::StartRecording, Some(&six)), None);
        assert_eq!(f.take(Operation::InitStation, None), None);
        assert_eq!(
            f.take(Operation::StartRecording, Some(&PortRef::new(" 1 ", "5"))),
            Some(618)
        );
        assert_eq!(f.take(Operation::StartRecording, Some(&five)), None);
        f.set_delay_at(None, Some(five.clone()), Duration::from_millis(40));
        assert_eq!(
            f.delay(Operation::GetUrl, Some(&five)),
            Duration::from_millis(40)
        );
        assert_eq!(f.delay(Operation::GetUrl, Some(&six)), Duration::ZERO);
    }

    #[test]
    fn delays_apply_per_operation_or_to_all() {
        let mut f = Faults::default();
        f.set_delay(None, Duration::from_millis(5));
        f.set_delay(Some(Operation::InitUser), Duration::from_millis(50));
        assert_eq!(
            f.delay(Operation::InitUser, None),
            Duration::from_millis(50)
        );
        assert_eq!(f.delay(Operation::LogEvent, None), Duration::from_millis(5));
        f.set_delay(None, Duration::ZERO);
        assert_eq!(f.delay(Operation::LogEvent, None), Duration::ZERO);
    }
}
