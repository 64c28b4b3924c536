/* Range (ai.onnx, since 11): the 1-D sequence start, start + delta, ... up to (not including)
 * limit, of max(ceil((limit - start) / delta), 0) elements, for float, double, int16, int32 and
 * int64 scalars of one dtype. All three inputs decide the output's length, so they are read while
 * planning (constants, computed from shapes, or graph inputs: plans are then made per value);
 * values computed from other tensors are refused, as are a zero delta and more than 2^40
 * elements. */
#include <math.h>

#include "onnx/op.h"

#define RANGE_MAX_ELEMENTS ((int64_t)1 << 40)

#define RANGE_MASK (ONNX_MASK_FLOATS | ONNX_MASK(INT16) | ONNX_MASK(INT32) | ONNX_MASK(INT64))

/* A scalar input as a double (floats) or an int64 (integers). */
static double range_float(const ferry_tensor *t)
{
    return t->dtype == FERRY_DTYPE_FP32 ? *(const float *)t->data : *(const double *)t->data;
}

static int64_t range_int(const ferry_tensor *t)
{
    return t->dtype == FERRY_DTYPE_INT16   ? *(const int16_t *)t->data
           : t->dtype == FERRY_DTYPE_INT32 ? *(const int32_t *)t->data
                                           : *(const int64_t *)t->data;
}

/* The element count, failing for a zero delta or too many elements. */
static ferry_status range_count(const onnx_op_ctx *ctx, int64_t *count, ferry_error *err)
{
    const ferry_tensor *start = ctx->inputs[0], *limit = ctx->inputs[1], *delta = ctx->inputs[2];
    bool floating = start->dtype == FERRY_DTYPE_FP32 || start->dtype == FERRY_DTYPE_FP64;
    if (floating) {
        double s = range_float(start), l = range_float(limit), d = range_float(delta);
        if (d == 0 || isnan(d))
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "delta is %g", d);
        double n = ceil((l - s) / d);
        if (n > (double)RANGE_MAX_ELEMENTS)
            return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                                   "the range has too many elements");
        *count = n > 0 ? (int64_t)n : 0; /* NaN too */
        return FERRY_OK;
    }
    int64_t s = range_int(start), l = range_int(limit), d = range_int(delta);
    uint64_t n = 0;
    if (d == 0)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "delta is 0");
    if (d > 0 && l > s)
        n = ((uint64_t)l - (uint64_t)s - 1) / (uint64_t)d + 1;
    else if (d < 0 && l < s)
        n = ((uint64_t)s - (uint64_t)l - 1) / (0 - (uint64_t)d) + 1;
    if (n > (uint64_t)RANGE_MAX_ELEMENTS)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "the range has too many elements");
    *count = (int64_t)n;
    return FERRY_OK;
}

static ferry_status range_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    ferry_status st = onnx_check_dtype(ctx, 0, RANGE_MASK, err);
    for (size_t i = 1; st == FERRY_OK && i < 3; i++)
        st = onnx_check_same_dtype(ctx, 0, i, err);
    for (size_t i = 0; st == FERRY_OK && i < 3; i++) {
        const ferry_tensor *t = ctx->inputs[i];
        if (onnx_numel(t) != 1)
            st = onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "'%s' must be a scalar",
                                 t->name);
        else if (t->data == NULL)
            st = onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node,
                                 "'%s' depends on tensor values; ferry needs start, limit and "
                                 "delta known while planning",
                                 t->name);
    }
    int64_t count;
    if (st == FERRY_OK)
        st = range_count(ctx, &count, err);
    if (st == FERRY_OK)
        onnx_set_output(ctx, 0, ctx->inputs[0]->dtype, 1, &count);
    return st;
}

#define RANGE_FILL_FLOAT(T, S)                                                                     \
    static void range_##S(void *py, double start, double delta, int64_t lo, int64_t hi)            \
    {                                                                                              \
        T *y = py, s = (T)start, d = (T)delta;                                                     \
        for (int64_t i = lo; i < hi; i++)                                                          \
            y[i] = s + (T)i * d;                                                                   \
    }
RANGE_FILL_FLOAT(float, f32)
RANGE_FILL_FLOAT(double, f64)

/* Integers wrap through uint64 (the sequence itself never leaves [start, limit)). */
#define RANGE_FILL_INT(T, S)                                                                       \
    static void range_##S(void *py, int64_t start, int64_t delta, int64_t lo, int64_t hi)          \
    {                                                                                              \
        T *y = py;                                                                                 \
        for (int64_t i = lo; i < hi; i++)                                                          \
            y[i] = (T)((uint64_t)start + (uint64_t)i * (uint64_t)delta);                           \
    }
RANGE_FILL_INT(int16_t, i16)
RANGE_FILL_INT(int32_t, i32)
RANGE_FILL_INT(int64_t, i64)

static ferry_status range_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    (void)err;
    const ferry_tensor *start = ctx->inputs[0], *delta = ctx->inputs[2];
    void *y = ctx->outputs[0]->data;
    int64_t lo, hi;
    onnx_slice(onnx_numel(ctx->outputs[0]), ith, nth, &lo, &hi);
    switch (start->dtype) {
    case FERRY_DTYPE_FP32:
        range_f32(y, range_float(start), range_float(delta), lo, hi);
        break;
    case FERRY_DTYPE_FP64:
        range_f64(y, range_float(start), range_float(delta), lo, hi);
        break;
    case FERRY_DTYPE_INT16:
        range_i16(y, range_int(start), range_int(delta), lo, hi);
        break;
    case FERRY_DTYPE_INT32:
        range_i32(y, range_int(start), range_int(delta), lo, hi);
        break;
    default:
        range_i64(y, range_int(start), range_int(delta), lo, hi);
        break;
    }
    return FERRY_OK;
}

const onnx_op onnx_op_range_11 = {
    .domain = "",
    .op_type = "Range",
    .since_version = 11,
    .min_inputs = 3,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .value_inputs = (1u << 0) | (1u << 1) | (1u << 2),
    .infer = range_infer,
    .run = range_run,
};
