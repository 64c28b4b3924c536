/* Reciprocal (ai.onnx, since 6): y = 1 / x, for float and double. Opset 1's consumed_inputs form is
 * not registered. */
#include <math.h>

#include "onnx/elementwise.h"

static inline float reciprocal_f32(float x, const void *params)
{
    (void)params;
    return 1.0f / x;
}

static inline double reciprocal_f64(double x, const void *params)
{
    (void)params;
    return 1.0 / x;
}

ONNX_UNARY_KERNEL(reciprocal_kernel_f32, float, reciprocal_f32)
ONNX_UNARY_KERNEL(reciprocal_kernel_f64, double, reciprocal_f64)

static const onnx_unary_kernel reciprocal_kernels[FERRY_DTYPE_COUNT] = {
    [FERRY_DTYPE_FP32] = reciprocal_kernel_f32,
    [FERRY_DTYPE_FP64] = reciprocal_kernel_f64,
};

static ferry_status reciprocal_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_unary_infer(ctx, ONNX_MASK_FLOATS, err);
}

static ferry_status reciprocal_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_unary_run(ctx, ith, nth, reciprocal_kernels, err);
}

const onnx_op onnx_op_reciprocal_6 = {
    .domain = "",
    .op_type = "Reciprocal",
    .since_version = 6,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = reciprocal_infer,
    .run = reciprocal_run,
};
