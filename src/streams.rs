//! Writing to standard output and standard error when their reader may be gone (`ecapi … | head
//! -1`, `ecapi … 2>&1 | head -1`): what cannot be written is dropped instead of panicking, so
//! that a command still finishes its work (a test run its reports, a replay its JUnit file) and
//! exits with the code its work earned. `println!` and `eprintln!` would panic with exit 101 on
//! the first write after the reader left.
//!
//! Owns nothing else; every command's output goes through [`outln!`], [`out!`], [`errln!`] and
//! [`err!`].

/// `println!` that drops its text when standard output is closed.
macro_rules! outln {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout());
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `print!` that drops its text when standard output is closed.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout();
        let _ = write!(stdout, $($arg)*);
        let _ = stdout.flush();
    }};
}

/// `eprintln!` that drops its text when standard error is closed.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `eprint!` that drops its text when standard error is closed.
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

pub(crate) use err;
pub(crate) use errln;
pub(crate) use out;
pub(crate) use outln;
