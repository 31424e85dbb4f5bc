#!/usr/bin/env bash
# Cordon's whole test suite, as README.md and .ci/run call it, on a fresh machine:
# formatting, the import graph (scripts/check-imports.py), lints, every Rust test (unit, integration, end-to-end, doc) of the
# workspace (the core's again as phones build it, without compiled-in time zones; the
# server's API tests and the end-to-end tests again on PostgreSQL, a throwaway cluster: scripts/postgres.sh), then the generated Kotlin bindings on a JVM and the generated Swift
# bindings with a real Swift compiler (scripts/bindings.sh installs what they need), then
# the static checks of the phone builds, which cannot run here (scripts/check-phone-builds.py),
# then the demo apps' logic modules on both (scripts/demo-apps.sh), then the control-room
# console in headless Chromium (scripts/console-e2e.sh).
# One cargo target directory serves every step, so nothing is built twice.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

for tool in cargo rustfmt cargo-clippy; do
  command -v "$tool" >/dev/null || { echo "missing $tool: install Rust with rustup (components rustfmt, clippy)" >&2; exit 1; }
done

# The core's time-zone tests read this machine's own database, as the phone library does
# (core/tests/time_zones.rs): Debian's tzdata when it is missing.
if [[ ! -f /usr/share/zoneinfo/Europe/London && -z ${TZDIR:-} ]]; then
  command -v apt-get >/dev/null && [[ $(id -u) == 0 ]] ||
    { echo "missing /usr/share/zoneinfo: install the tzdata package" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends tzdata ||
    { apt-get update && apt-get install -y --no-install-recommends tzdata; }
fi

step "cargo fmt --check"
cargo fmt --all --check

step "import graph: no circles between the modules of any crate"
python3 scripts/check-imports.py

step "cargo clippy --all-targets -- -D warnings (workspace; core with every feature)"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p cordon-core --all-targets --all-features -- -D warnings

step "PostgreSQL for the server's tests against it (scripts/postgres.sh installs Debian's)"
./scripts/postgres.sh

step "cargo test"
cargo test --workspace 2>&1 | tee target/cargo-test.log

step "cargo test: the core as phones build it (no compiled-in time zones: the device's own)"
cargo clippy -p cordon-core --all-targets --no-default-features -- -D warnings
cargo test -p cordon-core --no-default-features 2>&1 | tee -a target/cargo-test.log
rust=$(awk '/^test result:/ { p += $4; f += $6; i += $8 }
     END { printf "rust: %d passed, %d failed, %d skipped", p, f, i }' target/cargo-test.log)

step "the server's API tests again on PostgreSQL (CORDON_TEST_DATABASE=postgres)"
# Skipped there: the tests that open the SQLite file itself (its bytes, its triggers seen
# through rusqlite, a lock held on it, a VACUUM INTO backup). The PostgreSQL schema's
# triggers and values are tested in server/src/store/pg_tests.rs.
sqlite_only=(
  alarms::alarms_and_their_events_cannot_be_edited_or_deleted_in_the_database
  console::a_password_is_kept_only_as_an_argon2id_hash
  enrol::only_digests_of_codes_and_tokens_are_stored
  limits::enrolment_attempts_are_limited_per_address_and_a_refused_attempt_spends_no_code
  messages::bad_messages_are_refused_with_the_error_body_and_audited_without_their_text
  openapi::the_openapi_document_describes_every_answer_of_the_server
  post_orders::acknowledgements_are_append_only_at_the_office
  pull::after_a_restore_from_an_earlier_backup_a_device_ahead_of_it_starts_over_and_misses_nothing
)
skips=()
for t in "${sqlite_only[@]}"; do skips+=(--skip "$t"); done
CORDON_TEST_DATABASE=postgres cargo test -p cordon-server --test api -- --exact "${skips[@]}" 2>&1 |
  tee target/postgres-test.log

step "the end-to-end tests again on PostgreSQL (the real cordon serve on a database of a throwaway cluster)"
CORDON_TEST_DATABASE=postgres cargo test -p cordon --test sync_e2e --test faults --test revocation \
  --test kill9 2>&1 | tee -a target/postgres-test.log
postgres=$(awk '/^test result:/ { p += $4; f += $6 }
     END { printf "postgres: %d passed, %d failed", p, f }' target/postgres-test.log)

step "the simulator can fail: against a server without receipts it must find a violation"
./sim/broken.sh 2>&1 | tee target/sim-broken.log | grep -E "seeds|test result"

step "bindings: Kotlin on the JVM, Swift with swiftc"
./scripts/bindings.sh all 2>&1 | tee target/bindings.log

step "phone builds: the Android and iOS build files, checked statically (scripts/check-phone-builds.py)"
python3 scripts/check-phone-builds.py 2>&1 | tee target/phone-builds.log

step "demo apps: their logic modules (Kotlin, Swift) against the binding and the server"
./scripts/demo-apps.sh all 2>&1 | tee target/demo-apps.log

step "console: the control room in headless Chromium (scripts/console-e2e.sh)"
./scripts/console-e2e.sh 2>&1 | tee target/console.log
others=$(grep -hE '^(kotlin|swift|phone-builds|android-app|ios-app|console): [0-9]+ passed' \
  target/bindings.log target/phone-builds.log target/demo-apps.log target/console.log || true)

# One line per language a person (and CI) can read, and the total last.
printf '\n%s\n%s\n%s\n' "$rust" "$postgres" "$others"
printf '%s\n%s\n%s\n' "$rust" "$postgres" "$others" |
  awk '/passed/ { p += $2; f += $4 } END { printf "all: %d passed, %d failed\n", p, f }'

