/* Conv (ai.onnx, since 1; opset 11 only made kernel_shape optional, which this reads from the
 * weights either way): float32 convolution over 1 to 3 spatial dimensions with groups, strides,
 * dilations, explicit pads or auto_pad, and an optional bias. Four paths, chosen per plan:
 *   - im2col: a chunk of the batch is gathered into one [C/group * kernel, images * outputs]
 *     matrix per group (each channel first copied into a zero-bordered plane, so that every
 *     window is a plain copy), one dnnl_sgemm per chunk, then a pass adds the bias and lays the
 *     product out as NCHW. Small images thus make one large GEMM instead of one tiny GEMM each.
 *   - im2row: channels-last, for groups of many channels, so that what is gathered are runs of
 *     channels (kernel width times channels) rather than a few pixels of a small image. The
 *     outputs fall into border classes, boxes whose windows reach the same kernel offsets inside
 *     the input; each class makes one GEMM of its rows by its weights [offsets * C/group,
 *     M/group] (dnnl_sgemm's fastest orientation here), so windows at the border skip the
 *     products with padding, and a scatter lays the products out as NCHW (transpose4.h).
 *   - 1x1 with unit strides and no padding: the input already is the im2col matrix, one GEMM per
 *     image and group straight into the output.
 *   - depthwise (one input and one output channel per group): a direct loop over kernel
 *     offsets, no GEMM.
 * Every path finishes each image's block of outputs in conv_store_block, which adds the bias and
 * then applies the activation the optimizer fused into the node (activation.h) while the block
 * is in cache. oneDNN's convolution primitive measured slower on these sizes (docs/onnx.md).
 * Threads take slices of the batch; the matrices, the bordered plane and the channels-last image
 * are planned scratch. */
#include <string.h>

#include "onnx/blas.h"
#include "onnx/op.h"
#include "onnx/transpose4.h"
#include "onnx/vector_clones.h"
#include "onnx/window.h"

/* Bytes of scratch the im2col path aims at: large enough that a chunk makes one GEMM worth its
 * call, small enough that the chunk stays in the L2 cache while the GEMM reads it. */
#define CONV_CHUNK_BYTES ((size_t)512 << 10)

/* The im2row path (channels-last) pays when a group has this many channels, so that what it
 * gathers are runs of channels rather than a few pixels of a small image, and the batch has this
 * many images, which amortize re-laying out the weights on each run. */
#define CONV_ROW_CHANNELS 8
#define CONV_ROW_IMAGES   4

typedef struct conv_params {
    onnx_window w;
    int64_t group;
} conv_params;

typedef enum conv_path {
    CONV_IM2COL,
    CONV_IM2ROW,    /* many channels per group: gather channels-last, contiguous runs of them */
    CONV_POINTWISE, /* 1x1, unit strides, no padding */
    CONV_DEPTHWISE, /* one input and one output channel per group */
} conv_path;

/* Up to 3 segments per spatial dimension (the outputs whose windows start in the leading padding,
 * those inside, those that end in the trailing padding), so at most 27 classes. */
#define CONV_MAX_SEGMENTS 3
#define CONV_MAX_CLASSES  27

/* A box of outputs [o_lo, o_hi) and the box of kernel offsets [k_lo, k_hi) their windows reach
 * inside the input (some outputs of a merged border segment may reach a little padding). */
typedef struct conv_class {
    int64_t o_lo[ONNX_WINDOW_MAX_DIMS], o_hi[ONNX_WINDOW_MAX_DIMS];
    int64_t k_lo[ONNX_WINDOW_MAX_DIMS], k_hi[ONNX_WINDOW_MAX_DIMS];
    int64_t outputs; /* outputs in the box */
    int64_t k;       /* kernel offsets in the box times channels per group: the GEMM's depth */
} conv_class;

/* Geometry of one planned Conv, padded to 3 spatial dimensions (leading ones of size 1). */
typedef struct conv_geom {
    onnx_window_geom win; /* batch, channels, spatial dimensions and volumes */
    int64_t m, group;
    int64_t cg, mg, ck; /* channels and output channels per group; cg * kernel volume */
    int64_t padded[ONNX_WINDOW_MAX_DIMS]; /* a channel with the padding every window reaches */
    int64_t padded_vol;                   /* 0: no padding reached, im2col reads X itself */
    conv_path path;
    int64_t chunk; /* images per GEMM */
    /* im2row: the outputs in boxes whose windows reach the same kernel offsets */
    int n_classes;
    conv_class cls[CONV_MAX_CLASSES];
    int64_t class_rows;    /* sum of outputs * k over the classes: one image's im2row matrix */
    int64_t class_weights; /* sum of k over the classes: rows of their weights */
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

/* Images per im2col chunk: as many as fit CONV_CHUNK_BYTES, at least one. */
static int64_t conv_chunk(const conv_geom *g)
{
    int64_t matrix = g->path == CONV_IM2ROW ? g->class_rows : g->ck * g->win.out_vol;
    size_t per_image = (size_t)(matrix + g->mg * g->win.out_vol) * sizeof(float);
    int64_t chunk = per_image > 0 ? (int64_t)(CONV_CHUNK_BYTES / per_image) : g->win.n;
    chunk = chunk < 1 ? 1 : chunk;
    return chunk < g->win.n ? chunk : (g->win.n > 0 ? g->win.n : 1);
}

/* Splits dimension d's outputs into segments: the outputs before the first whose window lies
 * wholly inside, those from it to the last such, and those after; each with the union of the
 * kernel offsets its outputs reach inside. Without a window wholly inside, one segment. */
static int conv_segments(const onnx_window_dim *d, int64_t seg[CONV_MAX_SEGMENTS][4])
{
    int64_t first = -1, last = -1, lo, hi;
    for (int64_t o = 0; o < d->out; o++) {
        onnx_window_taps(d, o, 0, d->in, &lo, &hi);
        if (lo == 0 && hi == d->kernel) {
            first = first < 0 ? o : first;
            last = o;
        }
    }
    int64_t bounds[4] = {0, first, last + 1, d->out};
    if (first < 0) {
        bounds[1] = bounds[2] = d->out;
    }
    int n = 0;
    for (int s = 0; s < 3; s++) {
        if (bounds[s] >= bounds[s + 1])
            continue;
        int64_t klo = d->kernel, khi = 0;
        for (int64_t o = bounds[s]; o < bounds[s + 1]; o++) {
            onnx_window_taps(d, o, 0, d->in, &lo, &hi);
            if (lo < hi) {
                klo = lo < klo ? lo : klo;
                khi = hi > khi ? hi : khi;
            }
        }
        seg[n][0] = bounds[s];
        seg[n][1] = bounds[s + 1];
        seg[n][2] = klo < khi ? klo : 0;
        seg[n][3] = klo < khi ? khi : 1; /* a window reaching only padding reads one zero */
        n++;
    }
    return n;
}

/* The classes of the im2row path: every combination of the dimensions' segments. */
static void conv_classes(conv_geom *g)
{
    int64_t seg[ONNX_WINDOW_MAX_DIMS][CONV_MAX_SEGMENTS][4];
    int ns[ONNX_WINDOW_MAX_DIMS];
    for (int i = 0; i < ONNX_WINDOW_MAX_DIMS; i++)
        ns[i] = conv_segments(&g->win.d[i], seg[i]);
    g->n_classes = 0;
    g->class_rows = g->class_weights = 0;
    for (int a = 0; a < ns[0]; a++)
        for (int b = 0; b < ns[1]; b++)
            for (int c = 0; c < ns[2]; c++) {
                conv_class *q = &g->cls[g->n_classes++];
                const int64_t *s3[3] = {seg[0][a], seg[1][b], seg[2][c]};
                q->outputs = 1;
                q->k = g->cg;
                for (int i = 0; i < ONNX_WINDOW_MAX_DIMS; i++) {
                    q->o_lo[i] = s3[i][0];
                    q->o_hi[i] = s3[i][1];
                    q->k_lo[i] = s3[i][2];
                    q->k_hi[i] = s3[i][3];
                    q->outputs *= q->o_hi[i] - q->o_lo[i];
                    q->k *= q->k_hi[i] - q->k_lo[i];
                }
                g->class_rows += q->outputs * q->k;
                g->class_weights += q->k;
            }
}

static ferry_status conv_geometry(const onnx_op_ctx *ctx, conv_geom *g, ferry_error *err)
{
    const conv_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0], *w = ctx->inputs[1];
    if (x->ndim < 3 || w->ndim != x->ndim)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "X has rank %d and W rank %d; both must be N+2 with N >= 1", x->ndim,
                               w->ndim);
    *g = (conv_geom){.m = w->shape[0], .group = p->group};
    if (x->shape[1] % g->group != 0 || w->shape[1] * g->group != x->shape[1] ||
        g->m % g->group != 0)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "X has %lld channels and W is [%lld, %lld, ...] with group %lld",
                               (long long)x->shape[1], (long long)g->m, (long long)w->shape[1],
                               (long long)g->group);
    ferry_status st = onnx_window_geometry(ctx->node, &p->w, x, w->shape + 2, &g->win, err);
    if (st != FERRY_OK)
        return st;
    for (int i = 0; i < x->ndim - 2; i++)
        if (p->w.has_kernel && p->w.kernel[i] != w->shape[2 + i])
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "kernel_shape disagrees with the weights");
    bool pointwise = true;
    for (int i = 0; i < ONNX_WINDOW_MAX_DIMS; i++)
        pointwise = pointwise && g->win.d[i].kernel == 1 && g->win.d[i].stride == 1 &&
                    g->win.d[i].pad_begin == 0 && g->win.d[i].out == g->win.d[i].in;
    g->padded_vol = 1;
    bool padding = false;
    for (int i = 0; i < ONNX_WINDOW_MAX_DIMS; i++) {
        const onnx_window_dim *o = &g->win.d[i];
        int64_t end = (o->out - 1) * o->stride + (o->kernel - 1) * o->dilation + 1 - o->pad_begin;
        g->padded[i] = o->pad_begin + (end > o->in ? end : o->in);
        g->padded_vol *= g->padded[i];
        padding = padding || g->padded[i] != o->in;
    }
    g->padded_vol = padding ? g->padded_vol : 0;
    g->cg = g->win.c / g->group;
    g->mg = g->m / g->group;
    g->ck = g->cg * g->win.k_vol;
    /* With several outputs per input channel, im2col + GEMM reuses each gathered row mg times. */
    g->path = pointwise                                                   ? CONV_POINTWISE
              : g->cg == 1 && g->mg == 1                                  ? CONV_DEPTHWISE
              : g->cg >= CONV_ROW_CHANNELS && g->win.n >= CONV_ROW_IMAGES ? CONV_IM2ROW
                                                                          : CONV_IM2COL;
    if (g->path == CONV_IM2ROW)
        conv_classes(g);
    g->chunk = conv_chunk(g);
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
    int64_t shape[FERRY_MAX_DIMS];
    onnx_window_out_shape(&g.win, g.win.n, g.m, shape);
    onnx_set_output(ctx, 0, FERRY_DTYPE_FP32, g.win.rank + 2, shape);
    return FERRY_OK;
}

/* The im2col path keeps one chunk's matrix, past one image the chunk's GEMM product, and a
 * zero-bordered channel when windows reach into padding; im2row the same, with a whole image
 * channels-last and the weights re-laid in its order. */
static size_t conv_plan(const onnx_op_ctx *ctx)
{
    conv_geom g;
    if (conv_geometry(ctx, &g, NULL) != FERRY_OK)
        return 0;
    int64_t product = g.chunk > 1 ? g.mg * g.chunk * g.win.out_vol : 0;
    if (g.path == CONV_IM2ROW) /* and the channels-last image, and the re-laid weights */
        return (size_t)((g.class_rows + g.mg * g.win.out_vol) * g.chunk + g.mg * g.win.out_vol +
                        g.cg * (g.padded_vol > 0 ? g.padded_vol : g.win.in_vol) +
                        (g.ck + g.class_weights) * g.mg) *
               sizeof(float);
    if (g.path != CONV_IM2COL)
        return 0;
    return (size_t)(g.ck * g.chunk * g.win.out_vol + product + g.padded_vol) * sizeof(float);
}

/* ------------------------------------------------------------------------------------------ */
/* im2col                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* onnx_window_outputs of every kernel offset, worked out once per run (the divisions would
 * otherwise cost more than copying a small image's row); offsets past CONV_RANGES are worked out as
 * met. */
#define CONV_RANGES 16
typedef struct conv_ranges {
    const onnx_window_dim *d;
    int64_t lo[ONNX_WINDOW_MAX_DIMS][CONV_RANGES], hi[ONNX_WINDOW_MAX_DIMS][CONV_RANGES];
} conv_ranges;

static void ranges_init(conv_ranges *r, const onnx_window_dim *d)
{
    r->d = d;
    for (int i = 0; i < ONNX_WINDOW_MAX_DIMS; i++)
        for (int64_t k = 0; k < d[i].kernel && k < CONV_RANGES; k++)
            onnx_window_outputs(&d[i], k, &r->lo[i][k], &r->hi[i][k]);
}

static void ranges_get(const conv_ranges *r, const int64_t *k, int64_t *lo, int64_t *hi)
{
    for (int i = 0; i < ONNX_WINDOW_MAX_DIMS; i++) {
        if (k[i] < CONV_RANGES) {
            lo[i] = r->lo[i][k[i]];
            hi[i] = r->hi[i][k[i]];
        } else {
            onnx_window_outputs(&r->d[i], k[i], &lo[i], &hi[i]);
        }
    }
}

/* dst[0..n) = src[0..n): the row lengths of small images as a few vector moves, since a call to
 * memcpy per row of 8 floats costs more than the copy. */
static inline __attribute__((always_inline)) void copy_run(float *dst, const float *src, int64_t n)
{
    switch (n) {
    case 4:
        memcpy(dst, src, 4 * sizeof *dst);
        break;
    case 8:
        memcpy(dst, src, 8 * sizeof *dst);
        break;
    case 16:
        memcpy(dst, src, 16 * sizeof *dst);
        break;
    default:
        memcpy(dst, src, (size_t)n * sizeof *dst);
        break;
    }
}

/* Columns [0, out_vol) of the [cg * k_vol, ld] matrix `col` from one image's group `x`. Each
 * channel is first copied into the middle of `plane`, whose border of padding stays zero, so
 * that every window reads inside it and a row of outputs is a plain (strided) copy. */
ONNX_VECTOR_CLONES
static void im2col(const float *x, const conv_geom *g, float *plane, float *col, int64_t ld)
{
    const onnx_window_dim *d = g->win.d;
    const int64_t *pd = g->padded;
    int64_t r = 0, k[3];
    for (int64_t c = 0; c < g->cg; c++) {
        const float *src = x + c * g->win.in_vol;
        if (g->padded_vol > 0) {
            for (int64_t i0 = 0; i0 < d[0].in; i0++)
                for (int64_t i1 = 0; i1 < d[1].in; i1++)
                    copy_run(plane + ((i0 + d[0].pad_begin) * pd[1] + i1 + d[1].pad_begin) * pd[2] +
                                 d[2].pad_begin,
                             src + (i0 * d[1].in + i1) * d[2].in, d[2].in);
            src = plane;
        }
        for (k[0] = 0; k[0] < d[0].kernel; k[0]++)
            for (k[1] = 0; k[1] < d[1].kernel; k[1]++)
                for (k[2] = 0; k[2] < d[2].kernel; k[2]++, r++) {
                    float *dst = col + r * ld;
                    for (int64_t o0 = 0; o0 < d[0].out; o0++)
                        for (int64_t o1 = 0; o1 < d[1].out; o1++) {
                            const float *in = src +
                                              ((o0 * d[0].stride + k[0] * d[0].dilation) * pd[1] +
                                               o1 * d[1].stride + k[1] * d[1].dilation) *
                                                  pd[2] +
                                              k[2] * d[2].dilation;
                            if (d[2].stride == 1)
                                copy_run(dst, in, d[2].out);
                            else
                                for (int64_t o2 = 0; o2 < d[2].out; o2++)
                                    dst[o2] = in[o2 * d[2].stride];
                            dst += d[2].out;
                        }
                }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Paths                                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* The one place where a block of outputs is finished, on every path: dst[m][j] = src[m * ld + j]
 * + bias[m] for the mg output channels of one image and group (bias NULL: none), then the fused
 * activation over the block while it is in cache. src may be dst itself (ld = vol) when the
 * product was laid out in place (one image, 1x1, depthwise, im2row). */
static void conv_store_block(const float *src, int64_t ld, const float *bias,
                             const onnx_activation *act, int64_t mg, int64_t vol, float *dst)
{
    onnx_activation_bias_rows(act, src, ld, bias, mg, vol, dst);
}

/* Stores a chunk's product [mg, count * vol] as images first .. first+count-1 of group grp. */
static void conv_store_chunk(const onnx_op_ctx *ctx, const conv_geom *g, const float *prod,
                             int64_t first, int64_t count, int64_t grp)
{
    const ferry_tensor *b = onnx_in(ctx, 2);
    const float *bg = b != NULL ? (const float *)b->data + grp * g->mg : NULL;
    float *y = ctx->outputs[0]->data;
    int64_t vol = g->win.out_vol;
    for (int64_t i = 0; i < count; i++)
        conv_store_block(prod + i * vol, count * vol, bg, &ctx->node->fused, g->mg, vol,
                         y + ((first + i) * g->m + grp * g->mg) * vol);
}

/* Group grp of images first .. first+count-1 written channels-last: the transposed product of
 * the chunk's im2col matrix `col` by the weights lands in the output's rows (one per pixel, m
 * apart) as they are, then the bias and activation per column. */
static ferry_status im2col_channels_last(const onnx_op_ctx *ctx, const conv_geom *g,
                                         const float *col, int64_t first, int64_t count,
                                         int64_t grp)
{
    const float *w = ctx->inputs[1]->data;
    const ferry_tensor *b = onnx_in(ctx, 2);
    int64_t ld = count * g->win.out_vol;
    float *y = (float *)ctx->outputs[0]->data + first * g->win.out_vol * g->m + grp * g->mg;
    ferry_status st = onnx_sgemm(true, true, ld, g->mg, g->ck, 1.0f, col, ld,
                                 w + grp * g->mg * g->ck, g->ck, 0.0f, y, g->m);
    if (st != FERRY_OK)
        return st;
    onnx_activation_bias_cols(&ctx->node->fused, y, g->m,
                              b != NULL ? (const float *)b->data + grp * g->mg : NULL, ld, g->mg);
    return st;
}

/* Images [lo, hi) in chunks: per group, one GEMM of the weights by the chunk's im2col matrix. */
static ferry_status conv_im2col(const onnx_op_ctx *ctx, const conv_geom *g, int64_t lo, int64_t hi,
                                float *scratch)
{
    const float *x = ctx->inputs[0]->data, *w = ctx->inputs[1]->data;
    float *y = ctx->outputs[0]->data;
    int64_t vol = g->win.out_vol;
    /* The plane's border is zeroed once: each channel overwrites only its middle. */
    float *plane = scratch, *col = scratch + g->padded_vol;
    memset(plane, 0, (size_t)g->padded_vol * sizeof *plane);
    for (int64_t first = lo; first < hi; first += g->chunk) {
        int64_t count = hi - first < g->chunk ? hi - first : g->chunk;
        int64_t ld = count * vol;
        /* one image: the product goes straight into the output */
        float *prod = count == 1 ? y + first * g->m * vol : col + g->ck * ld;
        for (int64_t grp = 0; grp < g->group; grp++) {
            for (int64_t i = 0; i < count; i++)
                im2col(x + ((first + i) * g->win.c + grp * g->cg) * g->win.in_vol, g, plane,
                       col + i * vol, ld);
            ferry_status st;
            if (ctx->layout & ONNX_LAYOUT_OUT) {
                st = im2col_channels_last(ctx, g, col, first, count, grp);
                if (st != FERRY_OK)
                    return st;
                continue;
            }
            float *pg = count == 1 ? prod + grp * g->mg * vol : prod;
            st = onnx_sgemm(false, false, g->mg, ld, g->ck, 1.0f, w + grp * g->mg * g->ck, g->ck,
                            col, ld, 0.0f, pg, ld);
            if (st != FERRY_OK)
                return st;
            conv_store_chunk(ctx, g, pg, first, count, grp);
        }
    }
    return FERRY_OK;
}

/* One image's group `x` laid channels-last into `img` ([padded volume, cg]); the zero border,
 * written once per run, is left alone. */
ONNX_VECTOR_CLONES
static void to_channels_last(const float *x, const conv_geom *g, float *img)
{
    const onnx_window_dim *d = g->win.d;
    const int64_t *pd = g->padded;
    int64_t cg = g->cg;
    for (int64_t i0 = 0; i0 < d[0].in; i0++)
        for (int64_t i1 = 0; i1 < d[1].in; i1++) {
            const float *src = x + (i0 * d[1].in + i1) * d[2].in;
            float *dst = img + (((i0 + d[0].pad_begin) * pd[1] + i1 + d[1].pad_begin) * pd[2] +
                                d[2].pad_begin) *
                                   cg;
            onnx_transpose(src, g->win.in_vol, dst, cg, cg, d[2].in);
        }
}

/* A run of floats; restrict lets the compiler copy without checking for overlap. */
static void copy_floats(float *restrict dst, const float *restrict src, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = src[i];
}

/* The same from a channels-last input `x` (the image's group: its first pixel's first channel of
 * the group, pixels c apart): each pixel's cg channels, whole rows of pixels when the group is
 * all the channels. */
static void copy_channels_last(const float *x, const conv_geom *g, float *img)
{
    const onnx_window_dim *d = g->win.d;
    const int64_t *pd = g->padded;
    int64_t cg = g->cg, c = g->win.c;
    for (int64_t i0 = 0; i0 < d[0].in; i0++)
        for (int64_t i1 = 0; i1 < d[1].in; i1++) {
            const float *src = x + (i0 * d[1].in + i1) * d[2].in * c;
            float *dst = img + (((i0 + d[0].pad_begin) * pd[1] + i1 + d[1].pad_begin) * pd[2] +
                                d[2].pad_begin) *
                                   cg;
            if (cg == c)
                memcpy(dst, src, (size_t)(d[2].in * c) * sizeof *dst);
            else
                for (int64_t i2 = 0; i2 < d[2].in; i2++)
                    memcpy(dst + i2 * cg, src + i2 * c, (size_t)cg * sizeof *dst);
        }
}

/* Image `img`'s group `grp` channels-last as im2row reads it: the input itself when it is
 * channels-last, holds only this group and no window reaches padding; else laid into `buf`. */
static const float *conv_image(const onnx_op_ctx *ctx, const conv_geom *g, int64_t img, int64_t grp,
                               float *buf)
{
    const float *x = ctx->inputs[0]->data;
    if (!(ctx->layout & ONNX_LAYOUT_IN)) {
        to_channels_last(x + (img * g->win.c + grp * g->cg) * g->win.in_vol, g, buf);
        return buf;
    }
    const float *src = x + img * g->win.in_vol * g->win.c + grp * g->cg;
    if (g->padded_vol == 0 && g->group == 1)
        return src;
    copy_channels_last(src, g, buf);
    return buf;
}

/* The im2row matrix of class q from a channels-last image: a row per output of the box (row
 * major), holding the box's kernel offsets (row major) each with its cg channels. Each kernel
 * offset is one copy of cg values; cg is a constant where im2row expands it, so that the copies
 * are a few vector moves rather than calls to memcpy. */
static inline __attribute__((always_inline)) void im2row_body(const float *img, const conv_geom *g,
                                                              const conv_class *q,
                                                              float *restrict rows, int64_t cg)
{
    const onnx_window_dim *d = g->win.d;
    const int64_t *pd = g->padded;
    int64_t w2 = q->k_hi[2] - q->k_lo[2], step = d[2].dilation * cg;
    for (int64_t o0 = q->o_lo[0]; o0 < q->o_hi[0]; o0++)
        for (int64_t o1 = q->o_lo[1]; o1 < q->o_hi[1]; o1++)
            for (int64_t o2 = q->o_lo[2]; o2 < q->o_hi[2]; o2++)
                for (int64_t k0 = q->k_lo[0]; k0 < q->k_hi[0]; k0++)
                    for (int64_t k1 = q->k_lo[1]; k1 < q->k_hi[1]; k1++) {
                        const float *src = img + (((o0 * d[0].stride + k0 * d[0].dilation) * pd[1] +
                                                   o1 * d[1].stride + k1 * d[1].dilation) *
                                                      pd[2] +
                                                  o2 * d[2].stride + q->k_lo[2] * d[2].dilation) *
                                                     cg;
                        for (int64_t k2 = 0; k2 < w2; k2++, rows += cg, src += step)
                            memcpy(rows, src, (size_t)cg * sizeof *rows);
                    }
}

ONNX_VECTOR_CLONES
static void im2row(const float *img, const conv_geom *g, const conv_class *q, float *rows)
{
    if (g->cg == 16)
        im2row_body(img, g, q, rows, 16);
    else if (g->cg == 32)
        im2row_body(img, g, q, rows, 32);
    else if (g->cg == 64)
        im2row_body(img, g, q, rows, 64);
    else
        im2row_body(img, g, q, rows, g->cg);
}

/* The weights of one group re-laid for the classes: wt[t * cg + c][m] = W[m][c][t] for every
 * kernel offset t, then each class's [k, mg] block of the offsets in its box, one after another
 * in `wq`. */
static void class_weights(const conv_geom *g, const float *wg, float *wt, float *wq)
{
    int64_t mg = g->mg, cg = g->cg, ck = g->ck;
    for (int64_t m = 0; m < mg; m++)
        for (int64_t c = 0; c < cg; c++)
            for (int64_t t = 0; t < g->win.k_vol; t++)
                wt[(t * cg + c) * mg + m] = wg[m * ck + c * g->win.k_vol + t];
    const onnx_window_dim *d = g->win.d;
    for (int i = 0; i < g->n_classes; i++) {
        const conv_class *q = &g->cls[i];
        for (int64_t k0 = q->k_lo[0]; k0 < q->k_hi[0]; k0++)
            for (int64_t k1 = q->k_lo[1]; k1 < q->k_hi[1]; k1++) {
                int64_t t = (k0 * d[1].kernel + k1) * d[2].kernel + q->k_lo[2];
                int64_t len = (q->k_hi[2] - q->k_lo[2]) * cg * mg;
                memcpy(wq, wt + t * cg * mg, (size_t)len * sizeof *wq);
                wq += len;
            }
    }
}

/* Lays image i's rows of the classes' products ([count * outputs, mg] each, one after another
 * from `prod`) out as the image's NCHW block `dst` [mg, out_vol]: first in output order in
 * `order` [out_vol, mg], whole rows at a time, then transposed in 4x4 blocks. */
ONNX_VECTOR_CLONES
static void class_scatter(const conv_geom *g, const float *prod, int64_t count, int64_t i,
                          float *order, float *dst)
{
    const onnx_window_dim *d = g->win.d;
    int64_t mg = g->mg, vol = g->win.out_vol;
    for (int c = 0; c < g->n_classes; c++) {
        const conv_class *q = &g->cls[c];
        const float *src = prod + i * q->outputs * mg;
        for (int64_t o0 = q->o_lo[0]; o0 < q->o_hi[0]; o0++)
            for (int64_t o1 = q->o_lo[1]; o1 < q->o_hi[1]; o1++) {
                int64_t first = (o0 * d[1].out + o1) * d[2].out + q->o_lo[2];
                int64_t run = (q->o_hi[2] - q->o_lo[2]) * mg;
                copy_floats(order + first * mg, src, run);
                src += run;
            }
        prod += count * q->outputs * mg;
    }
    onnx_transpose(order, mg, dst, vol, vol, mg);
}

/* dst[j] = src[j] + bias[j] (bias NULL: none), with Relu's expression when `relu`, j < n. */
static inline __attribute__((always_inline)) void add_bias_run(float *restrict dst,
                                                               const float *restrict src,
                                                               const float *bias, bool relu,
                                                               int64_t n)
{
    for (int64_t j = 0; j < n; j++) {
        float v = src[j] + (bias != NULL ? bias[j] : 0.0f);
        dst[j] = relu && !(v > 0) ? 0.0f : v;
    }
}

/* The rows of class q's product for `count` images (`prod`, [count * outputs, mg]) into their
 * pixels of the channels-last output `y` (the first image's first pixel, rows m apart), with the
 * bias and, when `relu`, Relu on the way; mg expanded for common sizes. */
ONNX_VECTOR_CLONES
static void class_rows(const conv_geom *g, const conv_class *q, const float *prod, int64_t count,
                       const float *bias, bool relu, float *y)
{
    const onnx_window_dim *d = g->win.d;
    int64_t mg = g->mg, m = g->m, vol = g->win.out_vol;
    for (int64_t i = 0; i < count; i++)
        for (int64_t o0 = q->o_lo[0]; o0 < q->o_hi[0]; o0++)
            for (int64_t o1 = q->o_lo[1]; o1 < q->o_hi[1]; o1++) {
                float *dst = y + (i * vol + (o0 * d[1].out + o1) * d[2].out) * m;
                for (int64_t o2 = q->o_lo[2]; o2 < q->o_hi[2]; o2++, prod += mg) {
                    if (mg == 32)
                        add_bias_run(dst + o2 * m, prod, bias, relu, 32);
                    else if (mg == 16)
                        add_bias_run(dst + o2 * m, prod, bias, relu, 16);
                    else
                        add_bias_run(dst + o2 * m, prod, bias, relu, mg);
                }
            }
}

/* The classes' products of images first .. first+count-1, group grp, into the channels-last
 * output as they are (a row of mg per output pixel), with the bias and the activation. */
static void class_rows_out(const onnx_op_ctx *ctx, const conv_geom *g, const float *prod,
                           int64_t first, int64_t count, int64_t grp)
{
    const ferry_tensor *b = onnx_in(ctx, 2);
    const float *bias = b != NULL ? (const float *)b->data + grp * g->mg : NULL;
    const onnx_activation *act = &ctx->node->fused;
    bool relu = act->kind == ONNX_ACTIVATION_RELU;
    int64_t vol = g->win.out_vol;
    float *y = (float *)ctx->outputs[0]->data + first * vol * g->m + grp * g->mg;
    for (int c = 0; c < g->n_classes; c++) {
        const conv_class *q = &g->cls[c];
        class_rows(g, q, prod, count, bias, relu, y);
        prod += count * q->outputs * g->mg;
    }
    if (!relu && act->kind != ONNX_ACTIVATION_NONE)
        onnx_activation_bias_cols(act, y, g->m, NULL, count * vol, g->mg);
}

/* Images [lo, hi) in chunks, channels-last, class by class: one GEMM per class of its im2row
 * matrix by its weights, so that windows at the border skip the kernel offsets that reach only
 * padding (a 3x3 window with padding 1 on a 4x4 image: 30% of the products). */
static ferry_status conv_im2row(const onnx_op_ctx *ctx, const conv_geom *g, int64_t lo, int64_t hi,
                                float *scratch)
{
    const float *w = ctx->inputs[1]->data;
    const ferry_tensor *b = onnx_in(ctx, 2);
    const float *bias = b != NULL ? b->data : NULL;
    float *y = ctx->outputs[0]->data;
    int64_t vol = g->win.out_vol, mg = g->mg;
    int64_t img_len = g->cg * (g->padded_vol > 0 ? g->padded_vol : g->win.in_vol);
    float *img = scratch, *wt = img + img_len, *wq = wt + g->ck * mg;
    float *rows = wq + g->class_weights * mg, *prod = rows + g->class_rows * g->chunk;
    float *order = prod + mg * vol * g->chunk;
    memset(img, 0, (size_t)img_len * sizeof *img); /* the border stays zero */
    for (int64_t grp = 0; grp < g->group; grp++) {
        class_weights(g, w + grp * mg * g->ck, wt, wq);
        for (int64_t first = lo; first < hi; first += g->chunk) {
            int64_t count = hi - first < g->chunk ? hi - first : g->chunk;
            for (int64_t i = 0; i < count; i++) {
                const float *src = conv_image(ctx, g, first + i, grp, img);
                float *r = rows; /* each class's matrix over the chunk, one after another */
                for (int c = 0; c < g->n_classes; c++) {
                    const conv_class *q = &g->cls[c];
                    im2row(src, g, q, r + i * q->outputs * q->k);
                    r += count * q->outputs * q->k;
                }
            }
            ferry_status st = FERRY_OK;
            const float *rq = rows, *wc = wq;
            float *pq = prod;
            for (int c = 0; c < g->n_classes && st == FERRY_OK; c++) {
                const conv_class *q = &g->cls[c];
                st = onnx_sgemm(false, false, count * q->outputs, mg, q->k, 1.0f, rq, q->k, wc, mg,
                                0.0f, pq, mg);
                rq += count * q->outputs * q->k;
                wc += q->k * mg;
                pq += count * q->outputs * mg;
            }
            if (st != FERRY_OK)
                return st;
            if (ctx->layout & ONNX_LAYOUT_OUT) {
                class_rows_out(ctx, g, prod, first, count, grp);
                continue;
            }
            for (int64_t i = 0; i < count; i++) {
                float *dst = y + ((first + i) * g->m + grp * mg) * vol;
                class_scatter(g, prod, count, i, order, dst);
                conv_store_block(dst, vol, bias != NULL ? bias + grp * mg : NULL, &ctx->node->fused,
                                 mg, vol, dst);
            }
        }
    }
    return FERRY_OK;
}

/* 1x1: Y[n, group] = W[group] x X[n, group], the input being its own im2col matrix. */
static ferry_status conv_pointwise(const onnx_op_ctx *ctx, const conv_geom *g, int64_t lo,
                                   int64_t hi)
{
    const float *x = ctx->inputs[0]->data, *w = ctx->inputs[1]->data;
    const ferry_tensor *b = onnx_in(ctx, 2);
    float *y = ctx->outputs[0]->data;
    int64_t vol = g->win.out_vol;
    for (int64_t img = lo; img < hi; img++)
        for (int64_t grp = 0; grp < g->group; grp++) {
            float *yg = y + (img * g->m + grp * g->mg) * vol;
            ferry_status st =
                onnx_sgemm(false, false, g->mg, vol, g->cg, 1.0f, w + grp * g->mg * g->cg, g->cg,
                           x + (img * g->win.c + grp * g->cg) * vol, vol, 0.0f, yg, vol);
            if (st != FERRY_OK)
                return st;
            conv_store_block(yg, vol, b != NULL ? (const float *)b->data + grp * g->mg : NULL,
                             &ctx->node->fused, g->mg, vol, yg);
        }
    return FERRY_OK;
}

/* y += w * x over every output whose input, at kernel offset k, lies inside. */
static void depthwise_tap(const float *x, const conv_ranges *rg, const int64_t *k, float w,
                          float *y)
{
    const onnx_window_dim *d = rg->d;
    int64_t lo[3], hi[3];
    ranges_get(rg, k, lo, hi);
    int64_t s2 = d[2].stride, off2 = k[2] * d[2].dilation - d[2].pad_begin;
    for (int64_t o0 = lo[0]; o0 < hi[0]; o0++) {
        int64_t i0 = o0 * d[0].stride - d[0].pad_begin + k[0] * d[0].dilation;
        for (int64_t o1 = lo[1]; o1 < hi[1]; o1++) {
            int64_t i1 = o1 * d[1].stride - d[1].pad_begin + k[1] * d[1].dilation;
            const float *src = x + (i0 * d[1].in + i1) * d[2].in;
            float *dst = y + (o0 * d[1].out + o1) * d[2].out;
            if (s2 == 1)
                for (int64_t o2 = lo[2]; o2 < hi[2]; o2++)
                    dst[o2] += w * src[o2 + off2];
            else
                for (int64_t o2 = lo[2]; o2 < hi[2]; o2++)
                    dst[o2] += w * src[o2 * s2 + off2];
        }
    }
}

/* One channel per group: each output plane is a sum of shifted, scaled input planes. */
static void conv_depthwise(const onnx_op_ctx *ctx, const conv_geom *g, int64_t lo, int64_t hi)
{
    const float *x = ctx->inputs[0]->data, *w = ctx->inputs[1]->data;
    const ferry_tensor *b = onnx_in(ctx, 2);
    float *y = ctx->outputs[0]->data;
    const onnx_window_dim *d = g->win.d;
    conv_ranges rg;
    ranges_init(&rg, d);
    for (int64_t img = lo; img < hi; img++)
        for (int64_t m = 0; m < g->m; m++) {
            const float *xc = x + (img * g->win.c + m / g->mg) * g->win.in_vol;
            const float *wm = w + m * g->win.k_vol;
            float *ym = y + (img * g->m + m) * g->win.out_vol;
            memset(ym, 0, (size_t)g->win.out_vol * sizeof *ym);
            int64_t k[3], t = 0;
            for (k[0] = 0; k[0] < d[0].kernel; k[0]++)
                for (k[1] = 0; k[1] < d[1].kernel; k[1]++)
                    for (k[2] = 0; k[2] < d[2].kernel; k[2]++)
                        depthwise_tap(xc, &rg, k, wm[t++], ym);
            conv_store_block(ym, g->win.out_vol, b != NULL ? (const float *)b->data + m : NULL,
                             &ctx->node->fused, 1, g->win.out_vol, ym);
        }
}

static ferry_status conv_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    conv_geom g;
    ferry_status st = conv_geometry(ctx, &g, err);
    if (st != FERRY_OK)
        return st;
    int64_t lo, hi;
    onnx_slice(g.win.n, ith, nth, &lo, &hi);
    switch (g.path) {
    case CONV_DEPTHWISE:
        conv_depthwise(ctx, &g, lo, hi);
        return FERRY_OK;
    case CONV_POINTWISE:
        st = conv_pointwise(ctx, &g, lo, hi);
        break;
    case CONV_IM2ROW:
        st = conv_im2row(ctx, &g, lo, hi, onnx_scratch(ctx, ith));
        break;
    default:
        st = conv_im2col(ctx, &g, lo, hi, onnx_scratch(ctx, ith));
        break;
    }
    return st == FERRY_OK ? FERRY_OK
                          : onnx_node_error(err, FERRY_INTERNAL, ctx->node, "dnnl_sgemm failed");
}

/* im2row reads and writes channels-last without the layout changes it otherwise makes; im2col
 * writes it through the transposed product. */
static unsigned conv_layouts(const onnx_op_ctx *ctx)
{
    conv_geom g;
    if (conv_geometry(ctx, &g, NULL) != FERRY_OK)
        return 0;
    if (g.path == CONV_IM2ROW)
        return ONNX_LAYOUT_IN | ONNX_LAYOUT_OUT | ONNX_LAYOUT_WANTS;
    return g.path == CONV_IM2COL ? ONNX_LAYOUT_OUT : 0;
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
    .layouts = conv_layouts,
    .run = conv_run,
};
