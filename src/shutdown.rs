//! The request to stop a long-running command: Ctrl-C, or SIGTERM on Unix (what `kill`, systemd and
//! container runtimes send). Windows has only Ctrl-C (and Ctrl-Break) here. [`requested`] is the
//! future `ecapi serve` and `ecapi proxy` await; [`watch`] calls back at every signal, for the
//! commands that are not async (`ecapi load`); [`on_signal`] calls back once and lets a second
//! signal end the process (`ecapi test`). Owns nothing else; the commands decide what stopping
//! means.

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

/// A signal asking a command to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT: Ctrl-C at a terminal (on Windows, Ctrl-C or Ctrl-Break).
    Interrupt,
    /// SIGTERM (Unix only): what `kill`, `timeout`, CI runners and service managers send.
    Terminate,
}

impl Signal {
    /// Its usual name: `SIGINT`, `SIGTERM`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// The exit code of a command it stopped, by the shell's convention (128 + the signal's
    /// number): 130 for SIGINT, 143 for SIGTERM.
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }
}

/// For commands that are not async (`ecapi load`): calls `on_signal` at every Ctrl-C and, on Unix,
/// every SIGTERM, on a thread of its own, for the rest of the process. The signals are listened
/// for when this returns, so one that comes right after is not lost (nor kills the process).
///
/// Errors: the signal handlers could not be installed (another handler owns them).
pub fn watch(mut on_signal: impl FnMut(Signal) + Send + 'static) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let listening = {
        let _inside = runtime.enter();
        Listening::start()?
    };
    std::thread::Builder::new()
        .name("signals".to_string())
        .spawn(move || {
            runtime.block_on(async move {
                let mut listening = listening;
                while let Some(signal) = listening.next().await {
                    on_signal(signal);
                }
            })
        })?;
    Ok(())
}

/// Calls `on_signal` once, on a thread of its own, at the first Ctrl-C or SIGTERM, for a command
/// that has work to finish before it ends (`ecapi test` writes its reports). A second one ends
/// the process at once with that signal's exit code, for a user who will not wait.
///
/// Errors: the signal handlers could not be installed; the default behaviour (the process ends)
/// then stays.
pub fn on_signal(on_signal: impl FnOnce(Signal) + Send + 'static) -> std::io::Result<()> {
    let first = std::sync::Mutex::new(Some(on_signal));
    watch(move |signal| {
        let pending = first.lock().ok().and_then(|mut f| f.take());
        match pending {
            Some(f) => f(signal),
            None => std::process::exit(i32::from(signal.exit_code())),
        }
    })
}

/// The installed listeners.
struct Listening {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(windows)]
    ctrl_c: tokio::signal::windows::CtrlC,
    #[cfg(windows)]
    ctrl_break: tokio::signal::windows::CtrlBreak,
}

impl Listening {
    #[cfg(unix)]
    fn start() -> std::io::Result<Listening> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Listening {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    #[cfg(windows)]
    fn start() -> std::io::Result<Listening> {
        Ok(Listening {
            ctrl_c: tokio::signal::windows::ctrl_c()?,
            ctrl_break: tokio::signal::windows::ctrl_break()?,
        })
    }

    #[cfg(not(any(unix, windows)))]
    fn start() -> std::io::Result<Listening> {
        Ok(Listening {})
    }

    /// The next signal; `None` when no more can come.
    async fn next(&mut self) -> Option<Signal> {
        #[cfg(unix)]
        {
            tokio::select! {
                s = self.interrupt.recv() => s.map(|_| Signal::Interrupt),
                s = self.terminate.recv() => s.map(|_| Signal::Terminate),
            }
        }
        #[cfg(windows)]
        {
            tokio::select! {
                s = self.ctrl_c.recv() => s.map(|_| Signal::Interrupt),
                s = self.ctrl_break.recv() => s.map(|_| Signal::Interrupt),
            }
        }
        #[cfg(not(any(unix, windows)))]
        {
            std::future::pending::<Option<Signal>>().await
        }
    }
}
