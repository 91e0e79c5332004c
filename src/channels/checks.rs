//! Credential and webhook checks across channels: `hearken channels check`, `POST
//! /v1/channels/check` and the periodic check of `serve` share this, and record the outcome on
//! the health board (a change raises `channel.unhealthy` / `channel.healthy`).

use std::time::Duration;

use futures::future::join_all;
use serde::Serialize;

use super::{CheckReport, Registration, SendError};
use crate::engine::Engine;

/// Longest a platform may take to answer a check.
const CHECK_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Serialize)]
pub struct CheckOutcome {
    pub name: String,
    pub platform: &'static str,
    pub healthy: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<CheckReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Check every channel concurrently and record the results.
pub async fn check_all(engine: &Engine) -> Vec<CheckOutcome> {
    let checks = engine.channels.iter().map(|c| async move {
        let result = match tokio::time::timeout(CHECK_TIMEOUT, c.check()).await {
            Ok(r) => r,
            Err(_) => Err(SendError::Retryable(format!(
                "no answer within {} s",
                CHECK_TIMEOUT.as_secs()
            ))),
        };
        let (healthy, report, error) = match result {
            Ok(report) => (true, Some(report), None),
            Err(e) => (false, None, Some(e.to_string())),
        };
        engine
            .channel_health(c.name(), healthy, error.clone(), report.as_ref())
            .await;
        CheckOutcome {
            name: c.name().to_string(),
            platform: c.platform(),
            healthy,
            report,
            error,
        }
    });
    join_all(checks).await
}

#[derive(Debug, Clone, Serialize)]
pub struct RegistrationOutcome {
    pub name: String,
    pub platform: &'static str,
    pub webhook_url: String,
    #[serde(flatten)]
    pub result: Result<Registration, String>,
}

/// Subscribe each webhook channel (or only `only`) to `<public_base>/v1/channels/<name>/webhook`.
pub async fn register_all(
    engine: &Engine,
    public_base: &str,
    only: Option<&str>,
) -> Vec<RegistrationOutcome> {
    let base = public_base.trim_end_matches('/');
    let mut out = Vec::new();
    for c in engine.channels.iter() {
        if only.is_some_and(|n| n != c.name()) {
            continue;
        }
        let webhook_url = format!("{base}/v1/channels/{}/webhook", c.name());
        let result = c
            .register_webhook(&webhook_url)
            .await
            .map_err(|e| e.to_string());
        out.push(RegistrationOutcome {
            name: c.name().to_string(),
            platform: c.platform(),
            webhook_url,
            result,
        });
    }
    out
}
