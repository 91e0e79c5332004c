//! The console over HTTP: signing in and out, the queue view, offers accepted and declined from
//! the page, the status toggle.

use serde_json::json;

use crate::console_support::{client, person, post_login, set_cookie, sign_in};
use crate::helpers::{spawn_app, Db};
use crate::on_both_stores;
use crate::routing::{complain, queued};

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
