/* Sigmoid (ai.onnx, since 6): y = 1 / (1 + exp(-x)) for float and double. Opset 1's consumed_inputs
 * form is not registered. */
#include <math.h>

#include "onnx/elementwise.h"

static inline float sigmoid_f32(float x, const void *params)
{
    (void)params;
    return 1.0f / (1.0f + expf(-x));
}

static inline double sigmoid_f64(double x, const void *params)
{
    (void)params;
    return 1.0 / (1.0 + exp(-x));
}

ONNX_UNARY_KERNEL(sigmoid_kernel_f32, float, sigmoid_f32)
ONNX_UNARY_KERNEL(sigmoid_kernel_f64, double, sigmoid_f64)

static const onnx_unary_kernel sigmoid_kernels[FERRY_DTYPE_COUNT] = {
    [FERRY_DTYPE_FP32] = sigmoid_kernel_f32,
    [FERRY_DTYPE_FP64] = sigmoid_kernel_f64,
};

static ferry_status sigmoid_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_unary_infer(ctx, ONNX_MASK_FLOATS, err);
}

static ferry_status sigmoid_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_unary_run(ctx, ith, nth, sigmoid_kernels, err);
}

const onnx_op onnx_op_sigmoid_6 = {
    .domain = "",
    .op_type = "Sigmoid",
    .since_version = 6,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = sigmoid_infer,
    .run = sigmoid_run,
};
