#!/usr/bin/env bash
# How many SQLite connections, statements, key-value calls and variable
# reads each hot path makes (BENCHMARKS.md, "Round trips per request"): the release host with
# --storage-trace logs them per component instance; this script sends one
# request of each kind (after one to warm up) and prints the counts.
# Needs: python3.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
build_app

work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
python3 bench/demand.py 50 >"$work/demand.sql"
sqlite=()
for file in migrations/*.sql; do sqlite+=(--sqlite "@$file"); done
sqlite+=(--sqlite @seed/dev.sql --sqlite @seed/demo-traffic.sql --sqlite "@$work/demand.sql")
APP_VARIABLES=(admin_token=bench dashboard_jwt_secret=bench tracking_secret=bench)
RUNTIMES=host start_app host 3205 "$work/state" "$work/host.log" "${sqlite[@]}" --storage-trace
base=${BASE[host]}
ADVERTISER="authorization: Bearer ak_demo_7f3c9a2e4b1d4e6f8a0b2c4d6e8f0a1b"
PARTNER="authorization: Bearer pt_demo_3a5c7e9b1d2f4a6c8e0b2d4f6a8c1e3b"

# trace NAME COMMAND...: runs the command twice, reports the second.
trace() {
    local name=$1
    shift
    "$@" >/dev/null
    : >"$work/host.log"
    "$@" >/dev/null
    sleep 0.3
    python3 - "$name" "$work/host.log" <<'PY'
import re, sys
name, log = sys.argv[1], open(sys.argv[2]).read()
parts = []
for component, opened, statements, kv, variables in re.findall(
        r"storage (\S+): (\d+) SQLite connection\(s\) opened, (\d+) statement\(s\), (\d+) key-value call\(s\), (\d+) variable", log):
    parts.append(f"{component}: {opened} connection, {statements} statements, {kv} key-value, {variables} variables")
print(f"{name:28s} " + "; ".join(parts))
PY
}

bid() {
    curl -s "$base/api/v1/ssp/bid-request" -H "thrad-api-key: pk_demo_live_9b1d3f5a7c2e4b6d8f0a1c3e5b7d9f2a" \
        -d "{\"userId\":\"u\",\"chatId\":\"chat_$RANDOM$RANDOM\",\"messages\":[{\"role\":\"user\",\"content\":\"I am looking for running shoes\"},{\"role\":\"assistant\",\"content\":\"Sure\"}]}"
}
trace "bid request (ad served)" bid
served=$(bid)
click=$(printf '%s' "$served" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["bid"]["url"])')
view=$(printf '%s' "$served" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["bid"]["thrad_view_url"])')
trace "click redirect" curl -s "$click"
trace "view beacon" curl -s -A bench "$view"
trace "S2S collect" curl -s "$base/v1/api/collect" -H "$PARTNER" \
    -d '{"event_name":"page_view","page_url":"https://example.com/checkout"}'
trace "S2S conversion" curl -s "$base/v1/api/conversion" -H "$PARTNER" \
    -d '{"click_id":"11111111-1111-4111-8111-111111111111","conversion_time":"2026-02-19T18:00:00Z","conversion_value":1,"currency":"USD","event_type":"purchase_completed"}'
trace "/v1 read (GET /v1/campaigns)" curl -s "$base/v1/campaigns" -H "$ADVERTISER"
trace "/v1 insights (account, 30 days)" curl -s "$base/v1/ad_account/insights" -H "$ADVERTISER"
