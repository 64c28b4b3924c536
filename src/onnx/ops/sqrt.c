/* Sqrt (ai.onnx, since 6): y = sqrt(x) (NaN for negative x), for float and double. Opset 1's
 * consumed_inputs form is not registered. */
#include <math.h>

#include "onnx/elementwise.h"

static inline float sqrt_f32(float x, const void *params)
{
    (void)params;
    return sqrtf(x);
}

static inline double sqrt_f64(double x, const void *params)
{
    (void)params;
    return sqrt(x);
}

ONNX_UNARY_KERNEL(sqrt_kernel_f32, float, sqrt_f32)
ONNX_UNARY_KERNEL(sqrt_kernel_f64, double, sqrt_f64)

static const onnx_unary_kernel sqrt_kernels[FERRY_DTYPE_COUNT] = {
    [FERRY_DTYPE_FP32] = sqrt_kernel_f32,
    [FERRY_DTYPE_FP64] = sqrt_kernel_f64,
};

static ferry_status sqrt_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_unary_infer(ctx, ONNX_MASK_FLOATS, err);
}

static ferry_status sqrt_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_unary_run(ctx, ith, nth, sqrt_kernels, err);
}

const onnx_op onnx_op_sqrt_6 = {
    .domain = "",
    .op_type = "Sqrt",
    .since_version = 6,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = sqrt_infer,
    .run = sqrt_run,
};
