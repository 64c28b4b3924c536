/* LayerNormalization (ai.onnx, since 17): each row of X coerced to 2-D at `axis` (the dimensions
 * from axis on are normalized together) becomes (x - mean) / sqrt(var + epsilon) * Scale + B, with
 * Scale and the optional B broadcast to those dimensions. The optional outputs Mean and
 * InvStdDev have X's leading dimensions and ones after, in the stash_type precision (1: float,
 * 11: double; others are refused). X may be float or double; the statistics are accumulated in
 * double either way. */
#include <math.h>

#include "onnx/op.h"

typedef struct layer_norm_params {
    int64_t axis;
    float epsilon;
    ferry_dtype stash;
} layer_norm_params;

/* X as [rows, len]; Scale and B as vectors of len they repeat over (`scale_len`, `bias_len`). */
typedef struct layer_norm_layout {
    int64_t rows, len;
    int64_t scale_len, bias_len;
} layer_norm_layout;

static ferry_status layer_normalization_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    layer_norm_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    int64_t stash = 1;
    ferry_status st = onnx_attr_int(n, "axis", -1, &p->axis, err);
    if (st == FERRY_OK)
        st = onnx_attr_float(n, "epsilon", 1e-5f, &p->epsilon, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "stash_type", 1, &stash, err);
    if (st != FERRY_OK)
        return st;
    if (stash != 1 && stash != 11) /* TensorProto's FLOAT and DOUBLE */
        return onnx_node_error(err, FERRY_UNSUPPORTED, n,
                               "stash_type %lld is not supported (1: float, 11: double)",
                               (long long)stash);
    p->stash = stash == 1 ? FERRY_DTYPE_FP32 : FERRY_DTYPE_FP64;
    return FERRY_OK;
}

/* The period with which input i (Scale or B) repeats over a row of the normalized dimensions:
 * after leading ones its shape must be a suffix of X's dimensions from axis. Other shapes that
 * broadcast against X ([C, 1] against [C, W], or one value per row) are refused as
 * unsupported. */
static ferry_status broadcast_len(const onnx_op_ctx *ctx, size_t i, int axis, int64_t *period,
                                  ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0], *t = ctx->inputs[i];
    int first = 0; /* t's first dimension past its leading ones */
    while (first < t->ndim && t->shape[first] == 1)
        first++;
    bool broadcasts = t->ndim <= x->ndim, suffix = true;
    *period = 1;
    for (int d = 0; broadcasts && d < t->ndim; d++) {
        int xd = x->ndim - t->ndim + d;
        broadcasts = t->shape[d] == x->shape[xd] || t->shape[d] == 1;
        suffix = suffix && (d < first || (t->shape[d] == x->shape[xd] && xd >= axis));
        *period *= d < first ? 1 : t->shape[d];
    }
    if (broadcasts && suffix)
        return FERRY_OK;
    return onnx_node_error(
        err, broadcasts ? FERRY_UNSUPPORTED : FERRY_INVALID_ARG, ctx->node,
        "input %zu ('%s') %s the normalized dimensions of X (from axis %d)", i, t->name,
        broadcasts ? "broadcasts in a way not supported to" : "does not broadcast to", axis);
}

static ferry_status layout_of(const onnx_op_ctx *ctx, layer_norm_layout *l, ferry_error *err)
{
    const layer_norm_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    int axis;
    ferry_status st = onnx_axis(ctx, p->axis, x->ndim, &axis, err);
    if (st != FERRY_OK)
        return st;
    *l = (layer_norm_layout){.rows = 1, .len = 1, .scale_len = 1, .bias_len = 1};
    for (int d = 0; d < x->ndim; d++)
        *(d < axis ? &l->rows : &l->len) *= x->shape[d];
    st = broadcast_len(ctx, 1, axis, &l->scale_len, err);
    if (st == FERRY_OK && onnx_in(ctx, 2) != NULL)
        st = broadcast_len(ctx, 2, axis, &l->bias_len, err);
    return st;
}

static ferry_status layer_normalization_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const layer_norm_params *p = ctx->node->params;
    layer_norm_layout l;
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_MASK_FLOATS, err);
    for (size_t i = 1; st == FERRY_OK && i < 3; i++)
        if (onnx_in(ctx, i) != NULL)
            st = onnx_check_same_dtype(ctx, 0, i, err);
    if (st == FERRY_OK)
        st = layout_of(ctx, &l, err);
    if (st != FERRY_OK)
        return st;
    const ferry_tensor *x = ctx->inputs[0];
    int axis;
    st = onnx_axis(ctx, p->axis, x->ndim, &axis, err);
    if (st != FERRY_OK)
        return st;
    int64_t stat_shape[FERRY_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++)
        stat_shape[d] = d < axis ? x->shape[d] : 1;
    onnx_set_output(ctx, 0, x->dtype, x->ndim, x->shape);
    onnx_set_output(ctx, 1, p->stash, x->ndim, stat_shape);
    onnx_set_output(ctx, 2, p->stash, x->ndim, stat_shape);
    return FERRY_OK;
}

/* Writes a statistic in the stash precision. */
static void put_stat(ferry_tensor *t, int64_t i, double v)
{
    if (t == NULL)
        return;
    if (t->dtype == FERRY_DTYPE_FP32)
        ((float *)t->data)[i] = (float)v;
    else
        ((double *)t->data)[i] = v;
}

#define LAYER_NORM_KERNEL(T, S)                                                                    \
    static void layer_norm_##S(const onnx_op_ctx *ctx, const layer_norm_layout *l, double eps,     \
                               int64_t lo, int64_t hi)                                             \
    {                                                                                              \
        const T *x = ctx->inputs[0]->data, *scale = ctx->inputs[1]->data;                          \
        const ferry_tensor *b = onnx_in(ctx, 2);                                                   \
        const T *bias = b != NULL ? b->data : NULL;                                                \
        T *y = ctx->outputs[0]->data;                                                              \
        for (int64_t r = lo; r < hi; r++) {                                                        \
            const T *xr = x + r * l->len;                                                          \
            T *yr = y + r * l->len;                                                                \
            double sum = 0.0, sq = 0.0;                                                            \
            for (int64_t i = 0; i < l->len; i++)                                                   \
                sum += xr[i];                                                                      \
            double mean = l->len > 0 ? sum / (double)l->len : 0.0;                                 \
            for (int64_t i = 0; i < l->len; i++)                                                   \
                sq += ((double)xr[i] - mean) * ((double)xr[i] - mean);                             \
            double var = l->len > 0 ? sq / (double)l->len : 0.0;                                   \
            double inv = 1.0 / sqrt(var + eps);                                                    \
            for (int64_t i = 0; i < l->len; i++) {                                                 \
                double v = ((double)xr[i] - mean) * inv * (double)scale[i % l->scale_len];         \
                yr[i] = (T)(bias != NULL ? v + (double)bias[i % l->bias_len] : v);                 \
            }                                                                                      \
            put_stat(onnx_out(ctx, 1), r, mean);                                                   \
            put_stat(onnx_out(ctx, 2), r, inv);                                                    \
        }                                                                                          \
    }
LAYER_NORM_KERNEL(float, f32)
LAYER_NORM_KERNEL(double, f64)

static ferry_status layer_normalization_run(const onnx_op_ctx *ctx, int ith, int nth,
                                            ferry_error *err)
{
    const layer_norm_params *p = ctx->node->params;
    layer_norm_layout l;
    ferry_status st = layout_of(ctx, &l, err);
    if (st != FERRY_OK)
        return st;
    int64_t lo, hi;
    onnx_slice(l.rows, ith, nth, &lo, &hi);
    if (ctx->inputs[0]->dtype == FERRY_DTYPE_FP32)
        layer_norm_f32(ctx, &l, p->epsilon, lo, hi);
    else
        layer_norm_f64(ctx, &l, p->epsilon, lo, hi);
    return FERRY_OK;
}

const onnx_op onnx_op_layer_normalization_17 = {
    .domain = "",
    .op_type = "LayerNormalization",
    .since_version = 17,
    .min_inputs = 2,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 3,
    .prepare = layer_normalization_prepare,
    .infer = layer_normalization_infer,
    .run = layer_normalization_run,
};
