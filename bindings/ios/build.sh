#!/usr/bin/env bash
# build.sh - the iOS package of Cordon: libcordon.a for devices (arm64) and the simulator
# (arm64 + x86_64, one fat library), an XCFramework holding them with the generated C
# headers (modules CordonFFI and CordonCoreFFI), and the generated Swift that
# bindings/ios/Package.swift compiles into the `Cordon` module.
#
# Needs a Mac with Xcode 16.0 or later (xcodebuild, lipo; phone-versions.properties) and:
#   rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios
#
# Usage: bindings/ios/build.sh
#   -> bindings/ios/build/CordonFFI.xcframework and bindings/ios/build/Sources/Cordon/*.swift
# Then add bindings/ios as a local package in Xcode (or depend on it from another package)
# and `import Cordon`.
# SQLite (SQLite3 Multiple Ciphers, the encrypted store) is C compiled into libcordon.a by
# sqlite3mc/build.rs with Xcode's clang; its ciphers are its own (no OpenSSL, and no
# CommonCrypto beyond the random generator libSystem carries), so nothing more is linked.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
TARGET=$(realpath "${CARGO_TARGET_DIR:-$ROOT/target}" 2>/dev/null || echo "${CARGO_TARGET_DIR:-$ROOT/target}")
OUT=$HERE/build
DEVICE=aarch64-apple-ios
SIMULATORS=(aarch64-apple-ios-sim x86_64-apple-ios)
export IPHONEOS_DEPLOYMENT_TARGET=${IPHONEOS_DEPLOYMENT_TARGET:-15.0} # keep in step with Package.swift

die() { echo "ios/build.sh: $*" >&2; exit 1; }
[[ $(uname -s) == Darwin ]] || die "needs macOS with Xcode (xcodebuild, lipo)"
XCODE_MIN=$(sed -n 's/^xcode=//p' "$ROOT/phone-versions.properties")
xcode=$(xcodebuild -version 2>/dev/null | sed -n 's/^Xcode //p')
[[ ${xcode%%.*} -ge ${XCODE_MIN%%.*} ]] 2>/dev/null || die "Xcode '${xcode:-none}' found: needs Xcode $XCODE_MIN or later"
for t in "$DEVICE" "${SIMULATORS[@]}"; do
    rustup target list --installed | grep -qx "$t" || die "missing Rust target $t: rustup target add $t"
done

echo "==> libcordon.a for $DEVICE ${SIMULATORS[*]} (release)"
for t in "$DEVICE" "${SIMULATORS[@]}"; do
    cargo build --release -p cordon-ffi --no-default-features --target "$t"   # no built-in HTTP or time zones
done
rm -rf "$OUT"
mkdir -p "$OUT/simulator" "$OUT/Sources/Cordon"
# The XCFramework takes one library per platform: the two simulator slices go in one fat file.
slices=()
for t in "${SIMULATORS[@]}"; do slices+=("$TARGET/$t/release/libcordon.a"); done
lipo -create "${slices[@]}" -output "$OUT/simulator/libcordon.a"

echo "==> Swift bindings and C headers (from the device library)"
cargo build -p uniffi-bindgen
gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
"$TARGET/debug/uniffi-bindgen" generate --library "$TARGET/$DEVICE/release/libcordon.a" --language swift \
    --out-dir "$gen" --config bindings/bindgen.toml --no-format
# Headers/CordonFFI and Headers/CordonCoreFFI, each with its module map (see headers.sh).
"$HERE/headers.sh" "$gen" "$OUT/headers"
cp "$gen"/Cordon.swift "$gen"/CordonCore.swift "$OUT/Sources/Cordon/"
cp bindings/swift/Sources/Cordon/*.swift "$OUT/Sources/Cordon/"   # the hand-written part

echo "==> XCFramework"
xcodebuild -create-xcframework \
    -library "$TARGET/$DEVICE/release/libcordon.a" -headers "$OUT/headers" \
    -library "$OUT/simulator/libcordon.a" -headers "$OUT/headers" \
    -output "$OUT/CordonFFI.xcframework"
ls -l "$OUT"
