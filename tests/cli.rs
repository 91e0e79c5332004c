//! The `hearken` binary end to end: the real model, the shipped intents, real processes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn hearken(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hearken"));
    c.current_dir(root()).args(args).env("HEARKEN_LOG", "error");
    c
}

fn run_with_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = hearken(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// Runs `hearken args`, expects success, and parses its stdout as one JSON document.
fn json_output(args: &[&str]) -> serde_json::Value {
    let out = hearken(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn classify_prints_one_analysis_per_argument_with_intent_sentiment_and_verdict() {
    let out = hearken(&[
        "classify",
        "where is my order NW-12345? it's late",
        "you guys are awesome, thanks!",
    ])
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["intent"]["name"], "order_status");
    assert_eq!(lines[1]["intent"]["name"], "thanks_praise");
    assert_eq!(lines[1]["sentiment"]["label"], "positive");
    let ranking = lines[0]["intent"]["ranking"].as_array().unwrap();
    assert!(
        ranking.len() >= 2
            && ranking[0]["confidence"].as_f64() >= ranking[1]["confidence"].as_f64()
    );
    assert!(lines[0]["out_of_scope"].is_boolean() && lines[0]["intent"]["reason"].is_string());
}

#[test]
fn classify_from_stdin_survives_hard_input_and_reports_invalid_utf8_by_line() {
    let long = "a".repeat(100_000);
    let mut input =
        format!("hello\n\n🙂🙂🙂\nПривет, где мой заказ? 我的订单在哪里\n{long}\n").into_bytes();
    input.extend_from_slice(b"bad \xff\xfe bytes\nthe last line without newline");
    let out = run_with_stdin(&["classify"], &input);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 7, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(lines[5]["line"], 6);
    assert!(lines[5]["error"].as_str().unwrap().contains("UTF-8"));
    assert_eq!(lines[6]["text"], "the last line without newline");
    assert!(lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 5)
        .all(|(_, l)| l["intent"]["name"].is_string()));
    assert_eq!(
        out.status.code(),
        Some(1),
        "a skipped line makes the exit code 1"
    );
}

#[test]
fn validate_exits_1_on_errors_0_on_warnings_and_1_on_warnings_with_strict() {
    let dir = tempfile::tempdir().unwrap();
    let good = "intents:\n  - name: greeting\n    action: answer\n    examples: [hi, hello]\n    responses:\n      public: Hi!\n";
    std::fs::write(dir.path().join("a.yml"), good).unwrap();
    let d = dir.path().to_str().unwrap();
    let warn = hearken(&["intents", "validate", d, "--no-model"])
        .output()
        .unwrap();
    assert_eq!(warn.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&warn.stdout).contains("0 errors, 1 warning"));
    assert_eq!(
        hearken(&["intents", "validate", d, "--no-model", "--strict"])
            .status()
            .unwrap()
            .code(),
        Some(1)
    );
    std::fs::write(
        dir.path().join("a.yml"),
        good.replace("action: answer", "action: nope"),
    )
    .unwrap();
    let bad = hearken(&["intents", "validate", d, "--no-model"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stdout).contains("a.yml:3:13: error: unknown action 'nope'")
    );
}

#[test]
fn validate_with_the_model_flags_near_duplicate_examples_across_intents() {
    let dir = tempfile::tempdir().unwrap();
    let text = "intents:\n  - name: order_status\n    action: ignore\n    examples: [where is my order?]\n  - name: tracking\n    action: ignore\n    examples: [where is my order]\n";
    std::fs::write(dir.path().join("a.yml"), text).unwrap();
    let out = hearken(&[
        "intents",
        "validate",
        dir.path().to_str().unwrap(),
        "--json",
    ])
    .output()
    .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"near_duplicate"), "{v}");
}

#[test]
fn intents_test_reports_cross_validation_as_json_and_html() {
    let html: PathBuf = tempfile::tempdir().unwrap().keep().join("report.html");
    let r = json_output(&[
        "intents",
        "test",
        "--folds",
        "3",
        "--json",
        "--html",
        html.to_str().unwrap(),
    ]);
    for key in [
        "accuracy",
        "macro_f1",
        "expected_calibration_error",
        "oos_recall",
        "escalation_share",
    ] {
        assert!(r[key].is_number(), "{key} missing: {r}");
    }
    assert!(
        r["accuracy"].as_f64().unwrap() > 0.5,
        "the shipped bot should be mostly right: {}",
        r["accuracy"]
    );
    assert!(!r["per_class"].as_array().unwrap().is_empty() && r["confusions"].is_array());
    let page = std::fs::read_to_string(html).unwrap();
    assert!(
        page.contains("<svg") && page.contains("Confusion matrix") && page.contains("order_status")
    );
}

#[test]
fn nlu_evaluate_prints_the_benchmark_metrics_with_out_of_scope_figures() {
    let r = json_output(&[
        "nlu",
        "evaluate",
        "--train",
        "tests/fixtures/clinc_small_train.jsonl",
        "--test",
        "tests/fixtures/clinc_small_test.jsonl",
        "--json",
    ]);
    for key in [
        "accuracy",
        "macro_f1",
        "macro_recall",
        "in_scope_accuracy",
        "oos_recall",
    ] {
        assert!(r[key].is_number(), "{key} missing: {r}");
    }
    assert!(r["in_scope_accuracy"].as_f64().unwrap() > 0.7, "{r}");
}

#[test]
fn nlu_evaluate_scores_the_shipped_complaint_head_as_it_ships() {
    let r = json_output(&[
        "nlu",
        "evaluate",
        "--task",
        "complaint",
        "--head",
        "models/complaint-head.json",
        "--test",
        "tests/fixtures/complaints_small.jsonl",
        "--json",
    ]);
    assert_eq!(r["examples"], 24, "{r}");
    assert!(
        r["evaluation"]
            .as_str()
            .unwrap()
            .contains("models/complaint-head.json"),
        "{r}"
    );
    let complaint = r["per_class"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["label"] == "complaint")
        .unwrap();
    // Plain complaints, written apart from the head's training posts: most must be caught.
    assert!(complaint["recall"].as_f64().unwrap() >= 0.75, "{r}");
    assert!(r["macro_f1"].as_f64().unwrap() >= 0.75, "{r}");
}

#[test]
fn a_head_is_only_scored_against_a_test_file_and_for_its_task() {
    let out = hearken(&[
        "nlu",
        "evaluate",
        "--task",
        "complaint",
        "--head",
        "models/complaint-head.json",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--test"));
    let out = hearken(&[
        "nlu",
        "evaluate",
        "--head",
        "models/complaint-head.json",
        "--test",
        "tests/fixtures/complaints_small.jsonl",
    ])
    .output()
    .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sentiment or complaint"));
}

#[test]
fn an_unknown_profile_is_refused_with_the_choices() {
    let out = hearken(&["classify", "hello", "--profile", "fast"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("default") && err.contains("accurate"), "{err}");
}

#[test]
fn the_accurate_profile_reads_its_own_model_directory() {
    // Run from an empty folder, where no model was fetched: the error names the profile's
    // folder and the command that fetches it.
    let empty = tempfile::tempdir().unwrap();
    let intents = root().join("intents");
    let out = hearken(&["classify", "hello", "--profile", "accurate"])
        .arg("--intents")
        .arg(&intents)
        .current_dir(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("models/all-mpnet-base-v2/"), "{err}");
    assert!(err.contains("make model-accurate"), "{err}");
}

#[test]
fn a_bad_jsonl_line_is_named_by_number() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.jsonl");
    std::fs::write(&f, "{\"text\":\"hi\",\"label\":\"a\"}\n{\"text\": 3}\n").unwrap();
    let out = hearken(&["nlu", "evaluate", "--train", f.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.jsonl:2"));
}

#[test]
fn a_missing_model_directory_tells_the_user_to_run_make_model() {
    let out = hearken(&["classify", "hello", "--model-dir", "/nonexistent"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("make model"));
}

/// A SQLite database with two customer messages the bot was unsure of; returns their ids.
fn seed_review(url: &str) -> (i64, i64) {
    use hearken::store::{contacts, conversations as convs, Store, StoreOptions};
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let opts = StoreOptions {
            max_connections: 2,
            acquire_timeout: std::time::Duration::from_secs(5),
        };
        let store = Store::connect(url, &opts).await.unwrap();
        store.migrate().await.unwrap();
        let now = 1_795_428_000_000;
        let mut tx = store.begin().await.unwrap();
        let (who, _) = contacts::resolve(&mut tx, "webchat", "s1", None, now)
            .await
            .unwrap();
        let new = convs::NewConversation {
            channel: "webchat",
            visibility: "private",
            thread_key: "s1",
            contact_id: who.contact_id,
            linked_to: None,
        };
        let (conv, _) = convs::find_or_create(&mut tx, &new, now).await.unwrap();
        let mut ids = Vec::new();
        for (text, intent, verdict) in [
            (
                "@shop my parcel: still not here #NW-7",
                "order_status",
                "low_confidence",
            ),
            ("blorp", "greeting", "ambiguous"),
        ] {
            let analysis = serde_json::json!({"text": text, "out_of_scope": false, "intent": {
                "name": intent, "confidence": 0.41, "verdict": verdict, "out_of_scope": false,
                "reason": "unsure", "ranking": [{"name": intent, "confidence": 0.41},
                {"name": "goodbye", "confidence": 0.35}]}});
            let m = convs::NewMessage {
                conversation_id: conv.id,
                inbox_id: None,
                outbox_id: None,
                direction: "in",
                visibility: "private",
                author: "s1",
                text,
                platform_message_id: None,
                analysis: Some(analysis.to_string()),
            };
            ids.push(convs::add_message(&mut tx, &m, now).await.unwrap());
        }
        tx.commit().await.unwrap();
        (ids[0], ids[1])
    })
}

#[test]
fn intents_review_lists_assigns_and_dismisses_what_the_bot_was_unsure_of() {
    let db = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/hearken.db", db.path().display());
    let (parcel, blorp) = seed_review(&url);
    let intents = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(root().join("intents")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, intents.path().join(f.file_name().unwrap())).unwrap();
    }
    let dir = intents.path().to_str().unwrap();
    let review = |extra: &[&str]| {
        let mut args = vec!["intents", "review"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--database-url", &url, "--intents", dir]);
        hearken(&args).output().unwrap()
    };
    let list = review(&["--json"]);
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(v["count"], 2);
    assert_eq!(v["groups"][0]["intent"], "greeting", "newest first: {v}");
    let table = String::from_utf8_lossy(&review(&[]).stdout).to_string();
    assert!(table.contains("order_status (1)"), "{table}");
    assert!(
        table.contains("\"@shop my parcel: still not here #NW-7\""),
        "{table}"
    );
    assert!(table.contains("2 messages to review"), "{table}");

    let out = review(&[
        "assign",
        &parcel.to_string(),
        "order_status",
        "--folds",
        "2",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("orders.yml:"), "{text}");
    assert!(
        text.contains("accuracy") && text.contains("order_status recall"),
        "{text}"
    );
    let orders = std::fs::read_to_string(intents.path().join("orders.yml")).unwrap();
    assert!(
        orders.contains("      - '@shop my parcel: still not here #NW-7'\n"),
        "{orders}"
    );
    assert!(orders.starts_with("# Orders: tracking"));

    let typo = review(&["assign", &blorp.to_string(), "gretting"]);
    assert_eq!(typo.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&typo.stderr).contains("did you mean 'greeting'?"));
    let out = review(&["dismiss", &blorp.to_string()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("message {blorp} dismissed")));
    let again = review(&["dismiss", &blorp.to_string()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already reviewed: dismissed by cli"));
    let missing = review(&["assign", "99999", "order_status"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("there is no message 99999"));

    let handled: serde_json::Value =
        serde_json::from_slice(&review(&["--handled", "--json"]).stdout).unwrap();
    assert_eq!(handled["items"].as_array().unwrap().len(), 2, "{handled}");
    let empty: serde_json::Value = serde_json::from_slice(&review(&["--json"]).stdout).unwrap();
    assert_eq!(empty["count"], 0);
}

#[test]
fn agents_add_with_all_skills_gives_every_skill_the_bot_routes_to() {
    let db = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/hearken.db", db.path().display());
    let out = run_with_stdin(
        &[
            "agents",
            "add",
            "--login",
            "admin",
            "--role",
            "admin",
            "--all-skills",
            "--skill",
            "billing=5",
            "--password-stdin",
            "--database-url",
            &url,
        ],
        b"correct horse battery staple\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = json_output(&["agents", "list", "--json", "--database-url", &url]);
    let skills = &listed[0]["skills"];
    let names: Vec<&str> = skills
        .as_object()
        .unwrap_or_else(|| panic!("skills as a map: {listed}"))
        .keys()
        .map(String::as_str)
        .collect();
    // The example bot's config.yml lists these seven; every intent's skill is among them.
    assert_eq!(
        names,
        [
            "accounts",
            "billing",
            "complaints",
            "general",
            "orders",
            "private_messages",
            "technical"
        ]
    );
    assert_eq!(skills["billing"], 5, "a --skill given too sets its level");
    assert_eq!(skills["orders"], 3);
}
