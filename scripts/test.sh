#!/usr/bin/env bash
# Runs every check CI runs, on a fresh machine: formatting, lints, all tests (against real
# PostgreSQL and RabbitMQ, started here when they are not running), and a bounded fuzz run.
#
#   scripts/test.sh                 # everything (what .ci/run calls)
#   FUZZ_SECONDS=0 scripts/test.sh  # skip fuzzing
#   FUZZ_SECONDS=14400 scripts/fuzz.sh   # long fuzzing runs live in scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

wait_for_port() { # host port seconds
  local host=$1 port=$2 secs=$3
  for _ in $(seq "$secs"); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then return 0; fi
    sleep 1
  done
  return 1
}

start_postgres() {
  if wait_for_port 127.0.0.1 5432 1; then return 0; fi
  log "starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    for v in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
    done
  else
    echo "PostgreSQL is not installed; installing it" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    for v in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
    done
  fi
  wait_for_port 127.0.0.1 5432 60 || { echo "PostgreSQL did not start" >&2; exit 2; }
}

start_rabbitmq() {
  if wait_for_port 127.0.0.1 5672 1; then return 0; fi
  log "starting RabbitMQ"
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
  fi
  rabbitmq-server -detached || true
  wait_for_port 127.0.0.1 5672 120 || { echo "RabbitMQ did not start" >&2; exit 2; }
}

# The black-box serve tests leave their per-run databases behind (a test may restart a
# gateway on the same one); drop those of earlier runs so they do not pile up.
drop_old_test_databases() {
  command -v psql >/dev/null 2>&1 || return 0
  psql -h 127.0.0.1 -U postgres -d postgres -Atc \
    "SELECT datname FROM pg_database WHERE datname LIKE 'cg\\_serve\\_%'" 2>/dev/null |
    while read -r db; do
      psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
    done
}

start_postgres
start_rabbitmq
drop_old_test_databases

log "cargo fmt --check"
cargo fmt --all --check

log "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

log "cargo test"
cargo test --workspace --locked

FUZZ_SECONDS=${FUZZ_SECONDS:-30}
if [ "$FUZZ_SECONDS" -gt 0 ] && [ -x scripts/fuzz.sh ]; then
  log "fuzzing ${FUZZ_SECONDS}s per target"
  scripts/fuzz.sh "$FUZZ_SECONDS"
fi

log "all checks passed"
