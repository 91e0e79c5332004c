//! Fuzz the Mastodon adapter's payload parser: any bytes, never a panic.
#![no_main]

use hearken::channels::mastodon::{parse_payload, MastodonSettings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static SETTINGS: MastodonSettings = MastodonSettings::example("fuzz");
    }
    SETTINGS.with(|s| {
        let _ = parse_payload(s, data);
    });
});
