#!/usr/bin/env bash
# Host benchmark (BENCHMARKS.md, "Local host"):
#   (a) the `hello` component on adspin-host and on `wasmtime serve`, same .wasm
#   (b) a component doing one key-value write and one SQLite insert per request
# Each load is bounded (wrk, CONNECTIONS connections, DURATION) on 127.0.0.1;
# the runs alternate ROUNDS times and the median of each is reported.
#
# Needs: wrk (apt-get install wrk) and wasmtime 48 (cargo install wasmtime-cli@48.0.8 --locked),
# or WASMTIME=/path/to/wasmtime.
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS=${CONNECTIONS:-8}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
WASMTIME=${WASMTIME:-wasmtime}
HOST_PORT=3101
SERVE_PORT=3102

command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
command -v "$WASMTIME" >/dev/null || { echo "wasmtime is required: cargo install wasmtime-cli@48.0.8 --locked" >&2; exit 1; }

rustup toolchain install >/dev/null
cargo build --quiet --release -p adspin-host
cargo build --quiet --release --target wasm32-wasip2 -p hello -p probe

work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

target/release/adspin-host up --from tests/manifests/bench.toml --listen 127.0.0.1:$HOST_PORT \
    --state-dir "$work/state" --sqlite "CREATE TABLE IF NOT EXISTS hits (at INTEGER)" \
    >"$work/host.out" 2>"$work/host.log" &
"$WASMTIME" serve -S cli --addr 127.0.0.1:$SERVE_PORT target/wasm32-wasip2/release/hello.wasm \
    >"$work/serve.out" 2>"$work/serve.log" &

wait_for() {
    for _ in $(seq 1 300); do
        curl -fs "$1" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "not serving: $1" >&2
    exit 1
}
wait_for "http://127.0.0.1:$HOST_PORT/hello"
wait_for "http://127.0.0.1:$SERVE_PORT/"

# Prints "requests_per_second p50_ms p99_ms" for one bounded wrk run.
measure() {
    wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$1" | awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        /^Requests\/sec/ { rps = $2 }
        /Non-2xx/ { bad = $NF }
        END { if (bad > 0) { print "errors " bad > "/dev/stderr"; exit 1 } printf "%.0f %.3f %.3f\n", rps, p50, p99 }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Warm both servers (compilation caches, connection pools, page cache).
wrk -t1 -c"$CONNECTIONS" -d2s "http://127.0.0.1:$HOST_PORT/hello" >/dev/null
wrk -t1 -c"$CONNECTIONS" -d2s "http://127.0.0.1:$SERVE_PORT/" >/dev/null

: >"$work/a-host"; : >"$work/a-serve"; : >"$work/b-host"
for round in $(seq 1 "$ROUNDS"); do
    measure "http://127.0.0.1:$HOST_PORT/hello" >>"$work/a-host"
    measure "http://127.0.0.1:$SERVE_PORT/" >>"$work/a-serve"
    measure "http://127.0.0.1:$HOST_PORT/probe/write" >>"$work/b-host"
    echo "round $round done" >&2
done

column_median() { awk -v c="$2" '{ print $c }' "$1" | median; }
report() {
    printf '| %s | %s | %s | %s |\n' "$1" "$(column_median "$2" 1)" "$(column_median "$2" 2)" "$(column_median "$2" 3)"
}
echo
echo "wrk -t1 -c$CONNECTIONS -d$DURATION, median of $ROUNDS alternating rounds"
echo
echo "| run | requests/s | p50 ms | p99 ms |"
echo "|---|---|---|---|"
report "(a) hello, adspin-host" "$work/a-host"
report "(a) hello, wasmtime serve" "$work/a-serve"
report "(b) key-value + SQLite write, adspin-host" "$work/b-host"
host_rps=$(column_median "$work/a-host" 1)
serve_rps=$(column_median "$work/a-serve" 1)
echo
awk -v h="$host_rps" -v s="$serve_rps" 'BEGIN { printf "throughput ratio adspin-host / wasmtime serve on (a): %.2f\n", h / s }'
