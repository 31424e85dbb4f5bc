#!/usr/bin/env bash
# build.sh - the Android library (AAR) of Cordon: libcordon.so for arm64-v8a, armeabi-v7a
# and x86_64 (cargo-ndk), the generated Kotlin (package io.cordon / io.cordon.core, with
# uniffi's Android cleaner), and the Gradle module `cordon` that packs them with JNA.
#
# Needs a workstation with the Android SDK and NDK (this repository's Linux CI has neither;
# scripts/check-phone-builds.py checks this script and the Gradle files statically there).
# The versions are those of phone-versions.properties at the top of the repository:
#   ANDROID_NDK_HOME (or ANDROID_NDK_ROOT) pointing at NDK 27.2.12479018 (r27c)
#   cargo install cargo-ndk
#   rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
#   Gradle 8.11.1 (gradle/wrapper/gradle-wrapper.properties; run
#   `gradle wrapper --gradle-version 8.11.1` here once for gradlew) and JDK 17
#
# SQLite (SQLite3 Multiple Ciphers, the encrypted store) is C compiled by sqlite3mc/build.rs
# with the NDK's clang for each ABI, which cargo-ndk hands to the `cc` crate; no OpenSSL.
#
# Every libcordon.so is linked 16 KB page aligned (bindings/build.rs); this script checks
# that with the NDK's llvm-readelf before packing the AAR.
#
# Usage: bindings/android/build.sh        -> bindings/android/cordon/build/outputs/aar/cordon-release.aar
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
TARGET=$(realpath -m "${CARGO_TARGET_DIR:-$ROOT/target}")
MODULE=$HERE/cordon
# Read by cordon/build.gradle.kts; outside cordon/build/, so Gradle's `clean` keeps them.
JNI_LIBS=$MODULE/rust/jniLibs
KOTLIN_OUT=$MODULE/rust/kotlin
version() { sed -n "s/^$1=//p" "$ROOT/phone-versions.properties"; }
MIN_SDK=$(version android.minSdk)
NDK_VERSION=$(version ndk)
PAGE_SIZE=$(version android.maxPageSize)

die() { echo "android/build.sh: $*" >&2; exit 1; }
NDK=${ANDROID_NDK_HOME:-${ANDROID_NDK_ROOT:-}}
[[ -n $NDK ]] || die "set ANDROID_NDK_HOME to Android NDK $NDK_VERSION"
ndk_found=$(sed -n 's/^Pkg.Revision *= *//p' "$NDK/source.properties" 2>/dev/null || true)
[[ ${ndk_found%%.*} -ge ${NDK_VERSION%%.*} ]] 2>/dev/null ||
    die "NDK at $NDK is '${ndk_found:-unknown}': install NDK $NDK_VERSION (SDK Manager -> SDK Tools -> NDK)"
command -v cargo-ndk >/dev/null || die "missing cargo-ndk: cargo install cargo-ndk"
for t in aarch64-linux-android armv7-linux-androideabi x86_64-linux-android; do
    rustup target list --installed | grep -qx "$t" || die "missing Rust target $t: rustup target add $t"
done

echo "==> libcordon.so for arm64-v8a, armeabi-v7a, x86_64 (release)"
rm -rf "$JNI_LIBS"
cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 --platform "$MIN_SDK" -o "$JNI_LIBS" \
    build --release -p cordon-ffi --no-default-features   # the phone's own HTTP stack and time zones

echo "==> 16 KB page alignment of every LOAD segment"
readelf=$(ls "$NDK"/toolchains/llvm/prebuilt/*/bin/llvm-readelf 2>/dev/null | head -n 1)
[[ -x $readelf ]] || die "no llvm-readelf in $NDK"
for lib in "$JNI_LIBS"/*/libcordon.so; do
    # Program headers: "LOAD 0x... 0x... 0x... 0x... 0x... R E 0x4000" (the last field is Align).
    bad=$("$readelf" -lW "$lib" | awk -v want="$(printf '0x%x' "$PAGE_SIZE")" '$1 == "LOAD" && $NF != want { print $NF }')
    [[ -z $bad ]] || die "$lib has LOAD segments aligned to $bad, not $PAGE_SIZE bytes (see bindings/build.rs)"
done

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
command -v "$GRADLE" >/dev/null || [[ -x $GRADLE ]] ||
    die "no Gradle: install Gradle $(version gradle) or add a wrapper (gradle wrapper --gradle-version $(version gradle))"
"$GRADLE" --no-daemon :cordon:assembleRelease
ls -l "$MODULE/build/outputs/aar/"
