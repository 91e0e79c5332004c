//! How long one routing operation takes as the queue grows: a tick that changes nothing (the
//! read and rebuild every operation pays), a tick that makes offers, and an accept, on SQLite and
//! PostgreSQL. Usage: routing_bench [sqlite|postgres] (default both). Figures: docs/BENCHMARKS.md.

use std::sync::Arc;
use std::time::Instant;

use hearken::clock::{Clock, SystemClock};
use hearken::config::{Secret, Settings};
use hearken::desk::{self, Actor, Op};
use sqlx::Row;

#[path = "support/bench_db.rs"]
mod bench_db;
use bench_db::BenchDb;

const SIZES: [(i64, i64); 4] = [(100, 10), (1_000, 50), (5_000, 200), (20_000, 500)];
const RUNS: usize = 20;

async fn engine(url: &str) -> Arc<hearken::engine::Engine> {
    let mut s = Settings::default();
    s.database.url = Secret::new(url);
    s.routing.waiting_message.clear();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    hearken::startup::build_engine(Arc::new(s), clock)
        .await
        .expect("engine")
}

/// `items` waiting conversations and `agents` agents (offline, capacity 5, one skill).
async fn seed(e: &hearken::engine::Engine, items: i64, agents: i64) {
    let pool = &e.store.pool;
    let mut tx = pool.begin().await.expect("tx");
    for i in 1..=items {
        sqlx::query("INSERT INTO contacts (id, display_name, created_at) VALUES ($1, 'c', 0)")
            .bind(i)
            .execute(&mut *tx)
            .await
            .expect("contact");
        sqlx::query(
            "INSERT INTO conversations (id, channel, visibility, thread_key, contact_id, owner, created_at, updated_at) \
             VALUES ($1, 'webchat', 'private', $2, $3, 'queued', 0, 0)",
        )
        .bind(i)
        .bind(format!("t{i}"))
        .bind(i)
        .execute(&mut *tx)
        .await
        .expect("conversation");
        sqlx::query(
            "INSERT INTO routing_items (conversation_id, state, skill, priority, reason, cause, channel, escalated_at, enqueued_at) \
             VALUES ($1, 'queued', 'billing', $2, 'bench', 'manual', 'webchat', $3, $4)",
        )
        .bind(i)
        .bind(1 + i % 3)
        .bind(i)
        .bind(i)
        .execute(&mut *tx)
        .await
        .expect("item");
    }
    for a in 1..=agents {
        sqlx::query(
            "INSERT INTO agents (id, login, name, role, password_hash, skills, capacity, status, created_at, updated_at) \
             VALUES ($1, $2, 'a', 'agent', 'x', '{\"billing\": 3}', 5, 'offline', 0, 0)",
        )
        .bind(a)
        .bind(format!("a{a}"))
        .execute(&mut *tx)
        .await
        .expect("agent");
    }
    tx.commit().await.expect("commit");
}

fn ms(samples: &mut [f64]) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    (samples[samples.len() / 2], samples[samples.len() - 1])
}

async fn one(kind: &str, url: String, items: i64, agents: i64) {
    let e = engine(&url).await;
    seed(&e, items, agents).await;
    // A tick that changes nothing: everyone offline and no waiting notice.
    let mut idle = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        desk::run(&e, &Actor::System, Op::Tick).await.expect("tick");
        idle.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    // Everyone comes online (first status change makes no offers), then one tick offers
    // agents x 5 conversations.
    for a in 1..=agents {
        let op = Op::SetStatus {
            agent_id: a,
            status: hearken::routing::Status::Online,
        };
        desk::run(&e, &Actor::System, op).await.expect("online");
    }
    let t = Instant::now();
    let out = desk::run(&e, &Actor::System, Op::Tick).await.expect("tick");
    let offer_ms = t.elapsed().as_secs_f64() * 1000.0;
    let offered = out.effects.len();
    // Accepts of those offers, one operation each.
    let offers: Vec<(i64, i64)> = sqlx::query(
        "SELECT conversation_id, agent_id FROM routing_items WHERE state = 'offered' LIMIT 20",
    )
    .fetch_all(&e.store.pool)
    .await
    .expect("offers")
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    let mut accept = Vec::new();
    for (c, a) in offers {
        let t = Instant::now();
        desk::run(
            &e,
            &Actor::System,
            Op::Accept {
                conversation_id: c,
                agent_id: a,
            },
        )
        .await
        .expect("accept");
        accept.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (i50, imax) = ms(&mut idle);
    let (a50, amax) = ms(&mut accept);
    println!(
        "{kind:<8} {items:>6} items {agents:>4} agents | idle tick p50 {i50:7.1} ms max {imax:7.1} | offering tick {offer_ms:8.1} ms ({offered} offers) | accept p50 {a50:7.1} ms max {amax:7.1}"
    );
}

#[tokio::main]
async fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    for (items, agents) in SIZES {
        if which.is_empty() || which == "sqlite" {
            let db = BenchDb::sqlite();
            one("sqlite", db.url.clone(), items, agents).await;
        }
        if which.is_empty() || which == "postgres" {
            let db = BenchDb::postgres();
            one("postgres", db.url.clone(), items, agents).await;
        }
    }
}
