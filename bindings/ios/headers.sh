#!/usr/bin/env bash
# headers.sh - lays out the C headers and module maps of Cordon's XCFramework.
#
# Usage: bindings/ios/headers.sh GENERATED_DIR HEADERS_DIR
#   GENERATED_DIR  what `uniffi-bindgen generate --language swift` wrote: CordonFFI.h,
#                  CordonFFI.modulemap, CordonCoreFFI.h, CordonCoreFFI.modulemap
#   HEADERS_DIR    made afresh: CordonFFI/{CordonFFI.h,module.modulemap} and
#                  CordonCoreFFI/{CordonCoreFFI.h,module.modulemap}, nothing else
#
# Why this shape: Xcode copies the Headers of every static XCFramework an app links into
# one include/ directory, so a module.modulemap at the top would collide with any other
# library's; and clang finds module X in include/X/module.modulemap. One folder per module,
# each with its own module map, also means no two generated files are ever concatenated
# (uniffi's end without a newline: "}module CordonCoreFFI" does not parse).
# bindings/ios/build.sh calls this; scripts/check-phone-builds.py runs it here and checks
# the result.
set -euo pipefail
(($# == 2)) || { echo "usage: $0 GENERATED_DIR HEADERS_DIR" >&2; exit 2; }
GEN=$1
OUT=$2
rm -rf "$OUT"
for module in CordonFFI CordonCoreFFI; do
    mkdir -p "$OUT/$module"
    cp "$GEN/$module.h" "$OUT/$module/"
    # The module map names its header relative to itself: keep them side by side.
    { cat "$GEN/$module.modulemap"; echo; } > "$OUT/$module/module.modulemap"
done
