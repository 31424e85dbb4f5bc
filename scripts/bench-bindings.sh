#!/usr/bin/env bash
# bench-bindings.sh - the bindings' figures for docs/PERFORMANCE.md ("Bindings"):
#   check-in   a check-in written from Kotlin through the binding against the same write
#              looped in Rust over the same store, interleaved in one JVM run (median of
#              rounds, ratio); optimised library (cargo's bench profile) with cordon-ffi's
#              `bench` feature, which exports the Rust loop. Exits non-zero over budget.
#   size       the release library (`cargo build --release -p cordon-ffi`: LTO, opt-level s)
#              stripped, in bytes: as phones get it (--no-default-features: no built-in
#              HTTP transport; budget < 4 MB on x86-64, non-zero exit over it) and, for
#              reference, with the default features (built-in HTTP, for desktop and tests).
#   abis       the phone library per Android ABI and for iOS, ESTIMATED from the x86-64 one
#              (scripts/size-per-abi.py: no NDK here; it measures the C part per
#              instruction set with Debian's cross compilers and scales). Not in the default.
# Usage: scripts/bench-bindings.sh [check-in] [size] [abis]     (default: check-in size)
#        ROUNDS=3 scripts/bench-bindings.sh check-in      (a quick smoke run)
# Both builds write target/release/libcordon.so (the bench profile shares that directory);
# run `size` last, or alone, to leave the shipped library there.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TARGET=$(realpath -m "${CARGO_TARGET_DIR:-$ROOT/target}")
SIZE_BUDGET=$((4 * 1000 * 1000))

step() { printf '\n==> %s\n' "$*"; }

check_in() {
    step "cargo build --profile bench -p cordon-ffi --features bench"
    cargo build --profile bench -p cordon-ffi --features bench
    cargo build -p uniffi-bindgen
    local gen=$ROOT/bindings/kotlin/target/generated-bench
    rm -rf "$gen"
    "$TARGET/debug/uniffi-bindgen" generate --library "$TARGET/release/libcordon.so" --language kotlin \
        --out-dir "$gen" --config bindings/bindgen.toml --no-format
    python3 bindings/kotlin/patch-generated.py "$gen"
    step "Kotlin binding vs Rust, one JVM run"
    rm -rf bindings/kotlin/target/classes bindings/kotlin/target/test-classes
    (cd bindings/kotlin && mvn -B -ntp -Pbench \
        -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
        -Dorg.slf4j.simpleLogger.log.org.apache.maven.plugin.surefire=info \
        -Duniffi.generated.dir="$gen" -Dcordon.lib.dir="$TARGET/release" \
        -Dcordon.bench.rounds="${ROUNDS:-15}" -Dsurefire.failIfNoSpecifiedTests=false \
        -Dtest=CheckInBindingBenchTest test)
    # The normal test run must not see the bench build's classes.
    rm -rf bindings/kotlin/target/classes bindings/kotlin/target/test-classes
}

# The size of library $1 once stripped, in bytes.
stripped_bytes() {
    local stripped
    stripped=$(mktemp)
    strip -o "$stripped" "$1"
    stat -c %s "$stripped"
    rm -f "$stripped"
}

# Builds the release library with the given cargo feature flags and prints its size,
# stripped; returns non-zero if over budget.
measure() {
    local what=$1; shift
    step "cargo build --release -p cordon-ffi $*; strip   ($what)"
    cargo build --release -p cordon-ffi "$@"
    local lib=$TARGET/release/libcordon.so bytes
    bytes=$(stripped_bytes "$lib")
    awk -v what="$what" -v built="$(stat -c %s "$lib")" -v s="$bytes" -v budget="$SIZE_BUDGET" 'BEGIN {
        printf "libcordon.so %s (release, x86-64): %d bytes as built; stripped %d bytes (%.2f MB, %.2f MiB)   budget < 4 MB   %s\n",
               what, built, s, s / 1e6, s / 1048576, (s < budget ? "PASS" : "over") }'
    ((bytes < SIZE_BUDGET))
}

size() {
    # What a phone ships: no built-in HTTP (the app's stack is the transport). The budget.
    measure "for phones (--no-default-features)" --no-default-features
    # For reference: the default build (desktop, tools, tests) with the built-in transport.
    measure "default features (with built-in HTTP)" || true
}

abis() {
    step "cargo build --release -p cordon-ffi --no-default-features; strip; per-ABI estimate"
    cargo build --release -p cordon-ffi --no-default-features
    python3 scripts/size-per-abi.py "$(stripped_bytes "$TARGET/release/libcordon.so")"
}

(($# > 0)) || set -- check-in size
for s in "$@"; do
    case $s in
        check-in) check_in ;;
        size) size ;;
        abis) abis ;;
        *) echo "bench-bindings.sh: unknown step '$s' (check-in, size, abis)" >&2; exit 2 ;;
    esac
done
