//! The outbox: retries with backoff, rate limits, dead letters that reach an agent, tickets.

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{spawn_app, Db};
use crate::on_both_stores;
use crate::pipeline::{event, post_api, received, with_api_channel, SECRET};
use hearken::config::{Secret, TicketSettings};

on_both_stores!(a_send_that_keeps_failing_is_dead_lettered_and_escalated);

async fn a_send_that_keeps_failing_is_dead_lettered_and_escalated(db: Db) {
    let platform = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/actions"))
        .respond_with(ResponseTemplate::new(503).set_body_string("platform down"))
        .mount(&platform)
        .await;
    let app = spawn_app(db, |s| {
        crate::helpers::without_waiting_notice(s);
        with_api_channel(s, &platform);
        s.outbox.retry_for_secs = 60;
    })
    .await;
    post_api(
        &app,
        &event(
            "e1",
            "private",
            "dm-1",
            "dana",
            "how do I reset my password?",
        ),
        SECRET,
    )
    .await;
    app.drain().await;
    let first = app.get("/v1/outbox?status=pending").await;
    assert_eq!(first["actions"][0]["attempts"], 1, "{first:#}");
    // Walk the clock through the retry schedule: each retry is due later than the last.
    let mut gaps = Vec::new();
    let mut last_next = first["actions"][0]["next_attempt_at"].as_i64().unwrap();
    for _ in 0..20 {
        app.clock.set(hearken::store::from_millis(last_next));
        app.drain().await;
        let pending = app.get("/v1/outbox?status=pending").await;
        match pending["actions"].as_array().unwrap().first() {
            Some(a) => {
                let next = a["next_attempt_at"].as_i64().unwrap();
                gaps.push(next - last_next);
                last_next = next;
            }
            None => break,
        }
    }
    assert!(
        gaps.len() >= 3 && gaps.windows(2).take(3).all(|w| w[1] > w[0] / 2),
        "backoff grows: {gaps:?}"
    );
    let dead = app.get("/v1/outbox?status=dead").await;
    let action = &dead["actions"][0];
    assert!(
        action["last_error"].as_str().unwrap().contains("503"),
        "{dead:#}"
    );
    let attempts = action["attempts"].as_i64().unwrap();
    assert_eq!(
        received(&platform).await.len() as i64,
        attempts,
        "one request per attempt"
    );
    let conv = app
        .get(&format!("/v1/conversations/{}", action["conversation_id"]))
        .await;
    assert_eq!(conv["conversation"]["owner"], "queued", "{conv:#}");
    let last = conv["decisions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(
        last["reason"].as_str().unwrap().contains("failed after"),
        "{last}"
    );
    let failed = app.get("/v1/events?kind=reply.failed").await;
    assert_eq!(failed["events"].as_array().unwrap().len(), 1);
    // Every attempt but the first was a retry; the give-up is a dead letter.
    let (_, _, metrics) = app.get_text("/metrics").await;
    let channel = action["channel"].as_str().unwrap();
    let retries = format!(
        "hearken_outbox_retries_total{{channel=\"{channel}\"}} {}\n",
        attempts - 1
    );
    assert!(metrics.contains(&retries), "{retries} in {metrics}");
    let dead = format!("hearken_outbox_dead_letters_total{{channel=\"{channel}\"}} 1\n");
    assert!(metrics.contains(&dead), "{metrics}");
}

#[tokio::test]
async fn a_429_pauses_the_channel_until_the_reset_time() {
    let platform = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/actions"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "30"))
        .up_to_n_times(1)
        .mount(&platform)
        .await;
    Mock::given(method("POST"))
        .and(path("/actions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "ok"})))
        .mount(&platform)
        .await;
    let app = spawn_app(Db::Sqlite, |s| with_api_channel(s, &platform)).await;
    post_api(
        &app,
        &event(
            "e1",
            "private",
            "dm-1",
            "dana",
            "how do I reset my password?",
        ),
        SECRET,
    )
    .await;
    post_api(
        &app,
        &event("e2", "private", "dm-2", "fox", "where is my order?"),
        SECRET,
    )
    .await;
    app.drain().await;
    // One request got the 429; the other action waits rather than hammering the platform.
    assert_eq!(received(&platform).await.len(), 1);
    let pending = app.get("/v1/outbox?status=pending").await;
    assert_eq!(
        pending["actions"].as_array().unwrap().len(),
        2,
        "{pending:#}"
    );
    app.clock.advance(chrono::Duration::seconds(10));
    app.drain().await;
    assert_eq!(
        received(&platform).await.len(),
        1,
        "still inside the reset window"
    );
    app.clock.advance(chrono::Duration::seconds(21));
    app.drain().await;
    assert_eq!(received(&platform).await.len(), 3);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
            .await,
        2
    );
}

#[tokio::test]
async fn a_bug_report_opens_a_github_issue_and_the_customer_gets_its_url() {
    let platform = crate::pipeline::platform().await;
    let github = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/northwind/shop/issues"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "number": 42, "html_url": "https://github.com/northwind/shop/issues/42"})))
        .expect(1)
        .mount(&github)
        .await;
    let app = spawn_app(Db::Sqlite, |s| {
        with_api_channel(s, &platform);
        s.tickets = TicketSettings::Github {
            api_url: github.uri(),
            owner: "northwind".into(),
            repo: "shop".into(),
            token: Secret::new("ghp_test"),
            labels: vec!["from-social".into()],
        };
    })
    .await;
    post_api(
        &app,
        &event(
            "e1",
            "public",
            "post-9",
            "dana",
            "getting a 500 error when the app crashes on the checkout page",
        ),
        SECRET,
    )
    .await;
    app.drain().await;
    let issue: Value =
        serde_json::from_slice(&github.received_requests().await.unwrap()[0].body).unwrap();
    assert!(
        issue["title"].as_str().unwrap().contains("crashes"),
        "{issue}"
    );
    assert_eq!(issue["labels"][0], "from-social");
    let auth = github.received_requests().await.unwrap()[0]
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(auth, "Bearer ghp_test");
    let replies = received(&platform).await;
    assert!(
        replies.iter().any(|a| a["action"]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("https://github.com/northwind/shop/issues/42")),
        "{replies:#?}"
    );
    let conv = app.get("/v1/conversations?limit=5").await;
    assert_eq!(
        conv["conversations"][0]["ticket_url"],
        "https://github.com/northwind/shop/issues/42"
    );
}

#[tokio::test]
async fn a_bug_report_goes_to_a_signed_ticket_webhook_and_its_url_reaches_the_customer() {
    let platform = crate::pipeline::platform().await;
    let tracker = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/tickets"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"url": "https://tracker.example/T-7"})),
        )
        .expect(1)
        .mount(&tracker)
        .await;
    let app = spawn_app(Db::Sqlite, |s| {
        with_api_channel(s, &platform);
        s.tickets = TicketSettings::Webhook {
            url: format!("{}/tickets", tracker.uri()),
            secret: Secret::new("tracker-secret"),
        };
    })
    .await;
    let report = "getting a 500 error when the app crashes on the checkout page";
    post_api(
        &app,
        &event("e1", "public", "post-9", "dana", report),
        SECRET,
    )
    .await;
    app.drain().await;
    let req = &tracker.received_requests().await.unwrap()[0];
    let sig = req
        .headers
        .get("x-hearken-signature")
        .unwrap()
        .to_str()
        .unwrap();
    // Signed at the engine's clock (the hand-set test clock).
    let now = hearken::clock::Clock::now(app.clock.as_ref()).timestamp();
    hearken::signature::verify("tracker-secret", Some(sig), &req.body, now)
        .expect("the ticket webhook is signed with the configured secret");
    assert!(
        hearken::signature::verify("another-secret", Some(sig), &req.body, now).is_err(),
        "a signature that any secret verifies is no signature"
    );
    let ticket: Value = serde_json::from_slice(&req.body).unwrap();
    assert!(
        ticket["body"].as_str().unwrap().contains("crashes"),
        "{ticket}"
    );
    assert_eq!(
        req.headers
            .get("idempotency-key")
            .unwrap()
            .to_str()
            .unwrap(),
        ticket["idempotency_key"].as_str().unwrap()
    );
    let replies = received(&platform).await;
    assert!(
        replies.iter().any(|a| a["action"]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("https://tracker.example/T-7")),
        "{replies:#?}"
    );
    let conv = app.get("/v1/conversations?limit=5").await;
    assert_eq!(
        conv["conversations"][0]["ticket_url"],
        "https://tracker.example/T-7"
    );
}
