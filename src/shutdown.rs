//! The request to stop a long-running command (`ecapi serve`, `ecapi proxy`): Ctrl-C, or SIGTERM
//! on Unix (what `kill`, systemd and container runtimes send). Windows has only Ctrl-C here.
//! Owns nothing else; the commands decide what stopping means.

/// Completes at the first Ctrl-C or SIGTERM. When SIGTERM cannot be listened for, only Ctrl-C
/// counts.
pub async fn requested() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
