//! Who may use what: the guards in front of the control interface and the URL player, and basic
//! authentication in front of everything.
//!
//! The control interface reads customer data (recordings, events, the journal) and changes the
//! simulator, so it answers only a request that
//! 1. names this server in its `Host` (loopback, the listen address or name): a web page that
//!    rebinds its own DNS name to this machine sends its own name and is refused (403);
//! 2. is a JSON POST (`Content-Type: application/json`): a web page can send a cross-site
//!    `text/plain` or form POST without asking, but not a JSON one, so those are refused (415);
//! 3. carries the control token in [`TOKEN_HEADER`] when one is required (a server listening
//!    beyond loopback always requires one), else 403.
//!
//! With `--no-control` it answers 404 to everything. The player page checks the `Host` too and,
//! when links are keyed ([`super::secret::LinkKeys`]), the link's `key`. These are axum
//! middleware applied to their routes by [`super::handler::router`]; basic authentication is
//! checked by the connection's service ([`super::front`]) before a byte of the body is read,
//! answering 401 as IIS does.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;

use super::log::RequestLog;
use super::secret::{self, LinkKeys};
use super::url_player;

pub use crate::client::control::CONTROL_TOKEN_HEADER as TOKEN_HEADER;

/// What the control interface and the player page let through.
#[derive(Debug)]
pub struct Guard {
    /// Whether the control interface answers at all (`--no-control` turns it off).
    pub control: bool,
    /// The token a control request must carry; `None`: none required (loopback).
    pub token: Option<String>,
    /// The keys player links carry; `None`: links carry no key (loopback).
    pub link_keys: Option<LinkKeys>,
    /// The `Host` names this server answers to.
    pub hosts: Hosts,
    /// Where refusals are logged.
    pub log: Option<Arc<RequestLog>>,
}

/// The `Host` values that name this server: loopback names and addresses, the listen address or
/// name, and, for a server listening on every address (`0.0.0.0`, `[::]`), any IP address (an
/// address cannot be rebound; a DNS name can).
#[derive(Debug, Clone)]
pub struct Hosts {
    names: Vec<String>,
    listen_ip: Option<IpAddr>,
    any_ip: bool,
}

impl Hosts {
    /// The names for a server bound to `bound`, listening as the user wrote it (`listen`, e.g.
    /// `myhost:8080`).
    pub fn new(listen: &str, bound: IpAddr) -> Hosts {
        let mut names = vec!["localhost".to_string()];
        let (host, _) = split_port(listen);
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if !host.is_empty() && host.parse::<IpAddr>().is_err() {
            names.push(host);
        }
        Hosts {
            names,
            listen_ip: Some(bound),
            any_ip: bound.is_unspecified(),
        }
    }

    /// Whether a `Host` header value names this server.
    pub fn allows(&self, host: &str) -> bool {
        let (name, _) = split_port(host.trim());
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        match name.parse::<IpAddr>() {
            Ok(ip) => ip.is_loopback() || self.any_ip || Some(ip) == self.listen_ip,
            Err(_) => self.names.contains(&name),
        }
    }

    /// The names, for messages.
    fn describe(&self) -> String {
        let mut names = self.names.clone();
        names.push("127.0.0.1".to_string());
        names.push("[::1]".to_string());
        match self.listen_ip {
            _ if self.any_ip => names.push("any IP address".to_string()),
            Some(ip) if !ip.is_loopback() => names.push(ip.to_string()),
            _ => {}
        }
        names.join(", ")
    }
}

/// `host[:port]` or `[v6][:port]` → the host (without brackets) and the port text.
fn split_port(text: &str) -> (&str, &str) {
    if let Some(rest) = text.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((host, port)) => (host, port.trim_start_matches(':')),
            None => (text, ""),
        };
    }
    match text.rsplit_once(':') {
        // More than one colon without brackets: an IPv6 address without a port.
        Some((host, _)) if host.contains(':') => (text, ""),
        Some((host, port)) => (host, port),
        None => (text, ""),
    }
}

/// A refused request: the answer, and what the log line says of it.
type Refusal = (Response, String);

impl Guard {
    /// Why a request's `Host` is refused, if it is.
    fn host_refusal(&self, headers: &HeaderMap) -> Option<Refusal> {
        let host = headers.get(header::HOST).map(|h| h.to_str().unwrap_or("?"));
        match host {
            Some(host) if self.hosts.allows(host) => None,
            Some(host) => Some((
                plain(
                    StatusCode::FORBIDDEN,
                    &format!(
                        "the Host '{host}' does not name this server: it answers to {} (listen \
                         on the name clients use, --listen NAME:PORT, to add it)",
                        self.hosts.describe()
                    ),
                ),
                format!("foreign Host '{host}'"),
            )),
            None => Some((
                plain(
                    StatusCode::FORBIDDEN,
                    "the request has no Host header naming this server",
                ),
                "no Host".to_string(),
            )),
        }
    }

    fn control_refusal(&self, request: &Request) -> Option<Refusal> {
        if !self.control {
            return Some((
                plain(
                    StatusCode::NOT_FOUND,
                    "the control interface is off on this server (ecapi serve --no-control)",
                ),
                "off".to_string(),
            ));
        }
        let headers = request.headers();
        if let Some(refusal) = self.host_refusal(headers) {
            return Some(refusal);
        }
        if request.method() == Method::POST && !is_json(headers.get(header::CONTENT_TYPE)) {
            let got = headers
                .get(header::CONTENT_TYPE)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .unwrap_or_default();
            return Some((
                plain(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    &format!("the control interface takes only 'application/json', not '{got}'"),
                ),
                format!("content type '{got}'"),
            ));
        }
        let token = self.token.as_ref()?;
        match headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok()) {
            Some(given) if secret::same(given.trim(), token) => None,
            Some(_) => Some((
                plain(
                    StatusCode::FORBIDDEN,
                    "the control token is wrong: use the one `ecapi serve` printed at start or \
                     was given with --control-token",
                ),
                "wrong token".to_string(),
            )),
            None => Some((
                plain(
                    StatusCode::FORBIDDEN,
                    &format!(
                        "the control interface of this server needs its token: pass \
                         --control-token TOKEN or set ECAPI_CONTROL_TOKEN (a client sends it in \
                         the {TOKEN_HEADER} header); `ecapi serve` printed it at start"
                    ),
                ),
                "no token".to_string(),
            )),
        }
    }

    fn player_refusal(&self, request: &Request) -> Option<Refusal> {
        if let Some(refusal) = self.host_refusal(request.headers()) {
            return Some(refusal);
        }
        let keys = self.link_keys.as_ref()?;
        let query = request.uri().query().unwrap_or("");
        let index = url_player::param(query, url_player::INDEX_PARAM).unwrap_or_default();
        let key = url_player::param(query, url_player::KEY_PARAM).unwrap_or_default();
        // A session's player (`/sessions/<id>/…`) opens only links keyed for that session.
        let session = request
            .uri()
            .path()
            .strip_prefix(super::sessions::SESSIONS_PREFIX)
            .and_then(|rest| rest.strip_prefix('/'))
            .and_then(|rest| rest.split('/').next());
        if keys.verify(session, &index, &key) {
            return None;
        }
        let mut response = Response::new(Body::from(url_player::not_found(
            "This link's key is missing or wrong: open the link exactly as GetURL handed it out.",
        )));
        *response.status_mut() = StatusCode::NOT_FOUND;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        Some((response, "wrong or missing link key".to_string()))
    }

    /// Logs a refusal and returns its answer.
    fn logged(
        &self,
        request: &Request,
        (refusal, why): Refusal,
        what: &str,
        started: Instant,
    ) -> Response {
        if let (Some(log), Some(ConnectInfo(peer))) = (
            &self.log,
            request.extensions().get::<ConnectInfo<SocketAddr>>(),
        ) {
            log.request(
                *peer,
                request.method(),
                &secret::LoggedUri(request.uri()),
                refusal.status().as_u16(),
                &format!("{what} refused: {why}"),
                started.elapsed(),
            );
        }
        refusal
    }
}

/// The control interface's guard (see the module's doc).
pub async fn control(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    match guard.control_refusal(&request) {
        None => next.run(request).await,
        Some(refusal) => guard.logged(&request, refusal, "control", started),
    }
}

/// The player page's guard: the `Host`, and the link's key when links are keyed.
pub async fn player(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    match guard.player_refusal(&request) {
        None => next.run(request).await,
        Some(refusal) => guard.logged(&request, refusal, "player", started),
    }
}

/// The user and password of `--basic-auth USER:PASSWORD`.
#[derive(Debug, Clone)]
pub struct BasicAuth {
    user: String,
    password: String,
}

impl BasicAuth {
    /// Reads `USER:PASSWORD` (the password may contain colons, the user may not).
    ///
    /// # Errors
    /// No colon, or an empty user, as a message for `--basic-auth`.
    pub fn parse(text: &str) -> Result<BasicAuth, String> {
        match text.split_once(':') {
            Some((user, password)) if !user.is_empty() => Ok(BasicAuth {
                user: user.to_string(),
                password: password.to_string(),
            }),
            _ => Err(format!(
                "'{text}' is not USER:PASSWORD (a user, a colon, then the password)"
            )),
        }
    }

    /// The 401 to answer a request without these credentials with, or `None` when it has them.
    /// IIS answers `WWW-Authenticate: Basic realm="<host>"` (the realm defaults to the host the
    /// client asked for) with its "401 - Unauthorized" error page.
    pub fn refusal(&self, headers: &HeaderMap) -> Option<Response> {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("basic").then_some(rest.trim())
            })
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .and_then(|raw| String::from_utf8(raw).ok());
        let good = given
            .as_deref()
            .and_then(|g| g.split_once(':'))
            .is_some_and(|(user, password)| {
                // Both compared, whatever the first's outcome, so timing tells nothing.
                secret::same(user, &self.user) & secret::same(password, &self.password)
            });
        if good {
            return None;
        }
        let realm = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| split_port(h).0.to_string())
            .filter(|h| {
                h.bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
            })
            .unwrap_or_else(|| "localhost".to_string());
        let mut response = Response::new(Body::from(UNAUTHORIZED_PAGE));
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
        if let Ok(value) = HeaderValue::from_str(&format!("Basic realm=\"{realm}\"")) {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        Some(response)
    }
}

/// IIS's page for 401.1/401.2 (custom errors, as a remote client sees them).
const UNAUTHORIZED_PAGE: &str = "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \
\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\r\n\
<html xmlns=\"http://www.w3.org/1999/xhtml\">\r\n<head>\r\n\
<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"/>\r\n\
<title>401 - Unauthorized: Access is denied due to invalid credentials.</title>\r\n</head>\r\n\
<body>\r\n<div id=\"header\"><h1>Server Error</h1></div>\r\n<div id=\"content\">\r\n \
<div class=\"content-container\"><fieldset>\r\n  \
<h2>401 - Unauthorized: Access is denied due to invalid credentials.</h2>\r\n  \
<h3>You do not have permission to view this directory or page using the credentials that you \
supplied.</h3>\r\n </fieldset></div>\r\n</div>\r\n</body>\r\n</html>\r\n";

fn is_json(value: Option<&HeaderValue>) -> bool {
    value
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

fn plain(status: StatusCode, text: &str) -> Response {
    let mut response = Response::new(Body::from(text.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_the_listen_name_are_this_server_other_names_are_not() {
        let hosts = Hosts::new("127.0.0.1:8080", "127.0.0.1".parse().unwrap());
        for good in [
            "127.0.0.1:8080",
            "localhost",
            "LOCALHOST:1",
            "[::1]:8080",
            "127.0.0.2",
        ] {
            assert!(hosts.allows(good), "{good}");
        }
        for bad in [
            "evil.example:8080",
            "10.0.0.5:8080",
            "",
            "localhost.evil.example",
        ] {
            assert!(!hosts.allows(bad), "{bad}");
        }
        let named = Hosts::new("crm-staging:8080", "10.0.0.5".parse().unwrap());
        assert!(named.allows("crm-staging:8080"));
        assert!(named.allows("10.0.0.5"));
        assert!(!named.allows("10.0.0.6"));
        let wild = Hosts::new("0.0.0.0:8080", "0.0.0.0".parse().unwrap());
        assert!(wild.allows("10.0.0.6:8080"));
        assert!(!wild.allows("evil.example"));
    }

    #[test]
    fn basic_credentials_must_match_both_parts() {
        let auth = BasicAuth::parse("a:b:c").unwrap();
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
            h
        };
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert!(auth
            .refusal(&with(&format!("Basic {}", b64("a:b:c"))))
            .is_none());
        assert!(auth
            .refusal(&with(&format!("basic {}", b64("a:b:c"))))
            .is_none());
        assert!(auth
            .refusal(&with(&format!("Basic {}", b64("a:b"))))
            .is_some());
        assert!(auth.refusal(&with("Bearer x")).is_some());
        assert!(auth.refusal(&HeaderMap::new()).is_some());
        assert!(BasicAuth::parse("nocolon").is_err());
        assert!(BasicAuth::parse(":pw").is_err());
    }
}
