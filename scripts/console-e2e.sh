#!/usr/bin/env bash
# The control-room console end to end in a real browser (console-tests/console.test.mjs):
# the real `cordon serve` on a loopback port, real devices (`cordon device`), and Debian's
# Chromium, headless, driven by npm's playwright-core. Installs Chromium and Node.js with
# apt-get when they are missing (browsers cannot be downloaded by an installer here).
# Screenshots go to target/console-shots/ (CONSOLE_SHOTS=docs refreshes docs/console-*.png,
# so a test run leaves the checkout as it was). Ends with one line: `console: N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
if ((${#need_apt[@]})); then
  echo "installing ${need_apt[*]} with apt-get" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

cargo build -q -p cordon
(cd console-tests && npm ci --no-audit --no-fund --loglevel=error)

log=target/console-e2e.log
set +e
shots=$PWD/target/console-shots
[[ ${CONSOLE_SHOTS:-} == docs ]] && shots=$PWD/docs
mkdir -p "$shots"
bin=$(realpath -m "${CARGO_TARGET_DIR:-$PWD/target}")/debug/cordon
(cd console-tests && CORDON_BIN="$bin" SHOTS="$shots" \
  CHROMIUM="$(command -v chromium)" node --test --test-reporter=tap console.test.mjs) 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(awk '/^# pass / { print $3 }' "$log")
failed=$(awk '/^# fail / { print $3 }' "$log")
printf 'console: %d passed, %d failed\n' "${passed:-0}" "${failed:-1}"
exit "$status"
