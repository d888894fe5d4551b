#!/usr/bin/env bash
# README command 2: set up what is missing and run every test suite; exits non-zero on any failure.
#   1. Rasa side (Python 3.10): data validation, NLU components, actions, channel units
#   2. Backend (Python 3.11): on SQLite, then on a real PostgreSQL started on loopback
#   3. End to end: the whole stack started once (model trained once), spoken to over HTTP
#   4. Conversation tests: `rasa test core` stories against the trained model
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_venvs
load_env
if ! command -v chromium >/dev/null 2>&1; then  # browser tests drive Debian's Chromium
  log "installing Chromium from Debian's packages"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2 \
    || die "could not install chromium"
fi
export APP_ENV=test
cd "$ROOT"

failures=()
mkdir -p var
SUMMARY="$ROOT/var/test-output.log"
: > "$SUMMARY"
run_suite() {
  local name="$1"; shift
  log "suite: $name"
  "$@" 2>&1 | tee -a "$SUMMARY"
  local code=${PIPESTATUS[0]}
  if [ "$code" -ne 0 ] && [ "$code" -ne 5 ]; then failures+=("$name (exit $code)"); fi
}

run_suite "rasa data validate" "$RASA_VENV/bin/rasa" data validate --config config.yml \
  --domain domain.yml --data nlu_data --fail-on-warnings
rasa_side_tests=(); for d in tests/bot tests/actions tests/nlu_data tests/channels; do [ -d "$d" ] && rasa_side_tests+=("$d"); done
run_suite "rasa-side unit tests" "$RASA_VENV/bin/python" -m pytest -q -p no:cacheprovider \
  "${rasa_side_tests[@]}" --ignore-glob='*_e2e.py'

run_suite "backend tests on SQLite" env DATABASE_URL="sqlite:///$ROOT/var/test-backend.sqlite3" \
  "$BACKEND_VENV/bin/python" -m pytest -q -p no:cacheprovider tests/backend
PG_URL="$(bash scripts/postgres.sh --fresh)" || failures+=("postgres start")
if [ -n "${PG_URL:-}" ]; then
  run_suite "backend tests on PostgreSQL" env DATABASE_URL="$PG_URL" \
    "$BACKEND_VENV/bin/python" -m pytest -q -p no:cacheprovider tests/backend
fi

train_model
if [ -n "${PG_URL:-}" ]; then PG_URL="$(bash scripts/postgres.sh --fresh)"; fi  # e2e starts from an empty schema
run_suite "end-to-end tests (REST channel, backend, channels)" env TEST_DATABASE_URL="${PG_URL:-}" \
  "$BACKEND_VENV/bin/python" -m pytest -q -p no:cacheprovider tests/e2e \
  $(ls tests/channels/*_e2e.py 2>/dev/null)
run_suite "conversation tests (rasa test core)" "$RASA_VENV/bin/rasa" test core \
  --model models --stories tests/conversations --fail-on-prediction-errors --out var/rasa-test-results

# One closing line for every pytest suite together (pytest prints "N passed, M failed in …").
closing=$(grep -E '^[= ]*[0-9]+ (passed|failed|errors?)\b.* in [0-9.]+s' "$SUMMARY")
passed=$(echo "$closing" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
failed=$(echo "$closing" | grep -Eo '[0-9]+ (failed|errors?)' | awk '{s+=$1} END {print s+0}')
if [ "${#failures[@]}" -gt 0 ]; then
  log "FAILED suites:"; for f in "${failures[@]}"; do log "  - $f"; done
  echo "tests: $passed passed, $failed failed"
  exit 1
fi
log "all suites passed"
echo "tests: $passed passed, $failed failed"
