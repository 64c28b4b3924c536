/* Tanh (ai.onnx, since 6): y = tanh(x) for float and double. Opset 1's consumed_inputs form is not
 * registered. */
#include <math.h>

#include "onnx/elementwise.h"

static inline float tanh_f32(float x, const void *params)
{
    (void)params;
    return tanhf(x);
}

static inline double tanh_f64(double x, const void *params)
{
    (void)params;
    return tanh(x);
}

ONNX_UNARY_KERNEL(tanh_kernel_f32, float, tanh_f32)
ONNX_UNARY_KERNEL(tanh_kernel_f64, double, tanh_f64)

static const onnx_unary_kernel tanh_kernels[FERRY_DTYPE_COUNT] = {
    [FERRY_DTYPE_FP32] = tanh_kernel_f32,
    [FERRY_DTYPE_FP64] = tanh_kernel_f64,
};

static ferry_status tanh_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_unary_infer(ctx, ONNX_MASK_FLOATS, err);
}

static ferry_status tanh_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_unary_run(ctx, ith, nth, tanh_kernels, err);
}

const onnx_op onnx_op_tanh_6 = {
    .domain = "",
    .op_type = "Tanh",
    .since_version = 6,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = tanh_infer,
    .run = tanh_run,
};
