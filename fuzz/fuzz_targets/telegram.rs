//! Fuzz the Telegram adapter's payload parser: any bytes, never a panic.
#![no_main]

use hearken::channels::telegram::{parse_payload, TelegramSettings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static SETTINGS: TelegramSettings = TelegramSettings::example("fuzz");
    }
    SETTINGS.with(|s| {
        let _ = parse_payload(s, data);
    });
});
