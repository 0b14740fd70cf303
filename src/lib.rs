//! ecapi: script, test and simulate integrations with the Encore call recorder's Web API.
//!
//! The crate is layered so that each layer only knows the ones below it:
//!
//! | module | owns |
//! |---|---|
//! | [`api`] | the Web API's vocabulary: operations, parameters per version, codes, states |
//! | [`exchange`] | the one exchange every view reads: request, answer or failure, times, client, wire notes |
//! | [`audit`] | Encore's rules applied to what a client sends: exchanges in, findings out |
//! | [`simulator`] | a simulated Encore server (profiles `hosted` and `recorder`): a request in, a response out |
//! | [`soap`] | the only place that knows XML: envelopes, faults, the WSDL served and read |
//! | [`client`] | the transport seam between script functions and backends: embedded, HTTP |
//! | [`shutdown`] | Ctrl-C and SIGTERM: one future for `serve` and `proxy`, callbacks for `load` and `test` |
//! | [`secrets`] | the process's secrets and the one function that masks them in everything written |
//! | `streams` | writing to standard output and error when their reader may be gone (`… \| head -1`) |
//! | [`line_queue`] | lines written off the request path; a stalled writer drops them, counted |
//! | [`listener`] | the HTTP/1 front door of `serve` and `proxy`: TLS, timeouts, the connection cap, bodies |
//! | [`server`] | `ecapi serve`: the simulator as a SOAP endpoint |
//! | [`script`] | the Rhai bindings: one function per operation, `Response`, `Port`, assertions |
//! | [`repl`] | the interactive shell: line editor, meta-commands, result grid |
//! | [`runner`] | `ecapi test`: finding test files and cases, running them in parallel, reports |
//! | [`proxy`] | `ecapi proxy`, `replay`, `script`: forwarding, the exchange record, replay, shadow comparison |
//! | [`export`] | `ecapi export`: one model of a flow as it ran, written as a program in C#, Java, Python, JavaScript or curl |
//! | [`load`] | `ecapi load`: agents running a flow, HDR histograms, thresholds, summary and reports |
//! | [`page`] | the one HTML page writer: frame, house styles, escaping |
//! | [`cli`] | the command line: arguments, configuration, subcommands |

pub mod api;
pub mod audit;
pub mod cli;
pub mod client;
pub mod exchange;
pub mod export;
pub mod line_queue;
pub mod listener;
pub mod load;
pub mod page;
pub mod proxy;
pub mod repl;
pub mod runner;
pub mod script;
pub mod secrets;
pub mod server;
pub mod shutdown;
pub mod simulator;
pub mod soap;
mod streams;
