//! `ecapi run FILE.rhai`: runs one script against the backend, with the options of its
//! `// args:` line (see [`super::script_args`]; the command line wins), once, or once per row of
//! a `--data` file with the row as the map `data`. `-v` prints a grid row per request and per attempt of `retry` and
//! `poll_until`.

use std::cell::Cell;
use std::rc::Rc;

use rhai::{Dynamic, Scope};

use super::args::RunArgs;
use super::backend::{parse_max_time, parse_sets, BackendConfig, ConnectError, UsageError};
use super::exit::{ExitCode, EXIT_FAILURE, EXIT_SUCCESS};
use super::script_args;
use crate::repl::grid;
use crate::runner::data;
use crate::script::{self, stderr_trace, Made, Output, Session};
use crate::streams::{err, errln, outln};

/// Runs the script; script errors are printed with their position and give exit code 1, as does
/// a backend that cannot be reached. With `--data`, every row runs (on one backend) and the exit
/// code is 1 when any failed.
pub fn run(a: RunArgs) -> Result<ExitCode, UsageError> {
    let file = a.file.display().to_string();
    let source = std::fs::read_to_string(&a.file)
        .map_err(|e| UsageError(format!("cannot read {file}: {e}")))?;
    let a = match script_args::read(&a.file, &source)? {
        Some(own) => script_args::merge_run(a, own),
        None => a,
    };
    let config = BackendConfig::from_args(&a.backend)?;
    let params = config.params(parse_sets(&a.set)?)?;
    let timeout = parse_max_time(a.max_time)?;
    let rows = match &a.data {
        Some(path) => Some(data::read(path).map_err(|e| UsageError(e.0))?),
        None => None,
    };
    let transport = match config.open() {
        Ok(t) => t,
        Err(ConnectError::Usage(e)) => return Err(e),
        Err(e @ ConnectError::Transport(_)) => {
            errln!("ecapi: {e}");
            return Ok(EXIT_FAILURE);
        }
    };
    if config.trace {
        // Which backend, and for the SOAP client whether the contract came from the WSDL.
        errln!("# {}", transport.describe());
    }
    let session = Session::new(transport, params).shared();
    if config.trace {
        session.borrow_mut().set_trace(Some(stderr_trace()));
    }
    if a.verbose {
        // A row per request, and one per attempt of retry and poll_until.
        let color = grid::color_stdout();
        let header_shown = Rc::new(Cell::new(false));
        session
            .borrow_mut()
            .set_observer(Some(Box::new(move |made: &Made| {
                if !header_shown.replace(true) {
                    outln!("{}", grid::header(color));
                }
                outln!("{}", grid::row(made, color));
            })));
        // Each transaction as it ends: its name, the block's wall time, its requests' time.
        session
            .borrow_mut()
            .set_transaction_observer(Some(Box::new(|t: &script::Transaction| {
                outln!("{}", script::transaction::line(t));
            })));
        session
            .borrow_mut()
            .set_attempt_observer(Some(Box::new(move |a: &script::Attempt| {
                outln!("{}", grid::attempt_row(a, color));
            })));
    }
    let mut engine = script::engine(&session, Output::Stdout);
    // Imports are looked for beside the script, wherever it is run from, then in --module-path.
    script::Modules::for_script(&a.file, &a.module_path).install(&mut engine);
    let stop = script::Stop::new(timeout);
    stop.install(&mut engine);
    session.borrow_mut().set_cancel(stop.cancel());

    let Some(rows) = rows else {
        stop.arm();
        return Ok(match script::run(&engine, &mut Scope::new(), &source) {
            Ok(_) => EXIT_SUCCESS,
            Err(d) => {
                err!("{}", d.render(&file, &source));
                EXIT_FAILURE
            }
        });
    };
    let mut failed = 0;
    for (i, row) in rows.iter().enumerate() {
        let mut scope = Scope::new();
        let values: Dynamic =
            rhai::serde::to_dynamic(&row.values).expect("JSON values convert to Rhai values");
        scope.push_constant("data", values);
        stop.arm();
        if let Err(d) = script::run(&engine, &mut scope, &source) {
            failed += 1;
            errln!("-- data row {} ({}):", i + 1, row.name);
            err!("{}", d.render(&file, &source));
        }
    }
    if failed > 0 {
        errln!("{failed} of {} data rows failed", rows.len());
        Ok(EXIT_FAILURE)
    } else {
        Ok(EXIT_SUCCESS)
    }
}
