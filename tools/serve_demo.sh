# Sourced by the tools that check the running service (schemathesis.sh, odata_client.sh):
# `serve_demo PORT DATABASE_URL [serve flags …]` builds the binary, serves the demo on
# 127.0.0.1:PORT (rate limits off, so that every request reaches the handlers), waits until it
# is ready, sets `base` to its URL, and stops it when the calling script exits. An empty
# DATABASE_URL means a new SQLite file in a temporary folder.
serve_demo() {
  local port="$1" database_url="$2"
  shift 2
  cargo build --locked -q -p styrhub-api --bin styrhub
  demo_dir="$(mktemp -d)"
  base="http://127.0.0.1:$port"
  target/debug/styrhub serve --demo --database-url "${database_url:-sqlite://$demo_dir/styrhub.db?mode=rwc}" \
    --addr "127.0.0.1:$port" --rate-limit-per-minute 0 --token-rate-limit-per-minute 0 "$@" \
    >"$demo_dir/serve.log" 2>&1 &
  demo_server=$!
  trap 'kill "$demo_server" 2>/dev/null || true; wait "$demo_server" 2>/dev/null || true; rm -rf "$demo_dir"' EXIT
  for _ in $(seq 1 120); do
    curl -sf "$base/readyz" >/dev/null && return 0
    kill -0 "$demo_server" 2>/dev/null || { cat "$demo_dir/serve.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "the server did not get ready" >&2
  cat "$demo_dir/serve.log" >&2
  exit 1
}
