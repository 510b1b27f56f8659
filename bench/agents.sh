#!/usr/bin/env bash
# Agents API benchmarks (BENCHMARKS.md, "Agents API") on the runtimes of
# RUNTIMES (bench/lib.sh: the local host, and real Spin when SPIN is set):
#   (1) registration to verified, one account at a time (ACCOUNTS of them):
#       POST /auth/register (hashes the password with Argon2id), read the
#       code from the development mailbox, POST /auth/verify; beside them
#       POST /auth/login with an unknown email (one Argon2id verification
#       of a stand-in hash) and GET /billing/plans (no hashing), so the
#       hash's share of the time is visible; medians in milliseconds;
#   (2) authenticated reads: wrk -t1 -c8, GET /api/v1/billing/status with
#       a verified account's key (the deployment's plan limits multiplied
#       by agents_rate_limit_multiplier so that the load is not refused).
# Bounded loads on 127.0.0.1, median of ROUNDS rounds, the runtimes
# alternating within each round. Needs: wrk, curl, python3.
#   SPIN=../shared/tools/spin ./bench/agents.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

# At most 10: requests without a key are limited to 60 a minute per address
# and registrations to 20 an hour (docs/API-DESIGN.md), and every account
# costs four of them.
ACCOUNTS=${ACCOUNTS:-10}
ADMIN=bench
build_app

work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

APP_VARIABLES=(admin_token=$ADMIN dashboard_jwt_secret=bench tracking_secret=bench
    agents_rate_limit_multiplier=1000000)
sqlite=()
for file in migrations/*.sql; do sqlite+=(--sqlite "@$file"); done
port=3303
for runtime in $RUNTIMES; do
    start_app "$runtime" $port "$work/$runtime" "$work/$runtime.log" "${sqlite[@]}"
    port=$((port + 10))
done

# ms URL ARGS...: the total time of one curl request, in milliseconds.
ms() { curl -s -o /dev/null -w '%{time_total}\n' "$@" | awk '{ printf "%.1f\n", $1 * 1000 }'; }

# One registration to verified on RUNTIME as account N: "register verify login-unknown plans" in ms.
onboard() {
    local runtime=$1 n=$2 base=${BASE[$1]}
    local email="bench$n-$runtime@example.com"
    local register verify unknown plans code
    register=$(ms -X POST "$base/api/v1/auth/register" -H 'content-type: application/json' \
        -d "{\"email\":\"$email\",\"password\":\"benchPassword123\",\"first_name\":\"B\",\"last_name\":\"N\"}")
    code=$(curl -fs "$base/admin/mailbox?to=$email&limit=1" -H "authorization: Bearer $ADMIN" |
        python3 -c 'import json,re,sys; print(re.search(r"code is (\d{6})", json.load(sys.stdin)["data"][0]["body"]).group(1))')
    verify=$(ms -X POST "$base/api/v1/auth/verify" -H 'content-type: application/json' \
        -d "{\"email\":\"$email\",\"code\":\"$code\"}")
    unknown=$(ms -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
        -d "{\"email\":\"nobody$n@example.com\",\"password\":\"benchPassword123\"}")
    plans=$(ms "$base/api/v1/billing/plans")
    echo "$register $verify $unknown $plans"
}

for runtime in $RUNTIMES; do
    : >"$work/onboard-$runtime"
done
for n in $(seq 1 "$ACCOUNTS"); do
    for runtime in $RUNTIMES; do
        onboard "$runtime" "$n" >>"$work/onboard-$runtime"
    done
done
for runtime in $RUNTIMES; do
    read -r register verify unknown plans < <(median <"$work/onboard-$runtime")
    printf '(1) registration to verified [%s]: register %s ms, verify %s ms (login with an unknown email %s ms, plans %s ms), medians of %s\n' \
        "$runtime" "$register" "$verify" "$unknown" "$plans" "$ACCOUNTS"
done

# A verified account per runtime for the reads.
for runtime in $RUNTIMES; do
    base=${BASE[$runtime]}
    key=$(curl -fs -X POST "$base/api/v1/auth/register" -H 'content-type: application/json' \
        -d '{"email":"reader@example.com","password":"benchPassword123","first_name":"R","last_name":"D"}' |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
    code=$(curl -fs "$base/admin/mailbox?to=reader@example.com&limit=1" -H "authorization: Bearer $ADMIN" |
        python3 -c 'import json,re,sys; print(re.search(r"code is (\d{6})", json.load(sys.stdin)["data"][0]["body"]).group(1))')
    curl -fs -o /dev/null -X POST "$base/api/v1/auth/verify" -H 'content-type: application/json' \
        -d "{\"email\":\"reader@example.com\",\"code\":\"$code\"}"
    echo "$key" >"$work/key-$runtime"
done
# Both runtimes use their own key: wrk reads AGENTS_KEY per run.
compare_reads() {
    local runtime round
    declare -A runs
    for runtime in $RUNTIMES; do
        AGENTS_KEY=$(cat "$work/key-$runtime") measure "${BASE[$runtime]}" 8 bench/agents-read.lua >/dev/null
    done
    for round in $(seq 1 "$ROUNDS"); do
        for runtime in $RUNTIMES; do
            runs[$runtime]+="$(AGENTS_KEY=$(cat "$work/key-$runtime") measure "${BASE[$runtime]}" 8 bench/agents-read.lua)"$'\n'
        done
    done
    for runtime in $RUNTIMES; do
        read -r rps p50 p95 p99 < <(printf '%s' "${runs[$runtime]}" | median)
        printf '(2) GET /api/v1/billing/status, 8 connections [%s]: %s requests/s, p50 %s ms, p95 %s ms, p99 %s ms\n' \
            "$runtime" "$rps" "$p50" "$p95" "$p99"
    done
}
compare_reads
