//! The review loop in the console: admins get the review page (agents do not), assign and
//! dismiss from it with the figures in the flash; agents mark "Bot misread this" from the
//! conversation view.

use serde_json::json;

use crate::console_support::{person, sign_in};
use crate::helpers::Db;
use crate::on_both_stores;
use crate::review::{app_with, customer_writes, intents_copy, open_items};

on_both_stores!(
    the_review_page_is_for_admins_who_assign_and_dismiss_from_it,
    an_agent_marks_a_message_the_bot_misread_from_the_conversation_view,
);

async fn the_review_page_is_for_admins_who_assign_and_dismiss_from_it(db: Db) {
    let dir = intents_copy();
    let app = app_with(db, &dir).await;
    let unsure = customer_writes(&app, "asdf qwer zxcv").await;
    let other = customer_writes(&app, "where is my order <b>NW-1</b>?").await;
    let (status, _) = app
        .send_json(
            reqwest::Method::POST,
            &format!("/v1/messages/{other}/misread"),
            json!({"note": "<script>x</script>"}),
        )
        .await;
    assert_eq!(status, 201, "marked, so listed even if the bot was sure");
    person(&app, "root", "admin", json!({})).await;
    person(&app, "ann", "agent", json!({})).await;
    let admin = sign_in(&app, "root").await;
    let agent = sign_in(&app, "ann").await;
    assert_eq!(agent.get("/console/review").await.status(), 403);
    let r = admin.get("/console/review").await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("asdf qwer zxcv"), "{page}");
    assert!(
        page.contains("where is my order &#60;b&#62;NW-1&#60;/b&#62;?"),
        "escaped: {page}"
    );
    assert!(!page.contains("<script>x"), "the note is escaped too");
    assert!(page.contains(&format!("/console/review/{unsure}/assign")));
    assert!(page.contains("<option value=\"out_of_scope\""), "{page}");
    assert!(page.contains("href=\"/console/review\" aria-current=\"page\""));
    let r = admin
        .post(
            &format!("/console/review/{unsure}/assign"),
            &[("intent", "out_of_scope"), ("reason", "low_confidence")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        "/console/review?reason=low_confidence"
    );
    let page = admin.follow(r).await;
    assert!(
        page.contains(&format!(
            "Message {unsure} is now an example of out_of_scope"
        )),
        "{page}"
    );
    assert!(page.contains("accuracy") && page.contains("→"), "{page}");
    let oos = std::fs::read_to_string(dir.path().join("out_of_scope.yml")).unwrap();
    assert!(oos.contains("      - asdf qwer zxcv\n"));
    let r = admin
        .post(&format!("/console/review/{other}/dismiss"), &[])
        .await;
    let page = admin.follow(r).await;
    assert!(
        page.contains(&format!("Message {other} dismissed.")),
        "{page}"
    );
    assert!(page.contains("dismissed</td><td>agent:root"), "{page}");
    assert!(open_items(&app, "").await.is_empty());
    let r = admin
        .post(&format!("/console/review/{other}/dismiss"), &[])
        .await;
    let page = admin.follow(r).await;
    assert!(page.contains("already reviewed"), "{page}");
}

async fn an_agent_marks_a_message_the_bot_misread_from_the_conversation_view(db: Db) {
    let dir = intents_copy();
    let app = app_with(db, &dir).await;
    let id = customer_writes(&app, "can you help me with my order or my refund").await;
    let conv = app.get("/v1/conversations?limit=1").await["conversations"][0]["id"]
        .as_i64()
        .unwrap();
    person(&app, "ann", "agent", json!({})).await;
    let agent = sign_in(&app, "ann").await;
    let here = format!("/console/conversations/{conv}");
    let page = agent.get(&here).await.text().await.unwrap();
    assert!(page.contains("Bot misread this"), "{page}");
    assert!(page.contains(&format!("{here}/misread")));
    let r = agent
        .post(
            &format!("{here}/misread"),
            &[
                ("message_id", &id.to_string()),
                ("intent", "order_status"),
                ("note", "the order comes first"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = agent.follow(r).await;
    assert!(page.contains("the bot designer will review"), "{page}");
    assert!(
        page.contains("Marked as misread by agent:ann (meant order_status)"),
        "{page}"
    );
    let items = open_items(&app, "?reason=marked").await;
    assert_eq!(items[0]["message_id"], id);
    assert_eq!(items[0]["marks"][0]["note"], "the order comes first");
    let long = "x".repeat(501);
    let r = agent
        .post(
            &format!("{here}/misread"),
            &[("message_id", &id.to_string()), ("note", &long)],
        )
        .await;
    let page = agent.follow(r).await;
    assert!(page.contains("at most 500"), "{page}");
}
