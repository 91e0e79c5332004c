//! hearken: social customer care with a bot first and humans when it matters.

pub mod cli;
pub mod intents;
pub mod nlu;
