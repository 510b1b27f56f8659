#!/usr/bin/env bash
# S2S and insights benchmarks (BENCHMARKS.md, "S2S events and insights") on
# the runtimes of RUNTIMES (bench/lib.sh: the local host, and real Spin when
# SPIN is set):
#   (1) insights latency over EVENTS raw events of the last 30 days
#       (bench/traffic.py writes them through the real tables and triggers):
#       wrk -t1 -c1 per query, p50/p95/p99;
#   (2) single-event collect throughput: wrk -t1 -c8, POST /v1/api/collect.
# Bounded loads on 127.0.0.1, median of ROUNDS rounds, the runtimes
# alternating within each round. The events are loaded once (python3's
# sqlite3, the migrations first) and each runtime starts on a copy.
# Needs: wrk (apt-get install wrk), python3.
#   SPIN=../shared/tools/spin ./bench/s2s.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

EVENTS=${EVENTS:-10000000}
ADVERTISER_KEY=ak_demo_7f3c9a2e4b1d4e6f8a0b2c4d6e8f0a1b
PARTNER_TOKEN=pt_demo_3a5c7e9b1d2f4a6c8e0b2d4f6a8c1e3b
export ADVERTISER_KEY PARTNER_TOKEN

build_app

work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
started=$(date +%s)
python3 bench/traffic.py "$EVENTS" >"$work/traffic.sql"
python3 - "$work/loaded.db" migrations/*.sql seed/dev.sql "$work/traffic.sql" <<'PY'
import sqlite3, sys
database = sqlite3.connect(sys.argv[1], isolation_level=None)
for path in sys.argv[2:]:
    database.executescript(open(path).read())
database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
database.close()
PY
echo "loaded $EVENTS events in $(($(date +%s) - started)) s; database $(du -sh "$work/loaded.db" | cut -f1)"

APP_VARIABLES=(admin_token=bench dashboard_jwt_secret=bench tracking_secret=bench
    v1_requests_per_hour=100000000)
sqlite=()
for file in migrations/*.sql; do sqlite+=(--sqlite "@$file"); done
sqlite+=(--sqlite @seed/dev.sql)
port=3203
for runtime in $RUNTIMES; do
    mkdir -p "$work/$runtime"
    cp "$work/loaded.db" "$work/$runtime/sqlite_db.db"
    start_app "$runtime" $port "$work/$runtime" "$work/$runtime.log" "${sqlite[@]}"
    port=$((port + 10))
done
rm "$work/loaded.db" "$work/traffic.sql"

now=$(date +%s)
trailing="%7B%22type%22%3A%22time_range%22%2C%22start_time%22%3A$((now - 30 * 86400))%2C%22end_time%22%3A$now%7D"
all="fields%5B%5D=impressions&fields%5B%5D=clicks&fields%5B%5D=spend&fields%5B%5D=conversions&fields%5B%5D=ctr&fields%5B%5D=cpc"
queries=(
    "account, daily, last 30 days|/v1/ad_account/insights?limit=100&$all"
    "campaign, daily, last 30 days|/v1/campaigns/b0000000-0000-4000-8100-000000000007/insights?limit=100&$all"
    "account by ad (200 rows), whole window|/v1/ad_account/insights?aggregation_level=ad&time_granularity=none&limit=2000&$all"
    "account, daily, trailing 30x24 hours (partial days from hourly rollups)|/v1/ad_account/insights?limit=100&$all&time_ranges%5B%5D=$trailing"
)
for runtime in $RUNTIMES; do
    probe=$(curl -fs "${BASE[$runtime]}${queries[0]#*|}" -H "Authorization: Bearer $ADVERTISER_KEY")
    echo "$probe" | grep -q '"impressions"' || { echo "no insights rows on $runtime: $probe" >&2; exit 1; }
done

for entry in "${queries[@]}"; do
    export QUERY=${entry#*|}
    compare "(1) insights, ${entry%%|*}" 1 bench/insights.lua
done
compare "(2) collect, 8 connections" 8 bench/collect.lua
