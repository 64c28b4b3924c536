/* The ONNX engine's graph optimizer: rewrites a loaded graph (ops bound and prepared, constants
 * folded) into a cheaper equivalent before it is planned. The passes, in order (passes.h):
 *   1. Identity and inference-mode Dropout removal;
 *   2. Conv + BatchNormalization folding into the Conv's weights and bias;
 *   3. MatMul + Add -> Gemm;
 *   4. Relu, LeakyRelu, Clip, Sigmoid, Tanh fused into the Gemm or Conv before them.
 * Each fires only when the rewrite is exact for every input shape; graph input and output names
 * never change. onnx_model_load_* runs it unless told not to (model.h). */
#ifndef FERRY_ONNX_OPTIMIZE_OPTIMIZE_H
#define FERRY_ONNX_OPTIMIZE_OPTIMIZE_H

#include "onnx/graph.h"

/* How many times each pass fired. */
typedef struct onnx_optimize_stats {
    int removed;     /* Identity and Dropout nodes removed */
    int batch_norms; /* BatchNormalization nodes folded into a Conv */
    int gemms;       /* MatMul + Add pairs made one Gemm */
    int activations; /* activation nodes fused into a Gemm or Conv */
} onnx_optimize_stats;

/* Runs every pass over g; *stats (may be NULL) gets what fired. Removed nodes are gone from
 * g->nodes afterwards. Fails only with NO_MEMORY, leaving g consistent but partly rewritten. */
ferry_status onnx_optimize(onnx_graph *g, onnx_optimize_stats *stats,
                           ferry_error *err) FERRY_MUST_CHECK;

#endif
