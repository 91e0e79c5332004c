//! Every mistake a bot designer can make in an intent file gets its file, line and a hint.

use std::path::Path;

use hearken::intents::{self, Diagnostic, Severity};

/// Writes `files` into a fresh folder and validates it (no model checks).
fn validate(files: &[(&str, &str)]) -> Vec<Diagnostic> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let (_, diags) = intents::load(dir.path()).unwrap();
    diags
}

fn find<'a>(diags: &'a [Diagnostic], code: &str) -> &'a Diagnostic {
    diags
        .iter()
        .find(|d| d.code == code)
        .unwrap_or_else(|| panic!("no {code} in {diags:#?}"))
}

const GOOD: &str = "intents:
  - name: greeting
    action: answer
    examples: [hi, hello, hey there]
    responses:
      public: Hi {{name}}!
";

#[test]
fn the_shipped_example_bot_is_valid_and_large_enough() {
    let (bot, diags) =
        intents::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("intents")).unwrap();
    assert!(diags.is_empty(), "{diags:#?}");
    assert!(bot.intents.len() >= 15);
    assert!(bot.intents.iter().all(|i| i.examples.len() >= 10));
    assert!(bot.intent("out_of_scope").is_some());
}

#[test]
fn a_yaml_syntax_error_names_the_line_and_suggests_quoting() {
    let diags = validate(&[(
        "a.yml",
        "intents:\n  - name: greeting\n    examples:\n      - hi\n     - bad indent\n",
    )]);
    let d = find(&diags, "yaml_syntax");
    assert_eq!(d.location.line, 5, "{d}");
    assert!(d.location.file.ends_with("a.yml"));
    assert!(d.hint.as_deref().unwrap_or("").contains("indentation"));
}

#[test]
fn an_unknown_key_suggests_the_key_that_was_meant() {
    let diags = validate(&[("a.yml", &GOOD.replace("examples:", "exampels:"))]);
    let d = find(&diags, "unknown_key");
    assert_eq!((d.location.line, d.severity), (4, Severity::Error));
    assert_eq!(d.hint.as_deref(), Some("did you mean 'examples'?"));
    assert!(
        d.to_string()
            .contains("a.yml:4:5: error: unknown key 'exampels'"),
        "{d}"
    );
}

#[test]
fn missing_fields_and_wrong_types_are_reported() {
    let diags = validate(&[(
        "a.yml",
        "intents:\n  - name: greeting\n    examples: hello\n    threshold: high\n",
    )]);
    assert!(find(&diags, "missing_field")
        .message
        .contains("no 'action'"));
    let wrong: Vec<_> = diags.iter().filter(|d| d.code == "wrong_type").collect();
    assert_eq!(wrong.len(), 2, "{diags:#?}");
}

#[test]
fn an_invalid_action_and_an_invalid_name_are_errors_with_hints() {
    let diags = validate(&[(
        "a.yml",
        &GOOD
            .replace("action: answer", "action: anwser")
            .replace("greeting", "Greeting!"),
    )]);
    assert_eq!(
        find(&diags, "invalid_action").hint.as_deref(),
        Some("did you mean 'answer'?")
    );
    assert_eq!(find(&diags, "invalid_name").location.line, 2);
}

#[test]
fn the_same_example_in_two_intents_is_an_error_pointing_at_both() {
    let other = "intents:\n  - name: hello_again\n    action: answer\n    examples:\n      - Hello\n    responses:\n      private: hi\n";
    let diags = validate(&[("a.yml", GOOD), ("b.yml", other)]);
    let d = find(&diags, "duplicate_example");
    assert!(
        d.location.file.ends_with("b.yml") && d.location.line == 5,
        "{d}"
    );
    assert!(d.hint.as_deref().unwrap_or("").contains("a.yml:4"), "{d}");
}

#[test]
fn a_duplicate_intent_name_is_an_error() {
    let diags = validate(&[("a.yml", GOOD), ("b.yml", GOOD)]);
    assert!(find(&diags, "duplicate_intent")
        .hint
        .as_deref()
        .unwrap_or("")
        .contains("a.yml"));
}

#[test]
fn too_few_examples_is_a_warning_only() {
    let diags = validate(&[("a.yml", GOOD)]);
    let d = find(&diags, "few_examples");
    assert_eq!(d.severity, Severity::Warning);
    assert!(
        diags.iter().all(|d| d.severity == Severity::Warning),
        "{diags:#?}"
    );
}

#[test]
fn an_unknown_template_field_is_an_error_with_a_suggestion() {
    let diags = validate(&[("a.yml", &GOOD.replace("{{name}}", "{{nmae}}"))]);
    let d = find(&diags, "unknown_field");
    assert_eq!(d.location.line, 6);
    assert_eq!(d.hint.as_deref(), Some("did you mean '{{name}}'?"));
}

#[test]
fn ticket_url_outside_a_ticket_intent_is_an_error() {
    let diags = validate(&[("a.yml", &GOOD.replace("{{name}}", "{{ticket_url}}"))]);
    assert!(find(&diags, "unknown_field")
        .hint
        .as_deref()
        .unwrap_or("")
        .contains("ticket"));
}

#[test]
fn an_escalation_without_a_skill_and_an_answer_without_responses_are_errors() {
    let text = "intents:\n  - name: complaint\n    action: escalate\n    examples: [awful service]\n  - name: faq\n    action: answer\n    examples: [how do i pay]\n";
    let diags = validate(&[("a.yml", text)]);
    assert_eq!(find(&diags, "missing_skill").location.line, 2);
    assert_eq!(find(&diags, "missing_responses").location.line, 5);
}

#[test]
fn a_skill_missing_from_the_configured_list_is_caught_as_a_typo() {
    let config = "skills: [billing, orders]\n";
    let diags = validate(&[
        ("config.yml", config),
        (
            "a.yml",
            &GOOD.replace("action: answer", "action: answer\n    skill: biling"),
        ),
    ]);
    assert_eq!(
        find(&diags, "unknown_skill").hint.as_deref(),
        Some("did you mean 'billing'?")
    );
}

#[test]
fn an_unknown_settings_key_and_a_threshold_out_of_range_are_errors() {
    let config = "bot: Acme\nthresholds:\n  confidence: 1.5\n  ambiguity: 0.1\n";
    let diags = validate(&[("config.yml", config), ("a.yml", GOOD)]);
    assert_eq!(find(&diags, "wrong_type").location.line, 3);
    assert_eq!(
        find(&diags, "unknown_key").hint.as_deref(),
        Some("did you mean 'ambiguity_margin'?")
    );
}

#[test]
fn a_duplicate_key_is_reported_where_it_repeats() {
    let diags = validate(&[(
        "a.yml",
        &GOOD.replace(
            "    action: answer\n",
            "    action: answer\n    action: like\n",
        ),
    )]);
    assert_eq!(find(&diags, "yaml_syntax").location.line, 4);
}

#[test]
fn loading_for_use_refuses_files_with_errors_and_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.yml"),
        GOOD.replace("examples:", "exampels:"),
    )
    .unwrap();
    let err = intents::load_valid(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("a.yml:4:5") && err.contains("exampels"),
        "{err}"
    );
}

#[test]
fn editor_swap_and_lock_files_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yml"), GOOD).unwrap();
    // Vim's swap file and emacs' lock (a link to nowhere while a buffer is modified).
    std::fs::write(dir.path().join(".a.yml.swp"), "\0binary").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("root@host.1234:1700000000", dir.path().join(".#a.yml")).unwrap();
    let (bot, diags) = intents::load(dir.path()).unwrap();
    assert!(diags.iter().all(|d| d.code == "few_examples"), "{diags:#?}");
    assert_eq!(bot.intents.len(), 1);
    assert_eq!(intents::load::files(dir.path()).unwrap().len(), 1);
    assert_eq!(
        intents::summary(&diags, 1, &bot),
        "0 errors, 1 warning in 1 files (1 intents, 3 examples)"
    );
}
