//! The console over HTTP: signing in and out, the queue view, offers accepted and declined from
//! the page, the status toggle.

use serde_json::json;

use crate::console_support::{client, person, post_login, set_cookie, sign_in};
use crate::helpers::{session, spawn_app, Db};
use crate::on_both_stores;
use crate::routing::{complain, queued, COMPLAINT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_visit_is_sent_to_the_login_form() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    let r = client()
        .get(format!("{}/console", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/console/login?next=%2Fconsole");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_refused_and_the_right_one_signs_in_with_a_strict_cookie() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    person(&app, "mulder", "agent", json!({"complaints": 3})).await;
    let r = post_login(&app, "mulder", "not the password", None).await;
    assert_eq!(r.status(), 401);
    assert!(set_cookie(&r, "hearken_session").is_none());
    assert!(r.text().await.unwrap().contains("Wrong login or password"));
    let r = post_login(&app, "mulder", crate::console_support::PASSWORD, None).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/console");
    let c = set_cookie(&r, "hearken_session").expect("session cookie");
    assert!(
        c.contains("HttpOnly") && c.contains("SameSite=Strict"),
        "{c}"
    );
}

on_both_stores!(an_agent_goes_online_accepts_an_offer_from_the_queue_page_and_sees_it_as_theirs);

async fn an_agent_goes_online_accepts_an_offer_from_the_queue_page_and_sees_it_as_theirs(
    db: crate::helpers::Db,
) {
    let app = spawn_app(db, |_| {}).await;
    let id_agent = person(&app, "scully", "agent", json!({"complaints": 4})).await;
    let b = sign_in(&app, "scully").await;
    let r = b.post("/console/status", &[("status", "online")]).await;
    assert_eq!(r.status(), 303);
    let page = b.follow(r).await;
    assert!(page.contains("You are online."), "{page}");
    let id = complain(&app).await;
    let page = b.get("/console").await.text().await.unwrap();
    assert!(
        page.contains(&format!("/console/conversations/{id}/accept")),
        "{page}"
    );
    assert!(
        page.contains("worst service"),
        "the offer shows the message"
    );
    let r = b
        .post(&format!("/console/conversations/{id}/accept"), &[])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        format!("/console/conversations/{id}").as_str()
    );
    let item = queued(&app, id).await.unwrap();
    assert_eq!(item["place"]["state"], "assigned");
    assert_eq!(item["place"]["agent_id"], id_agent);
    let page = b.get("/console").await.text().await.unwrap();
    assert!(
        page.contains("My conversations <span class=\"count\">1</span>"),
        "{page}"
    );
}

on_both_stores!(a_supervisor_sees_every_agents_load_and_reassigns_a_conversation);

async fn a_supervisor_sees_every_agents_load_and_reassigns_a_conversation(db: crate::helpers::Db) {
    let app = spawn_app(db, |_| {}).await;
    let first = crate::routing::agent(&app, "first", json!({"complaints": 3}), 2).await;
    let id = complain(&app).await;
    let (status, _) = app
        .send_json(
            reqwest::Method::POST,
            &format!("/v1/conversations/{id}/accept"),
            json!({"agent_id": first}),
        )
        .await;
    assert_eq!(status, 200);
    let second = crate::routing::agent(&app, "second", json!({"billing": 3}), 2).await;
    person(&app, "boss", "supervisor", json!({})).await;
    let b = sign_in(&app, "boss").await;
    let page = b.get("/console/supervisor").await.text().await.unwrap();
    assert!(page.contains("first"), "{page}");
    assert!(
        page.contains(&format!("value=\"agent:{second}\"")),
        "second can take an offer: {page}"
    );
    assert!(page.contains("worst service"), "the conversation is listed");
    let r = b
        .post(
            "/console/supervisor/reassign",
            &[
                ("conversation_id", &id.to_string()),
                ("to", &format!("agent:{second}")),
            ],
        )
        .await;
    let page = b.follow(r).await;
    assert!(
        page.contains(&format!("Conversation {id} reassigned.")),
        "{page}"
    );
    let item = queued(&app, id).await.unwrap();
    assert_eq!(item["place"]["state"], "offered");
    assert_eq!(item["place"]["agent_id"], second);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM work WHERE conversation_id = {id} AND outcome = 'transferred'"
        ))
        .await,
        1,
        "the first agent's work ended as a transfer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_an_agent_in_the_console_and_changes_their_skills() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    person(&app, "root", "admin", json!({})).await;
    let b = sign_in(&app, "root").await;
    let r = b
        .post(
            "/console/agents",
            &[
                ("login", "newbie"),
                ("name", "New Bie"),
                ("role", "agent"),
                ("skills", "billing=2, orders"),
                ("groups", "private_messages"),
                ("capacity", "2"),
                ("password", "short"),
            ],
        )
        .await;
    let page = b.follow(r).await;
    assert!(
        page.contains("at least 10 characters"),
        "a short password is refused: {page}"
    );
    let r = b
        .post(
            "/console/agents",
            &[
                ("login", "newbie"),
                ("name", "New Bie"),
                ("role", "agent"),
                ("skills", "billing=2, orders"),
                ("groups", "private_messages"),
                ("capacity", "2"),
                ("password", "long enough pass"),
            ],
        )
        .await;
    let page = b.follow(r).await;
    assert!(page.contains("Created newbie"), "{page}");
    let list = app.get("/v1/agents").await;
    let newbie = list["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["login"] == "newbie")
        .unwrap()
        .clone();
    assert_eq!(newbie["skills"], json!({"billing": 2, "orders": 3}));
    assert_eq!(newbie["groups"], json!(["private_messages"]));
    let id = newbie["id"].as_i64().unwrap();
    let r = b
        .post(
            &format!("/console/agents/{id}"),
            &[
                ("name", "New Bie"),
                ("role", "supervisor"),
                ("skills", "complaints=5"),
                ("groups", ""),
                ("capacity", "4"),
            ],
        )
        .await;
    assert!(b.follow(r).await.contains("Saved."));
    let a = app.get(&format!("/v1/agents/{id}")).await["agent"].clone();
    assert_eq!(a["role"], "supervisor");
    assert_eq!(a["skills"], json!({"complaints": 5}));
    assert_eq!(a["capacity"], 4);
    // The new person signs in with the password the admin set.
    assert_eq!(
        post_login(&app, "newbie", "long enough pass", None)
            .await
            .status(),
        303
    );
}

on_both_stores!(the_queue_shows_the_message_that_escalated_not_what_came_after);

async fn the_queue_shows_the_message_that_escalated_not_what_came_after(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    person(&app, "scully", "agent", json!({"complaints": 4})).await;
    let b = sign_in(&app, "scully").await;
    b.post("/console/status", &[("status", "online")]).await;
    let s = session();
    app.chat(&s, "m1", COMPLAINT).await;
    app.drain().await;
    app.chat(&s, "m2", "love the new sofa btw").await;
    app.drain().await;
    let page = b.get("/console").await.text().await.unwrap();
    assert!(
        page.contains("worst service"),
        "the complaint is shown: {page}"
    );
    assert!(
        !page.contains("love the new sofa"),
        "not the later message: {page}"
    );
    assert!(
        page.contains("Complaint, angry — routed to complaints"),
        "why, in words: {page}"
    );
    let tail: String = s.chars().filter(|c| c.is_alphanumeric()).collect();
    let label = format!("Web chat visitor {}", &tail[tail.len() - 4..]);
    assert!(
        page.contains(&label),
        "the visitor, not their session id: {page}"
    );
    assert!(!page.contains(&s), "never the session id: {page}");

    let id = app.conversation_of(&s).await["conversation"]["id"]
        .as_i64()
        .unwrap();
    let conv = b
        .get(&format!("/console/conversations/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        conv.contains(
            "The bot's reading <span class=\"muted\">of the message that escalated</span>"
        ),
        "{conv}"
    );
    assert!(
        conv.contains("<blockquote class=\"escalated\">This is the worst service"),
        "the reading quotes the complaint, not the sofa: {conv}"
    );
    assert!(conv.contains(&format!("<h1>{label} ")), "{conv}");
    assert!(!conv.contains(&s), "never the session id: {conv}");
}
