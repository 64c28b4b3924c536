/* Log (ai.onnx, since 6): y = ln(x) (-inf at 0, NaN below), for float and double. Opset 1's
 * consumed_inputs form is not registered. */
#include <math.h>

#include "onnx/elementwise.h"

static inline float log_f32(float x, const void *params)
{
    (void)params;
    return logf(x);
}

static inline double log_f64(double x, const void *params)
{
    (void)params;
    return log(x);
}

ONNX_UNARY_KERNEL(log_kernel_f32, float, log_f32)
ONNX_UNARY_KERNEL(log_kernel_f64, double, log_f64)

static const onnx_unary_kernel log_kernels[FERRY_DTYPE_COUNT] = {
    [FERRY_DTYPE_FP32] = log_kernel_f32,
    [FERRY_DTYPE_FP64] = log_kernel_f64,
};

static ferry_status log_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_unary_infer(ctx, ONNX_MASK_FLOATS, err);
}

static ferry_status log_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_unary_run(ctx, ith, nth, log_kernels, err);
}

const onnx_op onnx_op_log_6 = {
    .domain = "",
    .op_type = "Log",
    .since_version = 6,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = log_infer,
    .run = log_run,
};
