#!/usr/bin/env bash
# Runtime benchmark (BENCHMARKS.md, "Local host and Spin") on the runtimes of
# RUNTIMES (bench/lib.sh: the local host, and real Spin when SPIN is set),
# with tests/manifests/bench.toml:
#   (a) the `hello` component (no host calls);
#   (b) the probe's /probe/write: one key-value set and one SQLite insert
#       per request (the database in WAL mode, as the app's migrations set);
#   (c) one variable read per request (/probe/var/probe_value);
#   (d) one key-value read per request (/probe/kv/probe_key);
#   (e) one SQLite statement per request (`PRAGMA user_version`, which
#       reads no schema: the cost of a connection without adspin's).
# When WASMTIME names a wasmtime 48 CLI (cargo install wasmtime-cli@48.0.8
# --locked), `wasmtime serve` runs (a) too.
# Bounded loads (wrk -t1 -c$CONNECTIONS -d$DURATION), median of ROUNDS
# alternating rounds, on 127.0.0.1.
#   SPIN=../shared/tools/spin ./bench/host.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
CONNECTIONS=${CONNECTIONS:-8}
WASMTIME=${WASMTIME:-}

rustup toolchain install >/dev/null
cargo build --quiet --release -p adspin-host
cargo build --quiet --release --target wasm32-wasip2 -p hello -p probe

work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

APP_VARIABLES=()
HEALTH_PATH=/hello
port=3101
for runtime in $RUNTIMES; do
    start_app "$runtime" $port "$work/$runtime" "$work/$runtime.log" --from tests/manifests/bench.toml \
        --sqlite "PRAGMA journal_mode = WAL" --sqlite "CREATE TABLE IF NOT EXISTS hits (at INTEGER)"
    port=$((port + 1))
done
if [ -n "$WASMTIME" ]; then
    "$WASMTIME" serve -S cli --addr 127.0.0.1:3199 target/wasm32-wasip2/release/hello.wasm \
        >"$work/serve.log" 2>&1 &
    for _ in $(seq 1 100); do curl -fs http://127.0.0.1:3199/ >/dev/null 2>&1 && break; sleep 0.2; done
    BASE[wasmtime]=http://127.0.0.1:3199
fi

cat > "$work/p95.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("p95_ms %.2f\n", latency:percentile(95) / 1000))
end
LUA

# The hello component answers at /hello (and `wasmtime serve` at /).
if [ -n "$WASMTIME" ]; then
    declare -A hello_runs
    for round in $(seq 1 "$ROUNDS"); do
        hello_runs[wasmtime]+="$(measure "${BASE[wasmtime]}/" "$CONNECTIONS" "$work/p95.lua")"$'\n'
    done
    read -r rps p50 p95 p99 < <(printf '%s' "${hello_runs[wasmtime]}" | median)
    echo "(a) hello [wasmtime serve]: $rps requests/s, p50 $p50 ms, p95 $p95 ms, p99 $p99 ms"
fi
compare "(a) hello" "$CONNECTIONS" "$work/p95.lua" /hello
compare "(b) key-value + SQLite write" "$CONNECTIONS" "$work/p95.lua" /probe/write
compare "(c) one variable read" "$CONNECTIONS" "$work/p95.lua" /probe/var/probe_value
for runtime in $RUNTIMES; do
    curl -fs -X PUT "${BASE[$runtime]}/probe/kv/probe_key" -d value >/dev/null
done
compare "(d) one key-value read" "$CONNECTIONS" "$work/p95.lua" /probe/kv/probe_key
cat > "$work/pragma.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '["PRAGMA user_version"]'
done = function(summary, latency, requests)
  io.write(string.format("p95_ms %.2f\n", latency:percentile(95) / 1000))
end
LUA
compare "(e) one SQLite statement" "$CONNECTIONS" "$work/pragma.lua" /probe/sql
