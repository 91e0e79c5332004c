//! `JsonBody<T>`: the extractor of every JSON route. A body over the limit is 413, malformed
//! JSON 400 with the reason (line, column, field), both as our JSON error. Webhooks read raw
//! bytes instead: their signatures cover the bytes as sent.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use super::error::{body, json};
use super::{ApiError, AppState};

/// A JSON body, parsed into `T`.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let raw = Bytes::from_request(req, state).await;
        let bytes = body(raw, state.engine.settings.server.body_limit_bytes)?;
        Ok(Self(json(&bytes)?))
    }
}

/// A JSON body where an empty one means `{}`: most desk actions need nothing more.
pub struct ActionBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ActionBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let raw = Bytes::from_request(req, state).await;
        let bytes = body(raw, state.engine.settings.server.body_limit_bytes)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(json(b"{}")?));
        }
        Ok(Self(json(&bytes)?))
    }
}
