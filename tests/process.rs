//! The `hearken serve` binary killed with SIGKILL while messages wait in the inbox and actions
//! in the outbox: after a restart every message is processed once and every action sent once.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "process-test-secret";
const TOKEN: &str = "process-test-token-0123456789";

#[path = "support/server.rs"]
mod server;
use server::Server;

/// Deliver message `i` through the signed API channel; it must be acknowledged.
async fn post_signed(http: &reqwest::Client, base: &str, i: usize, text: &str) {
    let body = json!({"event_id": format!("e{i}"), "visibility": "private", "thread_id": format!("dm-{i}"),
        "author": {"handle": format!("user{i}")}, "text": text})
    .to_string();
    let sig = hearken::signature::sign(SECRET, chrono::Utc::now().timestamp(), body.as_bytes());
    let r = http
        .post(format!("{base}/v1/channels/crm/webhook"))
        .header("x-hearken-signature", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// Wait for a condition of the service, polling (the binary runs its own workers).
async fn until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn get(http: &reqwest::Client, url: String) -> Option<Value> {
    let r = http.get(url).bearer_auth(TOKEN).send().await.ok()?;
    r.status().is_success().then_some(())?;
    r.json().await.ok()
}

fn config(
    dir: &std::path::Path,
    platform: &str,
    pipeline: bool,
    outbox: bool,
) -> std::path::PathBuf {
    let path = dir.join(format!("hearken-{pipeline}-{outbox}.toml"));
    let text = format!(
        r#"
[server]
listen = "127.0.0.1:0"
api_token = "{TOKEN}"
[database]
url = "sqlite://{db}"
[pipeline]
enabled = {pipeline}
[outbox]
enabled = {outbox}
[[channels.api]]
name = "crm"
secret = "{SECRET}"
outbound_url = "{platform}/actions"
"#,
        db = dir.join("hearken.db").display()
    );
    std::fs::write(&path, text).expect("config written");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_process_loses_nothing_and_sends_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let platform = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/actions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "p"})))
        .mount(&platform)
        .await;
    let http = reqwest::Client::new();
    let n = 20;

    // 1. Intake only: messages are acknowledged, then the process dies with them in the inbox.
    let server = Server::start(&config(dir.path(), &platform.uri(), false, false));
    for i in 0..n {
        post_signed(&http, &server.base, i, "where is my order?").await;
    }
    server.kill();

    // 2. Pipeline only: every message becomes a reply action, then the process dies again.
    let server = Server::start(&config(dir.path(), &platform.uri(), true, false));
    let base = server.base.clone();
    until("20 pending actions", async || {
        get(&http, format!("{base}/v1/outbox?status=pending&limit=500"))
            .await
            .is_some_and(|v| v["actions"].as_array().map(Vec::len) == Some(n))
    })
    .await;
    server.kill();
    assert!(
        platform.received_requests().await.unwrap().is_empty(),
        "nothing was sent yet"
    );

    // 3. Everything on: each action is sent once.
    let server = Server::start(&config(dir.path(), &platform.uri(), true, true));
    let base = server.base.clone();
    until("20 sent actions", async || {
        get(&http, format!("{base}/v1/outbox?status=sent&limit=500"))
            .await
            .is_some_and(|v| v["actions"].as_array().map(Vec::len) == Some(n))
    })
    .await;
    let convs = get(&http, format!("{base}/v1/conversations?limit=500"))
        .await
        .unwrap();
    assert_eq!(convs["conversations"].as_array().unwrap().len(), n);
    server.kill();
    let sent = platform.received_requests().await.unwrap();
    let keys: std::collections::BTreeSet<String> = sent
        .iter()
        .map(|r| {
            r.headers
                .get("idempotency-key")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        (sent.len(), keys.len()),
        (n, n),
        "each action sent exactly once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_cleanly_and_a_restart_finishes_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let platform = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/actions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "p"})))
        .mount(&platform)
        .await;
    let http = reqwest::Client::new();
    let cfg = config(dir.path(), &platform.uri(), true, true);
    let mut server = Server::start(&cfg);
    let n = 30;
    for i in 0..n {
        post_signed(&http, &server.base, i, "how do I reset my password?").await;
    }
    let pid = server.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || server.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "a clean exit on SIGTERM: {status:?}");

    let server = Server::start(&cfg);
    let base = server.base.clone();
    until("every reply sent", async || {
        get(&http, format!("{base}/v1/outbox?status=sent&limit=500"))
            .await
            .is_some_and(|v| v["actions"].as_array().map(Vec::len) == Some(n))
    })
    .await;
    let inbox = get(&http, format!("{base}/v1/inbox?limit=1"))
        .await
        .unwrap();
    assert_eq!(inbox["counts"]["done"], n, "{inbox}");
    server.kill();
    assert_eq!(
        platform.received_requests().await.unwrap().len(),
        n,
        "nothing sent twice"
    );
}

#[test]
fn the_shell_runs_a_message_through_the_pipeline_and_shows_the_decision() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/shell.db", dir.path().display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_hearken"))
        .args(["shell", "--database-url", &db])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"how do I reset my password?\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("intent: account_access"), "{text}");
    assert!(text.contains("decision: reply"), "{text}");
    assert!(text.contains("bot (private): "), "{text}");
}

#[test]
fn the_emergency_command_switches_the_mode_for_every_process() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/e.db", dir.path().display());
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_hearken"))
            .args(args)
            .args(["--database-url", &db])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert!(run(&["emergency", "status"]).contains("off (never switched)"));
    let on = run(&[
        "emergency",
        "on",
        "--message",
        "Outage: replies are slow",
        "--actor",
        "ops:ann",
    ]);
    assert!(
        on.contains("ON") && on.contains("Outage: replies are slow") && on.contains("ops:ann"),
        "{on}"
    );
    assert!(run(&["emergency", "off"]).contains("off (changed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_check_reports_each_account_and_fails_when_a_token_is_refused() {
    let telegram = MockServer::start().await;
    Mock::given(path("/bot111111:good-token_0123456789abcdefghijk/getMe"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true,
            "result": {"id": 111111, "is_bot": true, "first_name": "Acme", "username": "acme_care_bot"}})))
        .mount(&telegram)
        .await;
    Mock::given(path(
        "/bot111111:good-token_0123456789abcdefghijk/getWebhookInfo",
    ))
    .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true,
            "result": {"url": "https://care.example.com/v1/channels/tg-good/webhook",
                       "has_custom_certificate": false, "pending_update_count": 0}})))
    .mount(&telegram)
    .await;
    Mock::given(path("/bot222222:revoked-token_0123456789abcdefgh/getMe"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(
                json!({"ok": false, "error_code": 401, "description": "Unauthorized"}),
            ),
        )
        .mount(&telegram)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hearken.toml");
    let channel = |name: &str, token: &str| {
        format!(
            "[[channels.telegram]]\nname = \"{name}\"\napi_base = \"{}\"\nbot_token = {{ env = \"{token}\" }}\nsecret_token = \"webhook-secret-0123\"\n",
            telegram.uri()
        )
    };
    std::fs::write(
        &config,
        format!(
            "[database]\nurl = \"sqlite://{}/c.db\"\n{}{}",
            dir.path().display(),
            channel("tg-good", "TG_GOOD_TOKEN"),
            channel("tg-revoked", "TG_REVOKED_TOKEN")
        ),
    )
    .unwrap();
    let run = move |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_hearken"))
            .args(["channels", "check", "--config"])
            .arg(&config)
            .args(extra)
            .env("TG_GOOD_TOKEN", "111111:good-token_0123456789abcdefghijk")
            .env(
                "TG_REVOKED_TOKEN",
                "222222:revoked-token_0123456789abcdefgh",
            )
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
        )
    };
    let (code, table) = tokio::task::spawn_blocking(move || run(&[])).await.unwrap();
    assert_eq!(code, Some(1), "a refused token fails the check: {table}");
    let good = table
        .lines()
        .find(|l| l.starts_with("tg-good"))
        .expect(&table);
    assert!(
        good.contains(" ok ") && good.contains("@acme_care_bot"),
        "{table}"
    );
    let revoked = table
        .lines()
        .find(|l| l.starts_with("tg-revoked"))
        .expect(&table);
    assert!(
        revoked.contains("FAILED") && revoked.contains("credentials refused"),
        "{table}"
    );
    assert!(
        !table.contains("revoked-token"),
        "the token never shows: {table}"
    );
}
