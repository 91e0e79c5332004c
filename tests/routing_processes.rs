//! Two `hearken serve` processes on one PostgreSQL database route the same queue at once: both
//! tick, agents accept through either process (often through both at the same moment), go away
//! and come back, decline, and resolve. In the end every conversation was assigned and resolved
//! exactly once, no offer was ever made twice at once, and no agent ever held more than their
//! capacity.

#[path = "support/server.rs"]
mod server;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use server::Server;
use sqlx::Row;

const TOKEN: &str = "routing-processes-token-0123456789";
const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const CONVERSATIONS: i64 = 40;
const AGENTS: usize = 6;
const CAPACITY: i64 = 3;

fn psql(url: &str, sql: &str) {
    let out = std::process::Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-qc", sql])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "PostgreSQL at 127.0.0.1:5432 is required: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

struct Db(String);

impl Drop for Db {
    fn drop(&mut self) {
        let _ = std::process::Command::new("psql")
            .args([
                PG_ADMIN,
                "-qc",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.0),
            ])
            .output();
    }
}

fn config(dir: &std::path::Path, name: &str, url: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.toml"));
    // No model is needed: this test exercises routing only (the pipeline has nothing to do).
    let text = format!(
        r#"
[server]
listen = "127.0.0.1:0"
api_token = "{TOKEN}"
[database]
url = "{url}"
[routing]
offer_timeout_secs = 2
sla_secs = 3600
waiting_message = ""
[channels.webchat]
enabled = true
"#
    );
    std::fs::write(&path, text).expect("config");
    path
}

async fn call(http: reqwest::Client, m: reqwest::Method, url: String, body: Value) -> (u16, Value) {
    let r = http
        .request(m, url)
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .expect("request");
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_route_one_queue_without_losing_or_doubling_anything() {
    let name = format!("hearken_routing_{}", uuid::Uuid::new_v4().simple());
    psql(PG_ADMIN, &format!("CREATE DATABASE {name}"));
    let db = Db(name);
    let url = format!("postgres://postgres@127.0.0.1:5432/{}", db.0);
    let dir = tempfile::tempdir().expect("dir");
    let a = Server::start(&config(dir.path(), "a", &url));
    let b = Server::start(&config(dir.path(), "b", &url));
    let bases = [a.base.clone(), b.base.clone()];
    let http = reqwest::Client::new();

    // The queue: conversations waiting for billing, as escalations leave them.
    let mut seed = String::from("BEGIN;");
    for i in 1..=CONVERSATIONS {
        seed.push_str(&format!(
            "INSERT INTO contacts (id, display_name, created_at) VALUES ({i}, 'Customer {i}', 0);\
             INSERT INTO conversations (id, channel, visibility, thread_key, contact_id, owner, skill, priority, created_at, updated_at) \
             VALUES ({i}, 'webchat', 'private', 't{i}', {i}, 'queued', 'billing', 3, 0, 0);\
             INSERT INTO routing_items (conversation_id, state, skill, priority, reason, cause, channel, escalated_at, enqueued_at) \
             VALUES ({i}, 'queued', 'billing', {p}, 'test', 'manual', 'webchat', {i}, {i});",
            p = 1 + i % 3
        ));
    }
    seed.push_str("COMMIT;");
    psql(&url, &seed);

    let mut agents = Vec::new();
    for n in 0..AGENTS {
        let base = &bases[n % 2];
        let (s, body) = call(
            http.clone(),
            reqwest::Method::POST,
            format!("{base}/v1/agents"),
            json!({
            "login": format!("agent{n}"), "name": format!("Agent {n}"), "role": "agent",
            "skills": {"billing": 3}, "capacity": CAPACITY, "password": "a long enough password"}),
        )
        .await;
        assert_eq!(s, 201, "{body}");
        agents.push(body["agent"]["id"].as_i64().expect("id"));
    }
    for (n, id) in agents.iter().enumerate() {
        let base = &bases[(n + 1) % 2];
        let (s, body) = call(
            http.clone(),
            reqwest::Method::POST,
            format!("{base}/v1/agents/{id}/status"),
            json!({"status": "online"}),
        )
        .await;
        assert_eq!(s, 200, "{body}");
    }

    let started = Instant::now();
    let mut double_accepts = 0;
    let mut refused = 0;
    let mut round = 0usize;
    loop {
        round += 1;
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "routing did not finish"
        );
        let (_, q) = call(
            http.clone(),
            reqwest::Method::GET,
            format!("{}/v1/queue", bases[round % 2]),
            Value::Null,
        )
        .await;
        let items = q["items"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            break;
        }
        let mut tasks = Vec::new();
        for it in &items {
            let conv = it["item"]["conversation_id"].as_i64().expect("id");
            let agent = it["place"]["agent_id"].as_i64();
            match (it["place"]["state"].as_str(), agent) {
                (Some("offered"), Some(agent)) if (conv + round as i64) % 7 == 0 => {
                    // Now and then someone says no.
                    let url = format!("{}/v1/conversations/{conv}/decline", bases[round % 2]);
                    tasks.push(tokio::spawn(call(
                        http.clone(),
                        reqwest::Method::POST,
                        url,
                        json!({"agent_id": agent}),
                    )));
                }
                (Some("offered"), Some(agent)) => {
                    // The same accept through both processes at the same moment.
                    for base in &bases {
                        let url = format!("{base}/v1/conversations/{conv}/accept");
                        tasks.push(tokio::spawn(call(
                            http.clone(),
                            reqwest::Method::POST,
                            url,
                            json!({"agent_id": agent}),
                        )));
                    }
                }
                (Some("assigned"), _) if (conv + round as i64) % 3 == 0 => {
                    let url = format!("{}/v1/conversations/{conv}/resolve", bases[(round + 1) % 2]);
                    tasks.push(tokio::spawn(call(
                        http.clone(),
                        reqwest::Method::POST,
                        url,
                        json!({"disposition": "resolved"}),
                    )));
                }
                _ => {}
            }
        }
        // An agent steps away and comes back now and then (open offers return to the queue).
        let who = agents[round % AGENTS];
        let status = if round.is_multiple_of(5) {
            "away"
        } else {
            "online"
        };
        let url = format!("{}/v1/agents/{who}/status", bases[round % 2]);
        tasks.push(tokio::spawn(call(
            http.clone(),
            reqwest::Method::POST,
            url,
            json!({"status": status}),
        )));
        let mut accepted: BTreeMap<String, usize> = BTreeMap::new();
        for t in tasks {
            let (s, body) = t.await.expect("task");
            assert!(matches!(s, 200 | 409), "{s} {body}");
            refused += usize::from(s == 409);
            if s == 200 {
                if let Some(e) = body["effects"].as_array() {
                    for e in e.iter().filter(|e| e["kind"] == "assigned") {
                        *accepted
                            .entry(e["conversation_id"].to_string())
                            .or_default() += 1;
                    }
                }
            }
        }
        for (conv, n) in accepted {
            assert_eq!(n, 1, "conversation {conv} accepted twice in one race");
            double_accepts += 1;
        }
        // The processes tick on their own (every 500 ms); give them a moment between rounds.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(double_accepts > 0, "conversations were accepted");
    assert!(refused > 0, "the losing side of a race was refused");

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.expect("connect");
    let one = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query(sql)
                .fetch_one(&pool)
                .await
                .expect(sql)
                .get::<i64, _>(0)
        }
    };
    assert_eq!(
        one("SELECT COUNT(*) FROM routing_items").await,
        0,
        "nothing left in routing"
    );
    assert_eq!(
        one("SELECT COUNT(DISTINCT conversation_id) FROM work WHERE outcome = 'resolved'").await,
        CONVERSATIONS,
        "every conversation resolved"
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM work WHERE outcome = 'resolved'").await,
        CONVERSATIONS,
        "and each exactly once"
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM conversations WHERE owner <> 'resolved'").await,
        0
    );
    // Each accepted assignment is one work row and one assigned event: no item went to two agents.
    assert_eq!(
        one("SELECT COUNT(*) FROM events WHERE kind = 'conversation.assigned'").await,
        one("SELECT COUNT(*) FROM work").await
    );

    // No offer while another was open: per conversation, an offer is followed by its outcome.
    let rows = sqlx::query(
        "SELECT conversation_id, kind FROM events WHERE kind IN ('routing.offered', 'routing.offer_expired', \
         'routing.requeued', 'conversation.assigned', 'conversation.resolved') ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .expect("events");
    let mut open: BTreeMap<i64, bool> = BTreeMap::new();
    let mut offers = 0;
    for r in rows {
        let conv: i64 = r.get(0);
        let kind: String = r.get(1);
        let offered = open.entry(conv).or_default();
        match kind.as_str() {
            "routing.offered" => {
                assert!(!*offered, "conversation {conv} offered twice at once");
                *offered = true;
                offers += 1;
            }
            "routing.offer_expired" | "routing.requeued" | "conversation.assigned" => {
                *offered = false
            }
            _ => {}
        }
    }
    assert!(offers >= CONVERSATIONS, "{offers}");

    // Never above capacity: the most assignments any agent held at one time.
    let work = sqlx::query("SELECT agent_id, accepted_at, ended_at FROM work ORDER BY accepted_at")
        .fetch_all(&pool)
        .await
        .expect("work");
    let mut edges: BTreeMap<i64, Vec<(i64, i64)>> = BTreeMap::new();
    for w in work {
        let agent: i64 = w.get(0);
        let (from, to): (i64, i64) = (w.get(1), w.get::<Option<i64>, _>(2).unwrap_or(i64::MAX));
        // Ends sort before starts at the same millisecond: a freed slot can be refilled at once.
        edges
            .entry(agent)
            .or_default()
            .extend([(from, 1), (to, -1)]);
    }
    for (agent, mut e) in edges {
        e.sort();
        let (mut held, mut most) = (0i64, 0i64);
        for (_, d) in e {
            held += d;
            most = most.max(held);
        }
        assert!(most <= CAPACITY, "agent {agent} held {most} at once");
    }
    a.kill();
    b.kill();
}
