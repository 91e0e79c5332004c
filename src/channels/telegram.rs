//! Telegram: Bot API webhook updates in; sendMessage, setMessageReaction out. A placeholder until its adapter lands.

use std::time::Duration;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::{Channel, MonitorFilter, Outbound, SendError, Sent};

/// One `[[channels.telegram]]` account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramSettings {
    /// The channel name, in URLs (`/v1/channels/<name>/webhook`) and transcripts.
    pub name: String,
    /// Which public posts enter the pipeline.
    #[serde(default)]
    pub monitor: MonitorFilter,
}

pub struct TelegramChannel {
    settings: TelegramSettings,
}

impl TelegramChannel {
    pub fn new(settings: TelegramSettings, _timeout: Duration) -> Self {
        Self { settings }
    }
}

impl Channel for TelegramChannel {
    fn name(&self) -> &str {
        &self.settings.name
    }
    fn platform(&self) -> &'static str {
        "telegram"
    }
    fn send<'a>(
        &'a self,
        _action: &'a Outbound,
        _key: &'a str,
    ) -> BoxFuture<'a, Result<Sent, SendError>> {
        Box::pin(async { Err(SendError::Permanent("Telegram is not built yet".into())) })
    }
}
