//! `/v1/openapi.json`: the API description (docs/openapi.json), kept in step with the routers
//! by a test that calls every documented operation.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::AppState;

pub const DOCUMENT: &str = include_str!("../../docs/openapi.json");

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/v1/openapi.json",
        get(|| async { ([(header::CONTENT_TYPE, "application/json")], DOCUMENT).into_response() }),
    )
}
