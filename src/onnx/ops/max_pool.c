/* MaxPool (ai.onnx, since 1): the maximum over each window of 1 to 3 spatial dimensions, with
 * strides, dilations (opset 10), pads or auto_pad, and ceil_mode (opset 10); padding never wins.
 * float, double, int8 and uint8 (opset 12). The optional Indices output (opset 8) gives, as int64,
 * each maximum's position in the flattened input: row-major, or with storage_order = 1 the
 * spatial position column-major (plane * volume + h + w * H, as ONNX Runtime). The first of equal
 * maxima wins. Without Indices it also runs channels-last when the planner asks (layout.h). Each
 * opset only added attributes or types whose absence keeps the older behaviour,
 * so one descriptor serves them all. */
#include <math.h>

#include "onnx/op.h"
#include "onnx/vector_clones.h"
#include "onnx/window.h"

typedef struct max_pool_params {
    onnx_window w;
    bool column_major; /* storage_order = 1 */
} max_pool_params;

static ferry_status max_pool_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    max_pool_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    int64_t order = 0;
    ferry_status st = onnx_window_parse(n, &p->w, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "storage_order", 0, &order, err);
    if (st != FERRY_OK)
        return st;
    if (!p->w.has_kernel)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "kernel_shape is required");
    if (order != 0 && order != 1)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "storage_order is %lld; 0 or 1 expected",
                               (long long)order);
    p->column_major = order == 1;
    return FERRY_OK;
}

static ferry_status max_pool_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const max_pool_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    onnx_window_geom g;
    ferry_status st =
        onnx_check_dtype(ctx, 0, ONNX_MASK_FLOATS | ONNX_MASK(INT8) | ONNX_MASK(UINT8), err);
    if (st == FERRY_OK)
        st = onnx_window_geometry(ctx->node, &p->w, x, NULL, &g, err);
    if (st != FERRY_OK)
        return st;
    int64_t shape[FERRY_MAX_DIMS];
    onnx_window_out_shape(&g, g.n, g.c, shape);
    onnx_set_output(ctx, 0, x->dtype, x->ndim, shape);
    onnx_set_output(ctx, 1, FERRY_DTYPE_INT64, x->ndim, shape);
    return FERRY_OK;
}

/* Each output's maximum over its window of one plane (`lowest` if the window holds no input);
 * with `ind`, the position of the first maximum within the plane (row-major, or column-major). */
#define MAX_POOL_KERNEL(D, T, UT, S)                                                               \
    static void max_pool_##S(const onnx_window_geom *g, const T *x, T *y, int64_t *ind,            \
                             bool col_major, T lowest)                                             \
    {                                                                                              \
        const onnx_window_dim *d = g->d;                                                           \
        int64_t lo[3], hi[3];                                                                      \
        for (int64_t o0 = 0; o0 < d[0].out; o0++) {                                                \
            onnx_window_taps(&d[0], o0, 0, d[0].in, &lo[0], &hi[0]);                               \
            for (int64_t o1 = 0; o1 < d[1].out; o1++) {                                            \
                onnx_window_taps(&d[1], o1, 0, d[1].in, &lo[1], &hi[1]);                           \
                for (int64_t o2 = 0; o2 < d[2].out; o2++) {                                        \
                    onnx_window_taps(&d[2], o2, 0, d[2].in, &lo[2], &hi[2]);                       \
                    T best = lowest;                                                               \
                    int64_t at = -1;                                                               \
                    for (int64_t k0 = lo[0]; k0 < hi[0]; k0++) {                                   \
                        int64_t i0 = o0 * d[0].stride - d[0].pad_begin + k0 * d[0].dilation;       \
                        for (int64_t k1 = lo[1]; k1 < hi[1]; k1++) {                               \
                            int64_t i1 = o1 * d[1].stride - d[1].pad_begin + k1 * d[1].dilation;   \
                            int64_t row = (i0 * d[1].in + i1) * d[2].in;                           \
                            int64_t i2 = o2 * d[2].stride - d[2].pad_begin;                        \
                            for (int64_t k2 = lo[2]; k2 < hi[2]; k2++) {                           \
                                int64_t i = row + i2 + k2 * d[2].dilation;                         \
                                at = at < 0 ? i : at;                                              \
                                if (x[i] > best) {                                                 \
                                    best = x[i];                                                   \
                                    at = i;                                                        \
                                }                                                                  \
                            }                                                                      \
                        }                                                                          \
                    }                                                                              \
                    *y++ = best;                                                                   \
                    if (ind != NULL)                                                               \
                        *ind++ = col_major ? column_major_index(d, at) : at < 0 ? 0 : at;          \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

/* A row-major position within a plane, column-major: h + w * H in 2-D, h + w * H + d * H * W in
 * 3-D (the leading dimensions of size 1 make one formula serve all ranks); 0 for an empty
 * window. */
static int64_t column_major_index(const onnx_window_dim *d, int64_t at)
{
    if (at < 0)
        return 0;
    int64_t i2 = at % d[2].in, i1 = at / d[2].in % d[1].in, i0 = at / d[2].in / d[1].in;
    return (i2 * d[1].in + i1) * d[0].in + i0;
}

/* Without Indices: per row of outputs, each kernel offset of the last dimension updates the run
 * of outputs it reaches, so the maxima of neighbouring outputs are independent and the loop
 * vectorises; `lo2`/`hi2` hold that run for each offset (kernel[2] <= MAX_POOL_ROW_TAPS). */
#define MAX_POOL_ROW_TAPS 32
#define MAX_POOL_ROWS_KERNEL(D, T, UT, S)                                                          \
    static void max_pool_rows_##S(const onnx_window_geom *g, const T *x, T *y, T lowest,           \
                                  const int64_t *lo2, const int64_t *hi2)                          \
    {                                                                                              \
        const onnx_window_dim *d = g->d;                                                           \
        int64_t lo[2], hi[2], s2 = d[2].stride;                                                    \
        for (int64_t o0 = 0; o0 < d[0].out; o0++) {                                                \
            onnx_window_taps(&d[0], o0, 0, d[0].in, &lo[0], &hi[0]);                               \
            for (int64_t o1 = 0; o1 < d[1].out; o1++, y += d[2].out) {                             \
                onnx_window_taps(&d[1], o1, 0, d[1].in, &lo[1], &hi[1]);                           \
                for (int64_t o2 = 0; o2 < d[2].out; o2++)                                          \
                    y[o2] = lowest;                                                                \
                for (int64_t k0 = lo[0]; k0 < hi[0]; k0++) {                                       \
                    int64_t i0 = o0 * d[0].stride - d[0].pad_begin + k0 * d[0].dilation;           \
                    for (int64_t k1 = lo[1]; k1 < hi[1]; k1++) {                                   \
                        int64_t i1 = o1 * d[1].stride - d[1].pad_begin + k1 * d[1].dilation;       \
                        const T *row = x + (i0 * d[1].in + i1) * d[2].in;                          \
                        for (int64_t k2 = 0; k2 < d[2].kernel; k2++) {                             \
                            int64_t off = k2 * d[2].dilation - d[2].pad_begin;                     \
                            for (int64_t o2 = lo2[k2]; o2 < hi2[k2]; o2++) {                       \
                                T v = row[o2 * s2 + off];                                          \
                                y[o2] = v > y[o2] ? v : y[o2];                                     \
                            }                                                                      \
                        }                                                                          \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

/* The common 2x2 window with stride 2 on 2-D planes, every window inside: output row r (of
 * `wout` values) from input rows 2r and 2r+1 (`win` values apart), for `rows` rows in a row. The
 * comparisons run in the general kernels' order, so NaN never wins here either. Small constant
 * widths are expanded so that the compiler unrolls and vectorizes whole rows: planes of small
 * images otherwise spend their time in loop overhead. */
#define MAX_POOL_2X2_KERNEL(D, T, UT, S)                                                           \
    static inline __attribute__((always_inline)) void max_pool_2x2_rows_##S(                       \
        const T *restrict x, T *restrict y, int64_t rows, int64_t win, int64_t wout, T lowest)     \
    {                                                                                              \
        for (int64_t r = 0; r < rows; r++, y += wout) {                                            \
            const T *r0 = x + 2 * r * win, *r1 = r0 + win;                                         \
            for (int64_t o2 = 0; o2 < wout; o2++) {                                                \
                T m = lowest;                                                                      \
                m = r0[2 * o2] > m ? r0[2 * o2] : m;                                               \
                m = r0[2 * o2 + 1] > m ? r0[2 * o2 + 1] : m;                                       \
                m = r1[2 * o2] > m ? r1[2 * o2] : m;                                               \
                y[o2] = r1[2 * o2 + 1] > m ? r1[2 * o2 + 1] : m;                                   \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    ONNX_VECTOR_CLONES static void max_pool_2x2_##S(const T *x, T *y, int64_t rows, int64_t win,   \
                                                    int64_t wout, T lowest)                        \
    {                                                                                              \
        if (wout == 4)                                                                             \
            max_pool_2x2_rows_##S(x, y, rows, win, 4, lowest);                                     \
        else if (wout == 8)                                                                        \
            max_pool_2x2_rows_##S(x, y, rows, win, 8, lowest);                                     \
        else                                                                                       \
            max_pool_2x2_rows_##S(x, y, rows, win, wout, lowest);                                  \
    }

/* True when the window is 2x2 with stride 2 on a 2-D plane and never reaches padding. */
static bool is_2x2_stride_2(const onnx_window_geom *g)
{
    const onnx_window_dim *d = g->d;
    if (d[0].in != 1 || d[0].kernel != 1 || d[0].out != 1)
        return false;
    for (int i = 1; i < 3; i++)
        if (d[i].kernel != 2 || d[i].stride != 2 || d[i].dilation != 1 || d[i].pad_begin != 0 ||
            2 * d[i].out > d[i].in)
            return false;
    return true;
}

/* Channels-last ([N, spatial..., C] in and out): rows of outputs [lo, hi) (a row: the outputs
 * along the last spatial dimension, N * out[0] * out[1] rows), each output's C channels at once,
 * compared in the planar kernels' order. */
#define MAX_POOL_CL_KERNEL(D, T, UT, S)                                                            \
    ONNX_VECTOR_CLONES static void max_pool_cl_##S(const onnx_window_geom *g, const T *x, T *y,    \
                                                   int64_t lo, int64_t hi, T lowest)               \
    {                                                                                              \
        const onnx_window_dim *d = g->d;                                                           \
        int64_t c = g->c, kl[3], kh[3];                                                            \
        for (int64_t r = lo; r < hi; r++) {                                                        \
            int64_t o1 = r % d[1].out, o0 = r / d[1].out % d[0].out,                               \
                    img = r / d[1].out / d[0].out;                                                 \
            const T *xi = x + img * g->in_vol * c;                                                 \
            T *yr = y + r * d[2].out * c;                                                          \
            onnx_window_taps(&d[0], o0, 0, d[0].in, &kl[0], &kh[0]);                               \
            onnx_window_taps(&d[1], o1, 0, d[1].in, &kl[1], &kh[1]);                               \
            for (int64_t o2 = 0; o2 < d[2].out; o2++, yr += c) {                                   \
                onnx_window_taps(&d[2], o2, 0, d[2].in, &kl[2], &kh[2]);                           \
                for (int64_t j = 0; j < c; j++)                                                    \
                    yr[j] = lowest;                                                                \
                for (int64_t k0 = kl[0]; k0 < kh[0]; k0++) {                                       \
                    int64_t i0 = o0 * d[0].stride - d[0].pad_begin + k0 * d[0].dilation;           \
                    for (int64_t k1 = kl[1]; k1 < kh[1]; k1++) {                                   \
                        int64_t i1 = o1 * d[1].stride - d[1].pad_begin + k1 * d[1].dilation;       \
                        for (int64_t k2 = kl[2]; k2 < kh[2]; k2++) {                               \
                            int64_t i2 = o2 * d[2].stride - d[2].pad_begin + k2 * d[2].dilation;   \
                            const T *px = xi + ((i0 * d[1].in + i1) * d[2].in + i2) * c;           \
                            for (int64_t j = 0; j < c; j++)                                        \
                                yr[j] = px[j] > yr[j] ? px[j] : yr[j];                             \
                        }                                                                          \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

/* Channels-last with every window inside the input (no padding reached): the same without
 * bounds per output, and small constant channel counts expanded so that a pixel's channels are
 * a few whole vectors. */
#define MAX_POOL_CL_INSIDE_KERNEL(D, T, UT, S)                                                     \
    static inline __attribute__((always_inline)) void max_pool_cl_inside_body_##S(                 \
        const onnx_window_geom *g, const T *x, T *restrict y, int64_t lo, int64_t hi, T lowest,    \
        int64_t c)                                                                                 \
    {                                                                                              \
        const onnx_window_dim *d = g->d;                                                           \
        int64_t s2 = d[2].stride * c, t2 = d[2].dilation * c;                                      \
        for (int64_t r = lo; r < hi; r++) {                                                        \
            int64_t o1 = r % d[1].out, o0 = r / d[1].out % d[0].out,                               \
                    img = r / d[1].out / d[0].out;                                                 \
            const T *xi = x + img * g->in_vol * c;                                                 \
            T *yr = y + r * d[2].out * c;                                                          \
            for (int64_t o2 = 0; o2 < d[2].out; o2++, yr += c) {                                   \
                for (int64_t j = 0; j < c; j++)                                                    \
                    yr[j] = lowest;                                                                \
                for (int64_t k0 = 0; k0 < d[0].kernel; k0++)                                       \
                    for (int64_t k1 = 0; k1 < d[1].kernel; k1++) {                                 \
                        int64_t i0 = o0 * d[0].stride + k0 * d[0].dilation;                        \
                        int64_t i1 = o1 * d[1].stride + k1 * d[1].dilation;                        \
                        const T *px = xi + (i0 * d[1].in + i1) * d[2].in * c + o2 * s2;            \
                        for (int64_t k2 = 0; k2 < d[2].kernel; k2++, px += t2)                     \
                            for (int64_t j = 0; j < c; j++)                                        \
                                yr[j] = px[j] > yr[j] ? px[j] : yr[j];                             \
                    }                                                                              \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    /* 2x2 with stride 2 on 2-D: rows [lo, hi) of outputs from pairs of input rows */              \
    static inline __attribute__((always_inline)) void max_pool_cl_2x2_body_##S(                    \
        const onnx_window_geom *g, const T *x, T *restrict y, int64_t lo, int64_t hi, T lowest,    \
        int64_t c)                                                                                 \
    {                                                                                              \
        const onnx_window_dim *d = g->d;                                                           \
        int64_t row = d[2].in * c;                                                                 \
        for (int64_t r = lo; r < hi; r++) {                                                        \
            int64_t o1 = r % d[1].out, img = r / d[1].out;                                         \
            const T *p0 = x + (img * g->in_vol + 2 * o1 * d[2].in) * c, *p1 = p0 + row;            \
            T *yr = y + r * d[2].out * c;                                                          \
            for (int64_t o2 = 0; o2 < d[2].out; o2++, yr += c, p0 += 2 * c, p1 += 2 * c)           \
                for (int64_t j = 0; j < c; j++) {                                                  \
                    T m = lowest;                                                                  \
                    m = p0[j] > m ? p0[j] : m;                                                     \
                    m = p0[c + j] > m ? p0[c + j] : m;                                             \
                    m = p1[j] > m ? p1[j] : m;                                                     \
                    yr[j] = p1[c + j] > m ? p1[c + j] : m;                                         \
                }                                                                                  \
        }                                                                                          \
    }                                                                                              \
    ONNX_VECTOR_CLONES static void max_pool_cl_inside_##S(const onnx_window_geom *g, const T *x,   \
                                                          T *y, int64_t lo, int64_t hi, T lowest)  \
    {                                                                                              \
        if (is_2x2_stride_2(g) && g->c == 16)                                                      \
            max_pool_cl_2x2_body_##S(g, x, y, lo, hi, lowest, 16);                                 \
        else if (is_2x2_stride_2(g) && g->c == 32)                                                 \
            max_pool_cl_2x2_body_##S(g, x, y, lo, hi, lowest, 32);                                 \
        else if (is_2x2_stride_2(g))                                                               \
            max_pool_cl_2x2_body_##S(g, x, y, lo, hi, lowest, g->c);                               \
        else if (g->c == 16)                                                                       \
            max_pool_cl_inside_body_##S(g, x, y, lo, hi, lowest, 16);                              \
        else if (g->c == 32)                                                                       \
            max_pool_cl_inside_body_##S(g, x, y, lo, hi, lowest, 32);                              \
        else if (g->c == 64)                                                                       \
            max_pool_cl_inside_body_##S(g, x, y, lo, hi, lowest, 64);                              \
        else                                                                                       \
            max_pool_cl_inside_body_##S(g, x, y, lo, hi, lowest, g->c);                            \
    }

MAX_POOL_KERNEL(FP32, float, float, f32)
MAX_POOL_KERNEL(FP64, double, double, f64)
MAX_POOL_KERNEL(INT8, int8_t, uint8_t, i8)
MAX_POOL_KERNEL(UINT8, uint8_t, uint8_t, u8)
MAX_POOL_ROWS_KERNEL(FP32, float, float, f32)
MAX_POOL_ROWS_KERNEL(FP64, double, double, f64)
MAX_POOL_ROWS_KERNEL(INT8, int8_t, uint8_t, i8)
MAX_POOL_ROWS_KERNEL(UINT8, uint8_t, uint8_t, u8)
MAX_POOL_2X2_KERNEL(FP32, float, float, f32)
MAX_POOL_2X2_KERNEL(FP64, double, double, f64)
MAX_POOL_2X2_KERNEL(INT8, int8_t, uint8_t, i8)
MAX_POOL_2X2_KERNEL(UINT8, uint8_t, uint8_t, u8)
MAX_POOL_CL_KERNEL(FP32, float, float, f32)
MAX_POOL_CL_KERNEL(FP64, double, double, f64)
MAX_POOL_CL_KERNEL(INT8, int8_t, uint8_t, i8)
MAX_POOL_CL_KERNEL(UINT8, uint8_t, uint8_t, u8)

MAX_POOL_CL_INSIDE_KERNEL(FP32, float, float, f32)
MAX_POOL_CL_INSIDE_KERNEL(FP64, double, double, f64)
MAX_POOL_CL_INSIDE_KERNEL(INT8, int8_t, uint8_t, i8)
MAX_POOL_CL_INSIDE_KERNEL(UINT8, uint8_t, uint8_t, u8)

/* True when no window reaches padding (nor past the input, with ceil_mode). */
static bool windows_inside(const onnx_window_geom *g)
{
    for (int i = 0; i < ONNX_WINDOW_MAX_DIMS; i++) {
        const onnx_window_dim *d = &g->d[i];
        if (d->pad_begin != 0 || (d->out - 1) * d->stride + (d->kernel - 1) * d->dilation >= d->in)
            return false;
    }
    return true;
}

/* Channels-last, rows of outputs [lo, hi) of every image (max_pool_cl_*). */
static void max_pool_channels_last(ferry_dtype dtype, const onnx_window_geom *g, const void *x,
                                   void *y, int64_t lo, int64_t hi)
{
    if (windows_inside(g) && g->d[0].out > 0 && g->d[1].out > 0 && g->d[2].out > 0) {
        switch (dtype) {
        case FERRY_DTYPE_FP32:
            max_pool_cl_inside_f32(g, x, y, lo, hi, -INFINITY);
            return;
        case FERRY_DTYPE_FP64:
            max_pool_cl_inside_f64(g, x, y, lo, hi, -INFINITY);
            return;
        case FERRY_DTYPE_INT8:
            max_pool_cl_inside_i8(g, x, y, lo, hi, INT8_MIN);
            return;
        default:
            max_pool_cl_inside_u8(g, x, y, lo, hi, 0);
            return;
        }
    }
    switch (dtype) {
    case FERRY_DTYPE_FP32:
        max_pool_cl_f32(g, x, y, lo, hi, -INFINITY);
        break;
    case FERRY_DTYPE_FP64:
        max_pool_cl_f64(g, x, y, lo, hi, -INFINITY);
        break;
    case FERRY_DTYPE_INT8:
        max_pool_cl_i8(g, x, y, lo, hi, INT8_MIN);
        break;
    default:
        max_pool_cl_u8(g, x, y, lo, hi, 0);
        break;
    }
}

/* Planes [lo, hi) without Indices. */
static void max_pool_rows(ferry_dtype dtype, const onnx_window_geom *g, const void *x, void *y,
                          int64_t lo, int64_t hi, const int64_t *lo2, const int64_t *hi2)
{
    bool two = is_2x2_stride_2(g);
    /* With an even plane height, the planes' rows follow one another as one tall plane. */
    int64_t step = two && g->d[1].in == 2 * g->d[1].out ? hi - lo : 1;
    for (int64_t i = lo; i < hi && two; i += step) {
        int64_t rows = (step < hi - i ? step : hi - i) * g->d[1].out, win = g->d[2].in;
        int64_t wout = g->d[2].out;
        switch (dtype) {
        case FERRY_DTYPE_FP32:
            max_pool_2x2_f32((const float *)x + i * g->in_vol, (float *)y + i * g->out_vol, rows,
                             win, wout, -INFINITY);
            break;
        case FERRY_DTYPE_FP64:
            max_pool_2x2_f64((const double *)x + i * g->in_vol, (double *)y + i * g->out_vol, rows,
                             win, wout, -INFINITY);
            break;
        case FERRY_DTYPE_INT8:
            max_pool_2x2_i8((const int8_t *)x + i * g->in_vol, (int8_t *)y + i * g->out_vol, rows,
                            win, wout, INT8_MIN);
            break;
        default:
            max_pool_2x2_u8((const uint8_t *)x + i * g->in_vol, (uint8_t *)y + i * g->out_vol, rows,
                            win, wout, 0);
            break;
        }
    }
    for (int64_t i = lo; i < hi && !two; i++) {
        switch (dtype) {
        case FERRY_DTYPE_FP32:
            max_pool_rows_f32(g, (const float *)x + i * g->in_vol, (float *)y + i * g->out_vol,
                              -INFINITY, lo2, hi2);
            break;
        case FERRY_DTYPE_FP64:
            max_pool_rows_f64(g, (const double *)x + i * g->in_vol, (double *)y + i * g->out_vol,
                              -INFINITY, lo2, hi2);
            break;
        case FERRY_DTYPE_INT8:
            max_pool_rows_i8(g, (const int8_t *)x + i * g->in_vol, (int8_t *)y + i * g->out_vol,
                             INT8_MIN, lo2, hi2);
            break;
        default:
            max_pool_rows_u8(g, (const uint8_t *)x + i * g->in_vol, (uint8_t *)y + i * g->out_vol,
                             0, lo2, hi2);
            break;
        }
    }
}

static ferry_status max_pool_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    const max_pool_params *p = ctx->node->params;
    onnx_window_geom g;
    ferry_status st = onnx_window_geometry(ctx->node, &p->w, ctx->inputs[0], NULL, &g, err);
    if (st != FERRY_OK)
        return st;
    int64_t lo, hi;
    const void *x = ctx->inputs[0]->data;
    void *y = ctx->outputs[0]->data;
    if (ctx->layout & ONNX_LAYOUT_IN) { /* and out: the layouts hook ties them */
        onnx_slice(g.n * g.d[0].out * g.d[1].out, ith, nth, &lo, &hi);
        max_pool_channels_last(ctx->inputs[0]->dtype, &g, x, y, lo, hi);
        return FERRY_OK;
    }
    onnx_slice(g.n * g.c, ith, nth, &lo, &hi);
    ferry_tensor *indices = onnx_out(ctx, 1);
    int64_t *ind = indices != NULL ? indices->data : NULL;
    if (ind == NULL && g.d[2].kernel <= MAX_POOL_ROW_TAPS) {
        int64_t lo2[MAX_POOL_ROW_TAPS], hi2[MAX_POOL_ROW_TAPS];
        for (int64_t k = 0; k < g.d[2].kernel; k++)
            onnx_window_outputs(&g.d[2], k, &lo2[k], &hi2[k]);
        max_pool_rows(ctx->inputs[0]->dtype, &g, x, y, lo, hi, lo2, hi2);
        return FERRY_OK;
    }
    for (int64_t i = lo; i < hi; i++) {
        int64_t *ind_i = ind != NULL ? ind + i * g.out_vol : NULL;
        switch (ctx->inputs[0]->dtype) {
        case FERRY_DTYPE_FP32:
            max_pool_f32(&g, (const float *)x + i * g.in_vol, (float *)y + i * g.out_vol, ind_i,
                         p->column_major, -INFINITY);
            break;
        case FERRY_DTYPE_FP64:
            max_pool_f64(&g, (const double *)x + i * g.in_vol, (double *)y + i * g.out_vol, ind_i,
                         p->column_major, -INFINITY);
            break;
        case FERRY_DTYPE_INT8:
            max_pool_i8(&g, (const int8_t *)x + i * g.in_vol, (int8_t *)y + i * g.out_vol, ind_i,
                        p->column_major, INT8_MIN);
            break;
        default:
            max_pool_u8(&g, (const uint8_t *)x + i * g.in_vol, (uint8_t *)y + i * g.out_vol, ind_i,
                        p->column_major, 0);
            break;
        }
        for (int64_t j = 0; ind_i != NULL && j < g.out_vol; j++)
            ind_i[j] += i * g.in_vol; /* positions in the whole input */
    }
    return FERRY_OK;
}

/* Without Indices, either layout, the same on both sides. */
static unsigned max_pool_layouts(const onnx_op_ctx *ctx)
{
    return onnx_out(ctx, 1) != NULL ? 0 : ONNX_LAYOUT_IN | ONNX_LAYOUT_OUT | ONNX_LAYOUT_SAME;
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
    .layouts = max_pool_layouts,
    .run = max_pool_run,
};
