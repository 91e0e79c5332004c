//! The queue view (`/console`): my offers with accept and decline, my conversations, the
//! waiting queue by skill, and my status.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::layout::{ago, redirect, redirect_error, render, Page};
use crate::desk::commands;
use crate::http::auth::Principal;
use crate::http::{ApiError, AppState};
use crate::routing::{Place, Priority, Role, Status};
use crate::store::routing::{overview, Overview};

pub const ROUTES: &[(&str, &str, Role)] = &[
    ("GET", "/console", Role::Agent),
    ("POST", "/console/status", Role::Agent),
    ("POST", "/console/conversations/{id}/accept", Role::Agent),
    ("POST", "/console/conversations/{id}/decline", Role::Agent),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(page))
        .route("/console/status", post(status))
        .route("/console/conversations/{id}/accept", post(accept))
        .route("/console/conversations/{id}/decline", post(decline))
}

/// One routed conversation as a list row.
pub struct Row {
    pub id: i64,
    pub who: String,
    pub channel: String,
    pub visibility: String,
    pub skill: String,
    pub priority: &'static str,
    pub reason: String,
    pub preview: String,
    pub waited: String,
    /// Seconds left on an offer.
    pub expires_in: Option<i64>,
    pub agent: Option<String>,
    pub state: &'static str,
}

pub fn priority_name(p: Priority) -> &'static str {
    match p {
        Priority::Urgent => "urgent",
        Priority::High => "high",
        Priority::Normal => "normal",
    }
}

pub fn row(o: &Overview, now: i64) -> Row {
    let item = &o.row.placed.item;
    let preview: String = o.last_message.clone().unwrap_or_default();
    let preview = if preview.chars().count() > 140 {
        format!("{}…", preview.chars().take(140).collect::<String>())
    } else {
        preview
    };
    Row {
        id: item.conversation_id,
        who: o
            .contact_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| format!("contact {}", o.contact_id)),
        channel: o.row.channel.clone(),
        visibility: o.visibility.clone(),
        skill: item
            .group
            .clone()
            .map_or_else(|| item.skill.clone(), |g| format!("group {g}")),
        priority: priority_name(item.priority),
        reason: item.reason.clone(),
        preview,
        waited: ago(now - o.row.escalated_at),
        expires_in: match o.row.placed.place {
            Place::Offered { expires_at_ms, .. } => Some(((expires_at_ms - now) / 1000).max(0)),
            _ => None,
        },
        agent: o.agent_login.clone(),
        state: o.row.placed.place.state(),
    }
}

pub struct SkillGroup {
    pub skill: String,
    pub rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "console/queue.html")]
struct QueuePage {
    page: Page,
    offers: Vec<Row>,
    mine: Vec<Row>,
    waiting: Vec<SkillGroup>,
    waiting_total: usize,
}

async fn page(
    State(state): State<AppState>,
    p: Principal,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let now = state.engine.clock.now_ms();
    let page = Page::new(&p, &headers, "Queue", "queue");
    let me = page.me_id;
    let all = overview(&state.engine.store).await?;
    let mut offers = Vec::new();
    let mut mine = Vec::new();
    let mut groups: Vec<SkillGroup> = Vec::new();
    let mut waiting_total = 0;
    for o in &all {
        let r = row(o, now);
        match o.row.placed.place {
            Place::Offered { agent_id, .. } if agent_id == me => offers.push(r),
            Place::Assigned { agent_id, .. } if agent_id == me => mine.push(r),
            Place::Assigned { .. } => {}
            Place::Queued | Place::Offered { .. } => {
                waiting_total += 1;
                match groups.iter_mut().find(|g| g.skill == r.skill) {
                    Some(g) => g.rows.push(r),
                    None => groups.push(SkillGroup {
                        skill: r.skill.clone(),
                        rows: vec![r],
                    }),
                }
            }
        }
    }
    groups.sort_by(|a, b| a.skill.cmp(&b.skill));
    let t = QueuePage {
        offers,
        mine,
        waiting: groups,
        waiting_total,
        page,
    };
    Ok(render(&t, &t.page))
}

#[derive(Deserialize)]
struct StatusForm {
    status: String,
}

async fn status(
    State(state): State<AppState>,
    p: Principal,
    Form(f): Form<StatusForm>,
) -> Response {
    let Some(status) = Status::parse(&f.status) else {
        return redirect(
            "/console",
            "error",
            "Status must be online, away or offline.",
        );
    };
    let who = p.who();
    let Some(me) = who.agent_id else {
        return redirect("/console", "error", "Only a signed-in agent has a status.");
    };
    match commands::set_status(&state.engine, &who, me, status).await {
        Ok(_) => {
            state.engine.wake.routing.notify_one();
            redirect("/console", "ok", &format!("You are {}.", status.as_str()))
        }
        Err(e) => redirect_error("/console", &e.into()),
    }
}

async fn accept(State(state): State<AppState>, p: Principal, Path(id): Path<i64>) -> Response {
    match commands::accept(&state.engine, &p.who(), id, None).await {
        Ok(_) => redirect(
            &format!("/console/conversations/{id}"),
            "ok",
            "Accepted: the conversation is yours.",
        ),
        Err(e) => redirect_error("/console", &e.into()),
    }
}

async fn decline(State(state): State<AppState>, p: Principal, Path(id): Path<i64>) -> Response {
    match commands::decline(&state.engine, &p.who(), id, None).await {
        Ok(_) => {
            state.engine.wake.routing.notify_one();
            redirect("/console", "ok", "Declined: it goes to the next agent.")
        }
        Err(e) => redirect_error("/console", &e.into()),
    }
}
