//! A non-100 answer together with the reason the simulator gave it, for the journal.

use crate::api::ResponseCode;

/// A request the simulator answered with a code other than 100, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The code answered.
    pub code: ResponseCode,
    /// Why, in words a user can act on.
    pub reason: String,
}

impl Refusal {
    /// A refusal with a reason.
    pub fn new(code: ResponseCode, reason: impl Into<String>) -> Refusal {
        Refusal {
            code,
            reason: reason.into(),
        }
    }
}

/// What a profile's rule returns: the successful response's extra fields, or a refusal.
pub type Answer<T> = Result<T, Refusal>;
