// Hand-written part of the Cordon module (scripts/bindings.sh copies it beside the
// generated Swift): sync calls that honour Swift task cancellation.
//
// uniffi's generated async calls wait for Rust whatever happens to the calling task, so
// the generated `syncOnce()` is left out (bindings/uniffi.toml) and these take its place:
// cancelling the awaiting task returns at once with `PassOutcome.cancelled`, and the pass
// stops at its next safe point (between requests) with the outbox consistent.

import Foundation

extension CordonSync {
    /// Runs one sync pass (see `syncOnceCancellable(_:)`). Cancelling the calling task
    /// returns at once with `.cancelled`; the pass stops between two requests.
    public func syncOnce() async throws -> PassSummary {
        let cancellation = SyncCancellation()
        return try await withTaskCancellationHandler {
            try await syncOnceCancellable(cancellation)
        } onCancel: {
            cancellation.cancel()
        }
    }

    /// Runs passes until nothing due is left, a pass stops short, or `maxPasses` ran.
    /// Cancelling the calling task returns at once; the running pass stops between two
    /// requests.
    public func syncUntilDrained(_ maxPasses: Int32) async throws -> [PassSummary] {
        let cancellation = SyncCancellation()
        return try await withTaskCancellationHandler {
            try await syncUntilDrainedCancellable(maxPasses, cancellation)
        } onCancel: {
            cancellation.cancel()
        }
    }
}
