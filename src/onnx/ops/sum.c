/* Sum (ai.onnx): the element-wise sum of one or more float or double inputs. Since 6 the inputs
 * must have one shape; since 8 they broadcast. Opset 1 (consumed_inputs) is not registered. */
#include "onnx/elementwise.h"
#include "onnx/variadic.h"

#define SUM_KERNEL(D, T, UT, S)                                                                    \
    static inline T sum_##S(T a, T b)                                                              \
    {                                                                                              \
        return a + b;                                                                              \
    }                                                                                              \
    ONNX_FOLD_KERNEL(sum_kernel_##S, T, sum_##S)
ONNX_FLOAT_TYPES(SUM_KERNEL)

static const onnx_fold_kernel sum_kernels[FERRY_DTYPE_COUNT] = {
#define SUM_ROW(D, T, UT, S) [FERRY_DTYPE_##D] = sum_kernel_##S,
    ONNX_FLOAT_TYPES(SUM_ROW)};

static ferry_status sum_6_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_variadic_infer(ctx, ONNX_MASK_FLOATS, false, err);
}

static ferry_status sum_8_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_variadic_infer(ctx, ONNX_MASK_FLOATS, true, err);
}

static ferry_status sum_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    int64_t lo, hi;
    return onnx_variadic_run(ctx, ith, nth, sum_kernels, &lo, &hi, err);
}

const onnx_op onnx_op_sum_6 = {
    .domain = "",
    .op_type = "Sum",
    .since_version = 6,
    .min_inputs = 1,
    .max_inputs = -1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = sum_6_infer,
    .run = sum_run,
};

const onnx_op onnx_op_sum_8 = {
    .domain = "",
    .op_type = "Sum",
    .since_version = 8,
    .min_inputs = 1,
    .max_inputs = -1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = sum_8_infer,
    .run = sum_run,
};
