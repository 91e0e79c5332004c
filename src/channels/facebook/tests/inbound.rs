//! Inbound: fixtures parse into concrete events, what must be skipped is, the parser survives
//! garbage, and the signature and handshake accept only what they should.

use axum::http::{HeaderMap, HeaderValue};
use serde_json::{json, Value};

use super::{fixture, fixture_json, page};
use crate::channels::facebook::{parse_payload, verify_signature, FacebookChannel};
use crate::channels::webhook::Method;
use crate::channels::{InboundError, InboundEvent, Webhook, WebhookReply, WebhookRequest};
use crate::policy::Visibility;
use crate::secret::Secret;

/// A `page` body with one entry for `page_id` holding `messaging` items.
fn messaging_body(page_id: &str, items: Vec<Value>) -> Vec<u8> {
    json!({"object": "page", "entry": [{"id": page_id, "time": 1, "messaging": items}]})
        .to_string()
        .into_bytes()
}

fn parse(page_id: &str, body: &[u8]) -> Vec<InboundEvent> {
    parse_payload(&page(page_id), body).expect("parses")
}

#[test]
fn a_messenger_text_message_becomes_one_private_event_from_the_psid() {
    let events = parse("<PAGE_ID>", &fixture("messenger_webhook_post_text.json"));
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.channel, "fb");
    assert_eq!(e.event_id, "mid.1457764197618:41d102a3e1ae206a38");
    assert_eq!(e.message_id, e.event_id);
    assert_eq!(e.visibility, Visibility::Private);
    assert_eq!(e.thread_id, "<PSID>");
    assert_eq!(e.author.handle, "<PSID>");
    assert_eq!(e.author.name, None);
    assert_eq!(e.text, "hello, world!");
}

#[test]
fn messaging_items_from_the_reference_parse_with_their_mids() {
    let items = vec![
        fixture_json("messenger_messaging_text.json"),
        fixture_json("messenger_messaging_reply.json"),
    ];
    let events = parse("<PAGE_ID>", &messaging_body("<PAGE_ID>", items));
    let got: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|e| (e.event_id.as_str(), e.thread_id.as_str(), e.text.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "mid.1457764197618:41d102a3e1ae206a38",
                "<PSID>",
                "hello, world!"
            ),
            (
                "m_1457764197618:41d102a3e1ae206a38",
                "<PSID>",
                "hello, world!"
            ),
        ]
    );
}

#[test]
fn an_attachment_without_text_says_what_it_is_and_where() {
    let entry = fixture_json("messenger_entry_attachment.json");
    let body = json!({"object": "page", "entry": [entry]}).to_string();
    let events = parse("682498302938465", body.as_bytes());
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_id, "mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c");
    assert_eq!(
        events[0].text,
        "[<image|video|audio|file> <ATTACHMENT_URL>]"
    );
    assert_eq!(events[0].visibility, Visibility::Private);
}

#[test]
fn a_postback_from_the_reference_becomes_its_title_keyed_by_its_mid() {
    let sample = fixture_json("messenger_messaging_postbacks_sample.json");
    let events = parse(
        "PAGE-ID",
        &messaging_body("PAGE-ID", vec![sample["value"].clone()]),
    );
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (
            e.event_id.as_str(),
            e.thread_id.as_str(),
            e.author.handle.as_str()
        ),
        ("m_MESSAGE-ID", "USER-REF-ID", "USER-REF-ID")
    );
    assert_eq!(e.text, "TITLE-FOR-THE-CTA");
    assert_eq!(e.visibility, Visibility::Private);
}

#[test]
fn a_new_comment_on_a_page_post_is_a_public_event_threaded_on_the_post() {
    let events = parse("<PAGE_ID>", &fixture("page_feed_comment_change.json"));
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.event_id, "<POST_ID>_<COMMENT_ID>");
    assert_eq!(e.message_id, "<POST_ID>_<COMMENT_ID>");
    assert_eq!(e.thread_id, "<PAGE_ID>_<POST_ID>");
    assert_eq!(e.visibility, Visibility::Public);
    assert_eq!(e.author.handle, "<USER_ID>");
    assert_eq!(e.author.name.as_deref(), Some("Test User"));
    assert_eq!(e.text, "Why has my order not arrived yet?");
}

#[test]
fn another_objects_notification_is_acknowledged_without_events() {
    let events = parse(
        "10210299214172187",
        &fixture("graph_webhook_user_photos_sample.json"),
    );
    assert!(events.is_empty());
}

fn feed(value: Value) -> Value {
    json!({"field": "feed", "value": value})
}

/// Two entries, several items each: only customers' new content becomes events, in order.
fn busy_delivery() -> Vec<u8> {
    let user = json!({"id": "u1", "name": "Jane Doe"});
    json!({"object": "page", "entry": [
        {"id": "42", "time": 1, "changes": [
            feed(json!({"item": "comment", "verb": "add", "from": user, "post_id": "42_1",
                        "comment_id": "1_10", "parent_id": "42_1", "message": "where is my parcel?"})),
            feed(json!({"item": "comment", "verb": "edited", "from": user, "post_id": "42_1",
                        "comment_id": "1_10", "message": "edited"})),
            feed(json!({"item": "comment", "verb": "remove", "from": user, "post_id": "42_1",
                        "comment_id": "1_11"})),
            feed(json!({"item": "comment", "verb": "hide", "post_id": "42_1", "comment_id": "1_12"})),
            feed(json!({"item": "reaction", "verb": "add", "from": user, "post_id": "42_1",
                        "reaction_type": "like"})),
            feed(json!({"item": "like", "verb": "add", "from": user, "post_id": "42_1"})),
            feed(json!({"item": "comment", "verb": "add", "from": {"id": "42", "name": "Acme"},
                        "post_id": "42_1", "comment_id": "1_13", "message": "our own reply"})),
            feed(json!({"item": "status", "verb": "add", "from": {"id": "u2", "name": "Bo"},
                        "post_id": "42_2", "message": "love the new candles"})),
            feed(json!({"item": "photo", "verb": "add", "from": {"id": "u3"}, "post_id": "42_3",
                        "link": "https://cdn.example/p.jpg"})),
            json!({"field": "mention", "value": {"item": "post", "verb": "add", "post_id": "77_5",
                        "sender_id": "u4", "sender_name": "Cy", "message": "thanks @Acme"}}),
            json!({"field": "ratings", "value": {"verb": "add"}}),
        ]},
        {"id": "42", "time": 2, "messaging": [
            {"sender": {"id": "p1"}, "recipient": {"id": "42"}, "timestamp": 5,
             "message": {"mid": "m_1", "text": "hi", "quick_reply": {"payload": "HI"}}},
            {"sender": {"id": "42"}, "recipient": {"id": "p1"}, "timestamp": 6,
             "message": {"mid": "m_2", "text": "echo", "is_echo": true}},
            {"sender": {"id": "p1"}, "recipient": {"id": "42"}, "timestamp": 7,
             "delivery": {"mids": ["m_2"], "watermark": 6}},
            {"sender": {"id": "p1"}, "recipient": {"id": "42"}, "timestamp": 8,
             "read": {"watermark": 6}},
            {"sender": {"id": "p1"}, "recipient": {"id": "42"}, "timestamp": 9,
             "reaction": {"mid": "m_2", "action": "react", "emoji": "x"}},
            {"sender": {"id": "p1"}, "recipient": {"id": "42"}, "timestamp": 10,
             "postback": {"payload": "TRACK_ORDER"}},
            {"sender": {"id": "p1"}, "recipient": {"id": "42"}, "timestamp": 11,
             "message": {"mid": "m_3", "quick_reply": {"payload": "YES"},
                         "attachments": [{"type": "image", "payload": {"url": "https://x/s.png", "sticker_id": 369}},
                                         {"type": "location", "payload": {"coordinates": {"lat": 1.5, "long": -2}}}]}},
        ]},
        {"id": "999", "time": 3, "messaging": [
            {"sender": {"id": "p9"}, "recipient": {"id": "999"}, "message": {"mid": "m_9", "text": "other page"}}
        ]}
    ]})
    .to_string()
    .into_bytes()
}

#[test]
fn a_delivery_with_several_entries_yields_only_new_customer_content() {
    let events = parse("42", &busy_delivery());
    let got: Vec<(&str, Visibility, &str, &str, &str)> = events
        .iter()
        .map(|e| {
            (
                e.event_id.as_str(),
                e.visibility,
                e.thread_id.as_str(),
                e.author.handle.as_str(),
                e.text.as_str(),
            )
        })
        .collect();
    use Visibility::{Private, Public};
    assert_eq!(
        got,
        [
            ("1_10", Public, "42_1", "u1", "where is my parcel?"),
            ("42_2", Public, "42_2", "u2", "love the new candles"),
            (
                "42_3",
                Public,
                "42_3",
                "u3",
                "[photo https://cdn.example/p.jpg]"
            ),
            ("77_5", Public, "77_5", "u4", "thanks @Acme"),
            ("m_1", Private, "p1", "p1", "hi"),
            ("postback:p1:10", Private, "p1", "p1", "TRACK_ORDER"),
            (
                "m_3",
                Private,
                "p1",
                "p1",
                "YES [sticker https://x/s.png] [location 1.5,-2]"
            ),
        ]
    );
    assert_eq!(events[0].author.name.as_deref(), Some("Jane Doe"));
    assert_eq!(events[3].author.name.as_deref(), Some("Cy"));
}

#[test]
fn the_feed_and_messenger_switches_drop_their_half() {
    let mut s = page("42");
    s.feed = false;
    let only_dm = parse_payload(&s, &busy_delivery()).unwrap();
    assert!(only_dm.iter().all(|e| e.visibility == Visibility::Private));
    assert_eq!(only_dm.len(), 3);
    s.feed = true;
    s.messenger = false;
    let only_feed = parse_payload(&s, &busy_delivery()).unwrap();
    assert!(only_feed.iter().all(|e| e.visibility == Visibility::Public));
    assert_eq!(only_feed.len(), 4);
}

#[test]
fn a_comment_without_its_author_gets_a_handle_of_its_own() {
    let body = json!({"object": "page", "entry": [{"id": "42", "changes": [
        feed(json!({"item": "comment", "verb": "add", "post_id": "42_1", "comment_id": 1234}))]}]});
    let events = parse("42", body.to_string().as_bytes());
    assert_eq!(events[0].author.handle, "anonymous:1234");
    assert_eq!(events[0].text, "[comment]");
}

#[test]
fn garbage_is_malformed_or_empty_never_a_panic() {
    let deep = "[".repeat(100_000);
    let bad: Vec<&[u8]> = vec![
        b"",
        b"not json",
        b"[]",
        b"{\"object\":\"page\"}",
        b"{\"object\":\"page\",\"entry\":{}}",
        deep.as_bytes(),
        b"\xff\xfe",
    ];
    for body in bad {
        assert!(matches!(
            parse_payload(&page("42"), body),
            Err(InboundError::Malformed(_))
        ));
    }
    let odd: Vec<&[u8]> = vec![
        b"{\"object\":\"page\",\"entry\":[1,null,\"x\",{\"changes\":7,\"messaging\":{}}]}",
        b"{\"object\":\"page\",\"entry\":[{\"changes\":[null,{\"field\":\"feed\"},{\"field\":\"feed\",\"value\":[]}]}]}",
        b"{\"object\":\"page\",\"entry\":[{\"messaging\":[{},{\"sender\":{}},{\"sender\":{\"id\":1},\"message\":\"x\"},{\"sender\":{\"id\":1},\"message\":{\"attachments\":[null,{}]}}]}]}",
    ];
    for body in odd {
        assert!(parse_payload(&page("42"), body).unwrap().is_empty());
    }
}

fn vector() -> Value {
    fixture_json("x_hub_signature_256_test_vector.json")
}

#[test]
fn the_signature_test_vector_verifies() {
    let v = vector();
    let body = v["raw_body"].as_str().unwrap().as_bytes();
    let header = v["expected_header_value"].as_str().unwrap();
    verify_signature(v["app_secret"].as_str().unwrap(), Some(header), false, body)
        .expect("the published vector verifies");
}

#[test]
fn forged_truncated_missing_and_legacy_signatures_are_refused() {
    let v = vector();
    let secret = v["app_secret"].as_str().unwrap();
    let body = v["raw_body"].as_str().unwrap().as_bytes();
    let good = v["expected_header_value"].as_str().unwrap();
    let sha1_style = good.replacen("sha256=", "sha1=", 1);
    let cases: Vec<(Option<&str>, bool, &[u8], &str)> = vec![
        (
            Some(good),
            false,
            b"{\"object\":\"page\",\"entry\":[]}",
            "altered body",
        ),
        (Some(&good[..good.len() - 2]), false, body, "truncated"),
        (Some("sha256=zz"), false, body, "not hex"),
        (Some(&sha1_style), false, body, "wrong scheme"),
        (None, true, body, "legacy header only"),
        (None, false, body, "missing"),
    ];
    for (header, legacy, body, why) in cases {
        match verify_signature(secret, header, legacy, body) {
            Err(InboundError::Unauthorized(m)) if why == "legacy header only" => {
                assert!(m.contains("legacy"), "{m}")
            }
            Err(InboundError::Unauthorized(_)) => {}
            other => panic!("{why}: {other:?}"),
        }
    }
    assert!(verify_signature("another secret", Some(good), false, body).is_err());
}

fn get(ch: &FacebookChannel, query: &str) -> Result<WebhookReply, InboundError> {
    let headers = HeaderMap::new();
    ch.handle(&WebhookRequest {
        method: Method::Get,
        query,
        headers: &headers,
        body: b"",
        now_secs: 0,
    })
}

#[test]
fn the_handshake_echoes_the_challenge_only_for_the_right_token() {
    let sample = fixture_json("webhook_verification_request.json");
    let mut s = page("42");
    s.verify_token = Secret::new(sample["query"]["hub.verify_token"].as_str().unwrap());
    let ch = FacebookChannel::new(s, std::time::Duration::from_secs(1));
    let query = sample["url"].as_str().unwrap().split_once('?').unwrap().1;
    match get(&ch, query).unwrap() {
        WebhookReply::Respond {
            status,
            content_type,
            body,
        } => {
            assert_eq!(status, 200);
            assert!(content_type.starts_with("text/plain"));
            assert_eq!(body, sample["expected"]["body"].as_str().unwrap());
        }
        other => panic!("{other:?}"),
    }
    let wrong = "hub.mode=subscribe&hub.challenge=1&hub.verify_token=meatyhamhocks";
    assert!(matches!(get(&ch, wrong), Err(InboundError::Forbidden(_))));
    for bad in [
        "",
        "hub.mode=subscribe&hub.challenge=1",
        "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=meatyhamhock",
    ] {
        assert!(
            matches!(get(&ch, bad), Err(InboundError::Malformed(_))),
            "{bad}"
        );
    }
}

#[test]
fn a_signed_post_is_parsed_and_an_unsigned_one_never_is() {
    let v = vector();
    let mut s = page("<PAGE_ID>");
    s.app_secret = Secret::new(v["app_secret"].as_str().unwrap());
    let ch = FacebookChannel::new(s, std::time::Duration::from_secs(1));
    let body = v["raw_body"].as_str().unwrap().as_bytes();
    let mut headers = HeaderMap::new();
    let post = |headers: &HeaderMap| {
        ch.handle(&WebhookRequest {
            method: Method::Post,
            query: "",
            headers,
            body,
            now_secs: 0,
        })
    };
    headers.insert("x-hub-signature", HeaderValue::from_static("sha1=abc"));
    assert!(matches!(post(&headers), Err(InboundError::Unauthorized(_))));
    headers.insert(
        "x-hub-signature-256",
        HeaderValue::from_str(v["expected_header_value"].as_str().unwrap()).unwrap(),
    );
    match post(&headers).unwrap() {
        WebhookReply::Events(events) => assert_eq!(events.len(), 1),
        other => panic!("{other:?}"),
    }
}
