//! The web chat page (`/chat`) in the browser: a visitor types a question and the bot's answer
//! arrives over the page's event stream.

use crate::harness::Browser;
use crate::helpers::{spawn_app, Db};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_page_sends_a_message_and_shows_the_bot_reply() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    let b = Browser::open(&app.addr).await;
    b.goto("/chat").await;
    b.wait_for("#text")
        .await
        .send_keys("where is my order?")
        .await
        .expect("type");
    b.find("#form button[type=submit]")
        .await
        .click()
        .await
        .expect("send");
    // The page clears its status once the server has taken the message; only then is there
    // something for the pipeline to answer.
    b.wait_for("#status:empty").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM inbox").await,
        1,
        "the message was taken"
    );
    app.drain().await;

    b.wait_for_text("#log .msg.you", "where is my order?").await;
    let reply = b.wait_for("#log .msg.bot").await;
    let text = reply.text().await.expect("reply text");
    assert!(!text.trim().is_empty(), "the bot answered");
    let c = app
        .conversation_of(
            b.script("return localStorage.getItem('hearken-session');")
                .await
                .as_str()
                .expect("the page's session id"),
        )
        .await;
    let bot_said: Vec<&str> = c["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["direction"] == "out")
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(
        bot_said,
        [text.as_str()],
        "the page shows what the bot sent"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_angry_customer_hears_at_once_that_a_person_will_join_then_who_joined() {
    use reqwest::Method;
    use serde_json::json;
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    let b = Browser::open(&app.addr).await;
    b.goto("/chat").await;
    b.wait_for("#text")
        .await
        .send_keys(
            "This is the worst service I have ever had, my complaint has been ignored for weeks",
        )
        .await
        .expect("type");
    b.find("#form button[type=submit]")
        .await
        .click()
        .await
        .expect("send");
    b.wait_for("#status:empty").await;
    app.drain().await;

    let told = b
        .wait_for("#log .msg.bot")
        .await
        .text()
        .await
        .expect("text");
    assert!(
        told.contains("passed this to our customer relations team"),
        "the complaint intent's own acknowledgement, not silence: {told}"
    );
    b.wait_for_text("#presence", "A person will join this chat shortly.")
        .await;

    let dana =
        crate::console_support::person(&app, "dana", "agent", json!({"complaints": 3})).await;
    let (status, body) = app
        .send_json(
            Method::POST,
            &format!("/v1/agents/{dana}/status"),
            json!({"status": "online"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.drain().await;
    let session = b
        .script("return localStorage.getItem('hearken-session');")
        .await;
    let id = app
        .conversation_of(session.as_str().expect("the page's session id"))
        .await["conversation"]["id"]
        .as_i64()
        .expect("id");
    let (status, body) = app
        .send_json(
            Method::POST,
            &format!("/v1/conversations/{id}/accept"),
            json!({"agent_id": dana}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    b.wait_for_text("#presence", "dana joined the chat.").await;
    b.close().await;
}
