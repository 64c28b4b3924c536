/* Softmax and LogSoftmax (ai.onnx), for float and double, which share their attributes, layout
 * and checks, in their two definitions:
 *   since 1 (and 11): the input is coerced to 2-D at `axis` (default 1) and each row of
 *     [prod(dims < axis), prod(dims >= axis)] is normalized;
 *   since 13: normalized along the single dimension `axis` (default -1).
 * Both subtract the maximum first, so large inputs do not overflow; LogSoftmax is computed as
 * x - max - log(sum(exp(x - max))), so it keeps the log of tiny probabilities. */
#include <math.h>

#include "onnx/op.h"

typedef struct softmax_params {
    int64_t axis;
} softmax_params;

/* The softmax as [outer, len, inner] with `len` strided by `inner`. */
typedef struct softmax_layout {
    int64_t outer, len, inner;
} softmax_layout;

static ferry_status prepare_axis(onnx_graph *g, onnx_node *n, int64_t def, ferry_error *err)
{
    softmax_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    return onnx_attr_int(n, "axis", def, &p->axis, err);
}

static ferry_status softmax_1_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    return prepare_axis(g, n, 1, err);
}

static ferry_status softmax_13_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    return prepare_axis(g, n, -1, err);
}

/* Opset 13's layout, or opset 1's coerced one when `coerce`. */
static ferry_status layout_of(const onnx_op_ctx *ctx, bool coerce, softmax_layout *l,
                              ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    const softmax_params *p = ctx->node->params;
    int axis;
    ferry_status st = onnx_axis(ctx, p->axis, x->ndim, &axis, err);
    if (coerce && st != FERRY_OK && p->axis == x->ndim) { /* axis == rank: rows of one element */
        axis = x->ndim;
        st = FERRY_OK;
    }
    if (st != FERRY_OK)
        return st;
    *l = (softmax_layout){1, 1, 1};
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

static ferry_status softmax_infer(const onnx_op_ctx *ctx, bool coerce, ferry_error *err)
{
    softmax_layout l;
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_MASK_FLOATS, err);
    if (st == FERRY_OK)
        st = layout_of(ctx, coerce, &l, err);
    if (st != FERRY_OK)
        return st;
    const ferry_tensor *x = ctx->inputs[0];
    onnx_set_output(ctx, 0, x->dtype, x->ndim, x->shape);
    return FERRY_OK;
}

/* Rows along the last axis (inner 1, the common case) take a loop of their own: no division to
 * find each row, no strides. */
#define SOFTMAX_KERNEL(T, S, EXP)                                                                  \
    static void softmax_rows_##S(const T *x, T *y, int64_t len, int64_t lo, int64_t hi)            \
    {                                                                                              \
        for (int64_t r = lo; r < hi; r++) {                                                        \
            const T *xr = x + r * len;                                                             \
            T *yr = y + r * len;                                                                   \
            T max = xr[0];                                                                         \
            for (int64_t i = 1; i < len; i++)                                                      \
                max = xr[i] > max ? xr[i] : max;                                                   \
            T sum = 0;                                                                             \
            for (int64_t i = 0; i < len; i++) {                                                    \
                yr[i] = EXP(xr[i] - max);                                                          \
                sum += yr[i];                                                                      \
            }                                                                                      \
            for (int64_t i = 0; i < len; i++)                                                      \
                yr[i] /= sum;                                                                      \
        }                                                                                          \
    }                                                                                              \
    static void softmax_##S(const T *x, T *y, const softmax_layout *l, int64_t lo, int64_t hi)     \
    {                                                                                              \
        if (l->inner == 1) {                                                                       \
            softmax_rows_##S(x, y, l->len, lo, hi);                                                \
            return;                                                                                \
        }                                                                                          \
        for (int64_t r = lo; r < hi; r++) {                                                        \
            int64_t o = r / l->inner, in = r % l->inner;                                           \
            const T *xr = x + o * l->len * l->inner + in;                                          \
            T *yr = y + o * l->len * l->inner + in;                                                \
            T max = xr[0];                                                                         \
            for (int64_t i = 1; i < l->len; i++)                                                   \
                max = xr[i * l->inner] > max ? xr[i * l->inner] : max;                             \
            T sum = 0;                                                                             \
            for (int64_t i = 0; i < l->len; i++) {                                                 \
                yr[i * l->inner] = EXP(xr[i * l->inner] - max);                                    \
                sum += yr[i * l->inner];                                                           \
            }                                                                                      \
            for (int64_t i = 0; i < l->len; i++)                                                   \
                yr[i * l->inner] /= sum;                                                           \
        }                                                                                          \
    }
SOFTMAX_KERNEL(float, f32, expf)
SOFTMAX_KERNEL(double, f64, exp)

#define LOG_SOFTMAX_KERNEL(T, S, EXP, LOG)                                                         \
    static void log_softmax_##S(const T *x, T *y, const softmax_layout *l, int64_t lo, int64_t hi) \
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

static ferry_status softmax_run(const onnx_op_ctx *ctx, bool coerce, bool log_of, int ith, int nth,
                                ferry_error *err)
{
    softmax_layout l;
    ferry_status st = layout_of(ctx, coerce, &l, err);
    if (st != FERRY_OK)
        return st;
    if (l.len == 0)
        return FERRY_OK;
    int64_t lo, hi;
    onnx_slice(l.outer * l.inner, ith, nth, &lo, &hi);
    const void *x = ctx->inputs[0]->data;
    void *y = ctx->outputs[0]->data;
    bool f32 = ctx->inputs[0]->dtype == FERRY_DTYPE_FP32;
    if (log_of && f32)
        log_softmax_f32(x, y, &l, lo, hi);
    else if (log_of)
        log_softmax_f64(x, y, &l, lo, hi);
    else if (f32)
        softmax_f32(x, y, &l, lo, hi);
    else
        softmax_f64(x, y, &l, lo, hi);
    return FERRY_OK;
}

static ferry_status softmax_1_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return softmax_infer(ctx, true, err);
}

static ferry_status softmax_13_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return softmax_infer(ctx, false, err);
}

static ferry_status softmax_1_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return softmax_run(ctx, true, false, ith, nth, err);
}

static ferry_status softmax_13_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return softmax_run(ctx, false, false, ith, nth, err);
}

static ferry_status log_softmax_1_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return softmax_run(ctx, true, true, ith, nth, err);
}

static ferry_status log_softmax_13_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    return softmax_run(ctx, false, true, ith, nth, err);
}

const onnx_op onnx_op_softmax_1 = {
    .domain = "",
    .op_type = "Softmax",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = softmax_1_prepare,
    .infer = softmax_1_infer,
    .run = softmax_1_run,
};

const onnx_op onnx_op_softmax_13 = {
    .domain = "",
    .op_type = "Softmax",
    .since_version = 13,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = softmax_13_prepare,
    .infer = softmax_13_infer,
    .run = softmax_13_run,
};

const onnx_op onnx_op_log_softmax_1 = {
    .domain = "",
    .op_type = "LogSoftmax",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = softmax_1_prepare,
    .infer = softmax_1_infer,
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
    .prepare = softmax_13_prepare,
    .infer = softmax_13_infer,
    .run = log_softmax_13_run,
};
