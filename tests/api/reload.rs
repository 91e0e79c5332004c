//! Intent hot reload in the running server: a designer saves an intent file and the next
//! message is read with it, without a restart; a broken save keeps the old model answering
//! and says where the mistake is. Tests wait on the engine's model status, never on time.

use std::path::Path;
use std::time::Duration;

use hearken::reload::status::files_hash;
use hearken::reload::ModelStatus;
use serde_json::Value;

use crate::helpers::{root, session, spawn_watching, Db, TestApp};
use crate::on_both_stores;

/// A copy of the example bot that the test edits.
fn intents_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(root().join("intents")).expect("intents/") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, dir.path().join(path.file_name().expect("name"))).expect("copy");
    }
    dir
}

fn gift_cards(name: &str, skill: &str) -> String {
    format!(
        "intents:
  - name: {name}
    description: Buying, using and checking gift cards
    action: answer
    skill: {skill}
    examples:
      - do you sell gift cards?
      - can I buy a gift voucher for my sister
      - how do I redeem a gift card
      - my gift card code doesn't work at checkout
      - is there a gift card for 50 pounds
      - can i pay with a gift card
      - where do I enter my gift card number
      - do gift cards expire
      - I'd like to buy an e-gift card
      - can I check my gift card balance
    responses:
      public: \"Hi {{{{name}}}}, yes! Gift cards are on our website under Gifts.\"
"
    )
}

/// Waits for a change of the model status that satisfies `done` (generously bounded: the
/// model trains on two shared cores).
async fn until(app: &TestApp, what: &str, done: impl Fn(&ModelStatus) -> bool) -> ModelStatus {
    let mut status = app.engine.watch_model();
    let found = tokio::time::timeout(Duration::from_secs(120), status.wait_for(|s| done(s))).await;
    match found {
        Ok(Ok(s)) => s.clone(),
        _ => panic!(
            "no {what}; the model status is {:#?}",
            app.engine.model_status()
        ),
    }
}

/// Waits until the model trained from the files as they are now answers and its reload is
/// recorded (the brain is swapped first, then the event and the attempt are recorded).
async fn until_live(app: &TestApp, dir: &Path) -> ModelStatus {
    let hash = files_hash(dir).expect("hash");
    let status = until(app, "reload of the saved files", |s| {
        s.last_reload
            .as_ref()
            .is_some_and(|a| a.ok && a.hash.as_deref() == Some(hash.as_str()))
    })
    .await;
    let model = status.model.as_ref().expect("a model");
    assert_eq!(model.hash.as_deref(), Some(hash.as_str()));
    status
}

/// Waits until a reload attempt read the files as they are now (and failed, or not).
async fn until_attempted(app: &TestApp, dir: &Path) -> ModelStatus {
    let hash = files_hash(dir).expect("hash");
    until(app, "reload attempt of the saved files", |s| {
        s.last_reload.as_ref().and_then(|a| a.hash.as_deref()) == Some(hash.as_str())
    })
    .await
}

/// The intent the pipeline read in a new web chat message.
async fn intent_of(app: &TestApp, text: &str) -> String {
    let s = session();
    assert_eq!(app.chat(&s, "m1", text).await.status(), 202);
    app.drain().await;
    let c = app.conversation_of(&s).await;
    c["messages"][0]["analysis"]["intent"]["name"]
        .as_str()
        .unwrap_or_else(|| panic!("no analysis: {c:#}"))
        .to_string()
}

async fn events(app: &TestApp, kind: &str) -> Vec<Value> {
    app.get(&format!("/v1/events?kind={kind}")).await["events"]
        .as_array()
        .expect("events")
        .clone()
}

on_both_stores!(a_new_intent_saved_while_serving_reads_the_next_message);

async fn a_new_intent_saved_while_serving_reads_the_next_message(db: Db) {
    let intents = intents_copy();
    let app = spawn_watching(db, intents.path(), true).await;
    let before = app.get("/ready").await;
    assert_eq!(before["reload"]["watching"], true, "{before:#}");
    assert_eq!(
        before["reload"]["last"],
        Value::Null,
        "nothing reloaded yet"
    );
    let count = before["model"]["intents"].as_u64().expect("intents");

    std::fs::write(
        intents.path().join("gift_cards.yml"),
        gift_cards("gift_cards", "orders"),
    )
    .unwrap();
    let status = until_live(&app, intents.path()).await;

    let last = status.last_reload.expect("an attempt");
    assert!(last.ok, "{last:#?}");
    assert_eq!(
        intent_of(&app, "hi, do you sell gift cards for birthdays?").await,
        "gift_cards"
    );
    assert_eq!(
        intent_of(&app, "where is my order?").await,
        "order_status",
        "the other intents still answer"
    );
    let reloaded = events(&app, "nlu.reloaded").await;
    let data = &reloaded.last().expect("an nlu.reloaded event")["data"];
    assert_eq!(data["intents"].as_u64(), Some(count + 1), "{data:#}");
    assert_eq!(data["intents_added"], serde_json::json!(["gift_cards"]));
    assert_eq!(data["intents_removed"], serde_json::json!([]));
    assert!(data["examples"].as_u64().unwrap() > 10 && data["duration_ms"].is_u64());
    assert_eq!(
        data["hash"],
        status.model.as_ref().unwrap().hash.clone().unwrap()
    );

    let ready = app.get("/ready").await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["intents"].as_u64(), Some(count + 1));
    assert_eq!(
        ready["model"]["intents"].as_u64(),
        Some(count + 1),
        "{ready:#}"
    );
    assert_eq!(ready["model"]["examples"], data["examples"]);
    assert_eq!(ready["model"]["hash"], data["hash"]);
    assert!(ready["model"]["generation"].as_u64().unwrap() >= 2);
    assert_eq!(ready["reload"]["last"]["ok"], true);
    assert!(!ready
        .to_string()
        .contains(&intents.path().display().to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_save_keeps_the_old_model_answering_and_says_where() {
    let intents = intents_copy();
    let app = spawn_watching(Db::Sqlite, intents.path(), true).await;
    let serving = app.engine.model_status().model.expect("a model");
    let file = intents.path().join("gift_cards.yml");

    // A YAML mistake: the last example is indented one space less than the others.
    let broken = gift_cards("gift_cards", "orders").replace(
        "      - can I check my gift card balance",
        "     - can I check my gift card balance",
    );
    std::fs::write(&file, broken).unwrap();
    let status = until_attempted(&app, intents.path()).await;
    let last = status.last_reload.expect("an attempt");
    assert!(!last.ok);
    assert_eq!(last.errors[0].code, "yaml_syntax", "{last:#?}");
    assert_eq!(last.errors[0].file.as_deref(), Some("gift_cards.yml"));
    assert_eq!(last.errors[0].line, Some(16), "{last:#?}");
    assert!(
        last.errors[0].hint.is_some(),
        "the fix hint, as validate prints it"
    );
    assert_eq!(status.model, Some(serving.clone()), "the old model stays");
    assert_eq!(intent_of(&app, "where is my order?").await, "order_status");

    // Valid YAML, but a skill config.yml does not list.
    std::fs::write(&file, gift_cards("gift_cards", "giftcards")).unwrap();
    let status = until_attempted(&app, intents.path()).await;
    let last = status.last_reload.expect("an attempt");
    assert!(!last.ok);
    assert_eq!(last.errors[0].code, "unknown_skill", "{last:#?}");
    assert_eq!(last.errors[0].file.as_deref(), Some("gift_cards.yml"));
    assert_eq!(last.errors[0].line, Some(2), "the intent's line");
    assert_eq!(status.model, Some(serving), "the old model stays");
    assert_ne!(
        intent_of(&app, "do you sell gift cards?").await,
        "gift_cards"
    );

    let failed = events(&app, "nlu.reload_failed").await;
    assert_eq!(failed.len(), 2, "{failed:#?}");
    let first = &failed[0]["data"];
    assert_eq!(first["stage"], "validation");
    assert_eq!(first["errors"][0]["file"], "gift_cards.yml");
    assert_eq!(first["errors"][0]["line"], 16);
    assert_eq!(failed[1]["data"]["errors"][0]["code"], "unknown_skill");
    assert_eq!(failed[1]["data"]["serving"]["generation"], 1);
    assert!(events(&app, "nlu.reloaded").await.is_empty());

    let ready = app.get("/ready").await;
    assert_eq!(
        ready["status"], "ready",
        "a failed reload never makes it unready"
    );
    assert_eq!(ready["reload"]["last"]["ok"], false);
    assert_eq!(ready["reload"]["last"]["stage"], "validation");
    assert_eq!(
        ready["reload"]["last"]["errors"][0]["file"],
        "gift_cards.yml"
    );
    assert_eq!(ready["reload"]["last"]["errors"][0]["line"], 2);
    assert!(!ready
        .to_string()
        .contains(&intents.path().display().to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_quick_saves_end_with_the_last_one_live() {
    let intents = intents_copy();
    let app = spawn_watching(Db::Sqlite, intents.path(), true).await;
    let count = app.get("/ready").await["model"]["intents"]
        .as_u64()
        .unwrap();
    let file = intents.path().join("gift_cards.yml");

    std::fs::write(&file, gift_cards("gift_cards", "orders")).unwrap();
    std::fs::write(&file, gift_cards("vouchers", "orders")).unwrap();
    let status = until_live(&app, intents.path()).await;

    assert!(status.last_reload.expect("an attempt").ok);
    let brain = app.engine.brain().expect("a brain");
    assert!(brain.bot.intent("vouchers").is_some());
    assert!(
        brain.bot.intent("gift_cards").is_none(),
        "the first save is gone"
    );
    assert_eq!(intent_of(&app, "do you sell gift cards?").await, "vouchers");
    assert_eq!(
        app.get("/ready").await["model"]["intents"].as_u64(),
        Some(count + 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_a_model_becomes_ready_when_a_save_makes_the_files_valid() {
    let intents = intents_copy();
    // As after a start with broken files: no model, /ready says 503.
    let app = spawn_watching(Db::Sqlite, intents.path(), false).await;
    let ready = |app: &TestApp| {
        let r = app.http.get(format!("{}/ready", app.addr)).send();
        async move { r.await.expect("request").status().as_u16() }
    };
    assert_eq!(ready(&app).await, 503);
    let file = intents.path().join("gift_cards.yml");

    std::fs::write(&file, "intents:\n  - name: [gift_cards\n").unwrap();
    let status = until_attempted(&app, intents.path()).await;
    assert!(!status.last_reload.expect("an attempt").ok);
    assert_eq!(ready(&app).await, 503, "still nothing to answer with");
    let failed = events(&app, "nlu.reload_failed").await;
    assert_eq!(failed[0]["data"]["serving"], Value::Null);

    std::fs::write(&file, gift_cards("gift_cards", "orders")).unwrap();
    let status = until_live(&app, intents.path()).await;
    assert_eq!(status.model.expect("a model").generation, 1);
    assert_eq!(ready(&app).await, 200);
    assert_eq!(
        intent_of(&app, "can I pay with a gift card?").await,
        "gift_cards"
    );
}
