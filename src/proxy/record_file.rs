//! The record file itself: lines written so that an acknowledged exchange is never missing, and
//! read back up to the last whole line.
//!
//! Writing: each line goes to the operating system in one piece before the client is answered. A
//! line that cannot be written whole (disk full, the file-size limit of `ulimit -f`, an I/O error)
//! is taken back out of the file (truncated to the last whole line), and the caller withholds the
//! answer (the proxy answers 502 naming the record), so the file holds every exchange a client was
//! answered and no half line in the middle. The file-size signal (SIGXFSZ), which would kill the
//! process at the limit, is ignored on Unix so that the write fails instead.
//!
//! Reading: a file whose last line was cut short (the proxy killed mid-write, the disk full before
//! the truncation could happen) is read up to its last whole line, with a warning saying what was
//! left out; a line that is not a record anywhere else is an error naming the file and line.
//! [`read_lines`] gives the JSON values of every line, for any reader of records (replay, script,
//! an audit); [`super::record::read`] the exchange records.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

/// A record file being written.
#[derive(Debug)]
pub struct Recorder {
    path: PathBuf,
    file: Mutex<Written>,
}

#[derive(Debug)]
struct Written {
    file: File,
    /// The length of the file's whole lines: where the next line starts.
    len: u64,
}

impl Recorder {
    /// Creates (or truncates) the file, and stops the file-size signal from killing the process
    /// (see the module's docs).
    pub fn create(path: &Path) -> std::io::Result<Recorder> {
        ignore_file_size_signal();
        Ok(Recorder {
            path: path.to_path_buf(),
            file: Mutex::new(Written {
                file: File::create(path)?,
                len: 0,
            }),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line and hands it to the operating system at once (one `write` per line, so
    /// lines from concurrent exchanges never interleave).
    ///
    /// # Errors
    /// The system's error when the line could not be written whole; the file then ends with its
    /// last whole line again (when the system lets it be truncated), ready for the next line.
    pub fn write<T: Serialize>(&self, value: &T) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(value).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut w = self.file.lock().unwrap_or_else(|p| p.into_inner());
        match w.file.write_all(&line).and_then(|()| w.file.flush()) {
            Ok(()) => {
                w.len += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                // Take the part written back out, so the next line starts on a line of its own.
                let len = w.len;
                let _ = w.file.set_len(len);
                let _ = w.file.seek(SeekFrom::Start(len));
                Err(e)
            }
        }
    }
}

/// At the file-size limit (`ulimit -f`), Unix sends SIGXFSZ, whose default is to end the process;
/// ignored, the write fails with `EFBIG` and the proxy says so and goes on.
fn ignore_file_size_signal() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to SIG_IGN touches no memory of ours and is
    // async-signal-safe; nothing in this process handles SIGXFSZ otherwise.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// The lines of a record file as JSON values, each with its line number (from 1), and a warning
/// when the last line was cut short and left out.
#[derive(Debug, Default)]
pub struct Lines {
    /// Every whole line (blank lines skipped), in order.
    pub lines: Vec<(usize, serde_json::Value)>,
    /// `FILE:LINE: the last line is cut short (N bytes); read up to the line before`, when so.
    pub warning: Option<String>,
}

/// Reads a record file's lines as JSON values (see the module's docs).
///
/// # Errors
/// The file cannot be read, or a line other than a cut-short last one is not JSON; the message
/// names the file and line.
pub fn read_lines(path: &Path) -> Result<Lines, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    let ends_whole = text.ends_with('\n');
    let count = text.lines().count();
    let mut out = Lines::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{}:{}", path.display(), i + 1);
        match serde_json::from_str(line) {
            Ok(value) => out.lines.push((i + 1, value)),
            // The last line, without its newline: the write was cut short.
            Err(_) if i + 1 == count && !ends_whole => {
                out.warning = Some(format!(
                    "{}: the last line is cut short ({} bytes, no end); read up to the line before",
                    at(),
                    line.len()
                ));
            }
            Err(e) => return Err(format!("{}: not a JSON line: {e}", at())),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_last_line_cut_short_is_left_out_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        std::fs::write(&path, "{\"kind\":\"exchange\"}\n{\"kind\":\"exch").unwrap();
        let read = read_lines(&path).unwrap();
        assert_eq!(read.lines.len(), 1);
        let warning = read.warning.unwrap();
        assert!(
            warning.contains("r.jsonl:2: the last line is cut short"),
            "{warning}"
        );
    }

    #[test]
    fn a_bad_line_before_the_last_is_still_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        std::fs::write(&path, "{\"kind\"\n{\"kind\":\"exchange\"}\n").unwrap();
        let e = read_lines(&path).unwrap_err();
        assert!(e.contains("r.jsonl:1: not a JSON line"), "{e}");
    }

    #[test]
    fn a_last_line_whole_but_without_its_newline_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        std::fs::write(&path, "{\"a\":1}\n{\"a\":2}").unwrap();
        let read = read_lines(&path).unwrap();
        assert_eq!(read.lines.len(), 2);
        assert!(read.warning.is_none());
    }
}
