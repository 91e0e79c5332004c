//! The review page (`/console/review`, admins): the customer messages the bot was unsure of,
//! escalated or that agents marked, grouped by nearest intent, with a filter by reason; each
//! can be assigned to an intent (the example is written to the intent file and the figures
//! before and after come back in the flash) or dismissed. The operations are
//! `crate::review`'s; this page only lays them out.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::layout::{error_page, redirect, redirect_error, render, when, Page};
use crate::http::auth::Principal;
use crate::http::{ApiError, AppState};
use crate::review::{self, measure, Ctx, Filter, Item, Reason};
use crate::routing::Role;

pub const ROUTES: &[(&str, &str, Role)] = &[
    ("GET", "/console/review", Role::Admin),
    ("POST", "/console/review/{id}/assign", Role::Admin),
    ("POST", "/console/review/{id}/dismiss", Role::Admin),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/review", get(page))
        .route("/console/review/{id}/assign", post(assign))
        .route("/console/review/{id}/dismiss", post(dismiss))
}

/// Recently handled items shown under the list.
const HANDLED_SHOWN: i64 = 20;

struct ItemView {
    id: i64,
    conversation_id: i64,
    text: String,
    channel: String,
    when: String,
    confidence: String,
    reasons: Vec<&'static str>,
    why: String,
    nearest: String,
    /// The intents to choose from, with the one to preselect.
    choices: Vec<(String, bool)>,
}

struct GroupView {
    intent: String,
    items: Vec<ItemView>,
}

struct HandledView {
    id: i64,
    text: String,
    outcome: String,
    actor: String,
    when: String,
    file: String,
}

#[derive(Template)]
#[template(path = "console/review.html")]
struct ReviewPage {
    page: Page,
    reason: String,
    reasons: Vec<(&'static str, &'static str)>,
    groups: Vec<GroupView>,
    count: usize,
    handled: Vec<HandledView>,
    /// The intent files cannot be read: assignments are not possible now.
    files_error: Option<String>,
}

impl ReviewPage {
    fn selected(&self, value: &str) -> bool {
        self.reason == value
    }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    reason: String,
}

fn view(item: Item, intents: &[String]) -> ItemView {
    // An agent's suggestion first, then the bot's own guess.
    let preselect = item
        .marks
        .iter()
        .rev()
        .find_map(|m| m.intent.clone())
        .or_else(|| item.intent.clone())
        .unwrap_or_default();
    ItemView {
        id: item.message_id,
        conversation_id: item.conversation_id,
        channel: format!("{} · {}", item.channel, item.visibility),
        when: when(item.created_at),
        confidence: item
            .confidence
            .map_or_else(|| "—".into(), |c| format!("{c:.2}")),
        reasons: item.reasons.iter().map(|r| r.label()).collect(),
        why: item.why,
        nearest: item
            .nearest
            .iter()
            .map(|n| format!("{} {:.2}", n.intent, n.confidence))
            .collect::<Vec<_>>()
            .join(" · "),
        choices: intents
            .iter()
            .map(|i| (i.clone(), *i == preselect))
            .collect(),
        text: item.text,
    }
}

async fn page(
    State(state): State<AppState>,
    p: Principal,
    headers: HeaderMap,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let reason = match q.reason.as_str() {
        "" => None,
        r => match Reason::parse(r) {
            Ok(r) => Some(r),
            Err(e) => return Ok(error_page(StatusCode::BAD_REQUEST, &e.to_string())),
        },
    };
    let ctx = Ctx::of(&state.engine);
    let groups = review::list(
        &ctx,
        &Filter {
            reason,
            ..Filter::default()
        },
    )
    .await?;
    let (intents, files_error) = match review::intent_names(ctx.intents_dir) {
        Ok(names) => (names, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let count = groups.iter().map(|g| g.items.len()).sum();
    let handled = review::handled(&ctx, Some(HANDLED_SHOWN))
        .await?
        .into_iter()
        .map(|o| HandledView {
            id: o.message_id,
            text: o.text,
            outcome: match (o.outcome.as_str(), &o.intent) {
                ("assigned", Some(i)) => format!("assigned to {i}"),
                ("out_of_scope", _) => "sent to out_of_scope".into(),
                (other, _) => other.to_string(),
            },
            actor: o.actor,
            when: when(o.created_at),
            file: o.file.unwrap_or_default(),
        })
        .collect();
    let t = ReviewPage {
        page: Page::new(&p, &headers, "Review", "review"),
        reason: q.reason.clone(),
        reasons: Reason::ALL
            .iter()
            .map(|r| (r.as_str(), r.label()))
            .collect(),
        groups: groups
            .into_iter()
            .map(|g| GroupView {
                intent: g.intent,
                items: g.items.into_iter().map(|i| view(i, &intents)).collect(),
            })
            .collect(),
        count,
        handled,
        files_error,
    };
    Ok(render(&t, &t.page))
}

#[derive(Deserialize)]
struct AssignForm {
    #[serde(default)]
    intent: String,
    /// The filter to go back to.
    #[serde(default)]
    reason: String,
}

fn back(reason: &str) -> String {
    if reason.is_empty() {
        "/console/review".into()
    } else {
        format!(
            "/console/review?reason={}",
            form_urlencoded::byte_serialize(reason.as_bytes()).collect::<String>()
        )
    }
}

async fn assign(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    Form(f): Form<AssignForm>,
) -> Response {
    let to = back(&f.reason);
    if f.intent.trim().is_empty() {
        return redirect(&to, "error", "Choose the intent this message belongs to.");
    }
    let Some(brain) = state.engine.brain() else {
        return redirect_error(&to, &review::ReviewError::NotReady.into());
    };
    let actor = p.who().actor.name();
    match review::assign(
        &Ctx::of(&state.engine),
        id,
        &f.intent,
        &actor,
        brain.nlu.encoder(),
        review::DEFAULT_FOLDS,
    )
    .await
    {
        Ok(a) => redirect(
            &to,
            "ok",
            &format!(
                "Message {id} is now an example of {} ({}:{}). {}.",
                a.intent,
                a.file.display(),
                a.line,
                measure::summary(&a.before, &a.after)
            ),
        ),
        Err(e) => redirect_error(&to, &e.into()),
    }
}

#[derive(Deserialize)]
struct DismissForm {
    #[serde(default)]
    reason: String,
}

async fn dismiss(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    Form(f): Form<DismissForm>,
) -> Response {
    let to = back(&f.reason);
    match review::dismiss(&Ctx::of(&state.engine), id, &p.who().actor.name()).await {
        Ok(()) => redirect(&to, "ok", &format!("Message {id} dismissed.")),
        Err(e) => redirect_error(&to, &e.into()),
    }
}
