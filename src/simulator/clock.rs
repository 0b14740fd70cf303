//! The simulator's clock: the real one, or a virtual one that only moves when told to.

use chrono::{Duration, Local, NaiveDate, NaiveDateTime};

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
            origin: Local::now().naive_local(),
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

    /// The current time.
    pub fn now(&self) -> NaiveDateTime {
        match self.mode {
            ClockMode::Real => Local::now().naive_local() + self.offset,
            ClockMode::Virtual => self.origin + self.offset,
        }
    }

    /// Today's date.
    pub fn today(&self) -> NaiveDate {
        self.now().date()
    }

    /// Moves the clock forward by whole milliseconds (negative amounts are refused by the caller).
    pub fn advance_ms(&mut self, ms: i64) {
        self.offset += Duration::milliseconds(ms);
    }
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
        c.advance_ms(45_000);
        assert_eq!(c.now(), at("2026-11-24 00:00:15"));
        assert_eq!(c.today(), NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
    }

    #[test]
    fn a_real_clock_keeps_its_offset() {
        let mut c = Clock::new(ClockMode::Real);
        c.advance_ms(86_400_000);
        let tomorrow = Local::now().naive_local() + Duration::days(1);
        assert!((c.now() - tomorrow).num_seconds().abs() <= 1);
    }
}
