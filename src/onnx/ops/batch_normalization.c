/* BatchNormalization (ai.onnx, since 7), inference mode: y = scale * (x - mean) / sqrt(var + eps)
 * + B per channel of [N, C, ...], for float and double. Training mode (opset 14's training_mode,
 * or the running-statistics outputs) and spatial = 0 (opsets 7-8) are refused at load. */
#include <math.h>

#include "onnx/op.h"

typedef struct batch_norm_params {
    float epsilon;
} batch_norm_params;

static ferry_status batch_normalization_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    batch_norm_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    int64_t training, spatial;
    ferry_status st = onnx_attr_float(n, "epsilon", 1e-5f, &p->epsilon, err);
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

static ferry_status batch_normalization_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_MASK_FLOATS, err);
    for (size_t i = 1; st == FERRY_OK && i < 5; i++)
        st = onnx_check_same_dtype(ctx, 0, i, err);
    if (st != FERRY_OK)
        return st;
    if (x->ndim < 2)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "input rank %d; expected >= 2",
                               x->ndim);
    for (size_t i = 1; i < 5; i++)
        if (ctx->inputs[i]->ndim != 1 || ctx->inputs[i]->shape[0] != x->shape[1])
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "input %zu ('%s') must be [%lld], one value per channel", i,
                                   ctx->inputs[i]->name, (long long)x->shape[1]);
    onnx_set_output(ctx, 0, x->dtype, x->ndim, x->shape);
    return FERRY_OK;
}

#define BATCH_NORM_KERNEL(T, S, SQRT)                                                              \
    static void batch_norm_##S(const onnx_op_ctx *ctx, float eps, int64_t lo, int64_t hi,          \
                               int64_t channels, int64_t vol)                                      \
    {                                                                                              \
        const T *x = ctx->inputs[0]->data, *scale = ctx->inputs[1]->data;                          \
        const T *bias = ctx->inputs[2]->data, *mean = ctx->inputs[3]->data;                        \
        const T *var = ctx->inputs[4]->data;                                                       \
        T *y = ctx->outputs[0]->data;                                                              \
        for (int64_t p = lo; p < hi; p++) {                                                        \
            int64_t c = p % channels;                                                              \
            T a = scale[c] / SQRT(var[c] + (T)eps), b = bias[c] - mean[c] * a;                     \
            for (int64_t i = p * vol; i < (p + 1) * vol; i++)                                      \
                y[i] = x[i] * a + b;                                                               \
        }                                                                                          \
    }
BATCH_NORM_KERNEL(float, f32, sqrtf)
BATCH_NORM_KERNEL(double, f64, sqrt)

static ferry_status batch_normalization_run(const onnx_op_ctx *ctx, int ith, int nth,
                                            ferry_error *err)
{
    (void)err;
    const ferry_tensor *x = ctx->inputs[0];
    const batch_norm_params *p = ctx->node->params;
    int64_t planes = x->shape[0] * x->shape[1];
    int64_t vol = planes > 0 ? onnx_numel(x) / planes : 0;
    int64_t lo, hi;
    onnx_slice(planes, ith, nth, &lo, &hi);
    if (x->dtype == FERRY_DTYPE_FP32)
        batch_norm_f32(ctx, p->epsilon, lo, hi, x->shape[1], vol);
    else
        batch_norm_f64(ctx, p->epsilon, lo, hi, x->shape[1], vol);
    return FERRY_OK;
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
