//! The business calendar: time zone, weekly hours (overnight spans allowed), special days with
//! their own message and hours, and the emergency switch. Pure: the caller passes the time.

use std::collections::BTreeMap;

use chrono::TimeZone;
use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::Visibility;
use crate::intents::diagnostic::did_you_mean;

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_MINUTES: u32 = 24 * 60;
/// How far `next_open` looks ahead.
const SEARCH_DAYS: i64 = 366;

/// The `[calendar]` table of hearken.toml.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CalendarConfig {
    /// IANA time zone name, e.g. "Europe/London".
    pub timezone: String,
    /// Sent outside opening hours; `{opens_at}` becomes the next opening time.
    pub closed_message: String,
    pub closed_visibility: Visibility,
    /// Weekly hours by day (`mon`..`sun`), each a list of "HH:MM-HH:MM" spans.
    /// Absent: open 24/7. Present: a day that is absent or `[]` is closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<BTreeMap<String, Vec<String>>>,
    pub special_days: Vec<SpecialDayConfig>,
    pub emergency: EmergencyConfig,
}

impl Default for CalendarConfig {
    fn default() -> Self {
        Self {
            timezone: "UTC".into(),
            closed_message: "We're closed now; we open at {opens_at}. We'll get back to you then."
                .into(),
            closed_visibility: Visibility::Private,
            hours: None,
            special_days: Vec::new(),
            emergency: EmergencyConfig::default(),
        }
    }
}

/// One `[[calendar.special_days]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecialDayConfig {
    /// "YYYY-MM-DD", in the calendar's time zone.
    pub date: String,
    #[serde(default)]
    pub name: String,
    /// Sent while closed on this day; empty: the calendar's `closed_message`.
    #[serde(default)]
    pub message: String,
    #[serde(default = "private")]
    pub visibility: Visibility,
    /// Opening hours that replace the weekday's; `[]` (the default): closed all day.
    #[serde(default)]
    pub hours: Vec<String>,
}

/// `[calendar.emergency]`: the message sent while the runtime emergency switch is on.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmergencyConfig {
    pub message: String,
    pub visibility: Visibility,
}

impl Default for EmergencyConfig {
    fn default() -> Self {
        Self {
            message: "We're dealing with an unexpected problem; replies will be slower than usual."
                .into(),
            visibility: Visibility::Private,
        }
    }
}

fn private() -> Visibility {
    Visibility::Private
}

/// A bad value in `[calendar]`: the field path, the value and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("calendar.timezone: {value:?} is not an IANA time zone; {hint}")]
    UnknownTimeZone { value: String, hint: String },
    #[error("calendar.hours.{value}: not a day; did you mean {hint}?")]
    UnknownDay { value: String, hint: String },
    #[error("{path}: {value:?} is not a span; write {hint}")]
    BadSpan {
        path: String,
        value: String,
        hint: String,
    },
    #[error(
        "{path}: {value:?} starts and ends at the same time; for all day write \"00:00-24:00\""
    )]
    EmptySpan { path: String, value: String },
    #[error("{path}: {value:?} is not a date; write YYYY-MM-DD, e.g. \"2026-12-25\"")]
    BadDate { path: String, value: String },
    #[error(
        "{path}: {value:?} is already calendar.special_days[{first}]; keep one entry per date"
    )]
    DuplicateSpecialDay {
        path: String,
        value: String,
        first: usize,
    },
}

/// Why the bot says it is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    Closed,
    SpecialDay,
    Emergency,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::SpecialDay => "special_day",
            Self::Emergency => "emergency",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CalendarStatus {
    Open,
    Closed {
        notice: NoticeKind,
        /// The notice to send, `{opens_at}` already filled in.
        message: String,
        visibility: Visibility,
        /// When it opens again; None during an emergency or if it never opens.
        next_open: Option<DateTime<Utc>>,
    },
}

impl CalendarStatus {
    pub fn is_open(&self) -> bool {
        matches!(self, Self::Open)
    }
}

/// Minutes from the day's midnight; `end` > `start`, past 1440 for an overnight span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

const ALL_DAY: Span = Span {
    start: 0,
    end: DAY_MINUTES,
};

#[derive(Debug, Clone)]
struct SpecialDay {
    message: String,
    visibility: Visibility,
    spans: Vec<Span>,
}

/// A validated calendar.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: Tz,
    closed_message: String,
    closed_visibility: Visibility,
    /// By weekday from Monday; None: open 24/7.
    week: Option<[Vec<Span>; 7]>,
    special: BTreeMap<NaiveDate, SpecialDay>,
    emergency: EmergencyConfig,
}

impl Calendar {
    pub fn new(config: CalendarConfig) -> Result<Self, CalendarError> {
        let tz = parse_tz(&config.timezone)?;
        let week = match &config.hours {
            None => None,
            Some(hours) => {
                let mut week: [Vec<Span>; 7] = Default::default();
                for (day, spans) in hours {
                    let Some(i) = DAYS.iter().position(|d| d == day) else {
                        let hint = did_you_mean(&day.to_lowercase(), &DAYS)
                            .map(|d| format!("\"{d}\""))
                            .unwrap_or_else(|| DAYS.join(", "));
                        return Err(CalendarError::UnknownDay {
                            value: day.clone(),
                            hint,
                        });
                    };
                    week[i] = parse_spans(&format!("calendar.hours.{day}"), spans)?;
                }
                Some(week)
            }
        };
        let mut special = BTreeMap::new();
        let mut first_index = BTreeMap::new();
        for (i, day) in config.special_days.into_iter().enumerate() {
            let path = format!("calendar.special_days[{i}]");
            let date = NaiveDate::parse_from_str(day.date.trim(), "%Y-%m-%d").map_err(|_| {
                CalendarError::BadDate {
                    path: format!("{path}.date"),
                    value: day.date.clone(),
                }
            })?;
            if let Some(&first) = first_index.get(&date) {
                return Err(CalendarError::DuplicateSpecialDay {
                    path: format!("{path}.date"),
                    value: day.date,
                    first,
                });
            }
            first_index.insert(date, i);
            let spans = parse_spans(&format!("{path}.hours"), &day.hours)?;
            special.insert(
                date,
                SpecialDay {
                    message: day.message,
                    visibility: day.visibility,
                    spans,
                },
            );
        }
        Ok(Self {
            tz,
            closed_message: config.closed_message,
            closed_visibility: config.closed_visibility,
            week,
            special,
            emergency: config.emergency,
        })
    }

    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    /// Open or closed at `now`. `emergency` is Some while the runtime switch is on: a message
    /// that overrides the configured one, or "" for the configured one.
    pub fn status_at(&self, now: DateTime<Utc>, emergency: Option<&str>) -> CalendarStatus {
        if let Some(text) = emergency {
            let text = if text.trim().is_empty() {
                &self.emergency.message
            } else {
                text
            };
            return CalendarStatus::Closed {
                notice: NoticeKind::Emergency,
                message: self.render(text, now, self.next_open(now)),
                visibility: self.emergency.visibility,
                next_open: None,
            };
        }
        let next_open = self.next_open(now);
        if next_open == Some(now) {
            return CalendarStatus::Open;
        }
        let today = now.with_timezone(&self.tz).date_naive();
        let (notice, template, visibility) = match self.special.get(&today) {
            Some(day) if !day.message.trim().is_empty() => {
                (NoticeKind::SpecialDay, &day.message, day.visibility)
            }
            Some(day) => (NoticeKind::SpecialDay, &self.closed_message, day.visibility),
            None => (
                NoticeKind::Closed,
                &self.closed_message,
                self.closed_visibility,
            ),
        };
        CalendarStatus::Closed {
            notice,
            message: self.render(template, now, next_open),
            visibility,
            next_open,
        }
    }

    /// The first instant at or after `now` when it is open (`now` itself when open now);
    /// None if it does not open within a year. Ignores the emergency switch.
    pub fn next_open(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let today = now.with_timezone(&self.tz).date_naive();
        (-1..=SEARCH_DAYS)
            .map(|offset| today + Duration::days(offset))
            .flat_map(|date| self.intervals(date))
            .find(|(_, end)| *end > now)
            .map(|(start, _)| start.max(now))
    }

    /// The spans that start on `date` (special hours replace the weekday's).
    fn spans(&self, date: NaiveDate) -> &[Span] {
        if let Some(day) = self.special.get(&date) {
            return &day.spans;
        }
        match &self.week {
            None => std::slice::from_ref(&ALL_DAY),
            Some(week) => &week[date.weekday().num_days_from_monday() as usize],
        }
    }

    /// `date`'s spans as UTC intervals, sorted by start. A special day governs its whole date,
    /// so an overnight span running into one is cut at midnight.
    fn intervals(&self, date: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let next_is_special = date
            .succ_opt()
            .is_some_and(|d| self.special.contains_key(&d));
        let midnight = date.and_time(NaiveTime::MIN);
        let mut out: Vec<_> = self
            .spans(date)
            .iter()
            .map(|span| {
                let end = if next_is_special {
                    span.end.min(DAY_MINUTES)
                } else {
                    span.end
                };
                let at = |m: u32| midnight + Duration::minutes(i64::from(m));
                (
                    to_utc(self.tz, at(span.start), false),
                    to_utc(self.tz, at(end), true),
                )
            })
            .filter(|(start, end)| start < end)
            .collect();
        out.sort();
        out
    }

    fn render(&self, template: &str, now: DateTime<Utc>, next: Option<DateTime<Utc>>) -> String {
        if !template.contains("{opens_at}") {
            return template.to_string();
        }
        let opens_at = match next {
            None => "our next opening time".to_string(),
            Some(t) => {
                let local = t.with_timezone(&self.tz);
                let pattern = if t - now < Duration::days(6) {
                    "%a %H:%M"
                } else {
                    "%a %-d %b %H:%M"
                };
                format!("{} ({})", local.format(pattern), self.tz.name())
            }
        };
        template.replace("{opens_at}", &opens_at)
    }
}

/// A local time to UTC. In a gap (clocks going forward) it rounds forward to the first local
/// time that exists; when ambiguous (clocks going back) an opening takes the first occurrence
/// and a closing the second, so a span is never shortened.
fn to_utc(tz: Tz, local: NaiveDateTime, closing: bool) -> DateTime<Utc> {
    let mut t = local;
    for _ in 0..=DAY_MINUTES {
        match tz.from_local_datetime(&t) {
            LocalResult::Single(d) => return d.with_timezone(&Utc),
            LocalResult::Ambiguous(a, b) => {
                return if closing { b } else { a }.with_timezone(&Utc);
            }
            LocalResult::None => t += Duration::minutes(1),
        }
    }
    tz.from_utc_datetime(&local).with_timezone(&Utc)
}

fn parse_tz(name: &str) -> Result<Tz, CalendarError> {
    if let Ok(tz) = name.trim().parse::<Tz>() {
        return Ok(tz);
    }
    let names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()).collect();
    let hint = names
        .iter()
        .find(|n| n.eq_ignore_ascii_case(name.trim()))
        .copied()
        .or_else(|| did_you_mean(name.trim(), &names))
        .map(|n| format!("did you mean \"{n}\"?"))
        .unwrap_or_else(|| "use a name like \"Europe/London\" or \"UTC\"".into());
    Err(CalendarError::UnknownTimeZone {
        value: name.into(),
        hint,
    })
}

fn parse_spans(path: &str, spans: &[String]) -> Result<Vec<Span>, CalendarError> {
    spans
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let path = format!("{path}[{i}]");
            let bad = |hint: String| CalendarError::BadSpan {
                path: path.clone(),
                value: text.clone(),
                hint,
            };
            let Some((start, end)) = parse_span(text, true) else {
                let hint = match parse_span(text, false) {
                    Some((s, e)) => format!("\"{}-{}\"", hhmm(s), hhmm(e)),
                    None => "\"HH:MM-HH:MM\", e.g. \"09:00-17:30\"".into(),
                };
                return Err(bad(hint));
            };
            if start == end {
                return Err(CalendarError::EmptySpan {
                    path,
                    value: text.clone(),
                });
            }
            if start == DAY_MINUTES {
                return Err(bad("a span that starts before 24:00".into()));
            }
            let end = if end < start { end + DAY_MINUTES } else { end };
            Ok(Span { start, end })
        })
        .collect()
}

/// "HH:MM-HH:MM" to minutes; `strict` false also reads "9-17" and "9:30 - 17" (for the hint).
fn parse_span(text: &str, strict: bool) -> Option<(u32, u32)> {
    let (a, b) = text.split_once('-')?;
    Some((parse_time(a, strict)?, parse_time(b, strict)?))
}

fn parse_time(text: &str, strict: bool) -> Option<u32> {
    let text = if strict { text } else { text.trim() };
    let (h, m) = match text.split_once(':') {
        Some((h, m)) => (h, m),
        None if !strict => (text, "00"),
        None => return None,
    };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(h) || !digits(m) || (strict && (h.len() != 2 || m.len() != 2)) || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(DAY_MINUTES),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests;
