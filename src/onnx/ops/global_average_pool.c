/* GlobalAveragePool (ai.onnx, since 1): the mean over all spatial dimensions of each channel,
 * [N, C, D1...] -> [N, C, 1...], for float and double. */
#include <math.h>

#include "onnx/op.h"

static ferry_status global_average_pool_infer(const onnx_op_ctx *ctx, ferry_error *err)
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

static ferry_status global_average_pool_run(const onnx_op_ctx *ctx, int ith, int nth,
                                            ferry_error *err)
{
    (void)err;
    const ferry_tensor *x = ctx->inputs[0];
    int64_t planes = x->shape[0] * x->shape[1];
    int64_t vol = planes > 0 ? onnx_numel(x) / planes : 0;
    int64_t lo, hi;
    onnx_slice(planes, ith, nth, &lo, &hi);
    for (int64_t p = lo; p < hi; p++) {
        double sum = 0.0;
        if (x->dtype == FERRY_DTYPE_FP32) {
            const float *v = (const float *)x->data + p * vol;
            for (int64_t i = 0; i < vol; i++)
                sum += v[i];
            ((float *)ctx->outputs[0]->data)[p] = vol > 0 ? (float)(sum / (double)vol) : NAN;
        } else {
            const double *v = (const double *)x->data + p * vol;
            for (int64_t i = 0; i < vol; i++)
                sum += v[i];
            ((double *)ctx->outputs[0]->data)[p] = vol > 0 ? sum / (double)vol : NAN;
        }
    }
    return FERRY_OK;
}

const onnx_op onnx_op_global_average_pool_1 = {
    .domain = "",
    .op_type = "GlobalAveragePool",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = global_average_pool_infer,
    .run = global_average_pool_run,
};
