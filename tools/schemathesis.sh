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

# shellcheck source=tools/serve_demo.sh
. tools/serve_demo.sh
serve_demo "${ST_PORT:-18089}" "${ST_DATABASE_URL:-}"

# shellcheck disable=SC2086
"$st" run "$base/api/openapi.json" --checks all --seed "${ST_SEED:-20261203}" --no-color ${ST_ARGS:-}
