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
# An agents API account over the demo organization (the same rows), with
# campaign 7 as its campaign 1, for the agents analytics queries.
import hashlib, json
secret = "aa_live_" + "be" * 32
scopes = ["campaigns:read", "campaigns:write", "content:generate", "analytics:read", "billing:read",
          "billing:write", "webhooks:manage", "account:read", "account:write"]
org = "0d3e0000-0000-4000-8000-000000000001"
database.execute("INSERT INTO agent_users (id, organization_id, email, password_hash, first_name, last_name,"
                 " enabled, created_at, updated_at, verified_at) VALUES (1, ?, 'bench@example.com', 'none',"
                 " 'Bench', 'Agent', 1, 0, 0, 0)", (org,))
database.execute("INSERT INTO agent_keys (id, organization_id, user_id, mode, key_hash, key_prefix, name, scopes,"
                 " created_at) VALUES ('key_bench', ?, 1, 'live', ?, ?, 'bench', ?, 0)",
                 (org, hashlib.sha256(secret.encode()).hexdigest(), secret[:12], json.dumps(scopes)))
database.execute("INSERT INTO agent_campaigns (id, campaign_id, organization_id, mode, objective, status, platforms,"
                 " budget_type, budget_micros, currency, optimization, details, launched_at, created_at, updated_at)"
                 " VALUES (1, 'b0000000-0000-4000-8100-000000000007', ?, 'live', 'traffic', 'active', '[\"chat\"]',"
                 " 'lifetime', 1000000000, 'USD', '{}', '{}', 0, 0, 0)", (org,))
database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
database.close()
PY
echo "loaded $EVENTS events in $(($(date +%s) - started)) s; database $(du -sh "$work/loaded.db" | cut -f1)"

APP_VARIABLES=(admin_token=bench dashboard_jwt_secret=bench tracking_secret=bench
    v1_requests_per_hour=100000000 agents_rate_limit_multiplier=1000000)
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
# The agents API's analytics over the same rollups (its campaign 1 is
# campaign 7 above).
export ADVERTISER_KEY="aa_live_$(printf 'be%.0s' $(seq 1 32))"
today=$(date -u +%F)
week_ago=$(date -u -d '6 days ago' +%F)
month_ago=$(date -u -d '29 days ago' +%F)
agents_queries=(
    "agents analytics, one campaign, 30 days by platform and ad set|/api/v1/analytics/campaigns/1?date_from=$month_ago&date_to=$today"
    "agents time series, one campaign, daily, 30 days|/api/v1/analytics/time-series?campaign_id=1&granularity=daily&date_from=$month_ago&date_to=$today"
    "agents time series, account, hourly, 7 days|/api/v1/analytics/time-series?granularity=hourly&date_from=$week_ago&date_to=$today"
)
for entry in "${agents_queries[@]}"; do
    export QUERY=${entry#*|}
    compare "(1) ${entry%%|*}" 1 bench/insights.lua
done

compare "(2) collect, 8 connections" 8 bench/collect.lua
