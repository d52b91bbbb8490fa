#!/usr/bin/env bash
# Runs the browser test of the demo: installs Chromium (Debian's) if missing,
# installs playwright-core with `npm ci`, builds and starts the demo on a
# loopback port the kernel picks (127.0.0.1:0; the port is read from the
# demo's first line), runs demo.mjs against it and always stops the demo.
# The exit code is the test's (or the first failing setup step's).
#
# Environment:
#   DEMO_PROFILE  cargo profile for the demo (default `test`, which reuses what
#                 `cargo test --all-features` built; `dev` for a plain
#                 `cargo run --example demo --features axum`)
#   DEMO_WAIT     seconds to wait for the demo to answer (default 60)
#   CHROMIUM      the browser demo.mjs drives (default /usr/bin/chromium)
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tests/browser
start=$(date +%s)
elapsed() { echo "$(( $(date +%s) - start )) s"; }

if [ ! -x /usr/bin/chromium ]; then
  echo "browser test: installing chromium"
  if [ "$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # No recommends: they bring a print system, systemd and more that a
  # headless browser does not use; fonts-liberation gives pages legible text.
  $sudo apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
  echo "browser test: chromium installed ($(elapsed))"
fi
/usr/bin/chromium --version 2>/dev/null || true

echo "browser test: npm ci"
(cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
echo "browser test: npm ci done ($(elapsed))"

profile=${DEMO_PROFILE:-test}
echo "browser test: building the demo (profile $profile)"
cargo build --profile "$profile" --example demo --features axum
echo "browser test: demo built ($(elapsed))"

port=
log=$(mktemp -t sealed-session-demo.XXXXXX)
demo_pid=
stop_demo() {
  if [ -n "$demo_pid" ] && kill -0 "$demo_pid" 2>/dev/null; then
    kill -- "-$demo_pid" 2>/dev/null || kill "$demo_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$demo_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 -- "-$demo_pid" 2>/dev/null || true
  fi
  demo_pid=
  rm -f "$log"
}
trap stop_demo EXIT
trap 'exit 130' INT TERM

# In its own process group, so that stopping it stops whatever cargo started.
ADDR="127.0.0.1:0" setsid cargo run --quiet --profile "$profile" --example demo --features axum >"$log" 2>&1 &
demo_pid=$!

# The demo prints `sealed-session demo listening on http://localhost:PORT`
# once its listener is bound; from then on the kernel queues connections.
listening() {
  port=$(sed -n 's|^sealed-session demo listening on http://localhost:\([0-9][0-9]*\)$|\1|p' "$log" | head -1)
  [ -n "$port" ]
}
wait_max=${DEMO_WAIT:-60}
deadline=$(( $(date +%s) + wait_max ))
until listening; do
  if ! kill -0 "$demo_pid" 2>/dev/null; then
    echo "browser test: the demo exited before answering:" >&2
    cat "$log" >&2
    exit 1
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "browser test: the demo did not start listening within $wait_max s:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.5
done
echo "browser test: demo listening on port $port ($(elapsed))"

status=0
DEMO_URL="http://localhost:$port" node "$here/demo.mjs" || status=$?
if [ "$status" -ne 0 ]; then
  echo "browser test: FAILED (exit $status); demo output:" >&2
  cat "$log" >&2
fi
echo "browser test: finished in $(elapsed)"
exit "$status"
