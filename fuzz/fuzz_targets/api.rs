//! Fuzz the API channel's verify-then-parse path with a valid signature over any bytes.
#![no_main]

use hearken::channels::api::{ApiChannel, ApiChannelSettings};
use hearken::config::Secret;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static CHANNEL: ApiChannel = ApiChannel::new(
            ApiChannelSettings {
                name: "fuzz".into(),
                secret: Secret::new("fuzz-secret"),
                outbound_url: "http://127.0.0.1:9/".into(),
                monitor: Default::default(),
            },
            std::time::Duration::from_secs(1),
        );
    }
    let now = 1_767_000_000;
    let sig = hearken::signature::sign("fuzz-secret", now, data);
    CHANNEL.with(|c| {
        let _ = c.accept(Some(&sig), data, now);
    });
});
