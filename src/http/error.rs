//! HTTP errors: one enum, one table to status and stable machine code. Internal details are
//! logged once and never sent to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("missing or wrong bearer token")]
    Unauthorized,
    #[error("{0}")]
    BadSignature(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("this needs the {} role", .0.as_str())]
    InsufficientRole(crate::routing::Role),
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("too many failed logins; try again in {0} s")]
    RateLimited(i64),
    #[error("{0} not found")]
    NotFound(String),
    #[error("no channel named {0:?} is configured")]
    UnknownChannel(String),
    #[error("{0}")]
    Conflict(String),
    #[error("request body larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("the service is starting: {0}")]
    NotReady(String),
    #[error("the database is unavailable; retry shortly")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
    /// An operation's own error with the code it declares (`review`, ...).
    #[error("{message}")]
    Operation {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
}

impl ApiError {
    /// The table: status and stable machine code of each error.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::BadSignature(_) => (StatusCode::UNAUTHORIZED, "bad_signature"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::InsufficientRole(_) => (StatusCode::FORBIDDEN, "insufficient_role"),
            Self::Csrf => (StatusCode::FORBIDDEN, "csrf_failed"),
            Self::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::UnknownChannel(_) => (StatusCode::NOT_FOUND, "unknown_channel"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::NotReady(_) => (StatusCode::SERVICE_UNAVAILABLE, "not_ready"),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            Self::Operation { status, code, .. } => (*status, code),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            Self::Internal(detail) => {
                tracing::error!(detail, "internal error");
                "internal error".to_string()
            }
            Self::Unavailable(detail) => {
                tracing::warn!(detail, "store unavailable");
                self.to_string()
            }
            Self::BadSignature(detail) | Self::Forbidden(detail) => {
                tracing::warn!(detail, "request refused: bad signature");
                self.to_string()
            }
            Self::InsufficientRole(_) | Self::Csrf => {
                tracing::warn!(error = %self, "request refused");
                self.to_string()
            }
            _ => self.to_string(),
        };
        let mut resp = (
            status,
            Json(json!({ "error": { "code": code, "message": message } })),
        )
            .into_response();
        if matches!(self, Self::Unavailable(_) | Self::NotReady(_)) {
            resp.headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from_static("5"));
        }
        if let Self::RateLimited(secs) = self {
            if let Ok(v) = axum::http::HeaderValue::from_str(&secs.max(1).to_string()) {
                resp.headers_mut().insert("retry-after", v);
            }
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(m) => Self::Unavailable(m),
            StoreError::NotFound(m) => Self::NotFound(m),
            StoreError::Conflict(m) => Self::Conflict(m),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<crate::intake::IntakeError> for ApiError {
    fn from(e: crate::intake::IntakeError) -> Self {
        match e {
            crate::intake::IntakeError::Store(s) => s.into(),
            crate::intake::IntakeError::Stopped => Self::NotReady("shutting down".into()),
        }
    }
}

/// Read a body extracted as bytes, turning the size limit into 413 with our JSON error.
pub fn body(
    b: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
    limit: usize,
) -> Result<axum::body::Bytes, ApiError> {
    b.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge(limit)
        } else {
            ApiError::BadRequest(r.body_text())
        }
    })
}

/// Parse JSON with the reason (line, column, field) in the 400.
pub fn json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))
}

impl From<crate::review::ReviewError> for ApiError {
    fn from(e: crate::review::ReviewError) -> Self {
        use crate::review::ReviewError as R;
        let status = match e {
            R::Store(s) => return s.into(),
            R::NotReady => return Self::NotReady(e.to_string()),
            R::Files(m) => return Self::Internal(m),
            R::Nlu(crate::nlu::NluError::Overloaded) => StatusCode::TOO_MANY_REQUESTS,
            R::Nlu(n) => return Self::Internal(n.to_string()),
            R::MessageNotFound(_) => StatusCode::NOT_FOUND,
            R::NotCustomerMessage(_)
            | R::UnknownIntent { .. }
            | R::NoteTooLong { .. }
            | R::EmptyText(_)
            | R::BadInput(_) => StatusCode::BAD_REQUEST,
            R::AlreadyReviewed { .. }
            | R::DuplicateExample { .. }
            | R::ExampleElsewhere { .. }
            | R::IntentsInvalid(_)
            | R::WriteRefused(_) => StatusCode::CONFLICT,
        };
        Self::Operation {
            status,
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl From<crate::desk::DeskError> for ApiError {
    fn from(e: crate::desk::DeskError) -> Self {
        use crate::desk::DeskError;
        use crate::routing::RoutingError as R;
        match e {
            DeskError::Store(s) => s.into(),
            DeskError::NotYours(m) => Self::Forbidden(m),
            DeskError::BadInput(m) => Self::BadRequest(m),
            DeskError::Conflict(m) => Self::Conflict(m),
            DeskError::Internal(m) => Self::Internal(m),
            DeskError::Routing(r) => match r {
                R::UnknownAgent(id) => Self::NotFound(format!("agent {id}")),
                R::UnknownDisposition { .. } | R::BadSkillLevel { .. } => {
                    Self::BadRequest(r.to_string())
                }
                R::Config(_) => Self::Internal(r.to_string()),
                _ => Self::Conflict(r.to_string()),
            },
        }
    }
}
