//! Rounds of sets finished by several threads: the caller's, which reads the input and hands
//! out the outcomes, and the workers the process keeps for every translation.
//!
//! What is left of a set once the reader has checked its envelope (the checks inside it, its
//! typed reading and its mapping) is most of the work and needs nothing from the reader, so
//! a round of sets goes to the workers as soon as it is read. The caller reads the next round
//! meanwhile, then takes the sets of the oldest round the workers have not taken yet, and once
//! that round is finished hands its outcomes out while the workers go on with the next:
//! whatever the caller does with the outcomes overlaps the translation of what follows.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};

use x12::validate::CheckMemo;

use super::{SetStep, Step, finish_set};

/// One round's sets with work left, shared by the threads. Each set is taken by one
/// thread only (its lock only hands it over) and fills in its own outcome, so the outcomes
/// are the same whichever thread finishes a set.
pub(super) struct RoundWork {
    sets: Vec<Mutex<Option<Box<SetStep>>>>,
    next: AtomicUsize,
    /// Sets not finished yet.
    left: Mutex<usize>,
    finished: Condvar,
    /// A panic while finishing a set, raised again on the caller's thread.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    file: Option<Arc<str>>,
    /// The translation was dropped: the sets left are not wanted.
    cancelled: AtomicBool,
}

impl RoundWork {
    /// Finishes sets until none is left to take; returns how many this thread took.
    pub(super) fn run(&self, memo: &mut CheckMemo) -> usize {
        let mut taken = 0;
        loop {
            if self.cancelled.load(Ordering::Relaxed) {
                return taken;
            }
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = self.sets.get(i) else {
                return taken;
            };
            taken += 1;
            let mut set = slot.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(set) = set.as_mut() {
                let file = self.file.as_deref();
                let done =
                    std::panic::catch_unwind(AssertUnwindSafe(|| finish_set(set, memo, file)));
                if let Err(panic) = done {
                    *self.panic.lock().unwrap_or_else(PoisonError::into_inner) = Some(panic);
                }
            }
            drop(set);
            let mut left = self.left.lock().unwrap_or_else(PoisonError::into_inner);
            *left -= 1;
            if *left == 0 {
                self.finished.notify_all();
            }
        }
    }

    /// Leaves the sets not taken yet unfinished: their translation is gone.
    pub(super) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// Waits until every set is finished; raises a panic met while finishing one.
    fn wait(&self) {
        let mut left = self.left.lock().unwrap_or_else(PoisonError::into_inner);
        while *left > 0 {
            left = self
                .finished
                .wait(left)
                .unwrap_or_else(PoisonError::into_inner);
        }
        drop(left);
        if let Some(panic) = self
            .panic
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            std::panic::resume_unwind(panic);
        }
    }
}

/// A round read: its steps in input order, the sets with work left standing in
/// [`RoundWork`] until finished.
pub(super) struct Round {
    steps: Vec<Step>,
    pub(super) work: Arc<RoundWork>,
    /// Segments of the sets with work left.
    pub(super) segments: usize,
}

impl Round {
    pub(super) fn new(mut steps: Vec<Step>, file: Option<Arc<str>>) -> Round {
        let mut sets = Vec::new();
        let mut segments = 0;
        for step in &mut steps {
            if let Step::Set(set) = step
                && set.has_work()
            {
                segments += set.raw.len();
                let Step::Set(set) = std::mem::replace(step, Step::Shared(sets.len())) else {
                    unreachable!("matched above")
                };
                sets.push(Mutex::new(Some(set)));
            }
        }
        let left = sets.len();
        Round {
            steps,
            work: Arc::new(RoundWork {
                sets,
                next: AtomicUsize::new(0),
                left: Mutex::new(left),
                finished: Condvar::new(),
                panic: Mutex::new(None),
                file,
                cancelled: AtomicBool::new(false),
            }),
            segments,
        }
    }

    /// The round's steps once every set is finished (helping with those the workers have not
    /// taken), in input order.
    pub(super) fn finish(self, memo: &mut CheckMemo) -> Vec<Step> {
        self.work.run(memo);
        self.work.wait();
        let work = self.work;
        self.steps
            .into_iter()
            .map(|step| match step {
                Step::Shared(i) => Step::Set(
                    work.sets[i]
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .take()
                        .expect("a finished set is taken back once"),
                ),
                other => other,
            })
            .collect()
    }
}

/// The worker threads, shared by the translations of the process and kept while it runs: one
/// fewer than the cores this process may use (at least one), so the calling thread has a core
/// to read on. Each worker finishes the rounds sent to it in the order they come; every round
/// goes to every worker, and its sets are shared out one at a time, so the workers of a
/// round all stay busy until it is done. Threads per translation cost some 4 % more CPU than
/// threads kept: when a thread ends, the memory its allocator took is given back to the
/// system, and the next thread takes it again, zeroed by the kernel. Each caller helps with
/// its own rounds, so translations running at once never wait for one another's sets.
pub(super) struct Workers {
    inboxes: Vec<Sender<Arc<RoundWork>>>,
    /// Sets each worker has taken, for the tests to see that every worker had a share (one
    /// relaxed add per round).
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the tests only"))]
    taken: Vec<Arc<AtomicUsize>>,
}

/// Most workers started, whatever the machine: past this the reading thread is the limit
/// (reading is about a fifth of translating an 867).
const MAX_WORKERS: usize = 15;

impl Workers {
    /// The process's workers, started on first use; `None` when no thread can be started
    /// (the caller then does it all).
    pub(super) fn shared() -> Option<&'static Workers> {
        static WORKERS: OnceLock<Option<Workers>> = OnceLock::new();
        WORKERS
            .get_or_init(|| {
                // The cores this process may use (its affinity and cgroup quota included).
                let cores = std::thread::available_parallelism().map_or(1, usize::from);
                Workers::start(cores.saturating_sub(1).clamp(1, MAX_WORKERS))
            })
            .as_ref()
    }

    /// `n` workers (fewer when threads run out; `None` when none starts).
    pub(super) fn start(n: usize) -> Option<Workers> {
        let (mut inboxes, mut taken) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            let (rounds, inbox) = channel::<Arc<RoundWork>>();
            let count = Arc::new(AtomicUsize::new(0));
            let counted = count.clone();
            let started = std::thread::Builder::new()
                .name("translate".into())
                .spawn(move || {
                    let mut memo = CheckMemo::default();
                    while let Ok(work) = inbox.recv() {
                        counted.fetch_add(work.run(&mut memo), Ordering::Relaxed);
                    }
                });
            if started.is_err() {
                break;
            }
            inboxes.push(rounds);
            taken.push(count);
        }
        (!inboxes.is_empty()).then_some(Workers { inboxes, taken })
    }

    /// Sets each worker has taken so far.
    #[cfg(test)]
    pub(super) fn taken(&self) -> Vec<usize> {
        self.taken
            .iter()
            .map(|t| t.load(Ordering::Relaxed))
            .collect()
    }

    /// How many workers there are.
    pub(super) fn len(&self) -> usize {
        self.inboxes.len()
    }

    /// Hands `work` to every worker (a worker that is gone takes no set of it: the others and
    /// the caller finish the round).
    pub(super) fn send(&self, work: &Arc<RoundWork>) {
        for inbox in &self.inboxes {
            let _ = inbox.send(work.clone());
        }
    }
}
