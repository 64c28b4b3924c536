/* MaxPool (ai.onnx, since 1): the maximum over each window of 1 to 3 spatial dimensions, with
 * strides, dilations (opset 10), pads or auto_pad, and ceil_mode (opset 10); padding never wins.
 * float, double, int8 and uint8 (opset 12). The optional Indices output is not supported yet. */
#include <math.h>

#include "onnx/elementwise.h"
#include "onnx/op.h"
#include "onnx/window.h"

typedef struct pool_geom {
    int64_t planes; /* N * C */
    onnx_window_dim d[ONNX_WINDOW_MAX_DIMS];
    int64_t in_vol, out_vol;
} pool_geom;

static ferry_status max_pool_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    onnx_window *w = onnx_graph_alloc(g, sizeof *w);
    if (w == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = w;
    ferry_status st = onnx_window_parse(n, w, err);
    if (st == FERRY_OK && !w->has_kernel)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "kernel_shape is required");
    if (st == FERRY_OK && n->n_outputs > 1 && n->outputs[1] >= 0)
        return onnx_node_error(err, FERRY_UNSUPPORTED, n, "the Indices output is not supported");
    return st;
}

static ferry_status pool_geometry(const onnx_op_ctx *ctx, pool_geom *g, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    const onnx_window *w = ctx->node->params;
    int rank = x->ndim - 2;
    onnx_window_dim dims[ONNX_WINDOW_MAX_DIMS];
    ferry_status st = x->ndim < 3
                          ? onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                            "input rank %d; expected N+2", x->ndim)
                          : onnx_window_plan(ctx->node, w, rank, x->shape + 2, NULL, dims, err);
    if (st != FERRY_OK)
        return st;
    int lead = ONNX_WINDOW_MAX_DIMS - rank;
    g->planes = x->shape[0] * x->shape[1];
    g->in_vol = g->out_vol = 1;
    for (int i = 0; i < ONNX_WINDOW_MAX_DIMS; i++) {
        g->d[i] = i < lead ? (onnx_window_dim){1, 1, 1, 1, 1, 0} : dims[i - lead];
        g->in_vol *= g->d[i].in;
        g->out_vol *= g->d[i].out;
    }
    return FERRY_OK;
}

static ferry_status max_pool_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    pool_geom g;
    ferry_status st =
        onnx_check_dtype(ctx, 0, ONNX_MASK_FLOATS | ONNX_MASK(INT8) | ONNX_MASK(UINT8), err);
    if (st == FERRY_OK)
        st = pool_geometry(ctx, &g, err);
    if (st != FERRY_OK)
        return st;
    const ferry_tensor *x = ctx->inputs[0];
    int64_t shape[FERRY_MAX_DIMS] = {x->shape[0], x->shape[1]};
    int rank = x->ndim - 2;
    for (int i = 0; i < rank; i++)
        shape[2 + i] = g.d[ONNX_WINDOW_MAX_DIMS - rank + i].out;
    onnx_set_output(ctx, 0, x->dtype, x->ndim, shape);
    return FERRY_OK;
}

/* The max over the window at output position (o0, o1, o2) of one plane; `lowest` if empty. */
#define MAX_POOL_KERNEL(D, T, UT, S)                                                               \
    static void max_pool_##S(const pool_geom *g, const T *x, T *y, T lowest)                       \
    {                                                                                              \
        const onnx_window_dim *d = g->d;                                                           \
        for (int64_t o0 = 0; o0 < d[0].out; o0++)                                                  \
            for (int64_t o1 = 0; o1 < d[1].out; o1++)                                              \
                for (int64_t o2 = 0; o2 < d[2].out; o2++) {                                        \
                    T best = lowest;                                                               \
                    for (int64_t k0 = 0; k0 < d[0].kernel; k0++) {                                 \
                        int64_t i0 = o0 * d[0].stride - d[0].pad_begin + k0 * d[0].dilation;       \
                        if (i0 < 0 || i0 >= d[0].in)                                               \
                            continue;                                                              \
                        for (int64_t k1 = 0; k1 < d[1].kernel; k1++) {                             \
                            int64_t i1 = o1 * d[1].stride - d[1].pad_begin + k1 * d[1].dilation;   \
                            if (i1 < 0 || i1 >= d[1].in)                                           \
                                continue;                                                          \
                            const T *row = x + (i0 * d[1].in + i1) * d[2].in;                      \
                            for (int64_t k2 = 0; k2 < d[2].kernel; k2++) {                         \
                                int64_t i2 =                                                       \
                                    o2 * d[2].stride - d[2].pad_begin + k2 * d[2].dilation;        \
                                if (i2 >= 0 && i2 < d[2].in && row[i2] > best)                     \
                                    best = row[i2];                                                \
                            }                                                                      \
                        }                                                                          \
                    }                                                                              \
                    *y++ = best;                                                                   \
                }                                                                                  \
    }
MAX_POOL_KERNEL(FP32, float, float, f32)
MAX_POOL_KERNEL(FP64, double, double, f64)
MAX_POOL_KERNEL(INT8, int8_t, uint8_t, i8)
MAX_POOL_KERNEL(UINT8, uint8_t, uint8_t, u8)

static ferry_status max_pool_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    pool_geom g;
    ferry_status st = pool_geometry(ctx, &g, err);
    if (st != FERRY_OK)
        return st;
    int64_t lo, hi;
    onnx_slice(g.planes, ith, nth, &lo, &hi);
    const void *x = ctx->inputs[0]->data;
    void *y = ctx->outputs[0]->data;
    for (int64_t p = lo; p < hi; p++) {
        switch (ctx->inputs[0]->dtype) {
        case FERRY_DTYPE_FP32:
            max_pool_f32(&g, (const float *)x + p * g.in_vol, (float *)y + p * g.out_vol,
                         -INFINITY);
            break;
        case FERRY_DTYPE_FP64:
            max_pool_f64(&g, (const double *)x + p * g.in_vol, (double *)y + p * g.out_vol,
                         -INFINITY);
            break;
        case FERRY_DTYPE_INT8:
            max_pool_i8(&g, (const int8_t *)x + p * g.in_vol, (int8_t *)y + p * g.out_vol,
                        INT8_MIN);
            break;
        default:
            max_pool_u8(&g, (const uint8_t *)x + p * g.in_vol, (uint8_t *)y + p * g.out_vol, 0);
            break;
        }
    }
    return FERRY_OK;
}

const onnx_op onnx_op_max_pool_1 = {
    .domain = "",
    .op_type = "MaxPool",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 2,
    .prepare = max_pool_prepare,
    .infer = max_pool_infer,
    .run = max_pool_run,
};
