//! Exit codes, as `scripting.md` fixes them.

/// A process exit code.
pub type ExitCode = u8;

/// The script completed (for `test`: every test passed).
pub const EXIT_SUCCESS: ExitCode = 0;
/// A script error or failed assertion (for `test`: a test failed); also a transport failure the
/// script did not catch.
pub const EXIT_FAILURE: ExitCode = 1;
/// Bad usage or configuration.
pub const EXIT_USAGE: ExitCode = 2;
