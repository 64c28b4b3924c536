/* Sub (ai.onnx, since 7): C = A - B with numpy broadcasting, for every numeric dtype; integers wrap
 * on overflow as in ONNX's reference. Opsets 1-6 (the legacy broadcast and axis attributes) are
 * not registered. */
#include "onnx/elementwise.h"

#define SUB_KERNEL(D, T, UT, S)                                                                    \
    static inline T sub_##S(T x, T z)                                                              \
    {                                                                                              \
        return (T)((UT)x - (UT)z);                                                                 \
    }                                                                                              \
    ONNX_BINARY_KERNEL(sub_kernel_##S, T, T, sub_##S)
ONNX_NUMERIC_TYPES(SUB_KERNEL)

static const onnx_binary_kernel sub_kernels[FERRY_DTYPE_COUNT] = {
#define SUB_ROW(D, T, UT, S) [FERRY_DTYPE_##D] = sub_kernel_##S,
    ONNX_NUMERIC_TYPES(SUB_ROW)};

static ferry_status sub_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_binary_infer(ctx, ONNX_MASK_NUMERIC, FERRY_DTYPE_INVALID, err);
}

static ferry_status sub_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_binary_run(ctx, ith, nth, sub_kernels, err);
}

const onnx_op onnx_op_sub_7 = {
    .domain = "",
    .op_type = "Sub",
    .since_version = 7,
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = sub_infer,
    .run = sub_run,
};
