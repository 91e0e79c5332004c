//! The NATS JetStream connection and publish: one event per message, deduplicated by its id.

use serde_json::Value;

use crate::config::NatsSettings;
use crate::store;

/// Connect and make sure the stream exists.
pub async fn connect(cfg: &NatsSettings) -> Result<async_nats::jetstream::Context, String> {
    let client = async_nats::connect(&cfg.url)
        .await
        .map_err(|e| format!("NATS {}: {e}", cfg.url))?;
    let js = async_nats::jetstream::new(client);
    js.get_or_create_stream(async_nats::jetstream::stream::Config {
        name: cfg.stream.clone(),
        subjects: vec![format!("{}.>", cfg.subject_prefix)],
        duplicate_window: std::time::Duration::from_secs(120),
        ..Default::default()
    })
    .await
    .map_err(|e| format!("NATS stream {}: {e}", cfg.stream))?;
    Ok(js)
}

pub async fn publish(
    js: &async_nats::jetstream::Context,
    cfg: &NatsSettings,
    e: &store::events::EventRow,
    env: &Value,
) -> Result<(), String> {
    let mut headers = async_nats::HeaderMap::new();
    // JetStream drops a second publish with the same id inside the duplicate window.
    headers.insert("Nats-Msg-Id", e.uuid.as_str());
    let subject = format!("{}.{}", cfg.subject_prefix, e.kind);
    js.publish_with_headers(subject, headers, env.to_string().into())
        .await
        .map_err(|err| format!("NATS publish: {err}"))?
        .await
        .map_err(|err| format!("NATS ack: {err}"))?;
    Ok(())
}
