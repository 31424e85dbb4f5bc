#!/usr/bin/env bash
# demo-office.sh - a reference sync server for the demo apps, with an officer to enrol and
# an assignment waiting for them: the office's side of android-demo/ and ios-demo/.
#
# Usage: scripts/demo-office.sh [DIR]        (default DIR: target/demo-office)
#   Creates DIR/office.db on first use, makes a one-time enrolment code for the sample
#   officer OFC-7 (fixtures/office.json; printed), puts them on assignment A-DEMO-1 (the
#   sample assignment of fixtures/assignment.json, moved to be running now), then runs
#   `cordon serve` in the foreground until Ctrl-C.
#
# Environment:
#   CORDON_LISTEN   address to listen on (default 0.0.0.0:8080: an emulator reaches it at
#                   10.0.2.2:8080, the iOS simulator at 127.0.0.1:8080, a phone at the
#                   machine's LAN address)
#   CORDON_OFFICER  officer id (default: the sample officer of fixtures/office.json)
# Needs jq (installed from Debian's packages when missing and run as root).
# More codes while it runs: target/debug/cordon admin --db DIR/office.db enrol --organisation acme --officer OFC-8
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TARGET=$(realpath -m "${CARGO_TARGET_DIR:-$ROOT/target}")
CORDON=$TARGET/debug/cordon
DIR=$(realpath -m "${1:-$TARGET/demo-office}")
DB=$DIR/office.db
LISTEN=${CORDON_LISTEN:-0.0.0.0:8080}

die() { echo "demo-office.sh: $*" >&2; exit 1; }
# jq reads the shared samples in fixtures/ (Debian's package when it is missing).
command -v jq >/dev/null || {
    command -v apt-get >/dev/null && [[ $(id -u) == 0 ]] || die "missing jq: install it"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends jq ||
        { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends jq; }
}
ORGANISATION=$(jq -r .organisation_id fixtures/office.json)
OFFICER=${CORDON_OFFICER:-$(jq -r .officer_id fixtures/office.json)}
[[ -x $CORDON ]] || cargo build -p cordon
mkdir -p "$DIR"

# The sample assignment (fixtures/assignment.json: a static post, 30-minute welfare checks)
# as A-DEMO-1, moved to have started an hour ago; its end and the issue of its post orders
# move with it. So clock-on, welfare countdowns and overdue warnings all work right away.
jq --argjson start "$(($(date -u +%s) - 3600))" '
    def secs: sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601;
    def iso: strftime("%Y-%m-%dT%H:%M:%S.000Z");
    (.starts_at | secs) as $from
    | .id = "A-DEMO-1"
    | .ends_at = (.ends_at | secs - $from + $start | iso)
    | .post_orders.issued_at = (.post_orders.issued_at | secs - $from + $start | iso)
    | .starts_at = ($start | iso)' fixtures/assignment.json > "$DIR/assignment.json"
"$CORDON" admin --db "$DB" assignment --file "$DIR/assignment.json" --organisation "$ORGANISATION" --officer "$OFFICER" >/dev/null
code=$("$CORDON" admin --db "$DB" enrol --organisation "$ORGANISATION" --officer "$OFFICER" | tail -n 1)

cat <<EOF

  Office database:   $DB
  Enrolment code:    $code      (officer $OFFICER, one use)
  Assignment:        A-DEMO-1, sent to the phone on its first sync
  Listening on:      $LISTEN     (Ctrl-C stops the server)

EOF
exec "$CORDON" serve --db "$DB" --listen "$LISTEN"
