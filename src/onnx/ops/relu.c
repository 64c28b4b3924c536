/* Relu (ai.onnx, since 6): y = max(x, 0), for float, double and signed integers (opset 14 added
 * the integers; accepting them from 6 is harmless). Opset 1's consumed_inputs form is not
 * registered. */
#include "onnx/elementwise.h"

#define RELU_KERNEL(D, T, UT, S)                                                                   \
    static inline T relu_##S(T x, const void *params)                                              \
    {                                                                                              \
        (void)params;                                                                              \
        return x > 0 ? x : (T)0;                                                                   \
    }                                                                                              \
    ONNX_UNARY_KERNEL(relu_kernel_##S, T, relu_##S)
ONNX_FLOAT_TYPES(RELU_KERNEL)
ONNX_SINT_TYPES(RELU_KERNEL)

static const onnx_unary_kernel relu_kernels[FERRY_DTYPE_COUNT] = {
#define RELU_ROW(D, T, UT, S) [FERRY_DTYPE_##D] = relu_kernel_##S,
    ONNX_FLOAT_TYPES(RELU_ROW) ONNX_SINT_TYPES(RELU_ROW)};

static ferry_status relu_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_unary_infer(ctx,
                            ONNX_MASK_FLOATS | ONNX_MASK(INT8) | ONNX_MASK(INT16) |
                                ONNX_MASK(INT32) | ONNX_MASK(INT64),
                            err);
}

static ferry_status relu_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_unary_run(ctx, ith, nth, relu_kernels, err);
}

const onnx_op onnx_op_relu_6 = {
    .domain = "",
    .op_type = "Relu",
    .since_version = 6,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = relu_infer,
    .run = relu_run,
};
