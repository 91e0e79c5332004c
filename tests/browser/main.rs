//! The console and the web chat in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`, installed by `make browser`), driven over WebDriver. The app is the real
//! one on port 0 with the real model and a fresh database; workers are off, so each test drains
//! the pipeline and routing itself while the browser waits for what must appear live.

// Shared with the API tests: the app, and the simulated platform behind the API channel.
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "../api/platform.rs"]
mod platform;
// `person()` and the password; its HTTP-level browser is not used here.
#[allow(dead_code)]
#[path = "../api/console_support.rs"]
mod console_support;

#[allow(dead_code)]
mod harness;

mod chat;
mod console;
mod demo;
