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
