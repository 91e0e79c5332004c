//! The console in the browser: an agent signs in, goes online and receives an escalation live
//! (no reload), accepts it, reads the transcript with the bot's analysis, replies in private and
//! resolves with a disposition; customer text is shown as text, never run; the
//! console's own script runs under its Content-Security-Policy.

use serde_json::json;
use wiremock::MockServer;

use crate::console_support::{person, PASSWORD};
use crate::harness::Browser;
use crate::helpers::{spawn_app, spawn_running, Db, TestApp};
use crate::platform::{event, platform, post_api, with_api_channel, SECRET};

pub const COMPLAINT: &str =
    "This is the worst service I have ever had, my complaint has been ignored for weeks";

/// The app with the API channel `crm` in front of a simulated platform.
pub async fn app_with_platform() -> (TestApp, MockServer) {
    let platform = platform().await;
    let app = spawn_app(Db::Sqlite, |s| with_api_channel(s, &platform)).await;
    (app, platform)
}

/// A customer writes publicly on the API channel; the pipeline and routing run. Returns the
/// conversation's id.
pub async fn customer_writes(app: &TestApp, thread: &str, handle: &str, text: &str) -> i64 {
    let e = event(&format!("{thread}-1"), "public", thread, handle, text);
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

/// An agent signed in through the form, online, with live updates connected.
pub async fn online_agent(app: &TestApp, login: &str, skills: serde_json::Value) -> Browser {
    person(app, login, "agent", skills).await;
    let b = Browser::open(&app.addr).await;
    b.sign_in(login, PASSWORD).await;
    b.set_status("online").await;
    b.wait_for_text(".flash", "You are online.").await;
    b.wait_live().await;
    b
}

/// The first conversation waiting in the queue, once the running workers have put it there.
async fn queued(app: &TestApp) -> i64 {
    let until = std::time::Instant::now() + crate::harness::WAIT;
    while std::time::Instant::now() < until {
        let list = app.get("/v1/conversations?owner=queued").await;
        if let Some(id) = list["conversations"][0]["id"].as_i64() {
            return id;
        }
        // The workers are their own tasks here: nothing to drain, so look again shortly.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "no conversation was queued within {:?}",
        crate::harness::WAIT
    );
}

fn offer(id: i64) -> String {
    format!("#offers .row.offer[data-conversation=\"{id}\"]")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_receives_a_complaint_live_reads_it_replies_in_private_and_resolves_it() {
    let (app, platform) = app_with_platform().await;
    let b = online_agent(&app, "scully", json!({"complaints": 3})).await;
    b.wait_for_text("#offers .empty", "Nothing offered right now")
        .await;

    // The page stays open: the offer arrives over SSE and the live region refresh.
    let id = customer_writes(&app, "t-live", "dana", COMPLAINT).await;
    let row = b.wait_for(&offer(id)).await;
    let text = row.text().await.expect("row text");
    assert!(
        text.contains("worst service"),
        "the offer shows the message: {text}"
    );
    assert!(text.contains("crm"), "and the channel: {text}");

    row.find(fantoccini::Locator::Css("[data-accept]"))
        .await
        .expect("an Accept button")
        .click()
        .await
        .expect("accept");
    b.wait_for_path(&format!("/console/conversations/{id}"))
        .await;

    // The transcript, with the bot's reading of the message and the decision it made.
    b.wait_for_text("#transcript .msg.in .text", "worst service")
        .await;
    b.wait_for_text("#transcript .msg.in .reading .intent", "complaint")
        .await;
    b.wait_for_text("#transcript .msg.in .reading .sentiment", "negative")
        .await;
    b.wait_for_text("#transcript .decision", "escalated to complaints")
        .await;

    // A reply in private, sent from the page through the outbox to the platform.
    b.find("form.reply input[name=mode][value=private]")
        .await
        .click()
        .await
        .expect("private");
    let reply = "I am so sorry, Dana. I have refunded your order and sent the details.";
    b.find("#reply-text")
        .await
        .send_keys(reply)
        .await
        .expect("type");
    b.find("form.reply button[type=submit]")
        .await
        .click()
        .await
        .expect("send");
    b.wait_for_text(".flash", "Your reply is on its way.").await;
    b.wait_live().await;
    app.drain().await;
    let sent: Vec<_> = crate::platform::received(&platform)
        .await
        .into_iter()
        .filter(|a| a["action"]["text"] == reply)
        .collect();
    assert_eq!(sent.len(), 1, "the platform got the reply once");
    assert_eq!(sent[0]["action"]["visibility"], "private");
    assert_eq!(sent[0]["action"]["recipient"], "dana");
    // Sent, it shows on the transcript as the agent's, without a reload.
    b.wait_for_text("#transcript .msg.out.agent .text", reply)
        .await;

    // Resolve with a disposition from the list.
    b.find("#disposition")
        .await
        .select_by_value("refund_issued")
        .await
        .expect("a disposition");
    b.find("form[action$='/resolve'] button[type=submit]")
        .await
        .click()
        .await
        .expect("resolve");
    b.wait_for_path("/console").await;
    let c = app.get(&format!("/v1/conversations/{id}")).await;
    assert_eq!(c["conversation"]["owner"], "resolved");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM work WHERE conversation_id = {id} AND disposition = 'refund_issued'"
        ))
        .await,
        1
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_who_comes_online_sees_the_offer_that_was_waiting_without_reloading() {
    // The workers run as in `hearken serve`: going online wakes the routing worker, which
    // offers while the browser is between the page and its live connection.
    let platform = platform().await;
    let app = spawn_running(Db::Sqlite, |s| with_api_channel(s, &platform)).await;
    let e = event("t-waiting-1", "public", "t-waiting", "dana", COMPLAINT);
    assert!(post_api(&app, &e, SECRET).await.status().is_success());
    let id = queued(&app).await;

    person(&app, "reyes", "agent", json!({"complaints": 3})).await;
    let b = Browser::open(&app.addr).await;
    b.sign_in("reyes", PASSWORD).await;
    b.set_status("online").await;
    // The clock stands still, so the offer cannot come back by expiring: only a live update
    // brings it to this page.
    b.wait_for(&offer(id)).await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_with_a_script_tag_is_shown_as_text() {
    let (app, _platform) = app_with_platform().await;
    let b = online_agent(&app, "mulder", json!({"complaints": 3, "general": 3})).await;
    let hostile = format!("<script>window.__pwned=1</script><b>bold</b> {COMPLAINT}");
    let id = customer_writes(&app, "t-xss", "eve", &hostile).await;

    let row = b.wait_for(&offer(id)).await;
    let preview = row
        .find(fantoccini::Locator::Css(".preview"))
        .await
        .expect("a preview")
        .text()
        .await
        .expect("preview text");
    assert!(
        preview.contains("<script>window.__pwned=1</script><b>bold</b>"),
        "the markup is shown as it was written: {preview}"
    );
    assert!(
        b.find_all("main b").await.is_empty(),
        "no <b> element was made"
    );
    assert_eq!(b.script("return typeof window.__pwned;").await, "undefined");

    // Loaded fresh rather than swapped in live, it is text as well.
    b.client.refresh().await.expect("reload");
    b.wait_for(&offer(id)).await;
    assert!(b.find_all("main b").await.is_empty());
    assert_eq!(b.script("return typeof window.__pwned;").await, "undefined");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_script_runs_under_its_content_security_policy() {
    let (app, _platform) = app_with_platform().await;
    let b = online_agent(&app, "reyes", json!({"complaints": 3})).await;
    assert_eq!(b.title().await, "Queue · hearken", "no offer yet");

    customer_writes(&app, "t-csp", "dana", COMPLAINT).await;
    b.wait_for("#offers .row.offer").await;
    // console.js (same-origin, allowed by script-src 'self') counts the offers in the title.
    assert_eq!(b.wait_for_title("(1) ").await, "(1) Queue · hearken");
    // An inline script is refused by the policy, so injected markup could not run one either.
    let inline_ran = b
        .script(
            "var s = document.createElement('script'); s.textContent = 'window.__inline = 1';
             document.body.appendChild(s); return typeof window.__inline;",
        )
        .await;
    assert_eq!(inline_ran, "undefined", "CSP blocks inline scripts");
    b.close().await;
}
