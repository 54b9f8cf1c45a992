#!/usr/bin/env bash
# Reads the OData service with an independent OData v4 client library (python-odata): serves
# the demo on the embedded default (SQLite, in a temporary folder), or on the empty database
# OD_DATABASE_URL names, with small pages (500 rows) so that every large set takes several, and
# runs tools/odata_client.py against it: the client reflects $metadata, reads every entity set
# to its end through @odata.nextLink, and must get the same rows as the CSV export.
#
# Usage: tools/odata_client.sh [path to a python3 that has python-odata]   (default: python3)
set -euo pipefail
cd "$(dirname "$0")/.."

python="${1:-python3}"
"$python" -c 'import odata' 2>/dev/null || { echo "python-odata is missing: pip install python-odata" >&2; exit 1; }

cargo build --locked -q -p styrhub-api --bin styrhub
dir="$(mktemp -d)"
port="${OD_PORT:-18090}"
base="http://127.0.0.1:$port"
database_url="${OD_DATABASE_URL:-sqlite://$dir/styrhub.db?mode=rwc}"
target/debug/styrhub serve --demo --database-url "$database_url" --addr "127.0.0.1:$port" \
  --rate-limit-per-minute 0 --token-rate-limit-per-minute 0 --odata-page-size 500 >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$dir"' EXIT

for _ in $(seq 1 120); do
  curl -sf "$base/readyz" >/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$dir/serve.log" >&2; exit 1; }
  sleep 0.5
done
curl -sf "$base/readyz" >/dev/null || { echo "the server did not get ready" >&2; cat "$dir/serve.log" >&2; exit 1; }

"$python" tools/odata_client.py "$base"
