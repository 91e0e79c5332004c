//! Facebook Pages and Messenger: Graph webhooks (feed, messages) in; comment replies, likes, private replies, hides, Send API out. A placeholder until its adapter lands.

use std::time::Duration;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::{Channel, MonitorFilter, Outbound, SendError, Sent};

/// One `[[channels.facebook]]` account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacebookSettings {
    /// The channel name, in URLs (`/v1/channels/<name>/webhook`) and transcripts.
    pub name: String,
    /// Which public posts enter the pipeline.
    #[serde(default)]
    pub monitor: MonitorFilter,
}

pub struct FacebookChannel {
    settings: FacebookSettings,
}

impl FacebookChannel {
    pub fn new(settings: FacebookSettings, _timeout: Duration) -> Self {
        Self { settings }
    }
}

impl Channel for FacebookChannel {
    fn name(&self) -> &str {
        &self.settings.name
    }
    fn platform(&self) -> &'static str {
        "facebook"
    }
    fn send<'a>(
        &'a self,
        _action: &'a Outbound,
        _key: &'a str,
    ) -> BoxFuture<'a, Result<Sent, SendError>> {
        Box::pin(async {
            Err(SendError::Permanent(
                "Facebook Pages and Messenger is not built yet".into(),
            ))
        })
    }
}
