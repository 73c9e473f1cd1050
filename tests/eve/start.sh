#!/usr/bin/env bash
# Starts two Eve servers on 127.0.0.1 for the tests: one enforcing If-Match, one not.
# Installs them first into a virtual environment (target/eve/venv) from requirements.txt.
#
#   eval "$(tests/eve/start.sh)"   # exports HALCHEMY_EVE_URL and HALCHEMY_EVE_BLIND_URL
#   tests/eve/stop.sh              # stops them
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
state="$root/target/eve"
mkdir -p "$state"

python=${PYTHON:-python3}
if [ ! -x "$state/venv/bin/python" ]; then
  "$python" -m venv "$state/venv" >&2
fi
"$state/venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2

free_port() {
  "$state/venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() { # port, extra args...
  local port=$1; shift
  "$state/venv/bin/python" "$here/server.py" --port "$port" "$@" >"$state/eve-$port.log" 2>&1 &
  echo $! >>"$state/pids"
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "eve on port $port did not start; its log:" >&2
  cat "$state/eve-$port.log" >&2
  return 1
}

enforcing=$(free_port)
start "$enforcing"
blind=$(free_port)
start "$blind" --no-enforce
echo "export HALCHEMY_EVE_URL=http://127.0.0.1:$enforcing"
echo "export HALCHEMY_EVE_BLIND_URL=http://127.0.0.1:$blind"
