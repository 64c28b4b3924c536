/* Not (ai.onnx, since 1): the logical negation of a bool tensor. */
#include "onnx/elementwise.h"

static inline uint8_t not_b8(uint8_t x, const void *params)
{
    (void)params;
    return !x;
}

ONNX_UNARY_KERNEL(not_kernel_b8, uint8_t, not_b8)

static const onnx_unary_kernel not_kernels[FERRY_DTYPE_COUNT] = {
    [FERRY_DTYPE_BOOL] = not_kernel_b8,
};

static ferry_status not_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_unary_infer(ctx, ONNX_MASK(BOOL), err);
}

static ferry_status not_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_unary_run(ctx, ith, nth, not_kernels, err);
}

const onnx_op onnx_op_not_1 = {
    .domain = "",
    .op_type = "Not",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = not_infer,
    .run = not_run,
};
