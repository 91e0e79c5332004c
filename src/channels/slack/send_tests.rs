//! Outbound against a simulated Slack: the exact Web API requests (each validated against the
//! official OpenAPI spec), the mapping of Slack's errors, `check` and `register_webhook`.

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::send::slack_error;
use super::spec_check::{Request, WebApiSpec};
use super::tests::fixture;
use super::*;
use crate::channels::OutboundKind;
use crate::policy::Visibility;

fn spec() -> WebApiSpec {
    WebApiSpec::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/slack/slack_web_openapi_v2.json"
    )))
}

async fn slack() -> (MockServer, SlackChannel) {
    let server = MockServer::start().await;
    let mut s = SlackSettings::example("slack");
    s.api_base = format!("{}/api", server.uri());
    s.bot_user_id = None;
    (server, SlackChannel::new(s, Duration::from_secs(5)))
}

async fn answer(server: &MockServer, http_method: &str, web_method: &str, r: ResponseTemplate) {
    Mock::given(method(http_method))
        .and(path(format!("/api/{web_method}")))
        .respond_with(r)
        .mount(server)
        .await;
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// (path, JSON body) of every request, after checking each against the spec.
async fn received(server: &MockServer) -> Vec<(String, Value)> {
    let spec = spec();
    let reqs = server.received_requests().await.unwrap_or_default();
    reqs.iter()
        .map(|r| {
            let header = |n: &str| r.headers.get(n).and_then(|v| v.to_str().ok());
            let violations = spec.violations(&Request {
                method: r.method.as_str(),
                path: r.url.path(),
                query: r.url.query().unwrap_or(""),
                content_type: header("content-type"),
                authorization: header("authorization"),
                body: &r.body,
            });
            assert_eq!(violations, Vec::<String>::new(), "{} {}", r.method, r.url);
            assert_eq!(
                header("authorization"),
                Some("Bearer xoxb-0000000000-0000000000000-example")
            );
            if !r.body.is_empty() {
                assert_eq!(
                    header("content-type"),
                    Some("application/json; charset=utf-8")
                );
            }
            let body = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            (r.url.path().to_string(), body)
        })
        .collect()
}

fn reply(visibility: Visibility, thread: &str, target: &str) -> Outbound {
    Outbound {
        kind: OutboundKind::Reply {
            visibility,
            text: "Hi there!".into(),
            quick_replies: vec!["Yes".into()],
        },
        thread_id: thread.into(),
        target_message_id: Some(target.into()),
        recipient: "U061F7AUR".into(),
    }
}

fn action(kind: OutboundKind) -> Outbound {
    Outbound {
        kind,
        thread_id: "C123ABC456:1515449522.000016".into(),
        target_message_id: Some("C123ABC456:1515449522.000099".into()),
        recipient: "U061F7AUR".into(),
    }
}

#[tokio::test]
async fn a_public_reply_is_posted_in_the_thread() {
    let (server, ch) = slack().await;
    let body: Value =
        serde_json::from_slice(&fixture("web_chat_postMessage_response_ok.json")).expect("json");
    answer(&server, "POST", "chat.postMessage", ok(body)).await;
    let r = reply(
        Visibility::Public,
        "C123ABC456:1515449522.000016",
        "C123ABC456:1515449522.000099",
    );
    let sent = ch.send(&r, "k1").await.expect("sent");
    assert_eq!(
        sent.external_id.as_deref(),
        Some("C1H9RESGL:1503435956.000247")
    );
    assert_eq!(
        received(&server).await,
        vec![(
            "/api/chat.postMessage".to_string(),
            json!({"channel": "C123ABC456", "text": "Hi there!", "thread_ts": "1515449522.000016"})
        )]
    );
}

#[tokio::test]
async fn a_private_reply_opens_the_dm_and_posts_there() {
    let (server, ch) = slack().await;
    answer(
        &server,
        "POST",
        "conversations.open",
        ok(json!({"ok": true, "channel": {"id": "D069C7QFK"}})),
    )
    .await;
    answer(
        &server,
        "POST",
        "chat.postMessage",
        ok(json!({"ok": true, "channel": "D069C7QFK", "ts": "1700000001.000200"})),
    )
    .await;
    let r = reply(
        Visibility::Private,
        "C123ABC456:1515449522.000016",
        "C123ABC456:1515449522.000016",
    );
    let sent = ch.send(&r, "k1").await.expect("sent");
    assert_eq!(
        sent.external_id.as_deref(),
        Some("D069C7QFK:1700000001.000200")
    );
    // Inside a DM thread, the answer stays in that thread.
    let r = reply(
        Visibility::Private,
        "D069C7QFK:1700000000.000001",
        "D069C7QFK:1700000000.000050",
    );
    ch.send(&r, "k2").await.expect("sent");
    let open = (
        "/api/conversations.open".to_string(),
        json!({"users": "U061F7AUR"}),
    );
    assert_eq!(
        received(&server).await,
        vec![
            open.clone(),
            (
                "/api/chat.postMessage".into(),
                json!({"channel": "D069C7QFK", "text": "Hi there!"})
            ),
            open,
            (
                "/api/chat.postMessage".into(),
                json!({"channel": "D069C7QFK", "text": "Hi there!", "thread_ts": "1700000000.000001"})
            ),
        ]
    );
}

#[tokio::test]
async fn a_like_adds_the_configured_reaction_and_one_already_there_counts() {
    let (server, ch) = slack().await;
    Mock::given(method("POST"))
        .and(path("/api/reactions.add"))
        .respond_with(ok(json!({"ok": true})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    answer(
        &server,
        "POST",
        "reactions.add",
        ok(json!({"ok": false, "error": "already_reacted"})),
    )
    .await;
    ch.send(&action(OutboundKind::Like), "k1")
        .await
        .expect("liked");
    ch.send(&action(OutboundKind::Like), "k2")
        .await
        .expect("already liked is fine");
    let like = (
        "/api/reactions.add".to_string(),
        json!({"channel": "C123ABC456", "timestamp": "1515449522.000099", "name": "thumbsup"}),
    );
    assert_eq!(received(&server).await, vec![like.clone(), like]);
}

#[tokio::test]
async fn repost_hide_and_typing_are_refused_without_calling_slack() {
    let (server, ch) = slack().await;
    for kind in [
        OutboundKind::Repost,
        OutboundKind::Hide,
        OutboundKind::Typing,
    ] {
        match ch.send(&action(kind.clone()), "k").await {
            Err(SendError::Permanent(m)) => assert!(m.starts_with("slack cannot"), "{m}"),
            other => panic!("{kind:?}: {other:?}"),
        }
    }
    let mut bad = action(OutboundKind::Like);
    bad.target_message_id = Some("no-colon".into());
    assert!(matches!(
        ch.send(&bad, "k").await,
        Err(SendError::Permanent(_))
    ));
    assert!(received(&server).await.is_empty());
}

#[test]
fn slack_error_codes_map_to_send_outcomes() {
    let e = |code: &str| {
        slack_error(
            "chat.postMessage",
            &json!({"ok": false, "error": code}),
            9000,
        )
    };
    for code in [
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
    ] {
        assert!(matches!(e(code), SendError::Unauthorized(_)), "{code}");
    }
    assert!(matches!(
        e("ratelimited"),
        SendError::RateLimited {
            retry_after_ms: 9000,
            ..
        }
    ));
    assert!(matches!(e("internal_error"), SendError::Retryable(_)));
    for code in [
        "channel_not_found",
        "not_in_channel",
        "msg_too_long",
        "is_archived",
    ] {
        assert!(matches!(e(code), SendError::Permanent(_)), "{code}");
    }
    let scope = slack_error(
        "reactions.add",
        &json!({"ok": false, "error": "missing_scope", "needed": "reactions:write"}),
        0,
    );
    assert_eq!(
        scope.to_string(),
        "slack reactions.add: missing_scope (needed: reactions:write)"
    );
}

#[tokio::test]
async fn http_failures_map_to_send_outcomes() {
    type Expected = fn(&SendError) -> bool;
    let cases: Vec<(ResponseTemplate, Expected)> = vec![
        (
            ResponseTemplate::new(429).insert_header("retry-after", "7"),
            |e| {
                matches!(
                    e,
                    SendError::RateLimited {
                        retry_after_ms: 7000,
                        ..
                    }
                )
            },
        ),
        (
            ok(json!({"ok": false, "error": "ratelimited"})).insert_header("retry-after", "3"),
            |e| {
                matches!(
                    e,
                    SendError::RateLimited {
                        retry_after_ms: 3000,
                        ..
                    }
                )
            },
        ),
        (ResponseTemplate::new(503), |e| {
            matches!(e, SendError::Retryable(_))
        }),
        (ok(json!({"ok": false, "error": "token_revoked"})), |e| {
            matches!(e, SendError::Unauthorized(_))
        }),
        (
            ok(json!({"ok": false, "error": "channel_not_found"})),
            |e| matches!(e, SendError::Permanent(_)),
        ),
        (
            // The spec's own error example.
            ResponseTemplate::new(200)
                .set_body_bytes(fixture("web_chat_postMessage_response_error.json")),
            |e| matches!(e, SendError::Permanent(m) if m.ends_with("too_many_attachments")),
        ),
        (
            ResponseTemplate::new(200).set_body_string("<html>proxy</html>"),
            |e| matches!(e, SendError::Permanent(_)),
        ),
    ];
    for (template, expected) in cases {
        let (server, ch) = slack().await;
        answer(&server, "POST", "chat.postMessage", template).await;
        let r = reply(Visibility::Public, "C1:1.1", "C1:1.1");
        let err = ch.send(&r, "k").await.expect_err("fails");
        assert!(expected(&err), "{err:?}");
    }
}

#[tokio::test]
async fn check_names_the_account_learns_the_bot_user_and_lists_missing_scopes() {
    let (server, ch) = slack().await;
    answer(
        &server,
        "GET",
        "auth.test",
        ok(
            json!({"ok": true, "url": "https://acme.slack.com/", "team": "Acme", "user": "hearken",
                  "team_id": "T1", "user_id": "U0BOT", "bot_id": "B0BOT"}),
        )
        .insert_header("x-oauth-scopes", "app_mentions:read,chat:write,im:history"),
    )
    .await;
    assert_eq!(ch.bot_user_id(), None);
    let report = ch.check().await.expect("checked");
    assert_eq!(report.account.as_deref(), Some("hearken @ Acme"));
    assert_eq!(ch.bot_user_id().as_deref(), Some("U0BOT"));
    assert!(
        report
            .notes
            .contains(&"missing scopes: channels:history, reactions:write, im:write".to_string()),
        "{report:?}"
    );
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn check_with_a_revoked_token_is_unauthorized() {
    let (server, ch) = slack().await;
    answer(
        &server,
        "GET",
        "auth.test",
        ok(json!({"ok": false, "error": "invalid_auth"})),
    )
    .await;
    assert!(matches!(ch.check().await, Err(SendError::Unauthorized(_))));
}

#[tokio::test]
async fn register_webhook_says_where_to_set_the_request_url() {
    let (_server, ch) = slack().await;
    let url = "https://hearken.example/v1/channels/slack/webhook";
    match ch.register_webhook(url).await.expect("answers") {
        Registration::NotSupported(how) => {
            assert!(
                how.contains(url) && how.contains("Event Subscriptions"),
                "{how}"
            );
            for s in REQUIRED_SCOPES {
                assert!(how.contains(s), "{s}");
            }
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_spec_validator_accepts_the_documented_request_and_catches_departures() {
    let spec = spec();
    let check = |method: &str, path: &str, body: &[u8], authorization: Option<&str>| {
        spec.violations(&Request {
            method,
            path,
            query: "",
            content_type: Some("application/json; charset=utf-8"),
            authorization,
            body,
        })
    };
    let documented = fixture("web_chat_postMessage_request.json");
    let auth = Some("Bearer xoxb-1");
    let none = Vec::<String>::new();
    assert_eq!(
        check("POST", "/api/chat.postMessage", &documented, auth),
        none
    );
    assert_eq!(
        check("GET", "/api/chat.postMessage", &documented, auth).len(),
        1
    );
    assert_eq!(check("POST", "/api/chat.nope", &documented, auth).len(), 1);
    assert_eq!(
        check("POST", "/api/chat.postMessage", &documented, None).len(),
        1
    );
    assert_eq!(
        check(
            "POST",
            "/api/chat.postMessage",
            br#"{"text": "no channel"}"#,
            auth
        ),
        vec!["/chat.postMessage: missing required channel".to_string()]
    );
    let body = br#"{"channel": "C1", "timestamp": "1.2", "name": 5, "emoji": "x"}"#;
    assert_eq!(
        check("POST", "/api/reactions.add", body, auth).len(),
        2,
        "a wrong type and an unknown field"
    );
    assert_eq!(check("GET", "/api/auth.test", b"", auth), none);
}
