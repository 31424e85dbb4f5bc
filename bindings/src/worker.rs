//! Runs blocking core work (a sync pass, an enrolment) on a thread of its own and hands
//! the result to an `async` caller, so that uniffi's `suspend`/`async` exports never
//! block the foreign executor that polls them. Needs no async runtime in the library.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use cordon_core::CordonError;

/// The result slot shared by the worker thread and the future that waits for it.
struct Slot<T> {
    result: Option<Result<T, CordonError>>,
    waker: Option<Waker>,
}

/// Resolves when the worker has finished.
pub(crate) struct Finished<T>(Arc<Mutex<Slot<T>>>);

impl<T> Future for Finished<T> {
    type Output = Result<T, CordonError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match slot.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Starts `work` on a new thread named `name`. A panic in `work` (a bug in the core)
/// and a failure to start the thread both resolve as `CordonError::Sync`, so the caller
/// is always resumed.
pub(crate) fn run<T, F>(name: &str, work: F) -> Finished<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, CordonError> + Send + 'static,
{
    let slot = Arc::new(Mutex::new(Slot {
        result: None,
        waker: None,
    }));
    let deliver = {
        let slot = slot.clone();
        move |result: Result<T, CordonError>| {
            let waker = {
                let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
                slot.result = Some(result);
                slot.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    };
    let thread_name = format!("cordon-{name}");
    let failed_to_start = std::thread::Builder::new().name(thread_name).spawn({
        let deliver = deliver.clone();
        move || {
            let result = catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|panic| {
                Err(CordonError::Sync {
                    detail: format!("internal error: {}", panic_message(&panic)),
                })
            });
            deliver(result);
        }
    });
    if let Err(e) = failed_to_start {
        deliver(Err(CordonError::Sync {
            detail: format!("could not start a worker thread: {e}"),
        }));
    }
    Finished(slot)
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
        let r = block_on(run("test", || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            Ok(42)
        }));
        assert_eq!(r, Ok(42));
    }

    #[test]
    fn panic_on_the_worker_resolves_as_a_sync_error_instead_of_hanging() {
        let r: Result<(), _> = block_on(run("test", || panic!("boom")));
        assert!(matches!(r, Err(CordonError::Sync { detail }) if detail.contains("boom")));
    }
}
