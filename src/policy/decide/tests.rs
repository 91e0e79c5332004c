use super::*;
use crate::intents::{Responses, Template};
use crate::nlu::analyze::Timings;
use crate::nlu::classifier::{IntentPrediction, Verdict};
use crate::nlu::sentiment::{Sentiment, SentimentScores};
use crate::nlu::Analysis;
use crate::policy::NoticeKind;
use chrono::{DateTime, Utc};

fn intent(
    name: &str,
    action: Action,
    skill: Option<&str>,
    public: &[&str],
    private: &[&str],
) -> Intent {
    let t = |v: &[&str]| {
        v.iter()
            .map(|s| Template {
                text: s.to_string(),
                location: Default::default(),
            })
            .collect()
    };
    Intent {
        name: name.into(),
        description: None,
        action,
        skill: skill.map(Into::into),
        threshold: None,
        examples: Vec::new(),
        responses: Responses {
            public: t(public),
            private: t(private),
        },
        location: Default::default(),
    }
}

fn analysis(
    name: &str,
    confidence: f32,
    verdict: Verdict,
    sentiment: Option<(f32, f32)>,
) -> Analysis {
    let reason = match verdict {
        Verdict::Confident => format!("'{name}' at {confidence:.2} (threshold 0.50)"),
        Verdict::OutOfScopeIntent => {
            format!("matches the out-of-scope intent ({confidence:.2} >= 0.50)")
        }
        _ => format!("confidence {confidence:.2} for '{name}' is below the threshold 0.50"),
    };
    let out_of_scope = matches!(verdict, Verdict::LowConfidence | Verdict::OutOfScopeIntent);
    Analysis {
        text: "Where is my order?  It has been   two weeks and nobody answers my emails, this is really not good enough".into(),
        intent: IntentPrediction {
            name: name.into(),
            confidence,
            ranking: Vec::new(),
            verdict,
            out_of_scope,
            reason,
        },
        out_of_scope,
        sentiment: sentiment.map(|(negative, positive)| Sentiment {
            label: "neutral",
            scores: SentimentScores {
                negative,
                neutral: 1.0 - negative - positive,
                positive,
            },
        }),
        complaint: None,
        timings: Timings {
            encode_ms: 1.0,
            classify_ms: 0.1,
        },
    }
}

fn closed(next_open: Option<&str>, visibility: Visibility) -> CalendarStatus {
    CalendarStatus::Closed {
        notice: NoticeKind::Closed,
        message: "We're closed.".into(),
        visibility,
        next_open: next_open.map(|t| t.parse::<DateTime<Utc>>().unwrap()),
    }
}

/// Runs `decide` for a message on `channel`; `intent` is given when the NLU was confident.
struct Case {
    channel: &'static str,
    visibility: Visibility,
    owner: Owner,
    intent: Option<Intent>,
    analysis: Analysis,
    calendar: CalendarStatus,
    notice_already_sent: bool,
    seed: u64,
    still_queued_at: Option<i64>,
}

impl Case {
    fn confident(intent: Intent, sentiment: Option<(f32, f32)>) -> Self {
        let analysis = analysis(&intent.name, 0.91, Verdict::Confident, sentiment);
        Self {
            intent: Some(intent),
            ..Self::unsure(analysis)
        }
    }

    fn unsure(analysis: Analysis) -> Self {
        Self {
            channel: "x",
            visibility: Visibility::Public,
            owner: Owner::Bot,
            intent: None,
            analysis,
            calendar: CalendarStatus::Open,
            notice_already_sent: false,
            seed: 0,
            still_queued_at: None,
        }
    }

    fn complaint(mut self, p: f32) -> Self {
        self.analysis.complaint = Some(p);
        self
    }

    fn private(mut self) -> Self {
        self.visibility = Visibility::Private;
        self
    }

    fn run(&self, config: &PolicyConfig) -> Vec<Decision> {
        let fields = BTreeMap::from([("first_name".to_string(), "Ada".to_string())]);
        let s = Situation {
            channel: self.channel,
            visibility: self.visibility,
            owner: self.owner,
            intent: self.intent.as_ref(),
            analysis: &self.analysis,
            calendar: &self.calendar,
            notice_already_sent: self.notice_already_sent,
            fields: &fields,
            variant_seed: self.seed,
            still_queued_at: self.still_queued_at,
        };
        decide(&s, config)
    }

    fn actions(&self, config: &PolicyConfig) -> Vec<DecisionAction> {
        self.run(config).into_iter().map(|d| d.action).collect()
    }
}

fn order_status() -> Intent {
    intent(
        "order_status",
        Action::Answer,
        None,
        &["Hi {{first_name}}, we've sent you a DM."],
        &["Hi {{first_name}}, your order is on its way."],
    )
}

fn reply(visibility: Visibility, text: &str) -> DecisionAction {
    DecisionAction::Reply {
        visibility,
        text: text.into(),
    }
}

fn escalate(skill: &str, priority: Priority) -> DecisionAction {
    DecisionAction::Escalate {
        skill: skill.into(),
        priority,
        not_before: None,
    }
}

/// The defaults, without the generic acknowledgement: each rule's test shows its own decisions;
/// the acknowledgement has its own tests (`acknowledged()`).
fn config() -> PolicyConfig {
    PolicyConfig {
        acknowledgement: String::new(),
        public_acknowledgement: String::new(),
        ..PolicyConfig::default()
    }
}

fn acknowledged() -> PolicyConfig {
    PolicyConfig::default()
}

#[test]
fn a_conversation_owned_by_a_person_keeps_the_bot_silent() {
    for owner in [Owner::Agent, Owner::Queued] {
        let mut case = Case::confident(order_status(), None);
        case.owner = owner;
        case.calendar = closed(None, Visibility::Private);
        let decisions = case.run(&config());
        assert_eq!(decisions.len(), 1);
        assert_eq!(decisions[0].action, DecisionAction::Silence);
        assert_eq!(
            decisions[0].reason,
            format!(
                "conversation owned by {}: the bot stays silent",
                owner.as_str()
            )
        );
    }
}

#[test]
fn a_customer_waiting_in_the_queue_is_told_their_place_when_it_is_due() {
    let mut case = Case::confident(order_status(), None).private();
    case.owner = Owner::Queued;
    case.still_queued_at = Some(3);
    let decisions = case.run(&acknowledged());
    assert_eq!(
        decisions,
        vec![Decision::new(
            reply(
                Visibility::Private,
                "Thanks for waiting, Ada. You're number 3 in the queue: a person will reply here as soon as they can."
            ),
            "conversation waiting for a person at place 3: the bot stays silent on content and tells the customer so in private (policy.still_queued)"
        )]
    );
}

#[test]
fn the_queue_notice_is_never_sent_to_an_assigned_conversation_when_off_or_observe_only() {
    let mut assigned = Case::confident(order_status(), None);
    assigned.owner = Owner::Agent;
    assigned.still_queued_at = Some(1);
    assert_eq!(
        assigned.run(&acknowledged())[0].action,
        DecisionAction::Silence
    );

    let mut queued = Case::confident(order_status(), None);
    queued.owner = Owner::Queued;
    queued.still_queued_at = Some(1);
    let off = PolicyConfig {
        still_queued: " ".into(),
        ..PolicyConfig::default()
    };
    assert_eq!(queued.run(&off)[0].action, DecisionAction::Silence);

    let mut observe = acknowledged();
    observe.channels.insert(
        "x".into(),
        ChannelRules {
            silent: true,
            ..ChannelRules::default()
        },
    );
    assert_eq!(queued.run(&observe)[0].action, DecisionAction::Silence);

    queued.still_queued_at = None;
    assert_eq!(
        queued.run(&acknowledged())[0].action,
        DecisionAction::Silence,
        "not due yet"
    );
}

#[test]
fn confident_answer_replies_in_the_message_visibility_and_quotes_the_figures() {
    let decisions = Case::confident(order_status(), None).run(&config());
    assert_eq!(
        decisions,
        vec![Decision::new(
            reply(Visibility::Public, "Hi Ada, we've sent you a DM."),
            "intent 'order_status' at 0.91 (threshold 0.50): answered in public (variant 1 of 1)"
        )]
    );
    let private = Case::confident(order_status(), None).private();
    assert_eq!(
        private.actions(&config()),
        vec![reply(
            Visibility::Private,
            "Hi Ada, your order is on its way."
        )]
    );
}

#[test]
fn the_seed_picks_a_variant_and_an_empty_list_borrows_the_other() {
    let mut case = Case::confident(
        intent(
            "thanks",
            Action::Answer,
            None,
            &["One", "Two", "Three"],
            &[],
        ),
        None,
    );
    case.seed = 7;
    assert_eq!(
        case.actions(&config()),
        vec![reply(Visibility::Public, "Two")]
    );
    let case = case.private();
    let decisions = case.run(&config());
    assert_eq!(decisions[0].action, reply(Visibility::Private, "Two"));
    assert!(
        decisions[0].reason.contains("from the public responses"),
        "{}",
        decisions[0].reason
    );
}

#[test]
fn an_answer_with_no_response_written_escalates() {
    let case = Case::confident(
        intent("refund", Action::Answer, Some("billing"), &[], &[]),
        None,
    );
    let decisions = case.run(&config());
    assert_eq!(decisions[0].action, escalate("billing", Priority::Normal));
    assert!(decisions[0].reason.contains("no response is written"));
}

#[test]
fn same_intent_answers_public_on_one_channel_private_on_another() {
    let mut config = config();
    config.channels.insert(
        "facebook".into(),
        ChannelRules {
            private_intents: vec!["order_status".into()],
            ..ChannelRules::default()
        },
    );
    let mut case = Case::confident(order_status(), None);
    assert_eq!(
        case.actions(&config),
        vec![reply(Visibility::Public, "Hi Ada, we've sent you a DM.")]
    );
    case.channel = "facebook";
    assert_eq!(
        case.actions(&config),
        vec![reply(
            Visibility::Private,
            "Hi Ada, your order is on its way."
        )]
    );
}

#[test]
fn a_channel_can_force_every_reply_private() {
    let mut config = config();
    config.channels.insert(
        "x".into(),
        ChannelRules {
            reply_visibility: Some(Visibility::Private),
            ..ChannelRules::default()
        },
    );
    let case = Case::confident(order_status(), None);
    assert_eq!(
        case.actions(&config),
        vec![reply(
            Visibility::Private,
            "Hi Ada, your order is on its way."
        )]
    );
}

#[test]
fn an_escalate_intent_goes_to_its_skill() {
    let case = Case::confident(
        intent("human", Action::Escalate, Some("sales"), &[], &[]),
        None,
    );
    assert_eq!(
        case.actions(&config()),
        vec![escalate("sales", Priority::Normal)]
    );
}

#[test]
fn a_complaint_is_high_priority() {
    let case = Case::confident(
        intent("complaint", Action::Escalate, Some("complaints"), &[], &[]),
        None,
    );
    assert_eq!(
        case.actions(&config()),
        vec![escalate("complaints", Priority::High)]
    );
}

#[test]
fn negative_complaint_is_urgent() {
    let case = Case::confident(
        intent("complaint", Action::Escalate, Some("complaints"), &[], &[]),
        Some((0.91, 0.02)),
    );
    let decisions = case.run(&config());
    assert_eq!(
        decisions[0].action,
        escalate("complaints", Priority::Urgent)
    );
    assert_eq!(
        decisions[0].reason,
        "intent 'complaint' at 0.91 (threshold 0.50): escalated to complaints \
         (a complaint skill, negative sentiment 0.91 >= 0.70), priority urgent"
    );
    assert_eq!(decisions[0].cause, Some(EscalationCause::Intent));
}

#[test]
fn negative_sentiment_escalates_instead_of_answering() {
    let decisions = Case::confident(order_status(), Some((0.85, 0.05))).run(&config());
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].action, escalate("general", Priority::High));
    assert_eq!(decisions[0].cause, Some(EscalationCause::NegativeSentiment));
    assert_eq!(
        decisions[0].reason,
        "intent 'order_status' at 0.91 (threshold 0.50) but negative, so a person answers \
         instead of the bot: escalated to general (negative sentiment 0.85 >= 0.70), priority high"
    );
    assert!(decisions[0].reason.contains("instead of the bot"));
    // Just under the threshold the bot answers.
    let calm = Case::confident(order_status(), Some((0.69, 0.05)));
    assert!(matches!(
        calm.actions(&config())[0],
        DecisionAction::Reply { .. }
    ));
}

#[test]
fn a_like_intent_likes_public_messages_and_replies_when_it_has_a_response() {
    let praise = intent(
        "praise",
        Action::Like,
        None,
        &["Thanks {{first_name}}!"],
        &[],
    );
    assert_eq!(
        Case::confident(praise.clone(), None).actions(&config()),
        vec![
            DecisionAction::Like,
            reply(Visibility::Public, "Thanks Ada!")
        ]
    );
    assert_eq!(
        Case::confident(praise, None).private().actions(&config()),
        vec![reply(Visibility::Private, "Thanks Ada!")]
    );
    let silent = intent("praise", Action::Like, None, &[], &[]);
    assert_eq!(
        Case::confident(silent.clone(), None).actions(&config()),
        vec![DecisionAction::Like]
    );
    assert_eq!(
        Case::confident(silent, None).private().actions(&config()),
        vec![DecisionAction::Silence]
    );
}

#[test]
fn a_ticket_intent_opens_a_ticket_with_the_raw_template() {
    let case = Case::confident(
        intent(
            "broken_item",
            Action::Ticket,
            Some("returns"),
            &[],
            &["We opened {{ticket_url}}"],
        ),
        None,
    );
    let title = format!(
        "broken_item: {}",
        "Where is my order? It has been two weeks and nobody answers my emails, this is r"
    );
    assert_eq!(
        case.actions(&config()),
        vec![DecisionAction::Ticket {
            skill: "returns".into(),
            title,
            reply_visibility: Visibility::Public,
            reply_template: "We opened {{ticket_url}}".into(),
        }]
    );
}

#[test]
fn an_ignore_intent_is_silent_unless_a_positive_public_mention() {
    let spam = intent("chitchat", Action::Ignore, None, &[], &[]);
    assert_eq!(
        Case::confident(spam.clone(), None).actions(&config()),
        vec![DecisionAction::Silence]
    );
    assert_eq!(
        Case::confident(spam.clone(), Some((0.0, 0.9))).actions(&config()),
        vec![DecisionAction::Like]
    );
    assert_eq!(
        Case::confident(spam, Some((0.0, 0.9)))
            .private()
            .actions(&config()),
        vec![DecisionAction::Silence]
    );
}

#[test]
fn a_positive_public_mention_with_no_actionable_intent_is_liked() {
    let case = Case::unsure(analysis(
        "praise",
        0.31,
        Verdict::LowConfidence,
        Some((0.01, 0.93)),
    ));
    let decisions = case.run(&config());
    assert_eq!(decisions[0].action, DecisionAction::Like);
    assert!(decisions[0]
        .reason
        .starts_with("positive mention with no actionable intent"));
    let mut config = config();
    config.channels.insert(
        "x".into(),
        ChannelRules {
            like_positive: Some(false),
            ..ChannelRules::default()
        },
    );
    assert_eq!(
        case.actions(&config),
        vec![escalate("general", Priority::Normal)]
    );
}

#[test]
fn a_public_message_the_bot_is_unsure_of_goes_to_the_fallback_skill() {
    let case = Case::unsure(analysis("order_status", 0.31, Verdict::LowConfidence, None));
    let decisions = case.run(&config());
    assert_eq!(decisions[0].action, escalate("general", Priority::Normal));
    assert_eq!(decisions[0].cause, Some(EscalationCause::Unsure));
    assert_eq!(
        decisions[0].reason,
        "the bot is unsure (confidence 0.31 for 'order_status' is below the threshold 0.50): \
         escalated to general, priority normal"
    );
}

#[test]
fn private_message_unsure_goes_to_private_skill() {
    let case = Case::unsure(analysis(
        "out_of_scope",
        0.8,
        Verdict::OutOfScopeIntent,
        None,
    ))
    .private();
    assert_eq!(
        case.actions(&config()),
        vec![escalate("private_messages", Priority::Normal)]
    );
}

#[test]
fn a_negative_message_the_bot_is_unsure_of_is_high_priority() {
    let case = Case::unsure(analysis(
        "order_status",
        0.3,
        Verdict::Ambiguous,
        Some((0.8, 0.1)),
    ));
    assert_eq!(
        case.actions(&config()),
        vec![escalate("general", Priority::High)]
    );
}

#[test]
fn repost_intents_are_reposted_in_public_only() {
    let mut config = config();
    config.channels.insert(
        "mastodon".into(),
        ChannelRules {
            repost_intents: vec!["praise".into()],
            ..ChannelRules::default()
        },
    );
    let mut case = Case::confident(intent("praise", Action::Like, None, &[], &[]), None);
    case.channel = "mastodon";
    assert_eq!(
        case.actions(&config),
        vec![DecisionAction::Like, DecisionAction::Repost]
    );
    assert_eq!(
        case.private().actions(&config),
        vec![DecisionAction::Silence]
    );
}

#[test]
fn closed_notice_is_sent_once_per_conversation() {
    let mut case = Case::confident(order_status(), None);
    case.calendar = closed(Some("2026-01-05T09:00:00Z"), Visibility::Private);
    let first = case.actions(&config());
    assert_eq!(
        first,
        vec![
            DecisionAction::Notice {
                notice: NoticeKind::Closed,
                visibility: Visibility::Private,
                text: "We're closed.".into(),
            },
            reply(Visibility::Public, "Hi Ada, we've sent you a DM."),
        ]
    );
    case.notice_already_sent = true;
    assert_eq!(
        case.actions(&config()),
        vec![reply(Visibility::Public, "Hi Ada, we've sent you a DM.")]
    );
}

#[test]
fn escalations_while_closed_wait_for_opening_time() {
    let mut case = Case::unsure(analysis("order_status", 0.3, Verdict::LowConfidence, None));
    case.calendar = closed(Some("2026-01-05T09:00:00Z"), Visibility::Public);
    case.notice_already_sent = true;
    let decisions = case.run(&config());
    let DecisionAction::Escalate { not_before, .. } = &decisions[0].action else {
        panic!("escalates: {decisions:?}");
    };
    assert_eq!(
        not_before.map(|t| t.to_rfc3339()),
        Some("2026-01-05T09:00:00+00:00".into())
    );
    assert!(decisions[0]
        .reason
        .ends_with("escalations wait for opening time (2026-01-05 09:00:00 UTC)"));
    // During an emergency there is no opening time to wait for.
    case.calendar = closed(None, Visibility::Public);
    assert_eq!(
        case.actions(&config()),
        vec![escalate("general", Priority::Normal)]
    );
}

#[test]
fn an_observe_only_channel_keeps_only_escalations() {
    let mut config = config();
    config.channels.insert(
        "slack".into(),
        ChannelRules {
            silent: true,
            ..ChannelRules::default()
        },
    );
    let mut case = Case::confident(order_status(), None);
    case.channel = "slack";
    case.calendar = closed(None, Visibility::Private);
    let decisions = case.run(&config);
    assert_eq!(
        decisions,
        vec![Decision::new(
            DecisionAction::Silence,
            "channel slack is observe-only"
        )]
    );
    let mut angry = Case::confident(order_status(), Some((0.9, 0.0)));
    angry.channel = "slack";
    assert_eq!(
        angry.actions(&config),
        vec![escalate("general", Priority::High)]
    );
}

#[test]
fn decisions_serialise_with_their_kind_and_reason() {
    let d = Decision::new(escalate("general", Priority::High), "why");
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"kind": "escalate", "skill": "general", "priority": "high", "reason": "why"})
    );
}

#[test]
fn a_negative_fault_report_still_opens_its_ticket() {
    let bug = intent(
        "bug_report",
        Action::Ticket,
        Some("technical"),
        &[],
        &["Tracked at {{ticket_url}}"],
    );
    let actions = Case::confident(bug, Some((0.9, 0.02))).actions(&config());
    assert!(
        matches!(actions[..], [DecisionAction::Ticket { .. }]),
        "{actions:?}"
    );
}

#[test]
fn a_complaint_with_a_confident_intent_goes_to_a_person_in_that_intents_skill() {
    let mut status = order_status();
    status.skill = Some("orders".into());
    let decisions = Case::confident(status, Some((0.4, 0.05)))
        .complaint(0.83)
        .run(&config());
    assert_eq!(decisions.len(), 1, "{decisions:?}");
    assert_eq!(decisions[0].action, escalate("orders", Priority::High));
    assert_eq!(decisions[0].cause, Some(EscalationCause::Complaint));
    assert_eq!(
        decisions[0].reason,
        "intent 'order_status' at 0.91 (threshold 0.50) but a complaint, so a person answers \
         instead of the bot: escalated to orders (complaint 0.83 >= 0.50), priority high"
    );
}

#[test]
fn a_complaint_that_is_also_negative_is_urgent_and_without_a_skill_goes_to_complaints() {
    let decisions = Case::confident(order_status(), Some((0.9, 0.01)))
        .complaint(0.95)
        .run(&config());
    assert_eq!(
        decisions[0].action,
        escalate("complaints", Priority::Urgent)
    );
    assert!(decisions[0]
        .reason
        .ends_with("(a complaint skill, complaint 0.95 >= 0.50, negative sentiment 0.90 >= 0.70), priority urgent"));
}

#[test]
fn below_the_complaint_threshold_the_bot_answers_as_before() {
    let actions = Case::confident(order_status(), None)
        .complaint(0.49)
        .actions(&config());
    assert!(
        matches!(actions[..], [DecisionAction::Reply { .. }]),
        "{actions:?}"
    );
    let mut strict = config();
    strict.complaint = 0.4;
    let actions = Case::confident(order_status(), None)
        .complaint(0.49)
        .actions(&strict);
    assert_eq!(actions, vec![escalate("complaints", Priority::High)]);
}

#[test]
fn a_complaint_the_bot_cannot_place_goes_to_the_complaint_skill_not_the_fallback() {
    let case =
        Case::unsure(analysis("order_status", 0.31, Verdict::LowConfidence, None)).complaint(0.7);
    let decisions = case.run(&config());
    assert_eq!(decisions[0].action, escalate("complaints", Priority::High));
    assert_eq!(decisions[0].cause, Some(EscalationCause::Complaint));
    let mut named = config();
    named.complaint_skill = Some("care".into());
    assert_eq!(case.actions(&named), vec![escalate("care", Priority::High)]);
}

#[test]
fn a_sarcastic_positive_complaint_is_never_liked() {
    // "great job losing my bag AGAIN 👏": positive words, a complaint all the same.
    let praise = intent("thanks_praise", Action::Like, None, &[], &[]);
    let actions = Case::confident(praise, Some((0.05, 0.9)))
        .complaint(0.8)
        .actions(&config());
    assert_eq!(actions, vec![escalate("complaints", Priority::High)]);
    let unsure = Case::unsure(analysis(
        "praise",
        0.31,
        Verdict::LowConfidence,
        Some((0.01, 0.93)),
    ))
    .complaint(0.8);
    assert!(!unsure.actions(&config()).contains(&DecisionAction::Like));
    let ignored = intent("chitchat", Action::Ignore, None, &[], &[]);
    assert_eq!(
        Case::confident(ignored, Some((0.0, 0.9)))
            .complaint(0.8)
            .actions(&config()),
        vec![escalate("complaints", Priority::High)]
    );
}

#[test]
fn a_fault_report_that_complains_still_opens_its_ticket() {
    let bug = intent(
        "bug_report",
        Action::Ticket,
        Some("technical"),
        &[],
        &["{{ticket_url}}"],
    );
    let actions = Case::confident(bug, None)
        .complaint(0.99)
        .actions(&config());
    assert!(
        matches!(actions[..], [DecisionAction::Ticket { .. }]),
        "{actions:?}"
    );
}

#[test]
fn an_escalation_is_followed_by_one_acknowledgement_in_the_reply_visibility() {
    let case = Case::unsure(analysis("order_status", 0.31, Verdict::LowConfidence, None)).private();
    let decisions = case.run(&acknowledged());
    assert_eq!(
        decisions.iter().map(|d| d.action.clone()).collect::<Vec<_>>(),
        vec![
            escalate("private_messages", Priority::Normal),
            reply(
                Visibility::Private,
                "Thanks, Ada. I've passed this to our team: a person will reply here as soon as they can."
            ),
        ]
    );
    assert_eq!(
        decisions[1].reason,
        "handed to a person: the customer is told so in private (policy.acknowledgement)"
    );
}

#[test]
fn an_escalate_intent_acknowledges_with_its_own_response() {
    let human = intent(
        "human",
        Action::Escalate,
        Some("sales"),
        &["Sure {{first_name}}, a colleague will reply here."],
        &[],
    );
    let decisions = Case::confident(human, None).run(&acknowledged());
    assert_eq!(decisions[0].action, escalate("sales", Priority::Normal));
    assert_eq!(
        decisions[1].action,
        reply(Visibility::Public, "Sure Ada, a colleague will reply here.")
    );
    assert!(
        decisions[1].reason.contains("the response of 'human'"),
        "{}",
        decisions[1].reason
    );
}

#[test]
fn a_complaint_on_an_answer_intent_is_acknowledged_not_answered() {
    let decisions = Case::confident(order_status(), None)
        .complaint(0.9)
        .private()
        .run(&acknowledged());
    assert!(matches!(
        decisions[0].action,
        DecisionAction::Escalate { .. }
    ));
    let DecisionAction::Reply { text, .. } = &decisions[1].action else {
        panic!("{decisions:?}");
    };
    assert!(text.starts_with("Thanks, Ada. I've passed this"), "{text}");
    assert!(
        !text.contains("on its way"),
        "never the intent's answer: {text}"
    );
}

#[test]
fn a_public_post_is_acknowledged_with_the_short_public_text() {
    let decisions = Case::confident(order_status(), None)
        .complaint(0.9)
        .run(&acknowledged());
    assert_eq!(
        decisions[1].action,
        reply(
            Visibility::Public,
            "Sorry to hear this, Ada. A member of our team will reply to you here shortly."
        )
    );
    assert_eq!(
        decisions[1].reason,
        "handed to a person: the customer is told so in public (policy.public_acknowledgement)"
    );
}

#[test]
fn an_empty_acknowledgement_or_an_observe_only_channel_sends_nothing() {
    let case = Case::unsure(analysis("order_status", 0.31, Verdict::LowConfidence, None));
    assert_eq!(
        case.actions(&config()),
        vec![escalate("general", Priority::Normal)]
    );
    let mut silent = acknowledged();
    silent.channels.insert(
        "x".into(),
        ChannelRules {
            silent: true,
            ..Default::default()
        },
    );
    assert_eq!(
        case.actions(&silent),
        vec![
            escalate("general", Priority::Normal),
            DecisionAction::Silence
        ]
    );
}

#[test]
fn a_reply_the_bot_gives_is_not_followed_by_an_acknowledgement() {
    let decisions = Case::confident(order_status(), None).run(&acknowledged());
    assert_eq!(decisions.len(), 1, "{decisions:?}");
}
