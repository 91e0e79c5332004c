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
