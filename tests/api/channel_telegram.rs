//! End to end: the telegram adapter against a simulated telegram server.
//! The service over real HTTP on port 0, with a fresh database per test (SQLite and PostgreSQL),
//! the real model, a simulated Bot API (wiremock) whose every captured request is checked
//! against Telegram's own spec (`spec.rs`), and workers drained, never slept on.

mod spec;
mod support;

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Db};
use crate::on_both_stores;
use hearken::channels::{Outbound, OutboundKind, Registration, SendError};
use hearken::policy::Visibility;
use support::{
    bot_api, bot_texts, calls, conversation, deliver, failing, fixture, group_message,
    private_message, secret, token, with_telegram,
};

on_both_stores!(a_private_question_gets_a_private_reply_to_it);

async fn a_private_question_gets_a_private_reply_to_it(db: Db) {
    let server = bot_api().await;
    let app = spawn_app(db, |s| with_telegram(s, &server)).await;
    let r = deliver(
        &app,
        &private_message(501, "how do I reset my password?"),
        Some(&secret()),
    )
    .await;
    assert_eq!(r.status(), 200);
    app.drain().await;
    let c = conversation(&app, "1111111").await;
    assert_eq!(c["conversation"]["visibility"], "private", "{c:#}");
    let texts = bot_texts(&c);
    assert_eq!(texts.len(), 1, "{c:#}");
    assert!(texts[0].contains("Test"), "addressed by name: {}", texts[0]);
    assert_eq!(
        calls(&server).await,
        [(
            "sendMessage".to_string(),
            json!({"chat_id": 1111111, "text": texts[0],
                "reply_parameters": {"message_id": 1365, "allow_sending_without_reply": true}})
        )]
    );
    let sent = app.get("/v1/outbox?status=sent").await;
    assert_eq!(
        sent["actions"][0]["external_id"], "1111111:9001",
        "{sent:#}"
    );
}

#[tokio::test]
async fn a_question_in_a_group_is_answered_in_the_group_as_a_reply_to_it() {
    let server = bot_api().await;
    let app = spawn_app(Db::Sqlite, |s| with_telegram(s, &server)).await;
    deliver(
        &app,
        &group_message(502, 77, "how do I reset my password?"),
        Some(&secret()),
    )
    .await;
    app.drain().await;
    let c = conversation(&app, "-1001234:77").await;
    assert_eq!(c["conversation"]["visibility"], "public");
    let texts = bot_texts(&c);
    assert_eq!(texts.len(), 1, "{c:#}");
    assert!(texts[0].contains("Jane"), "{}", texts[0]);
    assert_eq!(
        calls(&server).await,
        [(
            "sendMessage".to_string(),
            json!({"chat_id": -1001234, "text": texts[0],
                "reply_parameters": {"message_id": 77, "allow_sending_without_reply": true}})
        )]
    );
}

#[tokio::test]
async fn praise_in_a_group_gets_a_thumbs_up_reaction_and_a_thank_you_in_the_thread() {
    let server = bot_api().await;
    let app = spawn_app(Db::Sqlite, |s| with_telegram(s, &server)).await;
    deliver(
        &app,
        &group_message(
            503,
            80,
            "Just got my parcel, you folks are brilliant, love it!",
        ),
        Some(&secret()),
    )
    .await;
    app.drain().await;
    // The example bot's praise intent likes and thanks (see intents/smalltalk.yml).
    let texts = bot_texts(&conversation(&app, "-1001234:80").await);
    assert_eq!(texts.len(), 1);
    assert_eq!(
        calls(&server).await,
        [
            (
                "setMessageReaction".to_string(),
                json!({"chat_id": -1001234, "message_id": 80,
                    "reaction": [{"type": "emoji", "emoji": "👍"}]})
            ),
            (
                "sendMessage".to_string(),
                json!({"chat_id": -1001234, "text": texts[0],
                    "reply_parameters": {"message_id": 80, "allow_sending_without_reply": true}})
            ),
        ]
    );
}

#[tokio::test]
async fn a_complaint_in_a_group_is_escalated_with_a_short_public_acknowledgement_only() {
    let server = bot_api().await;
    let app = spawn_app(Db::Sqlite, |s| with_telegram(s, &server)).await;
    let complaint =
        "This is the worst service I have ever had, my complaint has been ignored for weeks";
    deliver(&app, &group_message(504, 81, complaint), Some(&secret())).await;
    app.drain().await;
    let c = conversation(&app, "-1001234:81").await;
    assert_eq!(c["conversation"]["owner"], "queued", "{c:#}");
    assert_eq!(c["conversation"]["skill"], "complaints");
    let calls = calls(&server).await;
    assert_eq!(calls.len(), 1, "one acknowledgement, no answer: {calls:#?}");
    assert_eq!(calls[0].0, "sendMessage");
    assert_eq!(
        calls[0].1["reply_parameters"]["message_id"], 81,
        "in the thread"
    );
    let text = calls[0].1["text"].as_str().unwrap();
    assert!(
        text.ends_with(
            "A member of our team will reach out to you by DM shortly to put this right."
        ),
        "{text}"
    );
}

#[tokio::test]
async fn a_429_is_retried_once_telegrams_retry_after_has_passed() {
    let server = bot_api().await;
    failing(
        &server,
        "sendMessage",
        429,
        json!({"ok": false, "error_code": 429,
            "description": "Too Many Requests: retry after 30", "parameters": {"retry_after": 30}}),
        1,
    )
    .await;
    let app = spawn_app(Db::Sqlite, |s| with_telegram(s, &server)).await;
    deliver(
        &app,
        &private_message(505, "where is my order?"),
        Some(&secret()),
    )
    .await;
    app.drain().await;
    assert_eq!(calls(&server).await.len(), 1);
    app.clock.advance(chrono::Duration::seconds(29));
    app.drain().await;
    assert_eq!(calls(&server).await.len(), 1, "still inside retry_after");
    app.clock.advance(chrono::Duration::seconds(2));
    app.drain().await;
    let sent = calls(&server).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0], sent[1], "the same request again");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_revoked_token_marks_the_channel_unhealthy_and_hands_the_message_to_a_person() {
    let server = bot_api().await;
    failing(
        &server,
        "sendMessage",
        401,
        json!({"ok": false, "error_code": 401, "description": "Unauthorized"}),
        10,
    )
    .await;
    let app = spawn_app(Db::Sqlite, |s| with_telegram(s, &server)).await;
    deliver(
        &app,
        &private_message(506, "where is my order?"),
        Some(&secret()),
    )
    .await;
    app.drain().await;
    let channels = app.get("/v1/channels").await;
    let tg = channels["channels"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == "tg"))
        .expect("tg is listed");
    assert_eq!(tg["platform"], "telegram");
    assert_eq!(tg["health"]["healthy"], false, "{tg:#}");
    assert!(
        tg["health"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("401")),
        "{tg:#}"
    );
    let events = app.get("/v1/events?kind=channel.unhealthy").await;
    assert_eq!(events["events"].as_array().map(Vec::len), Some(1));
    let c = conversation(&app, "1111111").await;
    assert_eq!(c["conversation"]["owner"], "queued", "{c:#}");
    let dead = app.get("/v1/outbox?status=dead").await;
    assert_eq!(dead["actions"].as_array().map(Vec::len), Some(1));
    let everything = format!("{channels}{events}{dead}");
    assert!(!everything.contains(&token()), "the token leaked");
    assert_eq!(
        calls(&server).await.len(),
        1,
        "no retry with a refused token"
    );
}

#[tokio::test]
async fn a_redelivered_update_is_stored_once_and_answered_once() {
    let server = bot_api().await;
    let app = spawn_app(Db::Sqlite, |s| with_telegram(s, &server)).await;
    let update = private_message(507, "how do I reset my password?");
    let first: Value = deliver(&app, &update, Some(&secret()))
        .await
        .json()
        .await
        .unwrap();
    let again: Value = deliver(&app, &update, Some(&secret()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&first["status"], &first["event_id"]),
        (&json!("accepted"), &json!("update:507"))
    );
    assert_eq!(again["status"], "duplicate");
    app.drain().await;
    assert_eq!(app.count("SELECT COUNT(*) FROM inbox").await, 1);
    assert_eq!(calls(&server).await.len(), 1);
}

#[tokio::test]
async fn updates_without_the_right_secret_token_are_refused_and_not_stored() {
    let server = bot_api().await;
    let app = spawn_app(Db::Sqlite, |s| with_telegram(s, &server)).await;
    let update = private_message(508, "where is my order?");
    let good = secret();
    let forged = [
        None,
        Some("not-the-secret".to_string()),
        Some(good[..good.len() - 1].to_string()),
        Some(format!("{good}0")),
    ];
    for given in &forged {
        let r = deliver(&app, &update, given.as_deref()).await;
        assert_eq!(r.status(), 401, "{given:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_signature");
    }
    let inbox = app.get("/v1/inbox").await;
    assert_eq!(inbox["events"], json!([]), "{inbox:#}");
    let channels = app.get("/v1/channels").await;
    assert_eq!(channels["channels"][0]["name"], "tg");
    assert_eq!(channels["channels"][0]["health"]["rejected_requests"], 4);
    assert_eq!(calls(&server).await, []);
}

#[tokio::test]
async fn a_button_press_is_answered_in_the_private_chat_and_acknowledged() {
    let server = bot_api().await;
    let app = spawn_app(Db::Sqlite, |s| with_telegram(s, &server)).await;
    let mut press = fixture("update_callback_query.json");
    press["update_id"] = json!(509);
    press["callback_query"]["data"] = json!("how do I reset my password?");
    deliver(&app, &press, Some(&secret())).await;
    app.drain().await;
    let c = conversation(&app, "1111111").await;
    let texts = bot_texts(&c);
    assert_eq!(texts.len(), 1, "{c:#}");
    assert_eq!(
        calls(&server).await,
        [
            (
                "sendMessage".to_string(),
                json!({"chat_id": 1111111, "text": texts[0]})
            ),
            (
                "answerCallbackQuery".to_string(),
                json!({"callback_query_id": "4382bfdwdsb323b2d9"})
            ),
        ]
    );
}

fn outbound(kind: OutboundKind) -> Outbound {
    Outbound {
        kind,
        thread_id: "1111111".into(),
        target_message_id: Some("1111111:1365".into()),
        recipient: "1111111".into(),
    }
}

#[tokio::test]
async fn typing_and_quick_replies_are_sent_as_the_bot_api_specifies() {
    let server = bot_api().await;
    let app = spawn_app(Db::Sqlite, |s| with_telegram(s, &server)).await;
    let tg = app.engine.channels.get("tg").expect("configured").clone();
    tg.send(&outbound(OutboundKind::Typing), "k1")
        .await
        .expect("typing");
    let sent = tg
        .send(
            &outbound(OutboundKind::Reply {
                visibility: Visibility::Private,
                text: "Which one?".into(),
                quick_replies: vec!["Track my order".into(), "Talk to a person".into()],
            }),
            "k2",
        )
        .await
        .expect("reply");
    assert_eq!(sent.external_id.as_deref(), Some("1111111:9001"));
    for unsupported in [OutboundKind::Repost, OutboundKind::Hide] {
        let e = tg
            .send(&outbound(unsupported), "k3")
            .await
            .expect_err("unsupported");
        assert!(matches!(e, SendError::Permanent(_)), "{e}");
    }
    assert_eq!(
        calls(&server).await,
        [
            (
                "sendChatAction".to_string(),
                json!({"chat_id": 1111111, "action": "typing"})
            ),
            (
                "sendMessage".to_string(),
                json!({"chat_id": 1111111, "text": "Which one?",
                    "reply_parameters": {"message_id": 1365, "allow_sending_without_reply": true},
                    "reply_markup": {"inline_keyboard": [
                        [{"text": "Track my order", "callback_data": "Track my order"}],
                        [{"text": "Talk to a person", "callback_data": "Talk to a person"}]]}})
            ),
        ]
    );
}

#[tokio::test]
async fn a_private_reply_to_someone_who_never_started_the_bot_fails_for_good() {
    let server = bot_api().await;
    failing(
        &server,
        "sendMessage",
        403,
        json!({"ok": false, "error_code": 403,
            "description": "Forbidden: bot can't initiate conversation with a user"}),
        1,
    )
    .await;
    let app = spawn_app(Db::Sqlite, |s| with_telegram(s, &server)).await;
    let tg = app.engine.channels.get("tg").expect("configured").clone();
    let dm = Outbound {
        kind: OutboundKind::Reply {
            visibility: Visibility::Private,
            text: "Hi Jane, DM us your order number".into(),
            quick_replies: Vec::new(),
        },
        thread_id: "-1001234:77".into(),
        target_message_id: Some("-1001234:77".into()),
        recipient: "42".into(),
    };
    let e = tg.send(&dm, "k").await.expect_err("403");
    assert!(
        matches!(&e, SendError::Permanent(m) if m.contains("can't initiate conversation")),
        "{e}"
    );
    assert_eq!(
        calls(&server).await,
        [(
            "sendMessage".to_string(),
            json!({"chat_id": 42, "text": "Hi Jane, DM us your order number"})
        )]
    );
}

#[tokio::test]
async fn check_reports_the_bot_and_its_webhook_and_registration_sends_the_secret() {
    let server = bot_api().await;
    let app = spawn_app(Db::Sqlite, |s| with_telegram(s, &server)).await;
    let tg = app.engine.channels.get("tg").expect("configured").clone();
    let report = tg.check().await.expect("check");
    assert_eq!(report.account.as_deref(), Some("@northwind_bot"));
    assert_eq!(
        report.webhook.as_deref(),
        Some("https://hearken.example/v1/channels/tg/webhook (3 pending updates; last error: Connection refused)")
    );
    assert!(
        report.notes.iter().any(|n| n.contains("privacy mode")),
        "{report:?}"
    );
    let url = "https://hearken.example/v1/channels/tg/webhook";
    let registered = tg.register_webhook(url).await.expect("registered");
    assert!(matches!(registered, Registration::Registered(ref d) if d.contains(url)));
    assert_eq!(
        calls(&server).await,
        [
            ("getMe".to_string(), json!({})),
            ("getWebhookInfo".to_string(), json!({})),
            (
                "setWebhook".to_string(),
                json!({"url": url, "secret_token": secret(),
                    "allowed_updates": ["message", "edited_message", "callback_query", "channel_post"]})
            ),
        ]
    );
}
