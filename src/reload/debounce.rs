//! When to reload: which file-system changes count, and how a burst of them becomes one
//! retrain. Pure (no file system, no clock of its own): the watcher thread feeds it instants.

use std::path::Path;
use std::time::{Duration, Instant};

/// Quiet time after the last change before retraining: an editor's save is several events
/// (write to a temporary file, rename, attribute change) within a few milliseconds, and a
/// `git checkout` touches many files at once; both should be one retrain.
pub const QUIET: Duration = Duration::from_millis(400);
/// A steady stream of changes (a script rewriting files in a loop) still reloads this often.
pub const MAX_WAIT: Duration = Duration::from_secs(3);

/// Coalesces changes into one trigger per burst.
///
/// A change seen while a retrain runs stays pending (the watcher thread only looks again
/// after training), so it causes exactly one more retrain afterwards, from the files as they
/// are then: the latest edit wins.
#[derive(Debug, Clone)]
pub struct Debouncer {
    quiet: Duration,
    max_wait: Duration,
    /// The first and the last change of the pending burst.
    pending: Option<(Instant, Instant)>,
}

impl Default for Debouncer {
    fn default() -> Self {
        Self::new(QUIET, MAX_WAIT)
    }
}

impl Debouncer {
    pub fn new(quiet: Duration, max_wait: Duration) -> Self {
        Self {
            quiet,
            max_wait,
            pending: None,
        }
    }

    /// A change that matters happened at `at`.
    pub fn changed(&mut self, at: Instant) {
        self.pending = Some(match self.pending {
            Some((first, last)) => (first.min(at), last.max(at)),
            None => (at, at),
        });
    }

    /// When the pending burst is due (None: nothing is pending).
    pub fn due_at(&self) -> Option<Instant> {
        self.pending
            .map(|(first, last)| (last + self.quiet).min(first + self.max_wait))
    }

    /// True once per burst, when it is due at `now`; the burst is then forgotten.
    pub fn take_due(&mut self, now: Instant) -> bool {
        match self.due_at() {
            Some(at) if at <= now => {
                self.pending = None;
                true
            }
            _ => false,
        }
    }
}

/// Whether a file-system event can change the bot: something happened to an intent file, and
/// it was not only read (the reload itself opens every file; inotify reports that too).
pub fn counts(event: &notify::Event) -> bool {
    use notify::event::{AccessKind, AccessMode, EventKind, MetadataKind, ModifyKind};
    if event.need_rescan() {
        // The kernel's queue overflowed: changes were lost, so assume one of them mattered.
        return true;
    }
    let changes = match event.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_)
        | EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
        _ => true,
    };
    changes && event.paths.iter().any(|p| is_intent_file(p))
}

/// Whether a change to `path` can change the bot: `*.yml` files (the only ones the loader
/// reads), not editors' swap, backup, lock or temporary files.
pub fn is_intent_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    // Vim's `.orders.yml.swp`, emacs' `.#orders.yml` lock: hidden names are never intent files
    // (the loader skips them too). Backups (`orders.yml~`), emacs' `#orders.yml#` and
    // JetBrains' `orders.yml___jb_tmp___` fail the extension test below.
    !name.starts_with('.') && Path::new(name).extension().is_some_and(|e| e == "yml")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_burst_of_changes_is_one_reload_after_the_quiet_time() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(ms(400), ms(3000));
        assert_eq!(d.due_at(), None, "nothing pending at first");
        d.changed(t0);
        d.changed(t0 + ms(5));
        d.changed(t0 + ms(250));
        assert_eq!(
            d.due_at(),
            Some(t0 + ms(650)),
            "quiet time after the last change"
        );
        assert!(!d.take_due(t0 + ms(649)));
        assert!(d.take_due(t0 + ms(650)));
        assert!(!d.take_due(t0 + ms(5000)), "once per burst");
        assert_eq!(d.due_at(), None);
    }

    #[test]
    fn changes_that_never_stop_still_reload_after_the_longest_wait() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(ms(400), ms(3000));
        let mut fired = Vec::new();
        // A change every 100 ms for 7 seconds: never quiet.
        for step in 0..70 {
            let now = t0 + ms(step * 100);
            d.changed(now);
            if d.take_due(now) {
                fired.push(step * 100);
            }
        }
        assert_eq!(fired, vec![3000, 6100], "at most MAX_WAIT apart");
    }

    #[test]
    fn a_change_during_a_retrain_causes_exactly_one_more() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(ms(400), ms(3000));
        d.changed(t0);
        assert!(d.take_due(t0 + ms(400)), "first retrain starts");
        // While it trains (2 s), two more saves arrive; the thread reads them afterwards.
        d.changed(t0 + ms(900));
        d.changed(t0 + ms(1200));
        let after_training = t0 + ms(2400);
        assert!(
            d.take_due(after_training),
            "the saves are long quiet: retrain at once"
        );
        assert!(!d.take_due(after_training + ms(10_000)), "and only once");
    }

    #[test]
    fn changes_reported_out_of_order_keep_the_burst_bounds() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(ms(400), ms(3000));
        d.changed(t0 + ms(300));
        d.changed(t0);
        assert_eq!(d.due_at(), Some(t0 + ms(700)));
    }

    #[test]
    fn writes_renames_and_deletions_count_but_reading_does_not() {
        use notify::event::{
            AccessKind, AccessMode, CreateKind, DataChange, EventKind, Flag, ModifyKind,
            RemoveKind, RenameMode,
        };
        let file = |kind| notify::Event::new(kind).add_path("intents/orders.yml".into());
        for kind in [
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            EventKind::Create(CreateKind::File),
            EventKind::Remove(RemoveKind::File),
        ] {
            assert!(counts(&file(kind)), "{kind:?}");
        }
        for kind in [
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
        ] {
            assert!(!counts(&file(kind)), "{kind:?}");
        }
        // An editor's atomic save: the temporary file renamed over the intent file.
        let save = notify::Event::new(EventKind::Modify(ModifyKind::Name(RenameMode::Both)))
            .add_path("intents/.orders.yml.tmp".into())
            .add_path("intents/orders.yml".into());
        assert!(counts(&save));
        let swap = notify::Event::new(EventKind::Modify(ModifyKind::Data(DataChange::Any)))
            .add_path("intents/.orders.yml.swp".into());
        assert!(!counts(&swap));
        let overflow = notify::Event::new(EventKind::Other).set_flag(Flag::Rescan);
        assert!(counts(&overflow), "lost events may have mattered");
    }

    #[test]
    fn only_intent_files_count_not_editor_leftovers() {
        for yes in [
            "intents/orders.yml",
            "orders.yml",
            "intents/sub/billing.yml",
        ] {
            assert!(is_intent_file(Path::new(yes)), "{yes}");
        }
        for no in [
            "intents/.orders.yml.swp",
            "intents/.orders.yml.swx",
            "intents/.#orders.yml",
            "intents/#orders.yml#",
            "intents/orders.yml~",
            "intents/orders.yml___jb_tmp___",
            "intents/4913",
            "intents/orders.yaml",
            "intents/notes.md",
            "intents/.goutputstream-8XK2Q1",
            "intents",
        ] {
            assert!(!is_intent_file(Path::new(no)), "{no}");
        }
    }
}
