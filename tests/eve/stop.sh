#!/usr/bin/env bash
# Stops the Eve servers started by tests/eve/start.sh.
root=$(cd "$(dirname "$0")/../.." && pwd)
pids="$root/target/eve/pids"
[ -f "$pids" ] || exit 0
while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$pids"
rm -f "$pids"
