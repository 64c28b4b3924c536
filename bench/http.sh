#!/usr/bin/env bash
# HTTP benchmark: ferry vs a FastAPI/uvicorn XGBoost server vs nginx returning a fixed body.
#
# All three serve POST /v2/models/bc_xgb/infer (OIP v2) on 127.0.0.1; wrk posts the first
# row of ../shared/models/bc_xgb/test_inputs.json (30 FP32 features) over keep-alive
# connections:  wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s bench/post.lua URL
#
#   ferry    ${FERRY:-build/ferry} serve --repo REPO --state STATE --grpc-port off --log-level warn,
#            REPO holding bc_xgb version 1 with model.yaml `payload_log: {sample: 0}` (serving only)
#   ferry_logged  the same with ferry's defaults: every prediction logged to the state store
#   fastapi  bench/peers/fastapi_xgb.py: uvicorn, 2 workers, uvloop + httptools, access log off,
#            xgboost inplace_predict with nthread=1 (the "typical Python model server")
#   nginx    bench/peers/nginx.conf: 2 workers, `return 200` with a ferry-sized JSON body, no
#            inference at all (the "HTTP ceiling")
#
# CAVEAT: wrk runs on the same machine and shares its cores (2 on the reference box) with the
# server under test, so absolute numbers are lower than with a separate load generator and a
# cheaper server looks better partly because it leaves wrk more CPU. Compare ratios, not req/s.
#
# Env: DURATION (10s), CONNECTIONS (64), THREADS (2), WARMUP (2s, unrecorded wrk run first;
#      0 to skip), FERRY (build/ferry), SKIP_FERRY=1 (both ferry rows) / SKIP_FERRY_LOGGED=1 /
#      SKIP_FASTAPI=1 / SKIP_NGINX=1,
#      START_TIMEOUT (30 s per server), PYTHON (/usr/bin/python3), NGINX (nginx).
# Output: a markdown table on stdout; raw wrk outputs + the table in bench/results/ (gitignored).
# The script kills only the processes it started (trap on EXIT).
set -euo pipefail

cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-2s}
FERRY=${FERRY:-build/ferry}
PYTHON=${PYTHON:-/usr/bin/python3}
NGINX=${NGINX:-nginx}
START_TIMEOUT=${START_TIMEOUT:-30}
# The model under test: the shared bc_xgb fixture (100 trees, depth 4, 30 features); the request is
# the first row of its test split, the expected answer python3-xgboost's for that row.
SHARED=${SHARED:-../shared}
MODEL_NAME=bc_xgb
MODEL_FILE=$SHARED/models/bc_xgb/model.json
INFER_PATH=/v2/models/$MODEL_NAME/infer

die() { echo "http.sh: $*" >&2; exit 1; }

command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
command -v curl >/dev/null || die "curl not found"
[[ -f $MODEL_FILE ]] || die "$MODEL_FILE missing (set SHARED= to the shared fixtures folder)"

declare -a NAMES=()
[[ ${SKIP_FERRY:-0} == 1 ]] || NAMES+=(ferry)
[[ ${SKIP_FERRY:-0} == 1 || ${SKIP_FERRY_LOGGED:-0} == 1 ]] || NAMES+=(ferry_logged)
[[ ${SKIP_FASTAPI:-0} == 1 ]] || NAMES+=(fastapi)
[[ ${SKIP_NGINX:-0} == 1 ]] || NAMES+=(nginx)
((${#NAMES[@]})) || die "everything skipped"

if [[ " ${NAMES[*]} " == *" ferry "* ]]; then
    [[ -x $FERRY ]] || die "ferry binary '$FERRY' not found; build it (make) or set FERRY=, or SKIP_FERRY=1"
fi
if [[ " ${NAMES[*]} " == *" nginx "* ]]; then
    command -v "$NGINX" >/dev/null || die "nginx not found (apt-get install nginx-light) or SKIP_NGINX=1"
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench.XXXXXX")
REQUEST=$TMP/request.json
EXPECTED=$TMP/expected.json
"$PYTHON" - "$SHARED/models/bc_xgb" "$REQUEST" "$EXPECTED" "$MODEL_NAME" <<'EOF'
import json, sys
src, req_path, exp_path, name = sys.argv[1:5]
inputs, expected = json.load(open(src + "/test_inputs.json")), json.load(open(src + "/expected.json"))
cols = inputs["shape"][1]
json.dump({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, cols],
                       "data": inputs["data"][:cols]}]}, open(req_path, "w"))
out = expected["outputs"][0]
json.dump({"model_name": name, "model_version": "1", "outputs": [
    {"name": out["name"], "datatype": out["datatype"], "shape": [1], "data": out["data"][:1]}]},
    open(exp_path, "w"), separators=(",", ":"))
EOF
declare -A PID=() PORT=() CMD=()

cleanup() {
    local rc=$?
    local name
    for name in "${!PID[@]}"; do
        kill -TERM "${PID[$name]}" 2>/dev/null || true
    done
    for name in "${!PID[@]}"; do
        # Give each process (and its own children: uvicorn/nginx workers) a few seconds to exit.
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

# wait_ready NAME: POST the request until the server answers 200, the process dies, or timeout.
wait_ready() {
    local name=$1 url="http://127.0.0.1:${PORT[$1]}$INFER_PATH" code deadline
    deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        kill -0 "${PID[$name]}" 2>/dev/null || {
            echo "--- $name log:" >&2; cat "$TMP/$name.log" >&2 || true
            die "$name exited during startup"
        }
        code=$(curl -s -o "$TMP/$name.resp" -w '%{http_code}' --max-time 2 -X POST \
            -H 'Content-Type: application/json' --data-binary "@$REQUEST" "$url" || true)
        [[ $code == 200 ]] && return 0
        sleep 0.1
    done
    echo "--- $name log:" >&2; cat "$TMP/$name.log" >&2 || true
    die "$name did not answer 200 on $url within ${START_TIMEOUT}s (last status: ${code:-none})"
}

# check_answer NAME: compare the first output value with expected.json (ferry and fastapi only).
check_answer() {
    "$PYTHON" - "$TMP/$1.resp" "$EXPECTED" "$1" <<'EOF'
import json, sys
resp, exp, name = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
got, want = resp["outputs"][0]["data"][0], exp["outputs"][0]["data"][0]
ok = abs(got - want) <= 1e-6 + 1e-5 * abs(want)
print(f"{name}: predict={got!r} expected={want!r} {'OK' if ok else 'MISMATCH'}", file=sys.stderr)
sys.exit(0 if ok else 1)
EOF
}

# ferry serves bc_xgb from a one-model repository in $TMP: "ferry" with payload logging off
# (model.yaml: payload_log: {sample: 0}), serving alone as the peers do; "ferry_logged" with
# ferry's defaults, every prediction logged to the SQLite state store (the monitoring issue).
# Each has its own --state folder in $TMP.
make_repo() { # make_repo DIR MODEL_YAML_TEXT
    mkdir -p "$1/$MODEL_NAME/1"
    cp "$MODEL_FILE" "$1/$MODEL_NAME/1/model.json"
    printf '%s' "$2" >"$1/$MODEL_NAME/model.yaml"
}

start_ferry_repo() { # start_ferry_repo NAME
    PORT[$1]=$(free_port)
    CMD[$1]="$FERRY serve --repo $TMP/repo-$1 --state $TMP/state-$1 --http-port ${PORT[$1]} --grpc-port off --log-level warn  (model.yaml: $(tr '\n' ' ' <"$TMP/repo-$1/$MODEL_NAME/model.yaml"))"
    $FERRY serve --repo "$TMP/repo-$1" --state "$TMP/state-$1" --http-port "${PORT[$1]}" \
        --grpc-port off --log-level warn >"$TMP/$1.log" 2>&1 &
    PID[$1]=$!
}

start_ferry() {
    make_repo "$TMP/repo-ferry" $'payload_log: {sample: 0}\n'
    start_ferry_repo ferry
}

start_ferry_logged() {
    make_repo "$TMP/repo-ferry_logged" $'# ferry defaults: payload_log {sample: 1.0}\n'
    start_ferry_repo ferry_logged
}

start_fastapi() {
    PORT[fastapi]=$(free_port)
    CMD[fastapi]="MODEL=$MODEL_FILE MODEL_NAME=$MODEL_NAME PORT=${PORT[fastapi]} WORKERS=2 $PYTHON bench/peers/fastapi_xgb.py"
    MODEL=$MODEL_FILE MODEL_NAME=$MODEL_NAME PORT=${PORT[fastapi]} WORKERS=2 \
        "$PYTHON" bench/peers/fastapi_xgb.py >"$TMP/fastapi.log" 2>&1 &
    PID[fastapi]=$!
}

start_nginx() {
    PORT[nginx]=$(free_port)
    mkdir -p "$TMP/nginx"
    sed -e "s|__PORT__|${PORT[nginx]}|g" -e "s|__TMP__|$TMP/nginx|g" \
        -e "s|__MODEL__|$MODEL_NAME|g" -e "s|__BODY__|$(cat "$EXPECTED")|g" bench/peers/nginx.conf \
        >"$TMP/nginx/nginx.conf"
    CMD[nginx]="$NGINX -p $TMP/nginx -c $TMP/nginx/nginx.conf -e $TMP/nginx/error.log  (bench/peers/nginx.conf, port ${PORT[nginx]})"
    "$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" \
        >"$TMP/nginx.log" 2>&1 &
    PID[nginx]=$!
}

for name in "${NAMES[@]}"; do "start_$name"; done
for name in "${NAMES[@]}"; do
    wait_ready "$name"
    if [[ $name != nginx ]]; then check_answer "$name" || die "$name returned a wrong prediction"; fi
done

mkdir -p bench/results
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
WRK_CMD="wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s bench/post.lua"
export BODY_FILE=$REQUEST

# to_ms VALUE: wrk latency ("850.00us", "1.23ms", "1.02s", "2.00m") -> milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000;
        printf "%.3f", n }'
}

declare -A RPS=() P50=() P99=() ERRS=() SOCKERR=()
for name in "${NAMES[@]}"; do
    url="http://127.0.0.1:${PORT[$name]}$INFER_PATH"
    if [[ $WARMUP != 0 ]]; then
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s bench/post.lua "$url" >/dev/null
    fi
    out=bench/results/$STAMP-$name.txt
    echo "# $WRK_CMD $url" >"$out"
    echo "# server: ${CMD[$name]}" >>"$out"
    echo "running: $WRK_CMD $url   ($name)" >&2
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/post.lua "$url" | tee -a "$out" >/dev/null
    RPS[$name]=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    P50[$name]=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
    P99[$name]=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
    ERRS[$name]=$(awk '/Non-2xx or 3xx responses:/ {n += $NF} END {print n+0}' "$out")
    SOCKERR[$name]=$(awk '/Socket errors:/ {sub(/^ +/, ""); print}' "$out")
    [[ -n ${RPS[$name]} ]] || die "could not parse wrk output for $name (see $out)"
done

ratio() { # ratio NAME REF
    if [[ -n ${RPS[$2]:-} ]]; then awk -v a="${RPS[$1]}" -v b="${RPS[$2]}" 'BEGIN {printf "%.2fx", a / b}'
    else echo "-"; fi
}

{
    echo "| server | req/s | p50 ms | p99 ms | vs FastAPI | vs nginx |"
    echo "|---|---:|---:|---:|---:|---:|"
    for name in "${NAMES[@]}"; do
        printf '| %s | %.0f | %s | %s | %s | %s |\n' "$name" "${RPS[$name]}" "${P50[$name]}" \
            "${P99[$name]}" "$(ratio "$name" fastapi)" "$(ratio "$name" nginx)"
    done
    echo
    echo "Load: \`$WRK_CMD http://127.0.0.1:PORT$INFER_PATH\` (BODY_FILE=$REQUEST; ${WARMUP} unrecorded warm-up run first)"
    echo
    echo "Servers:"
    for name in "${NAMES[@]}"; do echo "- $name: \`${CMD[$name]}\`"; done
    echo
    echo "Host: $(nproc) cores ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), wrk on the same cores; $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    for name in "${NAMES[@]}"; do
        [[ ${ERRS[$name]} == 0 ]] || echo "WARNING: $name had ${ERRS[$name]} non-2xx responses (see bench/results/$STAMP-$name.txt)"
        [[ -z ${SOCKERR[$name]} ]] || echo "WARNING: $name: ${SOCKERR[$name]}"
    done
} | tee "bench/results/$STAMP-summary.md"
