/* InstanceNormalization (ai.onnx, since 1): each channel of each image of [N, C, D1...] becomes
 * scale[c] * (x - mean) / sqrt(var + epsilon) + B[c], the statistics taken over the spatial
 * dimensions, for float and double (accumulated in double). Opset 6 only dropped opset 1's legacy
 * consumed_inputs attribute, which is ignored, so one descriptor serves both. */
#include <math.h>

#include "onnx/op.h"

typedef struct instance_norm_params {
    float epsilon;
} instance_norm_params;

static ferry_status instance_normalization_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    instance_norm_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    return onnx_attr_float(n, "epsilon", 1e-5f, &p->epsilon, err);
}

static ferry_status instance_normalization_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_MASK_FLOATS, err);
    for (size_t i = 1; st == FERRY_OK && i < 3; i++)
        st = onnx_check_same_dtype(ctx, 0, i, err);
    if (st != FERRY_OK)
        return st;
    if (x->ndim < 3)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "input rank %d; expected N+2 with N >= 1", x->ndim);
    for (size_t i = 1; i < 3; i++)
        if (ctx->inputs[i]->ndim != 1 || ctx->inputs[i]->shape[0] != x->shape[1])
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "input %zu ('%s') must be [%lld], one value per channel", i,
                                   ctx->inputs[i]->name, (long long)x->shape[1]);
    onnx_set_output(ctx, 0, x->dtype, x->ndim, x->shape);
    return FERRY_OK;
}

#define INSTANCE_NORM_KERNEL(T, S)                                                                 \
    static void instance_norm_##S(const onnx_op_ctx *ctx, double eps, int64_t lo, int64_t hi,      \
                                  int64_t channels, int64_t vol)                                   \
    {                                                                                              \
        const T *x = ctx->inputs[0]->data, *scale = ctx->inputs[1]->data;                          \
        const T *bias = ctx->inputs[2]->data;                                                      \
        T *y = ctx->outputs[0]->data;                                                              \
        for (int64_t p = lo; p < hi; p++) {                                                        \
            const T *xp = x + p * vol;                                                             \
            T *yp = y + p * vol;                                                                   \
            int64_t c = p % channels;                                                              \
            double sum = 0.0, sq = 0.0;                                                            \
            for (int64_t i = 0; i < vol; i++)                                                      \
                sum += xp[i];                                                                      \
            double mean = vol > 0 ? sum / (double)vol : 0.0;                                       \
            for (int64_t i = 0; i < vol; i++)                                                      \
                sq += ((double)xp[i] - mean) * ((double)xp[i] - mean);                             \
            double a = (double)scale[c] / sqrt((vol > 0 ? sq / (double)vol : 0.0) + eps);          \
            double b = (double)bias[c] - mean * a;                                                 \
            for (int64_t i = 0; i < vol; i++)                                                      \
                yp[i] = (T)((double)xp[i] * a + b);                                                \
        }                                                                                          \
    }
INSTANCE_NORM_KERNEL(float, f32)
INSTANCE_NORM_KERNEL(double, f64)

static ferry_status instance_normalization_run(const onnx_op_ctx *ctx, int ith, int nth,
                                               ferry_error *err)
{
    (void)err;
    const ferry_tensor *x = ctx->inputs[0];
    const instance_norm_params *p = ctx->node->params;
    int64_t planes = x->shape[0] * x->shape[1];
    int64_t vol = planes > 0 ? onnx_numel(x) / planes : 0;
    int64_t lo, hi;
    onnx_slice(planes, ith, nth, &lo, &hi);
    if (x->dtype == FERRY_DTYPE_FP32)
        instance_norm_f32(ctx, p->epsilon, lo, hi, x->shape[1], vol);
    else
        instance_norm_f64(ctx, p->epsilon, lo, hi, x->shape[1], vol);
    return FERRY_OK;
}

const onnx_op onnx_op_instance_normalization_1 = {
    .domain = "",
    .op_type = "InstanceNormalization",
    .since_version = 1,
    .min_inputs = 3,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = instance_normalization_prepare,
    .infer = instance_normalization_infer,
    .run = instance_normalization_run,
};
