//! The recorder profile's database: SQLite, in memory or in a file.
//!
//! It owns the schema and every read and write of stopped recordings (with their state history and
//! fields), events, desktop segments, the day's port assignments and the call index counter. Each
//! write is one transaction, committed before the caller answers, so a simulator reopened on the same
//! file finds everything that was acknowledged. This is the simulator's only I/O.

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use rusqlite::{params, Connection, OptionalExtension};

use super::store::{Assignment, DesktopSegment, Event, Recording, StateChange};
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
    /// A read or write failed.
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
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
CREATE TABLE IF NOT EXISTS desktop_segments (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL,
    started TEXT NOT NULL,
    ended TEXT NOT NULL
);
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
}

impl Db {
    /// Opens (or creates) the database and its tables.
    pub fn open(location: &DbLocation) -> Result<Db, DbError> {
        let (conn, path) = match location {
            DbLocation::Memory => (Connection::open_in_memory(), Path::new(":memory:")),
            DbLocation::File(p) => (Connection::open(p), p.as_path()),
        };
        let open_err = |source| DbError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = conn.map_err(open_err)?;
        if matches!(location, DbLocation::File(_)) {
            // WAL with NORMAL sync: a committed transaction survives the process being killed.
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(open_err)?;
            conn.pragma_update(None, "synchronous", "NORMAL")
                .map_err(open_err)?;
            conn.busy_timeout(std::time::Duration::from_secs(5))
                .map_err(open_err)?;
        }
        conn.execute_batch(SCHEMA).map_err(open_err)?;
        Ok(Db { conn })
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
        Ok(())
    }

    /// Writes closed desktop segments, in one transaction.
    pub fn save_segments(&mut self, segments: &[DesktopSegment]) -> Result<(), DbError> {
        if segments.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        for s in segments {
            tx.execute(
                "INSERT INTO desktop_segments (login, started, ended) VALUES (?1, ?2, ?3)",
                params![s.login, time(s.started), time(s.ended)],
            )?;
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
    pub fn recordings(&self) -> Result<Vec<Recording>, DbError> {
        self.recordings_where("", [])
    }

    /// The stopped recording with a call index, if any.
    pub fn recording(&self, index: &str) -> Result<Option<Recording>, DbError> {
        Ok(self
            .recordings_where("WHERE call_index = ?1", [index])?
            .into_iter()
            .next())
    }

    /// The recordings a condition selects, oldest first, with their states and fields.
    fn recordings_where<P: rusqlite::Params>(
        &self,
        condition: &str,
        args: P,
    ) -> Result<Vec<Recording>, DbError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT id, call_index, unit, port, started, stopped, ended_by FROM recordings \
             {condition} ORDER BY id"
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
        Ok(recs.into_iter().map(|(_, r)| r).collect())
    }

    /// Every event, oldest first.
    pub fn events(&self) -> Result<Vec<Event>, DbError> {
        self.events_where("", [])
    }

    /// The events tied to a recording, oldest first.
    pub fn events_of(&self, index: &str) -> Result<Vec<Event>, DbError> {
        self.events_where("WHERE recording = ?1", [index])
    }

    /// The events a condition selects, oldest first.
    fn events_where<P: rusqlite::Params>(
        &self,
        condition: &str,
        args: P,
    ) -> Result<Vec<Event>, DbError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT logged, event_type, event_timestamp, unit, port, user, machine, parm1, parm2,
                    parm3, recording
             FROM events {condition} ORDER BY id"
        ))?;
        let rows = stmt.query_map(args, |r| {
            Ok(Event {
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
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every closed desktop segment, oldest first.
    pub fn segments(&self) -> Result<Vec<DesktopSegment>, DbError> {
        let mut stmt = self
            .conn
            .prepare("SELECT login, started, ended FROM desktop_segments ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(DesktopSegment {
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
            db.save_segments(&[DesktopSegment {
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
        assert_eq!(db.segments().unwrap().len(), 1);
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
    fn clearing_keeps_the_index_counter() {
        let mut db = Db::open(&DbLocation::Memory).unwrap();
        db.save_recording(&recording()).unwrap();
        db.set_last_index(9).unwrap();
        db.clear().unwrap();
        assert!(db.recordings().unwrap().is_empty());
        assert_eq!(db.last_index().unwrap(), 9);
    }
}
