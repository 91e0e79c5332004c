//! The conversation view (`/console/conversations/{id}`): the contact's whole transcript
//! across platforms with the bot's reading, the routing state, suggested responses, and the
//! agent's actions (reply, like, repost, transfer, hand back, resolve). Each action is a form
//! post to a desk command (`crate::desk::commands`), which decides who may do what; the page
//! only hides what cannot apply.

mod view;

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::layout::{error_page, redirect, redirect_error, render, when, Page};
use crate::channels::OutboundKind;
use crate::desk::commands::{self, ReplyMode};
use crate::http::auth::Principal;
use crate::http::{ApiError, AppState};
use crate::routing::{Place, Role, Target};
use crate::store::conversations::{self as convs, ListFilter};
use crate::store::{self, StoreError};
use view::{Entry, Reading, RoutingView, Suggestion};

pub const ROUTES: &[(&str, &str, Role)] = &[
    ("GET", "/console/conversations/{id}", Role::Agent),
    ("POST", "/console/conversations/{id}/reply", Role::Agent),
    ("POST", "/console/conversations/{id}/react", Role::Agent),
    ("POST", "/console/conversations/{id}/transfer", Role::Agent),
    ("POST", "/console/conversations/{id}/handback", Role::Agent),
    ("POST", "/console/conversations/{id}/resolve", Role::Agent),
    ("POST", "/console/conversations/{id}/misread", Role::Agent),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/conversations/{id}", get(page))
        .route("/console/conversations/{id}/reply", post(reply))
        .route("/console/conversations/{id}/react", post(react))
        .route("/console/conversations/{id}/transfer", post(transfer))
        .route("/console/conversations/{id}/handback", post(hand_back))
        .route("/console/conversations/{id}/resolve", post(resolve))
        .route("/console/conversations/{id}/misread", post(misread))
}

/// How many of a contact's conversations the transcript reaches back.
const HISTORY: i64 = 50;

pub struct IdentityView {
    pub channel: String,
    pub handle: String,
    pub name: Option<String>,
}

pub struct AgentChoice {
    pub id: i64,
    pub label: String,
}

pub struct WorkView {
    pub agent: String,
    pub accepted: String,
    pub ended: Option<String>,
    pub outcome: Option<String>,
    pub disposition: Option<String>,
    pub note: Option<String>,
}

#[derive(Template)]
#[template(path = "console/conversation.html")]
struct ConversationPage {
    page: Page,
    id: i64,
    contact_name: String,
    contact_id: i64,
    identities: Vec<IdentityView>,
    channel: String,
    /// The platform as agents call it ("web chat", "X").
    platform: String,
    visibility: String,
    owner: String,
    began: String,
    ticket_url: Option<String>,
    routing: Option<RoutingView>,
    transcript: Vec<Entry>,
    work: Vec<WorkView>,
    /// The bot's reading of the message that escalated (while people hold the conversation),
    /// else of the customer's latest message here.
    latest: Option<Reading>,
    /// Which of the two: "the message that escalated" or "the latest message".
    reading_of: &'static str,
    /// Its text.
    latest_text: Option<String>,
    suggestions: Vec<Suggestion>,
    /// The bot is not loaded yet, so no suggestions can be made.
    no_brain: bool,
    /// Reply, like and repost: the conversation is assigned to me, or I oversee.
    can_reply: bool,
    /// Transfer: as above, and the conversation is routed.
    can_route: bool,
    /// Hand back and resolve: the conversation is assigned (an offer has no work to end).
    can_resolve: bool,
    modes: Vec<(&'static str, &'static str)>,
    acknowledgement: String,
    request_id: String,
    agents: Vec<AgentChoice>,
    groups: Vec<String>,
    skills: Vec<String>,
    dispositions: Vec<String>,
    /// The bot's intents, for "Bot misread this".
    intent_names: Vec<String>,
    /// Customer messages agents marked as misread: who, and what they said was meant.
    misreads: BTreeMap<i64, String>,
}

impl ConversationPage {
    /// Whether any action form is shown (else the page says why not).
    fn any_action(&self) -> bool {
        self.can_reply || self.can_route
    }

    fn misread_of(&self, message_id: &i64) -> Option<&String> {
        self.misreads.get(message_id)
    }
}

fn here(id: i64) -> String {
    format!("/console/conversations/{id}")
}

async fn page(
    State(state): State<AppState>,
    p: Principal,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let engine = &state.engine;
    let st = &engine.store;
    let now = engine.clock.now_ms();
    let conv = match convs::get(st, id).await {
        Ok(c) => c,
        Err(StoreError::NotFound(_)) => {
            return Ok(error_page(
                StatusCode::NOT_FOUND,
                &format!("There is no conversation {id}."),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let contact = store::contacts::get(st, conv.contact_id).await?;
    let mut conversations = convs::list(
        st,
        &ListFilter {
            contact_id: Some(conv.contact_id),
            limit: HISTORY,
            ..Default::default()
        },
    )
    .await?;
    // A linked public/private partner shows even when it belongs to another contact.
    let mut extra: Vec<i64> = vec![conv.id];
    extra.extend(conversations.iter().filter_map(|c| c.linked_to));
    extra.extend(conv.linked_to);
    for other in extra {
        if !conversations.iter().any(|c| c.id == other) {
            match convs::get(st, other).await {
                Ok(c) => conversations.push(c),
                Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    conversations.sort_by_key(|c| (c.created_at, c.id));
    let ids: Vec<i64> = conversations.iter().map(|c| c.id).collect();
    let messages = store::transcript::messages_of(st, &ids).await?;
    let decisions = store::transcript::decisions_of(st, &ids).await?;
    let transitions = store::transcript::transitions_of(st, &ids).await?;
    let outbox = store::transcript::unsent_of(st, &ids).await?;
    let inbound: Vec<i64> = messages
        .iter()
        .filter(|m| m.direction == "in")
        .map(|m| m.id)
        .collect();
    let misreads = crate::review::marks_by_message(&crate::review::Ctx::of(engine), &inbound)
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .map(|(id, marks)| (id, misread_line(&marks)))
        .collect();
    // Customers by name (or a readable label), never by a session id.
    let labels: BTreeMap<String, String> = contact
        .identities
        .iter()
        .map(|i| {
            let name = i.display_name.clone().or(contact.display_name.clone());
            (
                i.handle.clone(),
                super::people::customer_label(name.as_deref(), &i.handle, &i.channel),
            )
        })
        .collect();
    let transcript = view::transcript(&view::Parts {
        labels: &labels,
        current: &conv,
        conversations: &conversations,
        messages: &messages,
        decisions: &decisions,
        transitions: &transitions,
        outbox: &outbox,
        now,
        complaint_at: engine.settings.policy.complaint,
    });

    let agent_rows = store::agents::list(st).await?;
    let names: BTreeMap<i64, String> = agent_rows
        .iter()
        .map(|a| (a.agent.id, a.agent.login.clone()))
        .collect();
    let page = Page::new(&p, &headers, format!("Conversation {id}"), "queue");
    let me = page.me_id;
    let routed = store::routing::get(st, id).await?;
    let routing = routed.as_ref().map(|r| view::routing(r, me, &names, now));
    let holder = routed.as_ref().and_then(|r| r.placed.place.agent_id());
    let assigned_to_me = routed.as_ref().is_some_and(
        |r| matches!(r.placed.place, Place::Assigned { agent_id, .. } if agent_id == me),
    );
    let oversees = page.is_supervisor();
    let can_reply = assigned_to_me || oversees;
    let can_route = routed.is_some() && can_reply;
    // Handing back and resolving end an agent's work: only an accepted conversation has it.
    let assigned = routed
        .as_ref()
        .is_some_and(|r| matches!(r.placed.place, Place::Assigned { .. }));
    let can_resolve = can_route && assigned;

    let work = store::routing::work_of(st, id)
        .await?
        .into_iter()
        .map(|w| WorkView {
            agent: names
                .get(&w.agent_id)
                .cloned()
                .unwrap_or_else(|| format!("agent {}", w.agent_id)),
            accepted: when(w.accepted_at),
            ended: w.ended_at.map(when),
            outcome: w.outcome,
            disposition: w.disposition,
            note: w.note,
        })
        .collect();

    // While people hold it, the reading and suggestions follow the message that escalated,
    // not what the customer wrote while waiting ("hello??").
    let escalated = decisions
        .iter()
        .rev()
        .filter(|(c, d)| *c == id && d.kind == "escalate")
        .find_map(|(_, d)| d.message_id)
        .filter(|_| conv.owner != "bot")
        .and_then(|mid| messages.iter().find(|m| m.id == mid));
    let reading_of = if escalated.is_some() {
        "the message that escalated"
    } else {
        "the latest message"
    };
    let latest = escalated.or_else(|| {
        messages
            .iter()
            .rev()
            .find(|m| m.conversation_id == id && m.direction == "in")
    });
    let latest_reading = latest
        .and_then(|m| m.analysis.as_ref())
        .and_then(|a| view::reading(a, engine.settings.policy.complaint));
    let brain = engine.brain();
    let suggestions = brain
        .as_ref()
        .map(|b| view::suggestions(b, latest, &conv, &contact))
        .unwrap_or_default();

    let load = load_by_agent(&state).await?;
    let agents = agent_rows
        .iter()
        .filter(|a| !a.disabled && Some(a.agent.id) != holder)
        .map(|a| {
            let a = &a.agent;
            AgentChoice {
                id: a.id,
                label: format!(
                    "{} ({}) · {} · {}/{}",
                    a.name,
                    a.login,
                    a.status.as_str(),
                    load.get(&a.id).copied().unwrap_or(0),
                    a.capacity
                ),
            }
        })
        .collect::<Vec<_>>();
    let groups: BTreeSet<String> = agent_rows
        .iter()
        .flat_map(|a| a.agent.groups.iter().cloned())
        .collect();
    let mut skills: BTreeSet<String> = agent_rows
        .iter()
        .flat_map(|a| a.agent.skills.keys().cloned())
        .collect();
    if let Some(b) = &brain {
        skills.extend(b.bot.settings.skills.iter().cloned());
    }
    let public = conv.visibility == "public";
    let modes = if public {
        vec![
            ("thread", "In the thread (public)"),
            ("private", "Private message"),
            (
                "move_to_private",
                "Move to private: public note, then private reply",
            ),
        ]
    } else {
        vec![("thread", "In the chat (private)")]
    };
    let acknowledgement = if public && can_reply {
        crate::desk::customer::acknowledgement(engine, id).await?
    } else {
        String::new()
    };
    let here = contact
        .identities
        .iter()
        .find(|i| i.channel == conv.channel)
        .or(contact.identities.first());
    let name = contact
        .display_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .or_else(|| here.and_then(|i| i.display_name.clone()))
        .or_else(|| {
            contact
                .identities
                .iter()
                .find_map(|i| i.display_name.clone())
        });
    let contact_name = super::people::customer_label(
        name.as_deref(),
        here.map_or("", |i| i.handle.as_str()),
        here.map_or(conv.channel.as_str(), |i| i.channel.as_str()),
    );
    let t = ConversationPage {
        id,
        contact_id: contact.id,
        identities: contact
            .identities
            .iter()
            .map(|i| IdentityView {
                channel: super::people::platform_name(&i.channel),
                // An opaque id (a web chat session, a PSID) means nothing to a person.
                handle: if super::people::is_opaque(&i.handle) {
                    super::people::customer_label(None, &i.handle, &i.channel)
                } else {
                    i.handle.clone()
                },
                name: i.display_name.clone(),
            })
            .collect(),
        contact_name,
        platform: super::people::platform_name(&conv.channel),
        channel: conv.channel.clone(),
        visibility: conv.visibility.clone(),
        owner: conv.owner.clone(),
        began: when(conv.created_at),
        ticket_url: conv.ticket_url.clone(),
        routing,
        transcript,
        work,
        latest: latest_reading,
        reading_of,
        latest_text: latest.map(|m| m.text.clone()),
        suggestions,
        no_brain: brain.is_none(),
        can_reply,
        can_route,
        can_resolve,
        modes,
        acknowledgement,
        request_id: uuid::Uuid::new_v4().simple().to_string(),
        agents,
        groups: groups.into_iter().collect(),
        skills: skills.into_iter().collect(),
        dispositions: engine.settings.routing.dispositions.clone(),
        intent_names: brain
            .as_ref()
            .map(|b| b.bot.intents.iter().map(|i| i.name.clone()).collect())
            .unwrap_or_default(),
        misreads,
        page,
    };
    Ok(render(&t, &t.page))
}

/// "Marked as misread by agent:dana (meant refund_request)" for the transcript.
fn misread_line(marks: &[crate::store::review::MarkRow]) -> String {
    marks
        .iter()
        .map(|m| match &m.intent {
            Some(i) => format!("{} (meant {i})", m.actor),
            None => m.actor.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Offers and assignments each agent holds now.
async fn load_by_agent(state: &AppState) -> Result<BTreeMap<i64, usize>, ApiError> {
    let mut load = BTreeMap::new();
    for r in store::routing::all(&state.engine.store).await? {
        if let Some(a) = r.placed.place.agent_id() {
            *load.entry(a).or_insert(0) += 1;
        }
    }
    Ok(load)
}

#[derive(Deserialize)]
struct ReplyForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    acknowledgement: String,
    #[serde(default)]
    request_id: String,
}

async fn reply(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    Form(f): Form<ReplyForm>,
) -> Response {
    let mode = match f.mode.as_str() {
        "" | "thread" => ReplyMode::Thread,
        "public" => ReplyMode::Public,
        "private" => ReplyMode::Private,
        "move_to_private" => ReplyMode::MoveToPrivate,
        _ => return redirect(&here(id), "error", "Choose how the reply goes out."),
    };
    let request_id = if f.request_id.trim().is_empty() {
        uuid::Uuid::new_v4().simple().to_string()
    } else {
        f.request_id.trim().to_string()
    };
    let ack = (mode == ReplyMode::MoveToPrivate).then_some(f.acknowledgement.as_str());
    match commands::reply(&state.engine, &p.who(), id, &f.text, mode, ack, &request_id).await {
        Ok(q) if q.outbox_ids.is_empty() => {
            redirect(&here(id), "ok", "This reply was already sent.")
        }
        Ok(q) if q.outbox_ids.len() > 1 => redirect(
            &here(id),
            "ok",
            "The public acknowledgement and your private reply are on their way.",
        ),
        Ok(_) => redirect(&here(id), "ok", "Your reply is on its way."),
        Err(e) => redirect_error(&here(id), &e.into()),
    }
}

#[derive(Deserialize)]
struct ReactForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    message_id: String,
}

async fn react(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    Form(f): Form<ReactForm>,
) -> Response {
    let (kind, done) = match f.kind.as_str() {
        "like" => (OutboundKind::Like, "Liked."),
        "repost" => (OutboundKind::Repost, "Reposted."),
        _ => return redirect(&here(id), "error", "A reaction is a like or a repost."),
    };
    let Ok(message_id) = f.message_id.trim().parse::<i64>() else {
        return redirect(&here(id), "error", "Choose the message to react to.");
    };
    match commands::react(&state.engine, &p.who(), id, message_id, kind).await {
        Ok(q) if q.outbox_ids.is_empty() => {
            redirect(&here(id), "ok", "That was already done to this message.")
        }
        Ok(_) => redirect(&here(id), "ok", done),
        Err(e) => redirect_error(&here(id), &e.into()),
    }
}

#[derive(Deserialize)]
struct TransferForm {
    /// `agent`, `group` or `skill`.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
}

async fn transfer(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    Form(f): Form<TransferForm>,
) -> Response {
    let value = f.value.trim().to_string();
    let (target, said) = match f.kind.as_str() {
        "agent" => match value.parse::<i64>() {
            Ok(a) => (Target::Agent(a), "the agent you chose".to_string()),
            Err(_) => return redirect(&here(id), "error", "Choose the agent to transfer to."),
        },
        "group" => (Target::Group(value.clone()), format!("group {value}")),
        "skill" => (Target::Skill(value.clone()), format!("skill {value}")),
        _ => {
            return redirect(
                &here(id),
                "error",
                "Transfer to an agent, a group or a skill.",
            )
        }
    };
    match commands::transfer(&state.engine, &p.who(), id, target).await {
        Ok(_) => {
            state.engine.wake.routing.notify_one();
            redirect(&here(id), "ok", &format!("Transferred to {said}."))
        }
        Err(e) => redirect_error(&here(id), &e.into()),
    }
}

async fn hand_back(State(state): State<AppState>, p: Principal, Path(id): Path<i64>) -> Response {
    match commands::hand_back(&state.engine, &p.who(), id).await {
        Ok(_) => {
            state.engine.wake.routing.notify_one();
            redirect(
                &here(id),
                "ok",
                "Handed back: the bot answers this customer again.",
            )
        }
        Err(e) => redirect_error(&here(id), &e.into()),
    }
}

#[derive(Deserialize)]
struct ResolveForm {
    #[serde(default)]
    disposition: String,
    #[serde(default)]
    note: String,
}

async fn resolve(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    Form(f): Form<ResolveForm>,
) -> Response {
    let note = Some(f.note).filter(|n| !n.trim().is_empty());
    match commands::resolve(&state.engine, &p.who(), id, &f.disposition, note).await {
        Ok(_) => {
            state.engine.wake.routing.notify_one();
            redirect(
                "/console",
                "ok",
                &format!("Conversation {id} resolved as {}.", f.disposition.trim()),
            )
        }
        Err(e) => redirect_error(&here(id), &e.into()),
    }
}

#[derive(Deserialize)]
struct MisreadForm {
    #[serde(default)]
    message_id: String,
    #[serde(default)]
    intent: String,
    #[serde(default)]
    note: String,
}

async fn misread(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    Form(f): Form<MisreadForm>,
) -> Response {
    let Ok(message_id) = f.message_id.trim().parse::<i64>() else {
        return redirect(&here(id), "error", "Choose the message the bot misread.");
    };
    let mark = crate::review::Mark {
        intent: Some(f.intent).filter(|i| !i.trim().is_empty()),
        note: Some(f.note).filter(|n| !n.trim().is_empty()),
    };
    let ctx = crate::review::Ctx::of(&state.engine);
    match crate::review::mark(&ctx, message_id, &p.who().actor.name(), &mark).await {
        Ok(_) => redirect(
            &format!("{}#m{message_id}", here(id)),
            "ok",
            "Thanks: the bot designer will review this message.",
        ),
        Err(e) => redirect_error(&here(id), &e.into()),
    }
}
