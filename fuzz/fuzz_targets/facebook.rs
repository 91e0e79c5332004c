//! Fuzz the Facebook adapter's payload parser: any bytes, never a panic.
#![no_main]

use hearken::channels::facebook::{parse_payload, FacebookSettings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static SETTINGS: FacebookSettings = FacebookSettings::example("fuzz");
    }
    SETTINGS.with(|s| {
        let _ = parse_payload(s, data);
    });
});
