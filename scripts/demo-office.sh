#!/usr/bin/env bash
# demo-office.sh - a reference sync server for the demo apps, with an officer to enrol and
# an assignment waiting for them: the office's side of android-demo/ and ios-demo/.
#
# Usage: scripts/demo-office.sh [DIR]        (default DIR: target/demo-office)
#   Creates DIR/office.db on first use, makes a one-time enrolment code for officer OFC-7
#   (printed), puts OFC-7 on assignment A-DEMO-1 (a static post running now, 30-minute
#   welfare checks), then runs `cordon serve` in the foreground until Ctrl-C.
#
# Environment:
#   CORDON_LISTEN   address to listen on (default 0.0.0.0:8080: an emulator reaches it at
#                   10.0.2.2:8080, the iOS simulator at 127.0.0.1:8080, a phone at the
#                   machine's LAN address)
#   CORDON_OFFICER  officer id (default OFC-7)
# More codes while it runs: target/debug/cordon admin --db DIR/office.db enrol --organisation acme --officer OFC-8
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TARGET=$(realpath -m "${CARGO_TARGET_DIR:-$ROOT/target}")
CORDON=$TARGET/debug/cordon
DIR=$(realpath -m "${1:-$TARGET/demo-office}")
DB=$DIR/office.db
OFFICER=${CORDON_OFFICER:-OFC-7}
LISTEN=${CORDON_LISTEN:-0.0.0.0:8080}

[[ -x $CORDON ]] || cargo build -p cordon
mkdir -p "$DIR"

# A static post that started an hour ago and runs for twelve hours, so that clock-on,
# welfare countdowns and overdue warnings all work right away.
now=$(date -u +%s)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S.000Z; }
cat > "$DIR/assignment.json" <<EOF
{"id": "A-DEMO-1", "reference": "OP-HALCYON-03", "title": "Residence night cover",
 "kind": "static_post", "principal_codename": "KESTREL",
 "sites": [{"name": "Main gate", "address": "1 Example Road, London", "centre": null,
            "geofence_radius_m": null, "time_zone": "Europe/London"}],
 "starts_at": "$(iso $((now - 3600)))", "ends_at": "$(iso $((now + 11 * 3600)))",
 "role": "residential_security_team",
 "team": [{"call_sign": "ALPHA-1", "role": "team_leader"}, {"call_sign": "ALPHA-2", "role": "residential_security_team"}],
 "post_orders": {"version": 1, "text": "Patrol the perimeter hourly. Challenge anyone loitering at the east gate.",
                 "issued_at": "$(iso $((now - 86400)))"},
 "check_in_policy": {"interval_secs": 1800, "grace_secs": 300},
 "threat_level": "substantial", "status": "active"}
EOF
"$CORDON" admin --db "$DB" assignment --file "$DIR/assignment.json" --organisation acme --officer "$OFFICER" >/dev/null
code=$("$CORDON" admin --db "$DB" enrol --organisation acme --officer "$OFFICER" | tail -n 1)

cat <<EOF

  Office database:   $DB
  Enrolment code:    $code      (officer $OFFICER, one use)
  Assignment:        A-DEMO-1, sent to the phone on its first sync
  Listening on:      $LISTEN     (Ctrl-C stops the server)

EOF
exec "$CORDON" serve --db "$DB" --listen "$LISTEN"
