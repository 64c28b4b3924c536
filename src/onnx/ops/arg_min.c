/* ArgMin (ai.onnx, since 1): the int64 index of the smallest element along `axis` (negative from
 * opset 11, accepted from 1), the axis kept as 1 (keepdims, default) or dropped; ties go to the
 * first index, or the last with select_last_index (opset 12, accepted from 1). Every numeric
 * dtype. An empty axis is refused. */
#include "onnx/elementwise.h"
#include "onnx/reduce.h"

#define ARG_MIN_BETTER(a, b)        ((a) < (b))
#define ARG_MIN_KERNEL(D, T, UT, S) ONNX_ARG_KERNEL(arg_min_##S, T, ARG_MIN_BETTER)
ONNX_NUMERIC_TYPES(ARG_MIN_KERNEL)

static const onnx_arg_kernel arg_min_kernels[FERRY_DTYPE_COUNT] = {
#define ARG_MIN_ROW(D, T, UT, S) [FERRY_DTYPE_##D] = arg_min_##S,
    ONNX_NUMERIC_TYPES(ARG_MIN_ROW)};

static ferry_status arg_min_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_arg_run(ctx, ith, nth, arg_min_kernels, err);
}

const onnx_op onnx_op_arg_min_1 = {
    .domain = "",
    .op_type = "ArgMin",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = onnx_arg_prepare,
    .infer = onnx_arg_infer,
    .run = arg_min_run,
};
