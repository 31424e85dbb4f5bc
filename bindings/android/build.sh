#!/usr/bin/env bash
# build.sh - the Android library (AAR) of Cordon: libcordon.so for arm64-v8a, armeabi-v7a
# and x86_64 (cargo-ndk), the generated Kotlin (package io.cordon / io.cordon.core, with
# uniffi's Android cleaner), and the Gradle module `cordon` that packs them with JNA.
#
# Needs a workstation with the Android SDK and NDK (this repository's Linux CI has neither):
#   ANDROID_NDK_HOME (or ANDROID_NDK_ROOT) pointing at an NDK (r26 or later)
#   cargo install cargo-ndk
#   rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
#   Gradle 8.7+ (or a wrapper: run `gradle wrapper` here once and commit it) and a JDK 17
#
# Usage: bindings/android/build.sh        -> bindings/android/cordon/build/outputs/aar/cordon-release.aar
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
TARGET=$(realpath -m "${CARGO_TARGET_DIR:-$ROOT/target}")
MODULE=$HERE/cordon
JNI_LIBS=$MODULE/build/rust/jniLibs          # read by cordon/build.gradle.kts
KOTLIN_OUT=$MODULE/build/rust/kotlin         # likewise
MIN_SDK=24                                   # keep in step with cordon/build.gradle.kts

die() { echo "android/build.sh: $*" >&2; exit 1; }
[[ -n ${ANDROID_NDK_HOME:-${ANDROID_NDK_ROOT:-}} ]] || die "set ANDROID_NDK_HOME to an Android NDK"
command -v cargo-ndk >/dev/null || die "missing cargo-ndk: cargo install cargo-ndk"
for t in aarch64-linux-android armv7-linux-androideabi x86_64-linux-android; do
    rustup target list --installed | grep -qx "$t" || die "missing Rust target $t: rustup target add $t"
done

echo "==> libcordon.so for arm64-v8a, armeabi-v7a, x86_64 (release)"
rm -rf "$JNI_LIBS"
cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 --platform "$MIN_SDK" -o "$JNI_LIBS" \
    build --release -p cordon-ffi --no-default-features   # phones bring their own HTTP stack

echo "==> Kotlin bindings (generated from the arm64-v8a library, unstripped of uniffi's metadata)"
cargo build -p uniffi-bindgen
config=$(mktemp)
trap 'rm -f "$config"' EXIT
# The JVM settings, plus uniffi's Android cleaner (android.system.SystemCleaner on API 34+).
cat bindings/bindgen.toml > "$config"
printf '\n[defaults.bindings.kotlin]\nandroid = true\n' >> "$config"
rm -rf "$KOTLIN_OUT"
"$TARGET/debug/uniffi-bindgen" generate --library "$JNI_LIBS/arm64-v8a/libcordon.so" --language kotlin \
    --out-dir "$KOTLIN_OUT" --config "$config" --no-format
python3 bindings/kotlin/patch-generated.py "$KOTLIN_OUT"   # total string lowering, reused call status (see the script)

echo "==> AAR"
cd "$HERE"
if [[ -x ./gradlew ]]; then GRADLE=./gradlew; else GRADLE=gradle; fi
command -v "$GRADLE" >/dev/null || [[ -x $GRADLE ]] || die "no Gradle: install Gradle 8.7+ or add a wrapper (gradle wrapper)"
"$GRADLE" --no-daemon :cordon:assembleRelease
ls -l "$MODULE/build/outputs/aar/"
