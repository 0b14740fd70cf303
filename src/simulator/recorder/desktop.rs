//! Desktop recording by user: each recorded desktop is RECORD or NOT RECORDING, and records in
//! segments of at most ten minutes of the clock. A segment rolls over every ten minutes from its
//! start; DesktopPause closes it early.
//!
//! Segments are arithmetic, not state: a run of recording from `started` to `ended` is cut into
//! ten-minute segments from its start, so only runs are kept (one per DesktopResume) and the
//! segments are derived when listed. Moving the clock therefore costs the same for an hour or for
//! a hundred years, and a listing shows at most [`SEGMENTS_LISTED`] segments per desktop (the
//! latest in the window asked for) with the total beside them.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};

use crate::api::RecordingState;
use crate::simulator::store::{DesktopRun, DesktopSegment};

/// The longest a desktop segment runs, in seconds.
pub const SEGMENT_SECONDS: i64 = 600;

/// The most segments a listing shows per desktop: the latest of those asked for; the listing's
/// `segments_total` counts them all.
pub const SEGMENTS_LISTED: usize = 1_000;

const SEGMENT_MS: i64 = SEGMENT_SECONDS * 1000;

/// One recorded desktop as `sim_desktops()` shows it: its state and its latest segments, the open
/// one included.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DesktopView {
    /// The login, as configured.
    pub login: String,
    /// `RECORD` or `NOT RECORDING`.
    pub state: String,
    /// The unit of the user's phone, when the directory gives the login one port.
    pub unit: Option<String>,
    /// The port of the user's phone (text, as in a Response).
    pub port: Option<String>,
    /// The latest segments, at most [`SEGMENTS_LISTED`], oldest first; the last is open while the
    /// desktop records.
    pub segments: Vec<SegmentView>,
    /// How many segments there are in all (in the window asked for); more than `segments.len()`
    /// when earlier ones were left out.
    pub segments_total: u64,
}

/// A desktop segment; an open one has no end yet.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SegmentView {
    /// When it began.
    #[serde(serialize_with = "crate::simulator::store::iso")]
    pub started: NaiveDateTime,
    /// When it closed; `None` while open.
    #[serde(serialize_with = "iso_or_null")]
    pub ended: Option<NaiveDateTime>,
    /// Whether it is still recording.
    pub open: bool,
}

fn iso_or_null<S: serde::Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => crate::simulator::store::iso(t, s),
        None => s.serialize_none(),
    }
}

/// Which segments a listing shows: those that overlap `from`..=`to` (either end open), the latest
/// `limit` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentWindow {
    /// Only segments that end at or after this time.
    pub from: Option<NaiveDateTime>,
    /// Only segments that start at or before this time.
    pub to: Option<NaiveDateTime>,
    /// The most segments shown per desktop (at most [`SEGMENTS_LISTED`]).
    pub limit: usize,
}

impl Default for SegmentWindow {
    fn default() -> Self {
        SegmentWindow {
            from: None,
            to: None,
            limit: SEGMENTS_LISTED,
        }
    }
}

/// A run of recording cut into segments: from `started` to `ended`; the last segment is open when
/// the run still records (`ended` is then the clock's time).
#[derive(Debug, Clone, Copy)]
struct Cut {
    started: NaiveDateTime,
    ended: NaiveDateTime,
    open: bool,
}

impl Cut {
    fn ms(&self) -> i64 {
        (self.ended - self.started).num_milliseconds().max(0)
    }

    /// How many segments: a closed run has at least one (a pause at once closes an empty one); a
    /// running one has its whole segments and the open one.
    fn count(&self) -> i64 {
        if self.open {
            self.ms() / SEGMENT_MS + 1
        } else {
            ((self.ms() + SEGMENT_MS - 1) / SEGMENT_MS).max(1)
        }
    }

    fn segment(&self, i: i64) -> SegmentView {
        let started = self.started + Duration::milliseconds(i * SEGMENT_MS);
        let last = i + 1 == self.count();
        SegmentView {
            started,
            ended: if last && self.open {
                None
            } else if last {
                Some(self.ended)
            } else {
                Some(started + Duration::milliseconds(SEGMENT_MS))
            },
            open: last && self.open,
        }
    }

    /// The indexes of the segments that overlap the window, if any.
    fn overlapping(&self, w: &SegmentWindow) -> Option<(i64, i64)> {
        let count = self.count();
        let ms_from_start = |t: NaiveDateTime| (t - self.started).num_milliseconds();
        let lo = match w.from {
            Some(f) if f > self.ended => return None,
            // The first segment whose end reaches `from`.
            Some(f) if f > self.started => {
                ((ms_from_start(f) + SEGMENT_MS - 1) / SEGMENT_MS - 1).clamp(0, count - 1)
            }
            _ => 0,
        };
        let hi = match w.to {
            Some(t) if t < self.started => return None,
            Some(t) => (ms_from_start(t) / SEGMENT_MS).min(count - 1),
            None => count - 1,
        };
        (lo <= hi).then_some((lo, hi))
    }
}

/// The segments of a desktop's runs (oldest first) in a window: the latest `limit` of them, oldest
/// first, and how many there are in the window. Time and memory grow with the runs and the limit,
/// never with the length of the runs.
pub(super) fn segments_in(
    runs: &[(NaiveDateTime, NaiveDateTime, bool)],
    w: &SegmentWindow,
) -> (Vec<SegmentView>, u64) {
    let limit = w.limit.min(SEGMENTS_LISTED);
    let mut total: u64 = 0;
    let mut latest: Vec<SegmentView> = Vec::new();
    for &(started, ended, open) in runs.iter().rev() {
        let cut = Cut {
            started,
            ended,
            open,
        };
        let Some((lo, hi)) = cut.overlapping(w) else {
            continue;
        };
        total += (hi - lo + 1) as u64;
        let mut i = hi;
        while i >= lo && latest.len() < limit {
            latest.push(cut.segment(i));
            i -= 1;
        }
    }
    latest.reverse();
    (latest, total)
}

/// A desktop's run in progress: its start, and where the part already written to the database
/// ends (its last whole segment; the start while none is whole).
#[derive(Debug, Clone, Copy)]
struct Open {
    started: NaiveDateTime,
    saved: NaiveDateTime,
}

/// The recorded desktops, by login matched without regard to case.
#[derive(Debug, Clone, Default)]
pub struct Desktops {
    /// Lowercased login → (configured login, the run in progress when recording).
    users: BTreeMap<String, (String, Option<Open>)>,
}

impl Desktops {
    /// Every desktop recording from `now`.
    pub fn new(logins: Vec<String>, now: NaiveDateTime) -> Desktops {
        Desktops {
            users: logins
                .into_iter()
                .map(|l| {
                    let open = Open {
                        started: now,
                        saved: now,
                    };
                    (l.to_lowercase(), (l, Some(open)))
                })
                .collect(),
        }
    }

    /// A desktop's state; `None` for a login without desktop recording.
    pub fn state(&self, login: &str) -> Option<RecordingState> {
        self.users.get(&login.to_lowercase()).map(|(_, open)| {
            if open.is_some() {
                RecordingState::Record
            } else {
                RecordingState::NotRecording
            }
        })
    }

    /// Brings each running desktop's stored run up to its last whole segment by `now`: returns
    /// the runs to write (one per desktop whose segments rolled over since the last call), in
    /// login order. Constant work per desktop, however far the clock moved.
    pub fn roll(&mut self, now: NaiveDateTime) -> Vec<DesktopRun> {
        let mut grown = Vec::new();
        for (login, open) in self.users.values_mut() {
            let Some(run) = open else { continue };
            let whole = (now - run.started).num_milliseconds().max(0) / SEGMENT_MS;
            let end = run.started + Duration::milliseconds(whole * SEGMENT_MS);
            if end > run.saved {
                run.saved = end;
                grown.push(DesktopRun {
                    login: login.clone(),
                    started: run.started,
                    ended: end,
                });
            }
        }
        grown
    }

    /// The run DesktopPause would close at `now` (the caller stores it, then calls `pause`).
    pub fn closing_run(&self, login: &str, now: NaiveDateTime) -> Option<DesktopRun> {
        let (name, open) = self.users.get(&login.to_lowercase())?;
        open.map(|run| DesktopRun {
            login: name.clone(),
            started: run.started,
            ended: now,
        })
    }

    /// Each recorded desktop: (configured login, while recording the start of its run in
    /// progress and whether part of it is written to the database), by login.
    pub fn open_runs(&self) -> impl Iterator<Item = (&str, Option<(NaiveDateTime, bool)>)> {
        self.users.values().map(|(login, open)| {
            (
                login.as_str(),
                open.map(|r| (r.started, r.saved > r.started)),
            )
        })
    }

    /// Stops a desktop's recording.
    pub fn pause(&mut self, login: &str) {
        if let Some((_, open)) = self.users.get_mut(&login.to_lowercase()) {
            *open = None;
        }
    }

    /// Starts a desktop's recording again, with a new run from `now`.
    pub fn resume(&mut self, login: &str, now: NaiveDateTime) {
        if let Some((_, open)) = self.users.get_mut(&login.to_lowercase()) {
            *open = Some(Open {
                started: now,
                saved: now,
            });
        }
    }
}

/// The closed segments of listed desktops as [`DesktopSegment`]s, ordered by end then login.
pub fn closed_segments(views: &[DesktopView]) -> Vec<DesktopSegment> {
    let mut closed: Vec<DesktopSegment> = views
        .iter()
        .flat_map(|v| {
            v.segments.iter().filter_map(|s| {
                s.ended.map(|ended| DesktopSegment {
                    login: v.login.clone(),
                    started: s.started,
                    ended,
                })
            })
        })
        .collect();
    closed.sort_by(|a, b| (a.ended, &a.login).cmp(&(b.ended, &b.login)));
    closed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
            + Duration::seconds(s)
    }

    fn spans(segs: &[SegmentView]) -> Vec<(NaiveDateTime, Option<NaiveDateTime>)> {
        segs.iter().map(|s| (s.started, s.ended)).collect()
    }

    #[test]
    fn a_run_is_cut_into_ten_minute_segments_and_a_pause_closes_the_last_early() {
        let all = SegmentWindow::default();
        let (segs, total) = segments_in(&[(t(0), t(1805), true)], &all);
        assert_eq!(total, 4);
        assert_eq!(
            spans(&segs),
            [
                (t(0), Some(t(600))),
                (t(600), Some(t(1200))),
                (t(1200), Some(t(1800))),
                (t(1800), None)
            ]
        );
        assert!(segs[3].open);
        let (segs, total) = segments_in(&[(t(0), t(1900), false)], &all);
        assert_eq!(total, 4);
        assert_eq!(spans(&segs)[3], (t(1800), Some(t(1900))));
        // A run paused on a boundary ends with a whole segment; one paused at once has one empty.
        assert_eq!(segments_in(&[(t(0), t(1200), false)], &all).1, 2);
        assert_eq!(segments_in(&[(t(0), t(0), false)], &all).1, 1);
    }

    #[test]
    fn a_listing_keeps_the_latest_segments_of_a_century_and_counts_them_all() {
        let century = 100 * 366 * 86_400;
        let runs = [(t(0), t(1200), false), (t(5000), t(5000 + century), true)];
        let (segs, total) = segments_in(&runs, &SegmentWindow::default());
        assert_eq!(total, 2 + (century as u64) / 600 + 1);
        assert_eq!(segs.len(), SEGMENTS_LISTED);
        assert!(segs.last().unwrap().open);
        assert!(segs.windows(2).all(|w| w[0].started < w[1].started));
    }

    #[test]
    fn a_window_selects_the_segments_that_overlap_it() {
        let runs = [(t(0), t(1900), false), (t(3000), t(3700), true)];
        let w = SegmentWindow {
            from: Some(t(650)),
            to: Some(t(3000)),
            limit: 10,
        };
        let (segs, total) = segments_in(&runs, &w);
        assert_eq!(total, 4);
        assert_eq!(
            spans(&segs),
            [
                (t(600), Some(t(1200))),
                (t(1200), Some(t(1800))),
                (t(1800), Some(t(1900))),
                (t(3000), Some(t(3600)))
            ]
        );
        let late = SegmentWindow {
            from: Some(t(1901)),
            to: Some(t(2999)),
            limit: 10,
        };
        assert_eq!(segments_in(&runs, &late).1, 0);
    }

    #[test]
    fn rolling_writes_one_run_per_desktop_whatever_the_span() {
        let mut d = Desktops::new(vec!["Smith".to_string(), "Jones".to_string()], t(0));
        assert_eq!(d.state("SMITH"), Some(RecordingState::Record));
        assert!(d.roll(t(599)).is_empty());
        let grown = d.roll(t(100 * 366 * 86_400 + 5));
        assert_eq!(grown.len(), 2);
        assert_eq!(grown[0].ended, t(100 * 366 * 86_400));
        assert!(d.roll(t(100 * 366 * 86_400 + 6)).is_empty());
        let last = d.closing_run("smith", t(1900)).unwrap();
        assert_eq!((last.started, last.ended), (t(0), t(1900)));
        d.pause("smith");
        assert_eq!(d.state("smith"), Some(RecordingState::NotRecording));
        d.resume("smith", t(9000));
        assert_eq!(d.roll(t(9600))[0].started, t(9000));
    }
}
