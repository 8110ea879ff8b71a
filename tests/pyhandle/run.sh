#!/usr/bin/env bash
# Drives a real secondary node with pyhandle itself (issue 11, item 4): installs pyhandle into a
# virtual environment from the Python package index, starts a node on a scratch database
# (PostgreSQL on 127.0.0.1:5432, as the integration tests use) and runs tests/pyhandle/driver.py.
#
# When pyhandle cannot be installed (no route to the package index), this script prints why and
# exits 0 with SKIPPED: the jest test tests/integration/handle-rest-pyhandle-wire.spec.ts sends the
# same requests pyhandle sends and runs everywhere. PYHANDLE_VENV picks the venv directory.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv="${PYHANDLE_VENV:-.data/pyhandle-venv}"
if ! "$venv/bin/python" -c 'import pyhandle' 2>/dev/null; then
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    echo "SKIPPED: python3 -m venv failed (is the python3-venv package installed?)"
    exit 0
  fi
  if ! timeout 180 "$venv/bin/pip" install --quiet --disable-pip-version-check pyhandle; then
    echo "SKIPPED: pyhandle could not be installed from the Python package index (no route to it from here?)."
    echo "         tests/integration/handle-rest-pyhandle-wire.spec.ts sends the same requests and ran under jest."
    exit 0
  fi
fi
echo "pyhandle $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("pyhandle"))')"

out="$(mktemp)"
fifo="$(mktemp -u)"
mkfifo "$fifo"
# The node stops (and drops its database) when its stdin closes: keep the fifo open until the end.
node -r ts-node/register/transpile-only -r tsconfig-paths/register tests/pyhandle/serve.ts <"$fifo" >"$out" &
node_pid=$!
exec 3>"$fifo"
cleanup() {
  exec 3>&- || true
  wait "$node_pid" 2>/dev/null || true
  rm -f "$out" "$fifo"
}
trap cleanup EXIT

for _ in $(seq 1 600); do
  if [ -s "$out" ]; then break; fi
  if ! kill -0 "$node_pid" 2>/dev/null; then echo "the node did not start"; exit 1; fi
  sleep 0.1
done
line="$(head -n 1 "$out")"
json() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$line" "$1"; }
"$venv/bin/python" tests/pyhandle/driver.py "$(json baseUrl)" "$(json identity)" "$(json password)" "$(json foreignPrefix)"
