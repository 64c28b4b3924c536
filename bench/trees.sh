#!/usr/bin/env bash
# ferry's tree engine vs libxgboost on the same XGBoost models, in process, one thread each:
# `ferry perf` on the model with `tree_engine: ferry` (the default) and with `tree_engine: xgboost`
# (libxgboost's XGBoosterPredictFromDense, in place, nthread=1), alternating, same run.
#
#   bench/trees.sh [--iterations N] [--warmup N] [--rounds R]
#
# Each configuration runs R times (alternating engines); the table gives the lowest of the R
# medians, which other work on a shared machine disturbs least. Rows are the fixtures' test
# inputs, cycled. Needs build/ferry (runs `make` if missing). Prints a markdown table and the exact
# commands it ran.
set -euo pipefail

ITER=2000
WARMUP=200
ROUNDS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --iterations) ITER="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    *) echo "usage: $0 [--iterations N] [--warmup N] [--rounds R]" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
MODELS="../shared/models"
[ -d "$MODELS" ] || { echo "no $MODELS" >&2; exit 1; }
if [ ! -x build/ferry ]; then
  make >&2 || { echo "make failed and build/ferry is missing" >&2; exit 1; }
fi

TMP="$(mktemp -d /tmp/ferry-trees-bench.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT

# A model folder per (model, engine), the artifact linked from the fixtures, and the fixture's test
# split as an OIP request for --input.
for model in bc_xgb diabetes_xgb; do
  for engine in ferry xgboost; do
    mkdir -p "$TMP/${model}_$engine/1"
    ln -s "$ROOT/$MODELS/$model/model.json" "$TMP/${model}_$engine/1/model.json"
    printf 'options:\n  tree_engine: %s\n' "$engine" > "$TMP/${model}_$engine/model.yaml"
  done
  printf '{"inputs":[%s]}\n' "$(cat "$MODELS/$model/test_inputs.json")" > "$TMP/$model.request.json"
done

median() { sed -E 's/.*"median_us":([0-9.]+).*/\1/'; }
min() { if awk -v a="$1" -v b="$2" 'BEGIN { exit !(a == "" || b < a) }'; then echo "$2"; else echo "$1"; fi; }

CMDS=()
ROWS=()
for model in bc_xgb diabetes_xgb; do
  trees="$(grep -o '"tree_param"' "$MODELS/$model/model.json" | wc -l)"
  for b in 1 8 64 512; do
    best_f=""; best_x=""
    for engine in ferry xgboost; do
      CMDS+=("build/ferry perf --model \$TMP/${model}_$engine --batch-size $b --iterations $ITER --warmup $WARMUP --input \$TMP/$model.request.json --json")
    done
    for _ in $(seq "$ROUNDS"); do
      for engine in ferry xgboost; do
        m="$(build/ferry perf --model "$TMP/${model}_$engine" --batch-size "$b" --iterations "$ITER" \
             --warmup "$WARMUP" --input "$TMP/$model.request.json" --json | median)"
        if [ "$engine" = ferry ]; then best_f="$(min "$best_f" "$m")"; else best_x="$(min "$best_x" "$m")"; fi
      done
    done
    row="$(awk -v f="$best_f" -v x="$best_x" -v b="$b" -v t="$trees" 'BEGIN {
      printf "| %.2f | %.2f | **%.3f×** | %.2f | %.2f |", f, x, f / x, f * 1000 / (b * t), x * 1000 / (b * t) }')"
    ROWS+=("| $model | $trees | $b $row")
    echo "done $model batch $b: ferry $best_f us, libxgboost $best_x us" >&2
  done
done

echo "## Tree ensembles: ferry's tree engine vs libxgboost (in process)"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores shared with other work; ferry $(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
     "libxgboost $(dpkg-query -W -f='${Version}' libxgboost0 2>/dev/null || echo '?'); one thread each; lowest of $ROUNDS medians of $ITER timed calls after $WARMUP warm-up;" \
     "rows: the fixtures' test inputs, cycled."
echo
echo "| model | trees | batch | ferry µs/call | libxgboost µs/call | ferry/libxgboost | ferry ns/tree/row | libxgboost ns/tree/row |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${ROWS[@]}"
echo
echo "Commands (\$TMP/NAME_ENGINE is a model folder whose model.yaml sets \`tree_engine: ENGINE\`, each run $ROUNDS times):"
echo
echo '```sh'
printf '%s\n' "${CMDS[@]}"
echo '```'
