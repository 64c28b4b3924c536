/* Add (ai.onnx, since 7): C = A + B with numpy broadcasting, for every numeric dtype; integers wrap
 * on overflow as in ONNX's reference. Opsets 1-6 (the legacy broadcast and axis attributes) are
 * not registered. */
#include "onnx/elementwise.h"

#define ADD_KERNEL(D, T, UT, S)                                                                    \
    static inline T add_##S(T x, T z)                                                              \
    {                                                                                              \
        return (T)((UT)x + (UT)z);                                                                 \
    }                                                                                              \
    ONNX_BINARY_KERNEL(add_kernel_##S, T, T, add_##S)
ONNX_NUMERIC_TYPES(ADD_KERNEL)

static const onnx_binary_kernel add_kernels[FERRY_DTYPE_COUNT] = {
#define ADD_ROW(D, T, UT, S) [FERRY_DTYPE_##D] = add_kernel_##S,
    ONNX_NUMERIC_TYPES(ADD_ROW)};

static ferry_status add_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_binary_infer(ctx, ONNX_MASK_NUMERIC, FERRY_DTYPE_INVALID, err);
}

static ferry_status add_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_binary_run(ctx, ith, nth, add_kernels, err);
}

const onnx_op onnx_op_add_7 = {
    .domain = "",
    .op_type = "Add",
    .since_version = 7,
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = add_infer,
    .run = add_run,
};
