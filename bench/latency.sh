#!/usr/bin/env bash
# The auction with a remote database (BENCHMARKS.md, "Round trips per
# request"): the release host adds LATENCY before every SQLite statement
# (--sqlite-latency), as libSQL/Turso would with one network round trip
# per statement. For each latency (0, 1 ms, 5 ms by default): auctions with
# the internal DSP and 1,000 campaigns at 1 and 8 connections.
# Needs: wrk, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNTIMES=host
source bench/lib.sh
LATENCIES=${LATENCIES:-0ms 1ms 5ms}
KEY=pk_demo_live_9b1d3f5a7c2e4b6d8f0a1c3e5b7d9f2a
export PUBLISHER_KEY=$KEY TOPIC="running shoes"
build_app

work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
python3 bench/demand.py 1000 >"$work/demand.sql"
APP_VARIABLES=(admin_token=bench dashboard_jwt_secret=bench tracking_secret=bench)
sqlite=()
for file in migrations/*.sql; do sqlite+=(--sqlite "@$file"); done
sqlite+=(--sqlite @seed/dev.sql --sqlite "@$work/demand.sql")
port=3207
for latency in $LATENCIES; do
    start_app host $port "$work/$latency" "$work/$latency.log" "${sqlite[@]}" --sqlite-latency "$latency"
    for connections in 1 8; do
        measure "${BASE[host]}" "$connections" bench/bid.lua >/dev/null
        read -r rps p50 p95 p99 < <(for _ in $(seq 1 "$ROUNDS"); do
            measure "${BASE[host]}" "$connections" bench/bid.lua; done | median)
        echo "latency $latency per statement, $connections connection(s): $rps auctions/s, p50 $p50 ms, p95 $p95 ms, p99 $p99 ms"
    done
    kill %1 2>/dev/null || true
    wait 2>/dev/null || true
    port=$((port + 1))
done
