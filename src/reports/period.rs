//! The period a report covers: whole local days in the business calendar's time zone.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// The longest period one report covers.
pub const MAX_DAYS: i64 = 366;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PeriodError {
    #[error("{field}: {value:?} is not a date; use YYYY-MM-DD, e.g. 2026-11-24")]
    BadDate { field: &'static str, value: String },
    #[error("from ({from}) is after to ({to}); swap them")]
    Reversed { from: NaiveDate, to: NaiveDate },
    #[error("the period has {days} days; a report covers at most {MAX_DAYS}")]
    TooLong { days: i64 },
}

/// From the first day through the last (inclusive), in `tz`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub tz: Tz,
}

impl Period {
    /// `from`/`to` as given (YYYY-MM-DD); by default the seven days ending today.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Result<Self, PeriodError> {
        let date = |field, v: &str| {
            NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| PeriodError::BadDate {
                field,
                value: v.to_string(),
            })
        };
        let to = match to.filter(|s| !s.is_empty()) {
            Some(v) => date("to", v)?,
            None => now.with_timezone(&tz).date_naive(),
        };
        let from = match from.filter(|s| !s.is_empty()) {
            Some(v) => date("from", v)?,
            None => to - Duration::days(6),
        };
        if from > to {
            return Err(PeriodError::Reversed { from, to });
        }
        let p = Self { from, to, tz };
        if p.days() > MAX_DAYS {
            return Err(PeriodError::TooLong { days: p.days() });
        }
        Ok(p)
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The period's start, unix ms.
    pub fn start_ms(&self) -> i64 {
        self.midnight(self.from)
    }

    /// The end (exclusive): midnight after the last day, unix ms.
    pub fn end_ms(&self) -> i64 {
        self.midnight(self.to + Duration::days(1))
    }

    /// Each day of the period, first to last.
    pub fn dates(&self) -> Vec<NaiveDate> {
        (0..self.days())
            .map(|i| self.from + Duration::days(i))
            .collect()
    }

    /// Which day of the period `ms` falls on, if any.
    pub fn day_index(&self, ms: i64) -> Option<usize> {
        let t = DateTime::<Utc>::from_timestamp_millis(ms)?;
        let d = t.with_timezone(&self.tz).date_naive();
        (d >= self.from && d <= self.to).then(|| (d - self.from).num_days() as usize)
    }

    pub fn contains(&self, ms: i64) -> bool {
        ms >= self.start_ms() && ms < self.end_ms()
    }

    fn midnight(&self, d: NaiveDate) -> i64 {
        let naive = d
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists, this is a bug");
        // A day that starts inside a DST gap starts at the first instant that exists.
        (0..4)
            .find_map(|h| {
                self.tz
                    .from_local_datetime(&(naive + Duration::hours(h)))
                    .earliest()
            })
            .map_or(naive.and_utc().timestamp_millis(), |t| t.timestamp_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
    }

    #[test]
    fn the_default_period_is_the_seven_days_ending_today() {
        let p = Period::parse(None, None, chrono_tz::UTC, now()).unwrap();
        assert_eq!(p.from.to_string(), "2026-11-25");
        assert_eq!(p.to.to_string(), "2026-12-01");
        assert_eq!(p.days(), 7);
        assert_eq!(p.end_ms() - p.start_ms(), 7 * 86_400_000);
    }

    #[test]
    fn days_are_local_to_the_calendar_time_zone() {
        let tz: Tz = "Europe/Paris".parse().unwrap();
        let p = Period::parse(Some("2026-11-30"), Some("2026-11-30"), tz, now()).unwrap();
        // Paris is UTC+1 in November: the day starts at 23:00 UTC the day before.
        let start = Utc.with_ymd_and_hms(2026, 11, 29, 23, 0, 0).unwrap();
        assert_eq!(p.start_ms(), start.timestamp_millis());
        assert_eq!(p.day_index(start.timestamp_millis()), Some(0));
        assert_eq!(p.day_index(start.timestamp_millis() - 1), None);
    }

    #[test]
    fn a_day_across_a_dst_change_has_its_real_length() {
        let tz: Tz = "Europe/Paris".parse().unwrap();
        let p = Period::parse(Some("2026-03-29"), Some("2026-03-29"), tz, now()).unwrap();
        assert_eq!(p.end_ms() - p.start_ms(), 23 * 3_600_000);
    }

    #[test]
    fn bad_periods_are_refused_with_the_reason() {
        let tz = chrono_tz::UTC;
        let e = Period::parse(Some("24/11/2026"), None, tz, now()).unwrap_err();
        assert!(e.to_string().contains("use YYYY-MM-DD"), "{e}");
        let e = Period::parse(Some("2026-12-02"), Some("2026-12-01"), tz, now()).unwrap_err();
        assert!(e.to_string().contains("swap them"), "{e}");
        let e = Period::parse(Some("2024-01-01"), Some("2026-01-01"), tz, now()).unwrap_err();
        assert_eq!(e, PeriodError::TooLong { days: 732 });
    }
}
