/* Equal (ai.onnx, since 7): A == B, element-wise with numpy broadcasting, as bool, for bool,
 * every numeric dtype and strings (byte-wise; ONNX adds them in opset 19, accepted from 7). Opset 1
 * (legacy broadcast attributes) is not registered. */
#include "onnx/elementwise.h"

#define EQUAL_KERNEL(D, T, UT, S)                                                                  \
    static inline uint8_t equal_##S(T x, T z)                                                      \
    {                                                                                              \
        return x == z;                                                                             \
    }                                                                                              \
    ONNX_BINARY_KERNEL(equal_kernel_##S, T, uint8_t, equal_##S)
ONNX_NUMERIC_TYPES(EQUAL_KERNEL)
EQUAL_KERNEL(BOOL, uint8_t, uint8_t, b8)
ONNX_BINARY_KERNEL(equal_kernel_str, onnx_string, uint8_t, onnx_string_equal)

static const onnx_binary_kernel equal_kernels[FERRY_DTYPE_COUNT] = {
#define EQUAL_ROW(D, T, UT, S) [FERRY_DTYPE_##D] = equal_kernel_##S,
    ONNX_NUMERIC_TYPES(EQUAL_ROW)[FERRY_DTYPE_BOOL] = equal_kernel_b8,
    [FERRY_DTYPE_BYTES] = equal_kernel_str,
};

static ferry_status equal_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_binary_infer(ctx, ONNX_MASK_NUMERIC | ONNX_MASK(BOOL) | ONNX_MASK_STRING,
                             FERRY_DTYPE_BOOL, err);
}

static ferry_status equal_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_binary_run(ctx, ith, nth, equal_kernels, err);
}

const onnx_op onnx_op_equal_7 = {
    .domain = "",
    .op_type = "Equal",
    .since_version = 7,
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_STRINGS,
    .infer = equal_infer,
    .run = equal_run,
};
