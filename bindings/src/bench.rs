//! Feature `bench` only: the Rust side of the Kotlin benchmark (docs/PERFORMANCE.md).
//! The same write the binding makes, looped in Rust over the same store, so that one run
//! interleaves both sides and the ratio is the cost of crossing the FFI.

use std::time::Instant;

use cordon_core::{CordonError, NewCheckIn};

use crate::store::CordonStore;

/// Records `count` copies of `check_in` through the core directly and returns the
/// elapsed nanoseconds.
#[uniffi::export]
pub fn bench_record_check_ins_in_rust(
    store: &CordonStore,
    check_in: NewCheckIn,
    count: i32,
) -> Result<i64, CordonError> {
    let start = Instant::now();
    for _ in 0..count {
        store.core().record_check_in(check_in.clone())?;
    }
    Ok(i64::try_from(start.elapsed().as_nanos()).unwrap_or(i64::MAX))
}
