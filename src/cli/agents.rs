//! `hearken agents`: create the first admin, list agents, set skills, roles and passwords from
//! the terminal (the same rules as the API and the console's admin page).

use std::collections::BTreeMap;
use std::io::Read;

use anyhow::{bail, Context};

use super::{AgentsAction, ServiceArgs};
pub use crate::desk::agents::parse_skill;
use crate::desk::agents::{
    create as create_agent, set_password, update as update_agent, AgentChange, NewAgent,
};
use crate::routing::Role;
use crate::store::agents;

fn password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut p = String::new();
        std::io::stdin()
            .read_to_string(&mut p)
            .context("reading the password from stdin")?;
        let p = p.trim_end_matches(['\n', '\r']).to_string();
        return Ok((p, false));
    }
    // 120 random bits, easy to type once.
    let t = crate::auth::random_token();
    Ok((t.chars().take(20).collect(), true))
}

/// Every skill the intent files name: `config.yml`'s list and each intent's own `skill`.
fn bot_skills(dir: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let bot = crate::intents::load_valid(dir)
        .with_context(|| format!("reading the bot's skills from {}", dir.display()))?;
    let mut all: Vec<String> = bot.settings.skills.clone();
    all.extend(bot.intents.iter().filter_map(|i| i.skill.clone()));
    all.sort();
    all.dedup();
    Ok(all)
}

pub fn run(args: &ServiceArgs, action: &AgentsAction) -> anyhow::Result<i32> {
    let settings = std::sync::Arc::new(super::serve::settings(args)?);
    super::serve::runtime()?.block_on(async move {
        let engine =
            crate::startup::build_engine(settings, std::sync::Arc::new(crate::clock::SystemClock))
                .await
                .context("opening the store")?;
        match action {
            AgentsAction::Add {
                login,
                name,
                role,
                skills,
                all_skills,
                groups,
                capacity,
                password_stdin,
            } => {
                let mut levels = BTreeMap::new();
                if *all_skills {
                    for skill in bot_skills(&engine.settings.nlu.intents_dir)? {
                        levels.insert(skill, 3);
                    }
                }
                levels.extend(skills.iter().cloned());
                let (pw, generated) = password(*password_stdin)?;
                let n = NewAgent {
                    login: login.clone(),
                    name: name.clone().unwrap_or_else(|| login.clone()),
                    role: *role,
                    skills: levels.clone(),
                    groups: groups.clone(),
                    capacity: *capacity,
                    password: pw.clone(),
                };
                let id = create_agent(&engine, n)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                println!("created {} {login} (id {id})", role.as_str());
                if !levels.is_empty() {
                    let names: Vec<&str> = levels.keys().map(String::as_str).collect();
                    println!("skills: {}", names.join(", "));
                }
                if generated {
                    println!("password: {pw}");
                    println!("(shown once; sign in at /console/login and keep it somewhere safe)");
                }
            }
            AgentsAction::List { json } => {
                let all = agents::list(&engine.store).await?;
                if *json {
                    println!("{}", serde_json::to_string_pretty(&all)?);
                } else {
                    println!(
                        "{:<4} {:<16} {:<11} {:<8} {:>3}  skills / groups",
                        "id", "login", "role", "status", "cap"
                    );
                    for a in all {
                        let skills: Vec<String> = a
                            .agent
                            .skills
                            .iter()
                            .map(|(s, l)| format!("{s}={l}"))
                            .collect();
                        println!(
                            "{:<4} {:<16} {:<11} {:<8} {:>3}  {}{}{}",
                            a.agent.id,
                            a.agent.login,
                            a.agent.role.as_str(),
                            if a.disabled {
                                "disabled"
                            } else {
                                a.agent.status.as_str()
                            },
                            a.agent.capacity,
                            skills.join(","),
                            if a.agent.groups.is_empty() { "" } else { " / " },
                            a.agent.groups.join(","),
                        );
                    }
                }
            }
            AgentsAction::Passwd {
                login,
                password_stdin,
            } => {
                let Some((a, _)) = agents::by_login(&engine.store, login).await? else {
                    bail!("no agent with the login {login:?}");
                };
                let (pw, generated) = password(*password_stdin)?;
                set_password(&engine, a.agent.id, pw.clone())
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                println!("password changed for {login}; their sessions have ended");
                if generated {
                    println!("password: {pw}");
                }
            }
            AgentsAction::Set {
                login,
                name,
                role,
                skills,
                groups,
                capacity,
                disable,
                enable,
            } => {
                let Some((a, _)) = agents::by_login(&engine.store, login).await? else {
                    bail!("no agent with the login {login:?}");
                };
                let change = AgentChange {
                    name: name.clone(),
                    role: *role,
                    skills: (!skills.is_empty()).then(|| skills.iter().cloned().collect()),
                    groups: (!groups.is_empty()).then(|| groups.clone()),
                    capacity: *capacity,
                    disabled: match (disable, enable) {
                        (true, _) => Some(true),
                        (_, true) => Some(false),
                        _ => None,
                    },
                };
                update_agent(&engine, a.agent.id, change)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                println!("updated {login}");
            }
        }
        anyhow::Ok(0)
    })
}

/// Clap's parser for `--role`.
pub fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("{s:?}: the role is agent, supervisor or admin"))
}
