//! Routing over HTTP on both stores: escalations are offered to the right agent, accepted,
//! answered through the outbox and resolved with a disposition; offers lapse and move on;
//! nobody with the skill means one waiting notice; the SLA raises priority.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{session, spawn_app, Db, TestApp};
use crate::on_both_stores;

pub const COMPLAINT: &str =
    "This is the worst service I have ever had, my complaint has been ignored for weeks";

/// Creates an agent through the API and sets them online; returns the id.
pub async fn agent(app: &TestApp, login: &str, skills: Value, capacity: u32) -> i64 {
    let (status, body) = app
        .send_json(
            Method::POST,
            "/v1/agents",
            json!({"login": login, "name": login, "role": "agent", "skills": skills,
                   "capacity": capacity, "password": "a long enough password"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["agent"]["id"].as_i64().expect("id");
    let (status, body) = app
        .send_json(
            Method::POST,
            &format!("/v1/agents/{id}/status"),
            json!({"status": "online"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    id
}

/// The routing item of a conversation in /v1/queue, if any.
pub async fn queued(app: &TestApp, conversation_id: i64) -> Option<Value> {
    app.get("/v1/queue").await["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["item"]["conversation_id"] == conversation_id)
        .cloned()
}

pub async fn complain(app: &TestApp) -> i64 {
    let s = session();
    assert_eq!(app.chat(&s, "m1", COMPLAINT).await.status(), 202);
    app.drain().await;
    app.conversation_of(&s).await["conversation"]["id"]
        .as_i64()
        .expect("conversation id")
}

on_both_stores!(a_complaint_is_offered_accepted_answered_and_resolved_with_a_disposition);

async fn a_complaint_is_offered_accepted_answered_and_resolved_with_a_disposition(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    let _billing = agent(&app, "bea", json!({"billing": 5}), 3).await;
    let alice = agent(&app, "alice", json!({"complaints": 3}), 3).await;
    let id = complain(&app).await;

    let item = queued(&app, id).await.expect("routed");
    assert_eq!(item["place"]["state"], "offered", "{item:#}");
    assert_eq!(item["place"]["agent_id"], alice, "the one with the skill");
    assert_eq!(item["cause"], "intent");
    assert_eq!(item["item"]["priority"], "urgent");

    let (status, body) = app
        .send_json(
            Method::POST,
            &format!("/v1/conversations/{id}/accept"),
            json!({"agent_id": alice}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let c = app.get(&format!("/v1/conversations/{id}")).await;
    assert_eq!(c["conversation"]["owner"], "agent");

    let (status, body) = app
        .send_json(
            Method::POST,
            &format!("/v1/conversations/{id}/reply"),
            json!({"text": "I am so sorry. I have refunded you.", "request_id": "r1"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // The same request again is a no-op.
    let (_, again) = app
        .send_json(
            Method::POST,
            &format!("/v1/conversations/{id}/reply"),
            json!({"text": "I am so sorry. I have refunded you.", "request_id": "r1"}),
        )
        .await;
    assert_eq!(again["outbox_ids"], json!([]));
    app.drain().await;
    let c = app.get(&format!("/v1/conversations/{id}")).await;
    let out: Vec<&Value> = c["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "out")
        .collect();
    assert_eq!(
        out.len(),
        2,
        "the hand-over's acknowledgement, then the reply: {c:#}"
    );
    assert!(
        out[0]["text"]
            .as_str()
            .unwrap()
            .contains("passed this to our"),
        "{c:#}"
    );
    assert_eq!(out[1]["text"], "I am so sorry. I have refunded you.");
    assert_eq!(out[1]["author"], "api");

    let (status, body) = app
        .send_json(
            Method::POST,
            &format!("/v1/conversations/{id}/resolve"),
            json!({"disposition": "made_up"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("refund_issued"),
        "the error lists the allowed codes: {body}"
    );
    let (status, body) = app
        .send_json(
            Method::POST,
            &format!("/v1/conversations/{id}/resolve"),
            json!({"disposition": "refund_issued", "note": "refunded order 1234"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let c = app.get(&format!("/v1/conversations/{id}")).await;
    assert_eq!(c["conversation"]["owner"], "resolved");
    let owners: Vec<(String, String)> = c["transitions"]
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
        owners,
        [
            ("bot".to_string(), "queued".to_string()),
            ("queued".into(), "agent".into()),
            ("agent".into(), "resolved".into())
        ]
    );
    assert!(queued(&app, id).await.is_none(), "resolved leaves routing");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM work WHERE conversation_id = {id} AND agent_id = {alice} \
             AND outcome = 'resolved' AND disposition = 'refund_issued' AND first_reply_at IS NOT NULL"
        ))
        .await,
        1
    );
    let kinds: Vec<String> = app
        .get(&format!("/v1/events?conversation_id={id}&limit=500"))
        .await["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    for k in [
        "conversation.escalated",
        "routing.offered",
        "conversation.assigned",
        "conversation.resolved",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
    }
}

on_both_stores!(an_offer_not_accepted_in_time_goes_to_the_next_agent);

async fn an_offer_not_accepted_in_time_goes_to_the_next_agent(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    let first = agent(&app, "first", json!({"complaints": 3}), 3).await;
    let id = complain(&app).await;
    assert_eq!(queued(&app, id).await.unwrap()["place"]["agent_id"], first);
    let second = agent(&app, "second", json!({"complaints": 3}), 3).await;
    app.clock.advance(chrono::Duration::seconds(29));
    app.drain().await;
    assert_eq!(
        queued(&app, id).await.unwrap()["place"]["agent_id"],
        first,
        "not yet"
    );
    app.clock.advance(chrono::Duration::seconds(2));
    app.drain().await;
    let item = queued(&app, id).await.unwrap();
    assert_eq!(item["place"]["agent_id"], second, "{item:#}");
    assert_eq!(item["item"]["declined_by"], json!([first]));
    // The first agent's late accept is refused and changes nothing.
    let (status, body) = app
        .send_json(
            Method::POST,
            &format!("/v1/conversations/{id}/accept"),
            json!({"agent_id": first}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(queued(&app, id).await.unwrap()["place"]["agent_id"], second);
}

on_both_stores!(going_offline_returns_an_open_offer_to_the_queue);

async fn going_offline_returns_an_open_offer_to_the_queue(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    let a = agent(&app, "ann", json!({"complaints": 2}), 1).await;
    let id = complain(&app).await;
    assert_eq!(queued(&app, id).await.unwrap()["place"]["agent_id"], a);
    let (status, _) = app
        .send_json(
            Method::POST,
            &format!("/v1/agents/{a}/status"),
            json!({"status": "offline"}),
        )
        .await;
    assert_eq!(status, 200);
    let item = queued(&app, id).await.unwrap();
    assert_eq!(item["place"]["state"], "queued", "{item:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_nobody_for_the_skill_the_customer_is_told_once_and_the_sla_raises_priority() {
    let app = spawn_app(Db::Sqlite, |s| s.routing.sla_secs = 120).await;
    let _other = agent(&app, "orders-only", json!({"orders": 3}), 3).await;
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
    let item = queued(&app, id).await.expect("queued");
    assert_eq!(item["place"]["state"], "queued");
    let waiting = app.settings_waiting_message();
    let outs = |c: &Value| -> Vec<String> {
        c["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["direction"] == "out")
            .map(|m| m["text"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        outs(&c),
        vec![
            "Sure — I'm handing this conversation to one of our team. They'll reply right here shortly.".to_string(),
            waiting.clone()
        ],
        "the intent's own acknowledgement, then that nobody is free: {c:#}"
    );
    app.clock.advance(chrono::Duration::seconds(60));
    app.drain().await;
    assert_eq!(outs(&app.conversation_of(&s).await).len(), 2, "told once");
    let before = queued(&app, id).await.unwrap()["item"]["priority"].clone();
    app.clock.advance(chrono::Duration::seconds(61));
    app.drain().await;
    let after = queued(&app, id).await.unwrap();
    assert_ne!(after["item"]["priority"], before, "{after:#}");
    assert_eq!(after["item"]["sla_raised"], true);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM events WHERE kind = 'routing.sla_breached' AND conversation_id = {id}")).await,
        1
    );
}

on_both_stores!(a_customer_who_writes_while_queued_hears_their_place_at_most_once_per_interval);

async fn a_customer_who_writes_while_queued_hears_their_place_at_most_once_per_interval(db: Db) {
    let app = spawn_app(db, |s| s.policy.still_queued_every_minutes = 10).await;
    let s = session();
    app.chat(&s, "m1", COMPLAINT).await;
    app.drain().await;
    let told = |c: &Value| -> Vec<String> {
        c["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["direction"] == "out")
            .filter_map(|m| m["text"].as_str())
            .filter(|t| t.contains("in the queue"))
            .map(str::to_string)
            .collect()
    };
    let c = app.conversation_of(&s).await;
    assert_eq!(c["conversation"]["owner"], "queued", "{c:#}");
    assert!(told(&c).is_empty(), "the hand-over said so already: {c:#}");

    app.chat(&s, "m2", "hello?? is anyone there").await;
    app.drain().await;
    assert!(
        told(&app.conversation_of(&s).await).is_empty(),
        "a minute later: not yet"
    );

    app.clock.advance(chrono::Duration::minutes(10));
    app.chat(&s, "m3", "still waiting...").await;
    app.chat(&s, "m4", "HELLO").await;
    app.drain().await;
    let c = app.conversation_of(&s).await;
    assert_eq!(
        told(&c),
        vec!["Thanks for waiting. You're number 1 in the queue: a person will reply here as soon as they can."],
        "once for two messages in the same interval: {c:#}"
    );
    let silent = c["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "silence")
        .count();
    assert_eq!(silent, 2, "m2 and m4 get silence: {c:#}");

    app.clock.advance(chrono::Duration::minutes(11));
    app.chat(&s, "m5", "??").await;
    app.drain().await;
    assert_eq!(
        told(&app.conversation_of(&s).await).len(),
        2,
        "again after the interval"
    );
}

impl TestApp {
    fn settings_waiting_message(&self) -> String {
        self.engine.settings.routing.waiting_message.clone()
    }
}
