/* LessOrEqual (ai.onnx, since 12): A <= B, element-wise with numpy broadcasting, as bool, for every
 * numeric dtype (a NaN operand gives false). */
#include "onnx/elementwise.h"

#define LESS_OR_EQUAL_KERNEL(D, T, UT, S)                                                          \
    static inline uint8_t less_or_equal_##S(T x, T z)                                              \
    {                                                                                              \
        return x <= z;                                                                             \
    }                                                                                              \
    ONNX_BINARY_KERNEL(less_or_equal_kernel_##S, T, uint8_t, less_or_equal_##S)
ONNX_NUMERIC_TYPES(LESS_OR_EQUAL_KERNEL)

static const onnx_binary_kernel less_or_equal_kernels[FERRY_DTYPE_COUNT] = {
#define LESS_OR_EQUAL_ROW(D, T, UT, S) [FERRY_DTYPE_##D] = less_or_equal_kernel_##S,
    ONNX_NUMERIC_TYPES(LESS_OR_EQUAL_ROW)};

static ferry_status less_or_equal_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_binary_infer(ctx, ONNX_MASK_NUMERIC, FERRY_DTYPE_BOOL, err);
}

static ferry_status less_or_equal_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_binary_run(ctx, ith, nth, less_or_equal_kernels, err);
}

const onnx_op onnx_op_less_or_equal_12 = {
    .domain = "",
    .op_type = "LessOrEqual",
    .since_version = 12,
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = less_or_equal_infer,
    .run = less_or_equal_run,
};
