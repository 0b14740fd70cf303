//! Simulator sessions: simulators of their own on one `ecapi serve`, so that tests running in
//! parallel (`ecapi test --endpoint URL`), or developers sharing a staging server, do not see each
//! other's ports, recordings, faults or clock moves.
//!
//! A session is made through the server's control interface (`{"fn":"session_new"}` posted to
//! `<endpoint>/control`) and answered with its id and endpoint path. Each session is a whole served
//! simulator: a new simulator built as the server's own was (same profile, configuration, API
//! version and clock mode; the recorder's database in memory), its own wire faults, its SOAP
//! endpoint and WSDL at `/sessions/<id>/WebAPI/ECAPI.svc`, its control interface under that path
//! and its URL player page at `/sessions/<id>/encore/urlplayer.aspx`. It ends when dropped
//! (`{"fn":"session_drop"}` on its own control path) or after it was left idle for the server's
//! idle time (`--session-idle`, 10 minutes by default): expiry is checked whenever a session is
//! made or used. The server refuses sessions beyond its maximum (`--max-sessions`) with a message
//! saying so.
//!
//! Ids are 128 random bits from the operating system, in hex: knowing one session's endpoint does
//! not give another's. Tenants stay apart: a session's control path reaches that session only (it
//! cannot make sessions, and `session_drop` there names no other session); its player links are
//! keyed for it alone (see [`super::secret`]), since every simulator counts call indexes from 1;
//! and the request log shows only the first characters of its id.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::handler::{self, AppState};
use crate::simulator::Simulator;

/// How long a session may stay idle before it ends, unless told otherwise.
pub const DEFAULT_SESSION_IDLE: Duration = Duration::from_secs(600);

/// How many sessions a server keeps at once, unless told otherwise.
pub const DEFAULT_MAX_SESSIONS: usize = 64;

/// The path under which sessions live.
pub const SESSIONS_PREFIX: &str = "/sessions";

/// Builds a new simulator for a session, as the server's own was built.
pub type SimulatorFactory = Arc<dyn Fn() -> Result<Simulator, String> + Send + Sync>;

/// How a server offers sessions.
#[derive(Clone)]
pub struct SessionOptions {
    /// Builds each session's simulator.
    pub make: SimulatorFactory,
    /// How long a session may stay idle before it ends.
    pub idle: Duration,
    /// How many sessions may exist at once.
    pub max: usize,
}

impl std::fmt::Debug for SessionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionOptions")
            .field("idle", &self.idle)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

impl SessionOptions {
    /// Sessions built by `make`, with the default idle time and maximum.
    pub fn new(make: SimulatorFactory) -> SessionOptions {
        SessionOptions {
            make,
            idle: DEFAULT_SESSION_IDLE,
            max: DEFAULT_MAX_SESSIONS,
        }
    }
}

struct Entry {
    state: Arc<AppState>,
    last_used: Instant,
}

/// The sessions of one server.
pub struct Sessions {
    options: SessionOptions,
    /// `http://host:port`, the base of each session's URL player links.
    base: String,
    /// Keys the links, when the server keys them: each session's with its own id, so that its
    /// links open only its own recordings.
    keys: Option<super::secret::LinkKeys>,
    live: Mutex<HashMap<String, Entry>>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("options", &self.options)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Sessions {
    /// Sessions of a server whose links start with `base` (`http://127.0.0.1:8080`).
    pub fn new(
        options: SessionOptions,
        base: String,
        keys: Option<super::secret::LinkKeys>,
    ) -> Sessions {
        Sessions {
            options,
            base,
            keys,
            live: Mutex::new(HashMap::new()),
        }
    }

    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Ends the sessions idle for longer than the idle time.
    fn sweep(&self, live: &mut HashMap<String, Entry>) {
        let idle = self.options.idle;
        live.retain(|_, e| e.last_used.elapsed() <= idle);
    }

    /// Makes a session under `parent`'s settings: its id and its endpoint's path.
    fn create(&self, parent: &AppState) -> Result<(String, String), String> {
        {
            let mut live = self.live();
            self.sweep(&mut live);
            if live.len() >= self.options.max {
                return Err(format!(
                    "this server already has {} sessions, its most (ecapi serve --max-sessions): \
                     drop one, or wait for one to end after {} s idle",
                    live.len(),
                    self.options.idle.as_secs()
                ));
            }
        }
        let id = new_id()?;
        let mut simulator = (self.options.make)()
            .map_err(|e| format!("the session's simulator could not be built: {e}"))?;
        let base = format!("{}{SESSIONS_PREFIX}/{id}", self.base);
        match &self.keys {
            Some(keys) => {
                simulator.sign_own_player_links(&base, keys.signer(Some(&id)));
            }
            None => simulator.default_url_player(&base),
        }
        let path = format!("{SESSIONS_PREFIX}/{id}{}", parent.names.path);
        let state = Arc::new(parent.for_session(simulator, path.clone(), id.clone()));
        let mut live = self.live();
        if live.len() >= self.options.max {
            return Err(format!(
                "this server already has {} sessions, its most (ecapi serve --max-sessions)",
                live.len()
            ));
        }
        live.insert(
            id.clone(),
            Entry {
                state,
                last_used: Instant::now(),
            },
        );
        Ok((id, path))
    }

    /// The session with that id, marked as used now; `None` when there is none (never made,
    /// dropped, or expired).
    fn get(&self, id: &str) -> Option<Arc<AppState>> {
        let mut live = self.live();
        self.sweep(&mut live);
        let entry = live.get_mut(id)?;
        entry.last_used = Instant::now();
        Some(entry.state.clone())
    }

    /// Ends a session; whether there was one.
    fn remove(&self, id: &str) -> bool {
        self.live().remove(id).is_some()
    }
}

/// 128 random bits in hex.
fn new_id() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random numbers for a session id: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Answers a session command sent to a control interface: `session_new` on the server's own,
/// `session_drop` on a session's own (or on the server's, with the session's `id`).
pub(super) fn answer(app: &AppState, command: &crate::client::control::Command) -> Value {
    use crate::client::control::Command;
    let refuse = |message: String| json!({"ok": false, "kind": "Invalid", "message": message});
    let Some(sessions) = app.sessions.as_ref() else {
        return refuse("this server offers no sessions".to_string());
    };
    match command {
        Command::SessionNew => {
            if app.session_id.is_some() {
                return refuse(
                    "a session cannot make sessions: ask the server's own control path".to_string(),
                );
            }
            match sessions.create(app) {
                Ok((id, path)) => json!({"ok": true, "value": {"id": id, "path": path}}),
                Err(message) => refuse(message),
            }
        }
        Command::SessionDrop(id) => {
            // A session's control reaches that session only: it may drop itself, never another.
            if let (Some(own), Some(named)) = (app.session_id.as_deref(), id.as_deref()) {
                if !super::secret::same(own, named) {
                    return refuse(
                        "a session's control path drops only its own session: send session_drop \
                         without an id, or to the server's own control path"
                            .to_string(),
                    );
                }
            }
            let Some(id) = id.as_deref().or(app.session_id.as_deref()) else {
                return refuse("session_drop needs the session's id".to_string());
            };
            if sessions.remove(id) {
                json!({"ok": true, "value": null})
            } else {
                refuse(format!(
                    "no session {id} (dropped, or ended after being idle)"
                ))
            }
        }
        _ => refuse("not a session command".to_string()),
    }
}

/// The session named in the path.
fn lookup(app: &AppState, id: &str) -> Option<Arc<AppState>> {
    app.sessions.as_ref().and_then(|s| s.get(id))
}

/// The answer for a session that does not exist.
fn no_session(id: &str) -> Response {
    handler::plain(
        StatusCode::NOT_FOUND,
        &format!(
            "no session {id} on this server (dropped, or ended after being idle); \
             make one with `ecapi session new --endpoint URL`"
        ),
    )
}

/// A session's SOAP endpoint and WSDL.
pub(super) async fn endpoint(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    peer: ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> Response {
    match lookup(&app, &id) {
        Some(session) => handler::endpoint(State(session), peer, request).await,
        None => no_session(&id),
    }
}

/// A session's control interface.
pub(super) async fn control(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    peer: ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> Response {
    match lookup(&app, &id) {
        Some(session) => handler::control_endpoint(State(session), peer, request).await,
        None => no_session(&id),
    }
}

/// A session's URL player page.
pub(super) async fn player(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    peer: ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> Response {
    match lookup(&app, &id) {
        Some(session) => handler::player(State(session), peer, request).await,
        None => no_session(&id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_128_random_bits_in_hex() {
        let a = new_id().unwrap();
        let b = new_id().unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
