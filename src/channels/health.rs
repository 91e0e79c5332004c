//! Channel health: credentials and webhook state per channel (from `check`, from sends that
//! came back 401) and counters of rejected inbound requests. Shown in `/ready`, `GET
//! /v1/channels` and `hearken channels check`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

/// What a channel's "who am I" call found.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct CheckReport {
    /// The account the credentials belong to (`@acme`, the page name, the bot username).
    pub account: Option<String>,
    /// The webhook subscription as the platform reports it, when it can be asked.
    pub webhook: Option<String>,
    /// Anything else worth reading (scopes, warnings).
    pub notes: Vec<String>,
}

/// What `register_webhook` did.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "result", content = "detail", rename_all = "snake_case")]
pub enum Registration {
    Registered(String),
    /// The platform has no API for it (or hearken polls): what to do by hand.
    NotSupported(String),
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ChannelState {
    /// `None` until a check or a send says.
    pub healthy: Option<bool>,
    pub detail: Option<String>,
    pub account: Option<String>,
    pub webhook: Option<String>,
    /// Unix ms of the last check or state change.
    pub changed_at: Option<i64>,
    /// Inbound requests refused: bad or missing signature, wrong verify token.
    pub rejected_requests: u64,
    /// Public posts dropped by the channel's keyword monitoring.
    pub filtered_posts: u64,
}

/// Health of every channel, by name.
#[derive(Debug, Default)]
pub struct HealthBoard {
    states: Mutex<BTreeMap<String, ChannelState>>,
}

impl HealthBoard {
    fn with<R>(&self, name: &str, f: impl FnOnce(&mut ChannelState) -> R) -> R {
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        f(states.entry(name.to_string()).or_default())
    }

    pub fn snapshot(&self) -> BTreeMap<String, ChannelState> {
        self.states
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn get(&self, name: &str) -> ChannelState {
        self.with(name, |s| s.clone())
    }

    pub fn count_rejected(&self, name: &str) {
        self.with(name, |s| s.rejected_requests += 1);
    }

    pub fn count_filtered(&self, name: &str) {
        self.with(name, |s| s.filtered_posts += 1);
    }

    /// Record a check's outcome; returns the previous `healthy` so callers raise an event only
    /// on a change.
    pub fn set(
        &self,
        name: &str,
        healthy: bool,
        detail: Option<String>,
        report: Option<&CheckReport>,
        now_ms: i64,
    ) -> Option<bool> {
        self.with(name, |s| {
            let before = s.healthy;
            s.healthy = Some(healthy);
            s.detail = detail;
            if let Some(r) = report {
                s.account = r.account.clone();
                s.webhook = r.webhook.clone();
            }
            s.changed_at = Some(now_ms);
            before
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_returns_the_previous_state_and_counters_accumulate() {
        let b = HealthBoard::default();
        assert_eq!(b.set("x", false, Some("401".into()), None, 1), None);
        assert_eq!(b.set("x", true, None, None, 2), Some(false));
        b.count_rejected("x");
        b.count_rejected("x");
        b.count_filtered("x");
        let s = b.get("x");
        assert_eq!(
            (s.healthy, s.rejected_requests, s.filtered_posts),
            (Some(true), 2, 1)
        );
    }
}
