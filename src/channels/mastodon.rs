//! Mastodon: notifications polled with a persisted cursor; statuses, favourites, reblogs out. A placeholder until its adapter lands.

use std::time::Duration;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::{Channel, MonitorFilter, Outbound, SendError, Sent};

/// One `[[channels.mastodon]]` account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MastodonSettings {
    /// The channel name, in URLs (`/v1/channels/<name>/webhook`) and transcripts.
    pub name: String,
    /// Which public posts enter the pipeline.
    #[serde(default)]
    pub monitor: MonitorFilter,
}

pub struct MastodonChannel {
    settings: MastodonSettings,
}

impl MastodonChannel {
    pub fn new(settings: MastodonSettings, _timeout: Duration) -> Self {
        Self { settings }
    }
}

impl Channel for MastodonChannel {
    fn name(&self) -> &str {
        &self.settings.name
    }
    fn platform(&self) -> &'static str {
        "mastodon"
    }
    fn send<'a>(
        &'a self,
        _action: &'a Outbound,
        _key: &'a str,
    ) -> BoxFuture<'a, Result<Sent, SendError>> {
        Box::pin(async { Err(SendError::Permanent("Mastodon is not built yet".into())) })
    }
}
