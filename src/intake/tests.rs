//! `Intake::accept` against a real (SQLite) inbox.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::Notify;

use super::{Accepted, Fate, Intake, Outcome};
use crate::channels::{
    Author, Channel, HealthBoard, InboundEvent, MonitorFilter, Outbound, SendError, Sent,
};
use crate::clock::SystemClock;
use crate::policy::Visibility;
use crate::store::{Store, StoreOptions};

/// A channel that only lets in public posts mentioning "refund".
struct Monitored(MonitorFilter);

impl Channel for Monitored {
    fn name(&self) -> &str {
        "monitored"
    }
    fn send<'a>(&'a self, _: &'a Outbound, _: &'a str) -> BoxFuture<'a, Result<Sent, SendError>> {
        Box::pin(async { Ok(Sent::default()) })
    }
    fn monitor(&self) -> Option<&MonitorFilter> {
        Some(&self.0)
    }
}

fn monitored() -> Monitored {
    Monitored(MonitorFilter {
        include_keywords: vec!["refund".into()],
        ..MonitorFilter::default()
    })
}

fn post(id: &str, text: &str) -> InboundEvent {
    InboundEvent {
        channel: "monitored".into(),
        event_id: id.into(),
        visibility: Visibility::Public,
        thread_id: id.into(),
        message_id: id.into(),
        author: Author {
            handle: "customer".into(),
            name: None,
        },
        text: text.into(),
    }
}

struct Setup {
    intake: Intake,
    store: Store,
    health: Arc<HealthBoard>,
    wake: Arc<Notify>,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}/hearken.db", dir.path().display());
    let opts = StoreOptions {
        max_connections: 2,
        acquire_timeout: Duration::from_secs(3),
    };
    let store = Store::connect(&url, &opts).await.expect("the store opens");
    store.migrate().await.expect("the store migrates");
    let (health, wake) = (Arc::new(HealthBoard::default()), Arc::new(Notify::new()));
    let intake = Intake::start(
        store.clone(),
        Arc::new(SystemClock),
        8,
        wake.clone(),
        health.clone(),
    );
    Setup {
        intake,
        store,
        health,
        wake,
        _dir: dir,
    }
}

async fn inbox_rows(store: &Store) -> i64 {
    let rows = crate::store::inbox::counts(store)
        .await
        .expect("the inbox counts");
    rows.iter().map(|(_, n)| n).sum()
}

fn outcome(event_id: &str, fate: Fate) -> Outcome {
    Outcome {
        event_id: event_id.into(),
        fate,
    }
}

#[tokio::test]
async fn one_call_reports_new_duplicate_and_filtered_events_in_order() {
    let s = setup().await;
    let channel = monitored();
    s.intake
        .accept(&channel, &[post("seen-before", "a refund please")])
        .await
        .expect("the first delivery is stored");
    let events = [
        post("fresh", "where is my refund?"),
        post("seen-before", "a refund please"),
        post("chatter", "nice weather today"),
    ];
    let accepted = s
        .intake
        .accept(&channel, &events)
        .await
        .expect("the batch is stored");
    assert_eq!(
        accepted,
        Accepted {
            new: 1,
            duplicate: 1,
            filtered: 1,
            outcomes: vec![
                outcome("fresh", Fate::New),
                outcome("seen-before", Fate::Duplicate),
                outcome("chatter", Fate::Filtered),
            ],
        }
    );
    assert_eq!(
        accepted.stored_ids().collect::<Vec<_>>(),
        ["fresh", "seen-before"]
    );
    assert_eq!(
        inbox_rows(&s.store).await,
        2,
        "the filtered post is not stored"
    );
}

#[tokio::test]
async fn filtered_posts_are_counted_on_the_health_board_and_wake_no_one() {
    let s = setup().await;
    let accepted = s
        .intake
        .accept(&monitored(), &[post("a", "hello"), post("b", "hi there")])
        .await
        .expect("nothing to store");
    assert_eq!((accepted.new, accepted.filtered), (0, 2));
    assert_eq!(s.health.get("monitored").filtered_posts, 2);
    let woken = tokio::time::timeout(Duration::from_millis(50), s.wake.notified()).await;
    assert!(woken.is_err(), "nothing new, so the pipeline is not woken");
}

#[tokio::test]
async fn a_new_event_wakes_the_pipeline() {
    let s = setup().await;
    s.intake
        .accept(&monitored(), &[post("a", "refund")])
        .await
        .expect("stored");
    let woken = tokio::time::timeout(Duration::from_secs(5), s.wake.notified()).await;
    assert!(woken.is_ok(), "the pipeline is woken after the commit");
}
