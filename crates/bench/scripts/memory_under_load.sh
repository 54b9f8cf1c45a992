#!/usr/bin/env bash
# The resident memory of `styrhub serve` (its defaults, rate limits off) every 5 s under wrk.
# Run after ../shared/bench/side_by_side.sh, whose database (sbs_hub) and wrk scripts it reuses.
# Usage: memory_under_load.sh BIN LUA PATH SECONDS   e.g. target/release/styrhub /tmp/sbs/get.lua / 60
set -eu
BIN=$1; LUA=$2; URLP=$3; SECS=$4
DB=${DB:-postgres://postgres@127.0.0.1:5432/sbs_hub}
PORT=${PORT:-39125}
STYRHUB_DATABASE_URL=$DB "$BIN" serve --addr 127.0.0.1:$PORT --rate-limit-per-minute 0 --token-rate-limit-per-minute 0 \
  >/tmp/memory_under_load.log 2>&1 & SP=$!
trap 'kill $SP 2>/dev/null' EXIT
for _ in $(seq 1 50); do curl -fs -o /dev/null http://127.0.0.1:$PORT/healthz && break; sleep 0.2; done
rss() { awk '/VmRSS/{print $2}' /proc/$SP/status; }
echo "idle rss_kb=$(rss)"
wrk -t2 -c16 -d"${SECS}s" -s "$LUA" http://127.0.0.1:$PORT"$URLP" >/tmp/memory_under_load.wrk & W=$!
for t in $(seq 5 5 "$SECS"); do sleep 5; echo "t=${t}s rss_kb=$(rss)"; done
wait $W
grep "Requests/sec\|requests in" /tmp/memory_under_load.wrk
echo "after rss_kb=$(rss)"
