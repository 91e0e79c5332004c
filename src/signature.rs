//! HMAC-SHA256 request signatures, hearken's own scheme for outbound webhooks, ticket webhooks
//! and the API channel: `X-Hearken-Signature: t=<unix seconds>,v1=<hex hmac(secret, "<t>.<body>")>`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const HEADER: &str = "x-hearken-signature";
/// A signature older or newer than this is refused (replay window).
pub const WINDOW_SECS: i64 = 300;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SignatureError {
    #[error("missing X-Hearken-Signature header")]
    Missing,
    #[error("malformed X-Hearken-Signature header: expected t=<unix seconds>,v1=<hex>")]
    Malformed,
    #[error("signature timestamp outside the {WINDOW_SECS} s window")]
    Expired,
    #[error("signature does not match the body")]
    Mismatch,
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length; this is a bug");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value for `body` signed at `timestamp` (unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(tag))
}

/// Check a header value against the raw body, in constant time.
pub fn verify(
    secret: &str,
    header: Option<&str>,
    body: &[u8],
    now_secs: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return Err(SignatureError::Malformed);
    };
    if (now_secs - t).abs() > WINDOW_SECS {
        return Err(SignatureError::Expired);
    }
    mac(secret, t, body)
        .verify_slice(&v1)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_body_verifies_and_a_changed_one_does_not() {
        let h = sign("s3cret", 1_700_000_000, b"{\"a\":1}");
        assert_eq!(
            verify("s3cret", Some(&h), b"{\"a\":1}", 1_700_000_010),
            Ok(())
        );
        assert_eq!(
            verify("s3cret", Some(&h), b"{\"a\":2}", 1_700_000_010),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("other", Some(&h), b"{\"a\":1}", 1_700_000_010),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn old_signatures_and_garbage_are_refused() {
        let h = sign("s", 1_700_000_000, b"x");
        assert_eq!(
            verify("s", Some(&h), b"x", 1_700_001_000),
            Err(SignatureError::Expired)
        );
        assert_eq!(
            verify("s", Some("v1=zz"), b"x", 0),
            Err(SignatureError::Malformed)
        );
        assert_eq!(verify("s", None, b"x", 0), Err(SignatureError::Missing));
    }
}
