//! The account side of X: "who am I" (`GET /2/users/me`, the webhook's `valid` state from
//! `GET /2/webhooks`) and registering the webhook and the account's subscription to it.

use serde_json::{json, Value};

use super::send::{is_id, Auth};
use super::XChannel;
use crate::channels::{CheckReport, Registration, SendError};

impl XChannel {
    pub(super) async fn who_am_i(&self) -> Result<CheckReport, SendError> {
        let me = self
            .call(reqwest::Method::GET, "/2/users/me", Auth::User, None)
            .await?;
        let id = me.pointer("/data/id").and_then(Value::as_str);
        let username = me.pointer("/data/username").and_then(Value::as_str);
        let mut report = CheckReport {
            account: Some(match (username, id) {
                (Some(u), Some(i)) => format!("@{u} (id {i})"),
                (None, Some(i)) => format!("id {i}"),
                _ => "unknown account".to_string(),
            }),
            ..CheckReport::default()
        };
        match id {
            Some(i) if i == self.settings.user_id => {}
            Some(i) => report.notes.push(format!(
                "user_id in hearken.toml is {:?} but the token belongs to {i}: set user_id = \"{i}\" (own posts are recognised, and likes and reposts act, by user_id)",
                self.settings.user_id
            )),
            None => report
                .notes
                .push("GET /2/users/me answered without an id".into()),
        }
        match &self.settings.webhook_id {
            None => report.notes.push(
                "no webhook_id set: run `hearken channels register-webhooks`, then set webhook_id so that check reports the webhook state"
                    .into(),
            ),
            Some(wanted) => report.webhook = Some(self.webhook_state(wanted).await),
        }
        Ok(report)
    }

    /// "1234: valid (https://...)", or why it cannot be told. A failure here does not fail the
    /// check: the credentials that answer and reply are the user token's.
    async fn webhook_state(&self, wanted: &str) -> String {
        let list = match self
            .call(reqwest::Method::GET, "/2/webhooks", Auth::App, None)
            .await
        {
            Ok(list) => list,
            Err(e) => return format!("{wanted}: state unknown ({e})"),
        };
        let found = list
            .get("data")
            .and_then(Value::as_array)
            .and_then(|hooks| {
                hooks
                    .iter()
                    .find(|h| h.get("id").and_then(Value::as_str) == Some(wanted))
            });
        match found {
            None => format!("{wanted}: not among this app's webhooks (GET /2/webhooks)"),
            Some(h) => {
                let url = h.get("url").and_then(Value::as_str).unwrap_or("no url");
                match h.get("valid").and_then(Value::as_bool) {
                    Some(true) => format!("{wanted}: valid ({url})"),
                    Some(false) => format!(
                        "{wanted}: INVALID, X stopped delivering: it failed the CRC check ({url}); fix the URL or consumer_secret, then re-validate with PUT /2/webhooks/{wanted}"
                    ),
                    None => format!("{wanted}: state not reported ({url})"),
                }
            }
        }
    }

    /// Create the webhook for `webhook_url` (unless `webhook_id` names one already) and
    /// subscribe the account's activity to it. X sends a CRC check to the URL while creating it,
    /// so hearken must already be reachable there.
    pub(super) async fn register(&self, webhook_url: &str) -> Result<Registration, SendError> {
        let (id, created) = match &self.settings.webhook_id {
            Some(id) => (id.clone(), false),
            None => {
                let answer = self
                    .call(
                        reqwest::Method::POST,
                        "/2/webhooks",
                        Auth::App,
                        Some(&json!({ "url": webhook_url })),
                    )
                    .await?;
                let id = answer
                    .pointer("/data/id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        SendError::Permanent(format!(
                            "POST /2/webhooks answered without an id: {answer}"
                        ))
                    })?;
                (id.to_string(), true)
            }
        };
        if !is_id(&id) {
            return Err(SendError::Permanent(format!(
                "webhook_id must be a numeric id, not {id:?}"
            )));
        }
        self.call(
            reqwest::Method::POST,
            &format!("/2/account_activity/webhooks/{id}/subscriptions/all"),
            Auth::User,
            Some(&json!({})),
        )
        .await?;
        let what = if created {
            format!("webhook {id} created for {webhook_url}")
        } else {
            format!("webhook {id} (webhook_id in hearken.toml)")
        };
        let mut detail = format!("{what}; account {} subscribed", self.settings.user_id);
        if created {
            detail.push_str(&format!(
                "; set webhook_id = \"{id}\" in hearken.toml so that check reports its state"
            ));
        }
        Ok(Registration::Registered(detail))
    }
}
