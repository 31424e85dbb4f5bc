#!/usr/bin/env bash
# bindings.sh - build the uniffi library, generate the Kotlin and Swift bindings from it,
# and run their tests on a real JVM and a real Swift compiler.
#
# Usage: scripts/bindings.sh [STEP...]      (default: all)
#   build      cargo build (debug): libcordon.so (cordon-ffi), uniffi-bindgen, and the
#              reference server `cordon` that the sync tests start
#   generate   uniffi-bindgen (library mode) -> Kotlin in bindings/kotlin/target/generated-sources/uniffi,
#              Swift, headers and modulemaps in bindings/swift/generated (both git-ignored:
#              generated code is never committed, so it can never be stale)
#   kotlin     JUnit 5 tests on the JVM through JNA (Maven: bindings/kotlin/pom.xml)
#   swift      XCTest tests of the SwiftPM package bindings/swift (on Linux in the Debian
#              trixie chroot of scripts/swift-toolchain.sh; on a Mac with the swift on PATH)
#   all        every step above, in order
# Any failure stops the script with a non-zero exit code.
#
# Environment: CARGO_TARGET_DIR is honoured (default: ./target, shared with the workspace).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TARGET=$(realpath -m "${CARGO_TARGET_DIR:-$ROOT/target}")
LIB_DIR=$TARGET/debug
case $(uname -s) in Darwin) LIB=$LIB_DIR/libcordon.dylib ;; *) LIB=$LIB_DIR/libcordon.so ;; esac
SERVER=$LIB_DIR/cordon
KOTLIN_GEN=$ROOT/bindings/kotlin/target/generated-sources/uniffi
SWIFT_GEN=$ROOT/bindings/swift/generated

step() { printf '\n==> %s\n' "$*"; }
die() { echo "bindings.sh: $*" >&2; exit 1; }

build() {
    step "cargo build -p cordon-ffi -p uniffi-bindgen -p cordon"
    cargo build -p cordon-ffi -p uniffi-bindgen -p cordon
}

generate() {
    step "uniffi-bindgen generate (Kotlin, Swift) from $LIB"
    [[ -f $LIB ]] || die "no $LIB: run '$0 build' first"
    local bindgen=$LIB_DIR/uniffi-bindgen tmp=$SWIFT_GEN/.uniffi
    rm -rf "$KOTLIN_GEN" "$SWIFT_GEN"
    "$bindgen" generate --library "$LIB" --language kotlin --out-dir "$KOTLIN_GEN" \
        --config bindings/bindgen.toml --no-format
    # Total string lowering and a reused call status: see the script.
    python3 bindings/kotlin/patch-generated.py "$KOTLIN_GEN"
    "$bindgen" generate --library "$LIB" --language swift --out-dir "$tmp" \
        --config bindings/bindgen.toml --no-format
    # SwiftPM layout: one system-library target per C module (header + module.modulemap),
    # and the generated Swift of both crates in the one `Cordon` target.
    local ffi
    for ffi in CordonFFI CordonCoreFFI; do
        mkdir -p "$SWIFT_GEN/$ffi"
        mv "$tmp/$ffi.h" "$SWIFT_GEN/$ffi/"
        mv "$tmp/$ffi.modulemap" "$SWIFT_GEN/$ffi/module.modulemap"
    done
    mkdir -p "$SWIFT_GEN/Cordon"
    mv "$tmp/Cordon.swift" "$tmp/CordonCore.swift" "$SWIFT_GEN/Cordon/"
    # The module's hand-written part (task cancellation, the URLSession transport).
    cp bindings/swift/Sources/Cordon/*.swift "$SWIFT_GEN/Cordon/"
    # The README's snippets as one test per language (git-ignored, made afresh each time).
    rm -rf "$ROOT/bindings/kotlin/target/generated-test-sources/readme" "$ROOT/bindings/swift/Tests/CordonTests/Generated"
    python3 scripts/readme-snippets.py bindings/README.md \
        "$ROOT/bindings/kotlin/target/generated-test-sources/readme/io/cordon/readme/ReadmeSnippetsTest.kt" \
        "$ROOT/bindings/swift/Tests/CordonTests/Generated/ReadmeSnippetsTests.swift"
    rm -r "$tmp"
    find "$KOTLIN_GEN" "$SWIFT_GEN" -type f | sed "s|^$ROOT/|  |"
}

# Maven and a JDK 17 from Debian's packages when they are missing (Kotlin, JNA and JUnit
# themselves come from Maven Central through the pom).
ensure_jvm_tools() {
    command -v mvn >/dev/null && command -v javac >/dev/null && return 0
    command -v apt-get >/dev/null && [[ $(id -u) == 0 ]] ||
        die "missing mvn/javac: install Maven and a JDK 17"
    echo "installing maven and openjdk-17-jdk-headless"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends maven openjdk-17-jdk-headless ||
        { apt-get update && apt-get install -y --no-install-recommends maven openjdk-17-jdk-headless; }
}

kotlin() {
    step "Kotlin: JUnit 5 on the JVM (bindings/kotlin)"
    ensure_jvm_tools
    [[ -d $KOTLIN_GEN ]] || die "no generated Kotlin: run '$0 generate' first"
    # Stale classes of deleted sources would still run: compile afresh (not `mvn clean`,
    # which would also wipe the generated sources under target/).
    rm -rf bindings/kotlin/target/classes bindings/kotlin/target/test-classes
    (cd bindings/kotlin && mvn -B -ntp \
        -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
        -Dorg.slf4j.simpleLogger.log.org.apache.maven.plugin.surefire=info \
        -Dcordon.lib.dir="$LIB_DIR" -Dcordon.server.bin="$SERVER" test) | tee "$TARGET/bindings-kotlin.log"
    # Surefire's total: "Tests run: N, Failures: F, Errors: E, Skipped: S" (last such line).
    SUMMARY+=("$(awk '/Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$/ { r = $4; f = $6 + $8; s = $10 }
        END { gsub(",", "", r); printf "kotlin: %d passed, %d failed, %d skipped", r - f - s, f, s }' "$TARGET/bindings-kotlin.log")")
}

swift() {
    step "Swift: XCTest (bindings/swift)"
    [[ -d $SWIFT_GEN ]] || die "no generated Swift: run '$0 generate' first"
    # The chroot sees only the directory it is given (at the same absolute path): the
    # checkout's root, so that the package, libcordon, the server binary and the shared
    # samples in fixtures/ all show.
    [[ $LIB_DIR == "$ROOT"/* ]] || die "CARGO_TARGET_DIR must lie inside $ROOT for the Swift chroot"
    scripts/swift-toolchain.sh run "$ROOT" -- env CORDON_LIB_DIR="$LIB_DIR" CORDON_SERVER_BIN="$SERVER" \
        CORDON_FIXTURES_DIR="$ROOT/fixtures" swift test --package-path "$ROOT/bindings/swift" --disable-swift-testing | tee "$TARGET/bindings-swift.log"
    # XCTest's total: "Executed N tests, with F failures (U unexpected)" (last such line).
    SUMMARY+=("$(awk '/Executed [0-9]+ tests?, with [0-9]+ failures?/ { n = $2; f = $5 }
        END { printf "swift: %d passed, %d failed", n - f, f }' "$TARGET/bindings-swift.log")")
}

SUMMARY=()
(($# > 0)) || set -- all
for s in "$@"; do
    case $s in
        build | generate | kotlin | swift) "$s" ;;
        all) build; generate; kotlin; swift ;;
        *) die "unknown step '$s' (build, generate, kotlin, swift, all)" ;;
    esac
done
# One line per language that CI and a person can read (every test passed to get here).
((${#SUMMARY[@]} == 0)) || { echo; printf '%s\n' "${SUMMARY[@]}"; }
