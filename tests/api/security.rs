//! Who may call what: every protected API and console route refuses an anonymous request and a
//! request from a role below the one the access table gives it; changes need the CSRF token;
//! logins are rate limited; a session planted before login is never used; logout ends the
//! session on the server.

use reqwest::Method;
use serde_json::json;

use crate::console_support::{client, person, post_login, set_cookie, sign_in, Browser, PASSWORD};
use crate::helpers::{spawn_app, Db, TestApp};
use hearken::routing::Role;

fn concrete(path: &str) -> String {
    path.replace("{id}", "1")
}

/// One signed-in person per role below admin (the API token is the admin).
async fn people(app: &TestApp) -> Vec<(Role, Browser)> {
    person(app, "agent1", "agent", json!({"complaints": 3})).await;
    person(app, "super1", "supervisor", json!({})).await;
    person(app, "admin1", "admin", json!({})).await;
    vec![
        (Role::Agent, sign_in(app, "agent1").await),
        (Role::Supervisor, sign_in(app, "super1").await),
        (Role::Admin, sign_in(app, "admin1").await),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_route_refuses_anonymous_callers_and_roles_below_its_own() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    let people = people(&app).await;
    let http = client();
    for (m, path, need) in hearken::http::access::API {
        let method = Method::from_bytes(m.as_bytes()).unwrap();
        let url = format!("{}{}", app.addr, concrete(path));
        let r = http
            .request(method.clone(), &url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body = r.text().await.unwrap_or_default();
        assert_eq!(status, 401, "anonymous {m} {path}: {body}");
        assert!(body.contains("\"unauthorized\""), "{m} {path}: {body}");
        let r = http
            .request(method.clone(), &url)
            .bearer_auth("not-the-token-0123456789")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "wrong token {m} {path}");
        for (role, b) in &people {
            let r = http
                .request(method.clone(), &url)
                .header("cookie", &b.cookie)
                .header("x-csrf-token", &b.csrf)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body = r.text().await.unwrap_or_default();
            if role < need {
                assert_eq!(status, 403, "{role:?} on {m} {path}: {body}");
                assert!(body.contains("insufficient_role"), "{m} {path}: {body}");
            } else {
                assert!(
                    status != 401 && status != 403 || body.contains("\"forbidden\""),
                    "{role:?} may call {m} {path}: {status} {body}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_console_route_sends_strangers_to_sign_in_and_refuses_lower_roles() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    let people = people(&app).await;
    let http = client();
    let routes = hearken::console::routes();
    assert!(routes.len() >= 10, "{routes:?}");
    for (m, path, need) in routes {
        let method = Method::from_bytes(m.as_bytes()).unwrap();
        let url = format!("{}{}", app.addr, concrete(path));
        let r = http.request(method.clone(), &url).send().await.unwrap();
        if m == "GET" {
            assert_eq!(r.status(), 303, "anonymous GET {path}");
            let to = r.headers()["location"].to_str().unwrap().to_string();
            assert!(to.starts_with("/console/login?next="), "{path} -> {to}");
        } else {
            assert_eq!(r.status(), 401, "anonymous {m} {path}");
        }
        for (role, b) in &people {
            let r = if m == "GET" {
                b.get(&concrete(path)).await
            } else {
                b.post(&concrete(path), &[]).await
            };
            let status = r.status().as_u16();
            if *role < need {
                assert_eq!(status, 403, "{role:?} on {m} {path}");
            } else {
                assert_ne!(status, 403, "{role:?} may use {m} {path}");
                assert_ne!(status, 401, "{role:?} is signed in for {m} {path}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_without_the_csrf_token_are_refused_and_change_nothing() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    let id = person(&app, "carol", "agent", json!({"billing": 2})).await;
    let b = sign_in(&app, "carol").await;
    let status_of =
        || async { app.get(&format!("/v1/agents/{id}")).await["agent"]["status"].clone() };
    // A console form without the field, and with someone else's token.
    for csrf in [None, Some("forged-token")] {
        let mut form = vec![("status", "online")];
        if let Some(c) = csrf {
            form.push(("csrf", c));
        }
        let r = client()
            .post(format!("{}/console/status", app.addr))
            .header("cookie", &b.cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "csrf {csrf:?}");
        assert_eq!(status_of().await, "offline");
    }
    // The JSON API with the session cookie but no X-CSRF-Token header.
    let r = client()
        .post(format!("{}/v1/agents/{id}/status", app.addr))
        .header("cookie", &b.cookie)
        .json(&json!({"status": "online"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("csrf_failed"));
    assert_eq!(status_of().await, "offline");
    // The login form itself needs its token.
    let r = client()
        .post(format!("{}/console/login", app.addr))
        .form(&[("login", "carol"), ("password", PASSWORD), ("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(set_cookie(&r, "hearken_session").is_none());
    // With the token it works.
    let r = b.post("/console/status", &[("status", "online")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(status_of().await, "online");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_planted_before_login_is_never_used() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    person(&app, "dave", "agent", json!({})).await;
    // An attacker-chosen value, and a real session of an earlier login.
    let earlier = sign_in(&app, "dave").await;
    for planted in [
        "hearken_session=attacker-chosen-value".to_string(),
        earlier.cookie.clone(),
    ] {
        let r = post_login(&app, "dave", PASSWORD, Some(&planted)).await;
        assert_eq!(r.status(), 303);
        let fresh = set_cookie(&r, "hearken_session").expect("a new session cookie");
        assert!(
            !fresh.starts_with(&format!("{planted};")),
            "the session id changed"
        );
        let r = client()
            .get(format!("{}/console", app.addr))
            .header("cookie", &planted)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            303,
            "the planted or earlier session does not work: {planted}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_ends_the_session_on_the_server_and_takes_the_agent_offline() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    let id = person(&app, "erin", "agent", json!({})).await;
    let b = sign_in(&app, "erin").await;
    b.post("/console/status", &[("status", "online")]).await;
    let r = b.post("/console/logout", &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/console/login");
    let cleared = set_cookie(&r, "hearken_session").expect("cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    // The old cookie, replayed, is worthless.
    assert_eq!(b.get("/console").await.status(), 303);
    let r = client()
        .get(format!("{}/v1/me", app.addr))
        .header("cookie", &b.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        app.get(&format!("/v1/agents/{id}")).await["agent"]["status"],
        "offline"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failed_logins_are_slowed_down_then_allowed_after_the_window() {
    let app = spawn_app(Db::Sqlite, |s| s.console.login_max_failures = 3).await;
    person(&app, "frank", "agent", json!({})).await;
    for _ in 0..3 {
        assert_eq!(
            post_login(&app, "frank", "wrong password!", None)
                .await
                .status(),
            401
        );
    }
    let r = post_login(&app, "frank", PASSWORD, None).await;
    assert_eq!(r.status(), 429, "even the right password waits");
    let wait: i64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    assert!(set_cookie(&r, "hearken_session").is_none());
    app.clock.advance(chrono::Duration::seconds(901));
    assert_eq!(
        post_login(&app, "frank", PASSWORD, None).await.status(),
        303
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_agent_cannot_sign_in_and_loses_open_sessions() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    let id = person(&app, "gwen", "agent", json!({})).await;
    let b = sign_in(&app, "gwen").await;
    let (status, body) = app
        .send_json(
            Method::PATCH,
            &format!("/v1/agents/{id}"),
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(b.get("/console").await.status(), 303);
    assert_eq!(post_login(&app, "gwen", PASSWORD, None).await.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_expires_after_its_hours() {
    let app = spawn_app(Db::Sqlite, |s| s.console.session_hours = 8).await;
    person(&app, "hank", "agent", json!({})).await;
    let b = sign_in(&app, "hank").await;
    app.clock.advance(chrono::Duration::hours(7));
    assert_eq!(b.get("/console").await.status(), 200);
    app.clock.advance(chrono::Duration::hours(2));
    assert_eq!(b.get("/console").await.status(), 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_admin_cannot_be_demoted() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    let id = person(&app, "root1", "admin", json!({})).await;
    let (status, body) = app
        .send_json(
            Method::PATCH,
            &format!("/v1/agents/{id}"),
            json!({"role": "agent"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    person(&app, "root2", "admin", json!({})).await;
    let (status, _) = app
        .send_json(
            Method::PATCH,
            &format!("/v1/agents/{id}"),
            json!({"role": "agent"}),
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_changes_with_a_session_but_without_the_csrf_token_are_refused() {
    let dir = crate::review::intents_copy();
    let app = crate::review::app_with(Db::Sqlite, &dir).await;
    let id = crate::review::customer_writes(&app, "asdf qwer zxcv").await;
    person(&app, "rita", "admin", json!({})).await;
    let b = sign_in(&app, "rita").await;
    for (path, body) in [
        (format!("/v1/messages/{id}/misread"), json!({"note": "x"})),
        (format!("/v1/review/{id}/dismiss"), json!({})),
        (
            format!("/v1/review/{id}/assign"),
            json!({"intent": "greeting"}),
        ),
    ] {
        let r = client()
            .post(format!("{}{path}", app.addr))
            .header("cookie", &b.cookie)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path}");
        assert!(r.text().await.unwrap().contains("csrf_failed"), "{path}");
    }
    for path in [
        format!("/console/review/{id}/dismiss"),
        format!("/console/review/{id}/assign"),
    ] {
        let r = client()
            .post(format!("{}{path}", app.addr))
            .header("cookie", &b.cookie)
            .form(&[("intent", "greeting")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path}");
    }
    let item = crate::review::open_items(&app, "").await;
    assert_eq!(item[0]["message_id"], id, "still open, unmarked");
    assert!(item[0]["marks"].as_array().unwrap().is_empty());
}
