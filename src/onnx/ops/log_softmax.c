/* LogSoftmax (ai.onnx): log(softmax(x)) computed as x - max - log(sum(exp(x - max))), so large
 * inputs neither overflow nor lose the log of tiny probabilities; float and double, in two
 * definitions:
 *   since 1 (and 11): the input is coerced to 2-D at `axis` (default 1) and each row of
 *     [prod(dims < axis), prod(dims >= axis)] is normalized;
 *   since 13: normalized along the single dimension `axis` (default -1). */
#include <math.h>

#include "onnx/op.h"

typedef struct log_softmax_params {
    int64_t axis;
} log_softmax_params;

/* The normalization as [outer, len, inner] with `len` strided by `inner`. */
typedef struct log_softmax_layout {
    int64_t outer, len, inner;
} log_softmax_layout;

static ferry_status prepare_axis(onnx_graph *g, onnx_node *n, int64_t def, ferry_error *err)
{
    log_softmax_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    return onnx_attr_int(n, "axis", def, &p->axis, err);
}

static ferry_status log_softmax_1_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    return prepare_axis(g, n, 1, err);
}

static ferry_status log_softmax_13_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    return prepare_axis(g, n, -1, err);
}

/* Opset 13's layout, or opset 1's coerced one when `coerce`. */
static ferry_status layout_of(const onnx_op_ctx *ctx, bool coerce, log_softmax_layout *l,
                              ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    const log_softmax_params *p = ctx->node->params;
    int axis;
    ferry_status st = onnx_axis(ctx, p->axis, x->ndim, &axis, err);
    if (coerce && st != FERRY_OK && p->axis == x->ndim) { /* axis == rank: rows of one element */
        axis = x->ndim;
        st = FERRY_OK;
    }
    if (st != FERRY_OK)
        return st;
    *l = (log_softmax_layout){1, 1, 1};
    for (int d = 0; d < x->ndim; d++) {
        if (d < axis)
            l->outer *= x->shape[d];
        else if (d == axis || coerce)
            l->len *= x->shape[d];
        else
            l->inner *= x->shape[d];
    }
    return FERRY_OK;
}

static ferry_status log_softmax_infer(const onnx_op_ctx *ctx, bool coerce, ferry_error *err)
{
    log_softmax_layout l;
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_MASK_FLOATS, err);
    if (st == FERRY_OK)
        st = layout_of(ctx, coerce, &l, err);
    if (st != FERRY_OK)
        return st;
    const ferry_tensor *x = ctx->inputs[0];
    onnx_set_output(ctx, 0, x->dtype, x->ndim, x->shape);
    return FERRY_OK;
}

#define LOG_SOFTMAX_KERNEL(T, S, EXP, LOG)                                                         \
    static void log_softmax_##S(const T *x, T *y, const log_softmax_layout *l, int64_t lo,         \
                                int64_t hi)                                                        \
    {                                                                                              \
        for (int64_t r = lo; r < hi; r++) {                                                        \
            int64_t o = r / l->inner, in = r % l->inner;                                           \
            const T *xr = x + o * l->len * l->inner + in;                                          \
            T *yr = y + o * l->len * l->inner + in;                                                \
            T max = xr[0];                                                                         \
            for (int64_t i = 1; i < l->len; i++)                                                   \
                max = xr[i * l->inner] > max ? xr[i * l->inner] : max;                             \
            T sum = 0;                                                                             \
            for (int64_t i = 0; i < l->len; i++)                                                   \
                sum += EXP(xr[i * l->inner] - max);                                                \
            T log_sum = LOG(sum); /* subtracted after max: max + log_sum would round */            \
            for (int64_t i = 0; i < l->len; i++)                                                   \
                yr[i * l->inner] = (xr[i * l->inner] - max) - log_sum;                             \
        }                                                                                          \
    }
LOG_SOFTMAX_KERNEL(float, f32, expf, logf)
LOG_SOFTMAX_KERNEL(double, f64, exp, log)

static ferry_status log_softmax_run(const onnx_op_ctx *ctx, bool coerce, int ith, int nth,
                                    ferry_error *err)
{
    log_softmax_layout l;
    ferry_status st = layout_of(ctx, coerce, &l, err);
    if (st != FERRY_OK)
        return st;
    if (l.len == 0)
        return FERRY_OK;
    int64_t lo, hi;
    onnx_slice(l.outer * l.inner, ith, nth, &lo, &hi);
    if (ctx->inputs[0]->dtype == FERRY_DTYPE_FP32)
        log_softmax_f32(ctx->inputs[0]->data, ctx->outputs[0]->data, &l, lo, hi);
    else
        log_softmax_f64(ctx->inputs[0]->data, ctx->outputs[0]->data, &l, lo, hi);
    return FERRY_OK;
}

static ferry_status log_softmax_1_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return log_softmax_infer(ctx, true, err);
}

static ferry_status log_softmax_13_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return log_softmax_infer(ctx, false, err);
}

static ferry_status log_softmax_1_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return log_softmax_run(ctx, true, ith, nth, err);
}

static ferry_status log_softmax_13_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return log_softmax_run(ctx, false, ith, nth, err);
}

const onnx_op onnx_op_log_softmax_1 = {
    .domain = "",
    .op_type = "LogSoftmax",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = log_softmax_1_prepare,
    .infer = log_softmax_1_infer,
    .run = log_softmax_1_run,
};

const onnx_op onnx_op_log_softmax_13 = {
    .domain = "",
    .op_type = "LogSoftmax",
    .since_version = 13,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = log_softmax_13_prepare,
    .infer = log_softmax_13_infer,
    .run = log_softmax_13_run,
};
