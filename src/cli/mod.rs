//! The `hearken` command line: one file per subcommand; this file holds the argument types.

pub mod agents;
pub mod channels;
pub mod classify;
pub mod common;
pub mod intents;
pub mod nlu;
pub mod report_html;
pub mod review;
pub mod serve;
pub mod shell;

use std::path::PathBuf;

use crate::config::Profile;
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "hearken",
    version,
    about = "Social customer care: a bot first, humans when it matters"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check, test and measure the intent files.
    #[command(subcommand)]
    Intents(IntentsCommand),
    /// Evaluate on public benchmarks; train the sentiment and complaint heads; show normalisation.
    #[command(subcommand)]
    Nlu(NluCommand),
    /// Analyse messages against the intents: one JSON line per message (stdin when no TEXT).
    Classify(ClassifyArgs),
    /// Run the service: webhooks, web chat, pipeline, outbox, JSON API (http://127.0.0.1:8080).
    Serve(ServeArgs),
    /// Apply the database migrations and exit (serve applies them too).
    Migrate(ServiceArgs),
    /// Talk to the bot in the terminal through the real pipeline; shows what it understood.
    Shell(ServiceArgs),
    /// The platform accounts: check credentials and webhooks, register webhooks.
    Channels {
        #[command(subcommand)]
        action: ChannelsAction,
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// The people who work in the console: add (the first admin too), list, set, passwd.
    Agents {
        #[command(subcommand)]
        action: AgentsAction,
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// The emergency switch: a message to every conversation, escalations held.
    Emergency {
        #[command(subcommand)]
        action: EmergencyAction,
        #[command(flatten)]
        service: ServiceArgs,
    },
}

/// Where the service's settings come from: hearken.toml < HEARKEN_* environment < these flags.
#[derive(Args, Clone, Default)]
pub struct ServiceArgs {
    /// The settings file (default: ./hearken.toml when it exists).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Address to listen on (server.listen).
    #[arg(long, global = true)]
    pub listen: Option<String>,
    /// sqlite://path or postgres://... (database.url).
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// The intent files folder (nlu.intents_dir).
    #[arg(long, global = true)]
    pub intents: Option<PathBuf>,
}

#[derive(Args, Clone, Default)]
pub struct ServeArgs {
    #[command(flatten)]
    pub service: ServiceArgs,
    /// Do not retrain when the intent files change (nlu.watch = false).
    #[arg(long)]
    pub no_watch: bool,
}

#[derive(Subcommand, Clone)]
pub enum ChannelsAction {
    /// Call each platform's "who am I" and webhook endpoints; exit 1 when one fails.
    Check {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Subscribe the platforms' webhooks to this server, where their APIs allow it.
    RegisterWebhooks {
        /// The public https base URL platforms reach hearken at (e.g. https://care.example.com).
        #[arg(long)]
        public_url: String,
        /// Only this channel.
        #[arg(long)]
        channel: Option<String>,
    },
}

#[derive(Subcommand, Clone)]
pub enum AgentsAction {
    /// Create an agent; without --password-stdin a password is generated and printed once.
    Add {
        #[arg(long)]
        login: String,
        /// Display name (default: the login).
        #[arg(long)]
        name: Option<String>,
        /// agent, supervisor or admin.
        #[arg(long, default_value = "agent", value_parser = agents::parse_role)]
        role: crate::routing::Role,
        /// SKILL or SKILL=LEVEL (1-5), repeatable: --skill billing=4 --skill orders.
        #[arg(long = "skill", value_parser = agents::parse_skill)]
        skills: Vec<(String, u8)>,
        /// Every skill the bot's intent files name (config.yml `skills` and each intent's
        /// `skill`), at level 3; a `--skill` given too sets its own level.
        #[arg(long)]
        all_skills: bool,
        /// A group such as private_messages, repeatable.
        #[arg(long = "group")]
        groups: Vec<String>,
        /// Conversations at once.
        #[arg(long, default_value_t = 3)]
        capacity: u32,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List agents with role, status, capacity, skills and groups.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Set a new password (generated and printed unless --password-stdin); sessions end.
    Passwd {
        login: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change an agent: only what is given changes (--skill and --group replace the lists).
    Set {
        login: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_parser = agents::parse_role)]
        role: Option<crate::routing::Role>,
        #[arg(long = "skill", value_parser = agents::parse_skill)]
        skills: Vec<(String, u8)>,
        #[arg(long = "group")]
        groups: Vec<String>,
        #[arg(long)]
        capacity: Option<u32>,
        #[arg(long, conflicts_with = "enable")]
        disable: bool,
        #[arg(long)]
        enable: bool,
    },
}

#[derive(Subcommand, Clone)]
pub enum EmergencyAction {
    /// Switch emergency mode on.
    On {
        /// The message customers get (default: calendar.emergency.message).
        #[arg(long)]
        message: Option<String>,
        /// Who switched it (stored with the change).
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Switch it off.
    Off {
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Show the switch.
    Status,
}

#[derive(Args, Clone)]
pub struct ModelArgs {
    /// default (all-MiniLM-L6-v2, `make model`) or accurate (all-mpnet-base-v2, `make
    /// model-accurate`): the model and heads used unless given below.
    #[arg(
        long,
        env = "HEARKEN_NLU_PROFILE",
        value_enum,
        default_value = "default",
        global = true
    )]
    pub profile: Profile,
    /// A sentence-transformers ONNX model directory [default: the profile's].
    #[arg(long, env = "HEARKEN_MODEL_DIR", global = true)]
    pub model_dir: Option<PathBuf>,
    /// The graph file inside the model directory (model_fp32.onnx: exact float graph).
    #[arg(
        long,
        env = "HEARKEN_MODEL_FILE",
        default_value = "model.onnx",
        global = true
    )]
    pub model_file: String,
    /// The sentiment head file [default: the profile's].
    #[arg(long, env = "HEARKEN_SENTIMENT_HEAD", global = true)]
    pub sentiment_head: Option<PathBuf>,
    /// The complaint head file [default: the profile's].
    #[arg(long, env = "HEARKEN_COMPLAINT_HEAD", global = true)]
    pub complaint_head: Option<PathBuf>,
    /// Threads for inference (default: all cores).
    #[arg(long, env = "HEARKEN_THREADS", global = true)]
    pub threads: Option<usize>,
}

impl ModelArgs {
    pub fn model_dir(&self) -> PathBuf {
        self.model_dir
            .clone()
            .unwrap_or_else(|| self.profile.model_dir())
    }

    pub fn sentiment_head(&self) -> PathBuf {
        self.sentiment_head
            .clone()
            .unwrap_or_else(|| self.profile.sentiment_head())
    }

    pub fn complaint_head(&self) -> PathBuf {
        self.complaint_head
            .clone()
            .unwrap_or_else(|| self.profile.complaint_head())
    }
}

#[derive(Subcommand)]
pub enum IntentsCommand {
    /// Report every problem in the intent files with file:line and a hint.
    Validate {
        #[arg(default_value = "intents")]
        dir: PathBuf,
        /// Warnings fail too (exit 1).
        #[arg(long)]
        strict: bool,
        /// Skip the checks that need the model (near-duplicate examples).
        #[arg(long)]
        no_model: bool,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Cross-validate the intents: accuracy, F1, confusions, calibration, escalation share.
    Test {
        #[arg(default_value = "intents")]
        dir: PathBuf,
        #[arg(long, default_value_t = 5)]
        folds: usize,
        #[arg(long)]
        json: bool,
        /// Also write an HTML report with the confusion matrix and confidence histogram.
        #[arg(long)]
        html: Option<PathBuf>,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// What the live bot was unsure of, escalated, or agents marked "misread": list it, assign
    /// a message to an intent (it becomes an example) or dismiss it (needs the database).
    Review(ReviewArgs),
}

#[derive(Args)]
pub struct ReviewArgs {
    #[command(subcommand)]
    pub action: Option<ReviewAction>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// At most this many messages.
    #[arg(long, default_value_t = 50)]
    pub limit: i64,
    /// Only messages listed for this reason: low_confidence, ambiguous, out_of_scope_intent,
    /// escalated, marked.
    #[arg(long)]
    pub reason: Option<String>,
    /// Go through the messages one by one (needs a terminal).
    #[arg(long)]
    pub interactive: bool,
    /// List what was already handled (who, what, when) instead.
    #[arg(long, conflicts_with = "interactive")]
    pub handled: bool,
    /// Who the history names as the reviewer.
    #[arg(long, default_value = "cli", global = true)]
    pub actor: String,
    #[command(flatten)]
    pub service: ServiceArgs,
}

#[derive(Subcommand, Clone)]
pub enum ReviewAction {
    /// Add message ID's text as an example of INTENT (or out_of_scope) in its intent file,
    /// and print the cross-validation figures before and after.
    Assign {
        id: i64,
        intent: String,
        #[arg(long, default_value_t = 5)]
        folds: usize,
        #[arg(long)]
        json: bool,
    },
    /// Take message ID off the list without changing the intents.
    Dismiss { id: i64 },
}

#[derive(Subcommand)]
pub enum NluCommand {
    /// Train on one JSONL file and test on another ({"text","label"} lines; "oos" = out of scope).
    Evaluate(EvaluateArgs),
    /// Train the shipped sentiment head from labelled JSONL (negative/neutral/positive).
    TrainSentiment {
        #[arg(long)]
        train: PathBuf,
        #[arg(long, default_value = "models/sentiment-head.json")]
        out: PathBuf,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Train the shipped complaint head from labelled JSONL (complaint/not_complaint).
    TrainComplaint {
        #[arg(long)]
        train: PathBuf,
        #[arg(long, default_value = "models/complaint-head.json")]
        out: PathBuf,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Print what the encoder reads for each line of stdin (emoji names, @user, http): plain
    /// lines, or JSON objects whose "text" is rewritten (other fields kept).
    Normalize,
}

#[derive(Args)]
pub struct EvaluateArgs {
    #[arg(long, required_unless_present = "head")]
    pub train: Option<PathBuf>,
    /// Score --test with this trained head file (sentiment or complaint) instead of training.
    #[arg(long, requires = "test", conflicts_with = "train")]
    pub head: Option<PathBuf>,
    /// Without a test file, k-fold cross-validation on the train file.
    #[arg(long)]
    pub test: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "intent")]
    pub task: Task,
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Confidence below which a message counts as out of scope.
    #[arg(long, default_value_t = 0.5)]
    pub threshold: f32,
    #[arg(long)]
    pub epochs: Option<usize>,
    #[arg(long)]
    pub l2: Option<f32>,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    Intent,
    Sentiment,
    Complaint,
}

impl Task {
    pub fn name(self) -> &'static str {
        match self {
            Self::Intent => "intent",
            Self::Sentiment => "sentiment",
            Self::Complaint => "complaint",
        }
    }
}

#[derive(Args)]
pub struct ClassifyArgs {
    /// Messages; read from stdin (one per line) when none are given.
    pub texts: Vec<String>,
    #[arg(long, env = "HEARKEN_INTENTS", default_value = "intents")]
    pub intents: PathBuf,
    #[command(flatten)]
    pub model: ModelArgs,
}

pub fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Intents(IntentsCommand::Validate {
            dir,
            strict,
            no_model,
            json,
            model,
        }) => intents::validate(&dir, strict, no_model, json, &model),
        Command::Intents(IntentsCommand::Test {
            dir,
            folds,
            json,
            html,
            model,
        }) => intents::test(&dir, folds, json, html.as_deref(), &model),
        Command::Intents(IntentsCommand::Review(args)) => review::run(&args),
        Command::Nlu(NluCommand::Evaluate(args)) => nlu::evaluate(&args),
        Command::Nlu(NluCommand::Normalize) => nlu::normalize_stdin(),
        Command::Nlu(NluCommand::TrainComplaint { train, out, model }) => {
            nlu::train_head(Task::Complaint, &train, &out, &model)
        }
        Command::Nlu(NluCommand::TrainSentiment { train, out, model }) => {
            nlu::train_head(Task::Sentiment, &train, &out, &model)
        }
        Command::Classify(args) => classify::run(&args),
        Command::Serve(args) => serve::serve(&args),
        Command::Migrate(args) => serve::migrate(&args),
        Command::Shell(args) => shell::run(&args),
        Command::Emergency { action, service } => serve::emergency(&service, &action),
        Command::Agents { action, service } => agents::run(&service, &action),
        Command::Channels { action, service } => channels::run(&service, &action),
    }
}
