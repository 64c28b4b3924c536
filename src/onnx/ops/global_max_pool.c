/* GlobalMaxPool (ai.onnx, since 1): the maximum over all spatial dimensions of each channel,
 * [N, C, D1...] -> [N, C, 1...], for float and double. NaN never wins (as MaxPool); an empty plane
 * gives -inf. */
#include <math.h>

#include "onnx/op.h"

static ferry_status global_max_pool_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_MASK_FLOATS, err);
    if (st != FERRY_OK)
        return st;
    if (x->ndim < 3)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "input rank %d; expected N+2 with N >= 1", x->ndim);
    int64_t shape[FERRY_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++)
        shape[d] = d < 2 ? x->shape[d] : 1;
    onnx_set_output(ctx, 0, x->dtype, x->ndim, shape);
    return FERRY_OK;
}

#define GLOBAL_MAX_KERNEL(T, S)                                                                    \
    static void global_max_##S(const T *x, T *y, int64_t lo, int64_t hi, int64_t vol)              \
    {                                                                                              \
        for (int64_t p = lo; p < hi; p++) {                                                        \
            const T *v = x + p * vol;                                                              \
            T best = -INFINITY;                                                                    \
            for (int64_t i = 0; i < vol; i++)                                                      \
                best = v[i] > best ? v[i] : best;                                                  \
            y[p] = best;                                                                           \
        }                                                                                          \
    }
GLOBAL_MAX_KERNEL(float, f32)
GLOBAL_MAX_KERNEL(double, f64)

static ferry_status global_max_pool_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    (void)err;
    const ferry_tensor *x = ctx->inputs[0];
    int64_t planes = x->shape[0] * x->shape[1];
    int64_t vol = planes > 0 ? onnx_numel(x) / planes : 0;
    int64_t lo, hi;
    onnx_slice(planes, ith, nth, &lo, &hi);
    if (x->dtype == FERRY_DTYPE_FP32)
        global_max_f32(x->data, ctx->outputs[0]->data, lo, hi, vol);
    else
        global_max_f64(x->data, ctx->outputs[0]->data, lo, hi, vol);
    return FERRY_OK;
}

const onnx_op onnx_op_global_max_pool_1 = {
    .domain = "",
    .op_type = "GlobalMaxPool",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = global_max_pool_infer,
    .run = global_max_pool_run,
};
