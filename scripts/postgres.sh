#!/usr/bin/env bash
# Makes sure Debian's PostgreSQL server is installed, for the server's tests against
# PostgreSQL (the tests start their own throwaway cluster: see fixtures/src/postgres.rs).
# Installs `postgresql` with apt-get when its binaries are missing, like console-e2e.sh
# installs Chromium; prints the directory of `initdb` and `postgres`.
set -euo pipefail

bin_dir() {
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x $dir/initdb && -x $dir/postgres ]] && { echo "$dir"; return 0; }
  done
  return 1
}

if ! bin_dir >/dev/null; then
  echo "installing postgresql with apt-get" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
# The tests run initdb and postgres as this unprivileged user (initdb refuses root).
id postgres >/dev/null 2>&1 || { echo "no postgres user after installing postgresql" >&2; exit 1; }
bin_dir
