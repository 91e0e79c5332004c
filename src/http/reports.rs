//! `/v1/reports` (the period's figures as JSON) and `/metrics` (Prometheus text format).

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

use super::{ApiError, AppState};
use crate::desk::{self, reports::PeriodQuery};
use crate::metrics;
use crate::reports::Report;
use crate::store;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/reports", get(report))
        .route("/metrics", get(prometheus))
}

async fn report(
    State(state): State<AppState>,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> Result<Json<Report>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::BadRequest(format!("query: {}", e.body_text())))?;
    Ok(Json(desk::reports::build(&state.engine, &q).await?))
}

async fn prometheus(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let engine = &state.engine;
    let mut out = String::new();
    engine.metrics.render(&mut out);
    // Gauges are read from the store: the same for every process sharing it.
    let mut queue = BTreeMap::<String, u64>::new();
    for r in store::routing::all(&engine.store).await? {
        *queue
            .entry(format!(
                "state=\"{}\",skill=\"{}\"",
                r.placed.place.state(),
                metrics::escape(&r.placed.item.skill)
            ))
            .or_default() += 1;
    }
    metrics::header(
        &mut out,
        "hearken_queue_length",
        "Escalated conversations in routing, by state (queued, offered, assigned) and skill.",
        "gauge",
    );
    for (labels, n) in &queue {
        out.push_str(&format!("hearken_queue_length{{{labels}}} {n}\n"));
    }
    let mut agents = BTreeMap::<String, u64>::new();
    for a in store::agents::list(&engine.store).await? {
        if !a.disabled {
            *agents
                .entry(a.agent.status.as_str().to_string())
                .or_default() += 1;
        }
    }
    metrics::family(
        &mut out,
        "hearken_agents",
        "Enabled agents by status.",
        "gauge",
        "status",
        &agents,
    );
    let as_map = |rows: Vec<(String, i64)>| -> BTreeMap<String, u64> {
        rows.into_iter()
            .map(|(k, n)| (k, n.max(0) as u64))
            .collect()
    };
    metrics::family(
        &mut out,
        "hearken_inbox_messages",
        "Received platform events by status (pending ones wait for the pipeline).",
        "gauge",
        "status",
        &as_map(store::inbox::counts(&engine.store).await?),
    );
    metrics::family(
        &mut out,
        "hearken_outbox_actions",
        "Platform actions by status (pending ones wait to be sent or retried).",
        "gauge",
        "status",
        &as_map(store::outbox::counts(&engine.store).await?),
    );
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    ))
}
