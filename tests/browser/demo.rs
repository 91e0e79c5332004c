//! The docs' screenshots: a realistic demo (agents, a supervisor, an admin; escalations from
//! several customers on the API channel, public and private, and the web chat; one already
//! assigned) and each console view captured as PNG. Which views, who looks at them and what to
//! wait for is the `VIEWS` table: add a row when a page is built.

use std::path::{Path, PathBuf};

use hearken::clock::Clock;
use reqwest::Method;
use serde_json::{json, Value};

use crate::console_support::PASSWORD;
use crate::harness::Browser;
use crate::helpers::{spawn_app, Db, TestApp};
use crate::platform::{platform, post_api, with_api_channel, SECRET};

/// One screenshot: `name.png`, taken signed in as `login` (empty: signed out) at `path` once
/// `ready` (a CSS selector) is on the page. `{assigned}` / `{offered}` in the path are the
/// demo's conversation ids.
pub struct View {
    pub name: &'static str,
    pub login: &'static str,
    pub path: &'static str,
    pub ready: &'static str,
}

pub const VIEWS: &[View] = &[
    View {
        name: "login",
        login: "",
        path: "/console/login",
        ready: "#login",
    },
    View {
        name: "queue",
        login: "dana",
        path: "/console",
        ready: "#offers .row.offer",
    },
    View {
        name: "conversation",
        login: "dana",
        path: "/console/conversations/{assigned}",
        ready: "main",
    },
    View {
        name: "supervisor",
        login: "walter",
        path: "/console/supervisor",
        ready: "main",
    },
    View {
        name: "reports",
        login: "walter",
        path: "/console/reports",
        ready: "svg.chart",
    },
    View {
        name: "agents",
        login: "admin",
        path: "/console/agents",
        ready: "main",
    },
];

/// The demo's conversations worth pointing at.
pub struct Demo {
    pub assigned: i64,
    pub offered: i64,
}

/// Where `make screenshots` asks for them (SCREENSHOTS_DIR), else target/screenshots.
pub fn screenshots_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    match std::env::var_os("SCREENSHOTS_DIR") {
        Some(d) if !d.is_empty() => root.join(d),
        _ => root.join("target/screenshots"),
    }
}

async fn staff(app: &TestApp, login: &str, name: &str, role: &str, skills: Value) -> i64 {
    let (status, body) = app
        .send_json(
            Method::POST,
            "/v1/agents",
            json!({"login": login, "name": name, "role": role, "skills": skills,
                   "capacity": 3, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["agent"]["id"].as_i64().expect("id")
}

async fn online(app: &TestApp, agent: i64) {
    let (status, body) = app
        .send_json(
            Method::POST,
            &format!("/v1/agents/{agent}/status"),
            json!({"status": "online"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// A customer's message on the API channel `crm` (public or private).
async fn on_crm(app: &TestApp, thread: &str, name: &str, visibility: &str, text: &str) -> i64 {
    let handle = name.to_lowercase().replace(' ', ".");
    let e = json!({"event_id": format!("{thread}-1"), "visibility": visibility,
                   "thread_id": thread, "author": {"handle": handle, "name": name},
                   "text": text});
    let r = post_api(app, &e, SECRET).await;
    assert!(
        r.status().is_success(),
        "{}",
        r.text().await.unwrap_or_default()
    );
    app.drain().await;
    app.conversation_of(thread).await["conversation"]["id"]
        .as_i64()
        .expect("conversation id")
}

/// A visitor's message on the web chat, with the name the page may send.
async fn on_web_chat(app: &TestApp, name: &str, text: &str) -> i64 {
    let session = crate::helpers::session();
    let r = app
        .http
        .post(format!("{}/v1/webchat/messages", app.addr))
        .json(&json!({"session_id": session, "message_id": "m1", "text": text, "name": name}))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 202);
    app.drain().await;
    app.conversation_of(&session).await["conversation"]["id"]
        .as_i64()
        .expect("conversation id")
}

/// The conversation offered to `agent` now, if any.
async fn offered_to(app: &TestApp, agent: i64) -> Option<i64> {
    app.get("/v1/queue").await["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["place"]["state"] == "offered" && i["place"]["agent_id"] == agent)
        .and_then(|i| i["item"]["conversation_id"].as_i64())
}

/// The week before: each day a few questions the bot answers, a thank-you it likes, and a
/// complaint that kim accepts, answers and resolves, so the reports have history.
async fn history(app: &TestApp) {
    let kim = staff(
        app,
        "kim",
        "Kim Park",
        "agent",
        json!({"complaints": 4, "billing": 3}),
    )
    .await;
    let questions = [
        "where is my order?",
        "how do I reset my password?",
        "do you ship to Canada?",
        "can I change my delivery address?",
    ];
    let start = app.clock.now() - chrono::Duration::days(6);
    online(app, kim).await;
    for day in 0..6i64 {
        app.clock
            .set(start + chrono::Duration::days(day) - chrono::Duration::hours(1));
        for (i, q) in questions
            .iter()
            .take(1 + (day as usize * 3) % 4)
            .enumerate()
        {
            on_crm(app, &format!("h-{day}-{i}"), "Ana Sousa", "public", q).await;
        }
        on_crm(
            app,
            &format!("h-{day}-t"),
            "Ben Ode",
            "public",
            "thank you so much, you are great!",
        )
        .await;
        let c = on_crm(
            app,
            &format!("h-{day}-c"),
            "Cy Lam",
            "private",
            "I was charged twice and nobody answers, this is unacceptable",
        )
        .await;
        app.clock.advance(chrono::Duration::seconds(5 + 4 * day));
        for (path, body) in [
            ("accept", json!({"agent_id": kim})),
            (
                "reply",
                json!({"text": "I am sorry: the second charge is refunded.", "request_id": format!("h{day}")}),
            ),
        ] {
            let (status, b) = app
                .send_json(Method::POST, &format!("/v1/conversations/{c}/{path}"), body)
                .await;
            assert_eq!(status, 200, "{path}: {b}");
            app.clock.advance(chrono::Duration::minutes(2 + day));
            app.drain().await;
        }
        app.clock.advance(chrono::Duration::minutes(10 * (day + 1)));
        let (status, b) = app
            .send_json(
                Method::POST,
                &format!("/v1/conversations/{c}/resolve"),
                json!({"disposition": "refund_issued"}),
            )
            .await;
        assert_eq!(status, 200, "{b}");
    }
    let (status, b) = app
        .send_json(
            Method::POST,
            &format!("/v1/agents/{kim}/status"),
            json!({"status": "offline"}),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    app.clock.set(start + chrono::Duration::days(6));
}

/// Seeds the demo: customers write over half an hour (the clock moves between them, so waits
/// differ) before the agents come online, so offers are fresh.
pub async fn seed(app: &TestApp) -> Demo {
    history(app).await;
    let dana = staff(
        app,
        "dana",
        "Dana Whitfield",
        "agent",
        json!({"billing": 4, "orders": 3, "complaints": 4}),
    )
    .await;
    let fox = staff(
        app,
        "fox",
        "Fox Moreno",
        "agent",
        json!({"billing": 2, "accounts": 4, "general": 3, "private_messages": 3}),
    )
    .await;
    staff(app, "walter", "Walter Skinner", "supervisor", json!({})).await;
    staff(app, "admin", "Alex Admin", "admin", json!({})).await;
    let minutes = |m| app.clock.advance(chrono::Duration::minutes(m));

    let customers: [(&str, &str, &str); 6] = [
        (
            "Priya Raman",
            "public",
            "This is the worst service I have ever had, my refund has been ignored for three weeks",
        ),
        (
            "Tom Becker",
            "private",
            "I was charged twice for my last order, please refund the second payment",
        ),
        ("Lena Fischer", "web", "I want to talk to a human please"),
        (
            "Omar Haddad",
            "public",
            "I am locked out of my account and nobody helps, this is ridiculous",
        ),
        (
            "Grace Liu",
            "web",
            "The parcel arrived broken and soaked, this is unacceptable, I am furious",
        ),
        (
            "Sam Okafor",
            "private",
            "The app crashes every time I open my basket, I cannot pay",
        ),
    ];
    for (i, (name, how, text)) in customers.into_iter().enumerate() {
        match how {
            "web" => on_web_chat(app, name, text).await,
            visibility => on_crm(app, &format!("t-demo-{i}"), name, visibility, text).await,
        };
        minutes(2 + i as i64);
    }
    online(app, dana).await;
    online(app, fox).await;
    app.drain().await;

    let queue = || async { format!("{:#}", app.get("/v1/queue").await) };
    let Some(assigned) = offered_to(app, dana).await else {
        panic!("dana has a first offer in the demo: {}", queue().await);
    };
    let (status, body) = app
        .send_json(
            Method::POST,
            &format!("/v1/conversations/{assigned}/accept"),
            json!({"agent_id": dana}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.drain().await;
    let Some(offered) = offered_to(app, dana).await else {
        panic!("dana has a second offer in the demo: {}", queue().await);
    };
    Demo { assigned, offered }
}

/// Whether the app has a page at `path` yet: the console guard answers a known route (303 to
/// the login form when signed out), an unbuilt one is a 404.
async fn built(app: &TestApp, path: &str) -> bool {
    let r = crate::console_support::client()
        .get(format!("{}{path}", app.addr))
        .send()
        .await
        .expect("request");
    r.status() != reqwest::StatusCode::NOT_FOUND
}

/// Starts the app, seeds the demo and writes `<view>.png` into `dir` for every built view.
/// Returns the views captured and the ones whose page does not exist yet.
pub async fn capture(dir: &Path) -> (Vec<&'static str>, Vec<&'static str>) {
    let platform = platform().await;
    let app = spawn_app(Db::Sqlite, |s| with_api_channel(s, &platform)).await;
    let demo = seed(&app).await;
    let b = Browser::open(&app.addr).await;
    let (mut captured, mut missing) = (Vec::new(), Vec::new());
    let mut signed_in = "";
    for v in VIEWS {
        let path = v
            .path
            .replace("{assigned}", &demo.assigned.to_string())
            .replace("{offered}", &demo.offered.to_string());
        if !built(&app, &path).await {
            missing.push(v.name);
            continue;
        }
        if v.login != signed_in {
            // Only the browser forgets the session: signing out would take the agent offline.
            b.client.delete_all_cookies().await.expect("forget cookies");
            if !v.login.is_empty() {
                b.sign_in(v.login, PASSWORD).await;
            }
            signed_in = v.login;
        }
        b.goto(&path).await;
        b.wait_for(v.ready).await;
        b.screenshot(&dir.join(format!("{}.png", v.name))).await;
        captured.push(v.name);
    }
    b.close().await;
    (captured, missing)
}

/// Largest screenshot the docs take: they are committed.
const MAX_PNG_BYTES: u64 = 300 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_views_are_captured_for_the_docs() {
    let dir = screenshots_dir();
    let (captured, missing) = capture(&dir).await;
    assert!(missing.is_empty(), "every view has its page: {missing:?}");
    assert_eq!(captured.len(), VIEWS.len(), "{captured:?}");
    for name in captured {
        let file = dir.join(format!("{name}.png"));
        let bytes = std::fs::read(&file).expect("screenshot written");
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{} is a PNG",
            file.display()
        );
        let size = bytes.len() as u64;
        assert!(size < MAX_PNG_BYTES, "{} is {size} bytes", file.display());
    }
}
