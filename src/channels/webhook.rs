//! Inbound webhooks: the request an adapter verifies and parses, its answer, its errors, and
//! the HMAC and constant-time helpers every platform's scheme shares.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::InboundEvent;

/// `GET` is a platform's handshake (X CRC, Meta `hub.challenge`); `POST` carries events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// One request to `/v1/channels/<name>/webhook`, raw: adapters verify before they parse.
pub struct WebhookRequest<'a> {
    pub method: Method,
    /// The raw query string, without `?`.
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    /// Wall-clock unix seconds, for timestamped schemes.
    pub now_secs: i64,
}

impl WebhookRequest<'_> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// One query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// What the route answers.
#[derive(Debug)]
pub enum WebhookReply {
    /// Events to commit to the inbox; 200 once they are committed. Empty: acknowledged, nothing
    /// to store (typing indicators, read receipts, our own posts).
    Events(Vec<InboundEvent>),
    /// A handshake answered as is (CRC, challenge); nothing is stored.
    Respond {
        status: u16,
        content_type: &'static str,
        body: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    /// Missing, wrong, stale or malformed signature: 401, counted and logged.
    #[error("{0}")]
    Unauthorized(String),
    /// A handshake with the wrong verify token: 403, counted and logged.
    #[error("{0}")]
    Forbidden(String),
    /// Verified, but not a payload we can read: 400 with the reason.
    #[error("malformed payload: {0}")]
    Malformed(String),
}

/// An adapter that receives webhooks. Synchronous: verifying and parsing never wait on I/O.
pub trait Webhook: Send + Sync {
    fn handle(&self, req: &WebhookRequest<'_>) -> Result<WebhookReply, InboundError>;
}

/// HMAC-SHA256 of the concatenated `parts`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// Whether `expected` is the HMAC-SHA256 of `parts`, compared in constant time.
pub fn hmac_sha256_matches(key: &[u8], parts: &[&[u8]], expected: &[u8]) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    mac.verify_slice(expected).is_ok()
}

/// Constant-time equality for tokens compared as they are (Telegram's secret, Meta's verify
/// token). The length is not secret.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_only_the_exact_digest() {
        let mac = hmac_sha256(b"key", &[b"a", b"b"]);
        assert!(hmac_sha256_matches(b"key", &[b"ab"], &mac));
        assert!(!hmac_sha256_matches(b"key", &[b"ab"], &mac[..31]));
        assert!(!hmac_sha256_matches(b"other", &[b"ab"], &mac));
    }

    #[test]
    fn constant_time_eq_compares_length_and_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn query_params_are_percent_decoded() {
        let headers = HeaderMap::new();
        let req = WebhookRequest {
            method: Method::Get,
            query: "hub.mode=subscribe&hub.verify_token=a%20b&crc_token=x%2By",
            headers: &headers,
            body: b"",
            now_secs: 0,
        };
        assert_eq!(req.query_param("hub.verify_token").as_deref(), Some("a b"));
        assert_eq!(req.query_param("crc_token").as_deref(), Some("x+y"));
        assert_eq!(req.query_param("missing"), None);
    }
}
