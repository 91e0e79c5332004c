//! Unit tests of the Telegram adapter: the official payloads (`tests/fixtures/telegram/`) and
//! constructed ones through the parser and the webhook, settings checks, and the outbound
//! requests and error mapping.

mod inbound;
mod outbound;
mod settings;

use super::TelegramSettings;

pub(super) fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/telegram/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub(super) fn settings() -> TelegramSettings {
    TelegramSettings::example("tg")
}
