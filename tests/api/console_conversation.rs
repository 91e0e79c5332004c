//! The conversation view over HTTP, with the API channel as the simulated platform: the whole
//! transcript across platforms with the bot's reading and decisions, replies (private, moved to
//! private, failing until given up), likes, transfers, hand-backs, resolving with a
//! disposition, escaping of customer text, and agents refused what is not theirs.

use reqwest::Method;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::console_support::{person, sign_in, Browser};
use crate::helpers::{spawn_app, Db, TestApp};
use crate::on_both_stores;
use crate::pipeline::{event, platform, post_api, received, with_api_channel, SECRET};
use crate::routing::{queued, COMPLAINT};

/// Text as askama writes it into HTML.
fn escaped(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// The conversation of a thread on the API channel.
async fn conversation_on_thread(app: &TestApp, thread: &str) -> i64 {
    app.get("/v1/conversations?limit=500").await["conversations"]
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["channel"] == "crm" && c["thread_key"] == thread)
        .unwrap_or_else(|| panic!("no conversation on thread {thread}"))["id"]
        .as_i64()
        .expect("id")
}

/// A customer writes on the API channel; returns the conversation once the workers are done.
async fn customer_writes(
    app: &TestApp,
    id: &str,
    visibility: &str,
    thread: &str,
    text: &str,
) -> i64 {
    let r = post_api(app, &event(id, visibility, thread, "dana", text), SECRET).await;
    assert_eq!(r.status(), 200);
    app.drain().await;
    conversation_on_thread(app, thread).await
}

/// An agent signed in and online.
async fn online_agent(app: &TestApp, login: &str, skills: Value) -> (i64, Browser) {
    let id = person(app, login, "agent", skills).await;
    let b = sign_in(app, login).await;
    let r = b.post("/console/status", &[("status", "online")]).await;
    assert_eq!(r.status(), 303);
    (id, b)
}

async fn page(b: &Browser, id: i64) -> String {
    let r = b.get(&format!("/console/conversations/{id}")).await;
    assert_eq!(r.status(), 200);
    r.text().await.expect("html")
}

/// Accepts the offer from the page and lands back on the conversation.
async fn accept(b: &Browser, id: i64) {
    let r = b
        .post(&format!("/console/conversations/{id}/accept"), &[])
        .await;
    assert_eq!(r.status(), 303);
    let html = b.follow(r).await;
    assert!(
        html.contains("Accepted: the conversation is yours."),
        "{html}"
    );
}

async fn conversation(app: &TestApp, id: i64) -> Value {
    app.get(&format!("/v1/conversations/{id}")).await
}

async fn outbox_rows(app: &TestApp, id: i64) -> Vec<Value> {
    let mut rows: Vec<Value> = app
        .get(&format!("/v1/outbox?conversation_id={id}&limit=500"))
        .await["actions"]
        .as_array()
        .expect("actions")
        .clone();
    rows.sort_by_key(|r| r["id"].as_i64());
    rows
}

/// The flash message a redirected form post left on the next page.
fn flash(html: &str) -> String {
    let Some(at) = html.find("class=\"flash flash-") else {
        return String::new();
    };
    let rest = &html[at..];
    let end = rest.find("</div>").unwrap_or(rest.len());
    rest[..end].to_string()
}

on_both_stores!(the_page_shows_the_contacts_transcript_across_platforms_and_a_private_reply_goes_out_as_the_agents);

async fn the_page_shows_the_contacts_transcript_across_platforms_and_a_private_reply_goes_out_as_the_agents(
    db: Db,
) {
    let platform = platform().await;
    let app = spawn_app(db, |s| with_api_channel(s, &platform)).await;
    let (_, mulder) = online_agent(&app, "mulder", json!({"complaints": 3})).await;
    // Earlier, the same person asked on the web chat.
    let chat = crate::helpers::session();
    assert_eq!(
        app.chat(&chat, "w1", "where is my order?").await.status(),
        202
    );
    app.drain().await;
    let earlier = app.conversation_of(&chat).await;
    let earlier_id = earlier["conversation"]["id"].as_i64().unwrap();
    let earlier_contact = earlier["conversation"]["contact_id"].as_i64().unwrap();
    app.clock.advance(chrono::Duration::minutes(5));
    let id = customer_writes(&app, "e1", "public", "post-1", COMPLAINT).await;
    let c = conversation(&app, id).await;
    let contact = c["conversation"]["contact_id"].as_i64().unwrap();
    let identity = app.get(&format!("/v1/contacts/{earlier_contact}")).await["contact"]
        ["identities"][0]["id"]
        .as_i64()
        .unwrap();
    let (status, body) = app
        .send_json(
            Method::POST,
            &format!("/v1/contacts/{contact}/links"),
            json!({"identity_id": identity, "actor": "agent:mulder",
                   "evidence": {"kind": "agent_confirmed", "note": "same order number in both"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let html = page(&mulder, id).await;
    let analysis = &c["messages"][0]["analysis"];
    assert_eq!(analysis["intent"]["name"], "complaint", "{analysis:#}");
    let confidence = format!("{:.2}", analysis["intent"]["confidence"].as_f64().unwrap());
    let label = analysis["sentiment"]["label"]
        .as_str()
        .expect("a sentiment");
    for shown in [
        "<strong class=\"intent\">complaint</strong>".to_string(),
        format!("<span class=\"confidence\">{confidence}</span>"),
        format!("sentiment-{label}\">{label}</span>"),
        escaped(COMPLAINT),
        "Dana Scully".into(),
        // The complaint intent's public answer, filled in for her, as a suggestion.
        "data-suggest=\"We&#39;re really sorry to hear that, Dana Scully.".into(),
        "data-conversation=\"".to_string() + &id.to_string() + "\"",
    ] {
        assert!(html.contains(&shown), "{shown} in the page:\n{html}");
    }
    let decisions = c["decisions"].as_array().unwrap();
    assert!(!decisions.is_empty());
    for d in decisions {
        let reason = escaped(d["reason"].as_str().unwrap());
        assert!(html.contains(&reason), "decision {reason} in the page");
    }
    // The earlier web chat comes first, behind a divider linking to it.
    let link = format!("<a href=\"/console/conversations/{earlier_id}\">");
    let at_earlier = html.find(&link).expect("a divider links the web chat");
    let at_chat = html
        .find("where is my order?")
        .expect("the earlier message");
    let at_now = html.find(&escaped(COMPLAINT)).unwrap();
    assert!(at_earlier < at_chat && at_chat < at_now, "in time order");
    assert!(html.contains("<strong>This conversation</strong>"));
    assert!(
        html.contains(&format!("/console/conversations/{id}/accept")),
        "offered to me"
    );

    accept(&mulder, id).await;
    let html = page(&mulder, id).await;
    assert!(html.contains("id=\"reply-text\""), "the reply box is there");
    let text = "I am so sorry, Dana. I have refunded order 1234.";
    let reply = [("text", text), ("mode", "private"), ("request_id", "r-1")];
    let r = mulder
        .post(&format!("/console/conversations/{id}/reply"), &reply)
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        format!("/console/conversations/{id}").as_str()
    );
    let html = mulder.follow(r).await;
    assert!(
        html.contains("Your reply is on its way."),
        "{}",
        flash(&html)
    );
    assert!(
        html.contains("waiting to be sent"),
        "shown as pending before it is sent"
    );
    let rows = outbox_rows(&app, id).await;
    let mine: Vec<&Value> = rows
        .iter()
        .filter(|r| r["payload"]["author"] == "agent:mulder")
        .collect();
    assert_eq!(mine.len(), 1, "{rows:#?}");
    assert_eq!(mine[0]["payload"]["visibility"], "private");
    // The same form again (a double submit) is a no-op.
    let r = mulder
        .post(&format!("/console/conversations/{id}/reply"), &reply)
        .await;
    assert!(mulder
        .follow(r)
        .await
        .contains("This reply was already sent."));
    assert_eq!(outbox_rows(&app, id).await.len(), rows.len());

    app.drain().await;
    let sent = received(&platform).await;
    let out = sent
        .iter()
        .find(|a| a["action"]["text"] == text)
        .expect("the platform got the reply");
    assert_eq!(out["action"]["visibility"], "private");
    let html = page(&mulder, id).await;
    assert!(
        html.contains("<span class=\"who agent-name\">agent:mulder</span>"),
        "the transcript shows it as the agent's"
    );
    assert!(html.contains(&escaped(text)));
    assert!(!html.contains("waiting to be sent"), "no longer pending");
}

on_both_stores!(moving_to_private_sends_the_public_acknowledgement_first);

async fn moving_to_private_sends_the_public_acknowledgement_first(db: Db) {
    let platform = platform().await;
    let app = spawn_app(db, |s| with_api_channel(s, &platform)).await;
    let (_, mulder) = online_agent(&app, "mulder", json!({"complaints": 3})).await;
    let id = customer_writes(&app, "e1", "public", "post-1", COMPLAINT).await;
    accept(&mulder, id).await;
    let html = page(&mulder, id).await;
    let field = "name=\"acknowledgement\" value=\"";
    let at = html.find(field).expect("the acknowledgement field") + field.len();
    let ack = html[at..].split('"').next().unwrap().to_string();
    assert!(
        ack.starts_with("Hi Dana,"),
        "prefilled for the customer: {ack}"
    );
    let before = outbox_rows(&app, id).await.len();
    let r = mulder
        .post(
            &format!("/console/conversations/{id}/reply"),
            &[
                ("text", "Could you send me your order number?"),
                ("mode", "move_to_private"),
                (
                    "acknowledgement",
                    "Hi Dana, we have sent you a private message.",
                ),
                ("request_id", "r-2"),
            ],
        )
        .await;
    let html = mulder.follow(r).await;
    assert!(
        html.contains("public acknowledgement and your private reply"),
        "{}",
        flash(&html)
    );
    let rows = outbox_rows(&app, id).await;
    let new: Vec<(String, String)> = rows[before..]
        .iter()
        .map(|r| {
            (
                r["payload"]["visibility"].as_str().unwrap().to_string(),
                r["payload"]["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        new,
        [
            (
                "public".to_string(),
                "Hi Dana, we have sent you a private message.".to_string()
            ),
            (
                "private".into(),
                "Could you send me your order number?".into()
            )
        ]
    );
    app.drain().await;
    let sent: Vec<String> = received(&platform)
        .await
        .iter()
        .filter_map(|a| a["action"]["text"].as_str().map(String::from))
        .collect();
    let ack_at = sent
        .iter()
        .position(|t| t.starts_with("Hi Dana, we have sent"))
        .expect("acknowledged");
    let reply_at = sent
        .iter()
        .position(|t| t.starts_with("Could you send"))
        .expect("replied");
    assert!(ack_at < reply_at, "{sent:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_that_keeps_failing_shows_its_attempts_and_error_then_that_it_gave_up() {
    let platform = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/actions"))
        .respond_with(ResponseTemplate::new(503).set_body_string("platform is down"))
        .mount(&platform)
        .await;
    let app = spawn_app(Db::Sqlite, |s| with_api_channel(s, &platform)).await;
    let (_, mulder) = online_agent(&app, "mulder", json!({"complaints": 3})).await;
    let id = customer_writes(&app, "e1", "private", "dm-1", COMPLAINT).await;
    accept(&mulder, id).await;
    let r = mulder
        .post(
            &format!("/console/conversations/{id}/reply"),
            &[("text", "We are on it."), ("request_id", "r-3")],
        )
        .await;
    assert_eq!(r.status(), 303);
    app.drain().await;
    let row = outbox_rows(&app, id)
        .await
        .into_iter()
        .find(|r| r["payload"]["author"] == "agent:mulder")
        .expect("the reply is in the outbox");
    assert_eq!(row["status"], "pending");
    assert_eq!(row["attempts"], 1);
    let error = row["last_error"].as_str().expect("an error").to_string();
    assert!(error.contains("platform is down"), "{error}");
    let html = page(&mulder, id).await;
    let reply = &html[html
        .find(&format!("data-outbox=\"{}\"", row["id"]))
        .expect("shown")..];
    let reply = &reply[..reply.find("</article>").unwrap()];
    assert!(reply.contains("We are on it."), "{reply}");
    assert!(
        reply.contains("retrying in") && reply.contains("1 attempt(s)"),
        "{reply}"
    );
    assert!(reply.contains("next attempt"), "{reply}");
    assert!(reply.contains(&escaped(&error)), "{reply}");
    let marked = |state: &str| {
        format!(
            "class=\"msg out agent {state}\" data-outbox=\"{}\"",
            row["id"]
        )
    };
    assert!(html.contains(&marked("pending")), "marked pending");

    app.clock.advance(chrono::Duration::seconds(61));
    app.drain().await;
    let html = page(&mulder, id).await;
    let reply = &html[html
        .find(&format!("data-outbox=\"{}\"", row["id"]))
        .unwrap()..];
    let reply = &reply[..reply.find("</article>").unwrap()];
    assert!(reply.contains("Not sent: gave up"), "{reply}");
    assert!(html.contains(&marked("failed")), "marked failed");
}

on_both_stores!(resolving_needs_a_disposition_from_the_list_and_then_resolves);

async fn resolving_needs_a_disposition_from_the_list_and_then_resolves(db: Db) {
    let platform = platform().await;
    let app = spawn_app(db, |s| with_api_channel(s, &platform)).await;
    let (mulder_id, mulder) = online_agent(&app, "mulder", json!({"complaints": 3})).await;
    let id = customer_writes(&app, "e1", "private", "dm-1", COMPLAINT).await;
    // Only offered: nobody's work to end yet, so a supervisor sees neither resolve nor hand back.
    person(&app, "skinner", "supervisor", json!({})).await;
    let skinner = sign_in(&app, "skinner").await;
    let html = page(&skinner, id).await;
    assert!(
        html.contains("Transfer to a skill"),
        "a supervisor may move it"
    );
    assert!(
        !html.contains("id=\"disposition\""),
        "no resolve on an offer"
    );
    assert!(!html.contains("/handback\""), "no hand back on an offer");
    accept(&mulder, id).await;
    let html = page(&skinner, id).await;
    assert!(
        html.contains("/handback\""),
        "assigned: the supervisor can hand it back"
    );
    let html = page(&mulder, id).await;
    assert!(html.contains("<select id=\"disposition\" name=\"disposition\" required>"));
    let r = mulder
        .post(
            &format!("/console/conversations/{id}/resolve"),
            &[("disposition", "")],
        )
        .await;
    assert_eq!(
        r.headers()["location"],
        format!("/console/conversations/{id}").as_str()
    );
    let f = flash(&mulder.follow(r).await);
    assert!(f.contains("flash-error"), "{f}");
    assert!(
        f.contains("allowed: resolved, refund_issued, replacement_sent, no_response, spam"),
        "{f}"
    );
    assert_eq!(
        conversation(&app, id).await["conversation"]["owner"],
        "agent"
    );

    let r = mulder
        .post(
            &format!("/console/conversations/{id}/resolve"),
            &[
                ("disposition", "refund_issued"),
                ("note", "refunded order 1234"),
            ],
        )
        .await;
    assert_eq!(r.headers()["location"], "/console");
    assert!(mulder.follow(r).await.contains("resolved as refund_issued"));
    assert_eq!(
        conversation(&app, id).await["conversation"]["owner"],
        "resolved"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM work WHERE conversation_id = {id} AND agent_id = {mulder_id} \
             AND outcome = 'resolved' AND disposition = 'refund_issued' AND note = 'refunded order 1234'"
        ))
        .await,
        1
    );
    let html = page(&mulder, id).await;
    assert!(
        html.contains("disposition <strong>refund_issued</strong>"),
        "work history"
    );
    assert!(
        !html.contains("id=\"reply-text\""),
        "nothing left to reply to"
    );
}

on_both_stores!(an_agent_likes_a_message_transfers_to_a_skill_and_the_next_agent_hands_back);

async fn an_agent_likes_a_message_transfers_to_a_skill_and_the_next_agent_hands_back(db: Db) {
    let platform = platform().await;
    let app = spawn_app(db, |s| with_api_channel(s, &platform)).await;
    let (_, mulder) = online_agent(&app, "mulder", json!({"complaints": 3})).await;
    let (bea_id, bea) = online_agent(&app, "bea", json!({"billing": 3})).await;
    let id = customer_writes(&app, "e1", "public", "post-1", COMPLAINT).await;
    accept(&mulder, id).await;
    let message = conversation(&app, id).await["messages"][0]["id"]
        .as_i64()
        .unwrap();
    let html = page(&mulder, id).await;
    assert!(html.contains(&format!("name=\"message_id\" value=\"{message}\"")));
    let r = mulder
        .post(
            &format!("/console/conversations/{id}/react"),
            &[("kind", "like"), ("message_id", &message.to_string())],
        )
        .await;
    assert!(mulder.follow(r).await.contains("Liked."));
    app.drain().await;
    let likes: Vec<Value> = received(&platform)
        .await
        .into_iter()
        .filter(|a| a["action"]["kind"] == "like")
        .collect();
    assert_eq!(likes.len(), 1, "{likes:?}");
    let like = outbox_rows(&app, id)
        .await
        .into_iter()
        .find(|r| r["kind"] == "like")
        .unwrap();
    assert_eq!(like["payload"]["author"], "agent:mulder");

    let html = page(&mulder, id).await;
    assert!(
        html.contains("<option value=\"billing\">billing</option>"),
        "skills to pick"
    );
    assert!(
        html.contains("bea Example (bea) · online · 0/"),
        "agents with status and load"
    );
    let r = mulder
        .post(
            &format!("/console/conversations/{id}/transfer"),
            &[("kind", "skill"), ("value", "billing")],
        )
        .await;
    assert!(mulder
        .follow(r)
        .await
        .contains("Transferred to skill billing."));
    app.drain().await;
    let item = queued(&app, id).await.expect("routed again");
    assert_eq!(item["item"]["skill"], "billing");
    assert_eq!(item["place"]["agent_id"], bea_id, "{item:#}");
    let html = page(&bea, id).await;
    assert!(html.contains("offered to <strong>bea</strong>"), "{html}");
    accept(&bea, id).await;
    let r = bea
        .post(&format!("/console/conversations/{id}/handback"), &[])
        .await;
    assert!(bea.follow(r).await.contains("Handed back"));
    assert_eq!(conversation(&app, id).await["conversation"]["owner"], "bot");
    assert!(queued(&app, id).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_with_a_script_tag_shows_as_text() {
    let platform = platform().await;
    let app = spawn_app(Db::Sqlite, |s| with_api_channel(s, &platform)).await;
    person(&app, "scully", "agent", json!({})).await;
    let b = sign_in(&app, "scully").await;
    let id = customer_writes(
        &app,
        "e1",
        "private",
        "dm-1",
        "<script>alert(1)</script> where is my parcel?",
    )
    .await;
    let html = page(&b, id).await;
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62; where is my parcel?"));
    assert!(!html.contains("<script>alert(1)"), "never as markup");
}

on_both_stores!(an_agent_who_does_not_hold_the_conversation_is_refused_and_nothing_changes);

async fn an_agent_who_does_not_hold_the_conversation_is_refused_and_nothing_changes(db: Db) {
    let platform = platform().await;
    let app = spawn_app(db, |s| with_api_channel(s, &platform)).await;
    let (mulder_id, mulder) = online_agent(&app, "mulder", json!({"complaints": 3})).await;
    let (_, krycek) = online_agent(&app, "krycek", json!({"orders": 3})).await;
    let id = customer_writes(&app, "e1", "public", "post-1", COMPLAINT).await;
    accept(&mulder, id).await;
    let html = page(&krycek, id).await;
    assert!(
        html.contains(&escaped(COMPLAINT)),
        "anyone signed in may read it"
    );
    assert!(!html.contains("id=\"reply-text\""), "but gets no reply box");
    assert!(html.contains("Only the agent holding this conversation"));
    let before = outbox_rows(&app, id).await.len();
    let message = conversation(&app, id).await["messages"][0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let here = format!("/console/conversations/{id}");
    let attempts: [(&str, Vec<(&str, &str)>); 5] = [
        ("reply", vec![("text", "mine now"), ("request_id", "x")]),
        (
            "react",
            vec![("kind", "like"), ("message_id", message.as_str())],
        ),
        ("transfer", vec![("kind", "skill"), ("value", "orders")]),
        ("handback", vec![]),
        ("resolve", vec![("disposition", "resolved")]),
    ];
    for (action, fields) in attempts {
        let r = krycek.post(&format!("{here}/{action}"), &fields).await;
        assert_eq!(r.status(), 303, "{action}");
        assert_eq!(r.headers()["location"], here.as_str(), "{action}");
        let f = flash(&krycek.follow(r).await);
        assert!(
            f.contains("flash-error") && f.contains("not offered or assigned to you"),
            "{action}: {f}"
        );
    }
    assert_eq!(outbox_rows(&app, id).await.len(), before, "nothing queued");
    let item = queued(&app, id).await.unwrap();
    assert_eq!(item["place"]["state"], "assigned");
    assert_eq!(item["place"]["agent_id"], mulder_id);
    assert_eq!(
        conversation(&app, id).await["conversation"]["owner"],
        "agent"
    );
}
