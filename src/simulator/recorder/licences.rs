//! Licences: how many recordings may run at once. A call being recorded holds one, on hold or not,
//! from StartRecording until it is stopped, cancelled, hung up or reaches its maximum time.

use crate::api::ResponseCode;
use crate::simulator::refusal::{Answer, Refusal};

/// The licence count and the check a new recording must pass.
#[derive(Debug, Clone, Copy)]
pub struct Licences {
    /// How many recordings may run at once.
    pub total: u32,
}

impl Licences {
    /// Refuses a new recording (618) when `in_use` recordings already take every licence.
    pub fn check(self, in_use: usize) -> Answer<()> {
        if in_use < self.total as usize {
            Ok(())
        } else {
            Err(Refusal::new(
                ResponseCode::AllLicensesInUse,
                format!(
                    "all {} licences are in use by recordings in progress; stop one or configure more",
                    self.total
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_beyond_the_count_answers_618() {
        let l = Licences { total: 2 };
        assert!(l.check(1).is_ok());
        assert_eq!(l.check(2).unwrap_err().code, ResponseCode::AllLicensesInUse);
    }
}
