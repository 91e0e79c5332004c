//! A steady open-loop load for the end-to-end benchmark: POST web chat messages at a fixed rate
//! (not waiting for answers before sending the next), typical customer texts, many sessions.
//! Usage: steady_load <base url> <messages per second> <seconds>

use std::time::{Duration, Instant};

const TEXTS: [&str; 10] = [
    "where is my order? it was due yesterday",
    "how do I reset my password",
    "thanks so much, you are great",
    "can I return a lamp I bought last week",
    "do you ship to Canada",
    "my parcel arrived damaged, what now",
    "what are your opening hours",
    "I was charged twice for the same order",
    "how long does delivery take",
    "can I change the delivery address on my order",
];

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (base, rate, secs) = match &args[..] {
        [_, b, r, s] => (
            b.clone(),
            r.parse::<u64>().expect("rate"),
            s.parse::<u64>().expect("seconds"),
        ),
        _ => {
            eprintln!("usage: steady_load <base url> <messages/s> <seconds>");
            std::process::exit(2);
        }
    };
    let http = reqwest::Client::new();
    let total = rate * secs;
    let mut tick = tokio::time::interval(Duration::from_nanos(1_000_000_000 / rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    let run = uuid::Uuid::new_v4().simple().to_string();
    for i in 0..total {
        tick.tick().await;
        let http = http.clone();
        let url = format!("{base}/v1/webchat/messages");
        let body = serde_json::json!({
            "session_id": format!("{}-{:04}", &run[..12], i % 400),
            "message_id": format!("m{i}"),
            "text": TEXTS[(i as usize) % TEXTS.len()],
        });
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let ok = http
                .post(url)
                .json(&body)
                .send()
                .await
                .map(|r| r.status().as_u16() == 202)
                .unwrap_or(false);
            (ok, t.elapsed())
        }));
    }
    let sent_in = started.elapsed();
    let mut lat = Vec::new();
    let mut failed = 0;
    for t in tasks {
        let (ok, d) = t.await.expect("task");
        if ok {
            lat.push(d.as_secs_f64() * 1000.0);
        } else {
            failed += 1;
        }
    }
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    println!(
        "{{\"sent\": {total}, \"failed\": {failed}, \"offered_rate\": {rate}, \"achieved_rate\": {:.1}, \"ack_p50_ms\": {:.2}, \"ack_p99_ms\": {:.2}}}",
        total as f64 / sent_in.as_secs_f64(),
        pct(0.5),
        pct(0.99)
    );
}
