//! How long a report takes as the history grows: /v1/reports's work (read the period's facts,
//! count them) for 7 and 30 days, against a bare COUNT(*) of the same conversations, on
//! SQLite and PostgreSQL. Usage: reports_bench [sqlite|postgres] (default both).
//! Figures: docs/BENCHMARKS.md.

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use hearken::clock::{Clock, SystemClock};
use hearken::config::{Secret, Settings};
use hearken::reports::{self, Facts, Period};

#[path = "support/bench_db.rs"]
mod bench_db;
use bench_db::BenchDb;

/// Conversations per day over 30 days.
const PER_DAY: [i64; 3] = [100, 1_000, 5_000];
const DAYS: i64 = 30;
const RUNS: usize = 5;
const DAY_MS: i64 = 86_400_000;

async fn engine(url: &str) -> Arc<hearken::engine::Engine> {
    let mut s = Settings::default();
    s.database.url = Secret::new(url);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    hearken::startup::build_engine(Arc::new(s), clock)
        .await
        .expect("engine")
}

fn start_ms() -> i64 {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .expect("date")
        .timestamp_millis()
}

/// Runs `rows` through `INSERT INTO {table} ({cols}) VALUES ...` 500 rows a statement.
async fn insert(tx: &mut hearken::store::Tx, table: &str, cols: &str, rows: &[String]) {
    for chunk in rows.chunks(500) {
        let sql = format!("INSERT INTO {table} ({cols}) VALUES {}", chunk.join(","));
        sqlx::query(&sql).execute(&mut **tx).await.expect(table);
    }
}

/// `per_day` conversations a day for 30 days, each with a decision; one in six escalated,
/// accepted, answered and (most) resolved by one of 20 agents.
async fn seed(e: &hearken::engine::Engine, per_day: i64) {
    let mut tx = e.store.begin().await.expect("tx");
    let agents: Vec<String> = (1..=20)
        .map(|a| format!("({a}, 'a{a}', 'Agent {a}', 'agent', 'x', 0, 0)"))
        .collect();
    insert(
        &mut tx,
        "agents",
        "id, login, name, role, password_hash, created_at, updated_at",
        &agents,
    )
    .await;
    let (mut contacts, mut convs, mut decisions, mut escalations, mut work) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let total = per_day * DAYS;
    for i in 1..=total {
        let at = start_ms() + (i - 1) * DAY_MS / per_day;
        let channel = ["x", "facebook", "webchat"][(i % 3) as usize];
        contacts.push(format!("({i}, 0)"));
        convs.push(format!(
            "({i}, '{channel}', 'public', 't{i}', {i}, 'bot', {at}, {at})"
        ));
        let escalated = i % 6 == 0;
        let kind = if escalated {
            "escalate"
        } else if i % 5 == 0 {
            "like"
        } else {
            "reply"
        };
        decisions.push(format!("({i}, '{kind}', 'bench', '{{}}', {at})"));
        if escalated {
            let skill = ["complaints", "billing"][(i % 2) as usize];
            escalations.push(format!(
                "({i}, '{channel}', '{skill}', 2, 'intent', 'bench', {at})"
            ));
            let (accepted, replied, ended) = (at + 60_000, at + 180_000, at + 1_800_000);
            let outcome = if i % 4 == 0 {
                "handed_back"
            } else {
                "resolved"
            };
            work.push(format!(
                "({i}, {}, '{channel}', '{skill}', {at}, {at}, {accepted}, {replied}, {ended}, '{outcome}', 'answered')",
                1 + i % 20
            ));
        }
    }
    insert(&mut tx, "contacts", "id, created_at", &contacts).await;
    insert(
        &mut tx,
        "conversations",
        "id, channel, visibility, thread_key, contact_id, owner, created_at, updated_at",
        &convs,
    )
    .await;
    insert(
        &mut tx,
        "decisions",
        "conversation_id, kind, reason, detail, created_at",
        &decisions,
    )
    .await;
    insert(
        &mut tx,
        "escalations",
        "conversation_id, channel, skill, priority, cause, reason, created_at",
        &escalations,
    )
    .await;
    insert(
        &mut tx,
        "work",
        "conversation_id, agent_id, channel, skill, escalated_at, enqueued_at, accepted_at, \
         first_reply_at, ended_at, outcome, disposition",
        &work,
    )
    .await;
    tx.commit().await.expect("commit");
    if e.store.backend == hearken::store::Backend::Postgres {
        sqlx::query("ANALYZE")
            .execute(&e.store.pool)
            .await
            .expect("analyze");
    }
}

fn p50_max(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[v.len() - 1])
}

async fn one(kind: &str, url: String, per_day: i64) {
    let e = engine(&url).await;
    let t = Instant::now();
    seed(&e, per_day).await;
    let seeded = t.elapsed().as_secs_f64();
    let now = Utc
        .timestamp_millis_opt(start_ms() + DAYS * DAY_MS - 1)
        .unwrap();
    for days in [7, 30] {
        let to = now.date_naive();
        let from = (to - Duration::days(days - 1)).to_string();
        let period =
            Period::parse(Some(&from), Some(&to.to_string()), chrono_tz::UTC, now).expect("period");
        let (mut report, mut count) = (Vec::new(), Vec::new());
        let mut seen = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            let facts = Facts::read(&e.store, &period).await.expect("facts");
            let r = reports::build(&period, &[], &facts, now.timestamp_millis());
            report.push(t.elapsed().as_secs_f64() * 1000.0);
            seen = r.conversations.total;
            let t = Instant::now();
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM conversations WHERE created_at >= $1 AND created_at < $2",
            )
            .bind(period.start_ms())
            .bind(period.end_ms())
            .fetch_one(&e.store.pool)
            .await
            .expect("count");
            count.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(n as usize, seen);
        }
        let ((r50, rmax), (c50, _)) = (p50_max(report), p50_max(count));
        println!(
            "{kind:<8} {per_day:>5}/day (seeded in {seeded:5.1} s) | {days:>2} days, {seen:>7} conversations | report p50 {r50:8.1} ms max {rmax:8.1} | COUNT(*) p50 {c50:6.1} ms"
        );
    }
}

#[tokio::main]
async fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    for per_day in PER_DAY {
        if which.is_empty() || which == "sqlite" {
            let db = BenchDb::sqlite();
            one("sqlite", db.url.clone(), per_day).await;
        }
        if which.is_empty() || which == "postgres" {
            let db = BenchDb::postgres();
            one("postgres", db.url.clone(), per_day).await;
        }
    }
}
