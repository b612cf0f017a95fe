#!/usr/bin/env bash
# `make check-browser` (maintainers): a real browser opens JupyterLab on notebook 00.
#
# Starts the lab server through tools/lab.sh (as `make lab` does, set-up skipped, checkpoints
# kept out of the tree) on a free localhost port, points a headless Chromium at notebook 00, saves a screenshot, and shuts the
# server down. Look at the picture: notebook 00 open in the main area with its stored outputs
# (the PASS lines), its kernel "Python 3 (ipykernel)", and the file browser in "/ notebooks /",
# where "/" is the repository root (one click up reaches exercises/ and solutions/).
#
#   bash tools/check_browser.sh [screenshot.png]      (default: build/check-browser.png)
#
# Needs Debian's `chromium` (apt-get install chromium), or CHROMIUM=/path/to/chrome.
# Too slow and too dependent on a browser for `make test`; its time is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/check-browser.png}
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
rm -f "$out"
say() { printf '[check-browser] %s\n' "$*"; }

browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
    for b in chromium chromium-browser google-chrome; do
        if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
    done
fi
if [ -z "$browser" ]; then
    say "no chromium found: sudo apt-get install chromium (or set CHROMIUM=/path/to/chrome)"
    exit 1
fi

start=$(date +%s.%N)
PY=.venv/bin/python
[ -x "$PY" ] || PY="${CONDA_PREFIX:-/nonexistent}/bin/python"
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token=$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
tmp=$(mktemp -d)
log="$tmp/lab.log"

PORT=$port JUPYTER_TOKEN=$token TEXTPOST_LAB_SKIP_SETUP=1 NO_BROWSER=1 JUPYTER_RUNTIME_DIR="$tmp/runtime" \
    setsid bash tools/lab.sh --FileCheckpoints.checkpoint_dir="$tmp/checkpoints" >"$log" 2>&1 </dev/null &
server=$!

stop() {
    curl -s -X POST -H "Authorization: token $token" "http://127.0.0.1:$port/api/shutdown" >/dev/null 2>&1 || true
    for _ in $(seq 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$server" 2>/dev/null && kill -TERM -- "-$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$tmp"
}
trap stop EXIT

for _ in $(seq 240); do                       # up to 120 s for the server to answer
    if curl -sf -H "Authorization: token $token" "http://127.0.0.1:$port/api/status" >/dev/null 2>&1; then break; fi
    kill -0 "$server" 2>/dev/null || { say "the lab server exited:"; cat "$log"; exit 1; }
    sleep 0.5
done
ready=$(date +%s.%N)

url="http://127.0.0.1:$port/lab/tree/notebooks/00_setup_check.ipynb?token=$token"
flags=(--headless --disable-gpu --no-first-run --no-default-browser-check --hide-scrollbars
       --user-data-dir="$tmp/profile" --window-size=1400,900 --virtual-time-budget=30000
       --screenshot="$out")
[ "$(id -u)" = 0 ] && flags+=(--no-sandbox)   # Chromium's sandbox refuses to run as root
timeout 180 "$browser" "${flags[@]}" "$url" >"$tmp/browser.log" 2>&1 || {
    say "chromium failed:"; tail -20 "$tmp/browser.log"; exit 1; }
done_=$(date +%s.%N)

[ -s "$out" ] || { say "no screenshot was written"; tail -20 "$tmp/browser.log"; exit 1; }
# the notebook was really requested from the server, with a kernel, by the browser
grep -q "Kernel started" "$log" && say "the browser opened notebook 00 and started its kernel" \
    || say "WARNING: no kernel was started: look at the screenshot"
say "screenshot: $out ($(stat -c %s "$out") bytes)"
"$PY" - "$start" "$ready" "$done_" <<'EOF'
import sys
start, ready, done = map(float, sys.argv[1:])
print(f"[check-browser] server ready in {ready - start:.1f} s, browser {done - ready:.1f} s, "
      f"total {done - start:.1f} s")
EOF
