/* AveragePool (ai.onnx, since 1): the mean over each window of 1 to 3 spatial dimensions, with
 * strides, pads or auto_pad, count_include_pad (opset 7), ceil_mode (opset 10) and dilations
 * (opset 19), for float and double. Each opset only added an attribute whose absence keeps the
 * older behaviour, so one descriptor serves them all. As ONNX's reference and ONNX Runtime do,
 * count_include_pad counts the explicit (or auto_pad) padding a window covers but not the room
 * ceil_mode adds past it. */
#include "onnx/op.h"
#include "onnx/window.h"

typedef struct average_pool_params {
    onnx_window w;
    bool count_include_pad;
} average_pool_params;

static ferry_status average_pool_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    average_pool_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    int64_t include_pad = 0;
    ferry_status st = onnx_window_parse(n, &p->w, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "count_include_pad", 0, &include_pad, err);
    if (st == FERRY_OK && !p->w.has_kernel)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "kernel_shape is required");
    p->count_include_pad = include_pad != 0;
    return st;
}

static ferry_status average_pool_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const average_pool_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    onnx_window_geom g;
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_MASK_FLOATS, err);
    if (st == FERRY_OK)
        st = onnx_window_geometry(ctx->node, &p->w, x, NULL, &g, err);
    if (st != FERRY_OK)
        return st;
    int64_t shape[FERRY_MAX_DIMS];
    onnx_window_out_shape(&g, g.n, g.c, shape);
    onnx_set_output(ctx, 0, x->dtype, x->ndim, shape);
    return FERRY_OK;
}

#define AVERAGE_POOL_KERNEL(T, S)                                                                  \
    static void average_pool_##S(const onnx_window_geom *g, bool include_pad, const T *x, T *y)    \
    {                                                                                              \
        const onnx_window_dim *d = g->d;                                                           \
        int64_t lo[3], hi[3], plo[3], phi[3];                                                      \
        for (int64_t o0 = 0; o0 < d[0].out; o0++) {                                                \
            onnx_window_taps(&d[0], o0, 0, d[0].in, &lo[0], &hi[0]);                               \
            onnx_window_taps(&d[0], o0, -d[0].pad_begin, d[0].in + d[0].pad_end, &plo[0],          \
                             &phi[0]);                                                             \
            for (int64_t o1 = 0; o1 < d[1].out; o1++) {                                            \
                onnx_window_taps(&d[1], o1, 0, d[1].in, &lo[1], &hi[1]);                           \
                onnx_window_taps(&d[1], o1, -d[1].pad_begin, d[1].in + d[1].pad_end, &plo[1],      \
                                 &phi[1]);                                                         \
                for (int64_t o2 = 0; o2 < d[2].out; o2++) {                                        \
                    onnx_window_taps(&d[2], o2, 0, d[2].in, &lo[2], &hi[2]);                       \
                    onnx_window_taps(&d[2], o2, -d[2].pad_begin, d[2].in + d[2].pad_end, &plo[2],  \
                                     &phi[2]);                                                     \
                    T sum = 0;                                                                     \
                    for (int64_t k0 = lo[0]; k0 < hi[0]; k0++) {                                   \
                        int64_t i0 = o0 * d[0].stride - d[0].pad_begin + k0 * d[0].dilation;       \
                        for (int64_t k1 = lo[1]; k1 < hi[1]; k1++) {                               \
                            int64_t i1 = o1 * d[1].stride - d[1].pad_begin + k1 * d[1].dilation;   \
                            const T *row = x + (i0 * d[1].in + i1) * d[2].in;                      \
                            int64_t i2 = o2 * d[2].stride - d[2].pad_begin;                        \
                            for (int64_t k2 = lo[2]; k2 < hi[2]; k2++)                             \
                                sum += row[i2 + k2 * d[2].dilation];                               \
                        }                                                                          \
                    }                                                                              \
                    int64_t n = 1;                                                                 \
                    for (int i = 0; i < 3; i++)                                                    \
                        n *= include_pad ? phi[i] - plo[i] : hi[i] - lo[i];                        \
                    *y++ = sum / (T)n;                                                             \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }
AVERAGE_POOL_KERNEL(float, f32)
AVERAGE_POOL_KERNEL(double, f64)

static ferry_status average_pool_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    const average_pool_params *p = ctx->node->params;
    onnx_window_geom g;
    ferry_status st = onnx_window_geometry(ctx->node, &p->w, ctx->inputs[0], NULL, &g, err);
    if (st != FERRY_OK)
        return st;
    int64_t lo, hi;
    onnx_slice(g.n * g.c, ith, nth, &lo, &hi);
    for (int64_t i = lo; i < hi; i++) {
        if (ctx->inputs[0]->dtype == FERRY_DTYPE_FP32)
            average_pool_f32(&g, p->count_include_pad,
                             (const float *)ctx->inputs[0]->data + i * g.in_vol,
                             (float *)ctx->outputs[0]->data + i * g.out_vol);
        else
            average_pool_f64(&g, p->count_include_pad,
                             (const double *)ctx->inputs[0]->data + i * g.in_vol,
                             (double *)ctx->outputs[0]->data + i * g.out_vol);
    }
    return FERRY_OK;
}

const onnx_op onnx_op_average_pool_1 = {
    .domain = "",
    .op_type = "AveragePool",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = average_pool_prepare,
    .infer = average_pool_infer,
    .run = average_pool_run,
};
