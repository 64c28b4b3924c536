/* Less (ai.onnx, since 7): A < B, element-wise with numpy broadcasting, as bool, for every numeric
 * dtype. Opset 1 (legacy broadcast attributes) is not registered. */
#include "onnx/elementwise.h"

#define LESS_KERNEL(D, T, UT, S)                                                                   \
    static inline uint8_t less_##S(T x, T z)                                                       \
    {                                                                                              \
        return x < z;                                                                              \
    }                                                                                              \
    ONNX_BINARY_KERNEL(less_kernel_##S, T, uint8_t, less_##S)
ONNX_NUMERIC_TYPES(LESS_KERNEL)

static const onnx_binary_kernel less_kernels[FERRY_DTYPE_COUNT] = {
#define LESS_ROW(D, T, UT, S) [FERRY_DTYPE_##D] = less_kernel_##S,
    ONNX_NUMERIC_TYPES(LESS_ROW)};

static ferry_status less_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_binary_infer(ctx, ONNX_MASK_NUMERIC, FERRY_DTYPE_BOOL, err);
}

static ferry_status less_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_binary_run(ctx, ith, nth, less_kernels, err);
}

const onnx_op onnx_op_less_7 = {
    .domain = "",
    .op_type = "Less",
    .since_version = 7,
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = less_infer,
    .run = less_run,
};
