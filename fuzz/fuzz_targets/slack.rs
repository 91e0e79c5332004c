//! Fuzz the Slack adapter's payload parser: any bytes, never a panic.
#![no_main]

use hearken::channels::slack::{parse_payload, SlackSettings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static SETTINGS: SlackSettings = SlackSettings::example("fuzz");
    }
    SETTINGS.with(|s| {
        let _ = parse_payload(s, data);
    });
});
