//! Inbound: every fixture update into the exact events, constructed group/channel/media
//! updates, the secret-token check, and garbage that must not panic.

use axum::http::{HeaderMap, HeaderValue};
use serde_json::{json, Value};

use super::{fixture, settings};
use crate::channels::telegram::{parse_payload, TelegramChannel, SECRET_HEADER};
use crate::channels::webhook::Method;
use crate::channels::{Author, InboundError, InboundEvent, Webhook, WebhookReply, WebhookRequest};
use crate::policy::Visibility;

fn event(
    visibility: Visibility,
    thread: &str,
    message: &str,
    (handle, name): (&str, &str),
    text: &str,
) -> InboundEvent {
    InboundEvent {
        channel: "tg".into(),
        event_id: "update:10000".into(),
        visibility,
        thread_id: thread.into(),
        message_id: message.into(),
        author: Author {
            handle: handle.into(),
            name: Some(name.into()),
        },
        text: text.into(),
    }
}

const TEST_USER: (&str, &str) = ("1111111", "Test Firstname Test Lastname (@Testusername)");

fn parse(body: &[u8]) -> Vec<InboundEvent> {
    parse_payload(&settings(), body).expect("parses")
}

fn parse_json(v: Value) -> Vec<InboundEvent> {
    parse(v.to_string().as_bytes())
}

#[test]
fn the_private_text_message_fixture_is_a_private_event_in_the_users_chat() {
    assert_eq!(
        parse(&fixture("update_message_text.json")),
        [event(
            Visibility::Private,
            "1111111",
            "1111111:1365",
            TEST_USER,
            "/start"
        )]
    );
}

#[test]
fn a_reply_in_a_private_chat_stays_in_that_chat() {
    assert_eq!(
        parse(&fixture("update_message_reply.json")),
        [event(
            Visibility::Private,
            "1111111",
            "1111111:1365",
            TEST_USER,
            "/start"
        )]
    );
}

#[test]
fn an_edited_message_is_an_event_of_its_own_marked_as_an_edit() {
    assert_eq!(
        parse(&fixture("update_edited_message.json")),
        [event(
            Visibility::Private,
            "1111111",
            "1111111:1365",
            TEST_USER,
            "[edited] Edited text"
        )]
    );
}

#[test]
fn formatting_entities_leave_the_text_as_written() {
    assert_eq!(
        parse(&fixture("update_message_entities.json"))[0].text,
        "Bold and italics"
    );
}

#[test]
fn a_button_press_is_a_private_event_whose_text_is_its_data() {
    assert_eq!(
        parse(&fixture("update_callback_query.json")),
        [event(
            Visibility::Private,
            "1111111",
            "cb:1111111:4382bfdwdsb323b2d9",
            TEST_USER,
            "Data from button callback"
        )]
    );
}

#[test]
fn inline_queries_and_membership_changes_bring_no_event() {
    assert_eq!(parse(&fixture("update_inline_query.json")), []);
    let member = json!({"update_id": 5, "my_chat_member": {"chat": {"id": 1, "type": "private"},
        "from": {"id": 1, "is_bot": false, "first_name": "A"}, "date": 1,
        "old_chat_member": {"status": "member"}, "new_chat_member": {"status": "kicked"}}});
    assert_eq!(parse_json(member), []);
}

fn group_message(id: i64, extra: Value) -> Value {
    let mut m = json!({"message_id": id, "date": 1700000000,
        "chat": {"id": -1001234, "type": "supergroup", "title": "Northwind fans"},
        "from": {"id": 42, "is_bot": false, "first_name": "Jane", "last_name": "Doe", "username": "jane"},
        "text": "where is my order?"});
    if let (Some(m), Some(extra)) = (m.as_object_mut(), extra.as_object()) {
        m.extend(extra.clone());
    }
    json!({"update_id": 10000, "message": m})
}

#[test]
fn a_group_message_starts_a_public_thread_that_replies_and_topics_name() {
    let root = parse_json(group_message(77, json!({})));
    assert_eq!(
        root,
        [event(
            Visibility::Public,
            "-1001234:77",
            "-1001234:77",
            ("42", "Jane Doe (@jane)"),
            "where is my order?"
        )]
    );
    let reply = parse_json(group_message(
        78,
        json!({"reply_to_message": {"message_id": 77, "date": 1, "chat": {"id": -1001234, "type": "supergroup"}}}),
    ));
    assert_eq!(
        (reply[0].thread_id.as_str(), reply[0].message_id.as_str()),
        ("-1001234:77", "-1001234:78")
    );
    let topic = parse_json(group_message(
        90,
        json!({"message_thread_id": 5, "is_topic_message": true}),
    ));
    assert_eq!(topic[0].thread_id, "-1001234:5");
}

#[test]
fn bots_anonymous_admins_and_mirrored_channel_posts_are_skipped() {
    let bot = json!({"from": {"id": 7, "is_bot": true, "first_name": "Northwind", "username": "northwind_bot"}});
    assert_eq!(parse_json(group_message(1, bot)), []);
    let anonymous_admin = json!({"sender_chat": {"id": -1001234, "type": "supergroup", "title": "Northwind fans"},
        "from": {"id": 1087968824, "is_bot": true, "first_name": "Group", "username": "GroupAnonymousBot"}});
    assert_eq!(parse_json(group_message(2, anonymous_admin)), []);
    let mirrored = json!({"is_automatic_forward": true, "sender_chat": {"id": -1009, "type": "channel", "title": "News"}});
    assert_eq!(parse_json(group_message(3, mirrored)), []);
    // Someone writing as their own channel is not skipped: the channel is the author.
    let as_channel = json!({"sender_chat": {"id": -1005, "type": "channel", "title": "Jane's shop", "username": "janeshop"},
        "from": {"id": 136817688, "is_bot": true, "first_name": "Channel", "username": "Channel_Bot"}});
    let e = parse_json(group_message(4, as_channel));
    assert_eq!(e[0].author.handle, "-1005");
    assert_eq!(e[0].author.name.as_deref(), Some("Jane's shop (@janeshop)"));
}

#[test]
fn a_channel_post_is_public_and_signed_by_the_channel() {
    let post = json!({"update_id": 10000, "channel_post": {"message_id": 12, "date": 1,
        "chat": {"id": -1009, "type": "channel", "title": "Northwind News", "username": "northwindnews"},
        "sender_chat": {"id": -1009, "type": "channel", "title": "Northwind News", "username": "northwindnews"},
        "text": "New lamps are in!"}});
    assert_eq!(
        parse_json(post),
        [event(
            Visibility::Public,
            "-1009:12",
            "-1009:12",
            ("-1009", "Northwind News (@northwindnews)"),
            "New lamps are in!"
        )]
    );
}

#[test]
fn media_without_text_says_what_it_is_and_keeps_its_caption() {
    let photo = json!([{"file_id": "a", "file_unique_id": "b", "width": 90, "height": 90}]);
    let cases = [
        (json!({"photo": photo}), Some("[photo]")),
        (
            json!({"photo": photo, "caption": "arrived broken"}),
            Some("[photo] arrived broken"),
        ),
        (json!({"sticker": {"emoji": "😀"}}), Some("[sticker 😀]")),
        (
            json!({"document": {"file_name": "invoice.pdf"}}),
            Some("[document invoice.pdf]"),
        ),
        (
            json!({"animation": {}, "document": {"file_name": "a.mp4"}}),
            Some("[animation]"),
        ),
        (json!({"voice": {"duration": 3}}), Some("[voice message]")),
        (
            json!({"venue": {"title": "Shop"}, "location": {}}),
            Some("[venue Shop]"),
        ),
        (
            json!({"poll": {"question": "Which lamp?"}}),
            Some("[poll Which lamp?]"),
        ),
        (json!({"new_chat_members": [{"id": 3}]}), None),
        (json!({"text": "   "}), None),
    ];
    for (fields, want) in cases {
        let mut m = json!({"message_id": 1, "date": 1, "chat": {"id": 42, "type": "private"},
            "from": {"id": 42, "is_bot": false, "first_name": "Jane"}});
        if let (Some(m), Some(f)) = (m.as_object_mut(), fields.as_object()) {
            m.extend(f.clone());
        }
        let got = parse_json(json!({"update_id": 1, "message": m}));
        assert_eq!(got.first().map(|e| e.text.as_str()), want, "{fields}");
        if want.is_some() {
            assert_eq!(got[0].author.name.as_deref(), Some("Jane"));
        }
    }
}

#[test]
fn garbage_is_malformed_or_empty_and_never_panics() {
    for bad in [
        &b""[..],
        b"null",
        b"[]",
        b"{",
        b"{\"update_id\": \"x\"}",
        b"{\"message\": {}}",
        b"\xff\xfe",
    ] {
        assert!(
            matches!(
                parse_payload(&settings(), bad),
                Err(InboundError::Malformed(_))
            ),
            "{bad:?}"
        );
    }
    let deep = format!("{{\"update_id\": 1, \"x\": {}}}", "[".repeat(100_000));
    assert!(parse_payload(&settings(), deep.as_bytes()).is_err());
    // Every prefix and single-byte corruption of every fixture: any answer but a panic.
    let mut seed: u32 = 0x9e37_79b9;
    for name in [
        "update_message_text.json",
        "update_message_reply.json",
        "update_edited_message.json",
        "update_callback_query.json",
        "update_inline_query.json",
    ] {
        let body = fixture(name);
        for end in 0..body.len() {
            let _ = parse_payload(&settings(), &body[..end]);
        }
        for _ in 0..500 {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let mut b = body.clone();
            let i = seed as usize % b.len();
            b[i] = (seed >> 24) as u8;
            let _ = parse_payload(&settings(), &b);
        }
    }
}

fn request<'a>(headers: &'a HeaderMap, body: &'a [u8], method: Method) -> WebhookRequest<'a> {
    WebhookRequest {
        method,
        query: "",
        headers,
        body,
        now_secs: 0,
    }
}

#[test]
fn the_documented_webhook_delivery_is_accepted_with_its_secret_token() {
    let example: Value = serde_json::from_slice(&fixture("webhook_delivery_example.json")).unwrap();
    let secret = example["headers"]["X-Telegram-Bot-Api-Secret-Token"]
        .as_str()
        .unwrap();
    let mut s = settings();
    s.secret_token = crate::secret::Secret::new(secret);
    let channel = TelegramChannel::new(s, std::time::Duration::from_secs(5));
    let mut headers = HeaderMap::new();
    headers.insert(SECRET_HEADER, HeaderValue::from_str(secret).unwrap());
    let body = example["body"].to_string();
    let Ok(WebhookReply::Events(events)) =
        channel.handle(&request(&headers, body.as_bytes(), Method::Post))
    else {
        panic!("accepted");
    };
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].text, "/start");
}

#[test]
fn a_missing_wrong_truncated_or_padded_secret_token_is_unauthorized() {
    let s = settings();
    let secret = s.secret_token.expose().to_string();
    let channel = TelegramChannel::new(s, std::time::Duration::from_secs(5));
    let body = fixture("update_message_text.json");
    let none = HeaderMap::new();
    assert!(matches!(
        channel.handle(&request(&none, &body, Method::Post)),
        Err(InboundError::Unauthorized(_))
    ));
    for given in [
        "wrong".to_string(),
        secret[..secret.len() - 1].to_string(),
        format!("{secret}x"),
        secret.to_uppercase(),
        String::new(),
    ] {
        let mut h = HeaderMap::new();
        h.insert(SECRET_HEADER, HeaderValue::from_str(&given).unwrap());
        assert!(
            matches!(
                channel.handle(&request(&h, &body, Method::Post)),
                Err(InboundError::Unauthorized(_))
            ),
            "{given:?}"
        );
    }
    let mut good = HeaderMap::new();
    good.insert(SECRET_HEADER, HeaderValue::from_str(&secret).unwrap());
    assert!(matches!(
        channel.handle(&request(&good, &body, Method::Get)),
        Err(InboundError::Malformed(_))
    ));
}
