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

# shellcheck source=tools/serve_demo.sh
. tools/serve_demo.sh
serve_demo "${OD_PORT:-18090}" "${OD_DATABASE_URL:-}" --odata-page-size 500

"$python" tools/odata_client.py "$base"
