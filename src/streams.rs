//! Writing to standard output and standard error when their reader may be gone (`ecapi … | head
//! -1`, `ecapi … 2>&1 | head -1`): what cannot be written is dropped instead of panicking, so
//! that a command still finishes its work (a test run its reports, a replay its JUnit file) and
//! exits with the code its work earned. `println!` and `eprintln!` would panic with exit 101 on
//! the first write after the reader left.
//!
//! Every line written here passes through [`crate::secrets::mask`] first, so no secret reaches a
//! terminal or a CI log through them.
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
        let text = format!($($arg)*);
        let _ = writeln!(std::io::stdout(), "{}", $crate::secrets::mask(&text));
    }};
}

/// `print!` that drops its text when standard output is closed.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout();
        let text = format!($($arg)*);
        let _ = write!(stdout, "{}", $crate::secrets::mask(&text));
        let _ = stdout.flush();
    }};
}

/// `eprintln!` that drops its text when standard error is closed.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let text = format!($($arg)*);
        let _ = writeln!(std::io::stderr(), "{}", $crate::secrets::mask(&text));
    }};
}

/// `eprint!` that drops its text when standard error is closed.
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let text = format!($($arg)*);
        let _ = write!(std::io::stderr(), "{}", $crate::secrets::mask(&text));
    }};
}

pub(crate) use err;
pub(crate) use errln;
pub(crate) use out;
pub(crate) use outln;
