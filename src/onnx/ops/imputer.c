/* Imputer (ai.onnx.ml, since 1): replaces elements equal to the replaced value (NaN matches NaN)
 * by the imputed value, one per feature or one for all; the others pass unchanged. Float and
 * double use imputed_value_floats and replaced_value_float, int64 and int32 imputed_value_int64s
 * and replaced_value_int64. Feature j of flattened element i is i mod F, F being dimension 1
 * (dimension 0 of a vector), as ONNX Runtime counts. */
#include <math.h>

#include "onnx/ml_common.h"

typedef struct imputer_params {
    const float *floats;
    const int64_t *ints;
    size_t n_floats, n_ints;
    float replaced_float;
    int64_t replaced_int;
} imputer_params;

static ferry_status imputer_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    imputer_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    ferry_status st = onnx_attr_floats(n, "imputed_value_floats", &p->floats, &p->n_floats, err);
    if (st == FERRY_OK)
        st = onnx_attr_ints(n, "imputed_value_int64s", &p->ints, &p->n_ints, err);
    if (st == FERRY_OK)
        st = onnx_attr_float(n, "replaced_value_float", 0.0f, &p->replaced_float, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "replaced_value_int64", 0, &p->replaced_int, err);
    if (st == FERRY_OK && (p->n_floats > 0) == (p->n_ints > 0))
        st = onnx_node_error(err, FERRY_INVALID_ARG, n,
                             "exactly one of imputed_value_floats and imputed_value_int64s must "
                             "be set");
    return st;
}

static int64_t imputer_stride(const ferry_tensor *x)
{
    return x->ndim == 1 ? x->shape[0] : x->shape[1];
}

static ferry_status imputer_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const imputer_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    bool floating = x->dtype == FERRY_DTYPE_FP32 || x->dtype == FERRY_DTYPE_FP64;
    size_t n = floating ? p->n_floats : p->n_ints;
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_ML_MASK_FEATURES, err);
    if (st != FERRY_OK)
        return st;
    if (x->ndim < 1)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node, "X must have a dimension");
    if (n == 0)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "X holds %s but only imputed_value_%s are given",
                               ferry_dtype_name(x->dtype), floating ? "int64s" : "floats");
    if (n > 1 && (int64_t)n != imputer_stride(x))
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "%zu imputed values for %lld features; give 1 or one per feature", n,
                               (long long)imputer_stride(x));
    onnx_set_output(ctx, 0, x->dtype, x->ndim, x->shape);
    return FERRY_OK;
}

#define IMPUTE(T, VALUES, N, REPLACED, SAME)                                                       \
    do {                                                                                           \
        const T *x = ctx->inputs[0]->data;                                                         \
        T *y = ctx->outputs[0]->data;                                                              \
        for (int64_t i = lo; i < hi; i++)                                                          \
            y[i] = SAME(x[i], REPLACED) ? (T)(VALUES)[(N) > 1 ? i % f : 0] : x[i];                 \
    } while (0)
#define SAME_FLOAT(a, b) ((a) == (b) || (isnan(a) && isnan(b)))
#define SAME_INT(a, b)   ((a) == (b))

static ferry_status imputer_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    (void)err;
    const imputer_params *p = ctx->node->params;
    int64_t f = imputer_stride(ctx->inputs[0]), lo, hi;
    onnx_slice(onnx_numel(ctx->inputs[0]), ith, nth, &lo, &hi);
    switch (ctx->inputs[0]->dtype) {
    case FERRY_DTYPE_FP32:
        IMPUTE(float, p->floats, p->n_floats, p->replaced_float, SAME_FLOAT);
        break;
    case FERRY_DTYPE_FP64:
        IMPUTE(double, p->floats, p->n_floats, (double)p->replaced_float, SAME_FLOAT);
        break;
    case FERRY_DTYPE_INT64:
        IMPUTE(int64_t, p->ints, p->n_ints, p->replaced_int, SAME_INT);
        break;
    default:
        IMPUTE(int32_t, p->ints, p->n_ints, p->replaced_int, SAME_INT);
        break;
    }
    return FERRY_OK;
}

const onnx_op onnx_op_imputer_1 = {
    .domain = ONNX_ML_DOMAIN,
    .op_type = "Imputer",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = imputer_prepare,
    .infer = imputer_infer,
    .run = imputer_run,
};
