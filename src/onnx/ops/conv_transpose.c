/* ConvTranspose (ai.onnx, since 1): float32 transposed convolution over 1 to 3 spatial dimensions
 * with groups, strides, dilations, pads, output_padding, output_shape, auto_pad and an optional
 * bias. Padding follows ONNX's reference (and the operator's text since opset 11, which only
 * reworded opset 1's): with output_shape or SAME_UPPER / SAME_LOWER, the total padding
 * stride * (in - 1) + output_padding + (kernel - 1) * dilation + 1 - out is split with the odd
 * element at the end for SAME_UPPER and at the start otherwise; a negative total (output_shape
 * past the natural size) widens the output at the end. For each image and group one dnnl_sgemm
 * makes the [M/group * kernel, input volume] column matrix W^T X in scratch, which col2im adds
 * into the output. Threads take slices of the batch. */
#include <string.h>

#include "onnx/blas.h"
#include "onnx/op.h"
#include "onnx/window.h"

typedef struct conv_transpose_params {
    onnx_window w; /* kernel_shape, strides, dilations, pads, auto_pad */
    int64_t group;
    int n_output_padding, n_output_shape;
    int64_t output_padding[ONNX_WINDOW_MAX_DIMS];
    int64_t output_shape[ONNX_WINDOW_MAX_DIMS + 2];
} conv_transpose_params;

/* Each spatial dimension (window.h's, padded to 3) reads the other way round: input position i
 * reaches outputs i * stride - pad_begin + k * dilation; pad_end is not used. */
typedef struct conv_transpose_geom {
    onnx_window_geom win; /* batch, channels, spatial dimensions and volumes */
    int64_t m, group, cg, mg;
} conv_transpose_geom;

static ferry_status read_small_ints(const onnx_node *n, const char *name, int max, int64_t *dst,
                                    int *count, ferry_error *err)
{
    const int64_t *v;
    size_t len;
    ferry_status st = onnx_attr_ints(n, name, &v, &len, err);
    if (st != FERRY_OK)
        return st;
    if (len > (size_t)max)
        return onnx_node_error(err, FERRY_UNSUPPORTED, n,
                               "'%s' has %zu values; at most %d spatial dimensions are supported",
                               name, len, ONNX_WINDOW_MAX_DIMS);
    for (size_t i = 0; i < len; i++) {
        if (v[i] < 0)
            return onnx_node_error(err, FERRY_INVALID_ARG, n, "'%s' holds %lld", name,
                                   (long long)v[i]);
        dst[i] = v[i];
    }
    *count = (int)len;
    return FERRY_OK;
}

static ferry_status conv_transpose_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    conv_transpose_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    ferry_status st = onnx_window_parse(n, &p->w, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "group", 1, &p->group, err);
    if (st == FERRY_OK)
        st = read_small_ints(n, "output_padding", ONNX_WINDOW_MAX_DIMS, p->output_padding,
                             &p->n_output_padding, err);
    if (st == FERRY_OK)
        st = read_small_ints(n, "output_shape", ONNX_WINDOW_MAX_DIMS + 2, p->output_shape,
                             &p->n_output_shape, err);
    if (st == FERRY_OK && p->group < 1)
        st = onnx_node_error(err, FERRY_INVALID_ARG, n, "group is %lld", (long long)p->group);
    return st;
}

/* Python's floor division, for splitting a negative total padding as ONNX's reference does. */
static int64_t floor_div2(int64_t v)
{
    return v >= 0 ? v / 2 : -((-v + 1) / 2);
}

static ferry_status plan_dims(const onnx_op_ctx *ctx, conv_transpose_geom *g, ferry_error *err)
{
    const conv_transpose_params *p = ctx->node->params;
    const onnx_window *w = &p->w;
    const ferry_tensor *x = ctx->inputs[0], *wt = ctx->inputs[1];
    int rank = x->ndim - 2;
    ferry_status st = onnx_window_check_rank(ctx->node, w, rank, err);
    if (st != FERRY_OK)
        return st;
    if ((p->n_output_padding && p->n_output_padding != rank) ||
        (p->n_output_shape && p->n_output_shape != rank && p->n_output_shape != rank + 2))
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "output_padding or output_shape do not match the input's %d "
                               "spatial dimensions",
                               rank);
    onnx_window_dim dims[ONNX_WINDOW_MAX_DIMS];
    for (int i = 0; i < rank; i++) {
        onnx_window_dim *o = &dims[i];
        *o = (onnx_window_dim){.in = x->shape[2 + i], .kernel = wt->shape[2 + i]};
        if (w->has_kernel && w->kernel[i] != o->kernel)
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "kernel_shape disagrees with the weights");
        o->stride = w->n_strides ? w->strides[i] : 1; /* an empty list means the default */
        o->dilation = w->n_dilations ? w->dilations[i] : 1;
        int64_t adj = p->n_output_padding ? p->output_padding[i] : 0;
        int64_t natural = o->stride * (o->in - 1) + adj + (o->kernel - 1) * o->dilation + 1;
        bool same = w->auto_pad == ONNX_PAD_SAME_UPPER || w->auto_pad == ONNX_PAD_SAME_LOWER;
        if (p->n_output_shape || same) {
            o->out = p->n_output_shape ? p->output_shape[p->n_output_shape - rank + i]
                                       : o->in * o->stride;
            int64_t total = natural - o->out;
            o->pad_begin =
                w->auto_pad == ONNX_PAD_SAME_UPPER ? floor_div2(total) : total - floor_div2(total);
        } else {
            bool explicit_pads = w->auto_pad == ONNX_PAD_NOTSET && w->has_pads;
            o->pad_begin = explicit_pads ? w->pads[i] : 0;
            o->out = natural - o->pad_begin - (explicit_pads ? w->pads[i + rank] : 0);
        }
        if (o->out < 0 || o->in < 1)
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "spatial dimension %d of size %lld gives an output of %lld", i,
                                   (long long)o->in, (long long)o->out);
    }
    g->win.n = x->shape[0];
    g->win.c = x->shape[1];
    onnx_window_geom_set(&g->win, rank, dims);
    return FERRY_OK;
}

static ferry_status conv_transpose_geometry(const onnx_op_ctx *ctx, conv_transpose_geom *g,
                                            ferry_error *err)
{
    const conv_transpose_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0], *w = ctx->inputs[1];
    if (x->ndim < 3 || x->ndim > 2 + ONNX_WINDOW_MAX_DIMS || w->ndim != x->ndim)
        return onnx_node_error(
            err, x->ndim > 2 + ONNX_WINDOW_MAX_DIMS ? FERRY_UNSUPPORTED : FERRY_INVALID_ARG,
            ctx->node, "X has rank %d and W rank %d; both must be N+2 with 1 <= N <= 3", x->ndim,
            w->ndim);
    *g = (conv_transpose_geom){.group = p->group};
    int64_t c = x->shape[1];
    g->m = w->shape[1] * g->group;
    if (c % g->group != 0 || w->shape[0] != c)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "X has %lld channels and W is [%lld, %lld, ...] with group %lld",
                               (long long)c, (long long)w->shape[0], (long long)w->shape[1],
                               (long long)g->group);
    g->cg = c / g->group;
    g->mg = g->m / g->group;
    return plan_dims(ctx, g, err);
}

static ferry_status conv_transpose_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_MASK(FP32), err);
    for (size_t i = 1; st == FERRY_OK && i < 3; i++)
        if (onnx_in(ctx, i) != NULL)
            st = onnx_check_same_dtype(ctx, 0, i, err);
    conv_transpose_geom g;
    if (st == FERRY_OK)
        st = conv_transpose_geometry(ctx, &g, err);
    if (st != FERRY_OK)
        return st;
    const ferry_tensor *b = onnx_in(ctx, 2);
    if (b != NULL && (b->ndim != 1 || b->shape[0] != g.m))
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "bias must be [%lld]",
                               (long long)g.m);
    int64_t shape[FERRY_MAX_DIMS];
    onnx_window_out_shape(&g.win, g.win.n, g.m, shape);
    onnx_set_output(ctx, 0, FERRY_DTYPE_FP32, g.win.rank + 2, shape);
    return FERRY_OK;
}

/* The column matrix of one image's group. */
static size_t conv_transpose_plan(const onnx_op_ctx *ctx)
{
    conv_transpose_geom g;
    if (conv_transpose_geometry(ctx, &g, NULL) != FERRY_OK)
        return 0;
    return (size_t)(g.mg * g.win.k_vol * g.win.in_vol) * sizeof(float);
}

/* The inputs [*lo, *hi) of one dimension whose output i * stride - pad + k * dilation lies
 * inside. */
static void input_range(const onnx_window_dim *d, int64_t k, int64_t *lo, int64_t *hi)
{
    int64_t off = k * d->dilation - d->pad_begin; /* output index of input 0 */
    *lo = off >= 0 ? 0 : (-off + d->stride - 1) / d->stride;
    *hi = d->out - off <= 0 ? 0 : (d->out - off + d->stride - 1) / d->stride;
    *hi = *hi < d->in ? *hi : d->in;
    *lo = *lo < *hi ? *lo : *hi;
}

/* Adds one row of the column matrix (kernel offset k, over all inputs) into output plane y. */
static void col2im_row(const float *row, const onnx_window_dim *d, const int64_t *k, float *y)
{
    int64_t lo[3], hi[3];
    for (int i = 0; i < 3; i++)
        input_range(&d[i], k[i], &lo[i], &hi[i]);
    int64_t s2 = d[2].stride, off2 = k[2] * d[2].dilation - d[2].pad_begin;
    for (int64_t i0 = lo[0]; i0 < hi[0]; i0++) {
        int64_t o0 = i0 * d[0].stride - d[0].pad_begin + k[0] * d[0].dilation;
        for (int64_t i1 = lo[1]; i1 < hi[1]; i1++) {
            int64_t o1 = i1 * d[1].stride - d[1].pad_begin + k[1] * d[1].dilation;
            const float *src = row + (i0 * d[1].in + i1) * d[2].in;
            float *dst = y + (o0 * d[1].out + o1) * d[2].out;
            for (int64_t i2 = lo[2]; i2 < hi[2]; i2++)
                dst[i2 * s2 + off2] += src[i2];
        }
    }
}

static ferry_status conv_transpose_image(const onnx_op_ctx *ctx, const conv_transpose_geom *g,
                                         int64_t img, float *col)
{
    const float *x = (const float *)ctx->inputs[0]->data + img * g->win.c * g->win.in_vol;
    const float *w = ctx->inputs[1]->data;
    const ferry_tensor *b = onnx_in(ctx, 2);
    float *y = (float *)ctx->outputs[0]->data + img * g->m * g->win.out_vol;
    for (int64_t m = 0; m < g->m; m++) {
        float init = b != NULL ? ((const float *)b->data)[m] : 0.0f;
        for (int64_t i = 0; i < g->win.out_vol; i++)
            y[m * g->win.out_vol + i] = init;
    }
    int64_t rows = g->mg * g->win.k_vol;
    for (int64_t grp = 0; grp < g->group; grp++) {
        ferry_status st =
            onnx_sgemm(true, false, rows, g->win.in_vol, g->cg, 1.0f, w + grp * g->cg * rows, rows,
                       x + grp * g->cg * g->win.in_vol, g->win.in_vol, 0.0f, col, g->win.in_vol);
        if (st != FERRY_OK)
            return st;
        const onnx_window_dim *d = g->win.d;
        int64_t r = 0, k[3];
        for (int64_t m = 0; m < g->mg; m++)
            for (k[0] = 0; k[0] < d[0].kernel; k[0]++)
                for (k[1] = 0; k[1] < d[1].kernel; k[1]++)
                    for (k[2] = 0; k[2] < d[2].kernel; k[2]++, r++)
                        col2im_row(col + r * g->win.in_vol, d, k,
                                   y + (grp * g->mg + m) * g->win.out_vol);
    }
    return FERRY_OK;
}

static ferry_status conv_transpose_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    conv_transpose_geom g;
    ferry_status st = conv_transpose_geometry(ctx, &g, err);
    if (st != FERRY_OK)
        return st;
    int64_t lo, hi;
    onnx_slice(g.win.n, ith, nth, &lo, &hi);
    for (int64_t img = lo; img < hi; img++)
        if (conv_transpose_image(ctx, &g, img, onnx_scratch(ctx, ith)) != FERRY_OK)
            return onnx_node_error(err, FERRY_INTERNAL, ctx->node, "dnnl_sgemm failed");
    return FERRY_OK;
}

const onnx_op onnx_op_conv_transpose_1 = {
    .domain = "",
    .op_type = "ConvTranspose",
    .since_version = 1,
    .min_inputs = 2,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = conv_transpose_prepare,
    .infer = conv_transpose_infer,
    .plan = conv_transpose_plan,
    .run = conv_transpose_run,
};
