//! The web chat channel: customers talk from the `/chat` page; replies are delivered by the
//! transcript itself (polling or SSE), so a send only has to succeed.

use futures::future::BoxFuture;

use super::{Channel, Outbound, SendError, Sent};

pub const NAME: &str = "webchat";

pub struct Webchat;

impl Channel for Webchat {
    fn name(&self) -> &str {
        NAME
    }
    fn platform(&self) -> &'static str {
        "webchat"
    }

    fn send<'a>(
        &'a self,
        _action: &'a Outbound,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Sent, SendError>> {
        // The outbox writes the reply into the transcript when this returns; the browser reads it.
        Box::pin(async move {
            Ok(Sent {
                external_id: Some(key.to_string()),
            })
        })
    }
}
