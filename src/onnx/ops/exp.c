/* Exp (ai.onnx, since 6): y = e^x, for float and double. Opset 1's consumed_inputs form is not
 * registered. */
#include <math.h>

#include "onnx/elementwise.h"

static inline float exp_f32(float x, const void *params)
{
    (void)params;
    return expf(x);
}

static inline double exp_f64(double x, const void *params)
{
    (void)params;
    return exp(x);
}

ONNX_UNARY_KERNEL(exp_kernel_f32, float, exp_f32)
ONNX_UNARY_KERNEL(exp_kernel_f64, double, exp_f64)

static const onnx_unary_kernel exp_kernels[FERRY_DTYPE_COUNT] = {
    [FERRY_DTYPE_FP32] = exp_kernel_f32,
    [FERRY_DTYPE_FP64] = exp_kernel_f64,
};

static ferry_status exp_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_unary_infer(ctx, ONNX_MASK_FLOATS, err);
}

static ferry_status exp_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_unary_run(ctx, ith, nth, exp_kernels, err);
}

const onnx_op onnx_op_exp_6 = {
    .domain = "",
    .op_type = "Exp",
    .since_version = 6,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = exp_infer,
    .run = exp_run,
};
