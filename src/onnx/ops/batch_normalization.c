/* BatchNormalization (ai.onnx, since 7), inference mode: y = scale * (x - mean) / sqrt(var + eps)
 * + B per channel of [N, C, ...], for float and double. Training mode (opset 14's training_mode,
 * or the running-statistics outputs) and spatial = 0 (opsets 7-8) are refused at load. */
#include <math.h>

#include "onnx/normalize.h"

static ferry_status batch_normalization_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    int64_t training, spatial;
    ferry_status st = onnx_norm_prepare(g, n, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "training_mode", 0, &training, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "spatial", 1, &spatial, err);
    if (st != FERRY_OK)
        return st;
    bool extra_outputs = false;
    for (size_t k = 1; k < n->n_outputs; k++)
        extra_outputs = extra_outputs || n->outputs[k] >= 0;
    if (training != 0 || extra_outputs)
        return onnx_node_error(err, FERRY_UNSUPPORTED, n,
                               "training mode (running statistics outputs) is not supported");
    if (spatial != 1)
        return onnx_node_error(err, FERRY_UNSUPPORTED, n, "spatial = %lld is not supported",
                               (long long)spatial);
    return FERRY_OK;
}

/* X, then scale, B, mean and var: one value per channel each. */
static ferry_status batch_normalization_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_norm_infer(ctx, 2, 5, err);
}

#define BATCH_NORM_KERNEL(T, S, SQRT)                                                              \
    static void batch_norm_##S(const onnx_op_ctx *ctx, double eps, const onnx_norm_planes *s)      \
    {                                                                                              \
        const T *x = ctx->inputs[0]->data, *scale = ctx->inputs[1]->data;                          \
        const T *bias = ctx->inputs[2]->data, *mean = ctx->inputs[3]->data;                        \
        const T *var = ctx->inputs[4]->data;                                                       \
        T *y = ctx->outputs[0]->data;                                                              \
        for (int64_t p = s->lo; p < s->hi; p++) {                                                  \
            int64_t c = p % s->channels;                                                           \
            T a = scale[c] / SQRT(var[c] + (T)eps), b = bias[c] - mean[c] * a;                     \
            for (int64_t i = p * s->vol; i < (p + 1) * s->vol; i++)                                \
                y[i] = x[i] * a + b;                                                               \
        }                                                                                          \
    }
BATCH_NORM_KERNEL(float, f32, sqrtf)
BATCH_NORM_KERNEL(double, f64, sqrt)

static ferry_status batch_normalization_run(const onnx_op_ctx *ctx, int ith, int nth,
                                            ferry_error *err)
{
    (void)err;
    return onnx_norm_run(ctx, ith, nth, batch_norm_f32, batch_norm_f64);
}

const onnx_op onnx_op_batch_normalization_7 = {
    .domain = "",
    .op_type = "BatchNormalization",
    .since_version = 7,
    .min_inputs = 5,
    .max_inputs = 5,
    .min_outputs = 1,
    .max_outputs = 5,
    .prepare = batch_normalization_prepare,
    .infer = batch_normalization_infer,
    .run = batch_normalization_run,
};
