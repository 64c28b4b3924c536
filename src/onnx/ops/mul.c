/* Mul (ai.onnx, since 7): C = A * B with numpy broadcasting, for every numeric dtype; integers wrap
 * on overflow as in ONNX's reference. Opsets 1-6 (the legacy broadcast and axis attributes) are
 * not registered. */
#include "onnx/elementwise.h"

/* Integers multiply as uint64 (small unsigned types would otherwise promote to int and overflow).
 */
#define MUL_KERNEL(D, T, UT, S, WIDE)                                                              \
    static inline T mul_##S(T x, T z)                                                              \
    {                                                                                              \
        return (T)((WIDE)x * (WIDE)z);                                                             \
    }                                                                                              \
    ONNX_BINARY_KERNEL(mul_kernel_##S, T, T, mul_##S)
#define MUL_FLOAT(D, T, UT, S) MUL_KERNEL(D, T, UT, S, T)
#define MUL_INT(D, T, UT, S)   MUL_KERNEL(D, T, UT, S, uint64_t)
ONNX_FLOAT_TYPES(MUL_FLOAT)
ONNX_INT_TYPES(MUL_INT)

static const onnx_binary_kernel mul_kernels[FERRY_DTYPE_COUNT] = {
#define MUL_ROW(D, T, UT, S) [FERRY_DTYPE_##D] = mul_kernel_##S,
    ONNX_NUMERIC_TYPES(MUL_ROW)};

static ferry_status mul_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_binary_infer(ctx, ONNX_MASK_NUMERIC, FERRY_DTYPE_INVALID, err);
}

static ferry_status mul_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_binary_run(ctx, ith, nth, mul_kernels, err);
}

const onnx_op onnx_op_mul_7 = {
    .domain = "",
    .op_type = "Mul",
    .since_version = 7,
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = mul_infer,
    .run = mul_run,
};
