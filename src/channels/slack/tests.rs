//! Inbound conformance: the official fixtures parse into the expected events, the wrappers
//! match Slack's schema, and no input makes the parser panic. Shared helpers for the other
//! test modules.

use axum::http::{HeaderMap, HeaderValue};
use serde_json::{json, Value};

use super::parse::{parse, plain_text};
use super::spec_check::schema_violations;
use super::*;
use crate::channels::webhook::{hmac_sha256, Method};
use crate::channels::{Author, InboundEvent};
use crate::policy::Visibility;

pub(super) fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/slack/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub(super) fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).expect("fixture is JSON")
}

pub(super) const NOW: i64 = 1_700_000_000;

pub(super) fn settings() -> SlackSettings {
    SlackSettings::example("slack")
}

pub(super) fn sign(secret: &str, ts: i64, body: &[u8]) -> String {
    let ts = ts.to_string();
    let mac = hmac_sha256(secret.as_bytes(), &[b"v0:", ts.as_bytes(), b":", body]);
    format!("v0={}", hex::encode(mac))
}

pub(super) fn handle_with(
    channel: &SlackChannel,
    ts: Option<&str>,
    sig: Option<&str>,
    body: &[u8],
) -> Result<WebhookReply, InboundError> {
    let mut headers = HeaderMap::new();
    if let Some(ts) = ts {
        headers.insert(TIMESTAMP_HEADER, HeaderValue::from_str(ts).expect("header"));
    }
    if let Some(sig) = sig {
        headers.insert(
            SIGNATURE_HEADER,
            HeaderValue::from_str(sig).expect("header"),
        );
    }
    channel.handle(&WebhookRequest {
        method: Method::Post,
        query: "",
        headers: &headers,
        body,
        now_secs: NOW,
    })
}

/// A request signed like Slack signs it, now.
fn handle_signed(channel: &SlackChannel, body: &[u8]) -> Result<WebhookReply, InboundError> {
    let secret = channel.settings.signing_secret.expose().to_string();
    let sig = sign(&secret, NOW, body);
    handle_with(channel, Some(&NOW.to_string()), Some(&sig), body)
}

fn events_of(reply: Result<WebhookReply, InboundError>) -> Vec<InboundEvent> {
    match reply {
        Ok(WebhookReply::Events(e)) => e,
        other => panic!("expected events, got {other:?}"),
    }
}

pub(super) fn channel() -> SlackChannel {
    SlackChannel::new(settings(), Duration::from_secs(5))
}

#[test]
fn the_app_mention_fixture_is_a_public_event_keyed_by_channel_and_ts() {
    let events = events_of(handle_signed(
        &channel(),
        &fixture("event_app_mention.json"),
    ));
    assert_eq!(
        events,
        vec![InboundEvent {
            channel: "slack".into(),
            event_id: "C123ABC456:1515449522.000016".into(),
            visibility: Visibility::Public,
            thread_id: "C123ABC456:1515449522.000016".into(),
            message_id: "C123ABC456:1515449522.000016".into(),
            author: Author {
                handle: "U061F7AUR".into(),
                name: None,
            },
            text: "@U0LAN0Z89 is it everything a river should be?".into(),
        }]
    );
}

#[test]
fn the_message_im_fixture_is_a_private_event() {
    let events = events_of(handle_signed(&channel(), &fixture("event_message_im.json")));
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.event_id, "D024BE91L:1355517523.000005");
    assert_eq!(e.message_id, "D024BE91L:1355517523.000005");
    assert_eq!(e.thread_id, "D024BE91L:1355517523.000005");
    assert_eq!(e.visibility, Visibility::Private);
    assert_eq!(e.author.handle, "U2147483697");
    assert_eq!(e.author.name, None);
    assert_eq!(e.text, "Hello hello can you hear me?");
}

#[test]
fn url_verification_is_answered_with_the_challenge_as_plain_text() {
    let reply = handle_signed(&channel(), &fixture("event_url_verification.json"));
    let expected = fixture_json("event_url_verification_response.json");
    match reply {
        Ok(WebhookReply::Respond {
            status,
            content_type,
            body,
        }) => {
            assert_eq!(status, 200);
            assert!(content_type.starts_with("text/plain"));
            assert_eq!(body, expected["challenge"].as_str().expect("challenge"));
        }
        other => panic!("expected the challenge, got {other:?}"),
    }
    assert_eq!(
        parse_payload(&settings(), &fixture("event_url_verification.json")).expect("parses"),
        vec![]
    );
}

/// The same message as Slack delivers it to `message.channels`, next to `app_mention`.
fn channel_message(mention: &Value) -> Value {
    let mut m = mention.clone();
    m["event"]["type"] = json!("message");
    m["event"]["channel_type"] = json!("channel");
    m["event_id"] = json!("Ev999OTHER");
    m
}

#[test]
fn a_mention_and_its_channel_message_share_one_event_id() {
    let mention = fixture_json("event_app_mention.json");
    let as_mention = parse_payload(&settings(), mention.to_string().as_bytes()).expect("parses");
    let as_message = parse_payload(
        &settings(),
        channel_message(&mention).to_string().as_bytes(),
    )
    .expect("parses");
    assert_eq!(as_mention.len(), 1);
    assert_eq!(as_mention, as_message);
}

#[test]
fn a_reply_in_a_thread_keeps_the_thread_root() {
    let mut m = fixture_json("event_app_mention.json");
    m["event"]["thread_ts"] = json!("1515449000.000001");
    let e = &parse_payload(&settings(), m.to_string().as_bytes()).expect("parses")[0];
    assert_eq!(e.thread_id, "C123ABC456:1515449000.000001");
    assert_eq!(e.message_id, "C123ABC456:1515449522.000016");
}

fn skipped(edit: impl Fn(&mut Value)) -> bool {
    let mut m = channel_message(&fixture_json("event_app_mention.json"));
    edit(&mut m);
    parse_payload(&settings(), m.to_string().as_bytes())
        .expect("a verified payload never fails to parse")
        .is_empty()
}

#[test]
fn bots_our_own_messages_edits_deletions_and_joins_are_acknowledged_and_skipped() {
    assert!(!skipped(|_| {}), "the unedited message is an event");
    assert!(skipped(|m| m["event"]["bot_id"] = json!("B123")));
    assert!(skipped(|m| m["event"]["user"] = json!("U0HEARKEN")));
    assert!(skipped(
        |m| m["authorizations"] = json!([{"user_id": "U061F7AUR", "is_bot": true}])
    ));
    for subtype in [
        "bot_message",
        "message_changed",
        "message_deleted",
        "message_replied",
        "channel_join",
        "channel_topic",
    ] {
        assert!(
            skipped(|m| m["event"]["subtype"] = json!(subtype)),
            "{subtype}"
        );
    }
    assert!(skipped(|m| m["event"]["hidden"] = json!(true)));
    assert!(skipped(|m| m["event"]["channel_type"] = json!("mpim")));
    assert!(skipped(|m| m["event"]["type"] = json!("reaction_added")));
    assert!(skipped(|m| m["event"]["user"] = json!(42)));
    assert!(skipped(|m| m["type"] = json!("app_rate_limited")));
    assert!(!skipped(
        |m| m["event"]["subtype"] = json!("thread_broadcast")
    ));
}

#[test]
fn the_learned_bot_user_id_is_skipped_too() {
    let mut s = settings();
    s.bot_user_id = None;
    let ch = SlackChannel::new(s, Duration::from_secs(5));
    let body = fixture("event_message_im.json");
    assert_eq!(events_of(handle_signed(&ch, &body)).len(), 1);
    ch.learn_bot_user("U2147483697");
    assert_eq!(events_of(handle_signed(&ch, &body)), vec![]);
}

#[test]
fn a_photo_without_text_says_what_it_is_with_its_link() {
    let mut m = fixture_json("event_message_im.json");
    m["event"]["subtype"] = json!("file_share");
    m["event"]["text"] = json!("");
    m["event"]["files"] = json!([
        {"name": "parcel.jpg", "mimetype": "image/jpeg",
         "permalink": "https://acme.slack.com/files/U2147483697/F1/parcel.jpg"},
        {"name": "invoice.pdf", "mimetype": "application/pdf",
         "url_private": "https://files.slack.com/files-pri/T1-F2/invoice.pdf"}
    ]);
    let e = &parse_payload(&settings(), m.to_string().as_bytes()).expect("parses")[0];
    assert_eq!(
        e.text,
        "[image] https://acme.slack.com/files/U2147483697/F1/parcel.jpg\n\
         [file: invoice.pdf] https://files.slack.com/files-pri/T1-F2/invoice.pdf"
    );
    m["event"]["files"] = json!([]);
    let e = &parse_payload(&settings(), m.to_string().as_bytes()).expect("parses")[0];
    assert_eq!(e.text, "[empty message]");
}

#[test]
fn slack_markup_is_made_readable() {
    assert_eq!(
        plain_text("<@U1> see <#C2|general> and <https://a.example/x?a=1&amp;b=2|the docs>"),
        "@U1 see #general and the docs (https://a.example/x?a=1&b=2)"
    );
    assert_eq!(
        plain_text("<!here> 1 &lt; 2 &amp;&amp; 3 &gt; 2"),
        "@here 1 < 2 && 3 > 2"
    );
    assert_eq!(
        plain_text("<mailto:a@b.example|a@b.example>"),
        "a@b.example"
    );
    assert_eq!(
        plain_text("<!subteam^S1|@support> unclosed <@U"),
        "@support unclosed <@U"
    );
    assert_eq!(plain_text("<https://x.example>"), "https://x.example");
}

#[test]
fn a_verified_payload_that_is_not_an_event_wrapper_is_malformed() {
    for body in [
        &b"not json"[..],
        b"[]",
        b"{}",
        br#"{"type":"event_callback"}"#,
    ] {
        assert!(
            matches!(
                parse(&settings(), None, body),
                Err(InboundError::Malformed(_))
            ),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn the_fixture_wrappers_match_slacks_event_wrapper_schema() {
    let schema = fixture_json("slack_common_event_wrapper_schema.json");
    for name in ["event_app_mention.json", "event_message_im.json"] {
        // The 2018 schema requires `authed_users`, which Slack has since replaced by
        // `authorizations` (which the fixtures carry): that is the one allowed difference.
        let v = fixture_json(name);
        assert!(v["authorizations"].is_array(), "{name}");
        assert_eq!(
            schema_violations(&schema, &v),
            vec!["/authed_users: required but missing".to_string()],
            "{name}"
        );
        let mut with_users = v.clone();
        with_users["authed_users"] = json!(["U0HEARKEN"]);
        assert_eq!(
            schema_violations(&schema, &with_users),
            Vec::<String>::new()
        );
        let mut wrong = with_users;
        wrong["event_time"] = json!("yesterday");
        wrong["event"]
            .as_object_mut()
            .expect("event")
            .remove("event_ts");
        assert_eq!(schema_violations(&schema, &wrong).len(), 2, "{name}");
    }
}

#[test]
fn the_scopes_slack_lists_for_our_events_are_the_ones_we_ask_for() {
    let catalogue = fixture_json("slack_events_api_async_v1.json");
    for topic in ["app.mention", "message.im", "message.channels"] {
        let scopes = catalogue["topics"][topic]["subscribe"]["x-scopes-required"]
            .as_array()
            .unwrap_or_else(|| panic!("{topic} is in the catalogue"));
        for s in scopes {
            let s = s.as_str().expect("scope");
            assert!(REQUIRED_SCOPES.contains(&s), "{topic} needs {s}");
        }
    }
}

#[test]
fn no_truncation_or_byte_flip_of_a_fixture_panics_the_parser() {
    for name in [
        "event_app_mention.json",
        "event_message_im.json",
        "event_url_verification.json",
    ] {
        let body = fixture(name);
        for end in 0..body.len() {
            let _ = parse_payload(&settings(), &body[..end]);
        }
        for i in 0..body.len() {
            for b in [b'"', b'{', b']', b'<', 0xff] {
                let mut m = body.clone();
                m[i] = b;
                let _ = parse_payload(&settings(), &m);
            }
        }
    }
    let deep = "[".repeat(100_000);
    assert!(parse_payload(&settings(), deep.as_bytes()).is_err());
}

#[test]
fn settings_read_secrets_from_the_environment_and_default_the_rest() {
    std::env::set_var("HEARKEN_TEST_SLACK_TOKEN", "xoxb-from-env");
    let s: SlackSettings = toml::from_str(
        r#"
        name = "acme-slack"
        signing_secret = "s3cret"
        bot_token = { env = "HEARKEN_TEST_SLACK_TOKEN" }
        "#,
    )
    .expect("valid settings");
    assert_eq!(s.bot_token.expose(), "xoxb-from-env");
    assert_eq!(s.api_base, "https://slack.com/api");
    assert_eq!(s.like_emoji, "thumbsup");
    assert_eq!(s.bot_user_id, None);
    assert!(!format!("{s:?}").contains("s3cret"));
    let unknown = toml::from_str::<SlackSettings>(
        "name = \"a\"\nsigning_secret = \"s\"\nbot_token = \"t\"\nverification_token = \"old\"",
    );
    assert!(unknown.is_err(), "unknown keys are refused");
}
