/* Erf (ai.onnx, since 9): y = erf(x), the Gauss error function, for float and double. */
#include <math.h>

#include "onnx/elementwise.h"

static inline float erf_f32(float x, const void *params)
{
    (void)params;
    return erff(x);
}

static inline double erf_f64(double x, const void *params)
{
    (void)params;
    return erf(x);
}

ONNX_UNARY_KERNEL(erf_kernel_f32, float, erf_f32)
ONNX_UNARY_KERNEL(erf_kernel_f64, double, erf_f64)

static const onnx_unary_kernel erf_kernels[FERRY_DTYPE_COUNT] = {
    [FERRY_DTYPE_FP32] = erf_kernel_f32,
    [FERRY_DTYPE_FP64] = erf_kernel_f64,
};

static ferry_status erf_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_unary_infer(ctx, ONNX_MASK_FLOATS, err);
}

static ferry_status erf_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_unary_run(ctx, ith, nth, erf_kernels, err);
}

const onnx_op onnx_op_erf_9 = {
    .domain = "",
    .op_type = "Erf",
    .since_version = 9,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = erf_infer,
    .run = erf_run,
};
