//! Group commit for pushes: concurrent pushes share one transaction and one durable
//! commit, alarms first.
//!
//! Every push used to be its own `BEGIN IMMEDIATE ... COMMIT` with `synchronous=FULL`: one
//! fsync and one hand-over of the connection per push, however small. Now a push joins a
//! queue and its request waits for the answer as a future, holding no thread. One runner
//! at a time (a blocking thread, started by the push that finds none) takes the
//! connection's turn, runs a group of queued pushes in one transaction, each push inside
//! a savepoint of its own, commits once, answers every push of the group, and goes on
//! with the next group until the queue is empty. What a receipt promises does not change:
//! a push is answered only after the commit that holds it is durable, and a push that
//! fails is rolled back to its savepoint without touching the others of its group.
//!
//! Alarms first: an alarm-only push does not wait for the runner. It asks at once for the
//! alarm's turn on the connection (`Server::turn`: before any ordinary work waiting) and
//! commits a group of the alarms queued by then, alarms only (small, quick). An ordinary
//! group (at most [`MAX_GROUP_OPERATIONS`]) checks for a waiting alarm before each push:
//! if one waits, the group commits what it has run and gives the alarm the turn. A push
//! in progress gives way too, between two of its operations ([`GiveWay`]): its savepoint
//! is rolled back, the group commits what came before it, the alarm goes, and the push
//! runs again, whole, at the front of the queue (once: a push that has given way once
//! runs to its end, so a stream of alarms cannot starve it). An alarm so waits for one
//! operation in progress and the commit of the pushes done before it, never for a whole
//! push of thousands of operations, nor a whole group. A push still commits whole or not
//! at all: what it wrote before giving way is rolled back, not kept.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

use crate::store::Tx;

use crate::error::{Error, Result};

/// What a push does inside its group's transaction: its answer, or that it gave way to an
/// alarm (then it may run again, so it is `FnMut`).
pub(crate) type Job<T> = Box<dyn FnMut(&mut Tx<'_>, &GiveWay<'_>) -> Result<Ran<T>> + Send>;

/// How a push's job ended.
pub(crate) enum Ran<T> {
    /// It ran to its end: its answer (kept if `Ok`, rolled back otherwise).
    Done(T),
    /// It stopped between two operations because [`GiveWay::now`] said so: what it wrote
    /// is rolled back, and it runs again after the alarm.
    GaveWay,
}

/// What a running push asks between its operations: whether to stop and give way.
pub(crate) struct GiveWay<'a> {
    /// Whether an alarm waiting would make this push give way (not for alarms' own
    /// groups, not for a push that has given way once).
    allowed: bool,
    alarm_waiting: &'a dyn Fn() -> bool,
}

impl GiveWay<'_> {
    /// True if the push should stop now: an alarm waits for the connection and this push
    /// may give way to it.
    pub(crate) fn now(&self) -> bool {
        self.allowed && (self.alarm_waiting)()
    }
}

/// Runs a group: takes the connection's turn (the alarm's if the flag says so), opens one
/// transaction, hands it to the closure, and commits (`Server::write_push`).
pub(crate) type RunGroup<'a> = &'a dyn Fn(bool, &mut dyn FnMut(&mut Tx<'_>)) -> Result<()>;

/// The most operations one ordinary group takes (a push of more goes alone). It bounds
/// how long an alarm arriving behind a group waits for it.
pub(crate) const MAX_GROUP_OPERATIONS: usize = 64;

/// A push waiting for its group: its job until a group runs it, and where its answer goes.
/// The push's request waits for the answer as a future, on no thread of its own.
struct Slot<T> {
    job: Mutex<Option<Job<T>>>,
    answer: Mutex<Option<oneshot::Sender<Result<T>>>>,
    operations: usize,
    /// Set once the push has given way to an alarm: it does not give way again.
    gave_way: AtomicBool,
}

impl<T> Slot<T> {
    fn take_job(&self) -> Option<Job<T>> {
        lock(&self.job).take()
    }

    /// Puts the job of a push that gave way back, for its next run.
    fn requeue(&self, job: Job<T>) {
        *lock(&self.job) = Some(job);
        self.gave_way.store(true, Ordering::Relaxed);
    }

    fn may_give_way(&self) -> bool {
        !self.gave_way.load(Ordering::Relaxed)
    }

    fn finish(&self, answer: Result<T>) {
        if let Some(to) = lock(&self.answer).take() {
            // The request may have gone (its client hung up): its work stays committed,
            // as it would have if the answer had been lost on the way.
            let _ = to.send(answer);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

struct Queues<T> {
    alarms: VecDeque<Arc<Slot<T>>>,
    ordinary: VecDeque<Arc<Slot<T>>>,
    /// Whether a runner drains the ordinary queue (see [`GroupCommit::submit`]).
    running: bool,
    /// Groups committed so far (tests and figures read it).
    groups: u64,
}

/// The queue of pushes waiting for a group.
pub(crate) struct GroupCommit<T> {
    queues: Mutex<Queues<T>>,
}

impl<T> Default for GroupCommit<T> {
    fn default() -> Self {
        GroupCommit {
            queues: Mutex::new(Queues {
                alarms: VecDeque::new(),
                ordinary: VecDeque::new(),
                running: false,
                groups: 0,
            }),
        }
    }
}

/// What [`GroupCommit::submit`] asks of its caller.
pub(crate) struct Submitted<T> {
    /// The push's answer, once the group that ran it has committed (or failed).
    pub answer: oneshot::Receiver<Result<T>>,
    /// No runner drains the ordinary queue: the caller starts one
    /// ([`GroupCommit::drain`] on a blocking thread). Never set for an alarm.
    pub start_runner: bool,
}

impl<T: Send + 'static> GroupCommit<T> {
    fn queues(&self) -> MutexGuard<'_, Queues<T>> {
        lock(&self.queues)
    }

    /// How many groups have committed.
    pub(crate) fn groups(&self) -> u64 {
        self.queues().groups
    }

    /// How many alarm pushes and other pushes wait in the queues.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> (usize, usize) {
        let queues = self.queues();
        (queues.alarms.len(), queues.ordinary.len())
    }

    /// Queues `job` (an alarm-only push if `alarm`; `operations` is its size).
    ///
    /// Ordinary pushes are run by one runner at a time, a blocking thread that runs
    /// groups from the front of the queue until it is empty; the caller starts it when
    /// told (`start_runner`). An alarm push never waits for the runner: its caller runs
    /// [`GroupCommit::run_alarms`] at once, which asks for the alarm's turn on the
    /// connection.
    pub(crate) fn submit(&self, alarm: bool, operations: usize, job: Job<T>) -> Submitted<T> {
        let (to, answer) = oneshot::channel();
        let slot = Arc::new(Slot {
            job: Mutex::new(Some(job)),
            answer: Mutex::new(Some(to)),
            operations,
            gave_way: AtomicBool::new(false),
        });
        let mut queues = self.queues();
        let start_runner = if alarm {
            queues.alarms.push_back(slot);
            false
        } else {
            queues.ordinary.push_back(slot);
            !std::mem::replace(&mut queues.running, true)
        };
        Submitted {
            answer,
            start_runner,
        }
    }

    /// The runner: runs ordinary groups until the queue is empty, then stops (the next
    /// push starts another). `run` runs a group: it takes the connection's turn, opens
    /// one transaction, calls the closure it is given with it, and commits.
    pub(crate) fn drain(&self, run: RunGroup<'_>) {
        loop {
            self.run_group(false, run);
            let mut queues = self.queues();
            if queues.ordinary.is_empty() {
                queues.running = false;
                return;
            }
        }
    }

    /// Commits, in the alarm's turn on the connection, every alarm push queued by the
    /// time the turn comes (the caller's own, unless an alarm group ahead of it took it).
    pub(crate) fn run_alarms(&self, run: RunGroup<'_>) {
        self.run_group(true, run);
    }

    /// Runs one group (the queued alarms, or ordinary pushes from the front) and answers
    /// its pushes. The group is taken off the queue once the connection's turn is held,
    /// so it holds every push queued while the runner waited for it.
    fn run_group(&self, alarm: bool, run: RunGroup<'_>) {
        let mut slots: Vec<Arc<Slot<T>>> = Vec::new();
        let mut answers: Vec<Option<Result<T>>> = Vec::new();
        let mut drained = false;
        let mut taken_alarms = alarm;
        let mut body = |tx: &mut Tx<'_>| {
            drained = true;
            // Alarms queued by the time the turn came go first, whoever holds it: the
            // runner's turn carries them rather than hand the turn to their own thread.
            let alarms = alarm || self.alarm_waiting();
            taken_alarms = alarms;
            slots = self.take_group(alarms);
            let alarm_waiting = || self.alarm_waiting();
            for i in 0..slots.len() {
                // An alarm came while this group runs: the group stops here and commits,
                // so the alarm waits for one push, not a whole group; the pushes not yet
                // run go back to the front of the queue.
                if !alarms && i > 0 && self.alarm_waiting() {
                    self.put_back(slots.split_off(i));
                    break;
                }
                let Some(mut job) = slots[i].take_job() else {
                    answers.push(None);
                    continue;
                };
                let give_way = GiveWay {
                    allowed: !alarms && slots[i].may_give_way(),
                    alarm_waiting: &alarm_waiting,
                };
                match run_in_savepoint(tx, &mut job, &give_way) {
                    Some(answer) => answers.push(Some(answer)),
                    // It gave way: it and the pushes after it go back to the front.
                    None => {
                        slots[i].requeue(job);
                        self.put_back(slots.split_off(i));
                        break;
                    }
                }
            }
        };
        let committed = std::panic::catch_unwind(AssertUnwindSafe(|| run(alarm, &mut body)))
            .unwrap_or_else(|_| Err(Error::Storage("a group's commit panicked".into())));
        if !drained {
            // No transaction could be opened: the group fails as a whole (the devices send
            // again), rather than waiting behind a connection that cannot write.
            slots = self.take_group(taken_alarms);
        }
        if committed.is_ok() && !slots.is_empty() {
            self.queues().groups += 1;
        }
        let mut answers = answers.into_iter();
        for slot in &slots {
            slot.finish(match (&committed, answers.next().flatten()) {
                (Ok(()), Some(answer)) => answer,
                (Ok(()), None) => Err(Error::Storage("a push's work was lost".into())),
                // Nothing of the group is durable: every push of it fails, and the
                // device sends it again.
                (Err(e), _) => Err(match e {
                    // Another process holds the database: each push is told to come
                    // back (503 busy), as a push alone would be.
                    Error::Busy(why) => Error::Busy(why.clone()),
                    e => Error::Storage(format!("the push's commit failed: {e}")),
                }),
            });
        }
    }

    /// Whether an alarm push waits for its turn.
    fn alarm_waiting(&self) -> bool {
        !self.queues().alarms.is_empty()
    }

    /// Returns pushes taken for a group but not run to the front of the queue, in order.
    fn put_back(&self, slots: Vec<Arc<Slot<T>>>) {
        let mut queues = self.queues();
        for slot in slots.into_iter().rev() {
            queues.ordinary.push_front(slot);
        }
    }

    /// Takes a group off the queues: every alarm push waiting, or ordinary pushes from the
    /// front up to [`MAX_GROUP_OPERATIONS`] (at least one).
    fn take_group(&self, alarm: bool) -> Vec<Arc<Slot<T>>> {
        let mut queues = self.queues();
        if alarm {
            return queues.alarms.drain(..).collect();
        }
        let mut slots: Vec<Arc<Slot<T>>> = Vec::new();
        let mut operations = 0;
        while let Some(front) = queues.ordinary.front() {
            if !slots.is_empty() && operations + front.operations > MAX_GROUP_OPERATIONS {
                break;
            }
            operations += front.operations;
            slots.extend(queues.ordinary.pop_front());
        }
        slots
    }
}

/// Runs one push's job inside a savepoint of the group's transaction: what it wrote stays
/// if it succeeds and is rolled back if it fails (or panics) or gives way, leaving the
/// others' work. `None` if it gave way (and was rolled back).
fn run_in_savepoint<T>(
    tx: &mut Tx<'_>,
    job: &mut Job<T>,
    give_way: &GiveWay<'_>,
) -> Option<Result<T>> {
    if let Err(e) = tx.execute_batch("SAVEPOINT push") {
        return Some(Err(e.into()));
    }
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| job(tx, give_way)))
        .unwrap_or_else(|_| Err(Error::Storage("a push's work panicked".into())));
    let (end, answer) = match result {
        Ok(Ran::Done(value)) => ("RELEASE push", Some(Ok(value))),
        Ok(Ran::GaveWay) => ("ROLLBACK TO push; RELEASE push", None),
        Err(e) => ("ROLLBACK TO push; RELEASE push", Some(Err(e))),
    };
    match tx.execute_batch(end) {
        Ok(()) => answer,
        Err(e) => Some(Err(e.into())),
    }
}
