//! Group commit for pushes: concurrent pushes share one transaction and one durable
//! commit, alarms first.
//!
//! Every push used to be its own `BEGIN IMMEDIATE ... COMMIT` with `synchronous=FULL`: one
//! fsync and one hand-over of the connection per push, however small. Now a push joins a
//! queue and waits. One waiting push at a time *leads*: it takes the connection's turn,
//! runs a group of queued pushes (its own among them) in one transaction, each push
//! inside a savepoint of its own, commits once, answers every push of the group, and
//! hands the lead to the next push still queued. What a receipt promises does not change:
//! a push is answered only after the commit that holds it is durable, and a push that
//! fails is rolled back to its savepoint without touching the others of its group.
//!
//! Alarms first: an alarm-only push does not wait for a lead. It asks at once for the
//! alarm's turn on the connection (`Server::turn`: before any ordinary work waiting) and
//! commits a group of the alarms queued by then, alarms only (small, quick). An ordinary
//! group (at most [`MAX_GROUP_OPERATIONS`]) checks for a waiting alarm before each push:
//! if one waits, the group commits what it has run and gives the alarm the turn, so an
//! alarm waits for one push in progress and a commit, never for a whole group.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::store::Tx;

use crate::error::{Error, Result};

/// What a push does inside its group's transaction; what it returns is its answer.
pub(crate) type Job<T> = Box<dyn FnOnce(&mut Tx<'_>) -> Result<T> + Send>;

/// Runs a group: takes the connection's turn (the alarm's if the flag says so), opens one
/// transaction, hands it to the closure, and commits (`Server::write_push`).
pub(crate) type RunGroup<'a> = &'a dyn Fn(bool, &mut dyn FnMut(&mut Tx<'_>)) -> Result<()>;

/// The most operations one ordinary group takes (a push of more goes alone). It bounds
/// how long an alarm arriving behind a group waits for it.
pub(crate) const MAX_GROUP_OPERATIONS: usize = 64;

/// Where a queued push stands.
enum Stage<T> {
    /// In the queue, its job not yet taken.
    Queued(Option<Job<T>>),
    /// Handed the lead: its thread takes the turn and runs the next group.
    Lead(Option<Job<T>>),
    /// Its group has committed (or failed): the answer.
    Done(Result<T>),
    /// The answer was taken.
    Answered,
}

struct Slot<T> {
    stage: Mutex<Stage<T>>,
    woken: Condvar,
    operations: usize,
}

impl<T> Slot<T> {
    fn stage(&self) -> MutexGuard<'_, Stage<T>> {
        self.stage.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the job of a queued (or lead) slot.
    fn take_job(&self) -> Option<Job<T>> {
        match &mut *self.stage() {
            Stage::Queued(job) | Stage::Lead(job) => job.take(),
            Stage::Done(_) | Stage::Answered => None,
        }
    }

    /// Hands this queued push the lead (under the queues' lock).
    fn take_lead(&self) {
        let mut stage = self.stage();
        if let Stage::Queued(job) = &mut *stage {
            *stage = Stage::Lead(job.take());
        }
    }

    fn finish(&self, answer: Result<T>) {
        *self.stage() = Stage::Done(answer);
        self.woken.notify_one();
    }
}

struct Queues<T> {
    alarms: VecDeque<Arc<Slot<T>>>,
    ordinary: VecDeque<Arc<Slot<T>>>,
    /// Whether some push holds the lead (runs a group, or was handed it and wakes).
    led: bool,
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
                led: false,
                groups: 0,
            }),
        }
    }
}

impl<T: Send + 'static> GroupCommit<T> {
    fn queues(&self) -> MutexGuard<'_, Queues<T>> {
        self.queues.lock().unwrap_or_else(|p| p.into_inner())
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

    /// Queues `job` (an alarm-only push if `alarm`; `operations` is its size) and waits
    /// for the commit of the group that ran it. `run` runs a group: it takes the
    /// connection's turn (the alarm's turn for an alarm group), opens one transaction,
    /// calls the closure it is given with it, and commits.
    ///
    /// An alarm push never waits for a lead: it asks for the alarm's turn at once and,
    /// when it comes, commits every alarm push queued by then (its own, unless an alarm
    /// ahead of it took it along). Ordinary pushes take turns leading.
    pub(crate) fn submit(
        &self,
        alarm: bool,
        operations: usize,
        job: Job<T>,
        run: RunGroup<'_>,
    ) -> Result<T> {
        let slot = Arc::new(Slot {
            stage: Mutex::new(Stage::Queued(Some(job))),
            woken: Condvar::new(),
            operations,
        });
        {
            let mut queues = self.queues();
            if alarm {
                queues.alarms.push_back(slot.clone());
            } else {
                queues.ordinary.push_back(slot.clone());
                // Nobody leads the ordinary pushes: this one does, at once.
                if !std::mem::replace(&mut queues.led, true) {
                    slot.take_lead();
                }
            }
        }
        if alarm {
            self.run_group(true, run);
        }
        loop {
            // Wait to be answered, or to be handed the lead.
            let mut stage = slot.stage();
            while matches!(*stage, Stage::Queued(_)) {
                stage = slot.woken.wait(stage).unwrap_or_else(|p| p.into_inner());
            }
            if !matches!(*stage, Stage::Lead(_)) {
                return answer(&mut stage);
            }
            drop(stage);
            // The group this lead runs may not hold this push (the group was full): then
            // the lead comes back to it, or it is answered by a later lead.
            self.run_group(false, run);
        }
    }

    /// Runs one group (the queued alarms, or ordinary pushes from the front) and answers
    /// its pushes; an ordinary group's lead then hands the lead on, or gives it up if
    /// nothing is queued. The group is taken off the queue once the connection's turn is
    /// held, so it holds every push queued while the lead waited for it.
    fn run_group(&self, alarm: bool, run: RunGroup<'_>) {
        let mut slots: Vec<Arc<Slot<T>>> = Vec::new();
        let mut answers: Vec<Option<Result<T>>> = Vec::new();
        let mut drained = false;
        let mut body = |tx: &mut Tx<'_>| {
            drained = true;
            slots = self.take_group(alarm);
            for i in 0..slots.len() {
                // An alarm came while this group runs: the group stops here and commits,
                // so the alarm waits for one push, not a whole group; the pushes not yet
                // run go back to the front of the queue.
                if !alarm && i > 0 && self.alarm_waiting() {
                    self.put_back(slots.split_off(i));
                    break;
                }
                answers.push(slots[i].take_job().map(|job| run_in_savepoint(tx, job)));
            }
        };
        let committed = std::panic::catch_unwind(AssertUnwindSafe(|| run(alarm, &mut body)))
            .unwrap_or_else(|_| Err(Error::Storage("a group's commit panicked".into())));
        if !drained {
            // No transaction could be opened: the group fails as a whole (the devices send
            // again), rather than waiting behind a connection that cannot write.
            slots = self.take_group(alarm);
        }
        let next = {
            let mut queues = self.queues();
            if committed.is_ok() && !slots.is_empty() {
                queues.groups += 1;
            }
            if alarm {
                None
            } else {
                // The next lead, set under the queues' lock so no other can be handed
                // meanwhile.
                let next = queues.ordinary.front().cloned();
                queues.led = next.is_some();
                if let Some(next) = &next {
                    next.take_lead();
                }
                next
            }
        };
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
        if let Some(next) = next {
            next.woken.notify_one();
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

fn answer<T>(stage: &mut MutexGuard<'_, Stage<T>>) -> Result<T> {
    match std::mem::replace(&mut **stage, Stage::Answered) {
        Stage::Done(answer) => answer,
        _ => Err(Error::Storage("a push was left without an answer".into())),
    }
}

/// Runs one push's job inside a savepoint of the group's transaction: what it wrote stays
/// if it succeeds and is rolled back if it fails (or panics), leaving the others' work.
fn run_in_savepoint<T>(tx: &mut Tx<'_>, job: Job<T>) -> Result<T> {
    tx.execute_batch("SAVEPOINT push")?;
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| job(tx)))
        .unwrap_or_else(|_| Err(Error::Storage("a push's work panicked".into())));
    let end = if result.is_ok() {
        "RELEASE push"
    } else {
        "ROLLBACK TO push; RELEASE push"
    };
    tx.execute_batch(end)?;
    result
}
