//! The typed form of intent files: bot settings (`config.yml`) and intents.

use serde::Serialize;

use super::diagnostic::Location;

/// What the bot does when an intent is recognised with confidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Answer,
    Like,
    Escalate,
    Ticket,
    Ignore,
}

impl Action {
    pub const NAMES: [&'static str; 5] = ["answer", "like", "escalate", "ticket", "ignore"];

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "answer" => Self::Answer,
            "like" => Self::Like,
            "escalate" => Self::Escalate,
            "ticket" => Self::Ticket,
            "ignore" => Self::Ignore,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Answer => "answer",
            Self::Like => "like",
            Self::Escalate => "escalate",
            Self::Ticket => "ticket",
            Self::Ignore => "ignore",
        }
    }

    /// Escalations and tickets go to people, so they need a skill to route by.
    pub fn needs_skill(self) -> bool {
        matches!(self, Self::Escalate | Self::Ticket)
    }
}

/// Confidence settings; the defaults are what a fresh bot starts with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    /// Below this calibrated confidence the bot is unsure.
    pub confidence: f32,
    /// Top two intents closer than this are ambiguous.
    pub ambiguity_margin: f32,
    /// The `out_of_scope` intent wins only above this confidence.
    pub out_of_scope: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            confidence: 0.5,
            ambiguity_margin: 0.08,
            out_of_scope: 0.5,
        }
    }
}

/// `config.yml`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    pub bot: String,
    pub brand: Option<String>,
    pub language: String,
    pub thresholds: Thresholds,
    pub min_examples: usize,
    /// Known routing skills; when set, an intent's skill must be one of them.
    pub skills: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bot: "Customer care".into(),
            brand: None,
            language: "en".into(),
            thresholds: Thresholds::default(),
            min_examples: 10,
            skills: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Example {
    pub text: String,
    pub location: Location,
}

/// Response variants; one is picked per reply.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Responses {
    pub public: Vec<Template>,
    pub private: Vec<Template>,
}

impl Responses {
    pub fn is_empty(&self) -> bool {
        self.public.is_empty() && self.private.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Template {
    pub text: String,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Intent {
    pub name: String,
    pub description: Option<String>,
    pub action: Action,
    pub skill: Option<String>,
    pub threshold: Option<f32>,
    pub examples: Vec<Example>,
    pub responses: Responses,
    pub location: Location,
}

/// The name of the intent that collects messages the bot should not handle.
pub const OUT_OF_SCOPE: &str = "out_of_scope";

/// Everything in an intents folder.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Bot {
    pub settings: Settings,
    pub intents: Vec<Intent>,
}

impl Bot {
    pub fn intent(&self, name: &str) -> Option<&Intent> {
        self.intents.iter().find(|i| i.name == name)
    }

    /// (example text, intent name) pairs for training.
    pub fn training_pairs(&self) -> (Vec<String>, Vec<String>) {
        self.intents
            .iter()
            .flat_map(|i| {
                i.examples
                    .iter()
                    .map(move |e| (e.text.clone(), i.name.clone()))
            })
            .unzip()
    }
}
