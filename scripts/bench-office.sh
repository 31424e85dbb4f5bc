#!/usr/bin/env bash
# The office under load (issue 14), every figure of docs/PERFORMANCE.md's "office under
# load" table from one command: `cordon load` (release build) against SQLite and against
# a durable PostgreSQL cluster this script starts (initdb in a temporary directory as the
# unprivileged `postgres` user, a loopback port picked here, fsync and synchronous commit
# left on, as SQLite's synchronous=FULL), with one and two `cordon serve` processes.
# The cluster is stopped by its pid when the script ends, however it ends.
#
# Usage: scripts/bench-office.sh [storm] [one-op] [mix] [big]   (default: storm one-op mix)
#   storm   100 phones reconnecting with 2,500 check-ins each; duress alarms meanwhile
#   one-op  one-operation pushes from 100 phones, SQLite's limit measured in the same run
#   mix     the realistic mix, 100 and 1,000 phones
#   big     the realistic mix, 5,000 phones (enrolling them takes minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-target}
what=("$@")
[[ ${#what[@]} -eq 0 ]] && what=(storm one-op mix)

cargo build --release -p cordon >&2
cordon=$TARGET/release/cordon
bin=$(scripts/postgres.sh)

work=$(mktemp -d)
chown postgres: "$work"
pid=
stop() {
  # The postmaster's own pid (runuser's child), then runuser itself.
  if [[ -f $work/data/postmaster.pid ]]; then
    kill "$(head -1 "$work/data/postmaster.pid")" 2>/dev/null || true
  fi
  if [[ -n $pid ]]; then wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap stop EXIT
runuser -u postgres -- "$bin/initdb" --auth=trust --encoding=UTF8 --locale=C -U postgres \
  -D "$work/data" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
runuser -u postgres -- "$bin/postgres" -D "$work/data" -c listen_addresses=127.0.0.1 \
  -p "$port" -k "$work" -c max_connections=200 >"$work/postgres.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" && break
  sleep 0.1
done
database() { # a fresh PostgreSQL database for one run (called in a subshell: a new name)
  local name
  name=office_$(date +%s%N)
  runuser -u postgres -- "$bin/createdb" -h 127.0.0.1 -p "$port" "$name"
  echo "postgres://postgres@127.0.0.1:$port/$name"
}
run() { echo; echo "==> cordon load $*"; "$cordon" load "$@" 2>&1 | grep -v '^console:'; }

for w in "${what[@]}"; do
  case $w in
    storm)
      run --storm 2500 --phones 100
      ;;
    one-op)
      run --one-op-pushes --phones 100 --seconds 10
      run --one-op-pushes --phones 100 --seconds 10 --servers 2
      run --one-op-pushes --phones 100 --seconds 10 --database "$(database)"
      run --one-op-pushes --phones 100 --seconds 10 --database "$(database)" --servers 2
      ;;
    mix)
      for phones in 100 1000; do
        run --phones $phones --seconds 20 --workers 16
        run --phones $phones --seconds 20 --workers 16 --database "$(database)"
        run --phones $phones --seconds 20 --workers 16 --database "$(database)" --servers 2
      done
      ;;
    big)
      run --phones 5000 --seconds 20 --workers 16
      run --phones 5000 --seconds 20 --workers 16 --database "$(database)" --servers 2
      ;;
    *) echo "unknown: $w (storm, one-op, mix, big)" >&2; exit 2 ;;
  esac
done
