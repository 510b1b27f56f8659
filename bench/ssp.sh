#!/usr/bin/env bash
# SSP benchmarks (BENCHMARKS.md, "SSP auction") on the runtimes of RUNTIMES
# (bench/lib.sh: the local host, and real Spin when SPIN is set):
#   (1) auctions per second with only the internal DSP and 1,000 active campaigns;
#   (2) auction overhead above the slowest in-time DSP (a fake DSP answering in 50 ms),
#       and on the local host the auction's own time, auction by auction;
#   (3) a hung DSP (never answers, 200 ms deadline): how long after its deadline the auction ends.
#       Its circuit breaker is held closed (dsp_breaker_failures=86400) so that
#       every auction calls it; with the default (5 failures) the breaker opens
#       at the fifth timeout and auctions skip the DSP for 30 s.
# Bounded loads with wrk (CONNECTIONS connections, DURATION, median of ROUNDS
# rounds, the runtimes alternating within each round) on 127.0.0.1.
# Needs: wrk (apt-get install wrk), python3 (writes the demand). The fake
# DSP is tests/examples/fake_dsp.rs.
#   SPIN=../shared/tools/spin ./bench/ssp.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

CONNECTIONS=${CONNECTIONS:-8}
CAMPAIGNS=${CAMPAIGNS:-1000}
DSP_PORT=3202
KEY=pk_demo_live_9b1d3f5a7c2e4b6d8f0a1c3e5b7d9f2a
ADMIN=bench-admin-token
export PUBLISHER_KEY=$KEY

build_app
cargo build --quiet --release -p adspin-e2e --example fake_dsp
FAKE_DSP=target/release/examples/fake_dsp

work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
python3 bench/demand.py "$CAMPAIGNS" >"$work/demand.sql"

APP_VARIABLES=(admin_token=$ADMIN dashboard_jwt_secret=bench tracking_secret=bench
    "dsp_allowed_hosts=http://127.0.0.1:*" dsp_breaker_failures=86400)
sqlite=()
for file in migrations/*.sql; do sqlite+=(--sqlite "@$file"); done
sqlite+=(--sqlite @seed/dev.sql --sqlite "@$work/demand.sql")
port=3201
for runtime in $RUNTIMES; do
    start_app "$runtime" $port "$work/$runtime" "$work/$runtime.log" "${sqlite[@]}"
    probe=$(curl -s "${BASE[$runtime]}/api/v1/ssp/bid-request" -H "thrad-api-key: $KEY" \
        -d '{"userId":"u","chatId":"probe","messages":[{"role":"user","content":"I am looking for running shoes"},{"role":"assistant","content":"Sure"}]}')
    echo "$probe" | grep -q '"dsp":"thrad_dsp"' || { echo "no internal bid on $runtime: $probe" >&2; exit 1; }
    port=$((port + 10))
done

# admin METHOD PATH BODY, on every runtime.
admin() {
    for runtime in $RUNTIMES; do
        curl -fs -X "$1" "${BASE[$runtime]}$2" -H "Authorization: Bearer $ADMIN" -d "$3" >/dev/null
    done
}

export TOPIC="running shoes"
compare "(1) internal DSP, $CAMPAIGNS campaigns, $CONNECTIONS connections" "$CONNECTIONS" bench/bid.lua

# Run (2)'s DSPs: the internal one off, one external that answers in 50 ms.
external_only() {
    admin PUT /admin/dsps/thrad_dsp '{"name":"Thrad DSP","bid_url":"http://thrad-dsp.spin.internal/bid","render_url":"http://thrad-dsp.spin.internal/render-ad","enabled":false}'
    admin PUT /admin/dsps/slow_dsp "{\"name\":\"Slow\",\"bid_url\":\"http://127.0.0.1:$DSP_PORT/bid\",\"timeout_ms\":1000}"
}
$FAKE_DSP $DSP_PORT 50 >/dev/null &
sleep 0.5
external_only
export TOPIC=anything
# The fake DSP itself, called directly with the same load: what the
# auction adds is the difference.
read -r _ dsp50 _ dsp99 < <(for _ in $(seq 1 "$ROUNDS"); do
    measure "http://127.0.0.1:$DSP_PORT" "$CONNECTIONS" bench/bid.lua; done | median)
echo "(2) the fake DSP alone: p50 $dsp50 ms, p99 $dsp99 ms"
compare "(2) one DSP answering in 50 ms" "$CONNECTIONS" bench/bid.lua
for runtime in $RUNTIMES; do
    read -r _ p50 _ p99 <<<"${RESULT[$runtime]}"
    echo "(2) [$runtime] auction overhead above the DSP: p50 $(awk -v a="$p50" -v b="$dsp50" 'BEGIN{print a-b}') ms, p99 $(awk -v a="$p99" -v b="$dsp99" 'BEGIN{print a-b}') ms"
done

# What the auction itself adds, auction by auction (local host only): a
# second host with --storage-trace logs, per request, how long the SSP
# waited for its DSP's answer and how long it took in all, from the
# request's arrival to the component's return; the difference is the
# auction's own time, whatever the DSP's answer waited for on this machine.
case " $RUNTIMES " in
    *" host "*)
        host_base=${BASE[host]}
        RUNTIMES=host start_app host 3290 "$work/traced" "$work/traced.log" "${sqlite[@]}" --storage-trace
        traced=$!
        RUNTIMES=host external_only
        measure "${BASE[host]}" "$CONNECTIONS" bench/bid.lua >/dev/null
        : >"$work/traced.log"
        measure "${BASE[host]}" "$CONNECTIONS" bench/bid.lua >/dev/null
        kill "$traced"
        BASE[host]=$host_base
        grep -a '^outbound ssp: 1 request(s)' "$work/traced.log" |
            awk '{ print $(NF - 3) - $(NF - 8) }' | sort -n | awk '
                { v[NR] = $1 }
                END { printf "(2) [host] the auction'"'"'s own time, auction by auction (%d auctions, --storage-trace): p50 %.2f ms, p90 %.2f ms, p99 %.2f ms\n",
                      NR, v[int(NR * 0.5)], v[int(NR * 0.9)], v[int(NR * 0.99)] }'
        ;;
esac

$FAKE_DSP $((DSP_PORT + 1)) -1 >/dev/null &
sleep 0.5
admin PUT /admin/dsps/slow_dsp "{\"name\":\"Hung\",\"bid_url\":\"http://127.0.0.1:$((DSP_PORT + 1))/bid\",\"timeout_ms\":200}"
compare "(3) one hung DSP, 200 ms deadline" "$CONNECTIONS" bench/bid.lua
for runtime in $RUNTIMES; do
    read -r _ p50 _ p99 <<<"${RESULT[$runtime]}"
    echo "(3) [$runtime] past the deadline: p50 $(awk -v v="$p50" 'BEGIN{print v-200}') ms, p99 $(awk -v v="$p99" 'BEGIN{print v-200}') ms"
done
