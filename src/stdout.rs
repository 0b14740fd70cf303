//! Writing to standard output when its reader may be gone (`ecapi … | head -1`): what cannot be
//! written is dropped instead of panicking, so that a command still finishes its work (a test run
//! its reports, a replay its JUnit file) and exits with the code its work earned. `println!` would
//! panic with exit 101 on the first write after the reader left.
//!
//! Owns nothing else; every command's output to standard output goes through [`outln!`] and
//! [`out!`].

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

pub(crate) use out;
pub(crate) use outln;
