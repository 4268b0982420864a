#!/usr/bin/env bash
# demo-browser-check.sh [URL]
#   Two headless-Chromium tabs chat through RingGate's demo chat (scripts/demo-browser-check.py drives
#   Chromium over its DevTools protocol); prints PASS or FAIL: reason, exit 0 on pass.
#   With URL (e.g. http://127.0.0.1:8282/): checks that running gateway.
#   Without: starts `ringgate start` (the embedded default on http://127.0.0.1:8282/) when the binary
#   has that command, otherwise `ringgate register` + `ringgate gateway --demo-page` + `ringgate
#   worker-demo` on ports of their own; checks it, then stops what it started.
#   Env: RINGGATE (binary, default .build/debug/ringgate), CHROMIUM (default chromium),
#        PYTHON3 (default python3, standard library only), TIMEOUT (seconds, default 25).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHECK=("${PYTHON3:-python3}" "$ROOT/scripts/demo-browser-check.py" --timeout "${TIMEOUT:-25}"
       --chromium "${CHROMIUM:-chromium}")
if [[ $# -gt 1 || "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
if [[ $# -eq 1 ]]; then exec "${CHECK[@]}" "$1"; fi

RINGGATE="${RINGGATE:-$ROOT/.build/debug/ringgate}"
if [[ ! -x "$RINGGATE" ]]; then
    echo "no $RINGGATE: run 'swift build --product ringgate' first, or give a URL" >&2
    exit 2
fi
LOGS="$(mktemp -d -t ringgate-demo-check-XXXXXX)"
PIDS=()
stop_started() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_started EXIT
start() {  # start NAME ARGS...: runs "$RINGGATE" ARGS in the background, output in $LOGS/NAME.log
    local name="$1"; shift
    "$RINGGATE" "$@" >"$LOGS/$name.log" 2>&1 &
    PIDS+=("$!")
}

if "$RINGGATE" --help 2>/dev/null | grep -qE '^ +start( |$)'; then
    start ringgate start
    URL="http://127.0.0.1:8282/"
else
    # Ports away from the defaults, so a running embedded default is left alone.
    start register register --listen 127.0.0.1:21238
    start gateway gateway websocket://127.0.0.1:28282 --demo-page --register-address 127.0.0.1:21238 \
        --start-port 22900 --shards 2 --slab-mib 16
    start worker worker-demo --register-address 127.0.0.1:21238
    URL="http://127.0.0.1:28282/"
fi
status=0
"${CHECK[@]}" "$URL" || status=$?
for pid in "${PIDS[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then status=1; fi
done
if [[ $status -ne 0 ]]; then
    for log in "$LOGS"/*.log; do echo "== $log" >&2; tail -n 20 "$log" >&2; done
fi
rm -rf "$LOGS"
exit "$status"
