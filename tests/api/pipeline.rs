//! The pipeline and policy through the API channel and the web chat: answers, likes,
//! escalations, silence while an agent owns the conversation, and several workers on one store.

use serde_json::{json, Value};

use crate::helpers::{session, spawn_app, Db};
use crate::on_both_stores;
pub use crate::platform::{event, platform, post_api, received, with_api_channel, SECRET};

#[tokio::test]
async fn webhook_with_bad_signature_is_rejected_and_not_stored() {
    let platform = platform().await;
    let app = spawn_app(Db::Sqlite, |s| with_api_channel(s, &platform)).await;
    let e = event("e1", "public", "t1", "dana", "where is my order?");
    let r = post_api(&app, &e, "not-the-secret").await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_signature");
    let unsigned = app
        .http
        .post(format!("{}/v1/channels/crm/webhook", app.addr))
        .body(e.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    assert_eq!(app.count("SELECT COUNT(*) FROM inbox").await, 0);
    let bad = post_api(&app, &json!({"event_id": "x"}), SECRET).await;
    assert_eq!(
        bad.status(),
        400,
        "a signed but malformed payload is a 400 with the reason"
    );
}

on_both_stores!(a_public_question_is_answered_in_public_and_praise_is_liked);

async fn a_public_question_is_answered_in_public_and_praise_is_liked(db: Db) {
    let platform = platform().await;
    let app = spawn_app(db, |s| with_api_channel(s, &platform)).await;
    let r = post_api(
        &app,
        &event(
            "e1",
            "public",
            "post-1",
            "dana",
            "how do I reset my password?",
        ),
        SECRET,
    )
    .await;
    assert_eq!(r.status(), 200);
    post_api(
        &app,
        &event(
            "e2",
            "public",
            "post-2",
            "fox",
            "Just got my parcel, you folks are brilliant, love it!",
        ),
        SECRET,
    )
    .await;
    app.drain().await;
    let actions = received(&platform).await;
    let reply = actions
        .iter()
        .find(|a| a["action"]["thread_id"] == "post-1")
        .expect("a reply to post-1");
    assert_eq!(reply["action"]["kind"], "reply");
    assert_eq!(reply["action"]["visibility"], "public");
    assert!(
        reply["action"]["text"].as_str().unwrap().contains("Dana"),
        "{reply}"
    );
    let praise: Vec<&Value> = actions
        .iter()
        .filter(|a| a["action"]["thread_id"] == "post-2")
        .collect();
    assert!(
        praise.iter().any(|a| a["action"]["kind"] == "like"),
        "{praise:?}"
    );
    // Each action carries its idempotency key, also as a header, for the platform to dedupe.
    let keys: std::collections::BTreeSet<_> = actions
        .iter()
        .map(|a| a["idempotency_key"].to_string())
        .collect();
    assert_eq!(keys.len(), actions.len());
}

on_both_stores!(while_an_agent_owns_a_conversation_the_bot_stays_silent);

async fn while_an_agent_owns_a_conversation_the_bot_stays_silent(db: Db) {
    let app = spawn_app(db, crate::helpers::without_waiting_notice).await;
    let s = session();
    app.chat(
        &s,
        "m1",
        "can I talk to a real person please, I need a human agent",
    )
    .await;
    app.drain().await;
    let c = app.conversation_of(&s).await;
    let id = c["conversation"]["id"].as_i64().unwrap();
    assert_eq!(c["conversation"]["owner"], "queued", "{c:#}");
    let outs = |c: &Value| -> Vec<String> {
        c["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["direction"] == "out")
            .map(|m| m["text"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let acknowledged = outs(&c);
    assert_eq!(
        acknowledged.len(),
        1,
        "the hand-over is acknowledged: {c:#}"
    );
    let (status, _) = app
        .send_json(
            reqwest::Method::POST,
            &format!("/v1/conversations/{id}/owner"),
            json!({"to": "agent", "actor": "agent:mulder", "reason": "took it from the queue"}),
        )
        .await;
    assert_eq!(status, 200);
    app.chat(&s, "m2", "where is my order?").await;
    app.drain().await;
    let c = app.conversation_of(&s).await;
    assert_eq!(
        outs(&c),
        acknowledged,
        "the bot answered while the agent owned it: {c:#}"
    );
    let last = c["decisions"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "silence");
    // Hand back: the bot answers again.
    let (status, _) = app.send_json(reqwest::Method::POST, &format!("/v1/conversations/{id}/owner"),
        json!({"to": "bot", "actor": "agent:mulder", "reason": "customer only needs tracking now"})).await;
    assert_eq!(status, 200);
    app.chat(&s, "m3", "where is my order?").await;
    app.drain().await;
    let c = app.conversation_of(&s).await;
    let said = outs(&c);
    assert_eq!(said.len(), 3, "acknowledgement, hand-back, answer: {c:#}");
    assert_eq!(
        said[1],
        "You're back with our assistant: ask me anything, or ask for a person at any time.",
        "the customer is told the bot is back"
    );
    assert!(
        said[2].contains("order"),
        "then the bot answers: {}",
        said[2]
    );
    let transitions: Vec<(String, String)> = c["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["from_owner"].as_str().unwrap().into(),
                t["to_owner"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        transitions,
        [
            ("bot".into(), "queued".into()),
            ("queued".into(), "agent".into()),
            ("agent".into(), "bot".into())
        ]
    );
    let (status, body) = app
        .send_json(
            reqwest::Method::POST,
            &format!("/v1/conversations/{id}/owner"),
            json!({"to": "queued", "actor": "x", "reason": "y"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .send_json(
            reqwest::Method::POST,
            &format!("/v1/conversations/{id}/owner"),
            json!({"to": "queued", "actor": "x", "reason": "y"}),
        )
        .await;
    assert_eq!(status, 409, "queued -> queued is not a transition: {body}");
}

#[tokio::test]
async fn negative_complaints_escalate_with_priority_and_transcript() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    let s = session();
    app.chat(
        &s,
        "m1",
        "This is the worst service I have ever had, my complaint has been ignored for weeks",
    )
    .await;
    app.drain().await;
    let c = app.conversation_of(&s).await;
    assert_eq!(c["conversation"]["owner"], "queued");
    assert_eq!(c["conversation"]["skill"], "complaints", "{c:#}");
    assert_eq!(
        c["conversation"]["priority"], 1,
        "negative complaint is urgent: {c:#}"
    );
    let m = &c["messages"][0];
    assert_eq!(m["analysis"]["sentiment"]["label"], "negative");
    assert!(
        c["decisions"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("complaint"),
        "{c:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_sharing_postgres_process_each_message_once() {
    let platform = platform().await;
    let first = spawn_app(Db::Postgres, |s| with_api_channel(s, &platform)).await;
    let url = first.db.url.clone();
    let second = crate::helpers::spawn_with(crate::helpers::TestDb::borrowed(&url), true, |s| {
        with_api_channel(s, &platform)
    })
    .await;
    for i in 0..40 {
        let e = event(
            &format!("e{i}"),
            "private",
            &format!("dm-{i}"),
            &format!("user{i}"),
            "where is my order?",
        );
        assert_eq!(
            post_api(if i % 2 == 0 { &first } else { &second }, &e, SECRET)
                .await
                .status(),
            200
        );
    }
    let (a, b) = tokio::join!(first.drain(), second.drain());
    let _ = (a, b);
    first.drain().await;
    assert_eq!(
        first
            .count("SELECT COUNT(*) FROM messages WHERE direction = 'in'")
            .await,
        40
    );
    assert_eq!(
        first
            .count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
            .await,
        40
    );
    let actions = received(&platform).await;
    assert_eq!(actions.len(), 40, "every reply sent exactly once");
}

#[tokio::test]
async fn chit_chat_is_answered_as_the_out_of_scope_intent_says_not_escalated() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    let s = session();
    app.chat(&s, "m1", "who won the football last night?").await;
    app.drain().await;
    let c = app.conversation_of(&s).await;
    assert_eq!(
        c["messages"][0]["analysis"]["intent"]["verdict"], "out_of_scope_intent",
        "{c:#}"
    );
    assert_eq!(c["conversation"]["owner"], "bot", "{c:#}");
    let decision = &c["decisions"][0];
    assert_eq!(decision["kind"], "reply", "{c:#}");
    assert!(
        decision["reason"]
            .as_str()
            .unwrap()
            .contains("out-of-scope intent"),
        "the reason names the intent: {c:#}"
    );
    let reply = c["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["direction"] == "out")
        .unwrap_or_else(|| panic!("the bot's answer is in the transcript: {c:#}"));
    assert!(
        reply["text"]
            .as_str()
            .unwrap()
            .contains("outside what I can help with"),
        "{reply}"
    );
}
