/* Abs (ai.onnx, since 6): y = |x|, for float, double and every integer type. Opset 1's
 * consumed_inputs form is not registered. */
#include <math.h>

#include "onnx/elementwise.h"

static inline float abs_f32(float x, const void *params)
{
    (void)params;
    return fabsf(x);
}

static inline double abs_f64(double x, const void *params)
{
    (void)params;
    return fabs(x);
}

ONNX_UNARY_KERNEL(abs_kernel_f32, float, abs_f32)
ONNX_UNARY_KERNEL(abs_kernel_f64, double, abs_f64)

/* Signed integers through their unsigned type, so that |MIN| wraps instead of overflowing. */
#define ABS_SINT(D, T, UT, S)                                                                      \
    static inline T abs_##S(T x, const void *params)                                               \
    {                                                                                              \
        (void)params;                                                                              \
        return x < 0 ? (T)(0u - (UT)x) : x;                                                        \
    }                                                                                              \
    ONNX_UNARY_KERNEL(abs_kernel_##S, T, abs_##S)
#define ABS_UINT(D, T, UT, S)                                                                      \
    static inline T abs_##S(T x, const void *params)                                               \
    {                                                                                              \
        (void)params;                                                                              \
        return x;                                                                                  \
    }                                                                                              \
    ONNX_UNARY_KERNEL(abs_kernel_##S, T, abs_##S)
ONNX_SINT_TYPES(ABS_SINT)
ONNX_UINT_TYPES(ABS_UINT)

static const onnx_unary_kernel abs_kernels[FERRY_DTYPE_COUNT] = {
    [FERRY_DTYPE_FP32] = abs_kernel_f32,
    [FERRY_DTYPE_FP64] = abs_kernel_f64,
#define ABS_ROW(D, T, UT, S) [FERRY_DTYPE_##D] = abs_kernel_##S,
    ONNX_INT_TYPES(ABS_ROW)};

static ferry_status abs_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_unary_infer(ctx, ONNX_MASK_NUMERIC, err);
}

static ferry_status abs_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return onnx_unary_run(ctx, ith, nth, abs_kernels, err);
}

const onnx_op onnx_op_abs_6 = {
    .domain = "",
    .op_type = "Abs",
    .since_version = 6,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = abs_infer,
    .run = abs_run,
};
