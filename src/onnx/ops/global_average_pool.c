/* GlobalAveragePool (ai.onnx, since 1): the mean over all spatial dimensions of each channel,
 * [N, C, D1...] -> [N, C, 1...], for float and double. Sums run in double, in four independent
 * lanes so that the compiler vectorizes them (one running sum is a chain of dependent adds, which
 * costs more than the loads on the small planes of a CNN's last layers). Reads channels-last input
 * when the planner chooses it (layout.h), float ones with channels in multiples of 8 summed as
 * vectors of doubles. */
#include <math.h>
#include <string.h>

#include "onnx/op.h"
#include "onnx/vector_clones.h"

static ferry_status global_average_pool_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_MASK_FLOATS, err);
    if (st != FERRY_OK)
        return st;
    if (x->ndim < 3)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "input rank %d; expected N+2 with N >= 1", x->ndim);
    int64_t shape[FERRY_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++)
        shape[d] = d < 2 ? x->shape[d] : 1;
    onnx_set_output(ctx, 0, x->dtype, x->ndim, shape);
    return FERRY_OK;
}

#define GLOBAL_AVERAGE_POOL_KERNEL(T, S)                                                           \
    ONNX_VECTOR_CLONES static void global_average_pool_##S(const T *x, T *y, int64_t lo,           \
                                                           int64_t hi, int64_t vol)                \
    {                                                                                              \
        for (int64_t p = lo; p < hi; p++) {                                                        \
            const T *v = x + p * vol;                                                              \
            double lane[4] = {0.0, 0.0, 0.0, 0.0}, sum = 0.0;                                      \
            int64_t i = 0;                                                                         \
            for (; i + 4 <= vol; i += 4)                                                           \
                for (int k = 0; k < 4; k++)                                                        \
                    lane[k] += v[i + k];                                                           \
            for (; i < vol; i++)                                                                   \
                sum += v[i];                                                                       \
            sum += (lane[0] + lane[2]) + (lane[1] + lane[3]);                                      \
            y[p] = vol > 0 ? (T)(sum / (double)vol) : (T)NAN;                                      \
        }                                                                                          \
    }
GLOBAL_AVERAGE_POOL_KERNEL(float, f32)
GLOBAL_AVERAGE_POOL_KERNEL(double, f64)

/* Channels-last input ([N, spatial..., C]): images [lo, hi), up to GAP_CL_LANES channels at a
 * time summed in double over the image's pixels, each pixel's channels one contiguous run; the
 * common channel counts expanded so that the sums stay in registers. */
#define GAP_CL_LANES 64
#define GLOBAL_AVERAGE_POOL_CL_KERNEL(T, S)                                                        \
    static inline __attribute__((always_inline)) void gap_cl_body_##S(                             \
        const T *x, T *y, int64_t lo, int64_t hi, int64_t vol, int64_t c, int64_t lanes)           \
    {                                                                                              \
        for (int64_t img = lo; img < hi; img++)                                                    \
            for (int64_t j0 = 0; j0 < c; j0 += lanes) {                                            \
                int64_t n = c - j0 < lanes ? c - j0 : lanes;                                       \
                double acc[GAP_CL_LANES] = {0};                                                    \
                const T *v = x + img * vol * c + j0;                                               \
                for (int64_t p = 0; p < vol; p++, v += c)                                          \
                    for (int64_t j = 0; j < n; j++)                                                \
                        acc[j] += v[j];                                                            \
                for (int64_t j = 0; j < n; j++)                                                    \
                    y[img * c + j0 + j] = vol > 0 ? (T)(acc[j] / (double)vol) : (T)NAN;            \
            }                                                                                      \
    }                                                                                              \
    ONNX_VECTOR_CLONES static void global_average_pool_cl_##S(const T *x, T *y, int64_t lo,        \
                                                              int64_t hi, int64_t vol, int64_t c)  \
    {                                                                                              \
        if (c == 16)                                                                               \
            gap_cl_body_##S(x, y, lo, hi, vol, 16, 16);                                            \
        else if (c == 32)                                                                          \
            gap_cl_body_##S(x, y, lo, hi, vol, 32, 32);                                            \
        else                                                                                       \
            gap_cl_body_##S(x, y, lo, hi, vol, c, GAP_CL_LANES);                                   \
    }
GLOBAL_AVERAGE_POOL_CL_KERNEL(float, f32)
GLOBAL_AVERAGE_POOL_CL_KERNEL(double, f64)

/* float channels-last in blocks of 8 channels: the sums as vectors of 8 doubles, which the
 * compiler keeps in registers (an array of sums it keeps in memory, one store and load per add). */
typedef float gap_f8 __attribute__((vector_size(32)));
typedef double gap_d8 __attribute__((vector_size(64)));
#define GAP_CL_BLOCKS 4 /* up to 32 channels per pass over the pixels */

static inline __attribute__((always_inline)) void gap_cl_f8_body(const float *x, float *y,
                                                                 int64_t vol, int64_t c, int nb)
{
    for (int64_t j0 = 0; j0 + 8 * nb <= c; j0 += 8 * nb) {
        gap_d8 acc[GAP_CL_BLOCKS] = {{0}};
        const float *v = x + j0;
        for (int64_t p = 0; p < vol; p++, v += c)
            for (int b = 0; b < nb; b++) {
                gap_f8 f;
                memcpy(&f, v + 8 * b, sizeof f);
                acc[b] += __builtin_convertvector(f, gap_d8);
            }
        for (int b = 0; b < nb; b++) {
            gap_f8 mean = __builtin_convertvector(acc[b] / (double)vol, gap_f8);
            memcpy(y + j0 + 8 * b, &mean, sizeof mean);
        }
    }
}

/* Images [lo, hi) of a channels-last float input whose channels are a multiple of 8 (vol > 0). */
ONNX_VECTOR_CLONES
static void global_average_pool_cl8_f32(const float *x, float *y, int64_t lo, int64_t hi,
                                        int64_t vol, int64_t c)
{
    for (int64_t img = lo; img < hi; img++) {
        const float *xi = x + img * vol * c;
        float *yi = y + img * c;
        if (c % 32 == 0)
            gap_cl_f8_body(xi, yi, vol, c, 4);
        else if (c % 16 == 0)
            gap_cl_f8_body(xi, yi, vol, c, 2);
        else
            gap_cl_f8_body(xi, yi, vol, c, 1);
    }
}

static ferry_status global_average_pool_run(const onnx_op_ctx *ctx, int ith, int nth,
                                            ferry_error *err)
{
    (void)err;
    const ferry_tensor *x = ctx->inputs[0];
    int64_t planes = x->shape[0] * x->shape[1];
    int64_t vol = planes > 0 ? onnx_numel(x) / planes : 0;
    int64_t lo, hi;
    if (ctx->layout & ONNX_LAYOUT_IN) {
        onnx_slice(x->shape[0], ith, nth, &lo, &hi);
        if (x->dtype == FERRY_DTYPE_FP32 && x->shape[1] % 8 == 0 && vol > 0)
            global_average_pool_cl8_f32(x->data, ctx->outputs[0]->data, lo, hi, vol, x->shape[1]);
        else if (x->dtype == FERRY_DTYPE_FP32)
            global_average_pool_cl_f32(x->data, ctx->outputs[0]->data, lo, hi, vol, x->shape[1]);
        else
            global_average_pool_cl_f64(x->data, ctx->outputs[0]->data, lo, hi, vol, x->shape[1]);
        return FERRY_OK;
    }
    onnx_slice(planes, ith, nth, &lo, &hi);
    if (x->dtype == FERRY_DTYPE_FP32)
        global_average_pool_f32(x->data, ctx->outputs[0]->data, lo, hi, vol);
    else
        global_average_pool_f64(x->data, ctx->outputs[0]->data, lo, hi, vol);
    return FERRY_OK;
}

/* Reads either layout; its output [N, C, 1...] is the same in both. */
static unsigned global_average_pool_layouts(const onnx_op_ctx *ctx)
{
    (void)ctx;
    return ONNX_LAYOUT_IN;
}

const onnx_op onnx_op_global_average_pool_1 = {
    .domain = "",
    .op_type = "GlobalAveragePool",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = global_average_pool_infer,
    .layouts = global_average_pool_layouts,
    .run = global_average_pool_run,
};
