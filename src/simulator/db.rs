//! The recorder profile's database: SQLite, in memory or in a file.
//!
//! It owns the schema and every read and write of stopped recordings (with their state history and
//! fields), events, desktop recording runs, the day's port assignments and the call index counter. Each
//! write is one transaction, committed before the caller answers, so a simulator reopened on the same
//! file finds everything that was acknowledged. This is the simulator's only I/O.
//!
//! A database file has one simulator at a time, whatever path names it: opening it takes an
//! exclusive OS lock on a sibling of the file's canonical path (`<db>.lock` after resolving links,
//! so a symbolic link to the file finds the same lock), and on Linux also on the database file
//! itself, so that a hard link (another name for the same device and inode) is refused too. Both
//! are held until the simulator is dropped. SQLite's own locks only guard single transactions, so
//! two servers could otherwise share a file and hand out the same call indexes. (SQLite's locks are
//! `fcntl` byte ranges; the file lock is `flock`, which Linux keeps apart from them, while the BSDs
//! and macOS do not, so elsewhere only the canonical path guards the file.)
//! A file whose pages fail SQLite's `PRAGMA quick_check` is refused at open, before anything is
//! written to it.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use rusqlite::{params, Connection, OptionalExtension};

use super::store::{
    Assignment, DesktopRun, Event, Listed, Query, Recording, StateChange, WINDOW_ITEMS,
};
use crate::api::RecordingState;

/// Where the database lives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DbLocation {
    /// In memory: gone when the simulator is.
    #[default]
    Memory,
    /// In a file, created when missing and kept across runs.
    File(PathBuf),
}

/// A database failure.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The file cannot be opened or is not a database of ours.
    #[error("cannot open the database {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// What SQLite reported.
        source: rusqlite::Error,
    },
    /// Another simulator (another `ecapi serve`, or another process) has the file open.
    #[error(
        "the database {} is in use by another ecapi{holder}: one simulator per database file; stop \
         the other one, or give this one another --db file (the lock is held on {})",
        path.display(),
        lock.display()
    )]
    InUse {
        /// The database file.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// ` (process N)` when the holder wrote its process id, else empty.
        holder: String,
    },
    /// The lock file cannot be created or locked.
    #[error("cannot lock the database {}: {source} (on {})", path.display(), lock.display())]
    Lock {
        /// The database file.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// What the system reported.
        source: std::io::Error,
    },
    /// The file is not a SQLite database, or its pages fail `PRAGMA quick_check`.
    #[error(
        "the database {} is damaged ({detail}); restore it from a backup, or move it away to \
         start with an empty database (what it holds would be lost)",
        path.display()
    )]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What SQLite reported.
        detail: String,
    },
    /// A read or write failed.
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// The lock file beside a database: its name with `.lock` added.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// The database's canonical path (links resolved; the file is created empty when missing, which
/// SQLite reads as a new database).
fn canonical(db: &Path) -> Result<PathBuf, DbError> {
    let failed = |source| DbError::Lock {
        path: db.to_path_buf(),
        lock: lock_path(db),
        source,
    };
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(db)
        .map_err(failed)?;
    std::fs::canonicalize(db).map_err(failed)
}

/// The locks that keep a database file to one simulator; released when dropped.
#[derive(Debug)]
struct Locks {
    _sibling: File,
    /// The database file itself, locked by its identity (Linux).
    _file: Option<File>,
}

/// Takes the exclusive locks on a database: its canonical lock file (writing this process's id
/// into it), then, on Linux, the file itself.
fn lock(db: &Path) -> Result<Locks, DbError> {
    let canonical = canonical(db)?;
    let sibling = lock_sibling(db, &canonical)?;
    #[cfg(target_os = "linux")]
    let file = Some(lock_identity(db, &canonical)?);
    #[cfg(not(target_os = "linux"))]
    let file = None;
    Ok(Locks {
        _sibling: sibling,
        _file: file,
    })
}

/// Locks the database file itself: every name of the same device and inode (a hard link, a
/// bind mount) meets this lock. Linux only: there `flock` never meets SQLite's `fcntl` locks.
#[cfg(target_os = "linux")]
fn lock_identity(db: &Path, canonical: &Path) -> Result<File, DbError> {
    use fs4::FileExt;
    let failed = |source| DbError::Lock {
        path: db.to_path_buf(),
        lock: canonical.to_path_buf(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .open(canonical)
        .map_err(failed)?;
    match FileExt::try_lock(&file) {
        Ok(()) => Ok(file),
        Err(fs4::TryLockError::WouldBlock) => {
            use std::os::unix::fs::MetadataExt;
            let holder = file
                .metadata()
                .ok()
                .and_then(|m| flock_holder(m.ino()))
                .map_or_else(String::new, |pid| format!(" (process {pid})"));
            Err(DbError::InUse {
                path: db.to_path_buf(),
                lock: canonical.to_path_buf(),
                holder,
            })
        }
        Err(fs4::TryLockError::Error(e)) => Err(failed(e)),
    }
}

/// The process holding a `flock` on an inode, from `/proc/locks` (a hint for the message only:
/// lines read `1: FLOCK ADVISORY WRITE <pid> <major>:<minor>:<inode> 0 EOF`).
#[cfg(target_os = "linux")]
fn flock_holder(inode: u64) -> Option<u32> {
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    locks.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (kind, pid, id) = (fields.get(1)?, fields.get(4)?, fields.get(5)?);
        let ino = id.rsplit(':').next()?.parse::<u64>().ok()?;
        (*kind == "FLOCK" && ino == inode)
            .then(|| pid.parse().ok())
            .flatten()
    })
}

/// Takes the exclusive lock on the lock file beside a database's canonical path, writing this
/// process's id into it.
fn lock_sibling(db: &Path, canonical: &Path) -> Result<File, DbError> {
    use fs4::FileExt;
    let lock = lock_path(canonical);
    let failed = |source| DbError::Lock {
        path: db.to_path_buf(),
        lock: lock.clone(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock)
        .map_err(failed)?;
    match FileExt::try_lock(&file) {
        Ok(()) => {}
        Err(fs4::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&lock)
                .ok()
                .and_then(|t| t.trim().parse::<u32>().ok())
                .map_or_else(String::new, |pid| format!(" (process {pid})"));
            return Err(DbError::InUse {
                path: db.to_path_buf(),
                lock,
                holder,
            });
        }
        Err(fs4::TryLockError::Error(e)) => return Err(failed(e)),
    }
    // The process id is only a hint for the message above; failing to write it changes nothing.
    let _ = file.set_len(0);
    let _ = write!(file, "{}", std::process::id());
    let _ = file.flush();
    Ok(file)
}

/// Whether SQLite says the file is not a database or is damaged.
fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

/// A query's filters as the parameters `?1`..`?5` of the listing statements: after, unit, port,
/// from, limit.
fn query_args(q: &Query) -> (i64, Option<String>, Option<u32>, Option<String>, i64) {
    (
        i64::try_from(q.after).unwrap_or(i64::MAX),
        q.unit.clone(),
        q.port,
        q.from.map(time),
        i64::try_from(q.limit).unwrap_or(i64::MAX),
    )
}

/// How times are written: sortable text, to the millisecond.
const TIME: &str = "%Y-%m-%dT%H:%M:%S%.3f";

fn time(t: NaiveDateTime) -> String {
    t.format(TIME).to_string()
}

fn parse_time(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, TIME).unwrap_or_default()
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS recordings (
    id INTEGER PRIMARY KEY,
    call_index TEXT NOT NULL UNIQUE,
    unit TEXT NOT NULL,
    port INTEGER NOT NULL,
    started TEXT NOT NULL,
    stopped TEXT,
    ended_by TEXT
);
CREATE TABLE IF NOT EXISTS recording_states (
    recording INTEGER NOT NULL REFERENCES recordings(id),
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (recording, seq)
);
CREATE TABLE IF NOT EXISTS recording_fields (
    recording INTEGER NOT NULL REFERENCES recordings(id),
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (recording, seq)
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    logged TEXT NOT NULL,
    event_type TEXT NOT NULL,
    event_timestamp TEXT NOT NULL,
    unit TEXT,
    port INTEGER,
    user TEXT NOT NULL,
    machine TEXT NOT NULL,
    parm1 TEXT NOT NULL,
    parm2 TEXT NOT NULL,
    parm3 TEXT NOT NULL,
    recording TEXT
);
-- One row per run of desktop recording (see DesktopRun), not per segment: the segments are cut
-- from it when listed. Rows written as single segments by earlier versions are runs too.
CREATE TABLE IF NOT EXISTS desktop_segments (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL,
    started TEXT NOT NULL,
    ended TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS desktop_segments_run ON desktop_segments (login, started);
CREATE TABLE IF NOT EXISTS assignments (
    day TEXT NOT NULL,
    op TEXT NOT NULL,
    key TEXT NOT NULL,
    unit TEXT NOT NULL,
    port INTEGER NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (day, op, key)
);
";

/// An open database.
#[derive(Debug)]
pub struct Db {
    conn: Connection,
    /// The locks, held while this is open (a file database only).
    _lock: Option<Locks>,
    /// In memory: keep only the last [`WINDOW_ITEMS`] recordings and events, as the hosted store
    /// does; a file keeps everything.
    windowed: bool,
}

/// How often (in rows written) an in-memory database drops what fell out of its window.
const PRUNE_EVERY: i64 = 500;

impl Db {
    /// Opens (or creates) the database and its tables.
    ///
    /// # Errors
    /// [`DbError::InUse`] when another simulator holds the file, [`DbError::Damaged`] when it is
    /// not a database or fails `PRAGMA quick_check`, [`DbError::Open`] for anything else.
    pub fn open(location: &DbLocation) -> Result<Db, DbError> {
        let (conn, path, lock) = match location {
            DbLocation::Memory => (Connection::open_in_memory(), Path::new(":memory:"), None),
            DbLocation::File(p) => {
                let lock = lock(p)?;
                (Connection::open(p), p.as_path(), Some(lock))
            }
        };
        let open_err = |source: rusqlite::Error| {
            if is_damage(&source) {
                DbError::Damaged {
                    path: path.to_path_buf(),
                    detail: source.to_string(),
                }
            } else {
                DbError::Open {
                    path: path.to_path_buf(),
                    source,
                }
            }
        };
        let conn = conn.map_err(open_err)?;
        if matches!(location, DbLocation::File(_)) {
            // Checked before anything is written: a damaged file is refused as it was found.
            let verdict: Vec<String> = conn
                .prepare("PRAGMA quick_check")
                .and_then(|mut stmt| {
                    stmt.query_map([], |r| r.get::<_, String>(0))?
                        .collect::<Result<_, _>>()
                })
                .map_err(open_err)?;
            if verdict.first().map(String::as_str) != Some("ok") {
                return Err(DbError::Damaged {
                    path: path.to_path_buf(),
                    detail: format!("quick_check: {}", verdict.join("; ")),
                });
            }
            // WAL with NORMAL sync: a committed transaction survives the process being killed.
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(open_err)?;
            conn.pragma_update(None, "synchronous", "NORMAL")
                .map_err(open_err)?;
            conn.busy_timeout(std::time::Duration::from_secs(5))
                .map_err(open_err)?;
        }
        conn.execute_batch(SCHEMA).map_err(open_err)?;
        Ok(Db {
            conn,
            _lock: lock,
            windowed: matches!(location, DbLocation::Memory),
        })
    }

    /// The last call index number handed out (0 for a new database).
    pub fn last_index(&self) -> Result<u64, DbError> {
        let v: Option<i64> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'last_index'", [], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(v.unwrap_or(0).max(0) as u64)
    }

    /// Keeps the call index counter, so that a reopened simulator never repeats an index.
    pub fn set_last_index(&self, n: u64) -> Result<(), DbError> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('last_index', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![n as i64],
        )?;
        Ok(())
    }

    /// Writes a stopped recording with its states and fields, in one transaction.
    pub fn save_recording(&mut self, rec: &Recording) -> Result<(), DbError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO recordings (call_index, unit, port, started, stopped, ended_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                rec.index,
                rec.unit,
                rec.port,
                time(rec.started),
                rec.stopped.map(time),
                rec.ended_by
            ],
        )?;
        let id = tx.last_insert_rowid();
        for (seq, st) in rec.states.iter().enumerate() {
            tx.execute(
                "INSERT INTO recording_states (recording, seq, state, at) VALUES (?1, ?2, ?3, ?4)",
                params![id, seq as i64, st.state, time(st.at)],
            )?;
        }
        for (seq, (name, value)) in rec.fields.iter().enumerate() {
            tx.execute(
                "INSERT INTO recording_fields (recording, seq, name, value) VALUES (?1, ?2, ?3, ?4)",
                params![id, seq as i64, name, value],
            )?;
        }
        tx.commit()?;
        if self.windowed && id % PRUNE_EVERY == 0 {
            let oldest = id - WINDOW_ITEMS as i64;
            self.conn.execute_batch(&format!(
                "DELETE FROM recording_states WHERE recording <= {oldest};
                 DELETE FROM recording_fields WHERE recording <= {oldest};
                 DELETE FROM recordings WHERE id <= {oldest};"
            ))?;
        }
        Ok(())
    }

    /// Writes an event.
    pub fn save_event(&self, e: &Event) -> Result<(), DbError> {
        self.conn.execute(
            "INSERT INTO events (logged, event_type, event_timestamp, unit, port, user, machine,
                                 parm1, parm2, parm3, recording)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                time(e.logged),
                e.event_type,
                e.timestamp,
                e.unit,
                e.port,
                e.user,
                e.machine,
                e.parm1,
                e.parm2,
                e.parm3,
                e.recording
            ],
        )?;
        let id = self.conn.last_insert_rowid();
        if self.windowed && id % PRUNE_EVERY == 0 {
            self.conn.execute(
                "DELETE FROM events WHERE id <= ?1",
                [id - WINDOW_ITEMS as i64],
            )?;
        }
        Ok(())
    }

    /// Writes desktop runs, in one transaction: a run already stored (same login and start) gets
    /// its new end, another is added.
    pub fn save_runs(&mut self, runs: &[DesktopRun]) -> Result<(), DbError> {
        if runs.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        for r in runs {
            let updated = tx.execute(
                "UPDATE desktop_segments SET ended = ?3 WHERE login = ?1 AND started = ?2",
                params![r.login, time(r.started), time(r.ended)],
            )?;
            if updated == 0 {
                tx.execute(
                    "INSERT INTO desktop_segments (login, started, ended) VALUES (?1, ?2, ?3)",
                    params![r.login, time(r.started), time(r.ended)],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Writes a port assignment, unless the same key already has one that day.
    pub fn save_assignment(&self, a: &Assignment) -> Result<(), DbError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO assignments (day, op, key, unit, port, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![a.day, a.op, a.key, a.unit, a.port, time(a.at)],
        )?;
        Ok(())
    }

    /// Every stopped recording, oldest first.
    #[cfg(test)]
    pub fn recordings(&self) -> Result<Vec<Recording>, DbError> {
        Ok(self
            .list_recordings(&Query::all())?
            .into_iter()
            .map(|l| l.item)
            .collect())
    }

    /// The stopped recording with a call index, if any.
    pub fn recording(&self, index: &str) -> Result<Option<Recording>, DbError> {
        Ok(self
            .recordings_where("WHERE call_index = ?1", [index])?
            .into_iter()
            .next()
            .map(|l| l.item))
    }

    /// The stopped recordings a query selects, oldest first; `seq` is the row id.
    pub fn list_recordings(&self, q: &Query) -> Result<Vec<Listed<Recording>>, DbError> {
        self.recordings_where(
            "WHERE id > ?1 AND (?2 IS NULL OR unit = ?2) AND (?3 IS NULL OR port = ?3)
               AND (?4 IS NULL OR stopped >= ?4) ORDER BY id LIMIT ?5",
            query_args(q),
        )
    }

    /// The recordings a condition selects, oldest first, with their states and fields.
    fn recordings_where<P: rusqlite::Params>(
        &self,
        condition: &str,
        args: P,
    ) -> Result<Vec<Listed<Recording>>, DbError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT id, call_index, unit, port, started, stopped, ended_by FROM recordings \
             {condition}"
        ))?;
        let rows = stmt.query_map(args, |r| {
            Ok((
                r.get::<_, i64>(0)?,
                Recording {
                    index: r.get(1)?,
                    unit: r.get(2)?,
                    port: r.get(3)?,
                    started: parse_time(&r.get::<_, String>(4)?),
                    stopped: r.get::<_, Option<String>>(5)?.map(|s| parse_time(&s)),
                    fields: Vec::new(),
                    states: Vec::new(),
                    ended_by: r.get(6)?,
                },
            ))
        })?;
        let mut recs = rows.collect::<Result<Vec<_>, _>>()?;
        let mut states = self
            .conn
            .prepare("SELECT state, at FROM recording_states WHERE recording = ?1 ORDER BY seq")?;
        let mut fields = self.conn.prepare(
            "SELECT name, value FROM recording_fields WHERE recording = ?1 ORDER BY seq",
        )?;
        for (id, rec) in recs.iter_mut() {
            rec.states = states
                .query_map([*id], |r| {
                    let text: String = r.get(0)?;
                    Ok(StateChange {
                        state: RecordingState::from_wire(&text)
                            .unwrap_or_default()
                            .as_str(),
                        at: parse_time(&r.get::<_, String>(1)?),
                    })
                })?
                .collect::<Result<_, _>>()?;
            rec.fields = fields
                .query_map([*id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
        }
        Ok(recs
            .into_iter()
            .map(|(id, item)| Listed {
                seq: id.max(0) as u64,
                item,
            })
            .collect())
    }

    /// Every event, oldest first.
    #[cfg(test)]
    pub fn events(&self) -> Result<Vec<Event>, DbError> {
        Ok(self
            .list_events(&Query::all())?
            .into_iter()
            .map(|l| l.item)
            .collect())
    }

    /// The events tied to a recording, oldest first.
    pub fn events_of(&self, index: &str) -> Result<Vec<Event>, DbError> {
        Ok(self
            .events_where("WHERE recording = ?1 ORDER BY id", [index])?
            .into_iter()
            .map(|l| l.item)
            .collect())
    }

    /// The events a query selects, oldest first; `seq` is the row id.
    pub fn list_events(&self, q: &Query) -> Result<Vec<Listed<Event>>, DbError> {
        self.events_where(
            "WHERE id > ?1 AND (?2 IS NULL OR unit = ?2) AND (?3 IS NULL OR port = ?3)
               AND (?4 IS NULL OR logged >= ?4) ORDER BY id LIMIT ?5",
            query_args(q),
        )
    }

    /// The events a condition selects, oldest first.
    fn events_where<P: rusqlite::Params>(
        &self,
        condition: &str,
        args: P,
    ) -> Result<Vec<Listed<Event>>, DbError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT logged, event_type, event_timestamp, unit, port, user, machine, parm1, parm2,
                    parm3, recording, id
             FROM events {condition}"
        ))?;
        let rows = stmt.query_map(args, |r| {
            Ok(Listed {
                seq: r.get::<_, i64>(11)?.max(0) as u64,
                item: Event {
                    logged: parse_time(&r.get::<_, String>(0)?),
                    event_type: r.get(1)?,
                    timestamp: r.get(2)?,
                    unit: r.get(3)?,
                    port: r.get(4)?,
                    user: r.get(5)?,
                    machine: r.get(6)?,
                    parm1: r.get(7)?,
                    parm2: r.get(8)?,
                    parm3: r.get(9)?,
                    recording: r.get(10)?,
                },
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every stored desktop run, oldest first.
    pub fn runs(&self) -> Result<Vec<DesktopRun>, DbError> {
        let mut stmt = self
            .conn
            .prepare("SELECT login, started, ended FROM desktop_segments ORDER BY started, id")?;
        let rows = stmt.query_map([], |r| {
            Ok(DesktopRun {
                login: r.get(0)?,
                started: parse_time(&r.get::<_, String>(1)?),
                ended: parse_time(&r.get::<_, String>(2)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every port assignment, in the order made.
    pub fn assignments(&self) -> Result<Vec<Assignment>, DbError> {
        let mut stmt = self
            .conn
            .prepare("SELECT day, op, key, unit, port, at FROM assignments ORDER BY rowid")?;
        let rows = stmt.query_map([], |r| {
            Ok(Assignment {
                day: r.get(0)?,
                op: r.get(1)?,
                key: r.get(2)?,
                unit: r.get(3)?,
                port: r.get(4)?,
                at: parse_time(&r.get::<_, String>(5)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Deletes every recording, event, segment and assignment; keeps the call index counter, so
    /// that indexes stay unique.
    pub fn clear(&self) -> Result<(), DbError> {
        self.conn.execute_batch(
            "DELETE FROM recording_states; DELETE FROM recording_fields; DELETE FROM recordings;
             DELETE FROM events; DELETE FROM desktop_segments; DELETE FROM assignments;",
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn recording() -> Recording {
        Recording {
            index: "230000.0001".to_string(),
            unit: "1".to_string(),
            port: 5,
            started: at("2026-11-23 10:00:00"),
            stopped: Some(at("2026-11-23 10:05:00")),
            fields: vec![("fldCampaign".to_string(), "Spring".to_string())],
            states: vec![
                StateChange {
                    state: "RECORD",
                    at: at("2026-11-23 10:00:00"),
                },
                StateChange {
                    state: "NOT RECORDING",
                    at: at("2026-11-23 10:05:00"),
                },
            ],
            ended_by: Some("StopRecording".to_string()),
        }
    }

    #[test]
    fn a_recording_reads_back_as_written() {
        let mut db = Db::open(&DbLocation::Memory).unwrap();
        db.save_recording(&recording()).unwrap();
        assert_eq!(db.recordings().unwrap(), vec![recording()]);
    }

    #[test]
    fn a_reopened_file_keeps_recordings_events_segments_assignments_and_the_counter() {
        let dir = tempfile::tempdir().unwrap();
        let loc = DbLocation::File(dir.path().join("rec.db"));
        {
            let mut db = Db::open(&loc).unwrap();
            db.save_recording(&recording()).unwrap();
            db.save_event(&Event {
                logged: at("2026-11-23 10:01:00"),
                event_type: "Sale".to_string(),
                timestamp: "2026-11-23T10:01:00".to_string(),
                unit: Some("1".to_string()),
                port: Some(5),
                user: String::new(),
                machine: String::new(),
                parm1: "a".to_string(),
                parm2: String::new(),
                parm3: String::new(),
                recording: Some("230000.0001".to_string()),
            })
            .unwrap();
            db.save_runs(&[DesktopRun {
                login: "smith".to_string(),
                started: at("2026-11-23 10:00:00"),
                ended: at("2026-11-23 10:10:00"),
            }])
            .unwrap();
            db.save_assignment(&Assignment {
                day: "2026-11-23".to_string(),
                op: "InitStation".to_string(),
                key: "1234".to_string(),
                unit: "1".to_string(),
                port: 5,
                at: at("2026-11-23 09:59:00"),
            })
            .unwrap();
            db.set_last_index(1).unwrap();
        }
        let db = Db::open(&loc).unwrap();
        assert_eq!(db.recordings().unwrap(), vec![recording()]);
        assert_eq!(
            db.events().unwrap()[0].recording.as_deref(),
            Some("230000.0001")
        );
        assert_eq!(db.runs().unwrap().len(), 1);
        assert_eq!(db.assignments().unwrap()[0].port, 5);
        assert_eq!(db.last_index().unwrap(), 1);
    }

    #[test]
    fn a_recording_and_its_events_are_found_by_call_index() {
        let mut db = Db::open(&DbLocation::Memory).unwrap();
        db.save_recording(&recording()).unwrap();
        let event = |recording: Option<&str>| Event {
            logged: at("2026-11-23 10:01:00"),
            event_type: "Sale".to_string(),
            timestamp: String::new(),
            unit: None,
            port: None,
            user: String::new(),
            machine: String::new(),
            parm1: String::new(),
            parm2: String::new(),
            parm3: String::new(),
            recording: recording.map(str::to_string),
        };
        db.save_event(&event(Some("230000.0001"))).unwrap();
        db.save_event(&event(None)).unwrap();
        db.save_event(&event(Some("230000.0002"))).unwrap();
        assert_eq!(db.recording("230000.0001").unwrap(), Some(recording()));
        assert_eq!(db.recording("230000.0002").unwrap(), None);
        assert_eq!(
            db.events_of("230000.0001").unwrap(),
            vec![event(Some("230000.0001"))]
        );
    }

    #[test]
    fn a_second_opener_of_a_file_is_refused_until_the_first_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let loc = DbLocation::File(dir.path().join("rec.db"));
        let first = Db::open(&loc).unwrap();
        let e = Db::open(&loc).unwrap_err();
        assert!(matches!(e, DbError::InUse { .. }), "{e}");
        let text = e.to_string();
        assert!(text.contains("rec.db is in use by another ecapi"), "{text}");
        assert!(
            text.contains(&format!("(process {})", std::process::id())),
            "{text}"
        );
        drop(first);
        Db::open(&loc).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_to_a_locked_file_finds_the_same_lock() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.db");
        let first = Db::open(&DbLocation::File(path.clone())).unwrap();
        let link = dir.path().join("link.db");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        let e = Db::open(&DbLocation::File(link.clone())).unwrap_err();
        assert!(matches!(e, DbError::InUse { .. }), "{e}");
        assert!(e.to_string().contains("link.db is in use"), "{e}");
        assert!(e.to_string().contains("rec.db.lock"), "{e}");
        drop(first);
        Db::open(&DbLocation::File(link)).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_hard_link_to_a_locked_file_is_refused_by_the_file_s_identity() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.db");
        let first = Db::open(&DbLocation::File(path.clone())).unwrap();
        std::fs::create_dir(dir.path().join("b")).unwrap();
        let hard = dir.path().join("b").join("same.db");
        std::fs::hard_link(&path, &hard).unwrap();
        let e = Db::open(&DbLocation::File(hard.clone())).unwrap_err();
        assert!(matches!(e, DbError::InUse { .. }), "{e}");
        assert!(
            e.to_string()
                .contains(&format!("(process {})", std::process::id())),
            "{e}"
        );
        drop(first);
        Db::open(&DbLocation::File(hard)).unwrap();
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_as_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.db");
        std::fs::write(&path, vec![0x5a; 8192]).unwrap();
        let e = Db::open(&DbLocation::File(path)).unwrap_err();
        assert!(matches!(e, DbError::Damaged { .. }), "{e}");
        assert!(e.to_string().contains("restore it from a backup"), "{e}");
    }

    #[test]
    fn an_in_memory_database_keeps_a_window_of_events_and_a_file_keeps_all() {
        let event = Event {
            logged: at("2026-11-23 10:01:00"),
            event_type: "Sale".to_string(),
            timestamp: String::new(),
            unit: None,
            port: None,
            user: String::new(),
            machine: String::new(),
            parm1: String::new(),
            parm2: String::new(),
            parm3: String::new(),
            recording: None,
        };
        let n = WINDOW_ITEMS + 2 * PRUNE_EVERY as usize;
        let memory = Db::open(&DbLocation::Memory).unwrap();
        for _ in 0..n {
            memory.save_event(&event).unwrap();
        }
        let kept = memory.list_events(&Query::all()).unwrap();
        assert!(kept.len() <= WINDOW_ITEMS, "{}", kept.len());
        assert_eq!(kept.last().unwrap().seq, n as u64);
        let dir = tempfile::tempdir().unwrap();
        let file = Db::open(&DbLocation::File(dir.path().join("rec.db"))).unwrap();
        for _ in 0..n {
            file.save_event(&event).unwrap();
        }
        assert_eq!(file.events().unwrap().len(), n);
    }

    #[test]
    fn clearing_keeps_the_index_counter() {
        let mut db = Db::open(&DbLocation::Memory).unwrap();
        db.save_recording(&recording()).unwrap();
        db.set_last_index(9).unwrap();
        db.clear().unwrap();
        assert!(db.recordings().unwrap().is_empty());
        assert_eq!(db.last_index().unwrap(), 9);
    }
}
