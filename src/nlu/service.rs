//! The encoder service: model thread(s) fed by a bounded queue, with an embedding cache in
//! front. Inference never runs on the caller's thread (nor on the async runtime): callers
//! enqueue a job and wait for its reply. A full queue is `Overloaded`, never growth.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};

use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};

use super::encoder::Features;
use super::normalize::normalize;
use super::{Encoder, NluError};

/// Texts per job the model thread takes from the queue at once (jobs are merged up to it).
const MERGE_LIMIT: usize = 64;

#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// Jobs waiting for the model; `try_encode` fails with `Overloaded` beyond it.
    pub queue_capacity: usize,
    /// Embeddings kept in memory, keyed by a hash of the text.
    pub cache_capacity: usize,
    /// Rewrite texts with `normalize::normalize` (emoji names, placeholders) before encoding.
    /// Off only to compare raw vectors with another implementation.
    pub normalize: bool,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        Self {
            queue_capacity: 64,
            cache_capacity: 100_000,
            normalize: true,
        }
    }
}

type Reply = Sender<Result<Vec<Features>, NluError>>;

struct Job {
    texts: Vec<String>,
    reply: Reply,
    span: tracing::Span,
}

/// A cloneable handle to the model thread(s).
#[derive(Clone)]
pub struct EncoderService {
    jobs: Sender<Job>,
    cache: Arc<Mutex<Cache>>,
    dim: usize,
    judgement_dim: usize,
    name: Arc<str>,
    normalize: bool,
}

impl EncoderService {
    /// Starts one model thread per encoder (usually one, using all cores inside ONNX Runtime).
    pub fn start(encoders: Vec<Box<dyn Encoder>>, opts: &ServiceOptions) -> Result<Self, NluError> {
        let first = encoders
            .first()
            .ok_or_else(|| NluError::Inference("no encoder to start".into()))?;
        let (dim, judgement_dim, name) = (
            first.dim(),
            first.judgement_dim(),
            Arc::<str>::from(first.name()),
        );
        let (jobs, rx) = bounded::<Job>(opts.queue_capacity.max(1));
        // The threads are detached: each ends when the last handle (and so the sender) drops.
        for (i, enc) in encoders.into_iter().enumerate() {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("hearken-encoder-{i}"))
                .spawn(move || model_loop(enc, rx))
                .map_err(|e| NluError::Inference(format!("cannot start the model thread: {e}")))?;
        }
        Ok(Self {
            jobs,
            cache: Arc::new(Mutex::new(Cache::new(opts.cache_capacity))),
            dim,
            judgement_dim,
            name,
            normalize: opts.normalize,
        })
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The width of the judgement features the sentiment and complaint heads read.
    pub fn judgement_dim(&self) -> usize {
        self.judgement_dim
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Encodes, waiting for room in the queue (CLI, training, evaluation).
    pub fn encode(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, NluError> {
        self.encode_inner(texts, true)
    }

    /// Encodes, failing with `Overloaded` when the queue is full (request handlers).
    pub fn try_encode(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, NluError> {
        self.encode_inner(texts, false)
    }

    /// Encodes many texts in chunks, calling `progress(done)` after each chunk.
    pub fn encode_all(
        &self,
        texts: &[String],
        mut progress: impl FnMut(usize),
    ) -> Result<Vec<Vec<f32>>, NluError> {
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(256) {
            out.extend(self.encode(chunk)?);
            progress(out.len());
        }
        Ok(out)
    }

    /// Sentence vectors and judgement features, from the model every time (messages being
    /// analysed are rarely seen twice; the sentence vectors are cached for training).
    pub fn encode_features(&self, texts: &[String]) -> Result<Vec<Features>, NluError> {
        let texts = self.normalized(texts);
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let features = self.run(texts.to_vec(), true)?;
        let mut cache = self.cache.lock().map_err(|_| NluError::EncoderStopped)?;
        for (t, f) in texts.iter().zip(&features) {
            cache.put(text_key(t), f.sentence.clone());
        }
        Ok(features)
    }

    fn normalized<'a>(&self, texts: &'a [String]) -> Cow<'a, [String]> {
        if self.normalize {
            Cow::Owned(texts.iter().map(|t| normalize(t).into_owned()).collect())
        } else {
            Cow::Borrowed(texts)
        }
    }

    /// One job through the queue: waits for room, or fails with `Overloaded` when `wait` is off.
    fn run(&self, texts: Vec<String>, wait: bool) -> Result<Vec<Features>, NluError> {
        let (reply, result) = bounded(1);
        let job = Job {
            texts,
            reply,
            span: tracing::Span::current(),
        };
        if wait {
            self.jobs.send(job).map_err(|_| NluError::EncoderStopped)?;
        } else {
            self.jobs.try_send(job).map_err(|e| match e {
                TrySendError::Full(_) => NluError::Overloaded,
                TrySendError::Disconnected(_) => NluError::EncoderStopped,
            })?;
        }
        result.recv().map_err(|_| NluError::EncoderStopped)?
    }

    fn encode_inner(&self, texts: &[String], wait: bool) -> Result<Vec<Vec<f32>>, NluError> {
        let texts = self.normalized(texts);
        let keys: Vec<u64> = texts.iter().map(|t| text_key(t)).collect();
        let mut out: Vec<Option<Vec<f32>>> = {
            let cache = self.cache.lock().map_err(|_| NluError::EncoderStopped)?;
            keys.iter().map(|k| cache.get(*k)).collect()
        };
        let missing: Vec<usize> = (0..texts.len()).filter(|&i| out[i].is_none()).collect();
        if !missing.is_empty() {
            let features = self.run(missing.iter().map(|&i| texts[i].clone()).collect(), wait)?;
            let mut cache = self.cache.lock().map_err(|_| NluError::EncoderStopped)?;
            for (&i, f) in missing.iter().zip(features) {
                cache.put(keys[i], f.sentence.clone());
                out[i] = Some(f.sentence);
            }
        }
        Ok(out.into_iter().map(Option::unwrap_or_default).collect())
    }
}

/// The model thread: takes a job, merges whatever else is already waiting (up to
/// `MERGE_LIMIT` texts) into one batch, runs it, and answers each job.
fn model_loop(mut encoder: Box<dyn Encoder>, rx: Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        let mut total = jobs[0].texts.len();
        while total < MERGE_LIMIT {
            match rx.try_recv() {
                Ok(job) => {
                    total += job.texts.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let _enter = jobs[0].span.clone().entered();
        let texts: Vec<&str> = jobs
            .iter()
            .flat_map(|j| j.texts.iter().map(String::as_str))
            .collect();
        let started = std::time::Instant::now();
        match encoder.encode_features(&texts) {
            Ok(mut vectors) => {
                tracing::debug!(
                    texts = texts.len(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "encoded"
                );
                for job in jobs.into_iter().rev() {
                    let rest = vectors.split_off(vectors.len() - job.texts.len());
                    let _ = job.reply.send(Ok(rest));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                for job in jobs {
                    let _ = job.reply.send(Err(NluError::Inference(msg.clone())));
                }
            }
        }
    }
}

fn text_key(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// A bounded map from text hash to vector; the oldest entry goes first when full.
struct Cache {
    map: HashMap<u64, Vec<f32>>,
    order: VecDeque<u64>,
    capacity: usize,
}

impl Cache {
    fn new(capacity: usize) -> Self {
        Self {
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    fn get(&self, key: u64) -> Option<Vec<f32>> {
        self.map.get(&key).cloned()
    }

    fn put(&mut self, key: u64, v: Vec<f32>) {
        if self.capacity == 0 || self.map.contains_key(&key) {
            return;
        }
        if self.map.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
        self.order.push_back(key);
        self.map.insert(key, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fake encoder that counts texts and can be held back, to test queueing and caching
    /// without the model (the real model is tested in tests/encoder.rs).
    struct Counting {
        seen: Arc<AtomicUsize>,
        /// Told when a batch enters the encoder, then held until the gate opens.
        gate: Option<(Sender<()>, Receiver<()>)>,
    }

    impl Encoder for Counting {
        fn encode(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, NluError> {
            if let Some((entered, gate)) = &self.gate {
                let _ = entered.send(());
                let _ = gate.recv();
            }
            self.seen.fetch_add(texts.len(), Ordering::SeqCst);
            Ok(texts.iter().map(|t| vec![t.len() as f32, 1.0]).collect())
        }
        fn dim(&self) -> usize {
            2
        }
        fn name(&self) -> &str {
            "counting"
        }
    }

    #[test]
    fn repeated_texts_are_served_from_the_cache_in_input_order() {
        let seen = Arc::new(AtomicUsize::new(0));
        let svc = EncoderService::start(
            vec![Box::new(Counting {
                seen: seen.clone(),
                gate: None,
            })],
            &ServiceOptions::default(),
        )
        .unwrap();
        let a = svc.encode(&["a".into(), "bbb".into()]).unwrap();
        let b = svc
            .encode(&["bbb".into(), "cc".into(), "a".into()])
            .unwrap();
        assert_eq!(a, vec![vec![1.0, 1.0], vec![3.0, 1.0]]);
        assert_eq!(b, vec![vec![3.0, 1.0], vec![2.0, 1.0], vec![1.0, 1.0]]);
        assert_eq!(
            seen.load(Ordering::SeqCst),
            3,
            "only 'cc' was new the second time"
        );
    }

    #[test]
    fn a_full_queue_answers_overloaded_instead_of_growing() {
        let (open, gate) = bounded(0);
        let (entered_tx, entered) = crossbeam_channel::unbounded();
        let svc = EncoderService::start(
            vec![Box::new(Counting {
                seen: Arc::new(AtomicUsize::new(0)),
                gate: Some((entered_tx, gate)),
            })],
            &ServiceOptions {
                queue_capacity: 1,
                cache_capacity: 0,
                normalize: false,
            },
        )
        .unwrap();
        // One job held inside the model thread (it cannot merge what arrives later)...
        let s1 = svc.clone();
        let held = std::thread::spawn(move || s1.encode(&["one".into()]));
        entered.recv().unwrap();
        // ...one waiting in the queue...
        let s2 = svc.clone();
        let queued = std::thread::spawn(move || s2.encode(&["two".into()]));
        while svc.jobs.is_empty() {
            std::thread::yield_now();
        }
        // ...and the next is refused.
        assert!(matches!(
            svc.try_encode(&["three".into()]),
            Err(NluError::Overloaded)
        ));
        open.send(()).unwrap();
        assert!(held.join().unwrap().is_ok());
        entered.recv().unwrap();
        open.send(()).unwrap();
        assert!(queued.join().unwrap().is_ok());
    }
}
