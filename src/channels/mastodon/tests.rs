//! Conformance: the documented Mastodon payloads (tests/fixtures/mastodon, from the Mastodon
//! documentation) through the parsers, and the outbound rules (length, splitting, rate limit).

use serde_json::{json, Value};

use super::parse::{mention_event, notifications, Account, Status};
use super::*;
use crate::channels::InboundError;
use crate::policy::Visibility;

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/mastodon/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json_fixture(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

fn settings() -> MastodonSettings {
    MastodonSettings::example("masto")
}

/// The account the documentation's notifications are addressed to.
fn trwnh() -> Me {
    Me {
        id: "14715".into(),
        username: "trwnh".into(),
        hosts: vec!["mastodon.social".into()],
    }
}

#[test]
fn a_mention_in_the_notifications_page_becomes_one_public_event_without_our_mention() {
    let body = fixture("notifications_list_response.json");
    let events: Vec<_> = notifications(body.as_bytes())
        .unwrap()
        .iter()
        .filter_map(|n| mention_event("masto", n, Some(&trwnh())))
        .collect();
    assert_eq!(
        events.len(),
        1,
        "the favourite is not a mention: {events:?}"
    );
    let e = &events[0];
    assert_eq!(e.channel, "masto");
    assert_eq!(e.event_id, "34975861");
    assert_eq!(e.visibility, Visibility::Public);
    assert_eq!(e.message_id, "103186126728896492");
    assert_eq!(
        e.thread_id, "103186038209478945",
        "a reply threads under the status it answers"
    );
    assert_eq!(e.author.handle, "971724");
    assert_eq!(e.author.name.as_deref(), Some("@zsc"));
    assert_eq!(e.text, "sup!");
}

#[test]
fn the_pure_parser_reads_a_page_without_knowing_our_account() {
    let events = parse_payload(
        &settings(),
        fixture("notifications_list_response.json").as_bytes(),
    )
    .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_id, "34975861");
    assert_eq!(events[0].text, "@trwnh sup!");
    let single = parse_payload(
        &settings(),
        fixture("entity_notification_mention.json").as_bytes(),
    )
    .unwrap();
    assert_eq!(single.len(), 1);
    assert_eq!(single[0].message_id, "103186126728896492");
    assert_eq!(
        single[0].text, "[empty mention]",
        "the documented entity has no content"
    );
    let fav = parse_payload(
        &settings(),
        fixture("entity_notification_favourite.json").as_bytes(),
    )
    .unwrap();
    assert!(fav.is_empty());
}

#[test]
fn our_own_statuses_are_skipped() {
    let mut page = json_fixture("notifications_list_response.json");
    page[0]["status"]["account"]["id"] = json!("14715");
    let n = notifications(page.to_string().as_bytes()).unwrap();
    assert_eq!(mention_event("masto", &n[0], Some(&trwnh())), None);
    assert!(mention_event("masto", &n[0], None).is_some());
}

#[test]
fn the_streamed_mention_notification_parses_into_the_same_event_as_sse_and_websocket() {
    let me = trwnh();
    let sse = parse_stream_event(
        &settings(),
        Some(&me),
        &fixture("streaming_sse_notification_mention.sse.txt"),
    )
    .unwrap();
    assert_eq!(sse.len(), 1);
    let e = &sse[0];
    assert_eq!(e.event_id, "68739215");
    assert_eq!(
        e.visibility,
        Visibility::Public,
        "unlisted is a public post"
    );
    assert_eq!(e.message_id, "108914343542683797");
    assert_eq!(
        e.thread_id, "108914343542683797",
        "a post that replies to nothing is its own thread"
    );
    assert_eq!(e.author.handle, "108892712797543112");
    assert_eq!(e.author.name.as_deref(), Some("a (@a@pl.nulled.red)"));
    assert_eq!(e.text, "test");
    // The documented `data:` JSON is the same notification.
    let payload = fixture("streaming_sse_notification_mention.payload.json");
    let n = notifications(payload.as_bytes()).unwrap();
    assert_eq!(mention_event("masto", &n[0], Some(&me)).as_ref(), Some(e));
    // WebSocket frames carry the payload as a JSON string.
    let frame = json!({"stream": ["user"], "event": "notification", "payload": payload});
    let ws = parse_stream_event(&settings(), Some(&me), &frame.to_string()).unwrap();
    assert_eq!(ws, sse);
}

#[test]
fn stream_events_that_are_not_mentions_yield_nothing() {
    for name in [
        "streaming_sse_update.sse.txt",
        "streaming_sse_conversation.sse.txt",
        "streaming_ws_event_update.json",
        "streaming_ws_event_delete.json",
    ] {
        let events = parse_stream_event(&settings(), Some(&trwnh()), &fixture(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(events.is_empty(), "{name}: {events:?}");
    }
    let heartbeat = parse_stream_event(&settings(), None, ":thump\n\n").unwrap();
    assert!(heartbeat.is_empty());
}

#[test]
fn the_streamed_update_payloads_are_statuses_the_parser_reads() {
    // The `update` payloads are the same Status entity a mention carries.
    let sse: Status = serde_json::from_str(&fixture("streaming_sse_update.payload.json")).unwrap();
    assert_eq!(sse.id, "108914327388663283");
    assert_eq!(sse.in_reply_to_id.as_deref(), Some("108914298452377720"));
    assert_eq!(
        parse::status_text(&sse, None),
        "@disarray glad i was able to help"
    );
    let frame = json_fixture("streaming_ws_event_update.json");
    let ws: Status = serde_json::from_str(frame["payload"].as_str().unwrap()).unwrap();
    assert_eq!(ws.id, "108913983692647032");
    assert_eq!(
        parse::status_text(&ws, None),
        "And now I can't exit the inner nvim because I mapped escape to the parent vim instance 😂"
    );
}

#[test]
fn a_stream_error_frame_and_a_client_frame_are_errors() {
    let err = parse_stream_event(&settings(), None, &fixture("streaming_ws_error.json"));
    assert!(
        matches!(&err, Err(InboundError::Malformed(m)) if m.contains("Unknown stream type") && m.contains("400")),
        "{err:?}"
    );
    let sub = parse_stream_event(&settings(), None, &fixture("streaming_ws_subscribe.json"));
    assert!(matches!(sub, Err(InboundError::Malformed(_))), "{sub:?}");
}

#[test]
fn a_direct_mention_is_private_and_keeps_mentions_after_the_text() {
    // The direct stream's conversation carries a direct status; as a mention notification it
    // is a private message.
    let conv = json_fixture("streaming_sse_conversation.payload.json");
    let n = json!({"id": "900", "type": "mention", "status": conv["last_status"]});
    let n = notifications(n.to_string().as_bytes()).unwrap();
    let e = mention_event("masto", &n[0], Some(&trwnh())).unwrap();
    assert_eq!(e.visibility, Visibility::Private);
    assert_eq!(e.message_id, "109346889330629417");
    assert_eq!(e.author.handle, "108892712797543112");
    assert_eq!(e.text, "test @trwnh");
}

#[test]
fn status_html_becomes_plain_text() {
    let status = json_fixture("entity_status.json");
    assert_eq!(
        html_to_text(status["content"].as_str().unwrap()),
        "\"I lost my inheritance with one wrong digit on my sort code\"\n\n\
         https://www.theguardian.com/money/2019/dec/07/i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code"
    );
    assert_eq!(
        html_to_text(
            "<p>one<br>two<br/>three</p><p>a &amp; b &lt;3 &#39;x&#x27; &bogus; 5 &lt</p>"
        ),
        "one\ntwo\nthree\n\na & b <3 'x' &bogus; 5 &lt"
    );
    assert_eq!(html_to_text("a < b\n c"), "a < b  c");
}

#[test]
fn only_our_leading_mentions_are_removed() {
    let me = trwnh();
    let text = |html: &str| {
        let s: Status = serde_json::from_value(json!({"id": "1", "content": html})).unwrap();
        parse::status_text(&s, Some(&me))
    };
    assert_eq!(
        text("<p>@trwnh@mastodon.social, where is my order?</p>"),
        "where is my order?"
    );
    assert_eq!(text("<p>@TRWNH @bob hi @trwnh</p>"), "@bob hi @trwnh");
    assert_eq!(
        text("<p>@trwnh@elsewhere.example hi</p>"),
        "@trwnh@elsewhere.example hi"
    );
    assert_eq!(text("<p>@trwnh</p>"), "[empty mention]");
}

#[test]
fn attachments_and_content_warnings_are_kept_in_the_text() {
    // Constructed from the documented Status fields (spoiler_text, media_attachments).
    let s: Status = serde_json::from_value(json!({
        "id": "1",
        "spoiler_text": "broken lamp",
        "content": "<p>@trwnh look</p>",
        "media_attachments": [
            {"id": "22345792", "type": "image", "url": "https://files.example/a.jpeg",
             "description": "test media description"},
            {"id": "2", "type": "video", "url": "https://files.example/b.mp4", "description": null}
        ]
    }))
    .unwrap();
    assert_eq!(
        parse::status_text(&s, Some(&trwnh())),
        "[CW: broken lamp] look\n[image: test media description] https://files.example/a.jpeg\n[video] https://files.example/b.mp4"
    );
}

#[test]
fn the_documented_responses_parse_into_what_the_adapter_reads() {
    // POST /api/v1/statuses, .../favourite and .../reblog: the id becomes `Sent.external_id`.
    for (name, id) in [
        ("statuses_create_response.json", "103254962155278888"),
        ("statuses_favourite_response.json", "99734435964706331"),
        ("statuses_reblog_response.json", "103254401326800919"),
    ] {
        assert_eq!(json_fixture(name)["id"].as_str(), Some(id), "{name}");
    }
    // GET /api/v1/statuses/:id: the author's acct and the visibility a reply must not widen.
    let s: Status = serde_json::from_str(&fixture("statuses_get_response.json")).unwrap();
    let author = s.account.clone().unwrap();
    assert_eq!(
        (
            author.id.as_str(),
            author.acct.as_deref(),
            s.visibility.as_deref()
        ),
        ("1", Some("Gargron"), Some("public"))
    );
    assert_eq!(parse::status_text(&s, None), "Hello world");
    // verify_credentials answers an Account: our id and the hosts our mentions may name.
    let a: Account = serde_json::from_str(&fixture("entity_account.json")).unwrap();
    let me = Me::from_account(&a, "https://mastodon.social/");
    assert_eq!(me.id, "23634");
    assert_eq!(me.username, "noiob");
    assert_eq!(me.hosts, ["awoo.space", "mastodon.social"]);
    assert_eq!(
        parse::author_name(&a).as_deref(),
        Some("ikea shark fan account (@noiob@awoo.space)")
    );
}

#[test]
fn no_input_makes_the_parsers_panic() {
    let page = fixture("notifications_list_response.json");
    let sse = fixture("streaming_sse_notification_mention.sse.txt");
    let ws = fixture("streaming_ws_event_update.json");
    for text in [&page, &sse, &ws] {
        // Every byte prefix, cut UTF-8 sequences included.
        for i in 0..text.len() {
            let _ = parse_payload(&settings(), &text.as_bytes()[..i]);
        }
        for (i, _) in text.char_indices() {
            let _ = parse_stream_event(&settings(), Some(&trwnh()), &text[..i]);
            let _ = html_to_text(&text[..i]);
        }
    }
    for junk in [
        "",
        "null",
        "[1, \"x\", {}]",
        "{\"id\": 5, \"type\": \"mention\", \"status\": {\"id\": 6}}",
        "&#xFFFFFFFF; &#55296; <",
        "\u{0}<<>>&&;;",
    ] {
        let _ = parse_payload(&settings(), junk.as_bytes());
        let _ = parse_stream_event(&settings(), None, junk);
        let _ = html_to_text(junk);
    }
    let deep = "[".repeat(10_000);
    assert!(parse_payload(&settings(), deep.as_bytes()).is_err());
}

#[test]
fn numeric_ids_are_accepted_and_ordered_like_numbers() {
    let n = notifications(
        br#"{"id": 5, "type": "mention", "status": {"id": 6, "account": {"id": 7}}}"#,
    )
    .unwrap();
    let e = mention_event("masto", &n[0], None).unwrap();
    assert_eq!(
        (
            e.event_id.as_str(),
            e.message_id.as_str(),
            e.author.handle.as_str()
        ),
        ("5", "6", "7")
    );
    assert!(id_cmp("99", "100").is_lt());
    assert!(id_cmp("103186126728896492", "103186046267791694").is_gt());
}

#[test]
fn settings_need_the_instance_and_the_token_and_default_the_rest() {
    let s: MastodonSettings = toml::from_str(
        "name = \"masto\"\napi_base = \"https://mastodon.social\"\naccess_token = \"t\"",
    )
    .unwrap();
    assert_eq!(s.poll_interval_secs, 30);
    assert_eq!(s.reply_visibility, ReplyVisibility::Unlisted);
    assert_eq!(s.max_characters, 500);
    assert!(toml::from_str::<MastodonSettings>("name = \"m\"\naccess_token = \"t\"").is_err());
    assert!(toml::from_str::<MastodonSettings>(
        "name = \"m\"\napi_base = \"https://x\"\naccess_token = \"t\"\nwebhook_secret = \"s\""
    )
    .is_err());
    let tiny = MastodonSettings {
        poll_interval_secs: 1,
        ..settings()
    };
    let channel = MastodonChannel::new(tiny, std::time::Duration::from_secs(5));
    assert_eq!(
        Poller::interval(&channel).as_secs(),
        5,
        "at least five seconds"
    );
    assert!(channel.webhook().is_none() && channel.poller().is_some());
}

#[test]
fn html_with_unclosed_tags_converts_in_linear_time() {
    let html = "<".repeat(200_000);
    let started = std::time::Instant::now();
    assert_eq!(html_to_text(&html).len(), 200_000);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}
