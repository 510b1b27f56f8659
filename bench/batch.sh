#!/usr/bin/env bash
# Agents API batch benchmark (BENCHMARKS.md, "Agents API batch") on the
# runtimes of RUNTIMES (bench/lib.sh: the local host, and real Spin when
# SPIN is set): one connection (wrk -t1 -c1), so each figure is the time of
# one request, alone on the server:
#   (1) one read: GET /api/v1/analytics/campaigns/{id};
#   (2) a batch of ITEMS (10) of the same reads: POST /api/v1/batch.
# The ratio (2)/(1) of the median latencies says what a batch saves: ITEMS
# separate requests cost ITEMS times (1). Median of ROUNDS rounds, the
# runtimes alternating within each round. Needs: wrk, curl, python3.
#   SPIN=../shared/tools/spin ./bench/batch.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

ITEMS=${ITEMS:-10}
ADMIN=bench
build_app

work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

APP_VARIABLES=(admin_token=$ADMIN dashboard_jwt_secret=bench tracking_secret=bench
    agents_rate_limit_multiplier=1000000)
sqlite=()
for file in migrations/*.sql; do sqlite+=(--sqlite "@$file"); done
port=3403
for runtime in $RUNTIMES; do
    start_app "$runtime" $port "$work/$runtime" "$work/$runtime.log" "${sqlite[@]}"
    port=$((port + 10))
done

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# A verified account with a business and three campaigns per runtime: its
# key, the single read's path and the batch body.
for runtime in $RUNTIMES; do
    base=${BASE[$runtime]}
    key=$(curl -fs -X POST "$base/api/v1/auth/register" -H 'content-type: application/json' \
        -d '{"email":"batch@example.com","password":"benchPassword123","first_name":"B","last_name":"T"}' |
        json '["api_key"]')
    code=$(curl -fs "$base/admin/mailbox?to=batch@example.com&limit=1" -H "authorization: Bearer $ADMIN" |
        python3 -c 'import json,re,sys; print(re.search(r"code is (\d{6})", json.load(sys.stdin)["data"][0]["body"]).group(1))')
    curl -fs -o /dev/null -X POST "$base/api/v1/auth/verify" -H 'content-type: application/json' \
        -d "{\"email\":\"batch@example.com\",\"code\":\"$code\"}"
    curl -fs -o /dev/null -X POST "$base/api/v1/account/business" -H "authorization: Bearer $key" \
        -H 'content-type: application/json' -d '{"name":"Bench Corp"}'
    ids=()
    for n in 1 2 3; do
        ids+=("$(curl -fs -X POST "$base/api/v1/campaigns" -H "authorization: Bearer $key" \
            -H 'content-type: application/json' \
            -d "{\"name\":\"Bench $n\",\"objective\":\"traffic\",\"daily_budget\":50}" | json '["id"]')")
    done
    echo "$key" >"$work/key-$runtime"
    echo "/api/v1/analytics/campaigns/${ids[0]}" >"$work/path-$runtime"
    python3 -c '
import json, sys
ids, items = sys.argv[1].split(), int(sys.argv[2])
print(json.dumps({"requests": [{"id": f"read-{i}", "method": "GET",
    "path": f"/v1/analytics/campaigns/camp_{ids[i % len(ids)]}"} for i in range(items)]}))' \
        "${ids[*]}" "$ITEMS" >"$work/batch-$runtime"
    # The batch answers every item 200.
    curl -fs -X POST "$base/api/v1/batch" -H "authorization: Bearer $key" -H 'content-type: application/json' \
        --data @"$work/batch-$runtime" |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["results"]; assert all(v["status"]==200 for v in r.values()), r'
done

declare -A single batch
run() { # runtime kind
    local runtime=$1
    if [ "$2" = single ]; then
        AGENTS_KEY=$(cat "$work/key-$runtime") AGENTS_PATH=$(cat "$work/path-$runtime") \
            measure "${BASE[$runtime]}" 1 bench/agents-read.lua
    else
        AGENTS_KEY=$(cat "$work/key-$runtime") BATCH_BODY=$(cat "$work/batch-$runtime") \
            measure "${BASE[$runtime]}" 1 bench/agents-batch.lua
    fi
}
for runtime in $RUNTIMES; do run "$runtime" single >/dev/null; run "$runtime" batch >/dev/null; done
for round in $(seq 1 "$ROUNDS"); do
    for runtime in $RUNTIMES; do
        single[$runtime]+="$(run "$runtime" single)"$'\n'
        batch[$runtime]+="$(run "$runtime" batch)"$'\n'
    done
done
for runtime in $RUNTIMES; do
    read -r rps1 p50_1 p95_1 p99_1 < <(printf '%s' "${single[$runtime]}" | median)
    read -r rpsb p50_b p95_b p99_b < <(printf '%s' "${batch[$runtime]}" | median)
    printf '[%s] (1) one read: %s requests/s, p50 %s ms, p95 %s ms, p99 %s ms\n' "$runtime" "$rps1" "$p50_1" "$p95_1" "$p99_1"
    printf '[%s] (2) a batch of %s reads: %s batches/s, p50 %s ms, p95 %s ms, p99 %s ms\n' "$runtime" "$ITEMS" "$rpsb" "$p50_b" "$p95_b" "$p99_b"
    awk -v s="$p50_1" -v b="$p50_b" -v n="$ITEMS" -v r="$runtime" \
        'BEGIN { printf "[%s] a batch of %d reads takes %.2f times one read (p50); %d separate reads take %d\n", r, n, b / s, n, n }'
done
