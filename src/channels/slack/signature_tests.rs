//! Signatures: Slack's published signing example verifies; forged, tampered, truncated,
//! unsigned and replayed requests are refused before anything is parsed.

use axum::http::{HeaderMap, HeaderValue};

use super::tests::{channel, fixture, fixture_json, handle_with, settings, sign, NOW};
use super::*;
use crate::channels::webhook::Method;

#[test]
fn the_documented_signing_example_verifies() {
    let v = fixture_json("signing_secret_test_vector.json");
    let secret = v["signing_secret"].as_str().expect("secret");
    let ts = v["headers"]["X-Slack-Request-Timestamp"]
        .as_str()
        .expect("ts");
    let sig = v["headers"]["X-Slack-Signature"].as_str().expect("sig");
    let body = v["raw_body"].as_str().expect("body").as_bytes();
    let at: i64 = ts.parse().expect("number");
    assert_eq!(sign(secret, at, body), sig);
    assert!(verify(secret, Some(ts), Some(sig), body, at + 60).is_ok());
    // The form body of the example is not an event: verified, then refused as malformed.
    let mut s = settings();
    s.signing_secret = Secret::new(secret);
    let ch = SlackChannel::new(s, Duration::from_secs(5));
    let mut headers = HeaderMap::new();
    headers.insert(TIMESTAMP_HEADER, HeaderValue::from_str(ts).expect("ts"));
    headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(sig).expect("sig"));
    let req = WebhookRequest {
        method: Method::Post,
        query: "",
        headers: &headers,
        body,
        now_secs: at,
    };
    assert!(matches!(ch.handle(&req), Err(InboundError::Malformed(_))));
}

#[test]
fn forged_truncated_stale_and_missing_signatures_are_unauthorized() {
    let v = fixture_json("signing_secret_test_vector.json");
    let secret = v["signing_secret"].as_str().expect("secret");
    let ts = v["headers"]["X-Slack-Request-Timestamp"]
        .as_str()
        .expect("ts");
    let sig = v["headers"]["X-Slack-Signature"].as_str().expect("sig");
    let body = v["raw_body"].as_str().expect("body").as_bytes();
    let at: i64 = ts.parse().expect("number");
    let refused = |secret: &str, ts: Option<&str>, sig: Option<&str>, body: &[u8], now: i64| {
        matches!(
            verify(secret, ts, sig, body, now),
            Err(InboundError::Unauthorized(_))
        )
    };
    let flipped = format!(
        "{}{}",
        &sig[..sig.len() - 1],
        if sig.ends_with('3') { '4' } else { '3' }
    );
    assert!(
        refused(secret, Some(ts), Some(&flipped), body, at),
        "forged"
    );
    assert!(
        refused("another-secret", Some(ts), Some(sig), body, at),
        "wrong secret"
    );
    assert!(
        refused(secret, Some(ts), Some(sig), b"token=changed", at),
        "tampered body"
    );
    assert!(
        refused(secret, Some(ts), Some(&sig[..sig.len() - 2]), body, at),
        "truncated"
    );
    assert!(
        refused(secret, Some(ts), Some(&sig[3..]), body, at),
        "no v0="
    );
    assert!(
        refused(secret, Some(ts), Some("v0=zz"), body, at),
        "not hex"
    );
    assert!(refused(secret, Some(ts), None, body, at), "no signature");
    assert!(refused(secret, None, Some(sig), body, at), "no timestamp");
    assert!(
        refused(secret, Some("soon"), Some(sig), body, at),
        "not a number"
    );
    assert!(
        refused(secret, Some(ts), Some(sig), body, at + 301),
        "stale"
    );
    assert!(
        refused(secret, Some(ts), Some(sig), body, at - 301),
        "from the future"
    );
    assert!(
        !refused(secret, Some(ts), Some(sig), body, at + 300),
        "inside the window"
    );
    // The replayed request through the webhook: refused before anything is parsed.
    let ch = channel();
    let body = fixture("event_app_mention.json");
    let old = NOW - 600;
    let sig = sign(ch.settings.signing_secret.expose(), old, &body);
    assert!(matches!(
        handle_with(&ch, Some(&old.to_string()), Some(&sig), &body),
        Err(InboundError::Unauthorized(_))
    ));
}
