# Shared by the benchmark scripts (sourced, not run): build the app, start it
# on the runtimes being compared, and measure them with wrk in alternating
# rounds so that both see the same machine.
#
#   RUNTIMES  which runtimes to measure: "host" (adspin-host), "spin" (the
#             Spin CLI) or "host spin" (default: host, plus spin when SPIN
#             names a Spin binary)
#   SPIN      the Spin CLI (for example ../shared/tools/spin)
#   DURATION  length of each wrk run (10s), ROUNDS runs per figure (3)

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
if [ -z "${RUNTIMES:-}" ]; then
    RUNTIMES=host
    if [ -n "${SPIN:-}" ]; then RUNTIMES="host spin"; fi
fi
declare -A BASE

command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
case " $RUNTIMES " in
    *" spin "*) [ -n "${SPIN:-}" ] && "$SPIN" --version >/dev/null ||
        { echo "RUNTIMES has spin: set SPIN to the Spin CLI" >&2; exit 1; } ;;
esac

# Builds the release host and every component (`spin.toml` runs them from
# target/wasm32-wasip2/release, as `spin build` leaves them).
build_app() {
    rustup toolchain install >/dev/null
    cargo build --quiet --release -p adspin-host
    cargo build --quiet --release --target wasm32-wasip2 \
        -p platform -p advertiser-api -p agents-api -p scheduler -p admin -p ssp -p thrad-dsp -p events -p image-fetch
}

# start_app RUNTIME PORT STATE_DIR LOG_FILE [--sqlite @file ...]: starts
# the app in the background on 127.0.0.1:PORT with the variables of the
# APP_VARIABLES array (name=value) and waits for HEALTH_PATH (/healthz).
start_app() {
    local runtime=$1 port=$2 state=$3 log=$4
    shift 4
    local variable
    case $runtime in
        host)
            local flags=()
            for variable in "${APP_VARIABLES[@]}"; do flags+=(--variable "$variable"); done
            target/release/adspin-host up --listen "127.0.0.1:$port" --state-dir "$state" \
                "$@" "${flags[@]}" >"$log" 2>&1 &
            ;;
        spin)
            local environment=()
            for variable in "${APP_VARIABLES[@]}"; do
                local name=${variable%%=*}
                environment+=("SPIN_VARIABLE_${name^^}=${variable#*=}")
            done
            env "${environment[@]}" "$SPIN" up --listen "127.0.0.1:$port" --state-dir "$state" \
                "$@" >"$log" 2>&1 &
            ;;
        *) echo "unknown runtime $runtime" >&2; exit 1 ;;
    esac
    BASE[$runtime]=http://127.0.0.1:$port
    for _ in $(seq 1 3000); do
        curl -fs "${BASE[$runtime]}${HEALTH_PATH:-/healthz}" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "$runtime did not start:" >&2
    tail "$log" >&2
    exit 1
}

# measure URL CONNECTIONS SCRIPT: "requests/s p50_ms p95_ms p99_ms" of one
# wrk run (a non-2xx answer is an error). The script prints p95 itself.
measure() {
    wrk -t1 -c"$2" -d"$DURATION" --latency -s "$3" "$1" | awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        /^p95_ms/ { p95 = $2 }
        /^Requests\/sec/ { rps = $2 }
        /Non-2xx/ { bad = $NF }
        END { if (bad > 0) { print "errors " bad > "/dev/stderr"; exit 1 } printf "%.0f %.2f %.2f %.2f\n", rps, p50, p95, p99 }'
}

# The median, field by field, of the lines on stdin.
median() {
    awk '
        { for (i = 1; i <= NF; i++) v[i, NR] = $i + 0; n = NF }
        END {
            m = int((NR + 1) / 2); line = ""
            for (i = 1; i <= n; i++) {
                for (r = 1; r <= NR; r++) a[r] = v[i, r]
                for (r = 2; r <= NR; r++) { x = a[r]; j = r - 1; while (j > 0 && a[j] > x) { a[j + 1] = a[j]; j-- } a[j + 1] = x }
                line = line (i > 1 ? " " : "") a[m]
            }
            print line
        }'
}

# compare LABEL CONNECTIONS SCRIPT [PATH]: ROUNDS rounds of SCRIPT against
# every runtime in turn (after one warm-up run each), then one line per
# runtime with the medians, and the ratio spin / host when both ran.
# Sets RESULT[runtime] to "requests/s p50 p95 p99".
declare -A RESULT
compare() {
    local label=$1 connections=$2 script=$3 path=${4:-}
    local runtime round
    declare -A runs
    for runtime in $RUNTIMES; do measure "${BASE[$runtime]}$path" "$connections" "$script" >/dev/null; done
    for round in $(seq 1 "$ROUNDS"); do
        for runtime in $RUNTIMES; do
            runs[$runtime]+="$(measure "${BASE[$runtime]}$path" "$connections" "$script")"$'\n'
        done
    done
    for runtime in $RUNTIMES; do
        RESULT[$runtime]=$(printf '%s' "${runs[$runtime]}" | median)
        read -r rps p50 p95 p99 <<<"${RESULT[$runtime]}"
        printf '%s [%s]: %s requests/s, p50 %s ms, p95 %s ms, p99 %s ms\n' "$label" "$runtime" "$rps" "$p50" "$p95" "$p99"
    done
    if [ -n "${RESULT[host]:-}" ] && [ -n "${RESULT[spin]:-}" ]; then
        read -r host_rps _ _ host_p99 <<<"${RESULT[host]}"
        read -r spin_rps _ _ spin_p99 <<<"${RESULT[spin]}"
        awk -v l="$label" -v hr="$host_rps" -v sr="$spin_rps" -v hp="$host_p99" -v sp="$spin_p99" \
            'BEGIN { printf "%s [spin / host]: throughput %.2f, p99 %.2f\n", l, sr / hr, sp / hp }'
    fi
}
