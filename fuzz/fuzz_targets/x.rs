//! Fuzz the X adapter's payload parser: any bytes, never a panic.
#![no_main]

use hearken::channels::x::{parse_payload, XSettings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static SETTINGS: XSettings = XSettings::example("fuzz");
    }
    SETTINGS.with(|s| {
        let _ = parse_payload(s, data);
    });
});
