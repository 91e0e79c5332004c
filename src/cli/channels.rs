//! `hearken channels check` and `hearken channels register-webhooks`: the configured accounts'
//! credentials and webhook subscriptions, from the command line.

use std::sync::Arc;

use anyhow::Context;

use super::serve::{runtime, settings};
use super::{ChannelsAction, ServiceArgs};
use crate::channels::checks::{check_all, register_all};
use crate::channels::Registration;
use crate::startup;

pub fn run(args: &ServiceArgs, action: &ChannelsAction) -> anyhow::Result<i32> {
    let settings = Arc::new(settings(args)?);
    runtime()?.block_on(async move {
        let engine = startup::build_engine(settings, Arc::new(crate::clock::SystemClock))
            .await
            .context("opening the store")?;
        match action {
            ChannelsAction::Check { json } => {
                let outcomes = check_all(&engine).await;
                if *json {
                    println!("{}", serde_json::to_string_pretty(&outcomes)?);
                } else {
                    println!(
                        "{:<20} {:<10} {:<8} {:<28} WEBHOOK / ERROR",
                        "CHANNEL", "PLATFORM", "STATUS", "ACCOUNT"
                    );
                    for o in &outcomes {
                        let account = o
                            .report
                            .as_ref()
                            .and_then(|r| r.account.clone())
                            .unwrap_or_else(|| "-".into());
                        let detail = o
                            .error
                            .clone()
                            .or_else(|| o.report.as_ref().and_then(|r| r.webhook.clone()))
                            .unwrap_or_else(|| "-".into());
                        let status = if o.healthy { "ok" } else { "FAILED" };
                        println!(
                            "{:<20} {:<10} {:<8} {:<28} {detail}",
                            o.name, o.platform, status, account
                        );
                        for note in o.report.iter().flat_map(|r| &r.notes) {
                            println!("{:<20} note: {note}", "");
                        }
                    }
                }
                Ok(if outcomes.iter().all(|o| o.healthy) {
                    0
                } else {
                    1
                })
            }
            ChannelsAction::RegisterWebhooks {
                public_url,
                channel,
            } => {
                let outcomes = register_all(&engine, public_url, channel.as_deref()).await;
                if outcomes.is_empty() {
                    anyhow::bail!("no channel named {:?}", channel.as_deref().unwrap_or(""));
                }
                let mut failed = false;
                for o in &outcomes {
                    match &o.result {
                        Ok(Registration::Registered(d)) => {
                            println!("{}: registered {} ({d})", o.name, o.webhook_url)
                        }
                        Ok(Registration::NotSupported(d)) => println!("{}: by hand: {d}", o.name),
                        Err(e) => {
                            failed = true;
                            println!("{}: FAILED: {e}", o.name)
                        }
                    }
                }
                Ok(if failed { 1 } else { 0 })
            }
        }
    })
}
