//! The business calendar: closed hours, special days and the emergency switch, on a hand-set clock.

use chrono::TimeZone;
use serde_json::json;

use crate::helpers::{session, spawn_app, Db};
use hearken::policy::calendar::SpecialDayConfig;
use hearken::policy::Visibility;

fn christmas(s: &mut hearken::config::Settings) {
    s.calendar.timezone = "Europe/London".into();
    let mut hours = std::collections::BTreeMap::new();
    for d in ["mon", "tue", "wed", "thu", "fri"] {
        hours.insert(d.to_string(), vec!["09:00-17:00".to_string()]);
    }
    s.calendar.hours = Some(hours);
    s.calendar.special_days.push(SpecialDayConfig {
        date: "2026-12-25".into(),
        name: "Christmas Day".into(),
        message: "Merry Christmas! We're closed today and back on the 28th.".into(),
        visibility: Visibility::Private,
        hours: vec![],
    });
}

#[tokio::test]
async fn on_a_special_day_the_notice_is_sent_once_and_escalations_wait_for_opening() {
    let app = spawn_app(Db::Sqlite, christmas).await;
    app.clock.set(
        chrono::Utc
            .with_ymd_and_hms(2026, 12, 25, 11, 0, 0)
            .unwrap(),
    );
    let s = session();
    app.chat(&s, "m1", "where is my order?").await;
    app.chat(
        &s,
        "m2",
        "I want to complain, this is unacceptable and nobody answers",
    )
    .await;
    app.drain().await;
    let c = app.conversation_of(&s).await;
    let out: Vec<String> = c["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "out")
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect();
    let notices = out.iter().filter(|t| t.contains("Merry Christmas")).count();
    assert_eq!(notices, 1, "{out:#?}");
    assert!(
        out.len() >= 2,
        "the bot still answers what it can: {out:#?}"
    );
    assert_eq!(c["conversation"]["owner"], "queued");
    let opens = chrono::Utc
        .with_ymd_and_hms(2026, 12, 28, 9, 0, 0)
        .unwrap()
        .timestamp_millis();
    assert_eq!(
        c["conversation"]["not_before"], opens,
        "escalation waits for Monday 09:00: {c:#}"
    );
}

#[tokio::test]
async fn emergency_mode_sends_its_message_until_switched_off() {
    let app = spawn_app(Db::Sqlite, |s| {
        s.calendar.emergency.message = "We're fixing an outage; replies will be slow.".into();
    })
    .await;
    let (status, body) = app
        .send_json(
            reqwest::Method::PUT,
            "/v1/emergency",
            json!({"on": true, "actor": "ops:skinner"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let s = session();
    app.chat(&s, "m1", "where is my order?").await;
    app.drain().await;
    let c = app.conversation_of(&s).await;
    assert!(
        c["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["text"].as_str().unwrap().contains("outage")),
        "{c:#}"
    );
    let cal = app.get("/v1/calendar").await;
    assert_eq!(cal["status"]["notice"], "emergency", "{cal:#}");
    app.send_json(
        reqwest::Method::PUT,
        "/v1/emergency",
        json!({"on": false, "actor": "ops:skinner"}),
    )
    .await;
    let s2 = session();
    app.chat(&s2, "m1", "where is my order?").await;
    app.drain().await;
    let c = app.conversation_of(&s2).await;
    assert!(!c["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["text"].as_str().unwrap().contains("outage")));
    let changes = app.get("/v1/events?kind=emergency.changed").await;
    assert_eq!(changes["events"].as_array().unwrap().len(), 2);
}
