/* Normalizer (ai.onnx.ml, since 1): divides each row by its MAX, L1 (sum of |x|) or L2 norm
 * (y = sign(x) * sqrt(x^2 / sum(x^2))); a zero divisor leaves the row as it is. Float output for
 * float, double, int64 and int32 inputs, computed in float as ONNX Runtime does. Rows run along
 * dimension 1 ([N, C] normalizes each of N rows; [N, C, D...] each of the N*D... columns of C);
 * a vector is one row. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "onnx/ml_common.h"

typedef enum normalizer_norm { NORM_MAX, NORM_L1, NORM_L2 } normalizer_norm;

typedef struct normalizer_params {
    normalizer_norm norm;
} normalizer_params;

static ferry_status normalizer_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    normalizer_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    const char *norm;
    ferry_status st = onnx_attr_string(n, "norm", "MAX", &norm, err);
    if (st != FERRY_OK)
        return st;
    if (strcmp(norm, "MAX") == 0)
        p->norm = NORM_MAX;
    else if (strcmp(norm, "L1") == 0)
        p->norm = NORM_L1;
    else if (strcmp(norm, "L2") == 0)
        p->norm = NORM_L2;
    else
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "norm '%s' is not MAX, L1 or L2", norm);
    return FERRY_OK;
}

static ferry_status normalizer_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const ferry_tensor *x = ctx->inputs[0];
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_ML_MASK_FEATURES, err);
    if (st == FERRY_OK && x->ndim < 1)
        st = onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "X must have a dimension");
    if (st == FERRY_OK)
        onnx_set_output(ctx, 0, FERRY_DTYPE_FP32, x->ndim, x->shape);
    return st;
}

/* Element i of x as double. */
static double value_at(const ferry_tensor *x, int64_t i)
{
    switch (x->dtype) {
    case FERRY_DTYPE_FP32:
        return ((const float *)x->data)[i];
    case FERRY_DTYPE_FP64:
        return ((const double *)x->data)[i];
    case FERRY_DTYPE_INT64:
        return (double)((const int64_t *)x->data)[i];
    default:
        return ((const int32_t *)x->data)[i];
    }
}

/* Normalizes the `len` elements at start, start + step, ... */
static void normalize(normalizer_norm norm, const ferry_tensor *x, float *y, int64_t start,
                      int64_t len, int64_t step)
{
    float d = 0;
    if (norm == NORM_MAX) {
        d = -FLT_MAX;
        for (int64_t s = 0, i = start; s < len; s++, i += step)
            d = fmaxf(d, (float)value_at(x, i));
    } else {
        for (int64_t s = 0, i = start; s < len; s++, i += step) {
            double v = value_at(x, i);
            d += norm == NORM_L1 ? (float)fabs(v) : (float)(v * v);
        }
    }
    for (int64_t s = 0, i = start; s < len; s++, i += step) {
        double v = value_at(x, i);
        if (d == 0)
            y[i] = (float)v;
        else if (norm == NORM_L2)
            y[i] = v < 0 ? -sqrtf((float)(v * v) / d) : sqrtf((float)(v * v) / d);
        else
            y[i] = (float)v / d;
    }
}

static ferry_status normalizer_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    (void)err;
    const normalizer_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    int64_t len = x->ndim == 1 ? x->shape[0] : x->shape[1], step = 1;
    for (int d = 2; d < x->ndim; d++)
        step *= x->shape[d];
    int64_t groups = len > 0 ? onnx_numel(x) / len : 0, lo, hi;
    onnx_slice(groups, ith, nth, &lo, &hi);
    for (int64_t g = lo; g < hi; g++)
        normalize(p->norm, x, ctx->outputs[0]->data, g % step + g / step * len * step, len, step);
    return FERRY_OK;
}

const onnx_op onnx_op_normalizer_1 = {
    .domain = ONNX_ML_DOMAIN,
    .op_type = "Normalizer",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = normalizer_prepare,
    .infer = normalizer_infer,
    .run = normalizer_run,
};
