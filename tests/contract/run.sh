#!/usr/bin/env bash
# Contract tests: schemathesis (PyPI) against every OpenAPI document the
# app serves, all checks and every phase (stateful included), on a fresh
# local host with the demo seed. EXAMPLES bounds the generated cases per
# operation (CI keeps it small; more locally:
#   EXAMPLES=200 tests/contract/run.sh).
# Needs: python3 with `pip install schemathesis==4.32.5
# openapi-spec-validator==0.9.0` (each document is first validated as
# OpenAPI 3.1).
#
# openapi/schemathesis.toml holds the credentials of the Advertiser
# document's two security schemes and loads openapi/schemathesis_hooks.py,
# which covers what the documents cannot say: integers are sent as `2`,
# never `2.0` (OpenAPI 3.1.0's `integer`, which the server enforces), and a
# schema-valid request refused by a rule that depends on state, on other
# fields or on the time (listed there, each with its reason) is not a
# failure. No check is disabled and no operation is left out.
set -euo pipefail
cd "$(dirname "$0")/../.."
EXAMPLES=${EXAMPLES:-25}
PORT=${PORT:-3290}
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

run() {
    local document=$1
    shift
    echo "== $document" >&2
    schemathesis --config-file openapi/schemathesis.toml run "$BASE/openapi/$document" \
        --checks all --max-examples "$EXAMPLES" \
        --phases examples,coverage,fuzzing,stateful --workers 1 --seed 1 \
        --suppress-health-check all "$@"
}
status=0
# Credentials: openapi/schemathesis.toml (the API key and the S2S partner token).
run advertiser-v1.json || status=1
run ssp-v1.json -H "thrad-api-key: pk_demo_staging_5e2a8c4f6b0d4a1e9c3b7d5f1a2e4c6b" || status=1
run operator.json -H "Authorization: Bearer $ADMIN" || status=1
exit $status
