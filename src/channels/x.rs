//! X (API v2): Account Activity webhooks in; replies, DMs, likes, reposts out. A placeholder until its adapter lands.

use std::time::Duration;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::{Channel, MonitorFilter, Outbound, SendError, Sent};

/// One `[[channels.x]]` account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XSettings {
    /// The channel name, in URLs (`/v1/channels/<name>/webhook`) and transcripts.
    pub name: String,
    /// Which public posts enter the pipeline.
    #[serde(default)]
    pub monitor: MonitorFilter,
}

pub struct XChannel {
    settings: XSettings,
}

impl XChannel {
    pub fn new(settings: XSettings, _timeout: Duration) -> Self {
        Self { settings }
    }
}

impl Channel for XChannel {
    fn name(&self) -> &str {
        &self.settings.name
    }
    fn platform(&self) -> &'static str {
        "x"
    }
    fn send<'a>(
        &'a self,
        _action: &'a Outbound,
        _key: &'a str,
    ) -> BoxFuture<'a, Result<Sent, SendError>> {
        Box::pin(async { Err(SendError::Permanent("X (API v2) is not built yet".into())) })
    }
}
