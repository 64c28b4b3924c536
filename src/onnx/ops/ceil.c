/* Ceil (ai.onnx, since 6): y = ceil(x), for float and double. Opset 1's consumed_inputs form is not
 * registered. */
#include <math.h>

#include "onnx/elementwise.h"

static inline float ceil_f32(float x, const void *params)
{
    (void)params;
    return ceilf(x);
}

static inline double ceil_f64(double x, const void *params)
{
    (void)params;
    return ceil(x);
}

ONNX_UNARY_KERNEL(ceil_kernel_f32, float, ceil_f32)
ONNX_UNARY_KERNEL(ceil_kernel_f64, double, ceil_f64)

static const onnx_unary_kernel ceil_kernels[FERRY_DTYPE_COUNT] = {
    [FERRY_DTYPE_FP32] = ceil_kernel_f32,
    [FERRY_DTYPE_FP64] = ceil_kernel_f64,
};

static ferry_status ceil_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_unary_infer(ctx, ONNX_MASK_FLOATS, err);
}

static ferry_status ceil_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_unary_run(ctx, ith, nth, ceil_kernels, err);
}

const onnx_op onnx_op_ceil_6 = {
    .domain = "",
    .op_type = "Ceil",
    .since_version = 6,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = ceil_infer,
    .run = ceil_run,
};
