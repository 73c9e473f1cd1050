#!/usr/bin/env bash
# Runs the Eve tests locally: starts Eve, runs `cargo test --test eve`, stops Eve.
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(tests/eve/start.sh)"
trap tests/eve/stop.sh EXIT
HALCHEMY_EVE_REQUIRED=1 cargo test --test eve -- --nocapture "$@"
