#!/usr/bin/env bash
# Contract tests: schemathesis (PyPI) against every OpenAPI document the
# app serves, all checks and every phase (stateful included), on a fresh
# local host with the demo seed. EXAMPLES bounds the generated cases per
# operation (CI keeps it small; more locally:
#   EXAMPLES=200 tests/contract/run.sh). DOCUMENTS names the documents to
# run (all by default): DOCUMENTS="ssp-v1.json agents-v1.json".
# Needs: python3 with `pip install schemathesis==4.32.5
# openapi-spec-validator==0.9.0` (each document is first validated as
# OpenAPI 3.1).
#
# openapi/schemathesis.toml holds the credentials of the Advertiser
# document's two security schemes and of the agents API account (set up
# below), and loads openapi/schemathesis_hooks.py, which covers what the
# documents cannot say: integers are sent as `2`, never `2.0` (OpenAPI
# 3.1.0's `integer`, which the server enforces), and a schema-valid request
# refused by a rule that depends on state, on other fields or on the time
# (listed there, each with its reason) is not a failure; for the agents API
# it also keeps within the account's rate limit and sends requests from
# many client addresses. No check is disabled and no operation is left out.
set -euo pipefail
cd "$(dirname "$0")/../.."
EXAMPLES=${EXAMPLES:-25}
# A free port unless PORT is given (several runs may share the machine).
PORT=${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
BASE=http://127.0.0.1:$PORT
ADMIN=contract-admin-token

python3 -m openapi_spec_validator openapi/*.json

rustup toolchain install >/dev/null
cargo build --quiet -p adspin-host
cargo build --quiet --release --target wasm32-wasip2 \
    -p platform -p advertiser-api -p agents-api -p scheduler -p admin -p ssp -p thrad-dsp -p events -p image-fetch

work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
flags=()
for file in migrations/*.sql; do flags+=(--sqlite "@$file"); done
# The egress guard refuses every destination: nothing the tests send (an
# upload's image_url, a DSP's bid_url) makes the app reach the network.
printf '[outbound_networking]\nblock_networks = ["0.0.0.0/0", "::/0"]\n' >"$work/runtime-config.toml"
target/debug/adspin-host up --listen 127.0.0.1:$PORT --state-dir "$work/state" "${flags[@]}" \
    --runtime-config-file "$work/runtime-config.toml" \
    --sqlite @seed/dev.sql --sqlite @seed/demo-traffic.sql \
    --variable admin_token=$ADMIN --variable dashboard_jwt_secret=contract \
    --variable tracking_secret=contract --variable v1_requests_per_hour=100000000 \
    >"$work/host.out" 2>"$work/host.log" &
for _ in $(seq 1 600); do curl -fs $BASE/healthz >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs $BASE/healthz >/dev/null || { echo "the app did not start" >&2; tail "$work/host.log" >&2; exit 1; }
# The demo publisher may make many requests a second.
curl -fs -X PUT $BASE/admin/publishers/0d3e0000-0000-4000-8000-000000000001 \
    -H "Authorization: Bearer $ADMIN" -d '{"rate_limit_per_second": 100000}' >/dev/null
curl -fs -X PUT $BASE/admin/organizations/0d3e0000-0000-4000-8000-000000000001/billing \
    -H "Authorization: Bearer $ADMIN" -d '{"payment_method": "pm_contract"}' >/dev/null

# The agents API's account: registered, verified with the code from the
# development mailbox, and on the Flexible plan (300 requests a minute, paid
# on the demo checkout page). schemathesis logs in with its email and
# password (openapi/schemathesis.toml), and again whenever its key stops
# working (a fuzzed rotation or revocation can end it).
export CONTRACT_AGENTS_EMAIL=contract-agent@example.com CONTRACT_AGENTS_PASSWORD=contract-password-1
# Prints a Python expression of `v`, the JSON read from stdin.
field() { python3 -c "import json, sys; v = json.load(sys.stdin); print($1)"; }
agents_key=$(curl -fs -X POST $BASE/api/v1/auth/register -H 'content-type: application/json' \
    -d "{\"email\": \"$CONTRACT_AGENTS_EMAIL\", \"password\": \"$CONTRACT_AGENTS_PASSWORD\",
        \"first_name\": \"Contract\", \"last_name\": \"Agent\"}" | field 'v["api_key"]')
code=$(curl -fs "$BASE/admin/mailbox?to=$CONTRACT_AGENTS_EMAIL&limit=1" -H "Authorization: Bearer $ADMIN" |
    field 'v["data"][0]["body"].split("code is ")[1][:6]')
curl -fs -X POST $BASE/api/v1/auth/verify -H 'content-type: application/json' \
    -d "{\"email\": \"$CONTRACT_AGENTS_EMAIL\", \"code\": \"$code\"}" >/dev/null
# A business profile, which campaigns need.
curl -fs -X POST $BASE/api/v1/account/business -H "Authorization: Bearer $agents_key" \
    -H 'content-type: application/json' -d '{"name": "Contract Corp"}' >/dev/null
# A webhook for the payment's event, so that a delivery log has a delivery
# to list and redeliver (nothing sends it: the scheduled work is not run).
curl -fs -X POST $BASE/api/v1/webhooks -H "Authorization: Bearer $agents_key" \
    -H 'content-type: application/json' \
    -d '{"url": "https://contract.example/hooks", "events": ["billing.payment_completed"]}' >/dev/null
token=$(curl -fs -X POST $BASE/api/v1/billing/subscribe -H "Authorization: Bearer $agents_key" \
    -H 'content-type: application/json' -d '{"plan_id": 3}' | field 'v["token"]')
curl -fs -X POST $BASE/api/v1/billing/checkout -d "token=$token&action=pay" >/dev/null
curl -fs $BASE/api/v1/billing/status -H "Authorization: Bearer $agents_key" | field 'v["plan"]["name"]' |
    grep -qx Flexible || { echo "the agents API account is not on the Flexible plan" >&2; exit 1; }

run() {
    local document=$1
    shift
    if [ -n "${DOCUMENTS:-}" ] && [[ " $DOCUMENTS " != *" $document "* ]]; then
        return 0
    fi
    echo "== $document" >&2
    schemathesis --config-file openapi/schemathesis.toml run "$BASE/openapi/$document" \
        --checks all --max-examples "$EXAMPLES" \
        --phases examples,coverage,fuzzing,stateful --workers 1 --seed 1 \
        --suppress-health-check all "$@"
}
status=0
# Credentials: openapi/schemathesis.toml (the API key and the S2S partner token;
# the agents API account's email and password).
run advertiser-v1.json || status=1
run ssp-v1.json -H "thrad-api-key: pk_demo_staging_5e2a8c4f6b0d4a1e9c3b7d5f1a2e4c6b" || status=1
run operator.json -H "Authorization: Bearer $ADMIN" || status=1
# The agents API limits requests without a key per client address: the
# hooks send each connection from another loopback address, as many
# clients would (CONTRACT_AGENTS_CLIENTS; see openapi/schemathesis_hooks.py).
export CONTRACT_AGENTS_CLIENTS=1
run agents-v1.json || status=1
exit $status
