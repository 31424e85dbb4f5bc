#!/usr/bin/env bash
# Cordon's whole test suite, as README.md and .ci/run call it, on a fresh machine:
# formatting, lints, then every Rust test (unit, integration, doc) of the workspace.
# One cargo target directory serves every step, so nothing is built twice.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

for tool in cargo rustfmt cargo-clippy; do
  command -v "$tool" >/dev/null || { echo "missing $tool: install Rust with rustup (components rustfmt, clippy)" >&2; exit 1; }
done

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy --all-targets -- -D warnings (default and uniffi features)"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p cordon-core --all-targets --features uniffi -- -D warnings

step "cargo test"
cargo test --workspace 2>&1 | tee target/cargo-test.log
# One line a person (and CI) can read: totals over every test binary.
awk '/^test result:/ { p += $4; f += $6; i += $8 }
     END { printf "\nrust: %d passed, %d failed, %d skipped\n", p, f, i }' target/cargo-test.log
