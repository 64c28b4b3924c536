/* LinearRegressor (ai.onnx.ml, since 1): Y[n, t] = X[n] . coefficients[t] + intercepts[t] for
 * `targets` targets (default 1), as float, from float, double, int64 or int32 rows ([N, C] or one
 * [C] row). post_transform applies per row as ONNX Runtime does: to every target when there are
 * several, only PROBIT when there is one. Float input goes through dnnl_sgemm over the thread's
 * rows; other dtypes are converted row by row into scratch. */
#include "onnx/blas.h"
#include "onnx/ml_common.h"

typedef struct linear_regressor_params {
    const float *coef, *intercepts;
    size_t n_coef, n_intercepts;
    int64_t targets;
    onnx_ml_transform transform;
} linear_regressor_params;

static ferry_status lr_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    linear_regressor_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    ferry_status st = onnx_attr_floats(n, "coefficients", &p->coef, &p->n_coef, err);
    if (st == FERRY_OK)
        st = onnx_attr_floats(n, "intercepts", &p->intercepts, &p->n_intercepts, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "targets", 1, &p->targets, err);
    if (st == FERRY_OK)
        st = onnx_ml_read_transform(n, &p->transform, err);
    if (st != FERRY_OK)
        return st;
    if (p->targets < 1 || p->targets > (int64_t)1 << 30)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "targets %lld is out of range",
                               (long long)p->targets);
    if (p->n_intercepts != 0 && (int64_t)p->n_intercepts != p->targets)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "%zu intercepts for %lld targets",
                               p->n_intercepts, (long long)p->targets);
    return FERRY_OK;
}

static ferry_status lr_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const linear_regressor_params *p = ctx->node->params;
    int64_t rows, features;
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_ML_MASK_FEATURES, err);
    if (st == FERRY_OK)
        st = onnx_ml_rows(ctx, ctx->inputs[0], &rows, &features, err);
    if (st != FERRY_OK)
        return st;
    if ((int64_t)p->n_coef % p->targets != 0 || (int64_t)p->n_coef / p->targets != features)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "%zu coefficients for %lld targets of %lld features", p->n_coef,
                               (long long)p->targets, (long long)features);
    int64_t shape[2] = {rows, p->targets};
    onnx_set_output(ctx, 0, FERRY_DTYPE_FP32, 2, shape);
    return FERRY_OK;
}

static size_t lr_plan(const onnx_op_ctx *ctx)
{
    const ferry_tensor *x = ctx->inputs[0];
    return x->dtype == FERRY_DTYPE_FP32 ? 0 : (size_t)x->shape[x->ndim - 1] * sizeof(float);
}

static ferry_status lr_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    const linear_regressor_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    float *y = ctx->outputs[0]->data;
    int64_t rows = x->ndim == 2 ? x->shape[0] : 1, features = x->shape[x->ndim - 1];
    int64_t t = p->targets, lo, hi;
    onnx_slice(rows, ith, nth, &lo, &hi);
    if (hi <= lo)
        return FERRY_OK;
    for (int64_t r = lo; r < hi; r++)
        for (int64_t k = 0; k < t; k++)
            y[r * t + k] = p->n_intercepts > 0 ? p->intercepts[k] : 0.0f;
    if (x->dtype == FERRY_DTYPE_FP32 && features > 0) {
        ferry_status st = onnx_sgemm(false, true, hi - lo, t, features, 1.0f,
                                     (const float *)x->data + lo * features, features, p->coef,
                                     features, 1.0f, y + lo * t, t);
        if (st != FERRY_OK)
            return onnx_node_error(err, st, ctx->node, "GEMM failed");
    } else if (features > 0) {
        for (int64_t r = lo; r < hi; r++) {
            const float *row = onnx_ml_row(x, r, features, onnx_scratch(ctx, ith));
            for (int64_t k = 0; k < t; k++) {
                float sum = 0;
                for (int64_t j = 0; j < features; j++)
                    sum += row[j] * p->coef[k * features + j];
                y[r * t + k] += sum;
            }
        }
    }
    for (int64_t r = lo; r < hi && (t > 1 || p->transform == ONNX_ML_PROBIT); r++)
        onnx_ml_transform_row(p->transform, y + r * t, t);
    return FERRY_OK;
}

const onnx_op onnx_op_linear_regressor_1 = {
    .domain = ONNX_ML_DOMAIN,
    .op_type = "LinearRegressor",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = lr_prepare,
    .infer = lr_infer,
    .plan = lr_plan,
    .run = lr_run,
};
