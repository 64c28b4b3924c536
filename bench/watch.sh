#!/usr/bin/env bash
# Monitoring overhead: req/s of bc_xgb with validation, live drift and payload logging all on,
# against all off, in one run (issue 7's benchmark; goal: on >= 0.85x off).
#
# Both servers serve ../shared/models/bc_xgb/model.json registered with its training data
# (`ferry register bc_xgb model.json --data examples/models/breast_cancer/data/train.csv
# --label target`, so the version has profile.json), each from its own repository and state
# store, with one model.yaml difference:
#
#   on   validation: warn, drift: {window: 1000}, payload_log: {sample: 1.0}, task: binary
#   off  validation: off,  drift: off,            payload_log: {sample: 0}
#
#   ferry serve --repo REPO --state STATE --http-port PORT --grpc-port off --log-level warn
#
# wrk posts the first row of test_inputs.json (30 FP32 features, within the training range) over
# keep-alive connections, to `off`, then to `on`, ROUNDS times over (interleaved, so that a change
# in the machine's background load hits both alike), after an unrecorded warm-up each:
#   wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s bench/post.lua URL
# The table gives each round and the mean; the ratio is mean(on) / mean(off). Beside req/s it
# gives the server's CPU time per request (user + system of all its threads, from /proc/PID/stat,
# over the recorded run), and the ratio of those, off / on: the throughput ratio the server would
# reach if it had the cores to itself, which holds still when other work shares the machine.
#
# CAVEAT: wrk runs on the same machine and shares its cores (2 on the reference box) with the
# server under test; the machine may be shared with other builds: the script prints `uptime`'s
# load before and after. Compare the ratio, not req/s.
#
# PARTS=1 also measures each hook alone (validation, drift, log: one on, the others off).
# Env: DURATION (10s), CONNECTIONS (64), THREADS (2), ROUNDS (2), WARMUP (2s; 0 to skip), FERRY
#      (build/ferry), SHARED (../shared), START_TIMEOUT (30 s), PYTHON (/usr/bin/python3).
# Output: a markdown table on stdout; raw wrk outputs in bench/results/ (gitignored). The script
# stops only the servers it started (by PID, trap on EXIT).
set -euo pipefail

cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-2s}
ROUNDS=${ROUNDS:-2}
FERRY=${FERRY:-build/ferry}
PYTHON=${PYTHON:-/usr/bin/python3}
START_TIMEOUT=${START_TIMEOUT:-30}
SHARED=${SHARED:-../shared}
MODEL_NAME=bc_xgb
MODEL_FILE=$SHARED/models/bc_xgb/model.json
TRAIN=examples/models/breast_cancer/data/train.csv
INFER_PATH=/v2/models/$MODEL_NAME/infer

die() { echo "watch.sh: $*" >&2; exit 1; }

command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
command -v curl >/dev/null || die "curl not found"
[[ -x $FERRY ]] || die "ferry binary '$FERRY' not found; build it (make) or set FERRY="
[[ -f $MODEL_FILE ]] || die "$MODEL_FILE missing (set SHARED= to the shared fixtures folder)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ferry-watch.XXXXXX")
REQUEST=$TMP/request.json
"$PYTHON" - "$SHARED/models/bc_xgb/test_inputs.json" "$REQUEST" <<'EOF'
import json, sys
inputs = json.load(open(sys.argv[1]))
cols = inputs["shape"][1]
json.dump({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, cols],
                       "data": inputs["data"][:cols]}]}, open(sys.argv[2], "w"))
EOF

declare -A PID=() PORT=() CMD=() YAML=()
YAML[off]=$'validation: off\ndrift: off\npayload_log: {sample: 0}\n'
YAML[on]=$'validation: warn\ndrift: {window: 1000}\npayload_log: {sample: 1.0}\ntask: binary\n'
YAML[validation]=$'validation: warn\ndrift: off\npayload_log: {sample: 0}\n'
YAML[drift]=$'validation: off\ndrift: {window: 1000}\npayload_log: {sample: 0}\n'
YAML[log]=$'validation: off\ndrift: off\npayload_log: {sample: 1.0}\ntask: binary\n'
NAMES=(off on)
[[ ${PARTS:-0} == 1 ]] && NAMES=(off validation drift log on)

cleanup() {
    local rc=$? name
    for name in "${!PID[@]}"; do kill -TERM "${PID[$name]}" 2>/dev/null || true; done
    for name in "${!PID[@]}"; do
        for _ in $(seq 50); do kill -0 "${PID[$name]}" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "${PID[$name]}" 2>/dev/null || true
        wait "${PID[$name]}" 2>/dev/null || true
    done
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# setup NAME: a repository with bc_xgb registered with its training data and NAME's model.yaml.
setup() {
    local repo=$TMP/$1/models
    mkdir -p "$repo"
    "$FERRY" register "$MODEL_NAME" "$MODEL_FILE" --repo "$repo" --create --data "$TRAIN" \
        --label target >/dev/null
    printf '%s' "${YAML[$1]}" >>"$repo/$MODEL_NAME/model.yaml"
}

start() {
    local name=$1
    PORT[$name]=$(free_port)
    CMD[$name]="$FERRY serve --repo $TMP/$name/models --state $TMP/$name/state --http-port ${PORT[$name]} --grpc-port off --log-level warn"
    ${CMD[$name]} >"$TMP/$name.log" 2>&1 &
    PID[$name]=$!
}

wait_ready() {
    local name=$1 url="http://127.0.0.1:${PORT[$1]}$INFER_PATH" code deadline
    deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        kill -0 "${PID[$name]}" 2>/dev/null || { cat "$TMP/$name.log" >&2; die "$name exited"; }
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -X POST \
            -H 'Content-Type: application/json' --data-binary "@$REQUEST" "$url" || true)
        [[ $code == 200 ]] && return 0
        sleep 0.1
    done
    cat "$TMP/$name.log" >&2
    die "$name did not answer 200 within ${START_TIMEOUT}s"
}

for name in "${NAMES[@]}"; do setup "$name"; start "$name"; done
for name in "${NAMES[@]}"; do wait_ready "$name"; done

mkdir -p bench/results
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
WRK_CMD="wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s bench/post.lua"
export BODY_FILE=$REQUEST
LOAD_BEFORE=$(uptime | sed 's/.*load average: //')

# The server's CPU time (user + system, all threads) in clock ticks, from /proc/PID/stat.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICKS_PER_S=$(getconf CLK_TCK)

declare -A RPS=() P50=() P99=() ERRS=() SUM=() CPU=() CPU_SUM=()
declare -a ROWS=()
for round in $(seq "$ROUNDS"); do
    for name in "${NAMES[@]}"; do
        url="http://127.0.0.1:${PORT[$name]}$INFER_PATH"
        [[ $WARMUP == 0 ]] || wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s bench/post.lua "$url" >/dev/null
        out=bench/results/$STAMP-watch-$name-$round.txt
        { echo "# $WRK_CMD $url"; echo "# server: ${CMD[$name]}"; } >"$out"
        echo "running: $WRK_CMD $url   ($name, round $round)" >&2
        ticks=$(cpu_ticks "${PID[$name]}")
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/post.lua "$url" >>"$out"
        ticks=$(($(cpu_ticks "${PID[$name]}") - ticks))
        requests=$(awk '/requests in/ {print $1}' "$out")
        CPU[$name]=$(awk -v t="$ticks" -v hz="$TICKS_PER_S" -v n="$requests" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
        CPU_SUM[$name]=$(awk -v a="${CPU_SUM[$name]:-0}" -v b="${CPU[$name]}" 'BEGIN {print a + b}')
        RPS[$name]=$(awk '/^Requests\/sec:/ {print $2}' "$out")
        P50[$name]=$(awk '$1 == "50%" {print $2}' "$out")
        P99[$name]=$(awk '$1 == "99%" {print $2}' "$out")
        ERRS[$name]=$((${ERRS[$name]:-0} + $(awk '/Non-2xx or 3xx responses:/ {n += $NF} END {print n+0}' "$out")))
        [[ -n ${RPS[$name]} ]] || die "could not parse wrk output for $name (see $out)"
        SUM[$name]=$(awk -v a="${SUM[$name]:-0}" -v b="${RPS[$name]}" 'BEGIN {print a + b}')
        ROWS+=("$(printf '| %s | %s | %.0f | %s | %s | %s |' "$round" "$name" "${RPS[$name]}" "${P50[$name]}" "${P99[$name]}" "${CPU[$name]}")")
    done
    for name in "${NAMES[@]}"; do
        [[ $name == off ]] && continue
        ROWS+=("$(printf '| %s | %s / off | %s | | | %s |' "$round" "$name" "$(awk -v a="${RPS[$name]}" -v b="${RPS[off]}" 'BEGIN {printf "%.2fx", a / b}')" "$(awk -v a="${CPU[$name]}" -v b="${CPU[off]}" 'BEGIN {printf "%.2fx", b / a}')")")
    done
done
LOAD_AFTER=$(uptime | sed 's/.*load average: //')

# What the `on` server did: predictions logged and drift windows measured.
on_url=http://127.0.0.1:${PORT[on]}
LOGGED=$(curl -s "$on_url/metrics" | awk '/^ferry_payload_log_written_total/ {print $2}')
DROPPED=$(curl -s "$on_url/metrics" | awk '/^ferry_payload_log_dropped_total/ {print $2}')
WINDOWS=$(curl -s "$on_url/v2/models/$MODEL_NAME/drift" |
    "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["windows_completed"])')

{
    echo "| round | monitoring | req/s | p50 | p99 | server CPU µs/req |"
    echo "|---|---|---:|---:|---:|---:|"
    printf '%s\n' "${ROWS[@]}"
    for name in "${NAMES[@]}"; do
        printf '| mean | %s | %.0f | | | %.1f |\n' "$name" "$(awk -v a="${SUM[$name]}" -v n="$ROUNDS" 'BEGIN {print a / n}')" "$(awk -v a="${CPU_SUM[$name]}" -v n="$ROUNDS" 'BEGIN {print a / n}')"
    done
    for name in "${NAMES[@]}"; do
        [[ $name == off ]] && continue
        printf '| mean | %s / off | %s | | | %s |\n' "$name" "$(awk -v a="${SUM[$name]}" -v b="${SUM[off]}" 'BEGIN {printf "%.2fx", a / b}')" "$(awk -v a="${CPU_SUM[$name]}" -v b="${CPU_SUM[off]}" 'BEGIN {printf "%.2fx", b / a}')"
    done
    echo
    echo "Load: \`$WRK_CMD http://127.0.0.1:PORT$INFER_PATH\` (${WARMUP} unrecorded warm-up first)"
    echo "on: ${LOGGED:-?} records written to the state store (${DROPPED:-?} dropped), ${WINDOWS:-?} drift windows measured"
    echo "uptime load average before: $LOAD_BEFORE; after: $LOAD_AFTER"
    echo "Host: $(nproc) cores ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), wrk on the same cores; $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    for name in "${NAMES[@]}"; do
        [[ ${ERRS[$name]} == 0 ]] || echo "WARNING: $name had ${ERRS[$name]} non-2xx responses"
    done
} | tee "bench/results/$STAMP-watch-summary.md"
