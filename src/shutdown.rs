//! The request to stop a long-running command (`ecapi serve`, `ecapi proxy`, `ecapi test`):
//! Ctrl-C, or SIGTERM on Unix (what `kill`, systemd, CI runners and container runtimes send).
//! Windows has only Ctrl-C here. Owns nothing else; the commands decide what stopping means.

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

/// Which request to stop arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Ctrl-C (SIGINT on Unix).
    Interrupt,
    /// SIGTERM (Unix only).
    Terminate,
}

impl Signal {
    /// Its name, as users know it.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt if cfg!(unix) => "SIGINT",
            Signal::Interrupt => "Ctrl-C",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// The exit code of a command it ended: 128 + the signal's number, as shells report it
    /// (130 for SIGINT, 143 for SIGTERM).
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }
}

/// Calls `on_signal` once, on a thread of its own, at the first Ctrl-C or SIGTERM, for a command
/// that has work to finish before it ends (`ecapi test` writes its reports). A second one ends
/// the process at once with that signal's exit code, for a user who will not wait.
///
/// # Errors
/// The thread or its signal listeners could not be set up; the default behaviour (the process
/// ends) then stays.
pub fn on_signal(on_signal: impl FnOnce(Signal) + Send + 'static) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Listen before returning, so that a signal arriving right after is not missed.
    #[cfg(unix)]
    let mut listeners = {
        use tokio::signal::unix::{signal, SignalKind};
        let _in = runtime.enter();
        (
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        )
    };
    // Only Unix's listeners need the closure to be `FnMut`.
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut next = move || -> Signal {
        runtime.block_on(async {
            #[cfg(unix)]
            {
                let (interrupt, terminate) = &mut listeners;
                tokio::select! {
                    _ = interrupt.recv() => Signal::Interrupt,
                    _ = terminate.recv() => Signal::Terminate,
                }
            }
            #[cfg(not(unix))]
            {
                match tokio::signal::ctrl_c().await {
                    Ok(()) => Signal::Interrupt,
                    Err(_) => std::future::pending().await,
                }
            }
        })
    };
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            on_signal(next());
            let second = next();
            std::process::exit(i32::from(second.exit_code()));
        })?;
    Ok(())
}
