/* Neg (ai.onnx, since 6): y = -x, for float, double and signed integers (wrapping at the minimum).
 * Opset 1's consumed_inputs form is not registered. */
#include <math.h>

#include "onnx/elementwise.h"

static inline float neg_f32(float x, const void *params)
{
    (void)params;
    return -x;
}

static inline double neg_f64(double x, const void *params)
{
    (void)params;
    return -x;
}

ONNX_UNARY_KERNEL(neg_kernel_f32, float, neg_f32)
ONNX_UNARY_KERNEL(neg_kernel_f64, double, neg_f64)

/* Through the unsigned type, so that -MIN wraps instead of overflowing. */
#define NEG_SINT(D, T, UT, S)                                                                      \
    static inline T neg_##S(T x, const void *params)                                               \
    {                                                                                              \
        (void)params;                                                                              \
        return (T)(0u - (UT)x);                                                                    \
    }                                                                                              \
    ONNX_UNARY_KERNEL(neg_kernel_##S, T, neg_##S)
ONNX_SINT_TYPES(NEG_SINT)

static const onnx_unary_kernel neg_kernels[FERRY_DTYPE_COUNT] = {
    [FERRY_DTYPE_FP32] = neg_kernel_f32,
    [FERRY_DTYPE_FP64] = neg_kernel_f64,
#define NEG_ROW(D, T, UT, S) [FERRY_DTYPE_##D] = neg_kernel_##S,
    ONNX_SINT_TYPES(NEG_ROW)};

static ferry_status neg_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_unary_infer(ctx,
                            ONNX_MASK_FLOATS | ONNX_MASK(INT8) | ONNX_MASK(INT16) |
                                ONNX_MASK(INT32) | ONNX_MASK(INT64),
                            err);
}

static ferry_status neg_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_unary_run(ctx, ith, nth, neg_kernels, err);
}

const onnx_op onnx_op_neg_6 = {
    .domain = "",
    .op_type = "Neg",
    .since_version = 6,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = neg_infer,
    .run = neg_run,
};
