//! `hearken serve`, `hearken migrate` and `hearken emergency`: settings from file, environment
//! and flags, then the service.

use anyhow::Context;

use super::{EmergencyAction, ServeArgs, ServiceArgs};
use crate::config::{Secret, Settings};
use crate::startup::{self, Application, BuildOptions};

/// hearken.toml < environment < flags.
pub fn settings(args: &ServiceArgs) -> anyhow::Result<Settings> {
    let mut s = Settings::load(args.config.as_deref()).context("reading the settings")?;
    if let Some(l) = &args.listen {
        s.server.listen = l.clone();
    }
    if let Some(u) = &args.database_url {
        s.database.url = Secret::new(u.clone());
    }
    if let Some(i) = &args.intents {
        s.nlu.intents_dir = i.clone();
    }
    Ok(s)
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn serve(args: &ServeArgs) -> anyhow::Result<i32> {
    let mut settings = settings(&args.service)?;
    if args.no_watch {
        settings.nlu.watch = false;
    }
    runtime()?.block_on(async move {
        let listen = settings.server.listen.clone();
        let db = if settings.is_postgres() { "PostgreSQL" } else { "SQLite" };
        let app = Application::build(settings, BuildOptions::default())
            .await
            .context("starting the service")?;
        eprintln!(
            "hearken listening on http://127.0.0.1:{} ({listen}, {db}); web chat at /chat, agent console at /console; loading the model...",
            app.port()
        );
        if crate::store::agents::count_admins(&app.engine.store).await? == 0 {
            eprintln!(
                "no console admin yet: create one with `cargo run --release -- agents add --login admin --role admin --all-skills` \
                 (it prints a password; `--skill NAME` instead offers them only some of the bot's skills, docs/console.md)"
            );
        }
        app.run_until_stopped().await.context("serving")?;
        anyhow::Ok(0)
    })
}

pub fn migrate(args: &ServiceArgs) -> anyhow::Result<i32> {
    let settings = settings(args)?;
    runtime()?.block_on(async move {
        startup::open_store(&settings).await.context("migrating")?;
        eprintln!("migrations applied");
        anyhow::Ok(0)
    })
}

pub fn emergency(args: &ServiceArgs, action: &EmergencyAction) -> anyhow::Result<i32> {
    let settings = std::sync::Arc::new(settings(args)?);
    runtime()?.block_on(async move {
        let engine =
            startup::build_engine(settings, std::sync::Arc::new(crate::clock::SystemClock))
                .await
                .context("opening the store")?;
        let s = match action {
            EmergencyAction::On { message, actor } => {
                Some(crate::desk::emergency::set(&engine, true, message.clone(), actor).await?)
            }
            EmergencyAction::Off { actor } => {
                Some(crate::desk::emergency::set(&engine, false, None, actor).await?)
            }
            EmergencyAction::Status => {
                crate::store::switches::get(&engine.store, crate::store::switches::EMERGENCY)
                    .await?
            }
        };
        match s {
            Some(s) if s.on => println!(
                "emergency: ON since {} by {}: {}",
                crate::store::from_millis(s.changed_at).to_rfc3339(),
                s.actor,
                s.message
                    .as_deref()
                    .unwrap_or(&engine.settings.calendar.emergency.message)
            ),
            Some(s) => println!(
                "emergency: off (changed {} by {})",
                crate::store::from_millis(s.changed_at).to_rfc3339(),
                s.actor
            ),
            None => println!("emergency: off (never switched)"),
        }
        anyhow::Ok(0)
    })
}
