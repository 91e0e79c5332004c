//! `hearken intents review`: the messages to review as a table (or JSON), assign one to an
//! intent or dismiss it, or go through them one by one on a terminal. The operations are
//! `crate::review`'s, the same the console and the API call.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Context;

use super::common::start_encoder;
use super::{ModelArgs, ReviewAction, ReviewArgs};
use crate::config::Settings;
use crate::nlu::service::EncoderService;
use crate::review::{self, Assigned, Ctx, Filter, Item, Reason, ReviewError};
use crate::store::Store;

/// Exit code: 0 done, 1 the operation was refused (the reason is printed).
pub fn run(args: &ReviewArgs) -> anyhow::Result<i32> {
    let settings = super::serve::settings(&args.service)?;
    if args.interactive && !std::io::stdin().is_terminal() {
        anyhow::bail!("--interactive reads choices from a terminal; stdin is not one");
    }
    super::serve::runtime()?.block_on(async {
        let store = crate::startup::open_store(&settings)
            .await
            .context("opening the store")?;
        let cli = Cli {
            settings: &settings,
            store: &store,
            actor: &args.actor,
        };
        let result = match &args.action {
            Some(ReviewAction::Assign {
                id,
                intent,
                folds,
                json,
            }) => cli.assign(*id, intent, *folds, *json).await,
            Some(ReviewAction::Dismiss { id }) => cli.dismiss(*id).await,
            None if args.interactive => cli.interactive(args).await,
            None => cli.list(args).await,
        };
        match result {
            Ok(()) => Ok(0),
            Err(Failure::Refused(e)) => {
                eprintln!("error: {e}");
                Ok(1)
            }
            Err(Failure::Other(e)) => Err(e),
        }
    })
}

enum Failure {
    /// The operation said no (unknown message or intent, already reviewed...).
    Refused(ReviewError),
    Other(anyhow::Error),
}

impl From<ReviewError> for Failure {
    fn from(e: ReviewError) -> Self {
        match e {
            ReviewError::Store(_) | ReviewError::Files(_) | ReviewError::Nlu(_) => {
                Self::Other(e.into())
            }
            other => Self::Refused(other),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Self::Other(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Self::Other(e.into())
    }
}

struct Cli<'a> {
    settings: &'a Settings,
    store: &'a Store,
    actor: &'a str,
}

impl Cli<'_> {
    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            store: self.store,
            intents_dir: &self.settings.nlu.intents_dir,
            now_ms: crate::store::millis(chrono::Utc::now()),
        }
    }

    fn encoder(&self) -> anyhow::Result<EncoderService> {
        let n = &self.settings.nlu;
        start_encoder(&ModelArgs {
            profile: n.profile,
            model_dir: Some(n.model_dir.clone()),
            model_file: n.model_file.clone(),
            sentiment_head: Some(n.sentiment_head.clone()),
            complaint_head: Some(n.complaint_head.clone()),
            threads: n.threads,
        })
    }

    async fn items(&self, args: &ReviewArgs) -> Result<Vec<review::Group>, Failure> {
        let reason = args.reason.as_deref().map(Reason::parse).transpose()?;
        Ok(review::list(
            &self.ctx(),
            &Filter {
                reason,
                limit: Some(args.limit),
                before: None,
            },
        )
        .await?)
    }

    async fn list(&self, args: &ReviewArgs) -> Result<(), Failure> {
        if args.handled {
            let rows = review::handled(&self.ctx(), Some(args.limit)).await?;
            if args.json {
                println!("{}", pretty(&serde_json::json!({"items": rows}))?);
                return Ok(());
            }
            for o in &rows {
                let what = match (o.outcome.as_str(), &o.intent) {
                    ("assigned", Some(i)) => format!("assigned to {i}"),
                    (other, _) => other.to_string(),
                };
                println!(
                    "#{:<6} {}  {what} by {}  \"{}\"",
                    o.message_id,
                    time(o.created_at),
                    o.actor,
                    short(&o.text)
                );
            }
            println!("{} handled", rows.len());
            return Ok(());
        }
        let groups = self.items(args).await?;
        let count: usize = groups.iter().map(|g| g.items.len()).sum();
        if args.json {
            let out = serde_json::json!({"count": count, "groups": groups});
            println!("{}", pretty(&out)?);
            return Ok(());
        }
        for g in &groups {
            println!("{} ({})", g.intent, g.items.len());
            println!(
                "  {:<7} {:<20} {:<18} {:>5}  WHY",
                "ID", "WHEN", "CHANNEL", "CONF"
            );
            for i in &g.items {
                print_row(i);
            }
            println!();
        }
        println!(
            "{count} message{} to review; assign one with `hearken intents review assign ID INTENT` (or out_of_scope), or `... dismiss ID`",
            if count == 1 { "" } else { "s" }
        );
        Ok(())
    }

    async fn assign(&self, id: i64, intent: &str, folds: usize, json: bool) -> Result<(), Failure> {
        if !(2..=10).contains(&folds) {
            return Err(Failure::Refused(ReviewError::BadInput(
                "--folds must be 2 to 10".into(),
            )));
        }
        // Refusals first: they need no model.
        review::check(&self.ctx(), id, intent).await?;
        let encoder = self.encoder()?;
        let done = review::assign(&self.ctx(), id, intent, self.actor, &encoder, folds).await?;
        if json {
            println!(
                "{}",
                pretty(&serde_json::to_value(&done).map_err(anyhow::Error::from)?)?
            );
        } else {
            print_assigned(&done);
        }
        Ok(())
    }

    async fn dismiss(&self, id: i64) -> Result<(), Failure> {
        review::dismiss(&self.ctx(), id, self.actor).await?;
        println!("message {id} dismissed");
        Ok(())
    }

    /// One item at a time: show it with the nearest intents and read what to do.
    async fn interactive(&self, args: &ReviewArgs) -> Result<(), Failure> {
        let items: Vec<Item> = self
            .items(args)
            .await?
            .into_iter()
            .flat_map(|g| g.items)
            .collect();
        if items.is_empty() {
            println!("nothing to review");
            return Ok(());
        }
        let encoder = self.encoder()?;
        let stdin = std::io::stdin();
        let mut lines = stdin.lock().lines();
        for (n, item) in items.iter().enumerate() {
            println!(
                "\n[{}/{}] #{} · {} · {}",
                n + 1,
                items.len(),
                item.message_id,
                item.channel,
                time(item.created_at)
            );
            println!("  \"{}\"", item.text);
            println!("  why: {}", item.why);
            for (k, near) in item.nearest.iter().enumerate() {
                println!("  {}) {} {:.2}", k + 1, near.intent, near.confidence);
            }
            loop {
                print!("number: assign to that intent · name: assign to that intent · o: out_of_scope · d: dismiss · s: skip · q: quit > ");
                std::io::stdout().flush()?;
                let Some(line) = lines.next().transpose()? else {
                    return Ok(());
                };
                let choice = line.trim();
                let target = match choice {
                    "" => continue,
                    "q" => return Ok(()),
                    "s" => break,
                    "d" => {
                        match review::dismiss(&self.ctx(), item.message_id, self.actor).await {
                            Ok(()) => println!("dismissed"),
                            Err(e) => println!("not dismissed: {e}"),
                        }
                        break;
                    }
                    "o" => crate::intents::OUT_OF_SCOPE.to_string(),
                    c => match c.parse::<usize>() {
                        Ok(k) if (1..=item.nearest.len()).contains(&k) => {
                            item.nearest[k - 1].intent.clone()
                        }
                        Ok(_) => {
                            println!("no such choice");
                            continue;
                        }
                        Err(_) => c.to_string(),
                    },
                };
                println!("measuring before and after (a few seconds)...");
                match review::assign(
                    &self.ctx(),
                    item.message_id,
                    &target,
                    self.actor,
                    &encoder,
                    review::DEFAULT_FOLDS,
                )
                .await
                {
                    Ok(done) => {
                        print_assigned(&done);
                        break;
                    }
                    Err(
                        e @ (ReviewError::Store(_) | ReviewError::Files(_) | ReviewError::Nlu(_)),
                    ) => return Err(e.into()),
                    Err(e) => println!("not assigned: {e}"),
                }
            }
        }
        Ok(())
    }
}

fn pretty(v: &serde_json::Value) -> Result<String, Failure> {
    serde_json::to_string_pretty(v).map_err(|e| Failure::Other(e.into()))
}

fn time(ms: i64) -> String {
    crate::store::from_millis(ms)
        .format("%Y-%m-%d %H:%M UTC")
        .to_string()
}

/// The first 100 characters of a message, on one line.
fn short(text: &str) -> String {
    let one = review::yaml::one_line(text);
    match one.char_indices().nth(100) {
        Some((i, _)) => format!("{}…", &one[..i]),
        None => one,
    }
}

fn print_row(i: &Item) {
    let reasons: Vec<&str> = i.reasons.iter().map(|r| r.label()).collect();
    println!(
        "  #{:<6} {:<20} {:<18} {:>5}  {}",
        i.message_id,
        time(i.created_at),
        format!("{} {}", i.channel, i.visibility),
        i.confidence
            .map_or_else(|| "-".into(), |c| format!("{c:.2}")),
        reasons.join(", ")
    );
    println!("          \"{}\"", short(&i.text));
    for m in &i.marks {
        let mut s = format!("          {} says", m.actor);
        if let Some(intent) = &m.intent {
            s.push_str(&format!(" it meant {intent}"));
        }
        if let Some(note) = &m.note {
            s.push_str(&format!(": {note}"));
        }
        println!("{s}");
    }
}

fn print_assigned(a: &Assigned) {
    println!(
        "message {} -> {}: added \"{}\" to {}:{}",
        a.message_id,
        a.intent,
        a.example,
        a.file.display(),
        a.line
    );
    let (b, f) = (&a.before, &a.after);
    println!("{}-fold cross-validation      before     after", a.folds);
    println!(
        "  examples               {:>9} {:>9}",
        b.examples, f.examples
    );
    println!(
        "  accuracy               {:>8.1}% {:>8.1}%",
        b.accuracy * 100.0,
        f.accuracy * 100.0
    );
    println!(
        "  macro F1               {:>8.1}% {:>8.1}%",
        b.macro_f1 * 100.0,
        f.macro_f1 * 100.0
    );
    let (precision, recall) = (
        format!("{} precision", a.intent),
        format!("{} recall", a.intent),
    );
    println!(
        "  {precision:<22} {:>9.3} {:>9.3}",
        b.precision, f.precision
    );
    println!("  {recall:<22} {:>9.3} {:>9.3}", b.recall, f.recall);
}
