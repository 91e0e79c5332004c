//! The supervisor view (`/console/supervisor`): every agent with status and load, every routed
//! conversation, and reassigning (a direct offer to an agent, or back to a skill or group).

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::layout::{ago, redirect, redirect_error, render, Page};
use super::queue::{row, Row};
use crate::desk::commands;
use crate::http::auth::Principal;
use crate::http::{ApiError, AppState};
use crate::routing::{Place, Role, Status, Target};
use crate::store::{agents, routing};

pub const ROUTES: &[(&str, &str, Role)] = &[
    ("GET", "/console/supervisor", Role::Supervisor),
    ("POST", "/console/supervisor/reassign", Role::Supervisor),
    ("POST", "/console/supervisor/status", Role::Supervisor),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/supervisor", get(page))
        .route("/console/supervisor/reassign", post(reassign))
        .route("/console/supervisor/status", post(status))
}

/// One agent as the supervisor sees them.
pub struct AgentLine {
    pub id: i64,
    pub name: String,
    pub login: String,
    pub role: &'static str,
    pub status: &'static str,
    pub disabled: bool,
    pub skills: String,
    pub groups: String,
    pub capacity: u32,
    pub load: usize,
    pub offers: usize,
    pub idle: String,
    /// Can take a direct offer now (online, not full).
    pub free: bool,
}

#[derive(Template)]
#[template(path = "console/supervisor.html")]
struct SupervisorPage {
    page: Page,
    agents: Vec<AgentLine>,
    items: Vec<Row>,
    skills: Vec<String>,
    groups: Vec<String>,
    waiting: usize,
    offered: usize,
    assigned: usize,
}

async fn page(
    State(state): State<AppState>,
    p: Principal,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let engine = &state.engine;
    let now = engine.clock.now_ms();
    let all = routing::overview(&engine.store).await?;
    let people = agents::list(&engine.store).await?;
    let mut skills: Vec<String> = engine
        .brain()
        .map(|b| b.bot.settings.skills.clone())
        .unwrap_or_default();
    let mut groups: Vec<String> = Vec::new();
    let lines = people
        .iter()
        .map(|a| {
            let held = |want: &str| {
                all.iter()
                    .filter(|o| {
                        o.row.placed.place.agent_id() == Some(a.agent.id)
                            && o.row.placed.place.state() == want
                    })
                    .count()
            };
            let (load, offers) = (held("assigned"), held("offered"));
            skills.extend(a.agent.skills.keys().cloned());
            groups.extend(a.agent.groups.iter().cloned());
            AgentLine {
                id: a.agent.id,
                name: a.agent.name.clone(),
                login: a.agent.login.clone(),
                role: a.agent.role.as_str(),
                status: a.agent.status.as_str(),
                disabled: a.disabled,
                skills: a
                    .agent
                    .skills
                    .iter()
                    .map(|(s, l)| format!("{s} {l}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                groups: a.agent.groups.join(", "),
                capacity: a.agent.capacity,
                load,
                offers,
                idle: if load + offers == 0 && a.agent.status == Status::Online {
                    ago(now - a.agent.idle_since_ms)
                } else {
                    String::new()
                },
                free: !a.disabled
                    && a.agent.status == Status::Online
                    && load + offers < a.agent.capacity as usize,
            }
        })
        .collect();
    skills.sort();
    skills.dedup();
    groups.sort();
    groups.dedup();
    let count = |f: fn(&Place) -> bool| all.iter().filter(|o| f(&o.row.placed.place)).count();
    let t = SupervisorPage {
        page: Page::new(&p, &headers, "Supervisor", "supervisor"),
        agents: lines,
        items: all.iter().map(|o| row(o, now)).collect(),
        skills,
        groups,
        waiting: count(|p| matches!(p, Place::Queued)),
        offered: count(|p| matches!(p, Place::Offered { .. })),
        assigned: count(|p| matches!(p, Place::Assigned { .. })),
    };
    Ok(render(&t, &t.page))
}

#[derive(Deserialize)]
struct Reassign {
    conversation_id: i64,
    /// `agent:<id>`, `skill:<name>` or `group:<name>`.
    to: String,
}

fn target(to: &str) -> Option<Target> {
    let (kind, value) = to.split_once(':')?;
    match kind {
        "agent" => value.parse().ok().map(Target::Agent),
        "skill" if !value.is_empty() => Some(Target::Skill(value.into())),
        "group" if !value.is_empty() => Some(Target::Group(value.into())),
        _ => None,
    }
}

async fn reassign(
    State(state): State<AppState>,
    p: Principal,
    Form(f): Form<Reassign>,
) -> Response {
    let back = "/console/supervisor";
    let Some(t) = target(&f.to) else {
        return redirect(back, "error", "Choose an agent, a skill or a group.");
    };
    match commands::transfer(&state.engine, &p.who(), f.conversation_id, t).await {
        Ok(_) => {
            state.engine.wake.routing.notify_one();
            redirect(
                back,
                "ok",
                &format!("Conversation {} reassigned.", f.conversation_id),
            )
        }
        Err(e) => redirect_error(back, &e.into()),
    }
}

#[derive(Deserialize)]
struct StatusForm {
    agent_id: i64,
    status: String,
}

async fn status(
    State(state): State<AppState>,
    p: Principal,
    Form(f): Form<StatusForm>,
) -> Response {
    let back = "/console/supervisor";
    let Some(status) = Status::parse(&f.status) else {
        return redirect(back, "error", "Status must be online, away or offline.");
    };
    match commands::set_status(&state.engine, &p.who(), f.agent_id, status).await {
        Ok(_) => {
            state.engine.wake.routing.notify_one();
            redirect(back, "ok", "Status changed.")
        }
        Err(e) => redirect_error(back, &e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reassign_target_is_an_agent_a_skill_or_a_group() {
        assert_eq!(target("agent:4"), Some(Target::Agent(4)));
        assert_eq!(
            target("skill:billing"),
            Some(Target::Skill("billing".into()))
        );
        assert_eq!(target("group:vip"), Some(Target::Group("vip".into())));
        assert_eq!(target("agent:x"), None);
        assert_eq!(target("skill:"), None);
        assert_eq!(target("nobody"), None);
    }
}
