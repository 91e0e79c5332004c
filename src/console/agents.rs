//! Agent administration (`/console/agents`, admins only): create agents, change their role,
//! skills, groups and capacity, disable them, set a new password. The same rules as
//! `/v1/agents` and `hearken agents` (the desk's `desk::agents`).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::layout::{redirect, redirect_error, render, Page};
use crate::desk::agents::{self as ops, AgentChange, NewAgent};
use crate::http::auth::Principal;
use crate::http::{ApiError, AppState};
use crate::routing::Role;
use crate::store::agents::{self, AgentRow};

pub const ROUTES: &[(&str, &str, Role)] = &[
    ("GET", "/console/agents", Role::Admin),
    ("POST", "/console/agents", Role::Admin),
    ("GET", "/console/agents/{id}", Role::Admin),
    ("POST", "/console/agents/{id}", Role::Admin),
    ("POST", "/console/agents/{id}/password", Role::Admin),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/agents", get(list).post(create))
        .route("/console/agents/{id}", get(edit).post(update))
        .route("/console/agents/{id}/password", post(password))
}

/// "billing=4, orders" as skills (a bare skill is level 3).
pub fn parse_skills(text: &str) -> Result<BTreeMap<String, u8>, String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(ops::parse_skill)
        .collect()
}

fn parse_list(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

pub fn skills_text(a: &AgentRow) -> String {
    a.agent
        .skills
        .iter()
        .map(|(s, l)| format!("{s}={l}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Template)]
#[template(path = "console/agents.html")]
struct ListPage {
    page: Page,
    agents: Vec<(AgentRow, String)>,
}

async fn list(
    State(state): State<AppState>,
    p: Principal,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let all = agents::list(&state.engine.store).await?;
    let t = ListPage {
        page: Page::new(&p, &headers, "Agents", "agents"),
        agents: all
            .into_iter()
            .map(|a| {
                let s = skills_text(&a);
                (a, s)
            })
            .collect(),
    };
    Ok(render(&t, &t.page))
}

#[derive(Deserialize)]
struct CreateForm {
    login: String,
    name: String,
    role: String,
    #[serde(default)]
    skills: String,
    #[serde(default)]
    groups: String,
    capacity: u32,
    password: String,
}

async fn create(State(state): State<AppState>, Form(f): Form<CreateForm>) -> Response {
    let back = "/console/agents";
    let Some(role) = Role::parse(&f.role) else {
        return redirect(back, "error", "The role is agent, supervisor or admin.");
    };
    let skills = match parse_skills(&f.skills) {
        Ok(s) => s,
        Err(e) => return redirect(back, "error", &e),
    };
    let n = NewAgent {
        login: f.login,
        name: f.name,
        role,
        skills,
        groups: parse_list(&f.groups),
        capacity: f.capacity,
        password: f.password,
    };
    let login = n.login.clone();
    match ops::create(&state.engine, n).await {
        Ok(_) => redirect(
            back,
            "ok",
            &format!("Created {login}. They can sign in now."),
        ),
        Err(e) => redirect_error(back, &ApiError::from(e)),
    }
}

#[derive(Template)]
#[template(path = "console/agent_edit.html")]
struct EditPage {
    page: Page,
    a: AgentRow,
    skills: String,
    groups: String,
}

async fn edit(
    State(state): State<AppState>,
    p: Principal,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let a = agents::get(&state.engine.store, id).await?;
    let t = EditPage {
        page: Page::new(&p, &headers, format!("Agent {}", a.agent.login), "agents"),
        skills: skills_text(&a),
        groups: a.agent.groups.join(", "),
        a,
    };
    Ok(render(&t, &t.page))
}

#[derive(Deserialize)]
struct EditForm {
    name: String,
    role: String,
    #[serde(default)]
    skills: String,
    #[serde(default)]
    groups: String,
    capacity: u32,
    /// A checkbox: present when checked.
    #[serde(default)]
    disabled: Option<String>,
}

async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(f): Form<EditForm>,
) -> Response {
    let back = format!("/console/agents/{id}");
    let Some(role) = Role::parse(&f.role) else {
        return redirect(&back, "error", "The role is agent, supervisor or admin.");
    };
    let skills = match parse_skills(&f.skills) {
        Ok(s) => s,
        Err(e) => return redirect(&back, "error", &e),
    };
    let change = AgentChange {
        name: Some(f.name),
        role: Some(role),
        skills: Some(skills),
        groups: Some(parse_list(&f.groups)),
        capacity: Some(f.capacity),
        disabled: Some(f.disabled.is_some()),
    };
    match ops::update(&state.engine, id, change).await {
        Ok(()) => redirect(&back, "ok", "Saved."),
        Err(e) => redirect_error(&back, &ApiError::from(e)),
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    password: String,
}

async fn password(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(f): Form<PasswordForm>,
) -> Response {
    let back = format!("/console/agents/{id}");
    match ops::set_password(&state.engine, id, f.password).await {
        Ok(()) => redirect(&back, "ok", "Password changed; their sessions have ended."),
        Err(e) => redirect_error(&back, &ApiError::from(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skills_are_written_as_name_equals_level() {
        let s = parse_skills("billing=4, orders\ncomplaints=5").unwrap();
        assert_eq!(s["billing"], 4);
        assert_eq!(s["orders"], 3);
        assert_eq!(s["complaints"], 5);
        assert!(parse_skills("billing=9").is_err());
        assert!(parse_skills("").unwrap().is_empty());
    }
}
