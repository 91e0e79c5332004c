//! Settings: defaults, and what Telegram would refuse is refused when hearken.toml is read.

use serde_json::Value;

use super::fixture;
use crate::channels::telegram::REACTION_EMOJI;

fn load(table: &str) -> Result<crate::config::Settings, String> {
    crate::config::Settings::from_sources(table, "test", &Default::default())
        .map_err(|e| e.to_string())
}

const VALID: &str = r#"[[channels.telegram]]
name = "tg"
bot_token = "123456:ABC-def_ghi"
secret_token = "abc_DEF-123"
"#;

#[test]
fn settings_take_defaults_and_refuse_what_telegram_would_refuse() {
    let s = load(VALID).expect("valid");
    let t = &s.channels.telegram[0];
    assert_eq!(t.api_base, "https://api.telegram.org");
    assert_eq!(t.like_emoji, "👍");
    let max = format!("secret_token = \"{}\"", "a".repeat(256));
    assert!(load(&VALID.replace("secret_token = \"abc_DEF-123\"", &max)).is_ok());
    for (from, to, why) in [
        ("abc_DEF-123", "", "secret_token must be 1-256"),
        ("abc_DEF-123", "has space", "secret_token must be 1-256"),
        ("abc_DEF-123", "sl/ash", "secret_token must be 1-256"),
        (
            "abc_DEF-123",
            &"a".repeat(257),
            "secret_token must be 1-256",
        ),
        (
            "123456:ABC-def_ghi",
            "123456:ABC/../x",
            "bot_token must look like",
        ),
        (
            "123456:ABC-def_ghi",
            "ABC-def_ghi",
            "bot_token must look like",
        ),
    ] {
        let err = load(&VALID.replace(from, to)).expect_err(to);
        assert!(err.contains(why), "{to:?}: {err}");
        assert!(
            !err.contains("ABC/../x"),
            "the token is never quoted: {err}"
        );
    }
    let emoji = |e: &str| load(&format!("{VALID}like_emoji = \"{e}\"\n"));
    assert!(emoji("🔥").is_ok());
    let err = emoji("🙂").expect_err("not a reaction");
    assert!(err.contains("like_emoji"), "{err}");
    assert!(load(&format!("{VALID}tokn = \"x\"\n")).is_err());
}

#[test]
fn the_reaction_emoji_are_those_the_spec_lists() {
    let spec: Value = serde_json::from_slice(&fixture("bot-api-spec.json")).unwrap();
    let fields = spec["types"]["ReactionTypeEmoji"]["fields"]
        .as_array()
        .unwrap();
    let description = fields
        .iter()
        .find(|f| f["name"] == "emoji")
        .and_then(|f| f["description"].as_str())
        .unwrap();
    let listed: Vec<&str> = description.split('"').skip(1).step_by(2).collect();
    assert_eq!(listed, REACTION_EMOJI);
}
