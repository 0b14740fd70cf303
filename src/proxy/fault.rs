//! Fault injection on real traffic (`--fault OPERATION=CODE[:PROBABILITY]`, `--delay
//! OPERATION=MS`, `--seed N`): the proxy answers some requests itself, with a proper response
//! envelope carrying the code and its exact message from [`ResponseCode`], or holds them before
//! forwarding, so a team can watch its CRM meet 651, 618 or a slow Encore in its real environment.
//!
//! Which requests are answered depends only on the seed and the order in which requests arrive
//! (SplitMix64, the generator the simulator's faults use), so a run can be repeated.

use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use crate::api::{Operation, ResponseCode};

/// `--fault OPERATION=CODE[:PROBABILITY]`.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// The operation answered.
    pub op: Operation,
    /// The code it is answered with (one of the guides', with its exact message).
    pub code: ResponseCode,
    /// The chance that a request of the operation is answered by the proxy, 0 to 1 (default 1).
    pub probability: f64,
}

/// `--delay OPERATION=MS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelayRule {
    /// The operation held.
    pub op: Operation,
    /// How long each request of it is held before it is forwarded (or answered).
    pub delay: Duration,
}

fn split_op(text: &str, shape: &str) -> Result<(Operation, String), String> {
    let (op, rest) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: expected {shape}"))?;
    let op = Operation::lookup(op.trim())
        .ok_or_else(|| format!("`{text}`: `{}` is not an operation", op.trim()))?;
    Ok((op, rest.trim().to_string()))
}

impl FromStr for FaultRule {
    type Err = String;

    /// Reads `StopRecording=651` or `StartRecording=618:0.25`.
    fn from_str(text: &str) -> Result<FaultRule, String> {
        let shape = "OPERATION=CODE[:PROBABILITY], e.g. StartRecording=618:0.25";
        let (op, rest) = split_op(text, shape)?;
        let (code, probability) = match rest.split_once(':') {
            Some((c, p)) => (c.trim(), Some(p.trim())),
            None => (rest.as_str(), None),
        };
        let code = code
            .parse::<u16>()
            .ok()
            .and_then(ResponseCode::from_code)
            .ok_or_else(|| format!("`{text}`: `{code}` is not a response code of the guides"))?;
        let probability = match probability {
            None => 1.0,
            Some(p) => match p.parse::<f64>() {
                Ok(p) if (0.0..=1.0).contains(&p) => p,
                _ => {
                    return Err(format!(
                        "`{text}`: the probability must be from 0 to 1, not `{p}`"
                    ))
                }
            },
        };
        Ok(FaultRule {
            op,
            code,
            probability,
        })
    }
}

impl FromStr for DelayRule {
    type Err = String;

    /// Reads `PortStatus=250` (milliseconds).
    fn from_str(text: &str) -> Result<DelayRule, String> {
        let (op, ms) = split_op(text, "OPERATION=MS, e.g. PortStatus=250")?;
        let ms: u64 = ms
            .parse()
            .map_err(|_| format!("`{text}`: `{ms}` is not a whole number of milliseconds"))?;
        Ok(DelayRule {
            op,
            delay: Duration::from_millis(ms),
        })
    }
}

/// The rules in force and the seeded generator behind probabilities.
#[derive(Debug)]
pub struct Injector {
    faults: Vec<FaultRule>,
    delays: Vec<DelayRule>,
    rng: Mutex<u64>,
}

impl Injector {
    /// Rules with a seed.
    pub fn new(faults: Vec<FaultRule>, delays: Vec<DelayRule>, seed: u64) -> Injector {
        Injector {
            faults,
            delays,
            rng: Mutex::new(seed),
        }
    }

    /// Whether any rule is in force.
    pub fn is_empty(&self) -> bool {
        self.faults.is_empty() && self.delays.is_empty()
    }

    /// The code to answer this request of `op` with, if a rule fires (a draw is taken for each
    /// request of an operation with a rule, whether or not it fires).
    pub fn fault(&self, op: Operation) -> Option<ResponseCode> {
        let rule = self.faults.iter().find(|r| r.op == op)?;
        if rule.probability >= 1.0 {
            return Some(rule.code);
        }
        let draw = {
            let mut state = self.rng.lock().unwrap_or_else(|p| p.into_inner());
            next_f64(&mut state)
        };
        (draw < rule.probability).then_some(rule.code)
    }

    /// How long to hold a request of `op`.
    pub fn delay(&self, op: Operation) -> Duration {
        self.delays
            .iter()
            .find(|r| r.op == op)
            .map_or(Duration::ZERO, |r| r.delay)
    }
}

/// SplitMix64, a number in [0, 1).
fn next_f64(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_read_with_clear_errors() {
        let r: FaultRule = "start_recording=618:0.25".parse().unwrap();
        assert_eq!(
            (r.op, r.code.code(), r.probability),
            (Operation::StartRecording, 618, 0.25)
        );
        let r: FaultRule = "StopRecording=651".parse().unwrap();
        assert_eq!(r.probability, 1.0);
        assert_eq!(
            "StopRecording=999".parse::<FaultRule>().unwrap_err(),
            "`StopRecording=999`: `999` is not a response code of the guides"
        );
        assert!("Stop=651"
            .parse::<FaultRule>()
            .unwrap_err()
            .contains("not an operation"));
        assert!("StopRecording=651:2"
            .parse::<FaultRule>()
            .unwrap_err()
            .contains("from 0 to 1"));
        assert!("StopRecording"
            .parse::<FaultRule>()
            .unwrap_err()
            .contains("expected"));
        let d: DelayRule = "PortStatus=250".parse().unwrap();
        assert_eq!(d.delay, Duration::from_millis(250));
        assert!("PortStatus=fast".parse::<DelayRule>().is_err());
    }

    #[test]
    fn the_same_seed_fires_on_the_same_requests() {
        let rule = || vec!["StartRecording=618:0.5".parse::<FaultRule>().unwrap()];
        let run = |seed| {
            let inj = Injector::new(rule(), vec![], seed);
            (0..64)
                .map(|_| inj.fault(Operation::StartRecording).is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let fired = run(7).iter().filter(|f| **f).count();
        assert!((16..=48).contains(&fired), "{fired}");
        assert_eq!(
            Injector::new(rule(), vec![], 1).fault(Operation::StopRecording),
            None
        );
    }
}
