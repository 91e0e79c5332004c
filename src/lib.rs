//! hearken: social customer care with a bot first and humans when it matters.

pub mod auth;
pub mod channels;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod desk;
pub mod engine;
pub mod events;
pub mod http;
pub mod intake;
pub mod intents;
pub mod metrics;
pub mod nlu;
pub mod outbox;
pub mod pipeline;
pub mod policy;
pub mod poller;
pub mod reload;
pub mod reports;
pub mod review;
pub mod routing;
pub mod secret;
pub mod signature;
pub mod startup;
pub mod store;
pub mod tickets;
pub mod workers;

/// The old name of [`intake`], kept while `src/http` (being reorganised) still imports it.
pub use intake as inbox;
