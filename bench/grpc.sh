#!/usr/bin/env bash
# gRPC vs REST on one ferry server: bc_xgb (XGBoost, 30 features) and digits_mlp (ONNX MLP,
# 64 pixels), batch 1, 64 connections each.
#
# For each model, one `ferry serve` answers both ports; the request is the first row of the
# model's test split:
#   REST  wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s bench/post.lua URL   (OIP v2 JSON)
#   gRPC  build/ferry-grpc-load --target 127.0.0.1:PORT --model NAME --request REQUEST.json \
#             --concurrency $CONNECTIONS --connections $CONNECTIONS --threads $THREADS \
#             --duration $DURATION --warmup $WARMUP           (ModelInfer, raw_input_contents)
# Both are closed loops with $CONNECTIONS requests in flight. Besides req/s and latency, the
# table gives the server's CPU time per request (utime+stime of the ferry process from
# /proc/PID/stat over the measured run, divided by the requests), which does not depend on how
# much CPU the load generator takes from the server, and the load generator's own CPU per request
# (bash's `time` for wrk; getrusage in ferry-grpc-load, warm-up included): gRPC's client (gRPC
# core, HTTP/2, protobuf) costs more CPU per call than wrk, and it runs on the same cores.
#
# CAVEAT: the load generators share the machine's cores (2 on the reference box, shared with
# other work) with the server, so compare the two protocols within one run, not across runs.
#
# Env: DURATION (10, seconds), CONNECTIONS (64), THREADS (2: wrk threads and gRPC client
#      threads), WARMUP (2, seconds; unrecorded), FERRY (build/ferry), LOAD
#      (build/ferry-grpc-load), SHARED (../shared), PYTHON (/usr/bin/python3), MODELS
#      ("bc_xgb digits_mlp"), START_TIMEOUT (30 s).
# Output: a markdown table on stdout, raw outputs in bench/results/ (gitignored). Kills only the
# server it started (trap on EXIT).
set -euo pipefail

cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-2}
FERRY=${FERRY:-build/ferry}
LOAD=${LOAD:-build/ferry-grpc-load}
SHARED=${SHARED:-../shared}
PYTHON=${PYTHON:-/usr/bin/python3}
MODELS=${MODELS:-bc_xgb digits_mlp}
START_TIMEOUT=${START_TIMEOUT:-30}

die() { echo "grpc.sh: $*" >&2; exit 1; }

command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
command -v curl >/dev/null || die "curl not found"
[[ -x $FERRY ]] || die "ferry binary '$FERRY' not found; build it (make) or set FERRY="
[[ -x $LOAD ]] || die "load generator '$LOAD' not found; build it (make) or set LOAD="

LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ferry-grpc-bench.XXXXXX")
SERVER_PID=""

cleanup() {
    local rc=$?
    if [[ -n $SERVER_PID ]]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# server_cpu_ticks: utime + stime of the server, in clock ticks.
server_cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }

# make_request MODEL: the first test row as an OIP v2 JSON request in $TMP/MODEL.json.
make_request() {
    "$PYTHON" - "$SHARED/models/$1" "$TMP/$1.json" <<'EOF'
import json, sys
src, out = sys.argv[1:3]
t = json.load(open(src + "/test_inputs.json"))
cols = t["shape"][1]
json.dump({"inputs": [{"name": t["name"], "datatype": t["datatype"], "shape": [1, cols],
                       "data": t["data"][:cols]}]}, open(out, "w"))
EOF
}

# start_server MODEL: serves the model on free REST and gRPC ports; waits until REST answers.
start_server() {
    local model=$1 file="" candidate code deadline
    for candidate in "$SHARED/models/$model"/model.{json,onnx}; do
        [[ -f $candidate ]] && { file=$candidate; break; }
    done
    [[ -n $file ]] || die "no model.json or model.onnx under $SHARED/models/$model"
    HTTP_PORT=$(free_port)
    GRPC_PORT=$(free_port)
    SERVER_CMD="$FERRY serve $file --name $model --http-port $HTTP_PORT --grpc-port $GRPC_PORT --log-level warn"
    $SERVER_CMD >"$TMP/$model.log" 2>&1 &
    SERVER_PID=$!
    deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/$model.log" >&2; die "ferry exited"; }
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -X POST \
            -H 'Content-Type: application/json' --data-binary "@$TMP/$model.json" \
            "http://127.0.0.1:$HTTP_PORT/v2/models/$model/infer" || true)
        [[ $code == 200 ]] && return 0
        sleep 0.1
    done
    die "ferry did not serve $model within ${START_TIMEOUT}s"
}

stop_server() {
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# to_ms VALUE: wrk latency ("850.00us", "1.23ms", "1.02s") -> milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000;
        printf "%.3f", n }'
}

mkdir -p bench/results
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
WRK_CMD="wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency -s bench/post.lua"
LOAD_ARGS="--concurrency $CONNECTIONS --connections $CONNECTIONS --threads $THREADS --duration $DURATION --warmup $WARMUP"
ROWS=()

# run_rest MODEL / run_grpc MODEL: one measured run each; append a table row.
run_rest() {
    local model=$1 url out c0 c1 rps requests
    url="http://127.0.0.1:$HTTP_PORT/v2/models/$model/infer"
    out=bench/results/$STAMP-$model-rest.txt
    export BODY_FILE=$TMP/$model.json
    [[ $WARMUP == 0 ]] || wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s bench/post.lua "$url" >/dev/null
    echo "running: $WRK_CMD $url" >&2
    { echo "# $WRK_CMD $url"; echo "# server: $SERVER_CMD"; } >"$out"
    c0=$(server_cpu_ticks)
    local TIMEFORMAT='%U %S' client_cpu
    client_cpu=$({ time wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency \
        -s bench/post.lua "$url" >>"$out"; } 2>&1)
    c1=$(server_cpu_ticks)
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    requests=$(awk '/requests in/ {print $1}' "$out")
    grep -q 'Non-2xx' "$out" && echo "WARNING: non-2xx answers over REST (see $out)" >&2
    ROWS+=("$(printf '| %s | REST (wrk) | %.0f | %s | %s | %s | %s |' "$model" "$rps" \
        "$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")" \
        "$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")" \
        "$(awk -v t=$((c1 - c0)) -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / hz / n * 1e6}')" \
        "$(awk -v c="$client_cpu" -v n="$requests" 'BEGIN {split(c, a, " "); printf "%.1f", (a[1] + a[2]) / n * 1e6}')")")
}

run_grpc() {
    local model=$1 out c0 c1 line
    out=bench/results/$STAMP-$model-grpc.txt
    echo "running: $LOAD --target 127.0.0.1:$GRPC_PORT --model $model --request REQUEST.json $LOAD_ARGS" >&2
    { echo "# $LOAD --target 127.0.0.1:$GRPC_PORT --model $model --request $model.json $LOAD_ARGS"
      echo "# server: $SERVER_CMD"; } >"$out"
    # The warm-up is inside the run: read the CPU when it ends.
    $LOAD --target "127.0.0.1:$GRPC_PORT" --model "$model" --request "$TMP/$model.json" $LOAD_ARGS >>"$out" &
    local load_pid=$!
    sleep "$WARMUP"
    c0=$(server_cpu_ticks)
    wait "$load_pid" || die "ferry-grpc-load failed (see $out)"
    c1=$(server_cpu_ticks)
    line=$(grep '^grpc ' "$out")
    field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
    [[ $(field errors) == 0 ]] || echo "WARNING: $(field errors) failed gRPC calls (see $out)" >&2
    ROWS+=("$(printf '| %s | gRPC (ferry-grpc-load) | %.0f | %s | %s | %s | %s |' "$model" \
        "$(field rps)" "$(field p50_ms)" "$(field p99_ms)" \
        "$(awk -v t=$((c1 - c0)) -v n="$(field requests)" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / hz / n * 1e6}')" \
        "$(field client_cpu_us_per_call)")")
}

for model in $MODELS; do
    make_request "$model"
    start_server "$model"
    run_rest "$model"
    run_grpc "$model"
    stop_server
done

{
    echo "| model | protocol | req/s | p50 ms | p99 ms | server CPU µs/request | client CPU µs/request |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "REST: \`$WRK_CMD URL\`; gRPC: \`$LOAD --target 127.0.0.1:PORT --model NAME --request REQUEST.json $LOAD_ARGS\`"
    echo "(${WARMUP} s unrecorded warm-up first; the request is the model's first test row, batch 1)"
    echo
    echo "Server: \`$FERRY serve MODEL_FILE --name NAME --http-port P --grpc-port Q --log-level warn\`"
    echo
    echo "Host: $(nproc) cores ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), load generators on the same cores; load average at the start: $LOADAVG_START, at the end: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%M:%SZ)"
} | tee "bench/results/$STAMP-grpc-summary.md"
