#!/usr/bin/env bash
# Requests per second and the server's CPU per request (user + system, from /proc) of
# `styrhub serve` under wrk, kept answers and rate limits off: the figure a shared machine blurs
# least. Run after ../shared/bench/side_by_side.sh, whose database (sbs_hub) and wrk scripts
# (random series per request) it reuses.
# Usage: cpu_per_request.sh BIN LUA PATH   e.g. target/release/styrhub /tmp/sbs/get.lua /
#        (GraphQL: /tmp/sbs/post.lua /graphql). DB=postgres://… sets the database.
set -eu
BIN=$1; LUA=$2; URLP=$3
DB=${DB:-postgres://postgres@127.0.0.1:5432/sbs_hub}
PORT=${PORT:-39123}
STYRHUB_DATABASE_URL=$DB "$BIN" serve --addr 127.0.0.1:$PORT --rate-limit-per-minute 0 --token-rate-limit-per-minute 0 \
  --series-cache-ttl-ms 0 --graphql-cache-ttl-ms 0 >/tmp/cpu_per_request.log 2>&1 & SP=$!
trap 'kill $SP 2>/dev/null' EXIT
for _ in $(seq 1 50); do curl -fs -o /dev/null http://127.0.0.1:$PORT/healthz && break; sleep 0.2; done
wrk -t2 -c16 -d2s -s "$LUA" http://127.0.0.1:$PORT"$URLP" >/dev/null  # warm-up
t0=$(awk '{print $14+$15}' /proc/$SP/stat)
out=$(wrk -t2 -c16 -d8s --latency -s "$LUA" http://127.0.0.1:$PORT"$URLP")
t1=$(awk '{print $14+$15}' /proc/$SP/stat)
n=$(echo "$out" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
rps=$(echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p')
# utime and stime are in clock ticks of 1/100 s.
echo "rps=$rps server_cpu_us_per_req=$(python3 -c "print(round(($t1-$t0)*10000/$n,1))")"
