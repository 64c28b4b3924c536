/* Floor (ai.onnx, since 6): y = floor(x), for float and double. Opset 1's consumed_inputs form is
 * not registered. */
#include <math.h>

#include "onnx/elementwise.h"

static inline float floor_f32(float x, const void *params)
{
    (void)params;
    return floorf(x);
}

static inline double floor_f64(double x, const void *params)
{
    (void)params;
    return floor(x);
}

ONNX_UNARY_KERNEL(floor_kernel_f32, float, floor_f32)
ONNX_UNARY_KERNEL(floor_kernel_f64, double, floor_f64)

static const onnx_unary_kernel floor_kernels[FERRY_DTYPE_COUNT] = {
    [FERRY_DTYPE_FP32] = floor_kernel_f32,
    [FERRY_DTYPE_FP64] = floor_kernel_f64,
};

static ferry_status floor_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_unary_infer(ctx, ONNX_MASK_FLOATS, err);
}

static ferry_status floor_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_unary_run(ctx, ith, nth, floor_kernels, err);
}

const onnx_op onnx_op_floor_6 = {
    .domain = "",
    .op_type = "Floor",
    .since_version = 6,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = floor_infer,
    .run = floor_run,
};
