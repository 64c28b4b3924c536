/* Slice (ai.onnx): takes [start, end) with a step along some axes, the others whole, in two
 * definitions:
 *   since 1: starts, ends and axes (default 0, 1, ...) are attributes; the step is 1;
 *   since 10: they are inputs (int32 or int64) with optional steps, negative ones walking
 *     backwards, read while planning (a constant, computed from shapes, or a graph input: plans
 *     are then made per value); values computed from other tensors are refused.
 * Negative starts and ends count from the end and are clamped as ONNX says (negative axes from
 * opset 11, accepted from 1). Any dtype (strings too); rows are copied with memcpy when the last
 * step is 1. */
#include <string.h>

#include "onnx/op.h"

/* Per input dimension: the first index taken, the step, and how many are taken. */
typedef struct slice_geom {
    int64_t start[FERRY_MAX_DIMS], step[FERRY_MAX_DIMS], count[FERRY_MAX_DIMS];
} slice_geom;

/* One entry of the axes' range for the dimension of size dim. */
static void slice_axis(int64_t s, int64_t e, int64_t step, int64_t dim, int64_t *start,
                       int64_t *count)
{
    s = s < 0 ? s + dim : s;
    e = e < 0 ? e + dim : e;
    if (step > 0) {
        s = s < 0 ? 0 : s > dim ? dim : s;
        e = e < 0 ? 0 : e > dim ? dim : e;
        *count = e > s ? (e - s - 1) / step + 1 : 0;
    } else {
        s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
        e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
        *count = s > e ? (int64_t)((uint64_t)(s - e - 1) / (0 - (uint64_t)step)) + 1 : 0;
    }
    *start = s;
}

/* The geometry from starts, ends and the optional axes and steps (1-D int32/int64 tensors). */
static ferry_status slice_geometry(const onnx_op_ctx *ctx, const ferry_tensor *starts,
                                   const ferry_tensor *ends, const ferry_tensor *axes,
                                   const ferry_tensor *steps, slice_geom *g, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    int64_t n = onnx_numel(starts);
    bool shaped = starts->ndim == 1 && onnx_numel(ends) == n &&
                  (axes == NULL || onnx_numel(axes) == n) &&
                  (steps == NULL || onnx_numel(steps) == n);
    if (!shaped || n > x->ndim)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "starts, ends, axes and steps must be 1-D of one length, at most "
                               "the input's rank %d",
                               x->ndim);
    bool seen[FERRY_MAX_DIMS] = {false};
    for (int d = 0; d < x->ndim; d++) {
        g->start[d] = 0;
        g->step[d] = 1;
        g->count[d] = x->shape[d];
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t a = axes != NULL ? onnx_int_at(axes, i) : i;
        int64_t step = steps != NULL ? onnx_int_at(steps, i) : 1;
        a = a < 0 ? a + x->ndim : a;
        if (a < 0 || a >= x->ndim || seen[a])
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "axis %lld is out of range for rank %d or repeated",
                                   (long long)(axes != NULL ? onnx_int_at(axes, i) : i), x->ndim);
        if (step == 0)
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "a step is 0");
        seen[a] = true;
        g->step[a] = step;
        slice_axis(onnx_int_at(starts, i), onnx_int_at(ends, i), step, x->shape[a], &g->start[a],
                   &g->count[a]);
    }
    return FERRY_OK;
}

/* An attribute as a 1-D int64 tensor (NULL when absent). */
static const ferry_tensor *attr_tensor(const onnx_node *n, const char *name, ferry_tensor *t,
                                       ferry_error *err, ferry_status *st)
{
    const int64_t *v;
    size_t len;
    if (*st == FERRY_OK)
        *st = onnx_attr_ints(n, name, &v, &len, err);
    if (*st != FERRY_OK || v == NULL)
        return NULL;
    *t = (ferry_tensor){
        .dtype = FERRY_DTYPE_INT64, .ndim = 1, .shape = {(int64_t)len}, .data = (void *)v};
    return t;
}

static ferry_status slice_1_geometry(const onnx_op_ctx *ctx, slice_geom *g, ferry_error *err)
{
    ferry_tensor ts, te, ta;
    ferry_status st = FERRY_OK;
    const ferry_tensor *starts = attr_tensor(ctx->node, "starts", &ts, err, &st);
    const ferry_tensor *ends = attr_tensor(ctx->node, "ends", &te, err, &st);
    const ferry_tensor *axes = attr_tensor(ctx->node, "axes", &ta, err, &st);
    if (st == FERRY_OK && (starts == NULL || ends == NULL))
        st = onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                             "the starts and ends attributes are required");
    if (st != FERRY_OK)
        return st;
    return slice_geometry(ctx, starts, ends, axes, NULL, g, err);
}

static ferry_status slice_10_geometry(const onnx_op_ctx *ctx, slice_geom *g, ferry_error *err)
{
    for (size_t i = 1; i < 5; i++) {
        const ferry_tensor *t = onnx_in(ctx, i);
        ferry_status st = onnx_check_dtype(ctx, i, ONNX_MASK_INDEX, err);
        if (st == FERRY_OK && t != NULL && t->dtype != ctx->inputs[1]->dtype)
            st = onnx_check_same_dtype(ctx, 1, i, err);
        if (st == FERRY_OK && t != NULL && t->data == NULL)
            st = onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node,
                                 "'%s' depends on tensor values; ferry needs starts, ends, axes "
                                 "and steps known while planning",
                                 t->name);
        if (st != FERRY_OK)
            return st;
    }
    return slice_geometry(ctx, ctx->inputs[1], ctx->inputs[2], onnx_in(ctx, 3), onnx_in(ctx, 4), g,
                          err);
}

static ferry_status slice_infer(const onnx_op_ctx *ctx, const slice_geom *g)
{
    const ferry_tensor *x = ctx->inputs[0];
    onnx_set_output(ctx, 0, x->dtype, x->ndim, g->count);
    return FERRY_OK;
}

static ferry_status slice_1_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    slice_geom g;
    ferry_status st = slice_1_geometry(ctx, &g, err);
    return st == FERRY_OK ? slice_infer(ctx, &g) : st;
}

static ferry_status slice_10_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    slice_geom g;
    ferry_status st = slice_10_geometry(ctx, &g, err);
    return st == FERRY_OK ? slice_infer(ctx, &g) : st;
}

/* Copies `count` elements of `size` bytes, `step` elements apart in the source. */
static void copy_strided(char *dst, const char *src, size_t size, int64_t count, int64_t step)
{
    switch (size) {
    case 1:
        for (int64_t i = 0; i < count; i++)
            ((uint8_t *)dst)[i] = ((const uint8_t *)src)[i * step];
        break;
    case 2:
        for (int64_t i = 0; i < count; i++)
            ((uint16_t *)dst)[i] = ((const uint16_t *)src)[i * step];
        break;
    case 4:
        for (int64_t i = 0; i < count; i++)
            ((uint32_t *)dst)[i] = ((const uint32_t *)src)[i * step];
        break;
    case 8:
        for (int64_t i = 0; i < count; i++)
            ((uint64_t *)dst)[i] = ((const uint64_t *)src)[i * step];
        break;
    default:
        for (int64_t i = 0; i < count; i++)
            ((onnx_string *)dst)[i] = ((const onnx_string *)src)[i * step];
        break;
    }
}

static ferry_status slice_run(const onnx_op_ctx *ctx, const slice_geom *g, int ith, int nth)
{
    const ferry_tensor *x = ctx->inputs[0];
    ferry_tensor *y = ctx->outputs[0];
    if (onnx_numel(y) == 0)
        return FERRY_OK;
    int rank = x->ndim;
    size_t size = onnx_elem_size(x->dtype);
    if (rank == 0) {
        if (ith == 0)
            memcpy(y->data, x->data, size);
        return FERRY_OK;
    }
    int64_t stride[FERRY_MAX_DIMS], s = 1;
    for (int d = rank - 1; d >= 0; d--) {
        stride[d] = s;
        s *= x->shape[d];
    }
    int64_t width = g->count[rank - 1], lo, hi;
    onnx_slice(onnx_numel(y) / width, ith, nth, &lo, &hi);
    for (int64_t r = lo; r < hi; r++) {
        int64_t off = g->start[rank - 1], rest = r;
        for (int d = rank - 2; d >= 0; d--) {
            off += (g->start[d] + (rest % g->count[d]) * g->step[d]) * stride[d];
            rest /= g->count[d];
        }
        char *dst = (char *)y->data + (size_t)(r * width) * size;
        const char *src = (const char *)x->data + (size_t)off * size;
        if (g->step[rank - 1] == 1)
            memcpy(dst, src, (size_t)width * size);
        else
            copy_strided(dst, src, size, width, g->step[rank - 1]);
    }
    return FERRY_OK;
}

static ferry_status slice_1_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    slice_geom g;
    ferry_status st = slice_1_geometry(ctx, &g, err);
    return st == FERRY_OK ? slice_run(ctx, &g, ith, nth) : st;
}

static ferry_status slice_10_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    slice_geom g;
    ferry_status st = slice_10_geometry(ctx, &g, err);
    return st == FERRY_OK ? slice_run(ctx, &g, ith, nth) : st;
}

const onnx_op onnx_op_slice_1 = {
    .domain = "",
    .op_type = "Slice",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_STRINGS,
    .infer = slice_1_infer,
    .run = slice_1_run,
};

const onnx_op onnx_op_slice_10 = {
    .domain = "",
    .op_type = "Slice",
    .since_version = 10,
    .min_inputs = 3,
    .max_inputs = 5,
    .min_outputs = 1,
    .max_outputs = 1,
    .flags = ONNX_OP_STRINGS,
    .value_inputs = (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4),
    .infer = slice_10_infer,
    .run = slice_10_run,
};
