//! End to end: the Slack adapter over real HTTP against a simulated Slack (wiremock). Every
//! request Slack receives is checked against the official Web API OpenAPI spec.

#[path = "../../src/channels/slack/spec_check.rs"]
mod spec_check;
mod support;

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{spawn_app, Db};
use crate::on_both_stores;
use support::*;

on_both_stores!(a_mention_is_answered_in_its_thread_once_whatever_slack_redelivers);

async fn a_mention_is_answered_in_its_thread_once_whatever_slack_redelivers(db: Db) {
    let slack = slack().await;
    let app = spawn_app(db, |s| with_slack(s, &slack)).await;
    let ts = "1700000000.000100";
    let first = deliver(&app, &mention(ts, "how do I reset my password?"), None).await;
    assert_eq!(first["status"], "accepted", "{first}");
    assert_eq!(first["event_id"], format!("{CHANNEL}:{ts}"));
    // Slack's retry of the same delivery, and the same message from message.channels.
    let retry = deliver(&app, &mention(ts, "how do I reset my password?"), Some(1)).await;
    let twin = deliver(
        &app,
        &channel_message(ts, "how do I reset my password?"),
        None,
    )
    .await;
    assert_eq!(
        (&retry["status"], &twin["status"]),
        (&json!("duplicate"), &json!("duplicate"))
    );
    app.drain().await;
    let calls = calls(&slack).await;
    assert_eq!(
        calls,
        vec![(
            "chat.postMessage".to_string(),
            json!({
                "channel": CHANNEL,
                "text": "Hi, sorry you're locked out! Try 'Forgot password' on the sign-in page, and if that doesn't work, DM us and we'll help. 🔑",
                "thread_ts": ts,
            })
        )]
    );
    let c = app.conversation_of(&format!("{CHANNEL}:{ts}")).await;
    let messages = c["messages"].as_array().expect("messages");
    let inbound: Vec<&Value> = messages.iter().filter(|m| m["direction"] == "in").collect();
    assert_eq!(inbound.len(), 1, "{messages:#?}");
    assert_eq!(inbound[0]["text"], "@U0LAN0Z89 how do I reset my password?");
    let out = messages
        .iter()
        .find(|m| m["direction"] == "out")
        .expect("reply stored");
    assert_eq!(
        out["platform_message_id"],
        format!("{CHANNEL}:1700000099.000100"),
        "{out:#}"
    );
}

#[tokio::test]
async fn a_direct_message_is_answered_in_the_dm() {
    let slack = slack().await;
    let app = spawn_app(Db::Sqlite, |s| with_slack(s, &slack)).await;
    deliver(
        &app,
        &direct_message("1700000000.000200", "where is my order?"),
        None,
    )
    .await;
    app.drain().await;
    let calls = calls(&slack).await;
    assert_eq!(
        calls,
        vec![
            (
                "conversations.open".to_string(),
                json!({"users": "U2147483697"})
            ),
            (
                "chat.postMessage".to_string(),
                json!({"channel": "D024BE91L", "text": "Hi, thanks for reaching out. Could you share your order number (it starts with NW-)? I'll look up the tracking for you."})
            ),
        ]
    );
}

#[tokio::test]
async fn a_positive_mention_is_liked_with_the_configured_reaction() {
    let slack = slack().await;
    let app = spawn_app(Db::Sqlite, |s| with_slack(s, &slack)).await;
    let ts = "1700000000.000300";
    deliver(
        &app,
        &mention(ts, "Just got my parcel, you folks are brilliant, love it!"),
        None,
    )
    .await;
    app.drain().await;
    let calls = calls(&slack).await;
    assert_eq!(
        of(&calls, "reactions.add"),
        vec![&json!({"channel": CHANNEL, "timestamp": ts, "name": "thumbsup"})],
        "{calls:#?}"
    );
}

#[tokio::test]
async fn a_complaint_is_escalated_with_a_short_acknowledgement_in_its_thread_only() {
    let slack = slack().await;
    let app = spawn_app(Db::Sqlite, |s| with_slack(s, &slack)).await;
    let ts = "1700000000.000400";
    deliver(
        &app,
        &mention(
            ts,
            "This is the worst service I have ever had, my complaint has been ignored for weeks",
        ),
        None,
    )
    .await;
    app.drain().await;
    let c = app.conversation_of(&format!("{CHANNEL}:{ts}")).await;
    assert_eq!(c["conversation"]["owner"], "queued", "{c:#}");
    assert_eq!(c["conversation"]["skill"], "complaints", "{c:#}");
    let calls = calls(&slack).await;
    let posts = of(&calls, "chat.postMessage");
    assert_eq!(posts.len(), 1, "one acknowledgement, no answer: {calls:#?}");
    assert_eq!(posts[0]["thread_ts"], ts, "in the thread");
    let text = posts[0]["text"].as_str().unwrap_or_default();
    assert!(
        text.ends_with(
            "A member of our team will reach out to you by DM shortly to put this right."
        ),
        "{calls:#?}"
    );
}

#[tokio::test]
async fn a_rate_limited_reply_is_sent_after_slacks_retry_after() {
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "30"))
        .up_to_n_times(1)
        .mount(&slack)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ok": true, "channel": CHANNEL, "ts": "1700000099.000500"})),
        )
        .mount(&slack)
        .await;
    let app = spawn_app(Db::Sqlite, |s| with_slack(s, &slack)).await;
    deliver(
        &app,
        &mention("1700000000.000500", "where is my order?"),
        None,
    )
    .await;
    app.drain().await;
    assert_eq!(calls(&slack).await.len(), 1);
    app.clock.advance(chrono::Duration::seconds(20));
    app.drain().await;
    assert_eq!(calls(&slack).await.len(), 1, "still inside Retry-After");
    app.clock.advance(chrono::Duration::seconds(11));
    app.drain().await;
    let calls = calls(&slack).await;
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0], calls[1], "the same request again");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_revoked_token_makes_the_channel_unhealthy_and_escalates() {
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ok": false, "error": "token_revoked"})),
        )
        .mount(&slack)
        .await;
    let app = spawn_app(Db::Sqlite, |s| with_slack(s, &slack)).await;
    let ts = "1700000000.000600";
    deliver(&app, &mention(ts, "where is my order?"), None).await;
    app.drain().await;
    assert_eq!(calls(&slack).await.len(), 1, "not retried");
    let ours = our_channel(&app).await;
    assert_eq!(ours["platform"], "slack");
    assert_eq!(ours["inbound"], "webhook");
    assert_eq!(ours["health"]["healthy"], false, "{ours:#}");
    assert!(
        ours["health"]["detail"]
            .as_str()
            .unwrap_or("")
            .contains("token_revoked"),
        "{ours:#}"
    );
    let c = app.conversation_of(&format!("{CHANNEL}:{ts}")).await;
    assert_eq!(c["conversation"]["owner"], "queued", "{c:#}");
    let events = app.get("/v1/events?kind=channel.unhealthy").await;
    assert_eq!(
        events["events"].as_array().expect("events").len(),
        1,
        "{events:#}"
    );
}

#[tokio::test]
async fn forged_stale_truncated_and_unsigned_requests_are_refused_and_nothing_is_stored() {
    let slack = slack().await;
    let app = spawn_app(Db::Sqlite, |s| with_slack(s, &slack)).await;
    let body = mention("1700000000.000700", "where is my order?").to_string();
    let now = chrono::Utc::now().timestamp();
    let good = slack_signature(SIGNING_SECRET, now, &body);
    let stale = now - 6 * 60;
    let attempts: Vec<Vec<(&str, String)>> = vec![
        vec![
            ("x-slack-request-timestamp", now.to_string()),
            (
                "x-slack-signature",
                slack_signature("not-the-secret", now, &body),
            ),
        ],
        vec![
            ("x-slack-request-timestamp", stale.to_string()),
            (
                "x-slack-signature",
                slack_signature(SIGNING_SECRET, stale, &body),
            ),
        ],
        vec![
            ("x-slack-request-timestamp", now.to_string()),
            ("x-slack-signature", good[..good.len() - 4].to_string()),
        ],
        vec![("x-slack-request-timestamp", now.to_string())],
        vec![],
    ];
    for headers in &attempts {
        let r = post_raw(&app, headers, &body).await;
        assert_eq!(r.status(), 401, "{headers:?}");
        let answer: Value = r.json().await.expect("json");
        assert_eq!(answer["error"]["code"], "bad_signature");
    }
    // A correctly signed request for another body is a forgery of this one.
    let other = mention("1700000000.000701", "hi").to_string();
    let signed_other = vec![
        ("x-slack-request-timestamp", now.to_string()),
        (
            "x-slack-signature",
            slack_signature(SIGNING_SECRET, now, &other),
        ),
    ];
    assert_eq!(post_raw(&app, &signed_other, &body).await.status(), 401);
    let inbox = app.get("/v1/inbox").await;
    assert_eq!(inbox["events"], json!([]), "{inbox:#}");
    let ours = our_channel(&app).await;
    assert_eq!(ours["health"]["rejected_requests"], attempts.len() + 1);
    app.drain().await;
    assert!(calls(&slack).await.is_empty());
}

#[tokio::test]
async fn the_url_verification_handshake_gets_its_challenge_back() {
    let slack = slack().await;
    let app = spawn_app(Db::Sqlite, |s| with_slack(s, &slack)).await;
    let body = fixture("event_url_verification.json").to_string();
    let now = chrono::Utc::now().timestamp();
    let headers = vec![
        ("x-slack-request-timestamp", now.to_string()),
        (
            "x-slack-signature",
            slack_signature(SIGNING_SECRET, now, &body),
        ),
    ];
    let r = post_raw(&app, &headers, &body).await;
    assert_eq!(r.status(), 200);
    let expected = fixture("event_url_verification_response.json");
    assert_eq!(
        r.text().await.expect("text"),
        expected["challenge"].as_str().expect("challenge")
    );
    assert_eq!(app.get("/v1/inbox").await["events"], json!([]));
}

#[tokio::test]
async fn channel_messages_outside_the_monitored_keywords_are_not_answered() {
    let slack = slack().await;
    let app = spawn_app(Db::Sqlite, |s| {
        with_slack(s, &slack);
        s.channels.slack[0].monitor.include_keywords = vec!["order".into()];
    })
    .await;
    let chatter = deliver(
        &app,
        &channel_message("1700000000.000800", "lunch anyone?"),
        None,
    )
    .await;
    assert_eq!(chatter["filtered"], 1, "{chatter}");
    let dm = deliver(&app, &direct_message("1700000000.000801", "hello"), None).await;
    assert_eq!(
        dm["status"], "accepted",
        "private messages are never filtered"
    );
    app.drain().await;
    let calls = calls(&slack).await;
    assert!(
        of(&calls, "chat.postMessage")
            .iter()
            .all(|b| b["channel"] == "D024BE91L"),
        "{calls:#?}"
    );
}
