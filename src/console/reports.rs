//! Console: the reports pages (being built).

use axum::Router;

use crate::http::AppState;
use crate::routing::Role;

pub const ROUTES: &[(&str, &str, Role)] = &[];

pub fn router() -> Router<AppState> {
    Router::new()
}
