//! Checks across intents: duplicates, too few examples, templates, skills, responses, and
//! near-duplicate examples by vector similarity. Reports; never changes the bot.

use std::collections::HashMap;

use super::diagnostic::{did_you_mean, Diagnostic};
use super::schema::{Action, Bot};
use super::template;

/// Cosine at or above which two examples of different intents are near-duplicates.
pub const NEAR_DUPLICATE: f32 = 0.95;
/// X's limit; longer public replies cannot be posted there.
const PUBLIC_REPLY_LIMIT: usize = 280;

/// Every check that needs no model.
pub fn check(bot: &Bot, diags: &mut Vec<Diagnostic>) {
    let mut names: HashMap<&str, &super::Intent> = HashMap::new();
    let mut seen: HashMap<String, (&str, &super::Example)> = HashMap::new();
    for intent in &bot.intents {
        if let Some(first) = names.insert(&intent.name, intent) {
            diags.push(
                Diagnostic::error(
                    "duplicate_intent",
                    intent.location.clone(),
                    format!("intent '{}' is defined twice", intent.name),
                )
                .hint(format!(
                    "the first is at {}; merge them or rename one",
                    first.location
                )),
            );
        }
        for ex in &intent.examples {
            if ex.text.is_empty() {
                diags.push(
                    Diagnostic::error(
                        "empty_example",
                        ex.location.clone(),
                        format!("an empty example in intent '{}'", intent.name),
                    )
                    .hint("remove the line"),
                );
                continue;
            }
            let key = normalize(&ex.text);
            match seen.get(&key) {
                Some((other, first)) if *other != intent.name => diags.push(
                    Diagnostic::error(
                        "duplicate_example",
                        ex.location.clone(),
                        format!(
                            "example '{}' is in intents '{other}' and '{}'",
                            ex.text, intent.name
                        ),
                    )
                    .hint(format!(
                        "also at {}; keep it in the one intent it belongs to",
                        first.location
                    )),
                ),
                Some((_, first)) => diags.push(
                    Diagnostic::warning(
                        "repeated_example",
                        ex.location.clone(),
                        format!(
                            "example '{}' appears twice in intent '{}'",
                            ex.text, intent.name
                        ),
                    )
                    .hint(format!("also at {}; remove one", first.location)),
                ),
                None => {
                    seen.insert(key, (&intent.name, ex));
                }
            }
        }
        check_intent(bot, intent, diags);
    }
}

fn check_intent(bot: &Bot, intent: &super::Intent, diags: &mut Vec<Diagnostic>) {
    let min = bot.settings.min_examples;
    // No examples at all is already an error of its own.
    if !intent.examples.is_empty() && intent.examples.len() < min {
        diags.push(
            Diagnostic::warning(
                "few_examples",
                intent.location.clone(),
                format!(
                    "intent '{}' has {} example{}; at least {min} are recommended",
                    intent.name,
                    intent.examples.len(),
                    if intent.examples.len() == 1 { "" } else { "s" }
                ),
            )
            .hint("add varied messages the way customers write them: short, long, with typos"),
        );
    }
    if intent.action.needs_skill() && intent.skill.is_none() {
        diags.push(
            Diagnostic::error(
                "missing_skill",
                intent.location.clone(),
                format!(
                    "intent '{}' has action '{}' but no skill",
                    intent.name,
                    intent.action.name()
                ),
            )
            .hint("add 'skill:' so the conversation reaches the right team"),
        );
    }
    if let (Some(skill), false) = (&intent.skill, bot.settings.skills.is_empty()) {
        if !bot.settings.skills.contains(skill) {
            let known: Vec<&str> = bot.settings.skills.iter().map(String::as_str).collect();
            let hint = did_you_mean(skill, &known).map_or_else(
                || format!("skills in config.yml: {}", known.join(", ")),
                |s| format!("did you mean '{s}'?"),
            );
            diags.push(
                Diagnostic::error(
                    "unknown_skill",
                    intent.location.clone(),
                    format!(
                        "intent '{}' uses skill '{skill}', which config.yml does not list",
                        intent.name
                    ),
                )
                .hint(hint),
            );
        }
    }
    if intent.action == Action::Answer && intent.responses.is_empty() {
        diags.push(
            Diagnostic::error(
                "missing_responses",
                intent.location.clone(),
                format!("intent '{}' answers but has no responses", intent.name),
            )
            .hint("add 'responses:' with 'public:' and/or 'private:'"),
        );
    }
    let all = intent
        .responses
        .public
        .iter()
        .map(|t| (t, true))
        .chain(intent.responses.private.iter().map(|t| (t, false)));
    for (t, public) in all {
        match template::fields(&t.text) {
            Err(_) => diags.push(
                Diagnostic::error(
                    "template_syntax",
                    t.location.clone(),
                    format!("a '{{{{' without '}}}}' in a response of '{}'", intent.name),
                )
                .hint("write fields as {{name}}"),
            ),
            Ok(fields) => {
                for (_, f) in fields {
                    let allowed = template::FIELDS.contains(&f.as_str())
                        && (f != "ticket_url" || intent.action == Action::Ticket);
                    if !allowed {
                        let hint = if f == "ticket_url" {
                            "{{ticket_url}} exists only in intents with action 'ticket'".to_string()
                        } else {
                            did_you_mean(&f, &template::FIELDS).map_or_else(
                                || format!("fields: {}", template::FIELDS.join(", ")),
                                |s| format!("did you mean '{{{{{s}}}}}'?"),
                            )
                        };
                        diags.push(
                            Diagnostic::error(
                                "unknown_field",
                                t.location.clone(),
                                format!(
                                    "unknown template field '{{{{{f}}}}}' in a response of '{}'",
                                    intent.name
                                ),
                            )
                            .hint(hint),
                        );
                    }
                }
            }
        }
        if public && t.text.chars().count() > PUBLIC_REPLY_LIMIT {
            diags.push(
                Diagnostic::warning(
                    "long_public_reply",
                    t.location.clone(),
                    format!(
                        "a public response of '{}' is over {PUBLIC_REPLY_LIMIT} characters",
                        intent.name
                    ),
                )
                .hint("X cuts public replies at 280 characters; shorten it or answer in private"),
            );
        }
    }
}

/// Near-duplicate examples across intents. `vectors[i][j]` is example j of intent i.
pub fn check_similarity(bot: &Bot, vectors: &[Vec<Vec<f32>>], diags: &mut Vec<Diagnostic>) {
    for (i, a) in bot.intents.iter().enumerate() {
        for (b_idx, b) in bot.intents.iter().enumerate().skip(i + 1) {
            for (ea, va) in a.examples.iter().zip(&vectors[i]) {
                for (eb, vb) in b.examples.iter().zip(&vectors[b_idx]) {
                    let sim: f32 = va.iter().zip(vb).map(|(x, y)| x * y).sum();
                    if sim >= NEAR_DUPLICATE && normalize(&ea.text) != normalize(&eb.text) {
                        diags.push(
                            Diagnostic::warning("near_duplicate", eb.location.clone(), format!("example '{}' ('{}') means almost the same as '{}' ('{}'), similarity {sim:.2}", eb.text, b.name, ea.text, a.name))
                                .hint(format!("the other is at {}; the model cannot tell these intents apart from such examples", ea.location)),
                        );
                    }
                }
            }
        }
    }
}

/// An example as the duplicate checks compare it: case and extra spaces ignored.
pub fn normalize(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
