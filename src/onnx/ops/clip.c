/* Clip (ai.onnx): limits every element to [min, max] (when min > max every element becomes max;
 * NaN stays NaN), in two definitions:
 *   since 6: min and max are float attributes (default: float's lowest and largest value), for
 *     float and double;
 *   since 11: min and max are optional one-element inputs of the input's dtype, read per
 *     inference, for every numeric dtype (integers are opset 12's, accepted from 11).
 * Opset 1 (consumed_inputs) is not registered. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "onnx/elementwise.h"

typedef struct clip_params {
    float min, max; /* opset 6 */
} clip_params;

/* X(dtype, C type, short name, lowest, largest). */
#define CLIP_TYPES(X)                                                                              \
    X(FP32, float, f32, -INFINITY, INFINITY)                                                       \
    X(FP64, double, f64, -INFINITY, INFINITY)                                                      \
    X(INT8, int8_t, i8, INT8_MIN, INT8_MAX)                                                        \
    X(INT16, int16_t, i16, INT16_MIN, INT16_MAX)                                                   \
    X(INT32, int32_t, i32, INT32_MIN, INT32_MAX)                                                   \
    X(INT64, int64_t, i64, INT64_MIN, INT64_MAX)                                                   \
    X(UINT8, uint8_t, u8, 0, UINT8_MAX)                                                            \
    X(UINT16, uint16_t, u16, 0, UINT16_MAX)                                                        \
    X(UINT32, uint32_t, u32, 0, UINT32_MAX)                                                        \
    X(UINT64, uint64_t, u64, 0, UINT64_MAX)

/* Clips x[lo, hi) into y; `lo_v`/`hi_v` point at one element of the dtype each, or are NULL for
 * no bound on that side. */
#define CLIP_KERNEL(D, T, S, LOWEST, LARGEST)                                                      \
    static void clip_##S(const void *px, void *py, int64_t lo, int64_t hi, const void *pmin,       \
                         const void *pmax)                                                         \
    {                                                                                              \
        const T *x = px;                                                                           \
        T *y = py;                                                                                 \
        T min = LOWEST, max = LARGEST;                                                             \
        if (pmin != NULL)                                                                          \
            memcpy(&min, pmin, sizeof min);                                                        \
        if (pmax != NULL)                                                                          \
            memcpy(&max, pmax, sizeof max);                                                        \
        for (int64_t i = lo; i < hi; i++) {                                                        \
            T v = x[i] < min ? min : x[i];                                                         \
            y[i] = v > max ? max : v;                                                              \
        }                                                                                          \
    }
CLIP_TYPES(CLIP_KERNEL)

typedef void (*clip_kernel)(const void *x, void *y, int64_t lo, int64_t hi, const void *min,
                            const void *max);

static const clip_kernel clip_kernels[FERRY_DTYPE_COUNT] = {
#define CLIP_ROW(D, T, S, LOWEST, LARGEST) [FERRY_DTYPE_##D] = clip_##S,
    CLIP_TYPES(CLIP_ROW)};

static ferry_status clip_6_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    clip_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    ferry_status st = onnx_attr_float(n, "min", -FLT_MAX, &p->min, err);
    if (st == FERRY_OK)
        st = onnx_attr_float(n, "max", FLT_MAX, &p->max, err);
    return st;
}

static ferry_status clip_6_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    return onnx_unary_infer(ctx, ONNX_MASK_FLOATS, err);
}

static ferry_status clip_11_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    ferry_status st = onnx_unary_infer(ctx, ONNX_MASK_NUMERIC, err);
    for (size_t i = 1; st == FERRY_OK && i < 3; i++) {
        const ferry_tensor *bound = onnx_in(ctx, i);
        st = onnx_check_same_dtype(ctx, 0, i, err);
        if (st == FERRY_OK && bound != NULL && onnx_numel(bound) != 1)
            st = onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                 "%s ('%s') must hold one element", i == 1 ? "min" : "max",
                                 bound->name);
    }
    return st;
}

static void clip_slice(const onnx_op_ctx *ctx, int ith, int nth, const void *min, const void *max)
{
    int64_t lo, hi;
    onnx_slice(onnx_numel(ctx->inputs[0]), ith, nth, &lo, &hi);
    clip_kernels[ctx->inputs[0]->dtype](ctx->inputs[0]->data, ctx->outputs[0]->data, lo, hi, min,
                                        max);
}

static ferry_status clip_6_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    (void)err;
    const clip_params *p = ctx->node->params;
    if (ctx->inputs[0]->dtype == FERRY_DTYPE_FP32) {
        clip_slice(ctx, ith, nth, &p->min, &p->max);
    } else {
        double min = p->min, max = p->max;
        clip_slice(ctx, ith, nth, &min, &max);
    }
    return FERRY_OK;
}

static ferry_status clip_11_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    (void)err;
    const ferry_tensor *min = onnx_in(ctx, 1), *max = onnx_in(ctx, 2);
    clip_slice(ctx, ith, nth, min != NULL ? min->data : NULL, max != NULL ? max->data : NULL);
    return FERRY_OK;
}

const onnx_op onnx_op_clip_6 = {
    .domain = "",
    .op_type = "Clip",
    .since_version = 6,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = clip_6_prepare,
    .infer = clip_6_infer,
    .run = clip_6_run,
};

const onnx_op onnx_op_clip_11 = {
    .domain = "",
    .op_type = "Clip",
    .since_version = 11,
    .min_inputs = 1,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = clip_11_infer,
    .run = clip_11_run,
};
