/* Conv (ai.onnx, since 1): float32 convolution over 1 to 3 spatial dimensions with groups,
 * strides, dilations, explicit pads or auto_pad, and an optional bias. Each image and group is one
 * GEMM (dnnl_sgemm) of the weights by an im2col matrix built in scratch; a 1x1 kernel with unit
 * strides and no padding multiplies the input directly. Threads take slices of the batch. */
#include <string.h>

#include "onnx/blas.h"
#include "onnx/op.h"
#include "onnx/window.h"

typedef struct conv_params {
    onnx_window w;
    int64_t group;
} conv_params;

/* Geometry of one planned Conv, padded to 3 spatial dimensions (leading ones of size 1). */
typedef struct conv_geom {
    int64_t n, c, m, group;
    onnx_window_dim d[ONNX_WINDOW_MAX_DIMS];
    int64_t in_vol, out_vol, k_vol; /* spatial volumes */
    bool direct;                    /* 1x1, unit strides, no padding: no im2col */
} conv_geom;

static ferry_status conv_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    conv_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    ferry_status st = onnx_window_parse(n, &p->w, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "group", 1, &p->group, err);
    if (st == FERRY_OK && p->group < 1)
        st = onnx_node_error(err, FERRY_INVALID_ARG, n, "group is %lld", (long long)p->group);
    return st;
}

static ferry_status conv_geometry(const onnx_op_ctx *ctx, conv_geom *g, ferry_error *err)
{
    const conv_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0], *w = ctx->inputs[1];
    int rank = x->ndim - 2;
    if (x->ndim < 3 || w->ndim != x->ndim)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "X has rank %d and W rank %d; both must be N+2 with N >= 1", x->ndim,
                               w->ndim);
    *g = (conv_geom){.n = x->shape[0], .c = x->shape[1], .m = w->shape[0], .group = p->group};
    if (g->c % g->group != 0 || w->shape[1] * g->group != g->c || g->m % g->group != 0)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "X has %lld channels and W is [%lld, %lld, ...] with group %lld",
                               (long long)g->c, (long long)g->m, (long long)w->shape[1],
                               (long long)g->group);
    onnx_window_dim dims[ONNX_WINDOW_MAX_DIMS];
    ferry_status st =
        onnx_window_plan(ctx->node, &p->w, rank, x->shape + 2, w->shape + 2, dims, err);
    if (st != FERRY_OK)
        return st;
    for (int i = 0; i < rank; i++)
        if (p->w.has_kernel && p->w.kernel[i] != w->shape[2 + i])
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "kernel_shape disagrees with the weights");
    int lead = ONNX_WINDOW_MAX_DIMS - rank;
    g->in_vol = g->out_vol = g->k_vol = 1;
    g->direct = true;
    for (int i = 0; i < ONNX_WINDOW_MAX_DIMS; i++) {
        g->d[i] = i < lead ? (onnx_window_dim){1, 1, 1, 1, 1, 0} : dims[i - lead];
        g->in_vol *= g->d[i].in;
        g->out_vol *= g->d[i].out;
        g->k_vol *= g->d[i].kernel;
        g->direct = g->direct && g->d[i].kernel == 1 && g->d[i].stride == 1 &&
                    g->d[i].pad_begin == 0 && g->d[i].out == g->d[i].in;
    }
    return FERRY_OK;
}

static ferry_status conv_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_MASK(FP32), err);
    for (size_t i = 1; st == FERRY_OK && i < 3; i++)
        st = onnx_check_same_dtype(ctx, 0, i, err);
    conv_geom g;
    if (st == FERRY_OK)
        st = conv_geometry(ctx, &g, err);
    if (st != FERRY_OK)
        return st;
    const ferry_tensor *b = onnx_in(ctx, 2);
    if (b != NULL && (b->ndim != 1 || b->shape[0] != g.m))
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "bias must be [%lld]",
                               (long long)g.m);
    int64_t shape[FERRY_MAX_DIMS] = {g.n, g.m};
    int rank = ctx->inputs[0]->ndim - 2;
    for (int i = 0; i < rank; i++)
        shape[2 + i] = g.d[ONNX_WINDOW_MAX_DIMS - rank + i].out;
    onnx_set_output(ctx, 0, FERRY_DTYPE_FP32, rank + 2, shape);
    return FERRY_OK;
}

static size_t conv_plan(const onnx_op_ctx *ctx)
{
    conv_geom g;
    if (conv_geometry(ctx, &g, NULL) != FERRY_OK || g.direct)
        return 0;
    return (size_t)(g.c / g.group * g.k_vol * g.out_vol) * sizeof(float);
}

/* Copies one kernel offset (k0, k1, k2) of one channel: a row of the im2col matrix. */
static void im2col_row(const float *x, const onnx_window_dim *d, const int64_t *k, float *row)
{
    for (int64_t o0 = 0; o0 < d[0].out; o0++) {
        int64_t i0 = o0 * d[0].stride - d[0].pad_begin + k[0] * d[0].dilation;
        for (int64_t o1 = 0; o1 < d[1].out; o1++) {
            int64_t i1 = o1 * d[1].stride - d[1].pad_begin + k[1] * d[1].dilation;
            bool inside = i0 >= 0 && i0 < d[0].in && i1 >= 0 && i1 < d[1].in;
            const float *src = x + (inside ? (i0 * d[1].in + i1) * d[2].in : 0);
            for (int64_t o2 = 0; o2 < d[2].out; o2++) {
                int64_t i2 = o2 * d[2].stride - d[2].pad_begin + k[2] * d[2].dilation;
                *row++ = inside && i2 >= 0 && i2 < d[2].in ? src[i2] : 0.0f;
            }
        }
    }
}

/* The [C/group * kernel volume, output volume] matrix of one image's group. */
static void im2col(const float *x, const conv_geom *g, float *col)
{
    const onnx_window_dim *d = g->d;
    int64_t channels = g->c / g->group;
    for (int64_t c = 0; c < channels; c++) {
        int64_t k[3];
        for (k[0] = 0; k[0] < d[0].kernel; k[0]++)
            for (k[1] = 0; k[1] < d[1].kernel; k[1]++)
                for (k[2] = 0; k[2] < d[2].kernel; k[2]++) {
                    int64_t r =
                        ((c * d[0].kernel + k[0]) * d[1].kernel + k[1]) * d[2].kernel + k[2];
                    im2col_row(x + c * g->in_vol, d, k, col + r * g->out_vol);
                }
    }
}

/* One image: per group, Y_g = W_g x cols (+ bias broadcast first). */
static ferry_status conv_image(const onnx_op_ctx *ctx, const conv_geom *g, int64_t img, float *col)
{
    const float *x = (const float *)ctx->inputs[0]->data + img * g->c * g->in_vol;
    const float *w = ctx->inputs[1]->data;
    const ferry_tensor *b = onnx_in(ctx, 2);
    float *y = (float *)ctx->outputs[0]->data + img * g->m * g->out_vol;
    int64_t cg = g->c / g->group, mg = g->m / g->group, ck = cg * g->k_vol;
    for (int64_t m = 0; b != NULL && m < g->m; m++)
        for (int64_t i = 0; i < g->out_vol; i++)
            y[m * g->out_vol + i] = ((const float *)b->data)[m];
    for (int64_t grp = 0; grp < g->group; grp++) {
        const float *cols = x + grp * cg * g->in_vol;
        if (!g->direct) {
            im2col(cols, g, col);
            cols = col;
        }
        ferry_status st =
            onnx_sgemm(false, false, mg, g->out_vol, ck, 1.0f, w + grp * mg * ck, ck, cols,
                       g->out_vol, b != NULL ? 1.0f : 0.0f, y + grp * mg * g->out_vol, g->out_vol);
        if (st != FERRY_OK)
            return st;
    }
    return FERRY_OK;
}

static ferry_status conv_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    conv_geom g;
    ferry_status st = conv_geometry(ctx, &g, err);
    if (st != FERRY_OK)
        return st;
    int64_t lo, hi;
    onnx_slice(g.n, ith, nth, &lo, &hi);
    for (int64_t img = lo; img < hi; img++)
        if (conv_image(ctx, &g, img, onnx_scratch(ctx, ith)) != FERRY_OK)
            return onnx_node_error(err, FERRY_INTERNAL, ctx->node, "dnnl_sgemm failed");
    return FERRY_OK;
}

const onnx_op onnx_op_conv_1 = {
    .domain = "",
    .op_type = "Conv",
    .since_version = 1,
    .min_inputs = 2,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = conv_prepare,
    .infer = conv_infer,
    .plan = conv_plan,
    .run = conv_run,
};
