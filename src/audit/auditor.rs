//! The auditor: exchanges in, findings out. It reads [`Exchange`]s in the order their answers
//! were complete (as a record holds them), keeps the per-port and per-client state the rules need
//! ([`super::state`]), and returns each finding as soon as it is certain: most at once, a missing
//! DesktopPause when its window has passed ([`Auditor::tick`], [`Auditor::finish`]).
//!
//! An exchange that breaks no rule costs a few map look-ups and no allocation beyond the first
//! sight of its port or client.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, TimeDelta, Utc};
use compact_str::CompactString;

use super::card;
use super::coverage::Coverage;
use super::finding::{Finding, Seen};
use super::options::{DesktopUsers, Options};
use super::rule::{RuleId, Severity};
use super::state::{InFlight, InitSeen, Pair, PendingDesktop, PortKey, PortState, Ports, Storm};
use crate::api::{ApiVersion, Operation, Param, Request};
use crate::exchange::{Exchange, FailureKind, Outcome};

/// The codes a recording-control request gets when the port's state was not what the CRM
/// thought: 608, 609, 616 and 627.
pub const STATE_CODES: [u16; 4] = [608, 609, 616, 627];

/// The auditor's maps. An exchange from a client looks it up here, so the hash is on the request
/// path of `ecapi serve`: foldhash, seeded per map, hashes a short key in a few instructions where
/// std's SipHash took about 260 (benches/README.md). Ports have their own index
/// ([`Ports`], which compares the port found last first).
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// How often (in exchanges) state older than every window is dropped.
const PRUNE_EVERY: u64 = 4096;

/// How long the last request from a client is remembered for `overlapping-requests`.
const CLIENT_MEMORY: TimeDelta = TimeDelta::seconds(60);

/// Exchanges in, findings out.
#[derive(Debug)]
pub struct Auditor {
    options: Options,
    window: TimeDelta,
    retry_window: TimeDelta,
    init_interval: TimeDelta,
    ports: Ports,
    clients: Map<String, InFlight>,
    /// (pair, lowercased login) → when its desktop request was last answered 100.
    desktop: Map<(Pair, String), DateTime<Utc>>,
    /// pair → when any desktop request of it was last answered 100.
    desktop_any: Map<Pair, DateTime<Utc>>,
    pending: Vec<PendingDesktop>,
    storms: Map<String, Storm>,
    inits: Map<(Operation, String), InitSeen>,
    coverage: Coverage,
    counts: BTreeMap<RuleId, u64>,
    seen: u64,
}

fn delta(d: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

impl Auditor {
    /// An auditor with these options; seats in `options.seats` are known from the start.
    pub fn new(options: Options) -> Auditor {
        let mut ports = Ports::default();
        for seat in &options.seats {
            ports
                .entry(&PortKey {
                    unit: seat.unit.as_str().into(),
                    port: seat.port.as_str().into(),
                })
                .login = Some(seat.login.clone());
        }
        Auditor {
            window: delta(options.desktop_window),
            retry_window: delta(options.retry_window),
            init_interval: delta(options.init_interval),
            options,
            ports,
            clients: Map::default(),
            desktop: Map::default(),
            desktop_any: Map::default(),
            pending: Vec::new(),
            storms: Map::default(),
            inits: Map::default(),
            coverage: Coverage::default(),
            counts: BTreeMap::new(),
            seen: 0,
        }
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The coverage so far.
    pub fn coverage(&self) -> &Coverage {
        &self.coverage
    }

    /// How many findings each rule has had so far.
    pub fn counts(&self) -> &BTreeMap<RuleId, u64> {
        &self.counts
    }

    /// How many exchanges were read.
    pub fn exchanges(&self) -> u64 {
        self.seen
    }

    /// The worst severity found so far.
    pub fn worst(&self) -> Option<Severity> {
        self.counts.keys().map(|r| r.rule().severity).max()
    }

    /// Reads one exchange; the findings it makes certain (including any earlier pause whose
    /// window has now passed).
    pub fn observe(&mut self, ex: &Exchange) -> Vec<Finding> {
        let mut out = Vec::new();
        if !self.options.enabled {
            return out;
        }
        self.mature(ex.sent, &mut out);
        self.coverage.count(ex);
        self.seen += 1;
        if self.seen % PRUNE_EVERY == 0 {
            self.prune(ex.sent);
        }
        self.wire(ex, &mut out);
        if let Some(request) = &ex.request {
            self.card_data(ex, request, &mut out);
            let at = request.op().takes_unit_and_port().then(|| {
                self.ports
                    .find_or_add(request.get(Param::Unit), request.get(Param::Port))
            });
            // The port's state is looked up once for the two rules that read it on every request
            // (overlapping-requests and state-unchecked); state-unchecked's finding keeps its
            // place after retry-storm's. Neither rule in between reads what these two change.
            // The rules name the port by its place, and copy its key only for a finding.
            let unchecked = match at {
                Some(at) => {
                    let check = self.options.checks(RuleId::OverlappingRequests);
                    let (key, port) = self.ports.key_and_state_mut(at);
                    overlapping_port(check, &mut port.last, ex, request, key, &mut out);
                    state_unchecked(&self.options, port, ex, request, key)
                }
                None => {
                    self.overlapping_client(ex, request, &mut out);
                    None
                }
            };
            self.desktop(ex, request, at, &mut out);
            self.retry_storm(ex, request, at, &mut out);
            if let Some(finding) = unchecked {
                out.push(finding);
            }
            self.data_lost(ex, request, at, &mut out);
            self.init_every_call(ex, request, &mut out);
        }
        self.tally(&out);
        out
    }

    /// A link from GetURL opened in the served player; `stopped` says whether its recording had
    /// stopped. A finding when it had not.
    pub fn player_opened(
        &mut self,
        time: DateTime<Utc>,
        client: Option<&str>,
        call_index: &str,
        stopped: bool,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        self.mature(time, &mut out);
        if !stopped && self.options.checks(RuleId::UrlTooEarly) {
            out.push(
                Finding::new(
                    RuleId::UrlTooEarly,
                    format!(
                        "the player opened recording {call_index} while it was still recording: \
                         the link cannot be used until the recording has stopped"
                    ),
                    vec![Seen {
                        seq: 0,
                        time: super::finding::stamp(time),
                        line: format!("player opened fldCallIndex={call_index}"),
                    }],
                )
                .from_client(client),
            );
        }
        self.tally(&out);
        out
    }

    /// A finding made when the exchange was recorded (a proxy's record masks the card numbers it
    /// found, so they cannot be found again): counted as if made now.
    pub fn recorded(&mut self, finding: Finding) -> Vec<Finding> {
        if !self.options.checks(finding.rule) {
            return Vec::new();
        }
        let out = vec![finding];
        self.tally(&out);
        out
    }

    /// The findings whose windows have passed by `now` (a server calls this before it reports).
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Finding> {
        let mut out = Vec::new();
        self.mature(now, &mut out);
        self.tally(&out);
        out
    }

    /// The end of the exchanges: every check still waiting becomes a finding.
    pub fn finish(&mut self) -> Vec<Finding> {
        let mut out = Vec::new();
        self.mature(DateTime::<Utc>::MAX_UTC, &mut out);
        self.tally(&out);
        out
    }

    fn tally(&mut self, found: &[Finding]) {
        for f in found {
            *self.counts.entry(f.rule).or_default() += 1;
        }
    }

    fn prune(&mut self, now: DateTime<Utc>) {
        self.clients.retain(|_, f| f.ended + CLIENT_MEMORY > now);
        let (rw, w, iw) = (self.retry_window, self.window, self.init_interval);
        self.storms
            .retain(|_, s| s.times.back().is_some_and(|(t, _)| *t + rw > now));
        self.desktop.retain(|_, t| *t + w > now);
        self.inits.retain(|_, i| i.sent + iw > now);
    }

    // ---- card-data ----

    fn card_data(&mut self, ex: &Exchange, request: &Request, out: &mut Vec<Finding>) {
        // Every value together shorter than a card number: none of them holds one (a unit and a
        // port, most requests), known without visiting the values.
        if request.values_len() < card::MIN_DIGITS || !self.options.checks(RuleId::CardData) {
            return;
        }
        for (p, v) in request.params(ApiVersion::V7_1) {
            for r in card::find(v) {
                out.push(
                    Finding::new(
                        RuleId::CardData,
                        format!(
                            "{}'s {} holds a payment card number: {}",
                            request.op().name(),
                            p.wire_name(ApiVersion::V7_1),
                            card::mask_number(&v[r])
                        ),
                        vec![Seen::of(ex)],
                    )
                    .at_port(port_label(request))
                    .from_client(ex.client.as_deref()),
                );
            }
        }
    }

    // ---- desktop-not-paused ----

    fn login_needs_desktop(&self, login: Option<&str>) -> bool {
        match login {
            Some(l) => self.options.desktop_users.records(l),
            None => self.options.desktop_users == DesktopUsers::All,
        }
    }

    fn desktop(
        &mut self,
        ex: &Exchange,
        request: &Request,
        at: Option<usize>,
        out: &mut Vec<Finding>,
    ) {
        if !self.options.checks(RuleId::DesktopNotPaused) || ex.code() != Some(100) {
            return;
        }
        let op = request.op();
        let pair = match op {
            Operation::PauseRecording | Operation::DesktopPause => Pair::Pause,
            Operation::ResumeRecording | Operation::DesktopResume => Pair::Resume,
            _ => return,
        };
        if matches!(op, Operation::DesktopPause | Operation::DesktopResume) {
            let login = request.get(Param::User).to_lowercase();
            let t = ex.sent;
            self.pending.retain(|p| {
                !(p.pair == pair && t <= p.due && p.login.as_deref().is_none_or(|l| l == login))
            });
            self.desktop.insert((pair, login), t);
            self.desktop_any.insert(pair, t);
            return;
        }
        let Some(at) = at else { return };
        let login = self.ports.state(at).login.clone();
        if !self.login_needs_desktop(login.as_deref()) {
            return;
        }
        let lower = login.as_ref().map(|l| l.to_lowercase());
        let before = match &lower {
            Some(l) => self.desktop.get(&(pair, l.clone())),
            None => self.desktop_any.get(&pair),
        };
        if before.is_some_and(|t| ex.sent - *t <= self.window) {
            return;
        }
        self.pending.push(PendingDesktop {
            pair,
            login: lower,
            login_shown: login,
            port: self.ports.key(at).clone(),
            client: ex.client.as_deref().map(str::to_string),
            due: ex.sent + self.window,
            seen: Seen::of(ex),
        });
        let _ = out;
    }

    /// The pending desktop checks whose window has passed by `now` become findings.
    #[inline]
    fn mature(&mut self, now: DateTime<Utc>, out: &mut Vec<Finding>) {
        // None pending (every exchange but those after a recording's pause or resume): inlined.
        if self.pending.is_empty() {
            return;
        }
        self.mature_pending(now, out);
    }

    fn mature_pending(&mut self, now: DateTime<Utc>, out: &mut Vec<Finding>) {
        if self.pending.iter().all(|p| p.due >= now) {
            return;
        }
        let window = self.options.desktop_window.as_secs_f64();
        let (due, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|p| p.due < now);
        self.pending = keep;
        for p in due {
            let (op, twin) = p.pair.ops();
            let user = match &p.login_shown {
                Some(l) => format!("user {l}, whose desktop is recorded"),
                None => "whose user's desktop is recorded".to_string(),
            };
            let for_whom = p
                .login_shown
                .as_ref()
                .map_or(String::new(), |l| format!(" for {l}"));
            out.push(
                Finding::new(
                    RuleId::DesktopNotPaused,
                    format!(
                        "{op} for port {} ({user}) with no {twin}{for_whom} within {window} s \
                         either side: the desktop recording {}",
                        p.port.label(),
                        match p.pair {
                            Pair::Pause => "went on recording the screen",
                            Pair::Resume => "stayed paused",
                        }
                    ),
                    vec![p.seen],
                )
                .at_port(Some(p.port.label()))
                .from_client(p.client.as_deref()),
            );
        }
    }

    // ---- overlapping-requests ----

    /// Overlapping requests from one client, for a request that names no port.
    fn overlapping_client(&mut self, ex: &Exchange, request: &Request, out: &mut Vec<Finding>) {
        let Some(c) = ex.client.as_deref() else {
            return;
        };
        let now = in_flight(ex, request);
        if !self.clients.contains_key(c) {
            self.clients.insert(c.to_string(), now);
            return;
        }
        let f = self.clients.get_mut(c).expect("present");
        if self.options.checks(RuleId::OverlappingRequests) && overlap(f, &now) {
            out.push(overlap_finding(f, &now, ex, None));
        }
        if now.ended >= f.ended {
            *f = now;
        }
    }

    // ---- retry-storm ----

    fn retry_storm(
        &mut self,
        ex: &Exchange,
        request: &Request,
        at: Option<usize>,
        out: &mut Vec<Finding>,
    ) {
        let Some(code) = ex.code() else { return };
        if code == 100 || !self.options.checks(RuleId::RetryStorm) {
            return;
        }
        let mut id = format!("{}|{code}", request.op().name());
        for (_, v) in request.params(ApiVersion::V7_1) {
            id.push('|');
            id.push_str(v);
        }
        let limit = self.options.retry_limit;
        let window = self.retry_window;
        let storm = self.storms.entry(id).or_default();
        storm.times.push_back((ex.sent, ex.seq));
        while storm
            .times
            .front()
            .is_some_and(|(t, _)| *t + window < ex.sent)
        {
            storm.times.pop_front();
        }
        if storm.times.len() <= 1 {
            storm.reported = false;
        }
        if storm.times.len() > limit && !storm.reported {
            storm.reported = true;
            let this = Seen::of(ex);
            let seen: Vec<Seen> = storm
                .times
                .iter()
                .map(|(t, seq)| Seen {
                    seq: *seq,
                    time: super::finding::stamp(*t),
                    line: this.line.clone(),
                })
                .collect();
            out.push(
                Finding::new(
                    RuleId::RetryStorm,
                    format!(
                        "the same {} was answered {code} {} times within {} s: a retry loop \
                         that cannot succeed until the cause of {code} is fixed",
                        request.op().name(),
                        seen.len(),
                        self.options.retry_window.as_secs_f64()
                    ),
                    seen,
                )
                .at_port(at.map(|i| self.ports.key(i).label()))
                .from_client(ex.client.as_deref()),
            );
        }
        // Only the window's worth is kept, however long the loop.
        while storm.times.len() > limit + 1 {
            storm.times.pop_front();
        }
    }

    // ---- wire ----

    fn wire(&mut self, ex: &Exchange, out: &mut Vec<Finding>) {
        if !self.options.checks(RuleId::Wire) || ex.notes.iter().all(|n| n.harmless) {
            return;
        }
        let text: Vec<String> = ex
            .notes
            .iter()
            .filter(|n| !n.harmless)
            .map(|n| card::mask(&n.text).into_owned())
            .collect();
        out.push(
            Finding::new(RuleId::Wire, text.join("; "), vec![Seen::of(ex)])
                .at_port(ex.request.as_ref().and_then(port_label))
                .from_client(ex.client.as_deref()),
        );
    }

    // ---- data-lost ----

    fn data_lost(
        &mut self,
        ex: &Exchange,
        request: &Request,
        at: Option<usize>,
        out: &mut Vec<Finding>,
    ) {
        let op = request.op();
        if !matches!(op, Operation::AssignField | Operation::LogEvent)
            || !self.options.checks(RuleId::DataLost)
        {
            return;
        }
        let refused = match &ex.outcome {
            Outcome::Answered(r) => r.code != 100,
            Outcome::Failed { kind, .. } => *kind == FailureKind::Fault,
        };
        if !refused {
            return;
        }
        let what = match op {
            Operation::AssignField => match request.get(Param::FieldName) {
                "" => "the value (for no field name) is not in Encore".to_string(),
                field => format!("the value for {field} is not in Encore"),
            },
            _ => match request.get(Param::EventType) {
                "" => "the event (of no type) is not in Encore".to_string(),
                event => format!("the {event} event is not in Encore"),
            },
        };
        let answer = match &ex.outcome {
            Outcome::Answered(r) => format!("answered {}", r.code),
            Outcome::Failed { .. } => "refused with a fault".to_string(),
        };
        out.push(
            Finding::new(
                RuleId::DataLost,
                format!("{op} was {answer}: {what}"),
                vec![Seen::of(ex)],
            )
            .at_port(at.map(|i| self.ports.key(i).label()))
            .from_client(ex.client.as_deref()),
        );
    }

    // ---- init-every-call ----

    fn init_every_call(&mut self, ex: &Exchange, request: &Request, out: &mut Vec<Finding>) {
        let op = request.op();
        let (param, what) = match op {
            Operation::InitStation => (Param::Extension, "extension"),
            Operation::InitUser => (Param::User, "login"),
            _ => return,
        };
        let Some(r) = ex.response() else { return };
        let name = request.get(param);
        let answer: (u16, CompactString, CompactString) = (
            r.code,
            r.unit().map(CompactString::from).unwrap_or_default(),
            r.port().map(CompactString::from).unwrap_or_default(),
        );
        let answered_key = PortKey {
            unit: answer.1.clone(),
            port: answer.2.clone(),
        };
        // InitUser tells whose port this is, for desktop-not-paused.
        if op == Operation::InitUser && r.code == 100 && !name.is_empty() {
            self.ports.entry(&answered_key).login = Some(name.to_string());
        }
        let in_call = self.ports.get(&answered_key).is_some_and(|p| p.recording);
        let id = (op, name.to_lowercase());
        if let Some(prev) = self.inits.get(&id) {
            let soon = ex.sent - prev.sent < self.init_interval;
            if prev.answer == answer
                && (soon || in_call)
                && self.options.checks(RuleId::InitEveryCall)
            {
                let why = if in_call {
                    format!("during a call on port {}", answered_key.label())
                } else {
                    format!(
                        "{:.0} s after the last one",
                        (ex.sent - prev.sent).as_seconds_f64()
                    )
                };
                out.push(
                    Finding::new(
                        RuleId::InitEveryCall,
                        format!(
                            "{op} for {what} {name} again {why}, with the same answer ({} unit \
                             {} port {}): it is needed only at start and when the {what} changes",
                            answer.0, answer.1, answer.2
                        ),
                        vec![
                            Seen {
                                seq: prev.seq,
                                time: super::finding::stamp(prev.sent),
                                line: format!("{op} {name}"),
                            },
                            Seen::of(ex),
                        ],
                    )
                    .at_port((answer.0 == 100).then(|| answered_key.label()))
                    .from_client(ex.client.as_deref()),
                );
            }
        }
        self.inits.insert(
            id,
            InitSeen {
                sent: ex.sent,
                seq: ex.seq,
                answer,
            },
        );
    }
}

/// The request in hand, as overlapping-requests remembers it.
fn in_flight(ex: &Exchange, request: &Request) -> InFlight {
    InFlight {
        seq: ex.seq,
        op: Some(request.op()),
        sent: ex.sent,
        ended: ex.ended(),
    }
}

/// overlapping-requests for a request that names a port: `last` is the port's last request.
fn overlapping_port(
    check: bool,
    last: &mut Option<InFlight>,
    ex: &Exchange,
    request: &Request,
    key: &PortKey,
    out: &mut Vec<Finding>,
) {
    let now = in_flight(ex, request);
    if let Some(prev) = last {
        if check && overlap(prev, &now) {
            out.push(overlap_finding(prev, &now, ex, Some(key.label())));
        }
        if now.ended >= prev.ended {
            *prev = now;
        }
    } else {
        *last = Some(now);
    }
}

// ---- state-unchecked ----

/// state-unchecked: keeps whether the port's state was checked since it last changed, and the
/// finding when a recording-control request was answered a state code without a check.
fn state_unchecked(
    options: &Options,
    port: &mut PortState,
    ex: &Exchange,
    request: &Request,
    key: &PortKey,
) -> Option<Finding> {
    let code = ex.code()?;
    let op = request.op();
    match op {
        Operation::PortStatus | Operation::PortStatusEx => port.checked = true,
        Operation::StartRecording
        | Operation::StopRecording
        | Operation::PauseRecording
        | Operation::ResumeRecording
        | Operation::CancelRecording => {
            if code == 100 {
                port.checked = false;
                match op {
                    Operation::StartRecording => port.recording = true,
                    Operation::StopRecording | Operation::CancelRecording => port.recording = false,
                    _ => {}
                }
            } else if STATE_CODES.contains(&code)
                && !port.checked
                && options.checks(RuleId::StateUnchecked)
            {
                return Some(
                    Finding::new(
                        RuleId::StateUnchecked,
                        format!(
                            "{op} was answered {code} and no PortStatus or PortStatusEX for \
                             port {} came since its last change: the CRM acted on a state \
                             it had not checked",
                            key.label()
                        ),
                        vec![Seen::of(ex)],
                    )
                    .at_port(Some(key.label()))
                    .from_client(ex.client.as_deref()),
                );
            }
        }
        _ => {}
    }
    None
}

fn port_label(request: &Request) -> Option<String> {
    request
        .op()
        .takes_unit_and_port()
        .then(|| format!("{}/{}", request.get(Param::Unit), request.get(Param::Port)))
}

fn overlap(prev: &InFlight, now: &InFlight) -> bool {
    now.sent < prev.ended && prev.sent < now.ended
}

fn overlap_finding(
    prev: &InFlight,
    now: &InFlight,
    ex: &Exchange,
    port: Option<String>,
) -> Finding {
    let (first, second) = if prev.sent <= now.sent {
        (prev, now)
    } else {
        (now, prev)
    };
    let whose = match &port {
        Some(p) => format!("port {p}"),
        None => format!("client {}", ex.client.as_deref().unwrap_or("(unknown)")),
    };
    let mut seen = vec![first.seen(), second.seen()];
    // The exchange in hand is said in full.
    for s in &mut seen {
        if s.seq == ex.seq {
            *s = Seen::of(ex);
        }
    }
    Finding::new(
        RuleId::OverlappingRequests,
        format!(
            "{} for {whose} was sent before the {} sent {:.0} ms earlier was answered",
            second.op.map_or("a request", Operation::name),
            first.op.map_or("request", Operation::name),
            (second.sent - first.sent).as_seconds_f64() * 1000.0
        ),
        seen,
    )
    .at_port(port)
    .from_client(ex.client.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Response, ResponseCode};
    use crate::exchange::Note;
    use std::time::Duration;

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + TimeDelta::milliseconds(ms)
    }

    /// An exchange sent at `sent` ms, answered 10 ms later with `code`, from client `c`.
    fn ex(seq: u64, sent: i64, request: Request, code: u16) -> Exchange {
        Exchange {
            seq,
            sent: at(sent),
            answered: Some(at(sent + 10)),
            client: Some("127.0.0.1:5000".into()),
            outcome: Outcome::Answered(Response::raw(request.op(), code, "m")),
            request: Some(request),
            notes: Vec::new(),
        }
    }

    fn port_req(op: Operation, port: &str) -> Request {
        Request::new(op)
            .with(Param::Unit, "1")
            .with(Param::Port, port)
    }

    fn assign(value: &str) -> Request {
        port_req(Operation::AssignField, "1")
            .with(Param::FieldName, "fldCustomerAccountNum")
            .with(Param::FieldValue, value)
    }

    fn run(options: Options, exchanges: &[Exchange]) -> Vec<Finding> {
        let mut a = Auditor::new(options);
        let mut out = Vec::new();
        for e in exchanges {
            out.extend(a.observe(e));
        }
        out.extend(a.finish());
        out
    }

    fn rules(found: &[Finding]) -> Vec<RuleId> {
        found.iter().map(|f| f.rule).collect()
    }

    fn desktop_options() -> Options {
        Options {
            desktop_users: DesktopUsers::parse("CORP\\asmith").unwrap(),
            ..Options::default()
        }
    }

    fn init_user(seq: u64, sent: i64) -> Exchange {
        let mut e = ex(
            seq,
            sent,
            Request::new(Operation::InitUser).with(Param::User, "corp\\ASMITH"),
            100,
        );
        let mut r = Response::new(Operation::InitUser, ResponseCode::Success);
        r.set_unit("1");
        r.set_port("1");
        e.outcome = Outcome::Answered(r);
        e
    }

    fn desktop_pause(seq: u64, sent: i64) -> Exchange {
        ex(
            seq,
            sent,
            Request::new(Operation::DesktopPause).with(Param::User, "CORP\\asmith"),
            100,
        )
    }

    #[test]
    fn card_data_fires_on_a_luhn_valid_card_number_and_shows_it_masked() {
        let found = run(
            Options::default(),
            &[ex(1, 0, assign("4111 1111 1111 1111"), 100)],
        );
        assert_eq!(rules(&found), [RuleId::CardData]);
        assert!(
            found[0].message.contains("4111 11** **** 1111"),
            "{}",
            found[0].message
        );
        let text = found[0].text();
        assert!(!text.contains("4111 1111 1111 1111"), "unmasked: {text}");
        assert!(text.contains("fieldValue=4111 11** **** 1111"), "{text}");
    }

    #[test]
    fn card_data_ignores_a_twelve_digit_number_and_a_luhn_failing_sixteen_digit_one() {
        let found = run(
            Options::default(),
            &[
                ex(1, 0, assign("411111111111"), 100),
                ex(2, 100, assign("4111111111111112"), 100),
            ],
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn card_data_is_found_in_any_parameter_such_as_a_log_events_parm() {
        let r = port_req(Operation::LogEvent, "1")
            .with(Param::EventType, "Payment")
            .with(Param::Parm2, "card=5555-5555-5555-4444");
        let found = run(Options::default(), &[ex(1, 0, r, 100)]);
        assert_eq!(rules(&found), [RuleId::CardData]);
        assert!(found[0].message.contains("Parm2"), "{}", found[0].message);
    }

    #[test]
    fn desktop_not_paused_fires_when_no_desktop_pause_comes_within_the_window() {
        let found = run(
            desktop_options(),
            &[
                init_user(1, 0),
                ex(2, 1_000, port_req(Operation::PauseRecording, "1"), 100),
                desktop_pause(3, 6_500),
            ],
        );
        assert_eq!(rules(&found), [RuleId::DesktopNotPaused]);
        assert!(
            found[0].message.contains("corp\\ASMITH"),
            "{}",
            found[0].message
        );
        assert_eq!(found[0].port.as_deref(), Some("1/1"));
    }

    #[test]
    fn desktop_pause_four_seconds_after_the_pause_is_enough() {
        let found = run(
            desktop_options(),
            &[
                init_user(1, 0),
                ex(2, 1_000, port_req(Operation::PauseRecording, "1"), 100),
                desktop_pause(3, 5_000),
            ],
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn desktop_pause_before_the_pause_is_enough_and_a_user_without_desktop_needs_none() {
        let found = run(
            desktop_options(),
            &[
                init_user(1, 0),
                desktop_pause(2, 500),
                ex(3, 1_000, port_req(Operation::PauseRecording, "1"), 100),
                // Port 2's user is unknown and only asmith's desktop is recorded.
                ex(4, 2_000, port_req(Operation::PauseRecording, "2"), 100),
            ],
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn desktop_not_paused_covers_resumes_and_seats_known_from_a_directory() {
        let options = Options {
            seats: vec![super::super::Seat {
                login: "CORP\\asmith".into(),
                unit: "1".into(),
                port: "1".into(),
            }],
            ..desktop_options()
        };
        let found = run(
            options,
            &[ex(1, 0, port_req(Operation::ResumeRecording, "1"), 100)],
        );
        assert_eq!(rules(&found), [RuleId::DesktopNotPaused]);
        assert!(
            found[0].message.contains("DesktopResume"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn desktop_users_none_turns_the_rule_off_and_all_covers_unknown_users() {
        let pause = [ex(1, 0, port_req(Operation::PauseRecording, "9"), 100)];
        assert!(run(Options::default(), &pause).is_empty());
        let all = Options {
            desktop_users: DesktopUsers::All,
            ..Options::default()
        };
        assert_eq!(rules(&run(all, &pause)), [RuleId::DesktopNotPaused]);
    }

    #[test]
    fn overlapping_requests_fires_for_a_second_request_to_a_port_before_the_first_was_answered() {
        let mut second = ex(2, 5, port_req(Operation::AssignField, "1"), 100);
        second.request = Some(assign("x"));
        let found = run(
            Options::default(),
            &[ex(1, 0, port_req(Operation::PortStatus, "1"), 100), second],
        );
        assert_eq!(rules(&found), [RuleId::OverlappingRequests]);
        assert_eq!(found[0].exchanges.len(), 2);
    }

    #[test]
    fn two_requests_for_two_ports_at_once_do_not_overlap() {
        let found = run(
            Options::default(),
            &[
                ex(1, 0, port_req(Operation::PortStatus, "1"), 100),
                ex(2, 5, port_req(Operation::PortStatus, "2"), 100),
                ex(3, 20, port_req(Operation::PortStatus, "1"), 100),
            ],
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn requests_naming_no_port_overlap_per_client() {
        let a = Request::new(Operation::InitStation).with(Param::Extension, "2001");
        let b = Request::new(Operation::InitStation).with(Param::Extension, "2002");
        let c = Request::new(Operation::InitStation).with(Param::Extension, "2003");
        let mut other = ex(3, 6, c, 100);
        other.client = Some("127.0.0.1:6000".into());
        let found = run(
            Options::default(),
            &[ex(1, 0, a, 100), ex(2, 5, b, 100), other],
        );
        assert_eq!(rules(&found), [RuleId::OverlappingRequests]);
        assert!(
            found[0].message.contains("client 127.0.0.1:5000"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn retry_storm_fires_on_the_fourth_same_answer_within_ten_seconds_once() {
        let start = port_req(Operation::StartRecording, "1");
        let e: Vec<Exchange> = (0..6)
            .map(|i| ex(i + 1, i as i64 * 500, start.clone(), 618))
            .collect();
        let found = run(Options::default(), &e);
        assert_eq!(rules(&found), [RuleId::RetryStorm]);
        assert_eq!(found[0].exchanges.len(), 4);
        assert_eq!(found[0].exchanges[3].seq, 4);
    }

    #[test]
    fn three_answers_or_four_spread_over_more_than_ten_seconds_are_no_storm() {
        let start = port_req(Operation::StartRecording, "1");
        let three: Vec<Exchange> = (0..3)
            .map(|i| ex(i + 1, i as i64 * 500, start.clone(), 618))
            .collect();
        assert!(run(Options::default(), &three).is_empty());
        let slow: Vec<Exchange> = (0..4)
            .map(|i| ex(i + 1, i as i64 * 4_000, start.clone(), 618))
            .collect();
        assert!(run(Options::default(), &slow).is_empty());
    }

    #[test]
    fn wire_fires_on_a_note_but_not_on_a_harmless_one() {
        let mut e = ex(1, 0, port_req(Operation::PortStatus, "1"), 606);
        e.notes = vec![Note::new("Unit arrived after Port (hence 606)")];
        let found = run(Options::default(), &[e.clone()]);
        assert_eq!(rules(&found), [RuleId::Wire]);
        assert!(found[0].message.contains("Unit arrived after Port"));
        e.notes = vec![Note {
            text: "header Session arrived without mustUnderstand".into(),
            harmless: true,
        }];
        e.outcome = Outcome::Answered(Response::raw(Operation::PortStatus, 100, "ok"));
        assert!(run(Options::default(), &[e]).is_empty());
    }

    #[test]
    fn state_unchecked_fires_on_a_608_without_port_status_since_the_last_change() {
        let found = run(
            Options::default(),
            &[
                ex(1, 0, port_req(Operation::StartRecording, "1"), 100),
                ex(2, 100, port_req(Operation::StopRecording, "1"), 100),
                ex(3, 200, port_req(Operation::StopRecording, "1"), 608),
            ],
        );
        assert_eq!(rules(&found), [RuleId::StateUnchecked]);
    }

    #[test]
    fn port_status_before_the_608_is_a_checked_state() {
        let found = run(
            Options::default(),
            &[
                ex(1, 0, port_req(Operation::StartRecording, "1"), 100),
                ex(2, 100, port_req(Operation::StopRecording, "1"), 100),
                ex(3, 200, port_req(Operation::PortStatus, "1"), 100),
                ex(4, 300, port_req(Operation::StopRecording, "1"), 608),
            ],
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn data_lost_fires_on_a_refused_assign_field_not_on_an_accepted_one() {
        let found = run(
            Options::default(),
            &[ex(1, 0, assign("A-1"), 100), ex(2, 100, assign("A-2"), 653)],
        );
        assert_eq!(rules(&found), [RuleId::DataLost]);
        assert!(found[0].message.contains("fldCustomerAccountNum"));
    }

    #[test]
    fn init_every_call_fires_within_the_interval_with_the_same_answer_only() {
        let init = |seq, sent, ext: &str, port: &str| {
            let mut e = ex(
                seq,
                sent,
                Request::new(Operation::InitStation).with(Param::Extension, ext),
                100,
            );
            let mut r = Response::new(Operation::InitStation, ResponseCode::Success);
            r.set_unit("1");
            r.set_port(port);
            e.outcome = Outcome::Answered(r);
            e
        };
        let found = run(
            Options::default(),
            &[init(1, 0, "2001", "1"), init(2, 60_000, "2001", "1")],
        );
        assert_eq!(rules(&found), [RuleId::InitEveryCall]);
        // An extension change, and the same extension after the interval, are fine.
        let fine = run(
            Options::default(),
            &[
                init(1, 0, "2001", "1"),
                init(2, 1_000, "2002", "2"),
                init(3, 700_000, "2001", "1"),
            ],
        );
        assert!(fine.is_empty(), "{fine:?}");
        // Within a call, even after the interval.
        let call = run(
            Options::default(),
            &[
                init(1, 0, "2001", "1"),
                ex(2, 1_000, port_req(Operation::StartRecording, "1"), 100),
                init(3, 700_000, "2001", "1"),
            ],
        );
        assert_eq!(rules(&call), [RuleId::InitEveryCall]);
        assert!(
            call[0].message.contains("during a call"),
            "{}",
            call[0].message
        );
    }

    #[test]
    fn url_too_early_fires_for_a_link_opened_while_recording_only() {
        let mut a = Auditor::new(Options::default());
        assert!(a.player_opened(at(0), None, "42", true).is_empty());
        let found = a.player_opened(at(0), Some("127.0.0.1:1"), "43", false);
        assert_eq!(rules(&found), [RuleId::UrlTooEarly]);
        assert_eq!(a.counts().get(&RuleId::UrlTooEarly), Some(&1));
    }

    #[test]
    fn an_allowed_rule_is_not_checked_and_windows_are_options() {
        let mut options = Options::default();
        options.allow.insert(RuleId::CardData);
        assert!(run(options, &[ex(1, 0, assign("4111111111111111"), 100)]).is_empty());
        let start = port_req(Operation::StartRecording, "1");
        let two = Options {
            retry_limit: 1,
            retry_window: Duration::from_secs(1),
            ..Options::default()
        };
        let e = [ex(1, 0, start.clone(), 618), ex(2, 500, start, 618)];
        assert_eq!(rules(&run(two, &e)), [RuleId::RetryStorm]);
    }

    #[test]
    fn coverage_counts_codes_per_operation_and_failures() {
        let mut a = Auditor::new(Options::default());
        a.observe(&ex(1, 0, port_req(Operation::StartRecording, "1"), 618));
        let mut dropped = ex(2, 100, port_req(Operation::StopRecording, "1"), 100);
        dropped.outcome = Outcome::Failed {
            kind: FailureKind::Dropped,
            detail: "closed".into(),
        };
        a.observe(&dropped);
        let c = a.coverage();
        assert_eq!(c.codes.get(&(Operation::StartRecording, 618)), Some(&1));
        assert_eq!(c.failures.get(&FailureKind::Dropped), Some(&1));
        assert!(!c.codes_never_seen().contains(&618));
        assert!(c.codes_never_seen().contains(&651));
        assert!(
            c.text().contains("wire faults met: dropped 1"),
            "{}",
            c.text()
        );
    }
}
