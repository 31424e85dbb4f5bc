#!/usr/bin/env bash
# demo-apps.sh - test the logic of the Android and iOS demo apps here, on the JVM and with
# Swift on Linux, against the real binding and the real reference server.
#
# Usage: scripts/demo-apps.sh [STEP...]      (default: all)
#   kotlin   android-demo/core-ui (plain Kotlin/JVM): JUnit 5 through Maven
#   swift    ios-demo/CordonAppCore (plain SwiftPM): XCTest (on Linux in the Swift chroot of
#            scripts/swift-toolchain.sh; on a Mac with the swift on PATH)
#   all      both, in order
# Any failure stops the script with a non-zero exit code. Each step prints its test count.
#
# Inputs: libcordon, the `cordon` server binary and the generated Kotlin and Swift, all made
# by `scripts/bindings.sh build generate`; this script runs that first if any is missing
# (CORDON_DEMO_REGENERATE=1 runs it whatever). The app shells themselves (Gradle + Android
# SDK, Xcode) are never built here: see android-demo/README.md and ios-demo/README.md.
#
# Environment: CARGO_TARGET_DIR is honoured (default: ./target), as in bindings.sh.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TARGET=$(realpath -m "${CARGO_TARGET_DIR:-$ROOT/target}")
LIB_DIR=$TARGET/debug
case $(uname -s) in Darwin) LIB=$LIB_DIR/libcordon.dylib ;; *) LIB=$LIB_DIR/libcordon.so ;; esac
SERVER=$LIB_DIR/cordon
KOTLIN_GEN=$ROOT/bindings/kotlin/target/generated-sources/uniffi
SWIFT_GEN=$ROOT/bindings/swift/generated
CORE_UI=$ROOT/android-demo/core-ui
APP_CORE=$ROOT/ios-demo/CordonAppCore
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT

step() { printf '\n==> %s\n' "$*"; }
die() { echo "demo-apps.sh: $*" >&2; exit 1; }
SUMMARY=()

bindings() {
    if [[ ${CORDON_DEMO_REGENERATE:-0} == 1 || ! -f $LIB || ! -x $SERVER || ! -d $KOTLIN_GEN || ! -d $SWIFT_GEN ]]; then
        step "bindings missing or regeneration asked for: scripts/bindings.sh build generate"
        scripts/bindings.sh build generate
    fi
}

kotlin() {
    step "Kotlin: android-demo/core-ui (JUnit 5 on the JVM, Maven)"
    command -v mvn >/dev/null && command -v javac >/dev/null ||
        die "missing mvn/javac: install Maven and a JDK 17 (scripts/bindings.sh kotlin installs them on Debian)"
    # Classes of deleted sources would still run: compile afresh (not `mvn clean`).
    rm -rf "$CORE_UI/target/classes" "$CORE_UI/target/test-classes"
    local start=$SECONDS log=$LOGS/kotlin.log
    (cd "$CORE_UI" && mvn -B -ntp \
        -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
        -Dorg.slf4j.simpleLogger.log.org.apache.maven.plugin.surefire=info \
        -Dcordon.lib.dir="$LIB_DIR" -Dcordon.server.bin="$SERVER" -Duniffi.generated.dir="$KOTLIN_GEN" \
        test) 2>&1 | tee "$log"
    # Surefire's last summary: "Tests run: N, Failures: F, Errors: E, Skipped: S"
    local counts
    counts=$(grep -E '^\[(INFO|ERROR|WARNING)\] Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$' "$log" | tail -n 1 |
        sed -E 's/^\[[A-Z]+\] //')
    [[ -n $counts ]] || die "no test summary from Maven"
    SUMMARY+=("Kotlin (android-demo/core-ui): $counts ($((SECONDS - start)) s)")
    PLAIN+=("$(echo "$counts" | awk '{ gsub(",", ""); r = $3; f = $5 + $7; s = $9
        printf "android-app: %d passed, %d failed, %d skipped", r - f - s, f, s }')")
}

swift() {
    step "Swift: ios-demo/CordonAppCore (XCTest)"
    # The chroot sees only the checkout (at its own absolute path): the package, the
    # bindings package it depends on, libcordon and the server binary must all lie in it.
    [[ $LIB_DIR == "$ROOT"/* ]] || die "CARGO_TARGET_DIR must lie inside $ROOT for the Swift chroot"
    local start=$SECONDS log=$LOGS/swift.log
    # CORDON_BINDINGS=host: on a Mac too, test against bindings/swift (the host library),
    # not the iOS XCFramework the app links.
    scripts/swift-toolchain.sh run "$ROOT" -- env CORDON_LIB_DIR="$LIB_DIR" CORDON_SERVER_BIN="$SERVER" \
        CORDON_BINDINGS=host CORDON_FIXTURES_DIR="$ROOT/fixtures" swift test --package-path "$APP_CORE" --disable-swift-testing 2>&1 | tee "$log"
    # XCTest's last summary (all suites): "Executed N tests, with F failures (U unexpected) in ..."
    local counts
    counts=$(grep -E 'Executed [0-9]+ tests?, with [0-9]+ failures?' "$log" | tail -n 1 |
        sed -E 's/^[[:space:]]*(Executed [0-9]+ tests?, with [0-9]+ failures? \([0-9]+ unexpected\)).*/\1/')
    [[ -n $counts ]] || die "no test summary from XCTest"
    SUMMARY+=("Swift (ios-demo/CordonAppCore): $counts ($((SECONDS - start)) s)")
    PLAIN+=("$(echo "$counts" | awk '{ printf "ios-app: %d passed, %d failed", $2 - $5, $5 }')")
}

PLAIN=()
(($# > 0)) || set -- all
for s in "$@"; do
    case $s in
        kotlin | swift | all) ;;
        *) die "unknown step '$s' (kotlin, swift, all)" ;;
    esac
done
bindings
for s in "$@"; do
    case $s in
        kotlin | swift) "$s" ;;
        all) kotlin; swift ;;
    esac
done
step "demo app logic: all tests passed"
printf '  %s\n' "${SUMMARY[@]}"
# The same as plain lines (one per language) for scripts/test.sh and CI.
printf '%s\n' "${PLAIN[@]}"
