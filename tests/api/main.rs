//! The service over real HTTP on port 0, with a fresh database per test (SQLite and PostgreSQL),
//! the real model, simulated platforms (wiremock) and workers drained, never slept on.

mod helpers;

mod calendar;
mod channel_facebook;
mod channel_mastodon;
mod channel_slack;
mod channel_telegram;
mod channel_x;
mod channels;
mod console;
mod console_conversation;
mod console_review;
mod console_support;
mod contacts;
mod events;
mod intake;
mod openapi;
mod outbox;
mod outbox_upgrade;
mod pipeline;
mod platform;
mod reload;
mod reports;
mod review;
mod routing;
mod security;
