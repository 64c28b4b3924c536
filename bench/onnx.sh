#!/usr/bin/env bash
# ferry's ONNX engine vs ONNX Runtime (onnxruntime-node), latency per call in process,
# one intra-op thread each, same machine, same run.
#
#   bench/onnx.sh [--iterations N] [--warmup N]
#
# Needs build/ferry (runs `make` if missing) and node; installs onnxruntime-node into
# bench/peers/node_modules (npm install --ignore-scripts) if it is not there.
# Prints a markdown table and the exact commands it ran.
set -euo pipefail

ITER=2000
WARMUP=200
while [ $# -gt 0 ]; do
  case "$1" in
    --iterations) ITER="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    *) echo "usage: $0 [--iterations N] [--warmup N]" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
MODELS="../shared/models"  # relative to the repo root, so the printed commands are short
[ -d "$MODELS" ] || { echo "no $MODELS" >&2; exit 1; }
FERRY="$ROOT/build/ferry"
PEERS="$ROOT/bench/peers"

if [ ! -x "$FERRY" ]; then
  make >&2 || { echo "make failed and build/ferry is missing" >&2; exit 1; }
fi
if [ ! -d "$PEERS/node_modules/onnxruntime-node" ]; then
  (cd "$PEERS" && npm install --ignore-scripts onnxruntime-node >&2)
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# One-node Identity model ([N,64] float32), made at run time with python3-onnx when installed;
# otherwise ort_perf.js uses the same 76 bytes written by hand.
ID_MODEL="$TMP/identity.onnx"
PY=""
for p in /usr/bin/python3 python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c "import onnx" 2>/dev/null; then PY="$p"; break; fi
done
if [ -n "$PY" ]; then
  "$PY" - "$ID_MODEL" <<'EOF'
import sys, onnx
from onnx import helper, TensorProto
n = helper.make_node('Identity', ['x'], ['y'])
g = helper.make_graph([n], 'id',
    [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 64])],
    [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['N', 64])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)])
m.ir_version = 8
onnx.checker.check_model(m)
onnx.save(m, sys.argv[1])
EOF
  ID_SRC="python3-onnx ($PY)"
else
  ID_SRC="hand-written bytes in ort_perf.js"
fi

field() { # field JSON NAME
  node -e 'const o=JSON.parse(process.argv[1]); console.log(o[process.argv[2]])' "$1" "$2"
}

CMDS=()
ROWS=()
IDROWS=()
for model in digits_mlp digits_cnn; do
  M="$MODELS/$model/model.onnx"
  for b in 1 8 64 512; do
    c1="build/ferry perf --model $M --batch-size $b --iterations $ITER --warmup $WARMUP --json"
    c2="node bench/peers/ort_perf.js --model $M --batch-size $b --iterations $ITER --warmup $WARMUP"
    CMDS+=("$c1" "$c2")
    f="$($c1)"
    o="$($c2)"
    fm="$(field "$f" median_us)"; fp90="$(field "$f" p90_us)"; fp99="$(field "$f" p99_us)"
    om="$(field "$o" median_us)"; op90="$(field "$o" p90_us)"; op99="$(field "$o" p99_us)"
    ratio="$(node -e 'console.log((process.argv[1]/process.argv[2]).toFixed(2))' "$fm" "$om")"
    ROWS+=("| $model | $b | $fm | $om | **${ratio}×** | $fp90 / $fp99 | $op90 / $op99 |")
    echo "done $model batch $b: ferry $fm us, ORT $om us" >&2
  done
done
for b in 1 8 64 512; do
  c="node bench/peers/ort_perf.js --model identity --identity-file $ID_MODEL --batch-size $b --iterations $ITER --warmup $WARMUP"
  CMDS+=("$c")
  o="$($c)"
  IDROWS+=("| Identity [N,64] | $b | $(field "$o" median_us) | $(field "$o" p90_us) | $(field "$o" p99_us) |")
done
ORTV="$(cd "$PEERS" && node -e 'console.log(require("onnxruntime-node/package.json").version)')"

echo "## ONNX engine vs ONNX Runtime (in process)"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores shared with other work; ferry $(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
     "onnxruntime-node $ORTV (node $(node --version)); one intra-op thread each; $ITER timed calls after $WARMUP warm-up, random float32 inputs."
echo
echo "| model | batch | ferry median µs | ORT median µs | ferry/ORT | ferry p90 / p99 µs | ORT p90 / p99 µs |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${ROWS[@]}"
echo
echo "ONNX Runtime on a one-node Identity model (its per-call binding overhead; model from $ID_SRC):"
echo
echo "| model | batch | ORT median µs | p90 µs | p99 µs |"
echo "| --- | ---: | ---: | ---: | ---: |"
printf '%s\n' "${IDROWS[@]}"
echo
echo "Commands:"
echo
echo '```sh'
printf '%s\n' "${CMDS[@]}"
echo '```'
echo
echo "Caveat: one machine with $(nproc) cores shared with other sessions' builds and tests; medians are steadier than p99."
