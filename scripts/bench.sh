#!/usr/bin/env bash
# Runs the benchmarks (each writes bench/results/<name>.json). Trains the model first if needed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_venvs
load_env
train_model
cd "$ROOT"
status=0
for bench in bench/qa.py bench/channels.py; do
  [ -f "$bench" ] || continue
  module="$(echo "${bench%.py}" | tr / .)"
  log "benchmark: $module"
  "$BACKEND_VENV/bin/python" -m "$module" || status=1
done
exit $status
