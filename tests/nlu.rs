//! The NLU engine on the shipped example bot with the real model: what it understands,
//! what it declines, how it feels, and that retraining re-encodes only what changed.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use hearken::intents;
use hearken::nlu::classifier::{TrainOptions, Verdict};
use hearken::nlu::onnx::{OnnxEncoder, OnnxOptions};
use hearken::nlu::service::{EncoderService, ServiceOptions};
use hearken::nlu::{Encoder, Judgement, Nlu, NluError};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The real encoder, counting the texts that reach it.
struct Counted(OnnxEncoder, Arc<AtomicUsize>);

impl Encoder for Counted {
    fn encode(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, NluError> {
        self.1.fetch_add(texts.len(), Ordering::SeqCst);
        self.0.encode(texts)
    }
    fn encode_features(
        &mut self,
        texts: &[&str],
    ) -> Result<Vec<hearken::nlu::encoder::Features>, NluError> {
        self.1.fetch_add(texts.len(), Ordering::SeqCst);
        self.0.encode_features(texts)
    }
    fn judgement_dim(&self) -> usize {
        self.0.judgement_dim()
    }
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn name(&self) -> &str {
        self.0.name()
    }
}

fn engine() -> (Nlu, EncoderService, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let onnx = OnnxEncoder::load(&OnnxOptions::default_for(
        &root().join("models/all-MiniLM-L6-v2"),
    ))
    .expect("run `make model`");
    let service = EncoderService::start(
        vec![Box::new(Counted(onnx, count.clone()))],
        &ServiceOptions::default(),
    )
    .unwrap();
    let judgement = Judgement::load(
        &root().join("models/sentiment-head.json"),
        &root().join("models/complaint-head.json"),
        service.judgement_dim(),
    )
    .unwrap();
    let bot = intents::load_valid(&root().join("intents")).unwrap();
    let nlu = Nlu::train(
        service.clone(),
        &bot,
        judgement,
        &TrainOptions::default(),
        |_| {},
    )
    .unwrap();
    (nlu, service, count)
}

#[test]
fn the_example_bot_understands_its_customers_and_declines_what_it_cannot_help_with() {
    let (nlu, _, _) = engine();
    let texts: Vec<String> = [
        "hey where is my package? ordered 10 days ago",
        "I want my money back for the broken lamp, refund please",
        "who do you think will win the champions league",
        "this is the worst service ever, three emails and no answer. disgusting",
    ]
    .map(String::from)
    .to_vec();
    let a = nlu.analyze_batch(&texts).unwrap();
    assert_eq!(a[0].intent.name, "order_status", "{:?}", a[0].intent);
    assert_eq!(a[1].intent.name, "refund_request", "{:?}", a[1].intent);
    assert!(a[2].out_of_scope, "{:?}", a[2].intent);
    assert_eq!(a[3].sentiment.as_ref().unwrap().label, "negative");
    assert!(a[0].intent.confidence > a[0].intent.ranking[1].confidence);
    for x in &a {
        let s = x.sentiment.as_ref().unwrap().scores;
        assert!((s.negative + s.neutral + s.positive - 1.0).abs() < 1e-4);
        assert!(!x.intent.reason.is_empty());
    }
}

#[test]
fn gibberish_is_not_answered_with_confidence() {
    let (nlu, _, _) = engine();
    let a = nlu.analyze("qwzx vbnm plkj").unwrap();
    assert_ne!(a.intent.verdict, Verdict::Confident, "{:?}", a.intent);
}

#[test]
fn retraining_after_an_edit_encodes_only_the_new_examples() {
    let (_, service, count) = engine();
    let mut bot = intents::load_valid(&root().join("intents")).unwrap();
    let before = count.load(Ordering::SeqCst);
    assert!(before >= 294, "the first training encoded every example");
    bot.intents[0].examples.push(hearken::intents::Example {
        text: "a brand new example line".into(),
        location: Default::default(),
    });
    let started = std::time::Instant::now();
    Nlu::train(
        service,
        &bot,
        Judgement::default(),
        &TrainOptions::default(),
        |_| {},
    )
    .unwrap();
    assert_eq!(
        count.load(Ordering::SeqCst) - before,
        1,
        "only the new example reaches the encoder"
    );
    eprintln!("retrained in {:?}", started.elapsed());
}
