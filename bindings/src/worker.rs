//! Runs blocking core work (a sync pass, an enrolment) on a thread of its own and hands
//! the result to an `async` caller, so that uniffi's `suspend`/`async` exports never
//! block the foreign executor that polls them. Needs no async runtime in the library.
//!
//! A call can be cancelled two ways, and both return at once while the work stops at
//! its next safe point in the background (the core's [`Cancellation`]):
//! - the caller stops waiting: Kotlin cancels the coroutine, uniffi drops the future,
//!   and dropping [`Finished`] cancels the work;
//! - the app cancels a [`SyncCancellation`] it passed in (Swift's task cancellation
//!   handler does this), which resolves the future with the value given for it.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use cordon_core::sync::Cancellation;
use cordon_core::CordonError;

type Outcome<T> = Result<T, CordonError>;

/// The app's cancellation of a call, and what the call answers when it is cancelled.
pub(crate) type AppCancellation<'a, T> = Option<(&'a SyncCancellation, fn() -> T)>;

/// The result slot shared by the worker thread, the future that waits for it and the
/// cancellation. The first result delivered wins; later ones are dropped.
struct Slot<T> {
    result: Option<Outcome<T>>,
    delivered: bool,
    waker: Option<Waker>,
}

fn deliver<T>(slot: &Mutex<Slot<T>>, result: Outcome<T>) {
    let waker = {
        let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
        if slot.delivered {
            return;
        }
        slot.delivered = true;
        slot.result = Some(result);
        slot.waker.take()
    };
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// Resolves when the worker has finished, or at once when the call is cancelled.
pub(crate) struct Finished<T> {
    slot: Arc<Mutex<Slot<T>>>,
    cancellation: Cancellation,
}

impl<T> Future for Finished<T> {
    type Output = Outcome<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        match slot.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for Finished<T> {
    /// The caller stopped waiting (a cancelled coroutine): the work stops at its next
    /// safe point. Harmless once it has finished.
    fn drop(&mut self) {
        self.cancellation.cancel();
    }
}

/// A cancellation the app holds and passes to a sync call; what Swift's task
/// cancellation handler cancels. One per call.
#[derive(uniffi::Object, Default)]
pub struct SyncCancellation {
    inner: Cancellation,
    /// What the waiting calls do when cancelled (resolve at once).
    on_cancel: Mutex<Vec<Box<dyn FnOnce() + Send>>>,
}

#[uniffi::export]
impl SyncCancellation {
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Stops the call it was passed to: the call returns at once (a pass with
    /// `PassOutcome.Cancelled`), and the pass stops at its next safe point.
    pub fn cancel(&self) {
        self.inner.cancel();
        let waiting =
            std::mem::take(&mut *self.on_cancel.lock().unwrap_or_else(|p| p.into_inner()));
        for resolve in waiting {
            resolve();
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }
}

impl SyncCancellation {
    pub(crate) fn core(&self) -> &Cancellation {
        &self.inner
    }
}

/// Starts `work` on a new thread named `name`, cancelled by `cancellation` (the work
/// reads it at its safe points). When the app cancels `app`, the call resolves at once
/// with `cancelled()`. A panic in `work` (a bug in the core) and a failure to start the
/// thread both resolve as `CordonError::Sync`, so the caller is always resumed.
pub(crate) fn run<T, F>(
    name: &str,
    cancellation: Cancellation,
    app: AppCancellation<'_, T>,
    work: F,
) -> Finished<T>
where
    T: Send + 'static,
    F: FnOnce() -> Outcome<T> + Send + 'static,
{
    let slot = Arc::new(Mutex::new(Slot {
        result: None,
        delivered: false,
        waker: None,
    }));
    if let Some((app, cancelled)) = app {
        let slot = slot.clone();
        let resolve = move || deliver(&slot, Ok(cancelled()));
        if app.is_cancelled() {
            resolve();
        } else {
            app.on_cancel
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(Box::new(resolve));
        }
    }
    let thread_name = format!("cordon-{name}");
    let failed_to_start = std::thread::Builder::new().name(thread_name).spawn({
        let slot = slot.clone();
        move || {
            let result = catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|panic| {
                Err(CordonError::Sync {
                    detail: format!("internal error: {}", panic_message(&panic)),
                })
            });
            deliver(&slot, result);
        }
    });
    if let Err(e) = failed_to_start {
        deliver(
            &slot,
            Err(CordonError::Sync {
                detail: format!("could not start a worker thread: {e}"),
            }),
        );
    }
    Finished { slot, cancellation }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a worker panicked".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::Wake;

    struct Flag(AtomicBool);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    /// Polls `fut` to completion on this thread, parking between wake-ups.
    fn block_on<T>(fut: Finished<T>) -> Result<T, CordonError> {
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(flag.clone());
        let mut cx = Context::from_waker(&waker);
        let mut fut = Box::pin(fut);
        loop {
            if let Poll::Ready(r) = fut.as_mut().poll(&mut cx) {
                return r;
            }
            while !flag.0.swap(false, Ordering::SeqCst) {
                std::thread::yield_now();
            }
        }
    }

    #[test]
    fn result_of_the_worker_reaches_the_waiting_future() {
        let r = block_on(run("test", Cancellation::new(), None, || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            Ok(42)
        }));
        assert_eq!(r, Ok(42));
    }

    #[test]
    fn panic_on_the_worker_resolves_as_a_sync_error_instead_of_hanging() {
        let r: Result<(), _> = block_on(run("test", Cancellation::new(), None, || panic!("boom")));
        assert!(matches!(r, Err(CordonError::Sync { detail }) if detail.contains("boom")));
    }

    /// Work that runs until its cancellation is cancelled, then reports it saw it.
    fn until_cancelled(c: Cancellation, saw: Arc<AtomicBool>) -> impl FnOnce() -> Outcome<i32> {
        move || {
            while !c.is_cancelled() {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            saw.store(true, Ordering::SeqCst);
            Ok(1)
        }
    }

    #[test]
    fn an_app_cancellation_resolves_the_call_at_once_and_stops_the_work() {
        let app = SyncCancellation::new();
        let saw = Arc::new(AtomicBool::new(false));
        let c = app.inner.clone();
        let fut = run(
            "test",
            c.clone(),
            Some((&app, || -1)),
            until_cancelled(c, saw.clone()),
        );
        app.cancel();
        assert_eq!(block_on(fut), Ok(-1));
        let start = std::time::Instant::now();
        while !saw.load(Ordering::SeqCst) && start.elapsed().as_secs() < 5 {
            std::thread::yield_now();
        }
        assert!(
            saw.load(Ordering::SeqCst),
            "the work never saw the cancellation"
        );
    }

    #[test]
    fn dropping_the_waiting_future_cancels_the_work() {
        let c = Cancellation::new();
        let saw = Arc::new(AtomicBool::new(false));
        drop(run(
            "test",
            c.clone(),
            None,
            until_cancelled(c.clone(), saw.clone()),
        ));
        assert!(c.is_cancelled());
        let start = std::time::Instant::now();
        while !saw.load(Ordering::SeqCst) && start.elapsed().as_secs() < 5 {
            std::thread::yield_now();
        }
        assert!(saw.load(Ordering::SeqCst));
    }
}
