//! Reports and metrics over HTTP on both stores: a day with a bot answer, a complaint resolved
//! by an agent and one still waiting, counted by /v1/reports, shown by /console/reports, and
//! counted by /metrics.

use chrono::Duration;
use reqwest::Method;
use serde_json::{json, Value};

use crate::console_support::{person, sign_in};
use crate::helpers::{session, spawn_app, Db, TestApp};
use crate::on_both_stores;
use crate::routing::{agent, COMPLAINT};

const DAY: &str = "from=2026-11-23&to=2026-11-23";

/// Monday 10:00: a question the bot answers and two complaints for one agent of capacity 1.
/// Returns (the resolved complaint's conversation id, the waiting one's).
async fn a_morning(app: &TestApp) -> (i64, i64) {
    let alice = agent(app, "alice", json!({"complaints": 3}), 1).await;
    let (question, first, second) = (session(), session(), session());
    assert_eq!(
        app.chat(&question, "q1", "where is my order?")
            .await
            .status(),
        202
    );
    assert_eq!(app.chat(&first, "c1", COMPLAINT).await.status(), 202);
    app.drain().await;
    assert_eq!(app.chat(&second, "c2", COMPLAINT).await.status(), 202);
    app.drain().await;
    let id = |c: Value| c["conversation"]["id"].as_i64().expect("id");
    let (first, second) = (
        id(app.conversation_of(&first).await),
        id(app.conversation_of(&second).await),
    );

    app.clock.advance(Duration::seconds(20));
    let (status, body) = app
        .send_json(
            Method::POST,
            &format!("/v1/conversations/{first}/accept"),
            json!({"agent_id": alice}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.clock.advance(Duration::seconds(40));
    let (status, body) = app
        .send_json(
            Method::POST,
            &format!("/v1/conversations/{first}/reply"),
            json!({"text": "I am sorry; I have refunded you.", "request_id": "r1"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.drain().await;
    (first, second)
}

async fn resolve(app: &TestApp, id: i64) {
    let (status, body) = app
        .send_json(
            Method::POST,
            &format!("/v1/conversations/{id}/resolve"),
            json!({"disposition": "refund_issued"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

on_both_stores!(the_report_counts_outcomes_times_causes_and_agents_of_a_day);

async fn the_report_counts_outcomes_times_causes_and_agents_of_a_day(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    let (first, _waiting) = a_morning(&app).await;
    // While alice works the first complaint, the second waits for her.
    let r = app.get(&format!("/v1/reports?{DAY}")).await;
    assert_eq!(r["waiting_now"]["count"], 1, "{r:#}");
    assert_eq!(r["waiting_now"]["longest_ms"], 60_000);

    app.clock.advance(Duration::seconds(240));
    resolve(&app, first).await;
    let r = app.get(&format!("/v1/reports?{DAY}")).await;
    assert_eq!(
        (r["from"].as_str(), r["to"].as_str()),
        (Some("2026-11-23"), Some("2026-11-23"))
    );
    assert_eq!(r["time_zone"], "UTC");
    let c = &r["conversations"];
    assert_eq!(
        (
            &c["total"],
            &c["auto_answered"],
            &c["escalated"],
            &c["liked"]
        ),
        (&json!(3), &json!(1), &json!(2), &json!(0)),
        "{r:#}"
    );
    let containment = r["containment_rate"].as_f64().expect("a rate");
    assert!((containment - 1.0 / 3.0).abs() < 1e-9, "{containment}");
    // Escalated at 10:00, accepted at 10:00:20, answered at 10:01, resolved at 10:05.
    assert_eq!(r["first_response"]["p50_ms"], 60_000, "{r:#}");
    assert_eq!(r["time_to_resolve"]["p50_ms"], 300_000);
    assert_eq!(r["queue_wait"]["p50_ms"], 20_000);
    assert_eq!(r["resolved"]["total"], 1);
    let refunds = r["resolved"]["by_disposition"]
        .as_array()
        .expect("dispositions")
        .iter()
        .find(|d| d["key"] == "refund_issued")
        .cloned();
    assert_eq!(refunds.expect("configured")["count"], 1);
    assert_eq!(
        r["escalation_causes"],
        json!([{"key": "intent", "count": 2}])
    );
    let skill = &r["by_skill"][0];
    assert_eq!(
        (&skill["key"], &skill["escalations"], &skill["resolved"]),
        (&json!("complaints"), &json!(2), &json!(1))
    );
    assert_eq!(r["by_channel"][0]["first_response"]["count"], 1);
    let alice = &r["agents"][0];
    assert_eq!(
        (&alice["login"], &alice["handled"], &alice["resolved"]),
        (&json!("alice"), &json!(1), &json!(1))
    );
    assert_eq!(
        alice["first_response"]["p50_ms"], 40_000,
        "from her acceptance"
    );
    assert_eq!(r["days"].as_array().map(Vec::len), Some(1));
    assert_eq!(r["days"][0]["resolved"], 1);
    assert_eq!(r["days"][0]["escalated"], 2);

    // The day before: nothing happened, so there is no rate to show.
    let before = app.get("/v1/reports?from=2026-11-22&to=2026-11-22").await;
    assert_eq!(before["conversations"]["total"], 0);
    assert_eq!(before["containment_rate"], Value::Null);
    assert_eq!(before["first_response"]["p50_ms"], Value::Null);
}

on_both_stores!(a_report_for_a_bad_period_is_refused_with_the_reason);

async fn a_report_for_a_bad_period_is_refused_with_the_reason(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    for (query, says) in [
        ("from=yesterday", "YYYY-MM-DD"),
        ("from=2026-11-24&to=2026-11-23", "swap them"),
        ("from=2020-01-01&to=2026-01-01", "at most 366"),
        ("since=2026-11-01", "unknown field"),
    ] {
        let (status, _, body) = app.get_text(&format!("/v1/reports?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        let body: Value = serde_json::from_str(&body).expect("json error");
        assert_eq!(body["error"]["code"], "bad_request", "{body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{query}: {message}");
    }
    // No period at all is the last seven days.
    let r = app.get("/v1/reports").await;
    assert_eq!(
        (r["from"].as_str(), r["to"].as_str()),
        (Some("2026-11-17"), Some("2026-11-23"))
    );
    assert_eq!(r["days"].as_array().map(Vec::len), Some(7));
}

on_both_stores!(the_reports_page_shows_the_figures_and_a_chart_to_supervisors);

async fn the_reports_page_shows_the_figures_and_a_chart_to_supervisors(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    a_morning(&app).await;
    person(&app, "boss", "supervisor", json!({})).await;
    let boss = sign_in(&app, "boss").await;
    let r = boss.get(&format!("/console/reports?{DAY}")).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("html");
    assert!(
        html.contains("<span class=\"value\" id=\"total\">3</span>"),
        "{html}"
    );
    assert!(html.contains("id=\"containment\">33%</span>"), "{html}");
    assert!(html.contains("<svg class=\"chart\""));
    assert!(html.contains("<title>2026-11-23: 3 conversations (1 auto-answered"));
    assert!(html.contains("<rect class=\"escalated\""));
    assert!(html.contains("<th>intent</th><td class=\"num\">2</td>"));
    assert!(
        html.contains("href=\"/v1/reports?from=2026-11-23&#38;to=2026-11-23\""),
        "{html}"
    );

    let bad = boss.get("/console/reports?from=2026-13-01").await;
    assert_eq!(bad.status(), 400);
    let html = bad.text().await.expect("html");
    assert!(
        html.contains("role=\"alert\">from: &#34;2026-13-01&#34; is not a date"),
        "{html}"
    );

    person(&app, "ann", "agent", json!({})).await;
    let ann = sign_in(&app, "ann").await;
    assert_eq!(ann.get("/console/reports").await.status(), 403);
}

on_both_stores!(metrics_count_messages_decisions_the_queue_and_nlu_latency);

async fn metrics_count_messages_decisions_the_queue_and_nlu_latency(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    a_morning(&app).await;
    let (status, kind, text) = app.get_text("/metrics").await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    let channel = app.get("/v1/conversations?limit=1").await["conversations"][0]["channel"]
        .as_str()
        .expect("channel")
        .to_string();
    for line in [
        format!("hearken_messages_in_total{{channel=\"{channel}\"}} 3"),
        // One answer and the two hand-overs' acknowledgements.
        "hearken_decisions_total{kind=\"reply\"} 3".into(),
        "hearken_decisions_total{kind=\"escalate\"} 2".into(),
        "hearken_queue_length{state=\"assigned\",skill=\"complaints\"} 1".into(),
        "hearken_queue_length{state=\"queued\",skill=\"complaints\"} 1".into(),
        "hearken_agents{status=\"online\"} 1".into(),
        "hearken_nlu_messages_total 3".into(),
        "# TYPE hearken_nlu_latency_seconds histogram".into(),
        "hearken_inbox_messages{status=\"done\"} 3".into(),
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in:\n{text}");
    }
    let batches: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("hearken_nlu_latency_seconds_count "))
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(batches >= 2, "two drains analysed: {batches}");
    // The outbox sent the bot's answer, the two acknowledgements and alice's reply.
    assert!(
        text.lines()
            .any(|l| l == format!("hearken_outbox_sent_total{{channel=\"{channel}\"}} 4")),
        "{text}"
    );

    let anonymous = reqwest::get(format!("{}/metrics", app.addr))
        .await
        .expect("request");
    assert_eq!(anonymous.status(), 401);
}
