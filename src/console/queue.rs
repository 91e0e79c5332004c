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
    /// The engine's reason, in full (shown on hover).
    pub reason: String,
    /// Why, in the words an agent reads: "Complaint, angry — routed to complaints".
    pub why: String,
    pub preview: String,
    pub waited: String,
    /// Seconds left on an offer.
    pub expires_in: Option<i64>,
    pub agent: Option<String>,
    pub state: &'static str,
}

/// Why a conversation reached a person, in words: what it is (from the escalation cause and,
/// for an intent, its name), how the customer feels (urgent means a complaint that is also
/// negative), and where it went.
pub fn why_in_words(cause: &str, reason: &str, priority: Priority, skill: &str) -> String {
    let intent = reason
        .strip_prefix("intent '")
        .and_then(|r| r.split('\'').next())
        .map(|i| {
            let words = i.replace('_', " ");
            let mut c = words.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        });
    let what = match cause {
        "complaint" => "Complaint".to_string(),
        "negative_sentiment" => "Upset customer".to_string(),
        "unsure" => "The bot was unsure".to_string(),
        "no_response" => "No answer written for this question".to_string(),
        "no_ticket_integration" => "Needs a ticket (no ticket system set up)".to_string(),
        "send_failed" => "A reply could not be delivered".to_string(),
        "manual" => "Sent to the queue by a person".to_string(),
        _ => intent.unwrap_or_else(|| "Needs a person".to_string()),
    };
    let mood = match priority {
        Priority::Urgent => ", angry",
        _ => "",
    };
    format!("{what}{mood} — routed to {}", skill.replace('_', " "))
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
        who: super::people::customer_label(
            o.contact_name.as_deref(),
            o.contact_handle.as_deref().unwrap_or_default(),
            &o.row.channel,
        ),
        channel: super::people::platform_name(&o.row.channel),
        visibility: o.visibility.clone(),
        skill: item
            .group
            .clone()
            .map_or_else(|| item.skill.clone(), |g| format!("group {g}")),
        priority: priority_name(item.priority),
        reason: item.reason.clone(),
        why: why_in_words(&o.row.cause, &item.reason, item.priority, &item.skill),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_is_told_in_words_with_the_skill() {
        assert_eq!(
            why_in_words(
                "intent",
                "intent 'complaint' at 0.97 (threshold 0.50): escalated to complaints, priority urgent",
                Priority::Urgent,
                "complaints"
            ),
            "Complaint, angry — routed to complaints"
        );
        assert_eq!(
            why_in_words(
                "intent",
                "intent 'speak_to_human' at 1.00 (threshold 0.50): escalated",
                Priority::Normal,
                "private_messages"
            ),
            "Speak to human — routed to private messages"
        );
        assert_eq!(
            why_in_words("unsure", "low confidence 0.31", Priority::Normal, "general"),
            "The bot was unsure — routed to general"
        );
        assert_eq!(
            why_in_words("negative_sentiment", "x", Priority::High, "orders"),
            "Upset customer — routed to orders"
        );
    }
}
