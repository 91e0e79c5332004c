//! The `[policy]` table: thresholds, skills for escalations the intents do not name, and
//! per-channel overrides.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Visibility;
use crate::intents::diagnostic::did_you_mean;
use crate::intents::Bot;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Negative-sentiment score at or above which a message escalates.
    pub negative_sentiment: f32,
    /// Positive score at or above which a public mention with no actionable intent is liked.
    pub positive_like: f32,
    /// Complaint probability at or above which a message is a complaint: a person answers it
    /// (whatever the intent, but a ticket), it is never liked, and its escalation goes up a
    /// priority.
    pub complaint: f32,
    /// Skill for complaints with no intent skill (default: the first of `complaint_skills`,
    /// else `fallback_skill`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complaint_skill: Option<String>,
    /// Skill for escalations with no intent skill (unsure, out of scope, negative).
    pub fallback_skill: String,
    /// Skill for private messages the bot escalates because it is unsure.
    pub private_skill: String,
    /// Escalations to these skills are complaints: High, Urgent when also negative.
    pub complaint_skills: Vec<String>,
    /// What the customer hears, once, when the bot hands their conversation to a person (an
    /// `escalate` intent's own response comes first). Template fields as in responses; empty
    /// turns it off.
    pub acknowledgement: String,
    /// The same for a public post: short, since everyone reads it.
    pub public_acknowledgement: String,
    /// What a customer who writes while waiting for a person hears, at most once per
    /// `still_queued_every_minutes` (counted from the hand-over): `{{queue_position}}` is their
    /// place. Empty turns it off.
    pub still_queued: String,
    pub still_queued_every_minutes: u32,
    /// Overrides by channel name.
    pub channels: BTreeMap<String, ChannelRules>,
}

/// Says what happens next in plain words; reads well with or without a name.
pub const DEFAULT_ACKNOWLEDGEMENT: &str =
    "Thanks, {{first_name}}. I've passed this to our team: a person will reply here as soon as they can.";

/// Says in public that a person will answer, without the details.
pub const DEFAULT_PUBLIC_ACKNOWLEDGEMENT: &str =
    "Sorry to hear this, {{first_name}}. A member of our team will reply to you here shortly.";

/// Where they are and that a person is coming; the name is optional.
pub const DEFAULT_STILL_QUEUED: &str = "Thanks for waiting, {{first_name}}. You're number {{queue_position}} in the queue: a person will reply here as soon as they can.";

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            negative_sentiment: 0.70,
            positive_like: 0.70,
            complaint: 0.50,
            complaint_skill: None,
            fallback_skill: "general".into(),
            private_skill: "private_messages".into(),
            complaint_skills: vec!["complaints".into()],
            acknowledgement: DEFAULT_ACKNOWLEDGEMENT.into(),
            public_acknowledgement: DEFAULT_PUBLIC_ACKNOWLEDGEMENT.into(),
            still_queued: DEFAULT_STILL_QUEUED.into(),
            still_queued_every_minutes: 10,
            channels: BTreeMap::new(),
        }
    }
}

/// `[policy.channels.<name>]`: how one channel differs from the defaults.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChannelRules {
    /// Force every reply on this channel public or private.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_visibility: Option<Visibility>,
    /// These intents answer in private on this channel.
    pub private_intents: Vec<String>,
    /// Like positive public mentions that have no actionable intent (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub like_positive: Option<bool>,
    /// Also repost public messages with these intents.
    pub repost_intents: Vec<String>,
    /// Observe only: store and classify, never act; escalations still happen.
    pub silent: bool,
}

impl ChannelRules {
    pub fn likes_positive(&self) -> bool {
        self.like_positive.unwrap_or(true)
    }
}

/// Problems found in `[policy]`, one per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", problems.join("\n"))]
pub struct PolicyError {
    pub problems: Vec<String>,
}

impl PolicyConfig {
    /// The rules for `channel` (the defaults when it has none).
    pub fn channel(&self, channel: &str) -> &ChannelRules {
        static DEFAULT: ChannelRules = ChannelRules {
            reply_visibility: None,
            private_intents: Vec::new(),
            like_positive: None,
            repost_intents: Vec::new(),
            silent: false,
        };
        self.channels.get(channel).unwrap_or(&DEFAULT)
    }

    pub fn is_complaint(&self, skill: &str) -> bool {
        self.complaint_skills.iter().any(|s| s == skill)
    }

    /// Where a complaint goes when its intent names no skill.
    pub fn complaint_skill(&self) -> &str {
        self.complaint_skill
            .as_deref()
            .or(self.complaint_skills.first().map(String::as_str))
            .unwrap_or(&self.fallback_skill)
    }

    /// Checks the thresholds, that skills are known to the bot (when `config.yml` lists
    /// skills) and that intents named in channel rules exist.
    pub fn validate(&self, bot: &Bot) -> Result<(), PolicyError> {
        let mut problems = Vec::new();
        for (name, value) in [
            ("negative_sentiment", self.negative_sentiment),
            ("positive_like", self.positive_like),
            ("complaint", self.complaint),
        ] {
            if !(0.0..=1.0).contains(&value) {
                problems.push(format!(
                    "policy.{name}: {value} is not a score; use a number from 0 to 1, e.g. 0.7"
                ));
            }
        }
        let skills: Vec<&str> = bot.settings.skills.iter().map(String::as_str).collect();
        let mut check_skill = |path: String, skill: &str| {
            if !skills.is_empty() && !skills.contains(&skill) {
                let hint = match did_you_mean(skill, &skills) {
                    Some(s) => format!("did you mean \"{s}\"?"),
                    None => format!("skills in config.yml: {}", skills.join(", ")),
                };
                problems.push(format!("{path}: unknown skill \"{skill}\"; {hint}"));
            }
        };
        check_skill("policy.fallback_skill".into(), &self.fallback_skill);
        check_skill("policy.private_skill".into(), &self.private_skill);
        if let Some(skill) = &self.complaint_skill {
            check_skill("policy.complaint_skill".into(), skill);
        }
        for (i, skill) in self.complaint_skills.iter().enumerate() {
            check_skill(format!("policy.complaint_skills[{i}]"), skill);
        }
        check_template(
            &mut problems,
            "policy.acknowledgement",
            &self.acknowledgement,
            &[],
        );
        check_template(
            &mut problems,
            "policy.public_acknowledgement",
            &self.public_acknowledgement,
            &[],
        );
        check_template(
            &mut problems,
            "policy.still_queued",
            &self.still_queued,
            &["queue_position"],
        );
        let intents: Vec<&str> = bot.intents.iter().map(|i| i.name.as_str()).collect();
        for (channel, rules) in &self.channels {
            for (field, names) in [
                ("private_intents", &rules.private_intents),
                ("repost_intents", &rules.repost_intents),
            ] {
                for (i, name) in names.iter().enumerate() {
                    if !intents.contains(&name.as_str()) {
                        let hint = did_you_mean(name, &intents)
                            .map(|s| format!("; did you mean \"{s}\"?"))
                            .unwrap_or_default();
                        problems.push(format!(
                            "policy.channels.{channel}.{field}[{i}]: no intent is named \"{name}\"{hint}"
                        ));
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(PolicyError { problems })
        }
    }
}

/// A policy template's fields must exist: the response fields but `ticket_url`, plus `extra`.
fn check_template(problems: &mut Vec<String>, key: &str, text: &str, extra: &[&str]) {
    let fields = match crate::intents::template::fields(text) {
        Ok(fields) => fields,
        Err(at) => {
            problems.push(format!(
                "{key}: a '{{{{' without '}}}}' at character {at}; write fields as {{{{first_name}}}}"
            ));
            return;
        }
    };
    let known: Vec<&str> = crate::intents::template::FIELDS
        .iter()
        .copied()
        .filter(|f| *f != "ticket_url")
        .chain(extra.iter().copied())
        .collect();
    for (_, field) in fields {
        if !known.contains(&field.as_str()) {
            let hint = match did_you_mean(&field, &known) {
                Some(s) => format!("did you mean {{{{{s}}}}}?"),
                None => format!("fields: {}", known.join(", ")),
            };
            problems.push(format!(
                "{key}: unknown template field {{{{{field}}}}}; {hint}"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intents::{Action, Intent, Settings};

    fn bot() -> Bot {
        let intent = |name: &str| Intent {
            name: name.into(),
            description: None,
            action: Action::Answer,
            skill: None,
            threshold: None,
            examples: Vec::new(),
            responses: Default::default(),
            location: Default::default(),
        };
        Bot {
            settings: Settings {
                skills: vec![
                    "general".into(),
                    "private_messages".into(),
                    "complaints".into(),
                ],
                ..Settings::default()
            },
            intents: vec![intent("order_status"), intent("opening_hours")],
        }
    }

    #[test]
    fn the_defaults_are_valid_for_a_bot_with_the_default_skills() {
        assert_eq!(PolicyConfig::default().validate(&bot()), Ok(()));
    }

    #[test]
    fn the_policy_table_parses_with_channel_rules() {
        let config: PolicyConfig = toml::from_str(
            r#"negative_sentiment = 0.8
[channels.x]
reply_visibility = "private"
like_positive = false
[channels.facebook]
private_intents = ["order_status"]
repost_intents = ["opening_hours"]
silent = true
"#,
        )
        .unwrap();
        assert_eq!(config.negative_sentiment, 0.8);
        assert_eq!(config.positive_like, 0.7);
        assert_eq!(
            config.channel("x").reply_visibility,
            Some(Visibility::Private)
        );
        assert!(!config.channel("x").likes_positive());
        assert!(config.channel("telegram").likes_positive());
        assert!(config.channel("facebook").silent);
        assert_eq!(config.validate(&bot()), Ok(()));
        assert!(toml::from_str::<PolicyConfig>("negative = 0.8").is_err());
        assert!(toml::from_str::<PolicyConfig>("[channels.x]\nsilently = true").is_err());
    }

    #[test]
    fn unknown_skills_and_intents_are_reported_with_a_hint() {
        let mut config = PolicyConfig {
            fallback_skill: "generl".into(),
            positive_like: 1.5,
            ..PolicyConfig::default()
        };
        config.channels.insert(
            "x".into(),
            ChannelRules {
                private_intents: vec!["order_statsu".into()],
                ..ChannelRules::default()
            },
        );
        let err = config.validate(&bot()).unwrap_err();
        assert_eq!(
            err.problems,
            vec![
                "policy.positive_like: 1.5 is not a score; use a number from 0 to 1, e.g. 0.7",
                "policy.fallback_skill: unknown skill \"generl\"; did you mean \"general\"?",
                "policy.channels.x.private_intents[0]: no intent is named \"order_statsu\"; did you mean \"order_status\"?",
            ]
        );
    }

    #[test]
    fn a_complaint_threshold_out_of_range_and_an_unknown_complaint_skill_are_reported() {
        let config = PolicyConfig {
            complaint: 1.2,
            complaint_skill: Some("complaint".into()),
            ..PolicyConfig::default()
        };
        let err = config.validate(&bot()).unwrap_err();
        assert_eq!(
            err.problems,
            vec![
                "policy.complaint: 1.2 is not a score; use a number from 0 to 1, e.g. 0.7",
                "policy.complaint_skill: unknown skill \"complaint\"; did you mean \"complaints\"?",
            ]
        );
        let parsed: PolicyConfig = toml::from_str("complaint = 0.6").unwrap();
        assert_eq!(
            (parsed.complaint, parsed.complaint_skill()),
            (0.6, "complaints")
        );
    }

    #[test]
    fn a_policy_text_with_an_unknown_or_unclosed_field_is_reported_with_a_hint() {
        let typo = PolicyConfig {
            acknowledgement: "Thanks {{frist_name}}, {{ticket_url}}".into(),
            ..PolicyConfig::default()
        };
        assert_eq!(
            typo.validate(&bot()).unwrap_err().problems,
            vec![
                "policy.acknowledgement: unknown template field {{frist_name}}; did you mean {{first_name}}?",
                "policy.acknowledgement: unknown template field {{ticket_url}}; fields: name, first_name, handle, channel, brand",
            ]
        );
        let unclosed = PolicyConfig {
            acknowledgement: "Thanks {{name".into(),
            ..PolicyConfig::default()
        };
        assert_eq!(
            unclosed.validate(&bot()).unwrap_err().problems,
            vec!["policy.acknowledgement: a '{{' without '}}' at character 7; write fields as {{first_name}}"]
        );
        let place = PolicyConfig {
            acknowledgement: "You are number {{queue_position}}".into(),
            still_queued: "You are number {{queue_postion}}".into(),
            ..PolicyConfig::default()
        };
        assert_eq!(
            place.validate(&bot()).unwrap_err().problems,
            vec![
                "policy.acknowledgement: unknown template field {{queue_position}}; fields: name, first_name, handle, channel, brand",
                "policy.still_queued: unknown template field {{queue_postion}}; did you mean {{queue_position}}?",
            ],
            "the place in the queue is only known to the queue notice"
        );
        let off = PolicyConfig {
            acknowledgement: String::new(),
            public_acknowledgement: String::new(),
            still_queued: String::new(),
            ..PolicyConfig::default()
        };
        assert_eq!(off.validate(&bot()), Ok(()));
    }

    #[test]
    fn skills_are_free_when_the_bot_lists_none() {
        let mut bot = bot();
        bot.settings.skills.clear();
        let config = PolicyConfig {
            fallback_skill: "anything".into(),
            ..PolicyConfig::default()
        };
        assert_eq!(config.validate(&bot), Ok(()));
    }
}
