use super::*;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn calendar(toml_text: &str) -> Calendar {
    #[derive(Deserialize)]
    struct File {
        calendar: CalendarConfig,
    }
    let file: File = toml::from_str(toml_text).unwrap();
    Calendar::new(file.calendar).unwrap()
}

fn london(hours: &str) -> Calendar {
    calendar(&format!(
        "[calendar]\ntimezone = \"Europe/London\"\n[calendar.hours]\n{hours}"
    ))
}

fn error(hours: &str) -> String {
    let mut config = CalendarConfig::default();
    let mut map = BTreeMap::new();
    map.insert("mon".to_string(), vec![hours.to_string()]);
    config.hours = Some(map);
    Calendar::new(config).unwrap_err().to_string()
}

#[test]
fn without_hours_it_is_open_all_the_time() {
    let cal = Calendar::new(CalendarConfig::default()).unwrap();
    assert!(cal.status_at(utc("2026-01-04T03:00:00Z"), None).is_open());
    assert_eq!(cal.time_zone(), Tz::UTC);
}

#[test]
fn outside_hours_it_is_closed_and_says_when_it_opens() {
    let cal = london("mon = [\"09:00-17:30\"]");
    // 2026-01-05 is a Monday; London is on GMT in January.
    assert!(cal.status_at(utc("2026-01-05T09:00:00Z"), None).is_open());
    assert!(cal.status_at(utc("2026-01-05T17:29:59Z"), None).is_open());
    let status = cal.status_at(utc("2026-01-04T12:00:00Z"), None);
    assert_eq!(
        status,
        CalendarStatus::Closed {
            notice: NoticeKind::Closed,
            message: "We're closed now; we open at Mon 09:00 (Europe/London). We'll get back to you then.".into(),
            visibility: Visibility::Private,
            next_open: Some(utc("2026-01-05T09:00:00Z")),
        }
    );
    assert!(!cal.status_at(utc("2026-01-05T17:30:00Z"), None).is_open());
}

#[test]
fn hours_follow_the_time_zone_across_summer_time() {
    let cal = london("mon = [\"09:00-17:30\"]");
    // 2026-07-06 is a Monday; London is on BST (UTC+1).
    assert!(!cal.status_at(utc("2026-07-06T16:45:00Z"), None).is_open());
    assert!(cal.status_at(utc("2026-07-06T08:00:00Z"), None).is_open());
    assert_eq!(
        cal.next_open(utc("2026-07-05T12:00:00Z")),
        Some(utc("2026-07-06T08:00:00Z"))
    );
}

#[test]
fn a_present_table_closes_absent_and_empty_days() {
    let cal = london("mon = [\"09:00-17:00\"]\ntue = []");
    assert!(!cal.status_at(utc("2026-01-06T10:00:00Z"), None).is_open()); // Tuesday
    assert!(!cal.status_at(utc("2026-01-07T10:00:00Z"), None).is_open()); // Wednesday
}

#[test]
fn split_day_is_closed_over_lunch() {
    let cal = london("fri = [\"09:00-12:00\", \"13:00-17:00\"]");
    assert!(cal.status_at(utc("2026-01-09T11:59:00Z"), None).is_open());
    assert!(!cal.status_at(utc("2026-01-09T12:30:00Z"), None).is_open());
    assert_eq!(
        cal.next_open(utc("2026-01-09T12:30:00Z")),
        Some(utc("2026-01-09T13:00:00Z"))
    );
}

#[test]
fn overnight_span_covers_the_small_hours_of_the_next_day() {
    let cal = london("sat = [\"22:00-02:00\"]");
    // 2026-01-10 is a Saturday.
    assert!(!cal.status_at(utc("2026-01-10T21:59:00Z"), None).is_open());
    assert!(cal.status_at(utc("2026-01-10T23:00:00Z"), None).is_open());
    assert!(cal.status_at(utc("2026-01-11T01:59:00Z"), None).is_open());
    assert!(!cal.status_at(utc("2026-01-11T02:00:00Z"), None).is_open());
    assert!(!cal.status_at(utc("2026-01-12T01:00:00Z"), None).is_open()); // Sunday night
}

#[test]
fn dst_gap_rounds_forward() {
    // On 2026-03-29 London clocks jump from 01:00 GMT to 02:00 BST: 01:30 does not exist.
    let cal = london("sun = [\"01:30-03:00\"]");
    assert!(!cal.status_at(utc("2026-03-29T00:59:00Z"), None).is_open());
    assert!(cal.status_at(utc("2026-03-29T01:00:00Z"), None).is_open());
    assert_eq!(
        cal.next_open(utc("2026-03-29T00:00:00Z")),
        Some(utc("2026-03-29T01:00:00Z"))
    );
    assert!(!cal.status_at(utc("2026-03-29T02:00:00Z"), None).is_open()); // 03:00 BST
}

#[test]
fn ambiguous_closing_time_takes_the_second_occurrence() {
    // On 2026-10-25 London clocks go back at 02:00 BST to 01:00 GMT: 01:30 happens twice.
    let cal = london("sun = [\"00:00-01:30\"]");
    assert!(cal.status_at(utc("2026-10-25T01:15:00Z"), None).is_open()); // 01:15 GMT
    assert!(!cal.status_at(utc("2026-10-25T01:30:00Z"), None).is_open());
}

const CHRISTMAS: &str = r#"
[calendar]
timezone = "Europe/London"
[calendar.hours]
mon = ["09:00-17:00"]
thu = ["22:00-02:00"]
fri = ["09:00-17:00"]
[[calendar.special_days]]
date = "2026-12-25"
name = "Christmas Day"
message = "Merry Christmas! We're closed today; back on the 28th."
visibility = "public"
[[calendar.special_days]]
date = "2026-12-24"
name = "Christmas Eve"
message = "Short hours today; we open again {opens_at}."
hours = ["09:00-12:00"]
"#;

#[test]
fn special_day_closed_all_day_sends_its_own_message() {
    let cal = calendar(CHRISTMAS);
    let status = cal.status_at(utc("2026-12-25T10:00:00Z"), None);
    assert_eq!(
        status,
        CalendarStatus::Closed {
            notice: NoticeKind::SpecialDay,
            message: "Merry Christmas! We're closed today; back on the 28th.".into(),
            visibility: Visibility::Public,
            next_open: Some(utc("2026-12-28T09:00:00Z")),
        }
    );
}

#[test]
fn special_day_with_own_hours_is_open_inside_them() {
    let cal = calendar(CHRISTMAS);
    // 2026-12-24 is a Thursday: the special hours replace the weekday's overnight span.
    assert!(cal.status_at(utc("2026-12-24T10:00:00Z"), None).is_open());
    let CalendarStatus::Closed {
        notice,
        message,
        visibility,
        ..
    } = cal.status_at(utc("2026-12-24T13:00:00Z"), None)
    else {
        panic!("open after the special hours");
    };
    assert_eq!(notice, NoticeKind::SpecialDay);
    assert_eq!(visibility, Visibility::Private);
    assert_eq!(
        message,
        "Short hours today; we open again Mon 09:00 (Europe/London)."
    );
}

#[test]
fn overnight_span_into_a_special_day_stops_at_midnight() {
    let cal = calendar(CHRISTMAS);
    // Thursday 2026-12-17 22:00 runs into an ordinary Friday.
    assert!(cal.status_at(utc("2026-12-18T01:00:00Z"), None).is_open());
    // Thursday 2026-12-03 runs into a special day, which governs its whole date.
    let cal = calendar(
        r#"[calendar]
[calendar.hours]
thu = ["22:00-02:00"]
[[calendar.special_days]]
date = "2026-12-04"
"#,
    );
    assert!(cal.status_at(utc("2026-12-03T23:59:00Z"), None).is_open());
    assert!(!cal.status_at(utc("2026-12-04T00:30:00Z"), None).is_open());
}

#[test]
fn emergency_wins_over_opening_hours() {
    let cal = calendar(
        r#"[calendar]
[calendar.emergency]
message = "We're dealing with an outage; replies will be slow."
visibility = "public"
"#,
    );
    let now = utc("2026-01-05T10:00:00Z");
    assert!(cal.status_at(now, None).is_open());
    assert_eq!(
        cal.status_at(now, Some("")),
        CalendarStatus::Closed {
            notice: NoticeKind::Emergency,
            message: "We're dealing with an outage; replies will be slow.".into(),
            visibility: Visibility::Public,
            next_open: None,
        }
    );
    let CalendarStatus::Closed { message, .. } = cal.status_at(now, Some("Storm; back soon."))
    else {
        panic!("emergency is closed");
    };
    assert_eq!(message, "Storm; back soon.");
}

#[test]
fn a_calendar_that_never_opens_has_no_next_opening() {
    let cal = calendar("[calendar]\nhours = {}");
    let CalendarStatus::Closed {
        message, next_open, ..
    } = cal.status_at(utc("2026-01-05T10:00:00Z"), None)
    else {
        panic!("never open");
    };
    assert_eq!(next_open, None);
    assert!(
        message.contains("we open at our next opening time"),
        "{message}"
    );
}

#[test]
fn the_documented_example_parses() {
    calendar(
        r#"[calendar]
timezone = "Europe/London"
closed_message = "We're closed now; we open at {opens_at}. We'll get back to you then."
closed_visibility = "private"
[calendar.hours]
mon = ["09:00-17:30"]
fri = ["09:00-12:00", "13:00-17:00"]
sat = ["22:00-02:00"]
sun = ["00:00-24:00"]
[[calendar.special_days]]
date = "2026-12-25"
name = "Christmas Day"
message = "Merry Christmas! We're closed today; back on the 27th."
visibility = "public"
hours = []
[calendar.emergency]
message = "We're dealing with an outage; replies will be slow."
visibility = "public"
"#,
    );
    let unknown: Result<CalendarConfig, _> = toml::from_str("timezon = \"UTC\"");
    assert!(unknown.is_err());
}

#[test]
fn a_bad_span_names_the_field_and_suggests_the_fix() {
    assert_eq!(
        error("9-17"),
        r#"calendar.hours.mon[0]: "9-17" is not a span; write "09:00-17:00""#
    );
    assert!(error("25:00-26:00").contains("write \"HH:MM-HH:MM\""));
    assert!(error("09:00-09:00").contains("starts and ends at the same time"));
}

#[test]
fn an_unknown_time_zone_suggests_the_closest_name() {
    let config = CalendarConfig {
        timezone: "Europe/Londn".into(),
        ..CalendarConfig::default()
    };
    assert_eq!(
        Calendar::new(config).unwrap_err().to_string(),
        r#"calendar.timezone: "Europe/Londn" is not an IANA time zone; did you mean "Europe/London"?"#
    );
}

#[test]
fn an_unknown_day_suggests_the_short_name() {
    let err = Calendar::new(CalendarConfig {
        hours: Some(BTreeMap::from([("monday".to_string(), vec![])])),
        ..CalendarConfig::default()
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "calendar.hours.monday: not a day; did you mean \"mon\"?"
    );
}

#[test]
fn bad_and_duplicate_special_days_are_refused() {
    let day = |date: &str| SpecialDayConfig {
        date: date.into(),
        name: String::new(),
        message: String::new(),
        visibility: Visibility::Private,
        hours: Vec::new(),
    };
    let with = |days| {
        Calendar::new(CalendarConfig {
            special_days: days,
            ..CalendarConfig::default()
        })
        .unwrap_err()
        .to_string()
    };
    assert_eq!(
        with(vec![day("2026-13-01")]),
        r#"calendar.special_days[0].date: "2026-13-01" is not a date; write YYYY-MM-DD, e.g. "2026-12-25""#
    );
    assert_eq!(
        with(vec![day("2026-12-25"), day("2026-12-25")]),
        r#"calendar.special_days[1].date: "2026-12-25" is already calendar.special_days[0]; keep one entry per date"#
    );
}

#[test]
fn an_opening_a_week_or_more_away_names_the_date() {
    let cal = calendar(
        r#"[calendar]
hours = {}
[[calendar.special_days]]
date = "2026-03-01"
hours = ["10:00-12:00"]
"#,
    );
    let CalendarStatus::Closed {
        notice, message, ..
    } = cal.status_at(utc("2026-02-01T10:00:00Z"), None)
    else {
        panic!("closed until March");
    };
    assert_eq!(notice, NoticeKind::Closed);
    assert!(
        message.contains("we open at Sun 1 Mar 10:00 (UTC)"),
        "{message}"
    );
    let json = serde_json::to_value(cal.status_at(utc("2026-03-01T11:00:00Z"), None)).unwrap();
    assert_eq!(json, serde_json::json!({"state": "open"}));
}
