/* Max (ai.onnx): the element-wise maximum of one or more inputs of one numeric dtype (integers from
 * opset 12, accepted from 6); NaN wins, as numpy's maximum does. Since 6 the inputs must have one
 * shape; since 8 they broadcast. Opset 1 (consumed_inputs) is not registered. */
#include <math.h>

#include "onnx/elementwise.h"
#include "onnx/variadic.h"

/* Floats let NaN through; integers have none. */
#define MAX_FLOAT(D, T, UT, S)                                                                     \
    static inline T max_##S(T a, T b)                                                              \
    {                                                                                              \
        return a > b || isnan(a) ? a : b;                                                          \
    }                                                                                              \
    ONNX_FOLD_KERNEL(max_kernel_##S, T, max_##S)
#define MAX_INT(D, T, UT, S)                                                                       \
    static inline T max_##S(T a, T b)                                                              \
    {                                                                                              \
        return a > b ? a : b;                                                                      \
    }                                                                                              \
    ONNX_FOLD_KERNEL(max_kernel_##S, T, max_##S)
ONNX_FLOAT_TYPES(MAX_FLOAT)
ONNX_INT_TYPES(MAX_INT)

static const onnx_fold_kernel max_kernels[FERRY_DTYPE_COUNT] = {
#define MAX_ROW(D, T, UT, S) [FERRY_DTYPE_##D] = max_kernel_##S,
    ONNX_NUMERIC_TYPES(MAX_ROW)};

static ferry_status max_6_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_variadic_infer(ctx, ONNX_MASK_NUMERIC, false, err);
}

static ferry_status max_8_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_variadic_infer(ctx, ONNX_MASK_NUMERIC, true, err);
}

static ferry_status max_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    int64_t lo, hi;
    return onnx_variadic_run(ctx, ith, nth, max_kernels, &lo, &hi, err);
}

const onnx_op onnx_op_max_6 = {
    .domain = "",
    .op_type = "Max",
    .since_version = 6,
    .min_inputs = 1,
    .max_inputs = -1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = max_6_infer,
    .run = max_run,
};

const onnx_op onnx_op_max_8 = {
    .domain = "",
    .op_type = "Max",
    .since_version = 8,
    .min_inputs = 1,
    .max_inputs = -1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = max_8_infer,
    .run = max_run,
};
