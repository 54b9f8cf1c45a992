#!/usr/bin/env bash
# Checks that the OpenAPI document tells the truth: serves the demo on the embedded default
# (SQLite, in a temporary folder), or on the empty database ST_DATABASE_URL names, and runs
# schemathesis with every check against it. Every
# request the document allows must be answered as the document says (a status it lists, a body
# of its schema), and every request it forbids must be refused.
#
# Usage: tools/schemathesis.sh [path to schemathesis' `st`]   (default: `st` on the PATH)
# Extra arguments to `st run` go in ST_ARGS, e.g. ST_ARGS="--max-examples 300".
#
# The rate limits are off, so that every generated request reaches the handlers (with them on,
# the answers are 429, which the document also lists). The seed is fixed, so that a run can be
# repeated exactly; change ST_SEED to explore further.
set -euo pipefail
cd "$(dirname "$0")/.."

st="${1:-st}"
command -v "$st" >/dev/null || { echo "schemathesis' st is missing: pip install schemathesis" >&2; exit 1; }

cargo build --locked -q -p styrhub-api --bin styrhub
dir="$(mktemp -d)"
port="${ST_PORT:-18089}"
base="http://127.0.0.1:$port"
database_url="${ST_DATABASE_URL:-sqlite://$dir/styrhub.db?mode=rwc}"
target/debug/styrhub serve --demo --database-url "$database_url" --addr "127.0.0.1:$port" \
  --rate-limit-per-minute 0 --token-rate-limit-per-minute 0 >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$dir"' EXIT

for _ in $(seq 1 120); do
  curl -sf "$base/readyz" >/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$dir/serve.log" >&2; exit 1; }
  sleep 0.5
done
curl -sf "$base/readyz" >/dev/null || { echo "the server did not get ready" >&2; cat "$dir/serve.log" >&2; exit 1; }

# shellcheck disable=SC2086
"$st" run "$base/api/openapi.json" --checks all --seed "${ST_SEED:-20261203}" --no-color ${ST_ARGS:-}
