//! Unit tests of the Facebook adapter: the shipped fixtures parse into the expected events,
//! signatures and the handshake, and the Graph request and error tables.

mod inbound;
mod outbound;

use serde_json::Value;

use super::FacebookSettings;

/// A file from `tests/fixtures/facebook/` (copies of Meta's published samples).
fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/facebook/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).expect("fixture is JSON")
}

/// Settings for the Page the fixtures name.
fn page(page_id: &str) -> FacebookSettings {
    FacebookSettings {
        page_id: page_id.into(),
        ..FacebookSettings::example("fb")
    }
}

#[test]
fn settings_take_defaults_and_refuse_unknown_keys() {
    let s: FacebookSettings = toml::from_str(
        r#"
        name = "northwind-fb"
        page_id = "104857600000000"
        app_secret = "s"
        verify_token = "v"
        page_access_token = "t"
        [monitor]
        include_keywords = ["order"]
        "#,
    )
    .expect("parses");
    assert_eq!(s.api_base, "https://graph.facebook.com");
    assert_eq!(s.graph_version, "v25.0");
    assert!(s.feed && s.messenger);
    assert_eq!(s.monitor.include_keywords, ["order"]);
    assert!(format!("{s:?}").contains("[redacted]") && !format!("{s:?}").contains("\"t\""));
    let typo = toml::from_str::<FacebookSettings>(
        "name = \"x\"\npage_id = \"1\"\napp_secret = \"s\"\nverify_token = \"v\"\npage_access_token = \"t\"\nmesenger = false\n",
    );
    assert!(typo.is_err());
}
