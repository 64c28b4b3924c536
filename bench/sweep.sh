#!/usr/bin/env bash
# Real-time serving benchmark: a concurrency sweep over REST and gRPC with batching off and on, a
# Node.js + onnxruntime-node peer, and an open-loop latency run (docs/benchmarks.md records it).
#
# Models: digits_mlp and digits_cnn (../shared/models, the request their first test row) and
# mlp_heavy, a compute-heavy MLP 784 -> W -> W -> 10 (Gemm+Relu, W = $HEAVY_WIDTH, 2048 by default:
# about 5 MFLOP a row, so that batching's gain shows over the HTTP cost) generated here with
# python3-onnx from numpy seed 0 into a temporary folder (about 23 MB at 2048, not committed). Two
# repositories hold the same three models, both with `payload_log: {sample: 0}` (serving only,
# as the peer): "off" (one request per execution, `instances` one per core) and "on" (instances: 1, batching: {max_batch_size: 64,
# max_queue_delay_us: 1000}). One instance, because with as many instances as front-end threads
# every request finds an idle instance and runs inline, alone: nothing ever queues to batch.
#
#   sweep   for each repository, model, protocol and connections in $CONCURRENCY:
#           REST  wrk -t2 -cN -d${DURATION}s --latency -s bench/post.lua URL
#           gRPC  build/ferry-grpc-load --concurrency N --connections min(N,64) --threads min(N,2)
#           and the server-side split from /v2/models/NAME/stats over the run: queue µs per
#           request, backend µs per execution, rows per execution, backend µs per request
#           (execution time shared out over its rows' requests: what batching saves).
#   goals   repeated $REPEATS times: mlp_heavy at 64 connections batching off vs on (REST and
#           gRPC);
#           digits_mlp at 64 connections, ferry (batching off) vs bench/peers/node_ort_server.js
#           (node cluster, 2 workers); build/ferry-open-loop at half of ferry's best digits_mlp
#           REST rate in the sweep, 32 keep-alive connections over 2 epoll threads,
#           ${OPEN_SECONDS}s, p50/p99/p999 from each request's intended send time.
#
# CAVEAT: wrk, ferry-grpc-load and ferry-open-loop run on the same cores as the server (2 on the
# reference box, shared with other builds): the load average is printed with every section.
#
# Env: DURATION (5 s), WARMUP (1 s), CONCURRENCY ("1 4 16 64 256"), MODELS ("digits_mlp digits_cnn
#      mlp_heavy"), HEAVY_WIDTH (2048), REPEATS (3), OPEN_SECONDS (10), SKIP_SWEEP=1, SKIP_GOALS=1, SHARED
#      (../shared), PYTHON (/usr/bin/python3), NODE (node), SKIP_NODE=1 (also when
#      onnxruntime-node is not installed: the node columns read n/a).
# Output: markdown on stdout and in bench/results/ (gitignored). Kills only what it started.
set -euo pipefail

cd "$(dirname "$0")/.."

DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
CONCURRENCY=${CONCURRENCY:-1 4 16 64 256}
MODELS=${MODELS:-digits_mlp digits_cnn mlp_heavy}
REPEATS=${REPEATS:-3}
OPEN_SECONDS=${OPEN_SECONDS:-10}
HEAVY_WIDTH=${HEAVY_WIDTH:-2048}
SHARED=$(cd "${SHARED:-../shared}" && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
NODE=${NODE:-node}
FERRY=build/ferry
LOAD=build/ferry-grpc-load
OPEN=build/ferry-open-loop

die() { echo "sweep.sh: $*" >&2; exit 1; }
for tool in wrk curl; do command -v "$tool" >/dev/null || die "$tool not found"; done
for bin in $FERRY $LOAD $OPEN; do [[ -x $bin ]] || die "$bin not found: build first (make)"; done
SKIP_NODE=${SKIP_NODE:-0}
if [[ $SKIP_NODE != 1 && ! -d bench/peers/node_modules/onnxruntime-node ]]; then
    echo "sweep.sh: onnxruntime-node missing, the node peer is skipped (install it with:" \
        "cd bench/peers && npm install --ignore-scripts onnxruntime-node)" >&2
    SKIP_NODE=1
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ferry-sweep.XXXXXX")
SERVER_PID=""
cleanup() {
    local rc=$?
    stop_server
    rm -rf "$TMP"
    exit "$rc"
}
stop_server() {
    if [[ -n $SERVER_PID ]]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
load() { echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"; }

# ---------------------------------------------------------------------------------------------
# Models, repositories and requests
# ---------------------------------------------------------------------------------------------

"$PYTHON" - "$TMP" "$SHARED" "$HEAVY_WIDTH" <<'PY'
import json, os, sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

tmp, shared, width = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = np.random.default_rng(0)
sizes = [784, width, width, 10]
inits, nodes, prev = [], [], "input"
for i in range(3):
    w = (rng.standard_normal((sizes[i], sizes[i + 1])) / np.sqrt(sizes[i])).astype(np.float32)
    b = (rng.standard_normal(sizes[i + 1]) * 0.01).astype(np.float32)
    inits += [numpy_helper.from_array(w, "w%d" % i), numpy_helper.from_array(b, "b%d" % i)]
    out = "logits" if i == 2 else "h%d" % i
    nodes.append(helper.make_node("Gemm", [prev, "w%d" % i, "b%d" % i], [out + ("" if i == 2 else "_pre")]))
    if i < 2:
        nodes.append(helper.make_node("Relu", [out + "_pre"], [out]))
    prev = out
graph = helper.make_graph(nodes, "mlp_heavy",
                          [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 784])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
                          inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.checker.check_model(model)
for mode in ("off", "on"):
    for name in ("digits_mlp", "digits_cnn", "mlp_heavy"):
        d = os.path.join(tmp, "models-" + mode, name, "1")
        os.makedirs(d)
        if name == "mlp_heavy":
            onnx.save(model, os.path.join(d, "model.onnx"))
        else:
            os.symlink(os.path.join(shared, "models", name, "model.onnx"), os.path.join(d, "model.onnx"))
        # Payload logging off in both: this measures serving, as the peer does (the monitoring
        # issue's bench/watch.sh measures the logging's cost).
        with open(os.path.join(tmp, "models-" + mode, name, "model.yaml"), "w") as f:
            f.write("payload_log: {sample: 0}\n")
            if mode == "on":
                f.write("instances: 1\nbatching:\n  max_batch_size: 64\n  max_queue_delay_us: 1000\n")
for name in ("digits_mlp", "digits_cnn"):
    t = json.load(open(os.path.join(shared, "models", name, "test_inputs.json")))
    per_row = int(np.prod(t["shape"][1:]))
    req = {"inputs": [{"name": t["name"], "datatype": "FP32", "shape": [1] + t["shape"][1:],
                       "data": t["data"][:per_row]}]}
    json.dump(req, open(os.path.join(tmp, name + ".json"), "w"))
x = np.random.default_rng(1).random(784).astype(np.float32)
json.dump({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 784],
                       "data": [round(float(v), 4) for v in x]}]},
          open(os.path.join(tmp, "mlp_heavy.json"), "w"))
PY

# start_server MODE: ferry on $TMP/models-MODE, free ports; waits until every model answers.
start_server() {
    HTTP_PORT=$(free_port)
    GRPC_PORT=$(free_port)
    SERVER_CMD="$FERRY serve --repo $TMP/models-$1 --state $TMP/state-$1 --http-port $HTTP_PORT --grpc-port $GRPC_PORT --log-level warn"
    $SERVER_CMD >"$TMP/server-$1.log" 2>&1 &
    SERVER_PID=$!
    local model code deadline=$((SECONDS + 60))
    for model in $MODELS; do
        while :; do
            kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/server-$1.log" >&2; die "ferry exited"; }
            ((SECONDS < deadline)) || { cat "$TMP/server-$1.log" >&2; die "ferry did not serve $model"; }
            code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -X POST -H 'Content-Type: application/json' \
                --data-binary "@$TMP/$model.json" "http://127.0.0.1:$HTTP_PORT/v2/models/$model/infer" || true)
            [[ $code == 200 ]] && break
            sleep 0.2
        done
    done
}

# stats MODEL: "success_count queue_ns inference_count execution_count exec_ns" (exec_ns: the
# backend time of every execution once, from batch_stats; the request-level compute_infer charges
# a shared batch's time to each of its requests)
stats() {
    curl -s "http://127.0.0.1:$HTTP_PORT/v2/models/$1/stats" | "$PYTHON" -c '
import json, sys
s = json.load(sys.stdin)["model_stats"][0]
i = s["inference_stats"]
print(i["success"]["count"], i["queue"]["ns"], s["inference_count"], s["execution_count"],
      sum(b["compute_infer"]["ns"] for b in s.get("batch_stats", [])))'
}

# split BEFORE AFTER: "queue µs/request | infer µs/execution | rows/execution | exec µs/request"
split() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        split(a, x, " "); split(b, y, " ");
        n = y[1] - x[1]; e = y[4] - x[4]; r = y[3] - x[3];
        printf "%.0f | %.0f | %.1f | %.1f", n ? (y[2] - x[2]) / n / 1e3 : 0, e ? (y[5] - x[5]) / e / 1e3 : 0,
            e ? r / e : 0, n ? (y[5] - x[5]) / n / 1e3 : 0 }'
}

to_ms() {
    awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; printf "%.2f", n }'
}

# rest PORT MODEL CONNS: "rps | p50 | p99" (wrk, warm-up first)
rest() {
    local url="http://127.0.0.1:$1/v2/models/$2/infer" out="$TMP/wrk.txt" threads=2
    (($3 < 2)) && threads=1
    export BODY_FILE=$TMP/$2.json
    wrk -t$threads -c"$3" -d"${WARMUP}s" -s bench/post.lua "$url" >/dev/null
    wrk -t$threads -c"$3" -d"${DURATION}s" --latency -s bench/post.lua "$url" >"$out"
    grep -q 'Non-2xx\|Socket errors' "$out" && echo "WARNING: errors: $(grep -h 'Non-2xx\|Socket' "$out")" >&2
    printf '%.0f | %s | %s' "$(awk '/^Requests\/sec:/ {print $2}' "$out")" \
        "$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")" "$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")"
}

# grpc MODEL CONNS: "rps | p50 | p99"
grpc() {
    local channels=$2 threads=2 line
    ((channels > 64)) && channels=64
    (($2 < 2)) && threads=1
    line=$($LOAD --target "127.0.0.1:$GRPC_PORT" --model "$1" --request "$TMP/$1.json" \
        --concurrency "$2" --connections "$channels" --threads $threads --duration "$DURATION" --warmup "$WARMUP")
    field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
    [[ $(field errors) == 0 ]] || echo "WARNING: $(field errors) gRPC errors" >&2
    printf '%.0f | %.2f | %.2f' "$(field rps)" "$(field p50_ms)" "$(field p99_ms)"
}

mkdir -p bench/results
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=bench/results/$STAMP-sweep.md
exec > >(tee "$OUT")

echo "# bench/sweep.sh $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo
echo "Host: $(nproc) cores ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)); $(load); DURATION=${DURATION}s WARMUP=${WARMUP}s"
echo

# ---------------------------------------------------------------------------------------------
# Sweep
# ---------------------------------------------------------------------------------------------

BEST_MLP=0
if [[ ${SKIP_SWEEP:-0} != 1 ]]; then
    echo "| batching | model | protocol | connections | req/s | p50 ms | p99 ms | queue µs/req | infer µs/exec | rows/exec | exec µs/req |"
    echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for mode in off on; do
        start_server $mode
        for model in $MODELS; do
            for proto in REST gRPC; do
                for c in $CONCURRENCY; do
                    before=$(stats "$model")
                    if [[ $proto == REST ]]; then r=$(rest "$HTTP_PORT" "$model" "$c"); else r=$(grpc "$model" "$c"); fi
                    after=$(stats "$model")
                    echo "| $mode | $model | $proto | $c | $r | $(split "$before" "$after") |"
                    rps=${r%% *}
                    if [[ $model == digits_mlp && $proto == REST ]] && ((rps > BEST_MLP)); then BEST_MLP=$rps; fi
                done
            done
        done
        stop_server
        echo
        echo "($mode done; $(load))"
        echo
    done
    echo "Server: \`$FERRY serve --repo MODELS --state STATE --http-port P --grpc-port Q --log-level warn\`"
    echo
fi

# ---------------------------------------------------------------------------------------------
# Goals
# ---------------------------------------------------------------------------------------------

[[ ${SKIP_GOALS:-0} == 1 ]] && exit 0
[[ $BEST_MLP -gt 0 ]] || BEST_MLP=${BEST_MLP_RPS:-10000}

NODE_PORT=$(free_port)
node_start() {
    "$NODE" bench/peers/node_ort_server.js --model "$SHARED/models/digits_mlp/model.onnx" \
        --name digits_mlp --port "$NODE_PORT" --workers 2 >"$TMP/node.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do
        curl -sf -o /dev/null --max-time 2 -X POST -H 'Content-Type: application/json' --data-binary "@$TMP/digits_mlp.json" \
            "http://127.0.0.1:$NODE_PORT/v2/models/digits_mlp/infer" && return 0
        sleep 0.2
    done
    die "the node peer did not start: $(cat "$TMP/node.log")"
}

RATE=$((BEST_MLP / 2))
echo "## Goals ($REPEATS repeats)"
echo
echo "| repeat | mlp_heavy REST c64 off req/s | on req/s | on/off | mlp_heavy gRPC c64 off req/s | on req/s | on/off | digits_mlp c64 ferry req/s | node+ORT req/s | ferry/node | open loop $RATE req/s: p50 / p99 / p999 / max ms (achieved) | load |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
for rep in $(seq "$REPEATS"); do
    start_server off
    heavy_off=$(rest "$HTTP_PORT" mlp_heavy 64)
    grpc_off=$(grpc mlp_heavy 64)
    ferry_mlp=$(rest "$HTTP_PORT" digits_mlp 64)
    open=$($OPEN --port "$HTTP_PORT" --path /v2/models/digits_mlp/infer --body "$TMP/digits_mlp.json" \
        --rate "$RATE" --duration "$OPEN_SECONDS" --connections 32 --threads 2 || true)
    stop_server
    start_server on
    heavy_on=$(rest "$HTTP_PORT" mlp_heavy 64)
    grpc_on=$(grpc mlp_heavy 64)
    stop_server
    node_mlp="n/a"
    if [[ $SKIP_NODE != 1 ]]; then
        node_start
        node_mlp=$(rest "$NODE_PORT" digits_mlp 64)
        stop_server
    fi
    f() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$open"; }
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else printf "n/a" }'; }
    printf '| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s / %s (%s) | %s |\n' "$rep" \
        "${heavy_off%% *}" "${heavy_on%% *}" "$(ratio "${heavy_on%% *}" "${heavy_off%% *}")" \
        "${grpc_off%% *}" "${grpc_on%% *}" "$(ratio "${grpc_on%% *}" "${grpc_off%% *}")" \
        "${ferry_mlp%% *}" "${node_mlp%% *}" "$(ratio "${ferry_mlp%% *}" "${node_mlp%% *}")" \
        "$(f p50_ms)" "$(f p99_ms)" "$(f p999_ms)" "$(f max_ms)" "$(f achieved_rps)" "$(cut -d' ' -f1 /proc/loadavg)"
done
echo
echo "gRPC points: \`$LOAD --target HOST:PORT --model mlp_heavy --request REQUEST --concurrency 64 --connections 64 --threads 2 --duration $DURATION --warmup $WARMUP\`; REST points: \`wrk -t2 -c64 -d${DURATION}s --latency -s bench/post.lua URL\` after a ${WARMUP}s warm-up; open loop: \`$OPEN --port P --path /v2/models/digits_mlp/infer --body REQUEST --rate $RATE --duration $OPEN_SECONDS --connections 32 --threads 2\` (half of the best digits_mlp REST rate of the sweep, $BEST_MLP req/s); node: \`node bench/peers/node_ort_server.js --model digits_mlp/model.onnx --name digits_mlp --port P --workers 2\`"
echo
echo "$(load) at the end"
