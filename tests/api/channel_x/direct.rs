//! The X adapter on its own against a simulated X (no app): reply chains and their retries,
//! every outbound kind, error mapping, check and registration.

use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{
    assert_requests_follow_the_spec, bodies, fixture, x_server, x_settings, CUSTOMER, OURS,
};
use hearken::channels::x::XChannel;
use hearken::channels::{Channel, Outbound, OutboundKind, Registration, SendError};
use hearken::config::Secret;
use hearken::policy::Visibility;

fn reply(visibility: Visibility, text: &str, target: Option<&str>) -> Outbound {
    Outbound {
        kind: OutboundKind::Reply {
            visibility,
            text: text.into(),
            quick_replies: vec![],
        },
        thread_id: "1700000000000000000".into(),
        target_message_id: target.map(String::from),
        recipient: CUSTOMER.into(),
    }
}

fn action(kind: OutboundKind, target: &str) -> Outbound {
    Outbound {
        kind,
        thread_id: target.into(),
        target_message_id: Some(target.into()),
        recipient: CUSTOMER.into(),
    }
}

#[tokio::test]
async fn a_long_public_answer_is_posted_as_a_reply_chain_that_a_retry_resumes() {
    let server = x_server().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(ResponseTemplate::new(503).set_body_string("over capacity"))
        .up_to_n_times(1)
        .with_priority(1)
        .named("the second part fails once")
        .mount(&server)
        .await;
    let ch = XChannel::new(x_settings(&server), Duration::from_secs(5));
    let long = "Here is everything about returns. ".repeat(12);
    let out = reply(Visibility::Public, &long, Some("1700000000000000007"));
    // The 503 mock answers first: nothing posted yet, retried from the start.
    assert!(matches!(
        ch.send(&out, "key-1").await,
        Err(SendError::Retryable(_))
    ));
    let sent = ch.send(&out, "key-1").await.expect("sent");
    let posts = bodies(&server, "POST", "/2/tweets").await;
    assert_eq!(posts.len(), 3, "{posts:#?}");
    assert_eq!(posts[0], posts[1], "the failed attempt is retried as is");
    assert_eq!(
        posts[1]["reply"]["in_reply_to_tweet_id"],
        "1700000000000000007"
    );
    assert_eq!(
        posts[2]["reply"]["in_reply_to_tweet_id"],
        "1445880548472328192"
    );
    assert!(posts[1]["text"].as_str().unwrap().ends_with(" (1/2)"));
    assert!(posts[2]["text"].as_str().unwrap().ends_with(" (2/2)"));
    assert_eq!(sent.external_id.as_deref(), Some("1445880548472328192"));
    // A part that fails mid-chain: the retry posts only what is missing.
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .and(wiremock::matchers::body_partial_json(
            json!({"reply": {"in_reply_to_tweet_id": "1445880548472328194"}}),
        ))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let out = reply(
        Visibility::Public,
        &long.replace("returns", "refunds"),
        Some("1700000000000000008"),
    );
    assert!(matches!(
        ch.send(&out, "key-2").await,
        Err(SendError::Retryable(_))
    ));
    ch.send(&out, "key-2").await.expect("resumed");
    let posts = bodies(&server, "POST", "/2/tweets").await;
    let firsts = posts
        .iter()
        .filter(|p| p["reply"]["in_reply_to_tweet_id"] == "1700000000000000008")
        .count();
    assert_eq!(firsts, 1, "the first part is not posted twice: {posts:#?}");
    assert_requests_follow_the_spec(&server).await;
}

#[tokio::test]
async fn every_outbound_kind_reaches_its_x_endpoint() {
    let server = x_server().await;
    let ch = XChannel::new(x_settings(&server), Duration::from_secs(5));
    let post = "1700000000000000009";
    ch.send(&action(OutboundKind::Like, post), "k1")
        .await
        .expect("like");
    let repost = ch
        .send(&action(OutboundKind::Repost, post), "k2")
        .await
        .expect("repost");
    assert_eq!(repost.external_id.as_deref(), Some("1999"));
    ch.send(&action(OutboundKind::Hide, post), "k3")
        .await
        .expect("hide");
    let dm = ch
        .send(&reply(Visibility::Private, "Hello!", Some(post)), "k4")
        .await
        .expect("dm");
    assert_eq!(dm.external_id.as_deref(), Some("1582103724607971332"));
    assert_eq!(
        bodies(&server, "POST", &format!("/2/users/{OURS}/likes")).await,
        vec![json!({"tweet_id": post})]
    );
    assert_eq!(
        bodies(&server, "POST", &format!("/2/users/{OURS}/retweets")).await,
        vec![json!({"tweet_id": post})]
    );
    assert_eq!(
        bodies(&server, "PUT", &format!("/2/tweets/{post}/hidden")).await,
        vec![json!({"hidden": true})]
    );
    assert_eq!(
        bodies(
            &server,
            "POST",
            &format!("/2/dm_conversations/with/{CUSTOMER}/messages")
        )
        .await,
        vec![json!({"text": "Hello!"})]
    );
    let before = server.received_requests().await.unwrap().len();
    let typing = ch.send(&action(OutboundKind::Typing, post), "k5").await;
    assert!(matches!(typing, Err(SendError::Permanent(m)) if m.contains("typing")));
    // Ids that are not X ids never reach a URL.
    let mut odd = reply(Visibility::Private, "hi", None);
    odd.recipient = "../../2/users/me".into();
    assert!(matches!(
        ch.send(&odd, "k6").await,
        Err(SendError::Permanent(_))
    ));
    assert!(matches!(
        ch.send(&action(OutboundKind::Like, "abc"), "k7").await,
        Err(SendError::Permanent(_))
    ));
    assert_eq!(server.received_requests().await.unwrap().len(), before);
    assert_requests_follow_the_spec(&server).await;
}

#[tokio::test]
async fn x_errors_map_to_retry_pause_refusal_or_unhealthy() {
    let server = MockServer::start().await;
    let day_reset = chrono::Utc::now().timestamp() + 3600;
    let answers = [
        (
            403,
            json!({"detail": "You are not allowed to create a Tweet with duplicate content.", "type": "about:blank", "title": "Forbidden", "status": 403}),
        ),
        (500, json!({"title": "Internal Server Error"})),
        (401, json!({"title": "Unauthorized"})),
    ];
    for (i, (status, body)) in answers.iter().enumerate() {
        Mock::given(method("POST"))
            .and(path(format!("/2/users/{OURS}/likes")))
            .and(wiremock::matchers::body_json(
                json!({"tweet_id": format!("{}", 10 + i)}),
            ))
            .respond_with(ResponseTemplate::new(*status).set_body_json(body))
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path(format!("/2/users/{OURS}/likes")))
        .and(wiremock::matchers::body_json(json!({"tweet_id": "13"})))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header(
                    "x-rate-limit-reset",
                    (day_reset - 3000).to_string().as_str(),
                )
                .insert_header("x-user-limit-24hour-remaining", "0")
                .insert_header("x-user-limit-24hour-reset", day_reset.to_string().as_str()),
        )
        .mount(&server)
        .await;
    let ch = XChannel::new(x_settings(&server), Duration::from_secs(5));
    let like = |id: &str| action(OutboundKind::Like, id);
    assert!(
        matches!(ch.send(&like("10"), "a").await, Err(SendError::Permanent(m)) if m.contains("duplicate"))
    );
    assert!(matches!(
        ch.send(&like("11"), "b").await,
        Err(SendError::Retryable(_))
    ));
    assert!(matches!(
        ch.send(&like("12"), "c").await,
        Err(SendError::Unauthorized(_))
    ));
    match ch.send(&like("13"), "d").await {
        Err(SendError::RateLimited { retry_after_ms, .. }) => assert!(
            (3_500_000..=3_600_000).contains(&retry_after_ms),
            "waits for the 24-hour reset, not the window's: {retry_after_ms}"
        ),
        other => panic!("{other:?}"),
    }
    assert_requests_follow_the_spec(&server).await;
}

#[tokio::test]
async fn check_reports_the_account_a_mismatched_user_id_and_the_webhook_state() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/2/users/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": {"id": "999", "name": "Northwind", "username": "NorthwindGoods"}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2/webhooks"))
        .and(wiremock::matchers::header(
            "authorization",
            "Bearer app-token",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("v2_webhook_list_response.json")),
        )
        .mount(&server)
        .await;
    let mut s = x_settings(&server);
    s.webhook_id = Some("1234567890".into());
    s.app_token = Some(Secret::new("app-token"));
    let report = XChannel::new(s, Duration::from_secs(5))
        .check()
        .await
        .expect("checked");
    assert_eq!(report.account.as_deref(), Some("@NorthwindGoods (id 999)"));
    assert_eq!(
        report.webhook.as_deref(),
        Some("1234567890: valid (https://yourdomain.com/webhooks/twitter)")
    );
    assert!(
        report.notes.iter().any(|n| n.contains("user_id = \"999\"")),
        "{:?}",
        report.notes
    );
    // A revoked token fails the check itself.
    let revoked = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/2/users/me"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&revoked)
        .await;
    let err = XChannel::new(x_settings(&revoked), Duration::from_secs(5))
        .check()
        .await;
    assert!(matches!(err, Err(SendError::Unauthorized(_))), "{err:?}");
    assert_requests_follow_the_spec(&server).await;
}

#[tokio::test]
async fn registering_creates_the_webhook_and_subscribes_the_account() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/webhooks"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("v2_webhook_create_response.json")),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/2/account_activity/webhooks/1234567890/subscriptions/all",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": {"subscribed": true}})),
        )
        .mount(&server)
        .await;
    let ch = XChannel::new(x_settings(&server), Duration::from_secs(5));
    let url = "https://hearken.example/v1/channels/x/webhook";
    match ch.register_webhook(url).await.expect("registered") {
        Registration::Registered(detail) => {
            assert!(detail.contains("webhook 1234567890 created"), "{detail}");
            assert!(detail.contains("webhook_id = \"1234567890\""), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        bodies(&server, "POST", "/2/webhooks").await,
        vec![json!({"url": url})]
    );
    assert_eq!(
        bodies(
            &server,
            "POST",
            "/2/account_activity/webhooks/1234567890/subscriptions/all"
        )
        .await,
        vec![json!({})]
    );
    assert_requests_follow_the_spec(&server).await;
}
