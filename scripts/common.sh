#!/usr/bin/env bash
# Shared shell helpers: repo paths, finding Pythons, creating the two pinned venvs, loading env.
# Sourced by the other scripts; defines functions only (no side effects besides variables).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_DIR="$ROOT/.venv"
RASA_VENV="$VENV_DIR/rasa"
BACKEND_VENV="$VENV_DIR/backend"
TOOLS_VENV="$VENV_DIR/tools"
UV_VERSION="0.13.9"

log() { printf '\033[1;34m[tlcd]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[tlcd] %s\033[0m\n' "$*" >&2; exit 1; }

# find_python MAJOR.MINOR [min]: prints a python executable of that version (or newer with "min").
find_python() {
  local want="$1" mode="${2:-exact}" candidate version
  local candidates=()
  if command -v pyenv >/dev/null 2>&1; then
    local root; root="$(pyenv root)"
    for candidate in "$root"/versions/*/bin/python3; do candidates+=("$candidate"); done
  fi
  for candidate in python3.10 python3.11 python3.12 python3.13 python3; do
    command -v "$candidate" >/dev/null 2>&1 && candidates+=("$(command -v "$candidate")")
  done
  for candidate in "${candidates[@]}"; do
    [ -x "$candidate" ] || continue
    version="$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" || continue
    if [ "$mode" = exact ] && [ "$version" = "$want" ]; then echo "$candidate"; return 0; fi
    if [ "$mode" = min ] && "$candidate" -c "import sys; sys.exit(0 if sys.version_info[:2] >= tuple(map(int, '$want'.split('.'))) else 1)"; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

# ensure_uv: a pinned uv in its own small venv (fast, reproducible installs from the lock files).
ensure_uv() {
  UV="$TOOLS_VENV/bin/uv"
  if [ ! -x "$UV" ]; then
    local py; py="$(find_python 3.11 min)" || die "no Python >= 3.11 found"
    log "creating tools venv with uv $UV_VERSION"
    "$py" -m venv "$TOOLS_VENV" && "$TOOLS_VENV/bin/pip" install -q "uv==$UV_VERSION" || die "could not install uv"
  fi
}

# sync_venv DIR PYTHON LOCKFILE: creates DIR with PYTHON and installs exactly LOCKFILE (skipped when unchanged).
sync_venv() {
  local dir="$1" py="$2" lock="$3" stamp="$1/.lock.sha256" sum
  sum="$(sha256sum "$lock" | cut -d' ' -f1)"
  if [ -x "$dir/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then return 0; fi
  ensure_uv
  [ -x "$dir/bin/python" ] || { log "creating venv $dir"; "$UV" venv -q -p "$py" "$dir" || die "venv $dir failed"; }
  log "installing $(basename "$lock") into $dir"
  VIRTUAL_ENV="$dir" "$UV" pip sync -q "$lock" || die "install of $lock failed"
  echo "$sum" > "$stamp"
}

ensure_venvs() {
  local py310 py311
  py310="$(find_python 3.10)" || die "Rasa 3.6 needs Python 3.10: install it (pyenv install 3.10) and retry"
  py311="$(find_python 3.11 min)" || die "the backend needs Python >= 3.11"
  sync_venv "$RASA_VENV" "$py310" "$ROOT/requirements/rasa.lock"
  sync_venv "$BACKEND_VENV" "$py311" "$ROOT/requirements/backend.lock"
}

# load_env: .env when present, else .env.example; variables already set in the shell win.
load_env() {
  local file="$ROOT/.env"
  [ -f "$file" ] || file="$ROOT/.env.example"
  local line key value
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in ''|'#'*) continue ;; esac
    key="${line%%=*}"; value="${line#*=}"
    [[ "$key" =~ ^[A-Z_][A-Z0-9_]*$ ]] || continue
    if [ -z "${!key+x}" ]; then export "$key=$value"; fi
  done < "$file"
  export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
  mkdir -p "$ROOT/var"
}

# training_inputs_sha: one hash over everything a trained model depends on (config, domain,
# training data, and the code and tables of our NLU components, which Rasa does not fingerprint).
training_inputs_sha() {
  ( cd "$ROOT" && find config.yml domain.yml nlu_data bot/nlu -type f \( -name '*.yml' -o -name '*.py' \) \
      -not -path '*/__pycache__/*' | sort | xargs sha256sum | sha256sum | cut -d' ' -f1 )
}

# train_model: trains only when one of those inputs changed since the newest model in models/.
train_model() {
  local sum stamp="$ROOT/models/.inputs.sha256"
  sum="$(training_inputs_sha)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && ls "$ROOT"/models/*.tar.gz >/dev/null 2>&1; then
    log "the Rasa model is up to date (inputs unchanged)"
    return 0
  fi
  log "training the Rasa model (config, domain, data or NLU code changed)"
  ( cd "$ROOT" && "$RASA_VENV/bin/rasa" train --config config.yml --domain domain.yml \
      --data nlu_data --out models --quiet ) || die "rasa train failed"
  echo "$sum" > "$stamp"
}

migrate_db() {
  log "migrating the backend database"
  ( cd "$ROOT" && "$BACKEND_VENV/bin/alembic" -c backend/alembic.ini upgrade head ) || die "migration failed"
}

# wait_http URL SECONDS: waits until URL answers (any HTTP status) or fails.
wait_http() {
  local url="$1" limit="${2:-120}" start=$SECONDS
  until curl -s -o /dev/null "$url"; do
    [ $((SECONDS - start)) -ge "$limit" ] && return 1
    sleep 0.5
  done
}
