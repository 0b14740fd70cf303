//! Injected faults: an operation made to answer a chosen code, and added latency.

use std::collections::HashMap;
use std::time::Duration;

use crate::api::Operation;

/// A chosen answer for an operation (or every operation).
#[derive(Debug, Clone, PartialEq, Eq)]
struct FaultRule {
    code: u16,
    /// Calls left; `None` until cleared.
    remaining: Option<u32>,
}

/// The faults and delays in force. `None` as the operation means every operation.
#[derive(Debug, Default, Clone)]
pub struct Faults {
    rules: HashMap<Option<Operation>, FaultRule>,
    delays: HashMap<Option<Operation>, Duration>,
}

impl Faults {
    /// Makes `op` answer `code` for the next `count` calls that would succeed (`None`: until
    /// cleared). Code 100 clears the rule.
    pub fn set(&mut self, op: Option<Operation>, code: u16, count: Option<u32>) {
        if code == 100 || count == Some(0) {
            self.rules.remove(&op);
        } else {
            self.rules.insert(
                op,
                FaultRule {
                    code,
                    remaining: count,
                },
            );
        }
    }

    /// Adds latency to `op`; zero removes it.
    pub fn set_delay(&mut self, op: Option<Operation>, delay: Duration) {
        if delay.is_zero() {
            self.delays.remove(&op);
        } else {
            self.delays.insert(op, delay);
        }
    }

    /// The code to answer instead of 100, if a rule fires; uses up one call of a counted rule. A rule
    /// for the operation itself wins over one for every operation.
    pub fn take(&mut self, op: Operation) -> Option<u16> {
        if self.rules.is_empty() {
            return None;
        }
        let key = if self.rules.contains_key(&Some(op)) {
            Some(op)
        } else if self.rules.contains_key(&None) {
            None
        } else {
            return None;
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

    /// The latency to add to `op`.
    pub fn delay(&self, op: Operation) -> Duration {
        if self.delays.is_empty() {
            return Duration::ZERO;
        }
        self.delays
            .get(&Some(op))
            .or_else(|| self.delays.get(&None))
            .copied()
            .unwrap_or_default()
    }

    /// Clears every rule and delay.
    pub fn clear(&mut self) {
        self.rules.clear();
        self.delays.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counted_fault_fires_that_many_times() {
        let mut f = Faults::default();
        f.set(Some(Operation::StartRecording), 618, Some(2));
        assert_eq!(f.take(Operation::StopRecording), None);
        assert_eq!(f.take(Operation::StartRecording), Some(618));
        assert_eq!(f.take(Operation::StartRecording), Some(618));
        assert_eq!(f.take(Operation::StartRecording), None);
    }

    #[test]
    fn an_operation_rule_wins_over_the_catch_all_and_100_clears() {
        let mut f = Faults::default();
        f.set(None, 651, None);
        f.set(Some(Operation::PortStatus), 621, None);
        assert_eq!(f.take(Operation::PortStatus), Some(621));
        assert_eq!(f.take(Operation::GetUrl), Some(651));
        f.set(None, 100, None);
        assert_eq!(f.take(Operation::GetUrl), None);
    }

    #[test]
    fn delays_apply_per_operation_or_to_all() {
        let mut f = Faults::default();
        f.set_delay(None, Duration::from_millis(5));
        f.set_delay(Some(Operation::InitUser), Duration::from_millis(50));
        assert_eq!(f.delay(Operation::InitUser), Duration::from_millis(50));
        assert_eq!(f.delay(Operation::LogEvent), Duration::from_millis(5));
        f.set_delay(None, Duration::ZERO);
        assert_eq!(f.delay(Operation::LogEvent), Duration::ZERO);
    }
}
