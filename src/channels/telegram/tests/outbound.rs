//! Outbound: the Bot API request each action becomes, what is refused before any I/O, how
//! Bot API errors map onto `SendError`, and that the token never shows in an error.

use reqwest::header::HeaderMap;
use serde_json::json;

use super::settings;
use crate::channels::telegram::send::{classify, clip, fit_text, plan, Api, Call, Plan, Target};
use crate::channels::{Channel, Outbound, OutboundKind, SendError};
use crate::policy::Visibility;

fn action(kind: OutboundKind, thread: &str, target: Option<&str>, recipient: &str) -> Outbound {
    Outbound {
        kind,
        thread_id: thread.into(),
        target_message_id: target.map(String::from),
        recipient: recipient.into(),
    }
}

fn reply(visibility: Visibility, text: &str) -> OutboundKind {
    OutboundKind::Reply {
        visibility,
        text: text.into(),
        quick_replies: Vec::new(),
    }
}

fn planned(a: &Outbound) -> Plan {
    plan(&settings(), a).expect("planned")
}

fn call(method: &'static str, body: serde_json::Value) -> Call {
    Call { method, body }
}

#[test]
fn target_ids_name_messages_and_button_presses() {
    assert_eq!(
        Target::parse("-1001234:78"),
        Some(Target::Message {
            chat: -1001234,
            id: 78
        })
    );
    assert_eq!(
        Target::parse("cb:42:abc:def"),
        Some(Target::Callback {
            user: 42,
            query: "abc:def".into()
        })
    );
    for bad in ["", "42", "x:1", "1:x", "cb:x:1", "cb:42"] {
        assert_eq!(Target::parse(bad), None, "{bad}");
    }
}

#[test]
fn a_public_reply_goes_to_the_thread_chat_as_a_reply_to_the_message() {
    let a = action(
        reply(Visibility::Public, "Hi Jane"),
        "-1001234:77",
        Some("-1001234:78"),
        "42",
    );
    assert_eq!(
        planned(&a),
        Plan {
            call: call(
                "sendMessage",
                json!({"chat_id": -1001234, "text": "Hi Jane",
                    "reply_parameters": {"message_id": 78, "allow_sending_without_reply": true}})
            ),
            then: None
        }
    );
}

#[test]
fn a_private_reply_in_a_private_chat_replies_to_the_message() {
    let a = action(reply(Visibility::Private, "Hi"), "42", Some("42:9"), "42");
    assert_eq!(
        planned(&a).call,
        call(
            "sendMessage",
            json!({"chat_id": 42, "text": "Hi",
                "reply_parameters": {"message_id": 9, "allow_sending_without_reply": true}})
        )
    );
}

#[test]
fn a_private_reply_to_a_group_message_is_a_dm_to_its_author() {
    let a = action(
        reply(Visibility::Private, "Hi"),
        "-1001234:77",
        Some("-1001234:78"),
        "42",
    );
    assert_eq!(
        planned(&a).call,
        call("sendMessage", json!({"chat_id": 42, "text": "Hi"}))
    );
    let to_channel = action(
        reply(Visibility::Private, "Hi"),
        "-1009:12",
        Some("-1009:12"),
        "-1009",
    );
    assert!(
        matches!(plan(&settings(), &to_channel), Err(SendError::Permanent(m)) if m.contains("privately"))
    );
}

#[test]
fn a_reply_to_a_button_press_answers_the_press_afterwards() {
    let a = action(
        reply(Visibility::Private, "Here you go"),
        "42",
        Some("cb:42:q-1"),
        "42",
    );
    assert_eq!(
        planned(&a),
        Plan {
            call: call("sendMessage", json!({"chat_id": 42, "text": "Here you go"})),
            then: Some(call(
                "answerCallbackQuery",
                json!({"callback_query_id": "q-1"})
            )),
        }
    );
}

#[test]
fn quick_replies_are_buttons_one_per_row_with_data_within_64_bytes() {
    let long = "é".repeat(40); // 80 bytes
    let a = action(
        OutboundKind::Reply {
            visibility: Visibility::Private,
            text: "Pick one".into(),
            quick_replies: vec!["Track my order".into(), " ".into(), long.clone()],
        },
        "42",
        None,
        "42",
    );
    assert_eq!(
        planned(&a).call.body["reply_markup"],
        json!({"inline_keyboard": [
            [{"text": "Track my order", "callback_data": "Track my order"}],
            [{"text": long, "callback_data": "é".repeat(32)}],
        ]})
    );
    assert_eq!(clip("aé", 2), "a");
}

#[test]
fn a_like_is_a_reaction_with_the_configured_emoji() {
    let mut s = settings();
    s.like_emoji = "🔥".into();
    let a = action(OutboundKind::Like, "-1001234:77", Some("-1001234:78"), "42");
    assert_eq!(
        plan(&s, &a).expect("planned").call,
        call(
            "setMessageReaction",
            json!({"chat_id": -1001234, "message_id": 78,
                "reaction": [{"type": "emoji", "emoji": "🔥"}]})
        )
    );
    for target in [Some("cb:42:q"), None] {
        let a = action(OutboundKind::Like, "42", target, "42");
        assert!(matches!(plan(&s, &a), Err(SendError::Permanent(_))));
    }
}

#[test]
fn typing_is_a_chat_action_in_the_thread_chat() {
    let a = action(OutboundKind::Typing, "42", Some("42:9"), "42");
    assert_eq!(
        planned(&a).call,
        call("sendChatAction", json!({"chat_id": 42, "action": "typing"}))
    );
}

#[test]
fn repost_and_hide_are_refused_as_unsupported() {
    for (kind, why) in [
        (OutboundKind::Repost, "Telegram cannot repost"),
        (OutboundKind::Hide, "Telegram cannot hide"),
    ] {
        let a = action(kind, "-1001234:77", Some("-1001234:78"), "42");
        assert!(
            matches!(plan(&settings(), &a), Err(SendError::Permanent(m)) if m.starts_with(why))
        );
    }
    let bad_thread = action(reply(Visibility::Public, "x"), "general", None, "42");
    assert!(matches!(
        plan(&settings(), &bad_thread),
        Err(SendError::Permanent(_))
    ));
}

#[test]
fn long_texts_are_cut_to_telegrams_limit_in_utf16_units() {
    let short = "a".repeat(4096);
    assert_eq!(fit_text(&short), short);
    for long in ["é".repeat(5000), "😀".repeat(3000)] {
        let cut = fit_text(&long);
        assert!(cut.encode_utf16().count() <= 4096, "{}", cut.len());
        assert!(cut.encode_utf16().count() >= 4094);
        assert!(cut.ends_with('…'));
    }
}

#[test]
fn bot_api_errors_map_onto_send_errors() {
    let h = HeaderMap::new();
    let err = |code: u16, desc: &str| {
        json!({"ok": false, "error_code": code, "description": desc}).to_string()
    };
    let ok = json!({"ok": true, "result": {"message_id": 5, "chat": {"id": 42}}}).to_string();
    assert_eq!(classify(200, &h, &ok, 0).unwrap()["message_id"], 5);
    let limited = json!({"ok": false, "error_code": 429,
        "description": "Too Many Requests: retry after 17", "parameters": {"retry_after": 17}});
    assert!(matches!(
        classify(429, &h, &limited.to_string(), 0),
        Err(SendError::RateLimited {
            retry_after_ms: 17_000,
            ..
        })
    ));
    let mut with_header = HeaderMap::new();
    with_header.insert("retry-after", "9".parse().unwrap());
    assert!(matches!(
        classify(429, &with_header, "", 0),
        Err(SendError::RateLimited {
            retry_after_ms: 9_000,
            ..
        })
    ));
    assert!(
        matches!(classify(401, &h, &err(401, "Unauthorized"), 0), Err(SendError::Unauthorized(m)) if m == "401: Unauthorized")
    );
    assert!(matches!(
        classify(404, &h, &err(404, "Not Found"), 0),
        Err(SendError::Unauthorized(_))
    ));
    let blocked = err(403, "Forbidden: bot was blocked by the user");
    assert!(
        matches!(classify(403, &h, &blocked, 0), Err(SendError::Permanent(m)) if m.contains("blocked by the user"))
    );
    assert!(matches!(
        classify(400, &h, &err(400, "Bad Request: message text is empty"), 0),
        Err(SendError::Permanent(_))
    ));
    assert!(matches!(
        classify(502, &h, "<html>Bad Gateway</html>", 0),
        Err(SendError::Retryable(m)) if m.contains("Bad Gateway")
    ));
    assert!(matches!(
        classify(200, &h, &err(400, "Bad Request: chat not found"), 0),
        Err(SendError::Permanent(m)) if m.starts_with("400")
    ));
}

#[tokio::test]
async fn the_bot_token_never_appears_in_an_error() {
    let mut s = settings();
    s.api_base = "http://127.0.0.1:1".into();
    let token = s.bot_token.expose().to_string();
    let api = Api::new(&s, std::time::Duration::from_secs(2));
    assert_eq!(
        api.redact(&format!("GET /bot{token}/getMe")),
        "GET /bot[redacted]/getMe"
    );
    let channel =
        crate::channels::telegram::TelegramChannel::new(s, std::time::Duration::from_secs(2));
    let a = action(reply(Visibility::Private, "Hi"), "42", None, "42");
    let e = channel.send(&a, "k").await.expect_err("nothing listens");
    assert!(matches!(e, SendError::Retryable(_)), "{e}");
    let text = e.to_string();
    assert!(
        !text.contains(&token) && !text.contains("123456789"),
        "{text}"
    );
}
