/* What BatchNormalization and InstanceNormalization share: both normalize each (image, channel)
 * plane of an [N, C, D...] float or double tensor with per-channel inputs ([C] each: scale, bias,
 * and for BatchNormalization mean and variance), an epsilon attribute, and threads that take
 * slices of the N * C planes. The op files keep their own statistics and kernels. */
#ifndef FERRY_ONNX_NORMALIZE_H
#define FERRY_ONNX_NORMALIZE_H

#include "onnx/op.h"

typedef struct onnx_norm_params {
    float epsilon;
} onnx_norm_params;

/* Reads `epsilon` (default 1e-5) into params in graph memory, set as node->params. Fails with
 * NO_MEMORY, or INVALID_ARG when the attribute is not a float. */
ferry_status onnx_norm_prepare(onnx_graph *g, onnx_node *n, ferry_error *err) FERRY_MUST_CHECK;

/* Checks X (input 0: float or double, rank >= min_rank) and inputs 1..n_inputs-1 (X's dtype,
 * [C] each) and gives the output X's dtype and shape. Fails naming the node and input. */
ferry_status onnx_norm_infer(const onnx_op_ctx *ctx, int min_rank, size_t n_inputs,
                             ferry_error *err) FERRY_MUST_CHECK;

/* Planes [lo, hi) of X's N * C, with C and the elements per plane. */
typedef struct onnx_norm_planes {
    int64_t lo, hi, channels, vol;
} onnx_norm_planes;

/* Normalizes the given planes of input 0 into output 0 (an op's float or double kernel). */
typedef void (*onnx_norm_kernel)(const onnx_op_ctx *ctx, double epsilon,
                                 const onnx_norm_planes *planes);

/* Runs thread ith's slice of the planes through f32 or f64 by X's dtype. Never fails. */
ferry_status onnx_norm_run(const onnx_op_ctx *ctx, int ith, int nth, onnx_norm_kernel f32,
                           onnx_norm_kernel f64);

#endif
