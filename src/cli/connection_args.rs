//! The options `ecapi serve` and `ecapi proxy` share for their listener: the timeouts and the
//! connection cap, with the same names and defaults in both, validated into
//! [`crate::listener::Limits`].

use std::time::Duration;

use clap::Args;

use super::backend::UsageError;
use crate::listener::Limits;

/// The listener's timeouts and connection cap.
#[derive(Debug, Args)]
pub struct ConnectionArgs {
    /// Seconds a client has to send a request's headers (the connection closes after).
    #[arg(long, default_value = "10", value_name = "SECONDS")]
    pub header_timeout: f64,
    /// Seconds a client has to send a request's body (408 Request Timeout after).
    #[arg(long, default_value = "30", value_name = "SECONDS")]
    pub body_timeout: f64,
    /// Seconds a kept-alive connection may wait, silent, for its next request.
    #[arg(long, default_value = "60", value_name = "SECONDS")]
    pub idle_timeout: f64,
    /// The most connections served at once; at the cap the one idle the longest is closed for a
    /// new one, and when none is idle new ones wait to be accepted.
    #[arg(long, default_value = "512", value_name = "N")]
    pub max_connections: usize,
}

impl ConnectionArgs {
    /// The limits, each timeout above 0 and at most a day, the cap at least 1.
    pub fn limits(&self) -> Result<Limits, UsageError> {
        let seconds = |name: &str, value: f64| {
            if value.is_finite() && value > 0.0 && value <= 86_400.0 {
                Ok(Duration::from_secs_f64(value))
            } else {
                Err(UsageError(format!(
                    "--{name} {value}: expected a number of seconds above 0 and at most 86400"
                )))
            }
        };
        Ok(Limits {
            header_timeout: seconds("header-timeout", self.header_timeout)?,
            body_timeout: seconds("body-timeout", self.body_timeout)?,
            idle_timeout: seconds("idle-timeout", self.idle_timeout)?,
            max_connections: match self.max_connections {
                0 => {
                    return Err(UsageError(
                        "--max-connections 0: expected at least 1".into(),
                    ))
                }
                n => n,
            },
        })
    }
}
