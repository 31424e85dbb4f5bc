#!/usr/bin/env bash
# Shows that the simulator can fail: runs it against cordon-server built with the
# deliberate bug `sim-broken-receipts` and asserts that a violation is found within the CI
# seed count, printing after how many seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo test -p cordon-sim --features broken-server --test broken -- --nocapture
