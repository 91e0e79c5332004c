//! What every channel shares, through the API channel: the channel listing and its health,
//! rejected-request counters, keyword monitoring, and a platform refusing our credentials.

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{spawn_app, Db};
use crate::on_both_stores;
use crate::pipeline::{event, platform, post_api, received, with_api_channel, SECRET};

fn channel<'a>(list: &'a Value, name: &str) -> &'a Value {
    list["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {list}"))
}

#[tokio::test]
async fn channels_are_listed_with_platform_inbound_kind_and_rejected_requests() {
    let platform = platform().await;
    let app = spawn_app(Db::Sqlite, |s| with_api_channel(s, &platform)).await;
    let e = event("e1", "public", "t1", "dana", "where is my order?");
    assert_eq!(post_api(&app, &e, "forged").await.status(), 401);
    assert_eq!(post_api(&app, &e, "forged").await.status(), 401);
    let list = app.get("/v1/channels").await;
    let crm = channel(&list, "crm");
    assert_eq!(crm["platform"], "api");
    assert_eq!(crm["inbound"], "webhook");
    assert_eq!(crm["health"]["rejected_requests"], 2);
    assert_eq!(channel(&list, "webchat")["inbound"], "api");
    assert_eq!(
        app.get("/v1/inbox").await["events"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn a_check_marks_every_channel_healthy_and_ready_shows_it() {
    let platform = platform().await;
    let app = spawn_app(Db::Sqlite, |s| with_api_channel(s, &platform)).await;
    assert_eq!(app.get("/ready").await["channels"]["crm"], "unchecked");
    let (status, body) = app
        .send_json(reqwest::Method::POST, "/v1/channels/check", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["channels"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["healthy"] == true),
        "{body}"
    );
    assert_eq!(app.get("/ready").await["channels"]["crm"], "ok");
}

#[tokio::test]
async fn keyword_monitoring_keeps_unrelated_public_posts_out_but_never_private_messages() {
    let platform = platform().await;
    let app = spawn_app(Db::Sqlite, |s| {
        with_api_channel(s, &platform);
        s.channels.api[0].monitor.include_keywords = vec!["order".into()];
        s.channels.api[0].monitor.exclude_keywords = vec!["giveaway".into()];
    })
    .await;
    let off_topic = event("e1", "public", "t1", "dana", "lovely weather today");
    let r: Value = post_api(&app, &off_topic, SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (r["status"].as_str(), r["filtered"].as_i64()),
        (Some("ignored"), Some(1))
    );
    let spam = event("e2", "public", "t2", "dana", "order now, giveaway!");
    let r: Value = post_api(&app, &spam, SECRET).await.json().await.unwrap();
    assert_eq!(r["filtered"], 1);
    let on_topic = event("e3", "public", "t3", "dana", "where is my order?");
    let r: Value = post_api(&app, &on_topic, SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "accepted");
    let private = event("e4", "private", "dm-1", "dana", "lovely weather today");
    let r: Value = post_api(&app, &private, SECRET).await.json().await.unwrap();
    assert_eq!(r["status"], "accepted");
    let ids: Vec<String> = app.get("/v1/inbox").await["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["event_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let list = app.get("/v1/channels").await;
    assert_eq!(channel(&list, "crm")["health"]["filtered_posts"], 2);
}

/// The platform says 401: the channel turns unhealthy (an event says so), the action is
/// dead-lettered and the conversation escalated; the next good send makes it healthy again.
async fn refused_credentials_mark_the_channel_unhealthy_and_escalate(db: Db) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/actions"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "token expired"})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/actions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "p-2"})))
        .mount(&server)
        .await;
    let app = spawn_app(db, |s| {
        crate::helpers::without_waiting_notice(s);
        with_api_channel(s, &server)
    })
    .await;
    let q = event("e1", "public", "t1", "dana", "what are your opening hours?");
    assert_eq!(post_api(&app, &q, SECRET).await.status(), 200);
    app.drain().await;
    let list = app.get("/v1/channels").await;
    let health = &channel(&list, "crm")["health"];
    assert_eq!(health["healthy"], false, "{health}");
    assert!(
        health["detail"].as_str().unwrap().contains("401"),
        "{health}"
    );
    assert_eq!(
        app.get("/ready").await["channels"]["crm"]
            .as_str()
            .map(|s| s.starts_with("unhealthy")),
        Some(true)
    );
    let conv = &app.get("/v1/conversations").await["conversations"][0];
    assert_eq!(conv["owner"], "queued", "{conv}");
    let dead = app.get("/v1/outbox?status=dead").await;
    assert_eq!(dead["actions"].as_array().unwrap().len(), 1, "{dead}");
    assert_eq!(received(&server).await.len(), 1);

    let again = event("e2", "public", "t2", "fox", "what are your opening hours?");
    post_api(&app, &again, SECRET).await;
    app.drain().await;
    let list = app.get("/v1/channels").await;
    assert_eq!(channel(&list, "crm")["health"]["healthy"], true);
    let kinds: Vec<String> = app.get("/v1/events?limit=500").await["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .filter(|k| k.starts_with("channel."))
        .collect();
    assert_eq!(kinds, ["channel.unhealthy", "channel.healthy"]);
}

on_both_stores!(refused_credentials_mark_the_channel_unhealthy_and_escalate);
