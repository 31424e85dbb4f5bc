#!/usr/bin/env python3
"""Post-processes uniffi 0.32's generated Kotlin in two places uniffi has no setting for.

1. String lowering made total (issue 10, point 1). uniffi encodes a Kotlin String to UTF-8
   with `CodingErrorAction.REPORT`, so a string holding a lone UTF-16 surrogate (an emoji
   cut in half by `take(n)`) throws `MalformedInputException` before the call reaches the
   core: not a CordonException, and a panic alarm with such a note is never stored. Each
   lone surrogate is encoded as U+FDD0 instead, a Unicode noncharacter (reserved for
   exactly this kind of internal use, never in text people exchange). The core's text rule
   refuses noncharacters with the rule `MALFORMED_TEXT` and the field's name, and an alarm
   replaces them with U+FFFD and notes the repair, so the app gets a typed error or a
   stored alarm, never a foreign exception.

2. The call status as a reused pointer (issue 10, point 8: the cost of a call). uniffi
   passes every call's `RustCallStatus` as a JNA `Structure`: a new one per native call
   (four per `recordCheckIn`: the argument's buffer, the handle's clone, the call, freeing
   the result), each with native memory registered with JNA's cleaner, and written and
   read back field by field through reflection around the call. Here the external
   functions take a plain `Pointer` to 32 bytes of native memory laid out as
   `RustCallStatus` (code: i8 at 0; error_buf: RustBuffer {capacity, len, data} at 8),
   taken from a per-thread stack: a call borrows the next slot and gives it back when it
   returns, so a callback from Rust into Kotlin that calls Rust again on the same thread
   (a listener, a log sink, a transport) gets a slot of its own and never overwrites the
   status its outer call is still waiting for. Only the code is read after a successful
   call; the error buffer is read only when the code says there is one. Callbacks from
   Rust (foreign traits) keep uniffi's own structure: they are not changed.

Usage: patch-generated.py DIR   (every *.kt below DIR; fails if a generated file lacks a
line it expects, e.g. after a uniffi upgrade, so a patch cannot silently stop applying)
"""
import pathlib
import sys

REPORT = "onMalformedInput(CodingErrorAction.REPORT)"
# EF B7 90 is U+FDD0 in UTF-8.
REPLACE = ("onMalformedInput(CodingErrorAction.REPLACE)\n"
           "            replaceWith(byteArrayOf(0xEF.toByte(), 0xB7.toByte(), 0x90.toByte()))")

CALL_HELPERS = '''private inline fun <U, E: kotlin.Exception> uniffiRustCallWithError(errorHandler: UniffiRustCallStatusErrorHandler<E>, callback: (UniffiRustCallStatus) -> U): U {
    var status = UniffiRustCallStatus()
    val return_value = callback(status)
    uniffiCheckCallStatus(errorHandler, status)
    return return_value
}

// Check UniffiRustCallStatus and throw an error if the call wasn't successful
private fun<E: kotlin.Exception> uniffiCheckCallStatus(errorHandler: UniffiRustCallStatusErrorHandler<E>, status: UniffiRustCallStatus) {
    if (status.isSuccess()) {
        return
    } else if (status.isError()) {'''

POINTER_HELPERS = '''// Patched (bindings/kotlin/patch-generated.py): the status is a slot of this thread's
// stack of native RustCallStatus blocks, not a new JNA Structure per call.
internal class UniffiCallStatusStack {
    private val slots = ArrayList<com.sun.jna.Memory>()
    private var depth = 0

    fun push(): Pointer {
        if (depth == slots.size) slots.add(com.sun.jna.Memory(32))
        val slot = slots[depth++]
        slot.setByte(0, UNIFFI_CALL_SUCCESS)
        return slot
    }

    fun pop() {
        depth--
    }

    companion object {
        // Not ThreadLocal.withInitial (Android has it from API 26 only): this works at any level.
        private val perThread = object : ThreadLocal<UniffiCallStatusStack>() {
            override fun initialValue() = UniffiCallStatusStack()
        }
        fun current(): UniffiCallStatusStack = perThread.get()
    }
}

private inline fun <U, E: kotlin.Exception> uniffiRustCallWithError(errorHandler: UniffiRustCallStatusErrorHandler<E>, callback: (Pointer) -> U): U {
    val stack = UniffiCallStatusStack.current()
    val slot = stack.push()
    try {
        val return_value = callback(slot)
        if (slot.getByte(0) != UNIFFI_CALL_SUCCESS) {
            uniffiCheckCallStatus(errorHandler, uniffiReadCallStatus(slot))
        }
        return return_value
    } finally {
        stack.pop()
    }
}

// The status Rust wrote into a slot, as uniffi's structure (only after a failed call).
private fun uniffiReadCallStatus(slot: Pointer): UniffiRustCallStatus {
    val status = UniffiRustCallStatus()
    status.code = slot.getByte(0)
    status.error_buf = RustBuffer.ByValue()
    status.error_buf.capacity = slot.getLong(8)
    status.error_buf.len = slot.getLong(16)
    status.error_buf.data = slot.getPointer(24)
    return status
}

// Check UniffiRustCallStatus and throw an error if the call wasn't successful
private fun<E: kotlin.Exception> uniffiCheckCallStatus(errorHandler: UniffiRustCallStatusErrorHandler<E>, status: UniffiRustCallStatus) {
    if (status.isSuccess()) {
        return
    } else if (status.isError()) {'''

# (expected text, replacement, how many times it must occur: None for one or more)
CALL_STATUS = [
    (CALL_HELPERS, POINTER_HELPERS, 1),
    ("private inline fun <U> uniffiRustCall(callback: (UniffiRustCallStatus) -> U): U {",
     "private inline fun <U> uniffiRustCall(callback: (Pointer) -> U): U {", 1),
    ("uniffi_out_err: UniffiRustCallStatus, ", "uniffi_out_err: Pointer, ", None),
]
ASYNC = ("completeFunc: (Long, UniffiRustCallStatus) -> F,", "completeFunc: (Long, Pointer) -> F,")


def patch(path: pathlib.Path, text: str) -> str:
    def replace(old: str, new: str, times) -> None:
        nonlocal text
        n = text.count(old)
        if (times is None and n == 0) or (times is not None and n != times):
            raise ValueError(f"{path}: expected {times or 'some'} of {old.splitlines()[0]!r}, found {n}")
        text = text.replace(old, new)

    replace(REPORT, REPLACE, 1)
    for old, new, times in CALL_STATUS:
        replace(old, new, times)
    if "suspend fun<T, F, E: kotlin.Exception> uniffiRustCallAsync(" in text:
        replace(*ASYNC, 1)
    if text.count("= UniffiRustCallStatus()") != 1:  # the one in uniffiReadCallStatus
        # uniffi made a status of its own somewhere this script does not know about.
        raise ValueError(f"{path}: a UniffiRustCallStatus() outside the patched helpers")
    return text


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    patched = 0
    for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.kt")):
        text = path.read_text(encoding="utf-8")
        if "object FfiConverterString" not in text:
            continue
        try:
            path.write_text(patch(path, text), encoding="utf-8")
        except ValueError as e:
            print(f"patch-generated.py: {e}", file=sys.stderr)
            return 1
        patched += 1
    if patched == 0:
        print("patch-generated.py: no generated FfiConverterString found", file=sys.stderr)
        return 1
    print(f"  string lowering made total and call status reused in {patched} generated Kotlin file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
