//! Slack: Events API in; chat.postMessage, reactions.add, conversations.open out. A placeholder until its adapter lands.

use std::time::Duration;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::{Channel, MonitorFilter, Outbound, SendError, Sent};

/// One `[[channels.slack]]` account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackSettings {
    /// The channel name, in URLs (`/v1/channels/<name>/webhook`) and transcripts.
    pub name: String,
    /// Which public posts enter the pipeline.
    #[serde(default)]
    pub monitor: MonitorFilter,
}

pub struct SlackChannel {
    settings: SlackSettings,
}

impl SlackChannel {
    pub fn new(settings: SlackSettings, _timeout: Duration) -> Self {
        Self { settings }
    }
}

impl Channel for SlackChannel {
    fn name(&self) -> &str {
        &self.settings.name
    }
    fn platform(&self) -> &'static str {
        "slack"
    }
    fn send<'a>(
        &'a self,
        _action: &'a Outbound,
        _key: &'a str,
    ) -> BoxFuture<'a, Result<Sent, SendError>> {
        Box::pin(async { Err(SendError::Permanent("Slack is not built yet".into())) })
    }
}
