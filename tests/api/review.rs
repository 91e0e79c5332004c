//! The bot designer's review loop over the API, on both stores: what the bot was unsure of
//! and what agents marked shows up; assigning writes the example into a copy of the intent
//! files with the figures before and after; wrong ids, intents and repeats are refused.

use reqwest::Method;
use serde_json::{json, Value};

use crate::console_support::{client, person, sign_in};
use crate::helpers::{root, session, spawn_app, Db, TestApp};
use crate::on_both_stores;

/// A copy of the example bot's intent files that a test may change.
pub fn intents_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(root().join("intents")).expect("intents") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yml") {
            std::fs::copy(&path, dir.path().join(path.file_name().expect("name"))).expect("copy");
        }
    }
    dir
}

/// The app with its intent files in `dir`.
pub async fn app_with(db: Db, dir: &tempfile::TempDir) -> TestApp {
    let path = dir.path().to_path_buf();
    spawn_app(db, move |s| s.nlu.intents_dir = path).await
}

/// A customer writes on the web chat; returns the stored message's id once the bot has read it.
pub async fn customer_writes(app: &TestApp, text: &str) -> i64 {
    let s = session();
    assert_eq!(app.chat(&s, "m1", text).await.status(), 202);
    app.drain().await;
    let conv = app.conversation_of(&s).await;
    conv["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["direction"] == "in")
        .and_then(|m| m["id"].as_i64())
        .expect("the customer's message")
}

/// Every open item of GET /v1/review (with `query`), flattened.
pub async fn open_items(app: &TestApp, query: &str) -> Vec<Value> {
    let list = app.get(&format!("/v1/review{query}")).await;
    list["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|g| g["items"].as_array().expect("items").clone())
        .collect()
}

fn listed(items: &[Value], id: i64) -> Option<&Value> {
    items.iter().find(|i| i["message_id"] == id)
}

// Vague on purpose: no intent of the example bot reaches its threshold.
const UNSURE: &str = "and the thing from before?";
const CONFIDENT_BUT_WRONG: &str = "can you help me with my order or my refund";

on_both_stores!(
    an_unsure_message_appears_in_the_review_list_and_a_confident_one_does_not,
    an_agent_marks_a_confident_but_wrong_message_and_it_appears_with_their_suggestion,
    assigning_writes_the_example_into_its_intent_file_with_comments_intact_and_returns_the_figures,
    review_actions_on_missing_messages_unknown_intents_and_handled_items_are_refused,
);

async fn an_unsure_message_appears_in_the_review_list_and_a_confident_one_does_not(db: Db) {
    let dir = intents_copy();
    let app = app_with(db, &dir).await;
    let unsure = customer_writes(&app, UNSURE).await;
    let sure = customer_writes(&app, "where is my order NW-48213?").await;
    let items = open_items(&app, "").await;
    let item = listed(&items, unsure).expect("the unsure message is listed");
    assert_eq!(item["text"], UNSURE);
    assert_eq!(item["channel"], "webchat");
    assert!(item["confidence"].as_f64().unwrap() < 0.5, "{item}");
    let reasons = item["reasons"].as_array().unwrap();
    assert!(reasons.contains(&json!("low_confidence")), "{item}");
    assert!(item["why"].as_str().unwrap().contains("low confidence"));
    assert!(item["nearest"].as_array().unwrap().len() >= 2, "{item}");
    assert!(listed(&items, sure).is_none(), "the confident one is not");
    // Grouped by the nearest intent, and filtered by reason.
    let list = app.get("/v1/review").await;
    let group = list["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["items"][0]["message_id"] == unsure)
        .expect("a group");
    assert_eq!(group["intent"], item["intent"]);
    assert!(listed(&open_items(&app, "?reason=low_confidence").await, unsure).is_some());
    assert!(listed(&open_items(&app, "?reason=marked").await, unsure).is_none());
    let (status, body) = app
        .send_json(Method::GET, "/v1/review?reason=bored", json!({}))
        .await;
    assert_eq!(status, 400, "{body}");
}

async fn an_agent_marks_a_confident_but_wrong_message_and_it_appears_with_their_suggestion(db: Db) {
    let dir = intents_copy();
    let app = app_with(db, &dir).await;
    let id = customer_writes(&app, CONFIDENT_BUT_WRONG).await;
    assert!(
        listed(&open_items(&app, "").await, id).is_none(),
        "the bot was sure"
    );
    person(&app, "dana", "agent", json!({"orders": 3})).await;
    let dana = sign_in(&app, "dana").await;
    let r = client()
        .post(format!("{}/v1/messages/{id}/misread", app.addr))
        .header("cookie", &dana.cookie)
        .header("x-csrf-token", &dana.csrf)
        .json(&json!({"intent": "order_status", "note": "asks where the order is first"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let items = open_items(&app, "?reason=marked").await;
    let item = listed(&items, id).expect("the marked message is listed");
    assert_eq!(item["reasons"], json!(["marked"]));
    assert_eq!(item["marks"][0]["actor"], "agent:dana");
    assert_eq!(item["marks"][0]["intent"], "order_status");
    assert_eq!(item["marks"][0]["note"], "asks where the order is first");
    assert!(item["why"]
        .as_str()
        .unwrap()
        .contains("marked by agent:dana (meant order_status)"));
}

async fn assigning_writes_the_example_into_its_intent_file_with_comments_intact_and_returns_the_figures(
    db: Db,
) {
    let dir = intents_copy();
    let app = app_with(db, &dir).await;
    let text = "@NorthwindGoods status: where's order #NW-1? 😤";
    let id = customer_writes(&app, text).await;
    let orders = dir.path().join("orders.yml");
    let before = std::fs::read_to_string(&orders).unwrap();
    let (status, body) = app
        .send_json(
            Method::POST,
            &format!("/v1/review/{id}/assign"),
            json!({"intent": "order_status", "folds": 3}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let a = &body["assigned"];
    assert_eq!(a["intent"], "order_status");
    assert_eq!(a["file"], orders.display().to_string());
    for side in ["before", "after"] {
        for key in ["accuracy", "macro_f1", "precision", "recall"] {
            let v = a[side][key].as_f64().unwrap_or(-1.0);
            assert!((0.0..=1.0).contains(&v), "{side}.{key}: {a}");
        }
    }
    assert_eq!(
        a["after"]["examples"].as_i64().unwrap(),
        a["before"]["examples"].as_i64().unwrap() + 1
    );
    // One line more, at the end of order_status's examples; every other byte as it was.
    let after = std::fs::read_to_string(&orders).unwrap();
    let line = a["line"].as_u64().unwrap() as usize;
    let mut lines: Vec<&str> = after.split_inclusive('\n').collect();
    let added = lines.remove(line - 1);
    assert_eq!(lines.concat(), before);
    assert_eq!(
        added,
        "      - \"@NorthwindGoods status: where's order #NW-1? 😤\"\n"
    );
    assert!(after.starts_with("# Orders: tracking"), "the comments stay");
    let (bot, _) = hearken::intents::load(dir.path()).unwrap();
    let examples = &bot.intent("order_status").unwrap().examples;
    assert_eq!(examples.last().unwrap().text, text);
    // The item left the list; the history says who did it and where it went.
    assert!(listed(&open_items(&app, "").await, id).is_none());
    let handled = app.get("/v1/review?status=handled").await;
    let h = &handled["items"][0];
    assert_eq!(h["message_id"], id);
    assert_eq!(h["outcome"], "assigned");
    assert_eq!(h["actor"], "api");
    assert_eq!(h["file"], orders.display().to_string());
    assert!(h["figures"]["after"]["accuracy"].is_number(), "{h}");
    // Out of scope goes to the file that defines out_of_scope.
    let chatter = customer_writes(&app, "what is the best pizza topping").await;
    let (status, body) = app
        .send_json(
            Method::POST,
            &format!("/v1/review/{chatter}/assign"),
            json!({"intent": "out_of_scope", "folds": 2}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["assigned"]["outcome"], "out_of_scope");
    let oos = std::fs::read_to_string(dir.path().join("out_of_scope.yml")).unwrap();
    assert!(
        oos.contains("      - what is the best pizza topping\n"),
        "{oos}"
    );
}

async fn review_actions_on_missing_messages_unknown_intents_and_handled_items_are_refused(db: Db) {
    let dir = intents_copy();
    let app = app_with(db, &dir).await;
    let id = customer_writes(&app, UNSURE).await;
    let call = |path: String, body: Value| {
        let app = &app;
        async move { app.send_json(Method::POST, &path, body).await }
    };
    let (status, body) = call(
        "/v1/review/999999/assign".into(),
        json!({"intent": "order_status"}),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "message_not_found");
    let (status, body) = call("/v1/messages/999999/misread".into(), json!({})).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "message_not_found");
    let (status, body) = call(
        format!("/v1/review/{id}/assign"),
        json!({"intent": "order_stauts"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "unknown_intent");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("did you mean 'order_status'?"),
        "{body}"
    );
    let (status, body) = call(
        format!("/v1/messages/{id}/misread"),
        json!({"note": "x".repeat(501)}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "note_too_long");
    assert!(body["error"]["message"].as_str().unwrap().contains("500"));
    // An example the bot already has is refused, in its own intent and in another.
    let known = customer_writes(&app, "Where is my  order?").await;
    let (status, body) = call(
        format!("/v1/review/{known}/assign"),
        json!({"intent": "order_status"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "duplicate_example");
    let (status, body) = call(
        format!("/v1/review/{known}/assign"),
        json!({"intent": "refund_request"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "example_in_other_intent");
    // The bot's own reply is not a customer's message.
    let conv = app.get("/v1/conversations?limit=1").await;
    let cid = conv["conversations"][0]["id"].as_i64().unwrap();
    let detail = app.get(&format!("/v1/conversations/{cid}")).await;
    if let Some(out) = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["direction"] == "out")
    {
        let (status, body) = call(format!("/v1/messages/{}/misread", out["id"]), json!({})).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["code"], "not_a_customer_message");
    }
    // Dismissed once; a second dismissal or an assignment is a conflict.
    let (status, body) = call(format!("/v1/review/{id}/dismiss"), json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(listed(&open_items(&app, "").await, id).is_none());
    let (status, body) = call(format!("/v1/review/{id}/dismiss"), json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "already_reviewed");
    let (status, body) = call(
        format!("/v1/review/{id}/assign"),
        json!({"intent": "order_status"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("dismissed by api"));
    let (status, _) = call(format!("/v1/messages/{id}/misread"), json!({})).await;
    assert_eq!(status, 409);
    // Nothing was written.
    let orders = std::fs::read_to_string(dir.path().join("orders.yml")).unwrap();
    assert_eq!(
        orders,
        std::fs::read_to_string(root().join("intents/orders.yml")).unwrap()
    );
}
