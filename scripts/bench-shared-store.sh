#!/usr/bin/env bash
# Two processes on one device database: a writer (stress, syncing every 10 writes) and a
# second process running `device sync` over and over, as a widget would. Prints the
# requests and duplicate answers both made, against the writer alone.
set -euo pipefail
# Usage: scripts/bench-shared-store.sh   (BIN=path/to/cordon to measure another build)
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then cargo build -q -p cordon; BIN=target/debug/cordon; fi
run() {
  local mode=$1 dir; dir=$(mktemp -d)
  "$BIN" --log-level info serve --no-rate-limits --db "$dir/s.db" --listen 127.0.0.1:0 > "$dir/out" 2>"$dir/server.log" &
  local spid=$!; sleep 0.5
  local url; url=$(head -1 "$dir/out" | sed 's/listening on //')
  local code; code=$("$BIN" admin --db "$dir/s.db" enrol --organisation acme --officer OFC-7 2>/dev/null)
  "$BIN" --log-level warn device --db "$dir/p.db" enrol --server "$url" --code "$code" >/dev/null
  : > "$dir/widget.json"
  if [ "$mode" = two ]; then
    ( while [ ! -e "$dir/done" ]; do "$BIN" --log-level warn device --db "$dir/p.db" sync --json >> "$dir/widget.json" 2>/dev/null || true; done ) &
    local wpid=$!
  fi
  "$BIN" --log-level warn device --db "$dir/p.db" stress --count 800 --sync-every 10 > "$dir/stress.out" 2>&1
  touch "$dir/done"; [ "$mode" = two ] && wait $wpid || true
  "$BIN" --log-level warn device --db "$dir/p.db" sync --until-drained --json > "$dir/final.json" 2>/dev/null || true
  kill $spid; wait $spid 2>/dev/null || true
  python3 - "$dir" "$mode" <<'P'
import json, sys, sqlite3, glob
d, mode = sys.argv[1], sys.argv[2]
def load(f):
    out=[]
    for line in open(f):
        line=line.strip()
        if line: out.extend(json.loads(line))
    return out
db = sqlite3.connect(f"{d}/s.db")
receipts = db.execute("select count(*) from receipt").fetchone()[0]
import re
pushes=dups=0
for line in open(f"{d}/server.log"):
    if "push judged" in line:
        pushes+=1
        m=re.search(r"duplicate=(\d+)", line); dups+=int(m.group(1)) if m else 0
print(f"{mode}: pushes {pushes}, duplicate answers {dups}, ", end="")
print(f"{mode}: receipts {receipts}")
P
  grep -c "^ok check-in" "$dir/stress.out" | sed 's/^/writer check-ins: /'
}
run one; run two
