#!/usr/bin/env bash
# S2S and insights benchmarks (BENCHMARKS.md, "S2S events and insights"),
# on the release host:
#   (1) insights latency over EVENTS raw events of the last 30 days
#       (bench/traffic.py writes them through the real tables and triggers):
#       wrk -t1 -c1 per query, p50/p95/p99;
#   (2) single-event collect throughput: wrk -t1 -c8, POST /v1/api/collect.
# Bounded loads on 127.0.0.1, median of ROUNDS runs.
# Needs: wrk (apt-get install wrk), python3.
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-10000000}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
PORT=3203
BASE=http://127.0.0.1:$PORT
ADVERTISER_KEY=ak_demo_7f3c9a2e4b1d4e6f8a0b2c4d6e8f0a1b
PARTNER_TOKEN=pt_demo_3a5c7e9b1d2f4a6c8e0b2d4f6a8c1e3b
export ADVERTISER_KEY PARTNER_TOKEN

command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
rustup toolchain install >/dev/null
cargo build --quiet --release -p adspin-host
cargo build --quiet --release --target wasm32-wasip2 -p platform -p advertiser-api -p admin -p ssp -p thrad-dsp -p events

work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
python3 bench/traffic.py "$EVENTS" >"$work/traffic.sql"

flags=()
for file in migrations/*.sql; do flags+=(--sqlite "@$file"); done
started=$(date +%s)
target/release/adspin-host up --listen 127.0.0.1:$PORT --state-dir "$work/state" "${flags[@]}" \
    --sqlite @seed/dev.sql --sqlite "@$work/traffic.sql" \
    --variable admin_token=bench --variable dashboard_jwt_secret=bench --variable tracking_secret=bench \
    --variable v1_requests_per_hour=100000000 >"$work/host.out" 2>"$work/host.log" &
for _ in $(seq 1 3000); do curl -fs $BASE/healthz >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs $BASE/healthz >/dev/null || { echo "the host did not start" >&2; tail "$work/host.log" >&2; exit 1; }
echo "loaded $EVENTS events in $(($(date +%s) - started)) s; database $(du -sh "$work/state" | cut -f1)"

# "requests/s p50_ms p95_ms p99_ms" of one wrk run (non-2xx answers are an error).
measure() {
    local connections=$1 script=$2
    wrk -t1 -c"$connections" -d"$DURATION" --latency -s "$script" $BASE | awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        /^p95_ms/ { p95 = $2 }
        /^Requests\/sec/ { rps = $2 }
        /Non-2xx/ { bad = $NF }
        END { if (bad > 0) { print "errors " bad > "/dev/stderr"; exit 1 } printf "%.0f %.2f %.2f %.2f\n", rps, p50, p95, p99 }'
}

# Median of ROUNDS runs of `measure`, field by field.
median_of() {
    for _ in $(seq 1 "$ROUNDS"); do measure "$@"; done | awk '
        { for (i = 1; i <= 4; i++) v[i, NR] = $i + 0 }
        END {
            m = int((NR + 1) / 2); line = ""
            for (i = 1; i <= 4; i++) {
                for (r = 1; r <= NR; r++) a[r] = v[i, r]
                for (r = 2; r <= NR; r++) { x = a[r]; j = r - 1; while (j > 0 && a[j] > x) { a[j + 1] = a[j]; j-- } a[j + 1] = x }
                line = line (i > 1 ? " " : "") a[m]
            }
            print line
        }'
}

now=$(date +%s)
trailing="%7B%22type%22%3A%22time_range%22%2C%22start_time%22%3A$((now - 30 * 86400))%2C%22end_time%22%3A$now%7D"
all="fields%5B%5D=impressions&fields%5B%5D=clicks&fields%5B%5D=spend&fields%5B%5D=conversions&fields%5B%5D=ctr&fields%5B%5D=cpc"
queries=(
    "account, daily, last 30 days|/v1/ad_account/insights?limit=100&$all"
    "campaign, daily, last 30 days|/v1/campaigns/b0000000-0000-4000-8100-000000000007/insights?limit=100&$all"
    "account by ad (200 rows), whole window|/v1/ad_account/insights?aggregation_level=ad&time_granularity=none&limit=2000&$all"
    "account, daily, trailing 30x24 hours (partial days from hourly rollups)|/v1/ad_account/insights?limit=100&$all&time_ranges%5B%5D=$trailing"
)
probe=$(curl -fs "$BASE${queries[0]#*|}" -H "Authorization: Bearer $ADVERTISER_KEY")
echo "$probe" | grep -q '"impressions"' || { echo "no insights rows: $probe" >&2; exit 1; }

for entry in "${queries[@]}"; do
    name=${entry%%|*}
    export QUERY=${entry#*|}
    measure 1 bench/insights.lua >/dev/null
    read -r rps p50 p95 p99 < <(median_of 1 bench/insights.lua)
    echo "(1) insights, $name: $rps requests/s, p50 $p50 ms, p95 $p95 ms, p99 $p99 ms"
done

measure 8 bench/collect.lua >/dev/null
read -r rps p50 p95 p99 < <(median_of 8 bench/collect.lua)
echo "(2) collect, 8 connections: $rps events/s, p50 $p50 ms, p95 $p95 ms, p99 $p99 ms"
