//! `decide`: from one analysed message in its situation to the bot's decisions, each with
//! its reason in words. The rules are listed in order in docs/policy.md.

use std::collections::BTreeMap;

use super::{
    CalendarStatus, ChannelRules, Decision, DecisionAction, EscalationCause, Owner, PolicyConfig,
    Priority, Situation, Visibility,
};
use crate::intents::{template, Action, Intent, Template};

impl Decision {
    pub fn new(action: DecisionAction, reason: impl Into<String>) -> Self {
        Self {
            action,
            reason: reason.into(),
            cause: None,
        }
    }
}

/// What the bot does with the message described by `s`.
pub fn decide(s: &Situation, config: &PolicyConfig) -> Vec<Decision> {
    if s.owner != Owner::Bot {
        if let Some(d) = still_queued(s, config) {
            return vec![d];
        }
        return vec![Decision::new(
            DecisionAction::Silence,
            format!(
                "conversation owned by {}: the bot stays silent",
                s.owner.as_str()
            ),
        )];
    }
    let ctx = Ctx::new(s, config);
    let mut out = Vec::new();
    if let CalendarStatus::Closed {
        notice,
        message,
        visibility,
        ..
    } = s.calendar
    {
        if !s.notice_already_sent {
            out.push(Decision::new(
                DecisionAction::Notice {
                    notice: *notice,
                    visibility: *visibility,
                    text: message.clone(),
                },
                format!(
                    "{} notice, first in this conversation: sent in {}",
                    notice.as_str().replace('_', " "),
                    visibility.as_str()
                ),
            ));
        }
    }
    match s.intent {
        Some(intent) => ctx.confident(intent, &mut out),
        None => ctx.unsure(&mut out),
    }
    ctx.acknowledge(&mut out);
    if let CalendarStatus::Closed {
        next_open: Some(at),
        ..
    } = s.calendar
    {
        for d in &mut out {
            if let DecisionAction::Escalate { not_before, .. } = &mut d.action {
                *not_before = Some(*at);
                d.reason
                    .push_str(&format!("; escalations wait for opening time ({at})"));
            }
        }
    }
    if ctx.rules.silent {
        out = observe_only(out, s.channel);
    }
    out
}

/// A customer who writes while waiting for a person hears where they stand (rule 1b); the
/// pipeline only offers a place when the interval since they were last told has passed.
fn still_queued(s: &Situation, config: &PolicyConfig) -> Option<Decision> {
    let position = s.still_queued_at?;
    let rules = config.channel(s.channel);
    if s.owner != Owner::Queued || config.still_queued.trim().is_empty() || rules.silent {
        return None;
    }
    let visibility = rules.reply_visibility.unwrap_or(s.visibility);
    let mut values: BTreeMap<&str, String> = s
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    values.insert("queue_position", position.to_string());
    Some(Decision::new(
        DecisionAction::Reply {
            visibility,
            text: template::render(&config.still_queued, &values),
        },
        format!(
            "conversation waiting for a person at place {position}: the bot stays silent on content and tells the customer so in {} (policy.still_queued)",
            visibility.as_str()
        ),
    ))
}

/// Every decision but escalations becomes one Silence.
fn observe_only(decisions: Vec<Decision>, channel: &str) -> Vec<Decision> {
    let mut out = Vec::new();
    let mut silenced = false;
    for d in decisions {
        if matches!(d.action, DecisionAction::Escalate { .. }) {
            out.push(d);
        } else if !silenced {
            silenced = true;
            out.push(Decision::new(
                DecisionAction::Silence,
                format!("channel {channel} is observe-only"),
            ));
        }
    }
    out
}

struct Ctx<'s, 'a> {
    s: &'s Situation<'a>,
    config: &'s PolicyConfig,
    rules: &'s ChannelRules,
    negative: Option<f32>,
    positive: Option<f32>,
    /// The complaint probability, when at or above `policy.complaint`.
    complaint: Option<f32>,
}

impl<'s, 'a> Ctx<'s, 'a> {
    fn new(s: &'s Situation<'a>, config: &'s PolicyConfig) -> Self {
        let scores = s.analysis.sentiment.as_ref().map(|x| x.scores);
        Self {
            s,
            config,
            rules: config.channel(s.channel),
            negative: scores
                .map(|x| x.negative)
                .filter(|n| *n >= config.negative_sentiment),
            positive: scores
                .map(|x| x.positive)
                .filter(|p| *p >= config.positive_like),
            complaint: s.analysis.complaint.filter(|c| *c >= config.complaint),
        }
    }

    /// "complaint 0.83 >= 0.50", when a complaint.
    fn complaint_words(&self) -> Option<String> {
        self.complaint
            .map(|c| format!("complaint {c:.2} >= {:.2}", self.config.complaint))
    }

    /// A positive mention worth a like: positive, not negative, not a complaint (sarcasm).
    fn likeable(&self) -> Option<f32> {
        self.positive
            .filter(|_| self.negative.is_none() && self.complaint.is_none())
    }

    fn public(&self) -> bool {
        self.s.visibility == Visibility::Public
    }

    /// "negative sentiment 0.91 >= 0.70", when negative.
    fn negative_words(&self) -> Option<String> {
        self.negative.map(|n| {
            format!(
                "negative sentiment {n:.2} >= {:.2}",
                self.config.negative_sentiment
            )
        })
    }

    /// The skill for an escalation that has no intent skill.
    fn default_skill(&self, unsure: bool) -> &str {
        if unsure && !self.public() {
            &self.config.private_skill
        } else {
            &self.config.fallback_skill
        }
    }

    fn escalate(&self, skill: &str, cause: EscalationCause, why: String) -> Decision {
        let complaint_skill = self.config.is_complaint(skill);
        let complaint = complaint_skill || self.complaint.is_some();
        let priority = match (complaint, self.negative.is_some()) {
            (true, true) => Priority::Urgent,
            (true, false) | (false, true) => Priority::High,
            (false, false) => Priority::Normal,
        };
        let mut notes = Vec::new();
        if complaint_skill {
            notes.push("a complaint skill".to_string());
        }
        notes.extend(self.complaint_words());
        notes.extend(self.negative_words());
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join(", "))
        };
        let mut d = Decision::new(
            DecisionAction::Escalate {
                skill: skill.to_string(),
                priority,
                not_before: None,
            },
            format!(
                "{why}: escalated to {skill}{notes}, priority {}",
                priority_name(priority)
            ),
        );
        d.cause = Some(cause);
        d
    }

    fn confident(&self, intent: &Intent, out: &mut Vec<Decision>) {
        let p = &self.s.analysis.intent;
        let what = if p.name == intent.name && !p.reason.is_empty() {
            format!("intent {}", p.reason)
        } else {
            format!("intent '{}' at {:.2}", intent.name, p.confidence)
        };
        let skill = intent
            .skill
            .as_deref()
            .unwrap_or_else(|| self.default_skill(false));
        if intent.action == Action::Escalate {
            out.push(self.escalate(skill, EscalationCause::Intent, what));
            return;
        }
        // A ticket is already the support process for a fault, and fault reports are naturally
        // negative complaints: the ticket still opens. Any other complaint, or anything else
        // that is negative, goes to a person.
        if self.complaint.is_some() && intent.action != Action::Ticket {
            out.push(
                self.escalate(
                    intent
                        .skill
                        .as_deref()
                        .unwrap_or_else(|| self.config.complaint_skill()),
                    EscalationCause::Complaint,
                    format!("{what} but a complaint, so a person answers instead of the bot"),
                ),
            );
            return;
        }
        if self.negative.is_some() && intent.action != Action::Ticket {
            out.push(self.escalate(
                skill,
                EscalationCause::NegativeSentiment,
                format!("{what} but negative, so a person answers instead of the bot"),
            ));
            return;
        }
        let visibility = self.reply_visibility(intent);
        match intent.action {
            Action::Escalate => {}
            Action::Answer => match self.pick(intent, visibility) {
                Some((text, why)) => out.push(self.reply(visibility, text, &what, &why)),
                None => out.push(self.escalate(
                    skill,
                    EscalationCause::NoResponse,
                    format!("{what} but no response is written for it"),
                )),
            },
            Action::Like => {
                let reply = self.pick(intent, visibility);
                if self.public() {
                    out.push(Decision::new(DecisionAction::Like, format!("{what}: liked")));
                }
                match reply {
                    Some((text, why)) => out.push(self.reply(visibility, text, &what, &why)),
                    None if !self.public() => out.push(Decision::new(
                        DecisionAction::Silence,
                        format!("{what}: a private message cannot be liked and the intent has no response"),
                    )),
                    None => {}
                }
            }
            Action::Ticket => {
                let (template, why) = self
                    .pick(intent, visibility)
                    .unwrap_or((String::new(), "no response: no reply".into()));
                out.push(Decision::new(
                    DecisionAction::Ticket {
                        skill: skill.to_string(),
                        title: ticket_title(&intent.name, &self.s.analysis.text),
                        reply_visibility: visibility,
                        reply_template: template,
                    },
                    format!(
                        "{what}: ticket for {skill}, reply in {} ({why})",
                        visibility.as_str()
                    ),
                ));
            }
            Action::Ignore => match self.likeable().filter(|_| self.public()) {
                Some(pos) if self.rules.likes_positive() => out.push(Decision::new(
                    DecisionAction::Like,
                    format!(
                        "{what} is ignored, but a positive public mention ({pos:.2} >= {:.2}): liked",
                        self.config.positive_like
                    ),
                )),
                _ => out.push(Decision::new(
                    DecisionAction::Silence,
                    format!("{what}: ignored"),
                )),
            },
        }
        if self.public() && self.rules.repost_intents.contains(&intent.name) {
            out.push(Decision::new(
                DecisionAction::Repost,
                format!("{what}: channel {} reposts this intent", self.s.channel),
            ));
        }
    }

    fn unsure(&self, out: &mut Vec<Decision>) {
        let p = &self.s.analysis.intent;
        let reason = if p.reason.is_empty() {
            format!("'{}' at {:.2}", p.name, p.confidence)
        } else {
            p.reason.clone()
        };
        if let (Some(pos), true, true) =
            (self.likeable(), self.public(), self.rules.likes_positive())
        {
            out.push(Decision::new(
                DecisionAction::Like,
                format!(
                    "positive mention with no actionable intent ({reason}; positive {pos:.2} >= {:.2}): liked",
                    self.config.positive_like
                ),
            ));
            return;
        }
        if self.complaint.is_some() {
            out.push(self.escalate(
                self.config.complaint_skill(),
                EscalationCause::Complaint,
                format!("a complaint the bot cannot place ({reason})"),
            ));
            return;
        }
        let skill = self.default_skill(true);
        out.push(self.escalate(
            skill,
            EscalationCause::Unsure,
            format!("the bot is unsure ({reason})"),
        ));
    }

    /// A hand-over is never silent: after an escalation the customer hears, once, what happens
    /// next: an `escalate` intent's own response, else `policy.acknowledgement` (in private) or
    /// the shorter `policy.public_acknowledgement` (in public). Later messages
    /// find the conversation owned by a person (rule 1), so this is once per hand-over.
    fn acknowledge(&self, out: &mut Vec<Decision>) {
        let escalated = out
            .iter()
            .any(|d| matches!(d.action, DecisionAction::Escalate { .. }));
        let replied = out
            .iter()
            .any(|d| matches!(d.action, DecisionAction::Reply { .. }));
        if !escalated || replied {
            return;
        }
        let intent = self.s.intent;
        let visibility = match intent {
            Some(i) => self.reply_visibility(i),
            None => self.rules.reply_visibility.unwrap_or(self.s.visibility),
        };
        let own = intent
            .filter(|i| i.action == Action::Escalate)
            .and_then(|i| self.pick(i, visibility).map(|(text, why)| (i, text, why)));
        let (configured, key) = match visibility {
            Visibility::Public => (
                &self.config.public_acknowledgement,
                "policy.public_acknowledgement",
            ),
            Visibility::Private => (&self.config.acknowledgement, "policy.acknowledgement"),
        };
        let (raw, why) = match own {
            Some((i, text, why)) => (text, format!("the response of '{}', {why}", i.name)),
            None if configured.trim().is_empty() => return,
            None => (configured.clone(), key.to_string()),
        };
        let mut d = self.reply(visibility, raw, "handed to a person", &why);
        d.reason = format!(
            "handed to a person: the customer is told so in {} ({why})",
            visibility.as_str()
        );
        out.push(d);
    }

    /// The channel's forced visibility, else private for its private intents, else the
    /// message's own.
    fn reply_visibility(&self, intent: &Intent) -> Visibility {
        if let Some(v) = self.rules.reply_visibility {
            v
        } else if self.rules.private_intents.contains(&intent.name) {
            Visibility::Private
        } else {
            self.s.visibility
        }
    }

    /// A raw response template for `visibility` (the other list when that one is empty),
    /// chosen by the message's seed, with words saying which.
    fn pick(&self, intent: &Intent, visibility: Visibility) -> Option<(String, String)> {
        let (own, other) = match visibility {
            Visibility::Public => (&intent.responses.public, &intent.responses.private),
            Visibility::Private => (&intent.responses.private, &intent.responses.public),
        };
        let (list, borrowed): (&Vec<Template>, bool) = if own.is_empty() {
            (other, true)
        } else {
            (own, false)
        };
        if list.is_empty() {
            return None;
        }
        let i = (self.s.variant_seed % list.len() as u64) as usize;
        let mut why = format!("variant {} of {}", i + 1, list.len());
        if borrowed {
            why.push_str(&format!(
                ", from the {} responses as it has no {} ones",
                other_name(visibility),
                visibility.as_str()
            ));
        }
        list.get(i).map(|t| (t.text.clone(), why))
    }

    fn reply(&self, visibility: Visibility, raw: String, what: &str, why: &str) -> Decision {
        let values: BTreeMap<&str, String> = self
            .s
            .fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        Decision::new(
            DecisionAction::Reply {
                visibility,
                text: template::render(&raw, &values),
            },
            format!("{what}: answered in {} ({why})", visibility.as_str()),
        )
    }
}

fn other_name(v: Visibility) -> &'static str {
    match v {
        Visibility::Public => "private",
        Visibility::Private => "public",
    }
}

fn priority_name(p: Priority) -> &'static str {
    match p {
        Priority::Urgent => "urgent",
        Priority::High => "high",
        Priority::Normal => "normal",
    }
}

/// "<intent>: <first 80 characters of the text, whitespace collapsed>".
fn ticket_title(intent: &str, text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let title: String = flat.chars().take(80).collect();
    format!("{intent}: {title}")
}

#[cfg(test)]
mod tests;
