//! Mastodon's streaming API, parsed for a later streaming mode (hearken polls today): Server-Sent
//! Events text and WebSocket frames -> events, through the same notification parser. Pure.

use serde_json::Value;

use super::parse::{mention_event, Me, Notification};
use super::MastodonSettings;
use crate::channels::{InboundError, InboundEvent};

/// One streaming message -> events, for a later streaming mode: either Server-Sent Events text
/// (`event:`/`data:` lines, one or more events) or a WebSocket frame `{stream, event, payload}`
/// whose `payload` is itself a JSON string. Only `notification` events of type mention become
/// events; `update`, `delete`, `conversation` (a DM also arrives as a mention notification),
/// `filters_changed` and heartbeats are acknowledged with none. A WebSocket error frame is an
/// error.
pub fn parse_stream_event(
    settings: &MastodonSettings,
    me: Option<&Me>,
    raw: &str,
) -> Result<Vec<InboundEvent>, InboundError> {
    let trimmed = raw.trim_start();
    if trimmed.starts_with('{') {
        let frame: Value =
            serde_json::from_str(trimmed).map_err(|e| InboundError::Malformed(e.to_string()))?;
        if let Some(error) = frame.get("error") {
            let status = frame
                .get("status")
                .map(Value::to_string)
                .unwrap_or_default();
            return Err(InboundError::Malformed(format!(
                "stream error {status}: {}",
                error.as_str().unwrap_or("unknown")
            )));
        }
        let event = frame
            .get("event")
            .and_then(Value::as_str)
            .ok_or_else(|| InboundError::Malformed("a stream frame has an `event`".into()))?;
        let payload = frame.get("payload").and_then(Value::as_str).unwrap_or("");
        return stream_dispatch(settings, me, event, payload);
    }
    let mut events = Vec::new();
    for block in trimmed.split("\n\n") {
        let mut name = "message";
        let mut data: Vec<&str> = Vec::new();
        for line in block.lines() {
            if line.starts_with(':') {
                continue; // a comment: the server's heartbeat
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => name = value,
                "data" => data.push(value),
                _ => {}
            }
        }
        if !data.is_empty() {
            events.extend(stream_dispatch(settings, me, name, &data.join("\n"))?);
        }
    }
    Ok(events)
}

fn stream_dispatch(
    settings: &MastodonSettings,
    me: Option<&Me>,
    event: &str,
    payload: &str,
) -> Result<Vec<InboundEvent>, InboundError> {
    if event != "notification" {
        return Ok(Vec::new());
    }
    let n: Notification =
        serde_json::from_str(payload).map_err(|e| InboundError::Malformed(e.to_string()))?;
    Ok(mention_event(&settings.name, &n, me).into_iter().collect())
}
