//! Shadow comparison (`--shadow embedded|URL`): every request the upstream answers also goes to a
//! second backend, the embedded simulator or another server, and the two answers are compared
//! ([`super::compare`]); the client only ever gets the upstream's. The tally per operation is the
//! measure of how far the simulator is from the real deployment.
//!
//! The shadow is asked after the upstream, one request at a time and in arrival order (its own
//! lock), so that its state follows the upstream's; units and ports that the two hand out
//! differently are translated ([`super::ports`]). A request the proxy answered itself (`--fault`)
//! reaches neither.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

use super::compare::{compare, Comparison, Observed};
use super::exchange::Answer;
use super::ports::PortMap;
use crate::api::{Operation, Request};
use crate::client::{Embedded, Http, HttpOptions, Transport, TransportError};
use crate::simulator::Simulator;

/// The second backend.
#[derive(Debug)]
pub enum ShadowTarget {
    /// The embedded simulator, built from the usual `--profile`/`--config`/`--api` options.
    Embedded(Box<Simulator>),
    /// Another server, through the SOAP client (which reads its WSDL).
    Url(HttpOptions),
}

/// The shadow backend and what it has learnt about ports.
pub struct Shadow {
    state: Mutex<(Box<dyn Transport + Send>, PortMap)>,
    describe: String,
}

impl std::fmt::Debug for Shadow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shadow")
            .field("describe", &self.describe)
            .finish()
    }
}

impl Shadow {
    /// Builds the backend (for a URL, reads its WSDL); blocking, so before the proxy's runtime.
    pub fn connect(target: ShadowTarget) -> Result<Shadow, TransportError> {
        let backend: Box<dyn Transport + Send> = match target {
            ShadowTarget::Embedded(sim) => Box::new(Embedded::new(*sim)),
            ShadowTarget::Url(options) => Box::new(Http::connect(options)?),
        };
        let describe = backend.describe();
        Ok(Shadow {
            state: Mutex::new((backend, PortMap::default())),
            describe,
        })
    }

    /// What the shadow is, in one line.
    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// Asks the shadow `request` and compares its answer with the upstream's. Blocking.
    pub fn ask(&self, request: &Request, upstream: &Answer) -> Comparison {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (backend, ports) = &mut *state;
        let translated = ports.translate(request);
        let answer = match backend.call(&translated) {
            Ok(exchange) => Observed::Response(exchange.response),
            Err(TransportError::Fault { code, .. }) => Observed::Fault(code),
            Err(e) => return Comparison::Unavailable(format!("the shadow failed: {e}")),
        };
        if let (Answer::Response(up), Observed::Response(shadow)) = (upstream, &answer) {
            if matches!(up.op, Operation::InitStation | Operation::InitUser) {
                ports.learn(up, shadow);
            }
        }
        Comparison::of(compare(&upstream.observed(), &answer))
    }
}

/// Agreements and differences per operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Per operation name.
    pub operations: BTreeMap<String, Counts>,
}

/// One operation's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Answers that agreed.
    pub agree: u64,
    /// Answers that differed.
    pub differ: u64,
    /// Exchanges the shadow could not be compared on.
    pub unavailable: u64,
}

impl Tally {
    /// Counts one verdict.
    pub fn add(&mut self, op: Option<Operation>, verdict: &Comparison) {
        let name = op.map_or("(no operation)", Operation::name).to_string();
        let counts = self.operations.entry(name).or_default();
        match verdict {
            Comparison::Agree => counts.agree += 1,
            Comparison::Differ(_) => counts.differ += 1,
            Comparison::Unavailable(_) => counts.unavailable += 1,
        }
    }

    /// The totals over every operation.
    pub fn total(&self) -> Counts {
        self.operations
            .values()
            .fold(Counts::default(), |t, c| Counts {
                agree: t.agree + c.agree,
                differ: t.differ + c.differ,
                unavailable: t.unavailable + c.unavailable,
            })
    }

    /// A table, one line per operation and one for the total.
    pub fn render(&self) -> String {
        let mut out = format!(
            "{:16} {:>7} {:>7} {:>11}\n",
            "operation", "agree", "differ", "unavailable"
        );
        let mut line = |name: &str, c: &Counts| {
            out.push_str(&format!(
                "{name:16} {:>7} {:>7} {:>11}\n",
                c.agree, c.differ, c.unavailable
            ));
        };
        for (name, c) in &self.operations {
            line(name, c);
        }
        line("total", &self.total());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Param, Response, ResponseCode};
    use crate::simulator::Settings;

    #[test]
    fn the_embedded_shadow_follows_the_upstreams_ports() {
        let shadow = Shadow::connect(ShadowTarget::Embedded(Box::new(Simulator::hosted(
            Settings::default(),
        ))))
        .unwrap();
        // The upstream handed out port 40 where the shadow's counter hands out 1.
        let mut init = Response::ok(Operation::InitStation);
        init.set_unit("1");
        init.set_port("40");
        let request = Request::new(Operation::InitStation).with(Param::Extension, "1234");
        assert_eq!(
            shadow.ask(&request, &Answer::Response(init)),
            Comparison::Agree
        );
        let start = Request::new(Operation::StartRecording)
            .with(Param::Unit, "1")
            .with(Param::Port, "40");
        let ok = Answer::Response(Response::ok(Operation::StartRecording));
        assert_eq!(shadow.ask(&start, &ok), Comparison::Agree);
        // The shadow's port 1 now records, so a second start there answers 609.
        let verdict = shadow.ask(&start, &ok);
        let Comparison::Differ(d) = verdict else {
            panic!("{verdict:?}")
        };
        assert_eq!(d[0].to_string(), "code 100 against 609");
        let mut tally = Tally::default();
        tally.add(Some(Operation::StartRecording), &Comparison::Differ(d));
        tally.add(Some(Operation::StartRecording), &Comparison::Agree);
        assert!(tally
            .render()
            .contains("StartRecording         1       1           0"));
        let _ = ResponseCode::Success;
    }
}
