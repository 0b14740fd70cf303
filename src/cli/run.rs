//! `ecapi run FILE.rhai`: runs one script against the backend.

use rhai::Scope;

use super::args::RunArgs;
use super::backend::{parse_max_time, parse_sets, BackendConfig, UsageError};
use super::exit::{ExitCode, EXIT_FAILURE, EXIT_SUCCESS};
use crate::script::{self, stderr_trace, Output, Session};

/// Runs the script; script errors are printed with their position and give exit code 1.
pub fn run(a: RunArgs) -> Result<ExitCode, UsageError> {
    let config = BackendConfig::from_args(&a.backend)?;
    let params = parse_sets(&a.set)?;
    let file = a.file.display().to_string();
    let timeout = parse_max_time(a.max_time)?;
    let source = std::fs::read_to_string(&a.file)
        .map_err(|e| UsageError(format!("cannot read {file}: {e}")))?;
    let transport = config.connect()?;
    if config.trace {
        // Which backend, and for the SOAP client whether the contract came from the WSDL.
        eprintln!("# {}", transport.describe());
    }
    let session = Session::new(transport, params).shared();
    if config.trace {
        session.borrow_mut().set_trace(Some(stderr_trace()));
    }
    let mut engine = script::engine(&session, Output::Stdout);
    let stop = script::Stop::new(timeout);
    stop.install(&mut engine);
    session.borrow_mut().set_cancel(stop.cancel());
    stop.arm();
    let mut scope = Scope::new();
    match script::run(&engine, &mut scope, &source) {
        Ok(_) => Ok(EXIT_SUCCESS),
        Err(d) => {
            eprint!("{}", d.render(&file, &source));
            Ok(EXIT_FAILURE)
        }
    }
}
