//! The example writer on tricky texts and tricky files.

use proptest::prelude::*;

use super::*;

/// The examples of `intent` as a YAML reader sees them.
fn examples_of(text: &str, intent: &str) -> Vec<String> {
    let root = marked_yaml::parse_yaml(0, text).expect("still YAML");
    let m = root.as_mapping().unwrap();
    let found = m
        .get_sequence("intents")
        .unwrap()
        .iter()
        .filter_map(Node::as_mapping)
        .find(|i| i.get_scalar("name").unwrap().as_str() == intent)
        .unwrap();
    found
        .get_sequence("examples")
        .unwrap()
        .iter()
        .map(|n| n.as_scalar().unwrap().as_str().to_string())
        .collect()
}

/// The file minus the inserted line is the original, byte for byte.
fn only_one_line_added(before: &str, after: &Insertion) {
    let mut lines: Vec<&str> = after.text.split_inclusive('\n').collect();
    lines.remove(after.line - 1);
    let mut rebuilt = lines.concat();
    if !before.ends_with('\n') && rebuilt.ends_with('\n') && !before.is_empty() {
        rebuilt.pop();
    }
    assert_eq!(
        rebuilt, before,
        "only the example line is new:\n{}",
        after.text
    );
}

const NASTY: &[&str] = &[
    "@NorthwindGoods where is my order",
    "order #NW-48213 hasn't arrived",
    "GDPR request: please delete my data",
    "it's broken",
    "she said \"refund\" twice",
    "both ' and \" in one",
    "😤 still waiting",
    "still waiting 😤",
    "yes",
    "No",
    "null",
    "~",
    "123",
    "12:30",
    "1e3",
    "- starts like a list item",
    "[not a list]",
    "{not: a map}",
    "ends with a colon:",
    "back\\slash and \"quote\"",
    "%percent",
    "`backtick",
    "!important",
    "&anchor",
    "*alias",
    "| pipe",
    "> folded",
    "? question",
    "a, b, c",
    "a bell \u{7} rang",
    "zero\u{feff}width",
];

#[test]
fn every_nasty_text_reads_back_as_itself_in_a_block_list_and_a_flow_list() {
    for text in NASTY {
        let block = format!("- {}\n", scalar(text, false));
        let root = marked_yaml::parse_yaml(0, format!("k:\n  {block}"))
            .unwrap_or_else(|e| panic!("{text:?} as {block:?}: {e}"));
        let got = root.as_mapping().unwrap().get_sequence("k").unwrap()[0]
            .as_scalar()
            .unwrap()
            .as_str()
            .to_string();
        assert_eq!(&got, text, "block: {block}");
        let flow = format!("k: [a, {}]\n", scalar(text, true));
        let root = marked_yaml::parse_yaml(0, &flow).unwrap_or_else(|e| panic!("{flow}: {e}"));
        let got = root.as_mapping().unwrap().get_sequence("k").unwrap()[1]
            .as_scalar()
            .unwrap()
            .as_str()
            .to_string();
        assert_eq!(&got, text, "flow: {flow}");
    }
}

#[test]
fn texts_yaml_would_misread_are_quoted_and_plain_ones_are_not() {
    assert_eq!(scalar("where is my order", false), "where is my order");
    assert_eq!(scalar("@brand hi", false), "'@brand hi'");
    assert_eq!(scalar("it's late: help", false), "\"it's late: help\"");
    assert_eq!(scalar("yes", false), "'yes'");
    assert_eq!(scalar("a, b", true), "'a, b'");
    assert_eq!(scalar("a, b", false), "a, b");
}

#[test]
fn newlines_and_runs_of_spaces_collapse_to_one_line() {
    assert_eq!(
        one_line("  where is\n\nmy   order?\r\n thanks\t "),
        "where is my order? thanks"
    );
}

proptest! {
    #[test]
    fn any_text_reads_back_as_its_one_line_form(raw in "[ -~\u{e9}\u{1F624}\n\t#:'\"@\\\\-]{1,40}") {
        let text = one_line(&raw);
        prop_assume!(!text.is_empty());
        let doc = format!("k:\n  - {}\n  - last\n", scalar(&text, false));
        let root = marked_yaml::parse_yaml(0, &doc).map_err(|e| TestCaseError::fail(format!("{doc}: {e}")))?;
        let seq = root.as_mapping().unwrap().get_sequence("k").unwrap();
        prop_assert_eq!(seq[0].as_scalar().unwrap().as_str(), text.as_str());
        prop_assert_eq!(seq.len(), 2);
    }
}

const COMMENTED: &str = "\
# Orders. Keep the neighbours apart.
intents:
  - name: order_status
    action: answer
    examples:
      - where is my order?
      # customers from the newsletter write like this:
      - \"my package still hasn't arrived, order #NW-48213\"
      - '@NorthwindGoods ordered a week ago'   # quoted: starts with @
    # responses follow
    responses:
      public: \"Hi {{name}}!\"

  - name: cancel_order
    action: answer
    examples:
      - cancel my order
    responses:
      public: Done.
";

#[test]
fn an_example_goes_after_the_last_one_of_its_intent_with_the_comments_kept() {
    let out = append_example(COMMENTED, "order_status", "@brand it's: late #3").unwrap();
    assert_eq!(out.line, 10);
    assert_eq!(
        out.text.lines().nth(9),
        Some("      - \"@brand it's: late #3\"")
    );
    only_one_line_added(COMMENTED, &out);
    let got = examples_of(&out.text, "order_status");
    assert_eq!(got.last().map(String::as_str), Some("@brand it's: late #3"));
    assert_eq!(got.len(), 4);
    assert_eq!(examples_of(&out.text, "cancel_order"), ["cancel my order"]);
}

#[test]
fn the_last_intent_of_a_file_without_a_final_newline_gets_its_example() {
    let src = "intents:\n  - name: a\n    action: ignore\n    examples:\n    - one\n    - two";
    let out = append_example(src, "a", "three 😤").unwrap();
    assert_eq!(
        out.text,
        "intents:\n  - name: a\n    action: ignore\n    examples:\n    - one\n    - two\n    - three 😤\n"
    );
    assert_eq!(out.line, 7);
}

#[test]
fn a_flow_list_gets_the_example_quoted_before_its_closing_bracket() {
    let src =
        "intents:\n  - name: greeting\n    action: ignore\n    examples: [hi, hello]   # short\n";
    let out = append_example(src, "greeting", "hey, you").unwrap();
    assert_eq!(
        out.text,
        "intents:\n  - name: greeting\n    action: ignore\n    examples: [hi, hello, 'hey, you']   # short\n"
    );
    let src = "intents:\n  - name: g\n    action: ignore\n    examples: [\n      hi,  # first\n      \"yo ]\",\n    ]\n";
    let out = append_example(src, "g", "sup").unwrap();
    assert_eq!(examples_of(&out.text, "g"), ["hi", "yo ]", "sup"]);
    assert_eq!(out.line, 6);
    let src = "intents:\n  - name: g\n    action: ignore\n    examples: []\n";
    let out = append_example(src, "g", "first").unwrap();
    assert_eq!(examples_of(&out.text, "g"), ["first"]);
}

#[test]
fn multi_line_examples_are_stepped_over_whole() {
    let src = "intents:\n  - name: a\n    action: ignore\n    examples:\n      - \"a quoted\n        example\"\n      - a plain\n        continued one\n      # trailing comment\n  - name: b\n    action: ignore\n    examples:\n      - |\n        block text\n        # not a comment\n\n  - name: c\n    action: ignore\n    examples: [c]\n";
    let out = append_example(src, "a", "new").unwrap();
    assert_eq!(out.line, 9);
    only_one_line_added(src, &out);
    assert_eq!(
        examples_of(&out.text, "a"),
        ["a quoted example", "a plain continued one", "new"]
    );
    let out = append_example(src, "b", "new b").unwrap();
    only_one_line_added(src, &out);
    assert_eq!(examples_of(&out.text, "b").last().unwrap(), "new b");
    let src2 = "intents:\n  - name: a\n    action: ignore\n    examples:\n      - 'it''s\n        wrapped'\n    responses: {}\n";
    let out = append_example(src2, "a", "x").unwrap();
    assert_eq!(examples_of(&out.text, "a"), ["it's wrapped", "x"]);
}

#[test]
fn windows_line_endings_are_kept() {
    let src = "intents:\r\n  - name: a\r\n    action: ignore\r\n    examples:\r\n      - one\r\n    responses: {}\r\n";
    let out = append_example(src, "a", "two").unwrap();
    assert_eq!(
        out.text,
        "intents:\r\n  - name: a\r\n    action: ignore\r\n    examples:\r\n      - one\r\n      - two\r\n    responses: {}\r\n"
    );
}

#[test]
fn a_missing_intent_or_an_odd_list_is_refused() {
    assert_eq!(
        append_example(COMMENTED, "nope", "x"),
        Err(YamlError::NoSuchIntent("nope".into()))
    );
    let src = "intents:\n  - name: a\n    action: ignore\n    examples:\n      -\n        on the next line\n";
    assert!(matches!(
        append_example(src, "a", "x"),
        Err(YamlError::Unplaceable { .. })
    ));
}
