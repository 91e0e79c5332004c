//! `hearken shell`: each line typed is a private message on the `shell` channel, sent through
//! the real inbox, pipeline, policy and outbox; the bot's reading and decisions are printed.

use std::io::{BufRead, Write};
use std::sync::Arc;

use anyhow::Context;
use futures::future::BoxFuture;

use super::ServiceArgs;
use crate::channels::{Author, Channel, InboundEvent, Outbound, OutboundKind, SendError, Sent};
use crate::clock::SystemClock;
use crate::engine::{Brain, Engine};
use crate::policy::Visibility;
use crate::store::{conversations, inbox};

/// The terminal as a channel: a send prints the bot's action.
struct Terminal;

impl Channel for Terminal {
    fn name(&self) -> &str {
        "shell"
    }
    fn send<'a>(
        &'a self,
        a: &'a Outbound,
        _key: &'a str,
    ) -> BoxFuture<'a, Result<Sent, SendError>> {
        Box::pin(async move {
            match &a.kind {
                OutboundKind::Reply {
                    visibility, text, ..
                } => {
                    println!("  bot ({}): {text}", visibility.as_str())
                }
                OutboundKind::Like => println!("  bot: (likes the message)"),
                OutboundKind::Repost => println!("  bot: (reposts the message)"),
                OutboundKind::Hide => println!("  bot: (hides the message)"),
                OutboundKind::Typing => println!("  bot: (typing...)"),
                OutboundKind::Seen => println!("  bot: (marks the message seen)"),
            }
            Ok(Sent::default())
        })
    }
}

pub fn run(args: &ServiceArgs) -> anyhow::Result<i32> {
    let mut settings = super::serve::settings(args)?;
    if args.database_url.is_none() && std::env::var("HEARKEN_DATABASE_URL").is_err() {
        settings.database.url = crate::config::Secret::new("sqlite://data/shell.db");
    }
    // The same checks as `serve`: a policy naming an unknown skill fails here, not mid-chat.
    crate::startup::check(&settings)?;
    let rt = super::serve::runtime()?;
    rt.block_on(async move {
        let settings = Arc::new(settings);
        eprintln!(
            "loading the model and training on {} ...",
            settings.nlu.intents_dir.display()
        );
        let nlu = settings.nlu.clone();
        let brain = tokio::task::spawn_blocking(move || Brain::load(&nlu)).await??;
        let store = crate::startup::open_store(&settings).await?;
        let calendar = crate::policy::Calendar::new(settings.calendar.clone())?;
        let mut channels = crate::channels::Channels::default();
        channels.insert(Arc::new(Terminal));
        let engine = Engine::new(store, settings, calendar, channels, Arc::new(SystemClock));
        engine.set_brain(brain);
        let session = uuid::Uuid::new_v4().to_string();
        eprintln!("type a message (Ctrl-D to quit)");
        let stdin = std::io::stdin();
        let mut after = 0i64;
        loop {
            print!("you> ");
            std::io::stdout().flush()?;
            let mut line = String::new();
            if stdin.lock().read_line(&mut line)? == 0 {
                break;
            }
            let text = line.trim();
            if text.is_empty() {
                continue;
            }
            after = turn(&engine, &session, text, after).await?;
        }
        anyhow::Ok(0)
    })
}

async fn turn(engine: &Engine, session: &str, text: &str, after: i64) -> anyhow::Result<i64> {
    let event = InboundEvent {
        channel: "shell".into(),
        event_id: uuid::Uuid::new_v4().to_string(),
        visibility: Visibility::Private,
        thread_id: session.into(),
        message_id: uuid::Uuid::new_v4().to_string(),
        author: Author {
            handle: format!("shell-{}", &session[..8]),
            name: None,
        },
        text: text.into(),
    };
    let json = serde_json::to_string(&event)?;
    inbox::insert_batch(
        &engine.store,
        &[inbox::NewInbound {
            channel: "shell",
            event_id: &event.event_id,
            event_json: &json,
        }],
        engine.clock.now_ms(),
    )
    .await?;
    let pipeline = crate::pipeline::run_once(engine).await?;
    anyhow::ensure!(pipeline > 0, "the message was not processed");
    let mut tx = engine.store.begin().await?;
    let conv = conversations::latest_for_thread(&mut tx, "shell", session)
        .await?
        .context("no conversation")?;
    tx.commit().await?;
    let new_in: Vec<_> = conversations::messages(&engine.store, conv.id, after)
        .await?
        .into_iter()
        .filter(|m| m.direction == "in")
        .collect();
    for m in &new_in {
        let Some(a) = &m.analysis else { continue };
        println!(
            "  intent: {} ({:.2}, {}){}  sentiment: {}  complaint: {}",
            a["intent"]["name"].as_str().unwrap_or("?"),
            a["intent"]["confidence"].as_f64().unwrap_or(0.0),
            a["intent"]["verdict"].as_str().unwrap_or("?"),
            if a["out_of_scope"].as_bool() == Some(true) {
                ", out of scope"
            } else {
                ""
            },
            a["sentiment"]["label"].as_str().unwrap_or("n/a"),
            a["complaint"]
                .as_f64()
                .map_or("n/a".to_string(), |c| format!("{c:.2}")),
        );
    }
    let ids: Vec<i64> = new_in.iter().map(|m| m.id).collect();
    for d in conversations::decisions(&engine.store, conv.id).await? {
        if d.message_id.is_some_and(|id| ids.contains(&id)) {
            println!("  decision: {}: {}", d.kind, d.reason);
        }
    }
    crate::workers::drain(engine)
        .await
        .map_err(anyhow::Error::msg)?;
    let conv = conversations::get(&engine.store, conv.id).await?;
    if conv.owner != "bot" {
        println!(
            "  owner: {} (skill {}); the bot stays silent here now",
            conv.owner,
            conv.skill.as_deref().unwrap_or("-")
        );
    }
    let newest = conversations::messages(&engine.store, conv.id, 0)
        .await?
        .iter()
        .map(|m| m.id)
        .max()
        .unwrap_or(after);
    Ok(newest)
}
