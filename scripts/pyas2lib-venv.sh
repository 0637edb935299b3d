#!/usr/bin/env bash
# Creates (once) the virtualenv with pyas2lib, the independent AS2 peer the transport tests talk to,
# and prints its python path on stdout. Idempotent: a venv that already imports pyas2lib 1.4.4 is reused.
# The venv lives in target/pyas2lib-venv unless PYAS2LIB_VENV names another directory.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${PYAS2LIB_VENV:-$root/target/pyas2lib-venv}"
py="$venv/bin/python"
if [ -x "$py" ] && "$py" -c 'import importlib.metadata as m, sys; sys.exit(m.version("pyas2lib") != "1.4.4")' 2>/dev/null; then
  echo "$py"
  exit 0
fi
mkdir -p "$(dirname "$venv")"
# A lock directory keeps parallel test processes from building the same venv at once.
lock="$venv.lock"
until mkdir "$lock" 2>/dev/null; do sleep 1; done
trap 'rmdir "$lock"' EXIT
if ! { [ -x "$py" ] && "$py" -c 'import importlib.metadata as m, sys; sys.exit(m.version("pyas2lib") != "1.4.4")' 2>/dev/null; }; then
  python3 -m venv "$venv" >&2
  "$py" -m pip install --quiet --disable-pip-version-check "pyas2lib==1.4.4" >&2
fi
echo "$py"
