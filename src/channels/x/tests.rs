//! Unit tests of the X adapter: the official payloads (tests/fixtures/x), the CRC and signature
//! test vectors, refusals, settings.

use axum::http::{HeaderMap, HeaderValue};
use serde_json::{json, Value};

use super::*;
use crate::channels::webhook::Method;
use crate::channels::InboundEvent;
use crate::policy::Visibility;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/x/{name}", env!("CARGO_MANIFEST_DIR"));
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_slice(&raw).unwrap()
}

/// The channel as the account `user_id` with the test vectors' consumer secret.
fn channel(user_id: &str) -> XChannel {
    let mut s = XSettings::example("x");
    s.user_id = user_id.into();
    XChannel::new(s, Duration::from_secs(5))
}

fn parse(user_id: &str, body: &Value) -> Vec<InboundEvent> {
    parse_payload(&channel(user_id).settings, body.to_string().as_bytes()).unwrap()
}

/// A tweet fixture as delivered to the account `to` (the composed fixtures are deliveries of
/// the subscribed account's own post).
fn addressed_to(mut body: Value, to: &str) -> Value {
    body["for_user_id"] = json!(to);
    body
}

const DEV: &str = "2244994945"; // @XDevelopers, the author of the tweet fixtures
const PENN: &str = "1615654896"; // @PennMedCDH, mentioned in the reply fixture
const HARRISON: &str = "4337869213"; // the account of the DM fixture

#[test]
fn the_tweet_fixtures_are_our_own_posts_and_give_no_event() {
    assert_eq!(parse(DEV, &fixture("aaa_tweet_create_events.json")), vec![]);
    assert_eq!(
        parse(DEV, &fixture("aaa_tweet_create_events_mention.json")),
        vec![]
    );
}

#[test]
fn a_mention_by_a_customer_becomes_a_public_event_in_the_replied_thread() {
    let body = addressed_to(fixture("aaa_tweet_create_events_mention.json"), PENN);
    let events = parse(PENN, &body);
    assert_eq!(
        events,
        vec![InboundEvent {
            channel: "x".into(),
            event_id: "1296887316556980230".into(),
            visibility: Visibility::Public,
            thread_id: "1296887091901718529".into(),
            message_id: "1296887316556980230".into(),
            author: crate::channels::Author {
                handle: DEV.into(),
                name: Some("X Dev (@XDevelopers)".into()),
            },
            text: "See how @PennMedCDH are using X data to understand the COVID-19 health crisis 📊\n\nhttps://t.co/1tdA8uDWes".into(),
        }]
    );
}

#[test]
fn a_post_that_replies_to_nothing_is_its_own_thread() {
    let mut body = addressed_to(fixture("aaa_tweet_create_events.json"), PENN);
    body["tweet_create_events"][0]["in_reply_to_status_id_str"] = Value::Null;
    let e = &parse(PENN, &body)[0];
    assert_eq!(
        (e.thread_id.as_str(), e.message_id.as_str()),
        ("1307025659294674945", "1307025659294674945")
    );
    // A root given by X wins over the replied-to post.
    body["tweet_create_events"][0]["conversation_id_str"] = json!("1");
    assert_eq!(parse(PENN, &body)[0].thread_id, "1");
}

#[test]
fn an_extended_tweet_is_read_in_full_and_html_entities_decoded() {
    let mut body = addressed_to(fixture("aaa_tweet_create_events.json"), PENN);
    let t = &mut body["tweet_create_events"][0];
    t["truncated"] = json!(true);
    t["text"] = json!("Q &amp; A: is 2 &lt; 3? …");
    t["extended_tweet"] =
        json!({"full_text": "Q &amp; A: is 2 &lt; 3? The whole question, past 140."});
    assert_eq!(
        parse(PENN, &body)[0].text,
        "Q & A: is 2 < 3? The whole question, past 140."
    );
}

#[test]
fn a_photo_only_post_reads_as_an_image_with_its_url() {
    let mut body = addressed_to(fixture("aaa_tweet_create_events.json"), PENN);
    let t = &mut body["tweet_create_events"][0];
    t["text"] = json!("https://t.co/pic1");
    t["extended_entities"] = json!({"media": [{"url": "https://t.co/pic1", "type": "photo",
        "media_url_https": "https://pbs.twimg.com/media/abc.jpg"}]});
    assert_eq!(
        parse(PENN, &body)[0].text,
        "[image https://pbs.twimg.com/media/abc.jpg]"
    );
}

#[test]
fn retweets_give_no_event() {
    let mut body = addressed_to(fixture("aaa_tweet_create_events.json"), PENN);
    body["tweet_create_events"][0]["retweeted_status"] = json!({"id_str": "1"});
    assert_eq!(parse(PENN, &body), vec![]);
}

#[test]
fn a_direct_message_becomes_a_private_event_threaded_by_the_sender() {
    let events = parse(HARRISON, &fixture("aaa_direct_message_events.json"));
    assert_eq!(
        events,
        vec![InboundEvent {
            channel: "x".into(),
            event_id: "954491830116155396".into(),
            visibility: Visibility::Private,
            thread_id: "3001969357".into(),
            message_id: "954491830116155396".into(),
            author: crate::channels::Author {
                handle: "3001969357".into(),
                name: Some("Jordan Brinks (@furiouscamper)".into()),
            },
            text: "Hello World!".into(),
        }]
    );
}

#[test]
fn a_direct_message_with_only_a_photo_says_so() {
    let mut body = fixture("aaa_direct_message_events.json");
    body["direct_message_events"][0]["message_create"]["message_data"] = json!({
        "text": "https://t.co/dm1",
        "attachment": {"type": "media", "media": {"url": "https://t.co/dm1", "type": "photo",
            "media_url_https": "https://ton.twitter.com/1.1/ton/data/dm/1/2/abc.jpg"}}});
    assert_eq!(
        parse(HARRISON, &body)[0].text,
        "[image https://ton.twitter.com/1.1/ton/data/dm/1/2/abc.jpg]"
    );
}

#[test]
fn our_own_direct_messages_are_skipped() {
    let mut body = fixture("aaa_direct_message_events.json");
    body["direct_message_events"][0]["message_create"]["sender_id"] = json!(HARRISON);
    assert_eq!(parse(HARRISON, &body), vec![]);
}

#[test]
fn a_delivery_for_another_account_gives_no_event() {
    assert_eq!(
        parse("42", &fixture("aaa_direct_message_events.json")),
        vec![]
    );
}

#[test]
fn likes_follows_typing_read_receipts_deletions_and_revocations_give_no_event() {
    for (name, account) in [
        ("aaa_favorite_events.json", DEV),
        ("aaa_follow_events.json", DEV),
        ("aaa_direct_message_indicate_typing_events.json", HARRISON),
        ("aaa_direct_message_mark_read_events.json", HARRISON),
        ("aaa_tweet_delete_events.json", "930524282358325248"),
        ("aaa_user_event_revoke.json", DEV),
    ] {
        let body = fixture(name);
        assert_eq!(
            body.get("for_user_id")
                .and_then(Value::as_str)
                .unwrap_or(account),
            account,
            "{name} is addressed to the account under test"
        );
        assert_eq!(parse(account, &body), vec![], "{name}");
    }
}

#[test]
fn unreadable_bodies_are_refused_and_no_input_panics() {
    let s = XSettings::example("x");
    for bad in [
        &b""[..],
        b"[]",
        b"null",
        b"{",
        b"{\"tweet_create_events\": 5}",
        b"{\"tweet_create_events\": [{}]}",
        b"{\"direct_message_events\": [{\"type\": \"message_create\"}]}",
        b"{\"for_user_id\": {\"a\": 1}}",
    ] {
        assert!(
            matches!(parse_payload(&s, bad), Err(InboundError::Malformed(_))),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse_payload(&s, deep.as_bytes()).is_err());
    // Every prefix and a byte flipped at every position of real deliveries: an error or
    // events, never a panic.
    for name in [
        "aaa_tweet_create_events_mention.json",
        "aaa_direct_message_events.json",
    ] {
        let raw = fixture(name).to_string().into_bytes();
        for i in 0..raw.len() {
            let _ = parse_payload(&s, &raw[..i]);
            let mut flipped = raw.clone();
            flipped[i] ^= 0x5a;
            let _ = parse_payload(&s, &flipped);
        }
    }
}

fn request<'a>(
    method: Method,
    query: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
) -> WebhookRequest<'a> {
    WebhookRequest {
        method,
        query,
        headers,
        body,
        now_secs: 0,
    }
}

#[test]
fn the_crc_answer_matches_the_published_vector() {
    let v = fixture("webhook_security_test_vectors.json");
    let mut s = XSettings::example("x");
    s.consumer_secret = Secret::new(v["crc"]["consumer_secret"].as_str().unwrap());
    let ch = XChannel::new(s, Duration::from_secs(5));
    let query = format!("crc_token={}", v["crc"]["crc_token"].as_str().unwrap());
    let headers = HeaderMap::new();
    match ch.handle(&request(Method::Get, &query, &headers, b"")) {
        Ok(WebhookReply::Respond {
            status,
            content_type,
            body,
        }) => {
            assert_eq!((status, content_type), (200, "application/json"));
            let body: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(body, v["crc"]["expected_response_body"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_crc_check_without_a_plausible_token_is_refused() {
    let ch = channel(DEV);
    let headers = HeaderMap::new();
    // A token that is a JSON document would turn the CRC answer into a delivery signature.
    let forged = r#"{"for_user_id":"2244994945","direct_message_events":[]}"#;
    let encoded: String = form_urlencoded::byte_serialize(forged.as_bytes()).collect();
    for query in [
        String::new(),
        "crc_token=".into(),
        format!("crc_token={encoded}"),
        format!("crc_token={}", "a".repeat(513)),
    ] {
        assert!(
            matches!(
                ch.handle(&request(Method::Get, &query, &headers, b"")),
                Err(InboundError::Malformed(_))
            ),
            "{query}"
        );
    }
}

#[test]
fn a_delivery_signed_as_in_the_published_vector_is_accepted() {
    let v = &fixture("webhook_security_test_vectors.json")["post_signature"];
    let mut s = XSettings::example("x");
    s.consumer_secret = Secret::new(v["consumer_secret"].as_str().unwrap());
    let ch = XChannel::new(s, Duration::from_secs(5));
    let body = v["raw_body"].as_str().unwrap().as_bytes();
    let mut headers = HeaderMap::new();
    let sig = v["expected_header_value"].as_str().unwrap();
    headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(sig).unwrap());
    assert_eq!(sign(v["consumer_secret"].as_str().unwrap(), body), sig);
    match ch.handle(&request(Method::Post, "", &headers, body)) {
        Ok(WebhookReply::Events(events)) => assert_eq!(events, vec![]), // a deletion
        other => panic!("{other:?}"),
    }
}

#[test]
fn forged_truncated_missing_and_malformed_signatures_are_unauthorized() {
    let ch = channel(HARRISON);
    let body = fixture("aaa_direct_message_events.json").to_string();
    let good = sign("example_consumer_secret", body.as_bytes());
    let hex_mac = hex::encode(crate::channels::webhook::hmac_sha256(
        b"example_consumer_secret",
        &[body.as_bytes()],
    ));
    let candidates: Vec<Option<String>> = vec![
        None,
        Some(String::new()),
        Some("sha256=".into()),
        Some(good.trim_start_matches("sha256=").into()),
        Some(good[..good.len() - 4].into()),
        Some(sign("another_secret", body.as_bytes())),
        Some(sign("example_consumer_secret", b"another body")),
        Some(format!("sha256={hex_mac}")),
        Some(format!("{good}AAAA")),
    ];
    for sig in candidates {
        let mut headers = HeaderMap::new();
        if let Some(s) = &sig {
            headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(s).unwrap());
        }
        assert!(
            matches!(
                ch.handle(&request(Method::Post, "", &headers, body.as_bytes())),
                Err(InboundError::Unauthorized(_))
            ),
            "{sig:?}"
        );
    }
    let mut headers = HeaderMap::new();
    headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(&good).unwrap());
    assert!(matches!(
        ch.handle(&request(Method::Post, "", &headers, body.as_bytes())),
        Ok(WebhookReply::Events(e)) if e.len() == 1
    ));
}

#[test]
fn settings_read_from_toml_with_defaults_and_secrets_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("x-token");
    std::fs::write(&token, "user-token-from-file\n").unwrap();
    let toml_text = format!(
        r#"
        name = "x"
        consumer_secret = "cs"
        user_token = {{ file = "{}" }}
        user_id = "2244994945"
        [monitor]
        include_keywords = ["refund"]
        "#,
        token.display()
    );
    let s: XSettings = toml::from_str(&toml_text).unwrap();
    assert_eq!(s.api_base, "https://api.x.com");
    assert_eq!(s.user_token.expose(), "user-token-from-file");
    assert_eq!(
        (s.app_token.is_none(), s.webhook_id.is_none()),
        (true, true)
    );
    assert_eq!(s.monitor.include_keywords, vec!["refund".to_string()]);
    assert!(
        !format!("{s:?}").contains("user-token-from-file"),
        "secrets are redacted"
    );
    let unknown = toml_text.replace("user_id =", "user_idd = \"1\"\nuser_id =");
    assert!(toml::from_str::<XSettings>(&unknown).is_err());
}

#[test]
fn the_settings_example_in_the_docs_parses() {
    let doc = std::fs::read_to_string(format!("{}/docs/channels/x.md", env!("CARGO_MANIFEST_DIR")))
        .unwrap();
    let block = doc
        .split("```toml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a toml block");
    // The environment variables are the reader's; plain strings stand in for them.
    let block: String = block
        .lines()
        .map(|l| match l.split_once("{ env = ") {
            Some((head, _)) => format!("{head}\"from-env\""),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let settings: crate::config::Settings = toml::from_str(&block).unwrap();
    let x = &settings.channels.x[0];
    assert_eq!((x.name.as_str(), x.user_id.as_str()), ("x", "1234567890"));
    assert!(x.app_token.is_some() && x.webhook_id.is_some());
    assert_eq!(x.monitor.exclude_handles, vec!["1111111111".to_string()]);
}
