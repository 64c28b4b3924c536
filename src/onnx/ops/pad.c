/* Pad (ai.onnx): pads (or, with negative pads, crops) each dimension at its start and end, in mode
 * constant (a value, default 0), reflect (mirrored without repeating the edge; a dimension of one
 * element repeats it), edge (the edge repeated) or wrap (periodic, opset 19). Four definitions:
 *   since 2: pads and value are attributes;
 *   since 11: pads is an int64 input read while planning, constant_value an optional
 *     one-element input of the data's dtype read per inference;
 *   since 18: the optional input axes (int32/int64) names the padded dimensions;
 *   since 19: mode wrap.
 * Pads computed from other tensors' values are refused. Any fixed-size dtype. Opset 1
 * (`paddings`) is not registered. */
#include <string.h>

#include "onnx/op.h"

typedef enum pad_mode { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP } pad_mode;

typedef struct pad_params {
    pad_mode mode;
    float value;         /* opset 2 */
    const int64_t *pads; /* opset 2 */
    size_t n_pads;
} pad_params;

/* Pads per input dimension at its start and end (negative ones crop). */
typedef struct pad_geom {
    int64_t begin[FERRY_MAX_DIMS], end[FERRY_MAX_DIMS];
} pad_geom;

static ferry_status pad_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    pad_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    const char *mode;
    ferry_status st = onnx_attr_string(n, "mode", "constant", &mode, err);
    if (st == FERRY_OK && n->op->since_version < 11) {
        st = onnx_attr_ints(n, "pads", &p->pads, &p->n_pads, err);
        if (st == FERRY_OK)
            st = onnx_attr_float(n, "value", 0.0f, &p->value, err);
        if (st == FERRY_OK && p->pads == NULL)
            st = onnx_node_error(err, FERRY_INVALID_ARG, n, "the pads attribute is required");
    }
    if (st != FERRY_OK)
        return st;
    if (strcmp(mode, "constant") == 0)
        p->mode = PAD_CONSTANT;
    else if (strcmp(mode, "reflect") == 0)
        p->mode = PAD_REFLECT;
    else if (strcmp(mode, "edge") == 0)
        p->mode = PAD_EDGE;
    else if (strcmp(mode, "wrap") == 0 && n->op->since_version >= 19)
        p->mode = PAD_WRAP;
    else
        return onnx_node_error(err, FERRY_INVALID_ARG, n,
                               "mode '%s' is not one of constant, reflect, edge%s", mode,
                               n->op->since_version >= 19 ? ", wrap" : " (wrap needs opset 19)");
    return FERRY_OK;
}

/* Reads the pads (attribute or input 1) and the axes (input 3) into g. */
static ferry_status pad_geometry(const onnx_op_ctx *ctx, pad_geom *g, ferry_error *err)
{
    const pad_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0], *pads = onnx_in(ctx, 1), *axes = onnx_in(ctx, 3);
    int rank = x->ndim;
    ferry_status st = onnx_check_dtype(ctx, 1, ONNX_MASK(INT64), err);
    if (st == FERRY_OK)
        st = onnx_check_dtype(ctx, 3, ONNX_MASK_INDEX, err);
    for (size_t i = 1; st == FERRY_OK && i < 4; i += 2) {
        const ferry_tensor *t = onnx_in(ctx, i);
        if (t != NULL && t->data == NULL)
            st = onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node,
                                 "'%s' depends on tensor values; ferry needs the pads and axes "
                                 "known while planning",
                                 t->name);
    }
    if (st != FERRY_OK)
        return st;
    const int64_t *v = pads != NULL ? pads->data : p->pads;
    int64_t n_pads = pads != NULL ? onnx_numel(pads) : (int64_t)p->n_pads;
    int64_t n_axes = axes != NULL ? onnx_numel(axes) : rank;
    if (n_pads != 2 * n_axes || n_axes > rank)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "%lld pads for %lld axes (rank %d)", (long long)n_pads,
                               (long long)n_axes, rank);
    memset(g, 0, sizeof *g);
    bool seen[FERRY_MAX_DIMS] = {false};
    for (int64_t i = 0; i < n_axes; i++) {
        int64_t a = axes != NULL ? onnx_int_at(axes, i) : i;
        a = a < 0 ? a + rank : a;
        if (a < 0 || a >= rank || seen[a])
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "axis %lld is out of range for rank %d or repeated",
                                   (long long)(axes != NULL ? onnx_int_at(axes, i) : i), rank);
        seen[a] = true;
        g->begin[a] = v[i];
        g->end[a] = v[n_axes + i];
    }
    for (int d = 0; d < rank; d++) {
        int64_t in = x->shape[d], out = in + g->begin[d] + g->end[d];
        bool padded = g->begin[d] > 0 || g->end[d] > 0;
        if (g->begin[d] < -in || g->end[d] < -in || out < 0 ||
            (p->mode != PAD_CONSTANT && in == 0 && padded))
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "pads %lld and %lld do not fit dimension %d of size %lld",
                                   (long long)g->begin[d], (long long)g->end[d], d, (long long)in);
    }
    return FERRY_OK;
}

static ferry_status pad_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0], *value = onnx_in(ctx, 2);
    pad_geom g;
    ferry_status st = onnx_check_same_dtype(ctx, 0, 2, err);
    if (st == FERRY_OK && value != NULL && onnx_numel(value) != 1)
        st = onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                             "constant_value ('%s') must hold one element", value->name);
    if (st == FERRY_OK)
        st = pad_geometry(ctx, &g, err);
    if (st != FERRY_OK)
        return st;
    int64_t shape[FERRY_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++)
        shape[d] = x->shape[d] + g.begin[d] + g.end[d];
    onnx_set_output(ctx, 0, x->dtype, x->ndim, shape);
    return FERRY_OK;
}

/* The source index for output index o of a dimension of n elements padded by `begin` at its
 * start; -1 for the constant. */
static int64_t pad_source(pad_mode mode, int64_t o, int64_t begin, int64_t n)
{
    int64_t i = o - begin;
    if (i >= 0 && i < n)
        return i;
    switch (mode) {
    case PAD_CONSTANT:
        return -1;
    case PAD_EDGE:
        return i < 0 ? 0 : n - 1;
    case PAD_WRAP:
        return ((i % n) + n) % n;
    default: { /* reflect: periodic with period 2(n - 1) */
        if (n == 1)
            return 0;
        int64_t period = 2 * (n - 1), m = ((i % period) + period) % period;
        return m < n ? m : period - m;
    }
    }
}

/* The constant as bytes of dtype: input 2, the opset-2 attribute, or 0. */
static void pad_value(const onnx_op_ctx *ctx, unsigned char *out)
{
    const pad_params *p = ctx->node->params;
    const ferry_tensor *value = onnx_in(ctx, 2);
    ferry_dtype dtype = ctx->inputs[0]->dtype;
    memset(out, 0, 8);
    if (value != NULL) {
        memcpy(out, value->data, ferry_dtype_size(dtype));
        return;
    }
    double v = p->value;
    switch (dtype) {
    case FERRY_DTYPE_FP32:
        memcpy(out, &p->value, sizeof p->value);
        break;
    case FERRY_DTYPE_FP64:
        memcpy(out, &v, sizeof v);
        break;
    default: { /* integers and bool from an integral float (opset 2 serves floats) */
        int64_t i = v >= -0x1p63 && v < 0x1p63 ? (int64_t)v : 0;
        if (dtype == FERRY_DTYPE_BOOL)
            i = v != 0;
        memcpy(out, &i, ferry_dtype_size(dtype)); /* little-endian: the low bytes */
        break;
    }
    }
}

static ferry_status pad_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    const pad_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    ferry_tensor *y = ctx->outputs[0];
    pad_geom g;
    ferry_status st = pad_geometry(ctx, &g, err);
    if (st != FERRY_OK || onnx_numel(y) == 0)
        return st;
    size_t size = ferry_dtype_size(x->dtype);
    unsigned char value[8];
    pad_value(ctx, value);
    int rank = x->ndim;
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
    int64_t n = x->shape[rank - 1], width = y->shape[rank - 1], b = g.begin[rank - 1];
    int64_t mid_lo = b > 0 ? b : 0, mid_hi = b + n < width ? b + n : width, lo, hi;
    onnx_slice(onnx_numel(y) / width, ith, nth, &lo, &hi);
    for (int64_t r = lo; r < hi; r++) {
        char *dst = (char *)y->data + (size_t)(r * width) * size;
        int64_t off = 0, rest = r;
        for (int d = rank - 2; d >= 0 && off >= 0; d--) {
            int64_t i = pad_source(p->mode, rest % y->shape[d], g.begin[d], x->shape[d]);
            off = i < 0 ? -1 : off + i * stride[d];
            rest /= y->shape[d];
        }
        if (off < 0) { /* a padded row */
            for (int64_t o = 0; o < width; o++)
                memcpy(dst + (size_t)o * size, value, size);
            continue;
        }
        const char *src = (const char *)x->data + (size_t)off * size;
        for (int64_t o = 0; o < width; o++) {
            if (o == mid_lo && mid_hi > mid_lo) {
                memcpy(dst + (size_t)o * size, src + (size_t)(o - b) * size,
                       (size_t)(mid_hi - mid_lo) * size);
                o = mid_hi - 1;
                continue;
            }
            int64_t i = pad_source(p->mode, o, b, n);
            memcpy(dst + (size_t)o * size, i < 0 ? (const char *)value : src + (size_t)i * size,
                   size);
        }
    }
    return FERRY_OK;
}

const onnx_op onnx_op_pad_2 = {
    .domain = "",
    .op_type = "Pad",
    .since_version = 2,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = pad_prepare,
    .infer = pad_infer,
    .run = pad_run,
};

const onnx_op onnx_op_pad_11 = {
    .domain = "",
    .op_type = "Pad",
    .since_version = 11,
    .min_inputs = 2,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .value_inputs = 1u << 1,
    .prepare = pad_prepare,
    .infer = pad_infer,
    .run = pad_run,
};

const onnx_op onnx_op_pad_18 = {
    .domain = "",
    .op_type = "Pad",
    .since_version = 18,
    .min_inputs = 2,
    .max_inputs = 4,
    .min_outputs = 1,
    .max_outputs = 1,
    .value_inputs = (1u << 1) | (1u << 3),
    .prepare = pad_prepare,
    .infer = pad_infer,
    .run = pad_run,
};

const onnx_op onnx_op_pad_19 = {
    .domain = "",
    .op_type = "Pad",
    .since_version = 19,
    .min_inputs = 2,
    .max_inputs = 4,
    .min_outputs = 1,
    .max_outputs = 1,
    .value_inputs = (1u << 1) | (1u << 3),
    .prepare = pad_prepare,
    .infer = pad_infer,
    .run = pad_run,
};
