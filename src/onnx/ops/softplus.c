/* Softplus (ai.onnx, since 1): y = ln(1 + e^x), for float and double; large x returns x rather than
 * overflowing. */
#include <math.h>

#include "onnx/elementwise.h"

static inline float softplus_f32(float x, const void *params)
{
    (void)params;
    return x > 20.0f ? x : log1pf(expf(x));
}

static inline double softplus_f64(double x, const void *params)
{
    (void)params;
    return x > 30.0 ? x : log1p(exp(x));
}

ONNX_UNARY_KERNEL(softplus_kernel_f32, float, softplus_f32)
ONNX_UNARY_KERNEL(softplus_kernel_f64, double, softplus_f64)

static const onnx_unary_kernel softplus_kernels[FERRY_DTYPE_COUNT] = {
    [FERRY_DTYPE_FP32] = softplus_kernel_f32,
    [FERRY_DTYPE_FP64] = softplus_kernel_f64,
};

static ferry_status softplus_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_unary_infer(ctx, ONNX_MASK_FLOATS, err);
}

static ferry_status softplus_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_unary_run(ctx, ith, nth, softplus_kernels, err);
}

const onnx_op onnx_op_softplus_1 = {
    .domain = "",
    .op_type = "Softplus",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = softplus_infer,
    .run = softplus_run,
};
