#!/usr/bin/env bash
# SSP benchmarks (BENCHMARKS.md, "SSP auction"), on the release host:
#   (1) auctions per second with only the internal DSP and 1,000 active campaigns;
#   (2) auction overhead above the slowest in-time DSP (a fake DSP answering in 50 ms);
#   (3) a hung DSP (never answers, 200 ms deadline): how long after its deadline the auction ends.
# Bounded loads with wrk (CONNECTIONS connections, DURATION, median of ROUNDS runs) on 127.0.0.1.
# Needs: wrk (apt-get install wrk), python3 (writes the demand). The fake
# DSP is tests/examples/fake_dsp.rs.
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS=${CONNECTIONS:-8}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
CAMPAIGNS=${CAMPAIGNS:-1000}
PORT=3201
DSP_PORT=3202
KEY=pk_demo_live_9b1d3f5a7c2e4b6d8f0a1c3e5b7d9f2a
ADMIN=bench-admin-token
BASE=http://127.0.0.1:$PORT

command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
rustup toolchain install >/dev/null
cargo build --quiet --release -p adspin-host
cargo build --quiet --release --target wasm32-wasip2 -p platform -p advertiser-api -p admin -p ssp -p thrad-dsp -p events
cargo build --quiet --release -p adspin-e2e --example fake_dsp
FAKE_DSP=target/release/examples/fake_dsp

work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
python3 bench/demand.py "$CAMPAIGNS" >"$work/demand.sql"

flags=()
for file in migrations/*.sql; do flags+=(--sqlite "@$file"); done
target/release/adspin-host up --listen 127.0.0.1:$PORT --state-dir "$work/state" "${flags[@]}" \
    --sqlite @seed/dev.sql --sqlite "@$work/demand.sql" \
    --variable admin_token=$ADMIN --variable dashboard_jwt_secret=bench --variable tracking_secret=bench \
    --variable "dsp_allowed_hosts=http://127.0.0.1:*" >"$work/host.out" 2>"$work/host.log" &
for _ in $(seq 1 300); do curl -fs $BASE/healthz >/dev/null 2>&1 && break; sleep 0.2; done

# Prints "requests/s p50_ms p99_ms" of one wrk run against the SSP, or
# against URL $2 when given (non-2xx answers are an error).
measure() {
    PUBLISHER_KEY=$KEY TOPIC="$1" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/bid.lua "${2:-$BASE}" | awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        /^Requests\/sec/ { rps = $2 }
        /Non-2xx/ { bad = $NF }
        END { if (bad > 0) { print "errors " bad > "/dev/stderr"; exit 1 } printf "%.0f %.2f %.2f\n", rps, p50, p99 }'
}

admin() { curl -fs -X "$1" "$BASE$2" -H "Authorization: Bearer $ADMIN" -d "$3" >/dev/null; }

probe=$(curl -s $BASE/api/v1/ssp/bid-request -H "thrad-api-key: $KEY" \
    -d '{"userId":"u","chatId":"probe","messages":[{"role":"user","content":"I am looking for running shoes"},{"role":"assistant","content":"Sure"}]}')
echo "$probe" | grep -q '"dsp":"thrad_dsp"' || { echo "no internal bid: $probe" >&2; exit 1; }

# Median of ROUNDS runs of `measure`, field by field.
median_of() {
    for _ in $(seq 1 "$ROUNDS"); do measure "$@"; done | awk '
        { for (i = 1; i <= 3; i++) v[i, NR] = $i + 0 }
        END {
            m = int((NR + 1) / 2); line = ""
            for (i = 1; i <= 3; i++) {
                for (r = 1; r <= NR; r++) a[r] = v[i, r]
                for (r = 2; r <= NR; r++) { x = a[r]; j = r - 1; while (j > 0 && a[j] > x) { a[j + 1] = a[j]; j-- } a[j + 1] = x }
                line = line (i > 1 ? " " : "") a[m]
            }
            print line
        }'
}

echo "warming up" >&2
measure "running shoes" >/dev/null
read -r rps p50 p99 < <(median_of "running shoes")
echo "(1) internal DSP, $CAMPAIGNS campaigns: $rps auctions/s, p50 $p50 ms, p99 $p99 ms"

admin PUT /admin/dsps/thrad_dsp '{"name":"Thrad DSP","bid_url":"http://thrad-dsp.spin.internal/bid","render_url":"http://thrad-dsp.spin.internal/render-ad","enabled":false}'
$FAKE_DSP $DSP_PORT 50 >/dev/null &
sleep 0.5
admin PUT /admin/dsps/slow_dsp "{\"name\":\"Slow\",\"bid_url\":\"http://127.0.0.1:$DSP_PORT/bid\",\"timeout_ms\":1000}"
read -r rps p50 p99 < <(median_of "anything")
# The fake DSP itself, called directly with the same load: what the auction adds is the difference.
read -r _ dsp50 dsp99 < <(median_of "anything" "http://127.0.0.1:$DSP_PORT")
echo "(2) one DSP answering in 50 ms: $rps auctions/s, p50 $p50 ms, p99 $p99 ms; the DSP alone p50 $dsp50 ms, p99 $dsp99 ms;" \
    "overhead p50 $(awk -v a="$p50" -v b="$dsp50" 'BEGIN{print a-b}') ms, p99 $(awk -v a="$p99" -v b="$dsp99" 'BEGIN{print a-b}') ms"

$FAKE_DSP $((DSP_PORT + 1)) -1 >/dev/null &
sleep 0.5
admin PUT /admin/dsps/slow_dsp "{\"name\":\"Hung\",\"bid_url\":\"http://127.0.0.1:$((DSP_PORT + 1))/bid\",\"timeout_ms\":200}"
read -r rps p50 p99 < <(median_of "anything")
echo "(3) one hung DSP, 200 ms deadline: $rps auctions/s, p50 $p50 ms, p99 $p99 ms; past the deadline p50 $(awk -v v="$p50" 'BEGIN{print v-200}') ms, p99 $(awk -v v="$p99" 'BEGIN{print v-200}') ms"
