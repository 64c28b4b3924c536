/* ArgMax (ai.onnx, since 1): the int64 index of the largest element along `axis` (negative from
 * opset 11, accepted from 1), the axis kept as 1 (keepdims, default) or dropped; ties go to the
 * first index, or the last with select_last_index (opset 12, accepted from 1). Every numeric
 * dtype. An empty axis is refused. */
#include "onnx/elementwise.h"
#include "onnx/reduce.h"

#define ARG_MAX_BETTER(a, b)        ((a) > (b))
#define ARG_MAX_KERNEL(D, T, UT, S) ONNX_ARG_KERNEL(arg_max_##S, T, ARG_MAX_BETTER)
ONNX_NUMERIC_TYPES(ARG_MAX_KERNEL)

static const onnx_arg_kernel arg_max_kernels[FERRY_DTYPE_COUNT] = {
#define ARG_MAX_ROW(D, T, UT, S) [FERRY_DTYPE_##D] = arg_max_##S,
    ONNX_NUMERIC_TYPES(ARG_MAX_ROW)};

static ferry_status arg_max_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_arg_run(ctx, ith, nth, arg_max_kernels, err);
}

const onnx_op onnx_op_arg_max_1 = {
    .domain = "",
    .op_type = "ArgMax",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = onnx_arg_prepare,
    .infer = onnx_arg_infer,
    .run = arg_max_run,
};
