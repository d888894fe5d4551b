#!/usr/bin/env bash
# README command 1: set up what is missing and run the whole stack on the embedded default
# (SQLite, in-memory lock store). Ctrl-C stops everything.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_venvs
load_env
train_model
migrate_db
# The early-year survey, imported and opened once (staff changes are kept on later starts).
( cd "$ROOT" && "$BACKEND_VENV/bin/python" -m backend.app.cli import-survey surveys/khao_sat_dau_nam.yml \
  --open --if-absent ) || die "could not import surveys/khao_sat_dau_nam.yml"

pids=()
stop_all() {
  log "stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  exit 0
}
trap stop_all INT TERM

cd "$ROOT"
mkdir -p var/log
# Rasa's SQL tracker store and event broker commit once per event: WAL mode (kept in the file)
# makes each commit one append and lets the backend read the events while Rasa writes.
for db in "$RASA_TRACKER_DB" "$RASA_EVENTS_DB"; do
  "$BACKEND_VENV/bin/python" -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=WAL")' "$db"
done
"$RASA_VENV/bin/python" -m rasa_sdk --actions actions --port "$ACTION_SERVER_PORT" \
  > var/log/actions.log 2>&1 &
pids+=($!)
"$RASA_VENV/bin/rasa" run --enable-api -i "$RASA_HOST" -p "$RASA_PORT" --model models \
  --endpoints "${RASA_ENDPOINTS:-endpoints.yml}" --credentials credentials.yml --cors "*" \
  ${RASA_AUTH_TOKEN:+--auth-token "$RASA_AUTH_TOKEN"} > var/log/rasa.log 2>&1 &
pids+=($!)
"$BACKEND_VENV/bin/uvicorn" backend.app.main:app --host "$BACKEND_HOST" --port "$BACKEND_PORT" \
  > var/log/backend.log 2>&1 &
pids+=($!)

wait_http "http://$RASA_HOST:$RASA_PORT/" 180 || { log "Rasa did not start: see var/log/rasa.log"; stop_all; }
wait_http "http://$BACKEND_HOST:$BACKEND_PORT/healthz" 60 || { log "backend did not start: see var/log/backend.log"; stop_all; }
cat <<MSG

  Trợ lý Công đoàn is running (logs in var/log/):
    REST channel   http://$RASA_HOST:$RASA_PORT/webhooks/rest/webhook
    Rasa API       http://$RASA_HOST:$RASA_PORT/
    Action server  http://127.0.0.1:$ACTION_SERVER_PORT/health
    Backend        http://$BACKEND_HOST:$BACKEND_PORT/   (health: /healthz, API docs: /docs)
  Press Ctrl-C to stop.

MSG
wait
