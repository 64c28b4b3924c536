/* Mean (ai.onnx): the element-wise mean of one or more float or double inputs (summed, then
 * divided by their count). Since 6 the inputs must have one shape; since 8 they broadcast. Opset 1
 * (consumed_inputs) is not registered. */
#include "onnx/elementwise.h"
#include "onnx/variadic.h"

#define MEAN_KERNEL(D, T, UT, S)                                                                   \
    static inline T mean_add_##S(T a, T b)                                                         \
    {                                                                                              \
        return a + b;                                                                              \
    }                                                                                              \
    ONNX_FOLD_KERNEL(mean_kernel_##S, T, mean_add_##S)                                             \
    static void mean_divide_##S(void *py, int64_t lo, int64_t hi, T n)                             \
    {                                                                                              \
        T *y = py;                                                                                 \
        for (int64_t i = lo; i < hi; i++)                                                          \
            y[i] /= n;                                                                             \
    }
ONNX_FLOAT_TYPES(MEAN_KERNEL)

static const onnx_fold_kernel mean_kernels[FERRY_DTYPE_COUNT] = {
#define MEAN_ROW(D, T, UT, S) [FERRY_DTYPE_##D] = mean_kernel_##S,
    ONNX_FLOAT_TYPES(MEAN_ROW)};

static ferry_status mean_6_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_variadic_infer(ctx, ONNX_MASK_FLOATS, false, err);
}

static ferry_status mean_8_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_variadic_infer(ctx, ONNX_MASK_FLOATS, true, err);
}

static ferry_status mean_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    int64_t lo, hi;
    ferry_status st = onnx_variadic_run(ctx, ith, nth, mean_kernels, &lo, &hi, err);
    if (st != FERRY_OK || ctx->n_inputs == 1)
        return st;
    if (ctx->outputs[0]->dtype == FERRY_DTYPE_FP32)
        mean_divide_f32(ctx->outputs[0]->data, lo, hi, (float)ctx->n_inputs);
    else
        mean_divide_f64(ctx->outputs[0]->data, lo, hi, (double)ctx->n_inputs);
    return FERRY_OK;
}

const onnx_op onnx_op_mean_6 = {
    .domain = "",
    .op_type = "Mean",
    .since_version = 6,
    .min_inputs = 1,
    .max_inputs = -1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = mean_6_infer,
    .run = mean_run,
};

const onnx_op onnx_op_mean_8 = {
    .domain = "",
    .op_type = "Mean",
    .since_version = 8,
    .min_inputs = 1,
    .max_inputs = -1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = mean_8_infer,
    .run = mean_run,
};
