//! The simulator's clock: the real one, or a virtual one that only moves when told to.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{
    DateTime, Duration, FixedOffset, Local, NaiveDate, NaiveDateTime, TimeZone, Timelike,
};

/// The latest time the clock reaches: 9999-12-31 23:59:59.999, the last instant a four-digit year
/// (and so an ISO 8601 timestamp as the Web API and SQL Server's `datetime` write it) can show.
pub const CLOCK_END: NaiveDateTime = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => match d.and_hms_milli_opt(23, 59, 59, 999) {
        Some(t) => t,
        None => NaiveDateTime::MAX,
    },
    None => NaiveDateTime::MAX,
};

/// Which clock the simulator reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockMode {
    /// Local wall-clock time, plus whatever `advance` added.
    Real,
    /// Starts at the local time when the simulator starts and moves only by `advance`
    /// (`sim_advance` in scripts), so that runs repeat and midnight can be reached without waiting.
    #[default]
    Virtual,
}

/// A clock in local time, without a time zone: the guides' "each night" is the recorder's midnight.
#[derive(Debug, Clone)]
pub struct Clock {
    mode: ClockMode,
    /// Real: the offset added to the wall clock. Virtual: the offset from `origin`.
    offset: Duration,
    origin: NaiveDateTime,
}

impl Clock {
    /// A clock of the given mode, starting now.
    pub fn new(mode: ClockMode) -> Clock {
        Clock {
            mode,
            offset: Duration::zero(),
            origin: local_now(),
        }
    }

    /// A virtual clock that starts at a given time.
    pub fn starting_at(origin: NaiveDateTime) -> Clock {
        Clock {
            mode: ClockMode::Virtual,
            offset: Duration::zero(),
            origin,
        }
    }

    /// The mode.
    pub fn mode(&self) -> ClockMode {
        self.mode
    }

    /// The current time, never past [`CLOCK_END`] (a real clock's offset is checked when it is
    /// set, so only years of running could reach it; the time then stays at the end).
    pub fn now(&self) -> NaiveDateTime {
        let base = match self.mode {
            ClockMode::Real => local_now(),
            ClockMode::Virtual => self.origin,
        };
        if self.offset.is_zero() {
            // Not moved (most runs): no date arithmetic, which every request would pay.
            return base.min(CLOCK_END);
        }
        base.checked_add_signed(self.offset)
            .map_or(CLOCK_END, |t| t.min(CLOCK_END))
    }

    /// Today's date.
    pub fn today(&self) -> NaiveDate {
        self.now().date()
    }

    /// Moves the clock forward by whole milliseconds (negative amounts are refused by the caller).
    ///
    /// # Errors
    /// The move would take the clock past [`CLOCK_END`]; the clock is left where it was.
    pub fn advance_ms(&mut self, ms: i64) -> Result<(), PastTheEnd> {
        let offset = Duration::try_milliseconds(ms)
            .and_then(|d| self.offset.checked_add(&d))
            .ok_or(PastTheEnd)?;
        let base = match self.mode {
            ClockMode::Real => local_now(),
            ClockMode::Virtual => self.origin,
        };
        match base.checked_add_signed(offset) {
            Some(t) if t <= CLOCK_END => {
                self.offset = offset;
                Ok(())
            }
            _ => Err(PastTheEnd),
        }
    }
}

/// A move of the clock refused because it would pass [`CLOCK_END`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("it would move the clock past 9999-12-31")]
pub struct PastTheEnd;

impl Clock {
    /// Whole seconds left before the clock reaches [`CLOCK_END`].
    pub fn seconds_left(&self) -> i64 {
        (CLOCK_END - self.now()).num_seconds()
    }
}

/// The local wall-clock time now, as `chrono::Local::now().naive_local()` gives it: the UTC time
/// plus the local offset at that instant. The offset is looked up (which reads the `TZ` variable
/// and the zone's rules) once per UTC second on each thread rather than on every read: offsets
/// change only at whole seconds (a zone's transitions are whole seconds), so the local time of a
/// second's start plus the nanoseconds is exact, across a daylight-saving change too, and a new
/// `TZ` or zone file is seen within the second, as `chrono::Local` sees it.
pub fn local_now() -> NaiveDateTime {
    thread_local! {
        static LOCAL_SECOND: Cell<Option<LocalSecond>> = const { Cell::new(None) };
    }
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|since| {
            let second = i64::try_from(since.as_secs()).ok()?;
            LOCAL_SECOND.with(|cache| {
                local_at(cache, second, since.subsec_nanos(), |utc| {
                    Local.offset_from_utc_datetime(utc)
                })
            })
        })
        .unwrap_or_else(|| Local::now().naive_local())
}

/// The local time at the start of one UTC second (whole seconds since 1970).
#[derive(Debug, Clone, Copy)]
struct LocalSecond {
    utc_second: i64,
    local: NaiveDateTime,
}

/// The local time at `utc_second` and `nanos` past it, `offset_of` asked for the offset (given the
/// UTC time) only when the second is not the one in `cache`. `None` past chrono's range.
fn local_at(
    cache: &Cell<Option<LocalSecond>>,
    utc_second: i64,
    nanos: u32,
    offset_of: impl FnOnce(&NaiveDateTime) -> FixedOffset,
) -> Option<NaiveDateTime> {
    let start = match cache.get() {
        Some(known) if known.utc_second == utc_second => known.local,
        _ => {
            let utc = DateTime::from_timestamp(utc_second, 0)?.naive_utc();
            let local = utc.checked_add_offset(offset_of(&utc))?;
            cache.set(Some(LocalSecond { utc_second, local }));
            local
        }
    };
    start.with_nanosecond(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn a_virtual_clock_stands_still_until_advanced() {
        let mut c = Clock::starting_at(at("2026-11-23 23:59:30"));
        assert_eq!(c.now(), at("2026-11-23 23:59:30"));
        assert_eq!(c.now(), at("2026-11-23 23:59:30"));
        c.advance_ms(45_000).unwrap();
        assert_eq!(c.now(), at("2026-11-24 00:00:15"));
        assert_eq!(c.today(), NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
    }

    #[test]
    fn a_real_clock_keeps_its_offset() {
        let mut c = Clock::new(ClockMode::Real);
        c.advance_ms(86_400_000).unwrap();
        let tomorrow = Local::now().naive_local() + Duration::days(1);
        assert!((c.now() - tomorrow).num_seconds().abs() <= 1);
    }

    #[test]
    fn the_clock_stops_short_of_passing_the_year_9999_and_stays_where_it_was() {
        let mut c = Clock::starting_at(at("9999-12-31 23:59:00"));
        assert_eq!(c.advance_ms(60_000), Err(PastTheEnd));
        assert_eq!(c.advance_ms(i64::MAX), Err(PastTheEnd));
        assert_eq!(c.now(), at("9999-12-31 23:59:00"));
        assert_eq!(c.seconds_left(), 59);
        c.advance_ms(59_999).unwrap();
        assert_eq!(c.now(), CLOCK_END);
        assert_eq!(c.advance_ms(1), Err(PastTheEnd));
    }

    #[test]
    fn the_local_time_is_chronos_local_time() {
        for _ in 0..1_000 {
            let before = Local::now().naive_local();
            let now = local_now();
            let after = Local::now().naive_local();
            assert!(before <= now && now <= after, "{before} {now} {after}");
        }
    }

    #[test]
    fn the_offset_is_looked_up_once_a_second_and_a_daylight_saving_change_is_exact() {
        // 2026-03-29 01:00:00 UTC: Central European time goes from +01:00 to +02:00.
        let change = at("2026-03-29 01:00:00").and_utc().timestamp();
        let hour = |h| FixedOffset::east_opt(h * 3600).unwrap();
        let lookups = Cell::new(0);
        let offset_of = |utc: &NaiveDateTime| {
            lookups.set(lookups.get() + 1);
            if utc.and_utc().timestamp() < change {
                hour(1)
            } else {
                hour(2)
            }
        };
        let cache = Cell::new(None);
        let read = |second, nanos| local_at(&cache, second, nanos, offset_of).unwrap();
        assert_eq!(read(change - 1, 0), at("2026-03-29 01:59:59"));
        assert_eq!(
            read(change - 1, 999_999_999),
            at("2026-03-29 01:59:59") + Duration::nanoseconds(999_999_999)
        );
        assert_eq!(lookups.get(), 1);
        assert_eq!(read(change, 0), at("2026-03-29 03:00:00"));
        assert_eq!(
            read(change, 500_000),
            at("2026-03-29 03:00:00") + Duration::microseconds(500)
        );
        assert_eq!(lookups.get(), 2);
        // Back to an earlier second (the system clock set back): looked up again, not reused.
        assert_eq!(read(change - 3600, 0), at("2026-03-29 01:00:00"));
        assert_eq!(lookups.get(), 3);
    }
}
