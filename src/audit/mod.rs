//! Encore's rules applied to what a client (a CRM) sends: exchanges in ([`crate::exchange`]),
//! findings out. Pure, as the simulator is: no XML, no HTTP, no terminal. The server, the proxy,
//! the runner and `ecapi audit` feed it and say its findings with [`Finding::text`] or
//! [`Finding::json`].
//!
//! - [`rule`]: the rules as data (id, severity, source, the guide's words, advice);
//! - [`auditor`]: the per-port and per-client state and the checks;
//! - [`finding`]: findings as values and their two renderings;
//! - [`card`]: payment card numbers found and masked;
//! - [`coverage`]: which codes and failures the client was shown;
//! - [`options`]: thresholds, windows, rules turned off, desktop users;
//! - [`summary`]: the findings counted per rule, as text and JSON.

pub mod auditor;
pub mod card;
pub mod coverage;
pub mod finding;
pub mod options;
pub mod rule;
mod state;
pub mod summary;

pub use auditor::Auditor;
pub use coverage::Coverage;
pub use finding::{Finding, Seen};
pub use options::{DesktopUsers, Options, Seat};
pub use rule::{Rule, RuleId, Severity, RULES};
