//! The pipeline worker: claims inbox rows, resolves the contact and conversation, runs the NLU,
//! asks policy, and stores the message, analysis, decisions, transitions, outbox actions and
//! events in one transaction per message, so a crash leaves each message wholly done or not at all.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use crate::channels::{InboundEvent, Outbound, OutboundKind};
use crate::engine::{Brain, Engine};
use crate::events::{self, kind};
use crate::nlu::classifier::Verdict;
use crate::nlu::Analysis;
use crate::outbox;
use crate::outbox::action::{OutboxAction, SendAction, TicketReply, TicketRequest};
use crate::policy::{
    self, CalendarStatus, Decision, DecisionAction, EscalationCause, Owner, Situation, Visibility,
};
use crate::routing::QueueItem;
use crate::store::conversations::{self as convs, Conversation, NewConversation, NewMessage};
use crate::store::{contacts, inbox, routing, StoreError, Tx};

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("model: {0}")]
    Model(String),
}

/// One pass: claim a batch, analyse it together, apply each message. Returns messages done.
pub async fn run_once(engine: &Engine) -> Result<usize, PipelineError> {
    let Some(brain) = engine.brain() else {
        return Ok(0); // not ready: rows wait in the inbox
    };
    let s = &engine.settings.pipeline;
    let now = engine.clock.now_ms();
    let rows = inbox::claim(&engine.store, s.batch, now, s.claim_secs as i64 * 1000).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut parsed = Vec::with_capacity(rows.len());
    for row in rows {
        match serde_json::from_str::<InboundEvent>(&row.event) {
            Ok(ev) => parsed.push((row, ev)),
            Err(e) => {
                tracing::error!(inbox_id = row.id, error = %e, "unreadable inbox row");
                inbox::release_failed(&engine.store, row.id, &format!("unreadable: {e}"), true, 0)
                    .await?;
            }
        }
    }
    let texts: Vec<String> = parsed.iter().map(|(_, ev)| ev.text.clone()).collect();
    let (count, started) = (texts.len(), std::time::Instant::now());
    let analyses = match analyse(brain.clone(), texts).await {
        Ok(a) => {
            engine.metrics.nlu_batch(count, started.elapsed());
            a
        }
        Err(e) => {
            for (row, _) in &parsed {
                let give_up = row.attempts >= i64::from(s.max_attempts);
                inbox::release_failed(
                    &engine.store,
                    row.id,
                    &e.to_string(),
                    give_up,
                    retry_at(engine, row.attempts),
                )
                .await?;
            }
            return Err(e);
        }
    };
    let calendar = engine.calendar_status().await?;
    let mut done = 0;
    for ((row, ev), analysis) in parsed.into_iter().zip(analyses) {
        let span = tracing::info_span!("message", inbox_id = row.id, channel = %ev.channel, event_id = %ev.event_id);
        let _g = span.enter();
        match apply(engine, &brain, row.id, &ev, &analysis, &calendar).await {
            Ok(conversation_id) => {
                done += 1;
                engine.publish(conversation_id, "message");
                tracing::info!(conversation_id, intent = %analysis.intent.name, "message processed");
            }
            Err(e) => {
                tracing::warn!(error = %e, "message failed; it stays in the inbox");
                let give_up = row.attempts >= i64::from(s.max_attempts);
                inbox::release_failed(
                    &engine.store,
                    row.id,
                    &e.to_string(),
                    give_up,
                    retry_at(engine, row.attempts),
                )
                .await?;
            }
        }
    }
    engine.wake.outbox.notify_one();
    engine.wake.events.notify_one();
    engine.wake.routing.notify_one();
    Ok(done)
}

/// When a failed message is tried again: 1 s, 2 s, 4 s... up to a minute, so a passing fault
/// (a locked or restarting database) does not use up every attempt at once.
fn retry_at(engine: &Engine, attempts: i64) -> i64 {
    let delay = 1000i64 << attempts.clamp(0, 6);
    engine.clock.now_ms() + delay.min(60_000)
}

/// Inference runs on the model's own threads; this task only waits for it.
async fn analyse(brain: Arc<Brain>, texts: Vec<String>) -> Result<Vec<Analysis>, PipelineError> {
    tokio::task::spawn_blocking(move || brain.nlu.analyze_batch(&texts))
        .await
        .map_err(|e| PipelineError::Model(e.to_string()))?
        .map_err(|e| PipelineError::Model(e.to_string()))
}

async fn apply(
    engine: &Engine,
    brain: &Brain,
    inbox_id: i64,
    ev: &InboundEvent,
    analysis: &Analysis,
    calendar: &CalendarStatus,
) -> Result<i64, PipelineError> {
    let now = engine.clock.now_ms();
    let mut tx = engine.store.begin().await?;
    let (identity, new_contact) = contacts::resolve(
        &mut tx,
        &ev.channel,
        &ev.author.handle,
        ev.author.name.as_deref(),
        now,
    )
    .await?;
    if new_contact {
        events::record(&mut tx, kind::CONTACT_CREATED, None,
            json!({"contact_id": identity.contact_id, "channel": ev.channel, "handle": ev.author.handle}), now).await?;
    }
    let linked_to = if ev.visibility == Visibility::Private {
        // A private thread continues the contact's recent public one on this channel.
        convs::latest_of_contact(&mut tx, identity.contact_id, &ev.channel, "public")
            .await?
            .filter(|c| now - c.updated_at < 24 * 3600 * 1000)
            .map(|c| c.id)
    } else {
        None
    };
    let (mut conv, _) = convs::find_or_create(
        &mut tx,
        &NewConversation {
            channel: &ev.channel,
            visibility: ev.visibility.as_str(),
            thread_key: &ev.thread_id,
            contact_id: identity.contact_id,
            linked_to,
        },
        now,
    )
    .await?;
    if conv.owner == Owner::Resolved.as_str() {
        let reason = "the customer wrote again after resolution";
        convs::transition(&mut tx, conv.id, Owner::Bot.as_str(), "system", reason, now).await?;
        events::record(
            &mut tx,
            kind::CONVERSATION_OWNER_CHANGED,
            Some(conv.id),
            json!({"from": "resolved", "to": "bot", "actor": "system", "reason": reason}),
            now,
        )
        .await?;
        conv.owner = Owner::Bot.as_str().into();
    }
    let analysis_json = serde_json::to_value(analysis).unwrap_or_default();
    let message_id = convs::add_message(
        &mut tx,
        &NewMessage {
            conversation_id: conv.id,
            inbox_id: Some(inbox_id),
            outbox_id: None,
            direction: "in",
            visibility: ev.visibility.as_str(),
            author: &ev.author.handle,
            text: &ev.text,
            platform_message_id: Some(&ev.message_id),
            analysis: Some(analysis_json.to_string()),
        },
        now,
    )
    .await?;
    events::record(
        &mut tx,
        kind::MESSAGE_RECEIVED,
        Some(conv.id),
        json!({
            "message_id": message_id, "channel": ev.channel, "visibility": ev.visibility,
            "contact_id": identity.contact_id, "author": ev.author, "text": ev.text,
        }),
        now,
    )
    .await?;
    events::record(&mut tx, kind::MESSAGE_CLASSIFIED, Some(conv.id), json!({
        "message_id": message_id, "intent": analysis.intent.name, "confidence": analysis.intent.confidence,
        "verdict": analysis.intent.verdict, "out_of_scope": analysis.out_of_scope, "sentiment": analysis.sentiment,
        "complaint": analysis.complaint,
    }), now).await?;

    // The out-of-scope intent winning above its threshold is a confident reading too: its
    // `action` says what to do (the example bot answers chit-chat instead of queueing it).
    let intent = match analysis.intent.verdict {
        Verdict::Confident if !analysis.out_of_scope => brain.bot.intent(&analysis.intent.name),
        Verdict::OutOfScopeIntent => brain.bot.intent(&analysis.intent.name),
        _ => None,
    };
    let fields = template_fields(brain, ev, &conv);
    let owner = Owner::parse(&conv.owner).unwrap_or(Owner::Bot);
    // A customer waiting for a person may hear where they stand, once per interval.
    let every_ms = i64::from(engine.settings.policy.still_queued_every_minutes) * 60_000;
    let still_queued_at = match owner {
        Owner::Queued => routing::standing(&mut tx, conv.id)
            .await?
            .filter(|st| now - st.told_at >= every_ms)
            .map(|st| st.position),
        _ => None,
    };
    let situation = Situation {
        channel: &ev.channel,
        visibility: ev.visibility,
        owner,
        intent,
        analysis,
        calendar,
        notice_already_sent: conv.notice_sent,
        fields: &fields,
        variant_seed: message_id as u64,
        still_queued_at,
    };
    let decisions = policy::decide(&situation, &engine.settings.policy);
    let ctx = Ctx {
        engine,
        ev,
        conv: &conv,
        message_id,
        now,
    };
    for (i, d) in decisions.iter().enumerate() {
        apply_decision(&mut tx, &ctx, i, d).await?;
    }
    let told = decisions
        .iter()
        .any(|d| matches!(d.action, DecisionAction::Reply { .. }));
    if still_queued_at.is_some() && told {
        routing::mark_queue_notice(&mut tx, conv.id, now).await?;
    }
    inbox::mark_done(&mut tx, inbox_id, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    engine.metrics.message_in(&ev.channel);
    for d in &decisions {
        engine.metrics.decision(d.action.kind());
    }
    Ok(conv.id)
}

fn template_fields(
    brain: &Brain,
    ev: &InboundEvent,
    conv: &Conversation,
) -> BTreeMap<String, String> {
    customer_fields(
        brain,
        ev.author.name.as_deref(),
        &ev.author.handle,
        &ev.channel,
        conv.ticket_url.as_deref(),
    )
}

/// The fields a response template may use for this customer (`name`, `first_name`, `handle`,
/// `channel`, `brand`, and `ticket_url` once a ticket exists): the bot's answers and the
/// console's suggested responses fill them the same way.
pub fn customer_fields(
    brain: &Brain,
    name: Option<&str>,
    handle: &str,
    channel: &str,
    ticket_url: Option<&str>,
) -> BTreeMap<String, String> {
    // Without a display name the handle is an opaque id (a web chat session, a Messenger PSID,
    // a Slack user id): the name fields stay out and the template reads without them.
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let mut f = BTreeMap::new();
    if let Some(name) = name {
        let first = name.split_whitespace().next().unwrap_or(name);
        f.insert("first_name".into(), first.to_string());
        f.insert("name".into(), name.to_string());
    }
    f.insert("handle".into(), handle.to_string());
    f.insert("channel".into(), channel.to_string());
    f.insert(
        "brand".into(),
        brain
            .bot
            .settings
            .brand
            .clone()
            .unwrap_or_else(|| brain.bot.settings.bot.clone()),
    );
    if let Some(url) = ticket_url {
        f.insert("ticket_url".into(), url.to_string());
    }
    f
}

struct Ctx<'a> {
    engine: &'a Engine,
    ev: &'a InboundEvent,
    conv: &'a Conversation,
    message_id: i64,
    now: i64,
}

impl Ctx<'_> {
    fn key(&self, i: usize) -> String {
        format!("msg:{}:{}", self.message_id, i)
    }
    fn deadline(&self) -> i64 {
        self.now + self.engine.settings.outbox.retry_for_secs as i64 * 1000
    }
    async fn queue_send(
        &self,
        tx: &mut Tx,
        i: usize,
        kind: OutboundKind,
    ) -> Result<(), StoreError> {
        let action = OutboxAction::Send(SendAction {
            channel: self.ev.channel.clone(),
            outbound: Outbound {
                kind,
                thread_id: self.ev.thread_id.clone(),
                target_message_id: Some(self.ev.message_id.clone()),
                recipient: self.ev.author.handle.clone(),
            },
            author: None,
        });
        self.queue(tx, i, &action).await
    }
    async fn queue(&self, tx: &mut Tx, i: usize, action: &OutboxAction) -> Result<(), StoreError> {
        outbox::enqueue(
            tx,
            &outbox::NewAction {
                idempotency_key: &self.key(i),
                conversation_id: Some(self.conv.id),
                action,
                deadline_ms: self.deadline(),
            },
            self.now,
        )
        .await?;
        Ok(())
    }
}

async fn apply_decision(
    tx: &mut Tx,
    c: &Ctx<'_>,
    i: usize,
    d: &Decision,
) -> Result<(), StoreError> {
    let detail = serde_json::to_value(d).unwrap_or_default();
    convs::add_decision(
        tx,
        c.conv.id,
        Some(c.message_id),
        d.action.kind(),
        &d.reason,
        &detail.to_string(),
        c.now,
    )
    .await?;
    events::record(
        tx,
        kind::DECISION_MADE,
        Some(c.conv.id),
        json!({"message_id": c.message_id, "decision": detail}),
        c.now,
    )
    .await?;
    match &d.action {
        DecisionAction::Reply { visibility, text } => {
            c.queue_send(
                tx,
                i,
                OutboundKind::Reply {
                    visibility: *visibility,
                    text: text.clone(),
                    quick_replies: Vec::new(),
                },
            )
            .await?;
        }
        DecisionAction::Notice {
            visibility, text, ..
        } => {
            c.queue_send(
                tx,
                i,
                OutboundKind::Reply {
                    visibility: *visibility,
                    text: text.clone(),
                    quick_replies: Vec::new(),
                },
            )
            .await?;
            convs::mark_notice_sent(tx, c.conv.id).await?;
        }
        DecisionAction::Like => c.queue_send(tx, i, OutboundKind::Like).await?,
        DecisionAction::Repost => c.queue_send(tx, i, OutboundKind::Repost).await?,
        DecisionAction::Escalate {
            skill,
            priority,
            not_before,
        } => {
            escalate(
                tx,
                c.conv.id,
                &Escalation {
                    skill,
                    priority: *priority,
                    not_before: not_before.map(|t| t.timestamp_millis()),
                    reason: &d.reason,
                    cause: d.cause.unwrap_or(EscalationCause::Unsure),
                },
                c.now,
            )
            .await?;
        }
        DecisionAction::Ticket {
            skill,
            title,
            reply_visibility,
            reply_template,
        } => {
            if matches!(
                c.engine.settings.tickets,
                crate::config::TicketSettings::None
            ) {
                let reason = "the intent opens a ticket but no ticket integration is configured";
                escalate(
                    tx,
                    c.conv.id,
                    &Escalation {
                        skill,
                        priority: policy::Priority::Normal,
                        not_before: None,
                        reason,
                        cause: EscalationCause::NoTicketIntegration,
                    },
                    c.now,
                )
                .await?;
            } else {
                let ev = c.ev;
                let name = ev.author.name.clone();
                let ticket = OutboxAction::Ticket(TicketRequest {
                    title: title.clone(),
                    body: format!(
                        "From {} on {}:\n\n> {}\n\nConversation {}",
                        ev.author.handle, ev.channel, ev.text, c.conv.id
                    ),
                    skill: skill.clone(),
                    priority: policy::Priority::Normal,
                    fields: [
                        ("name", name.unwrap_or_else(|| ev.author.handle.clone())),
                        ("handle", ev.author.handle.clone()),
                        ("channel", ev.channel.clone()),
                    ]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
                    reply: TicketReply {
                        channel: ev.channel.clone(),
                        visibility: *reply_visibility,
                        template: reply_template.clone(),
                        thread_id: ev.thread_id.clone(),
                        target_message_id: Some(ev.message_id.clone()),
                        recipient: ev.author.handle.clone(),
                    },
                });
                c.queue(tx, i, &ticket).await?;
            }
        }
        DecisionAction::Silence => {}
    }
    Ok(())
}

/// Where and how urgently a conversation goes to the agents.
pub struct Escalation<'a> {
    pub skill: &'a str,
    pub priority: policy::Priority,
    /// Unix ms before which no agent should take it (closed hours).
    pub not_before: Option<i64>,
    pub reason: &'a str,
    pub cause: EscalationCause,
}

/// Hand a conversation to the agents' queue (no-op when it is already theirs). The routing
/// desk makes the offers on its next tick.
pub async fn escalate(
    tx: &mut Tx,
    conversation_id: i64,
    e: &Escalation<'_>,
    now: i64,
) -> Result<(), StoreError> {
    let Escalation {
        skill,
        priority,
        not_before,
        reason,
        cause,
    } = *e;
    // The store and the events keep the number (1 urgent .. 3 normal).
    let rank = priority as i64;
    let conv = convs::get_tx(tx, conversation_id).await?;
    if conv.owner != Owner::Bot.as_str() {
        return Ok(());
    }
    convs::transition(
        tx,
        conversation_id,
        Owner::Queued.as_str(),
        "bot",
        reason,
        now,
    )
    .await?;
    convs::set_routing(tx, conversation_id, skill, rank, not_before).await?;
    let mut item = QueueItem::new(conversation_id, skill, priority, reason, now);
    item.not_before_ms = not_before;
    routing::add_waiting(tx, &item, cause.as_str(), &conv.channel).await?;
    routing::record_escalation(
        tx,
        &routing::NewEscalation {
            conversation_id,
            channel: &conv.channel,
            skill,
            priority: rank,
            cause: cause.as_str(),
            reason,
        },
        now,
    )
    .await?;
    events::record(
        tx,
        kind::CONVERSATION_ESCALATED,
        Some(conversation_id),
        json!({
            "skill": skill, "priority": rank, "not_before": not_before, "reason": reason,
            "cause": cause,
        }),
        now,
    )
    .await?;
    Ok(())
}
