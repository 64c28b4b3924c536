/* Min (ai.onnx): the element-wise minimum of one or more inputs of one numeric dtype (integers from
 * opset 12, accepted from 6); NaN wins, as numpy's minimum does. Since 6 the inputs must have one
 * shape; since 8 they broadcast. Opset 1 (consumed_inputs) is not registered. */
#include <math.h>

#include "onnx/elementwise.h"
#include "onnx/variadic.h"

/* Floats let NaN through; integers have none. */
#define MIN_FLOAT(D, T, UT, S)                                                                     \
    static inline T min_##S(T a, T b)                                                              \
    {                                                                                              \
        return a < b || isnan(a) ? a : b;                                                          \
    }                                                                                              \
    ONNX_FOLD_KERNEL(min_kernel_##S, T, min_##S)
#define MIN_INT(D, T, UT, S)                                                                       \
    static inline T min_##S(T a, T b)                                                              \
    {                                                                                              \
        return a < b ? a : b;                                                                      \
    }                                                                                              \
    ONNX_FOLD_KERNEL(min_kernel_##S, T, min_##S)
ONNX_FLOAT_TYPES(MIN_FLOAT)
ONNX_INT_TYPES(MIN_INT)

static const onnx_fold_kernel min_kernels[FERRY_DTYPE_COUNT] = {
#define MIN_ROW(D, T, UT, S) [FERRY_DTYPE_##D] = min_kernel_##S,
    ONNX_NUMERIC_TYPES(MIN_ROW)};

static ferry_status min_6_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_variadic_infer(ctx, ONNX_MASK_NUMERIC, false, err);
}

static ferry_status min_8_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_variadic_infer(ctx, ONNX_MASK_NUMERIC, true, err);
}

static ferry_status min_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    int64_t lo, hi;
    return onnx_variadic_run(ctx, ith, nth, min_kernels, &lo, &hi, err);
}

const onnx_op onnx_op_min_6 = {
    .domain = "",
    .op_type = "Min",
    .since_version = 6,
    .min_inputs = 1,
    .max_inputs = -1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = min_6_infer,
    .run = min_run,
};

const onnx_op onnx_op_min_8 = {
    .domain = "",
    .op_type = "Min",
    .since_version = 8,
    .min_inputs = 1,
    .max_inputs = -1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = min_8_infer,
    .run = min_run,
};
