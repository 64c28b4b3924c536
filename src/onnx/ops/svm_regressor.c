/* SVMRegressor (ai.onnx.ml, since 1): Y[n, 0] = sum_v coefficients[v] K(X[n], support_vector[v])
 * + rho[0] over n_supports support vectors (kernels in svm.h), or X[n] . coefficients + rho[0]
 * when n_supports is 0 (a linear model); one_class turns Y into +1 / -1 by its sign. Float output
 * from float, double, int64 or int32 rows ([N, C] or one [C] row). post_transform is accepted and,
 * as in ONNX Runtime, not applied. */
#include "onnx/ml_common.h"
#include "onnx/svm.h"

typedef struct svm_regressor_params {
    onnx_svm_kernel kernel;
    const float *sv, *coef, *rho;
    size_t n_sv, n_coef, n_rho;
    int64_t vectors;  /* support vectors; 0 in linear mode */
    int64_t features; /* of X */
    bool one_class;
} svm_regressor_params;

static ferry_status svr_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    svm_regressor_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    int64_t one_class;
    onnx_ml_transform transform;
    ferry_status st = onnx_svm_read_kernel(n, &p->kernel, err);
    if (st == FERRY_OK)
        st = onnx_attr_floats(n, "support_vectors", &p->sv, &p->n_sv, err);
    if (st == FERRY_OK)
        st = onnx_attr_floats(n, "coefficients", &p->coef, &p->n_coef, err);
    if (st == FERRY_OK)
        st = onnx_attr_floats(n, "rho", &p->rho, &p->n_rho, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "n_supports", 0, &p->vectors, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "one_class", 0, &one_class, err);
    if (st == FERRY_OK)
        st = onnx_ml_read_transform(n, &transform, err);
    if (st != FERRY_OK)
        return st;
    p->one_class = one_class != 0;
    if (p->n_rho < 1 || p->n_coef < 1)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "rho and coefficients must be set");
    if (p->vectors < 0 ||
        (p->vectors > 0 && ((int64_t)p->n_sv % p->vectors != 0 || (int64_t)p->n_coef < p->vectors)))
        return onnx_node_error(err, FERRY_INVALID_ARG, n,
                               "%zu support vector values and %zu coefficients do not fit "
                               "n_supports %lld",
                               p->n_sv, p->n_coef, (long long)p->vectors);
    if (p->vectors == 0)
        p->kernel.type = ONNX_SVM_LINEAR; /* as ONNX Runtime: a linear model has no kernel */
    p->features = p->vectors > 0 ? (int64_t)p->n_sv / p->vectors : (int64_t)p->n_coef;
    return FERRY_OK;
}

static ferry_status svr_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const svm_regressor_params *p = ctx->node->params;
    int64_t rows, features;
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_ML_MASK_FEATURES, err);
    if (st == FERRY_OK)
        st = onnx_ml_rows(ctx, ctx->inputs[0], &rows, &features, err);
    if (st != FERRY_OK)
        return st;
    if (features != p->features)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "X has %lld features; the model takes %lld", (long long)features,
                               (long long)p->features);
    int64_t shape[2] = {rows, 1};
    onnx_set_output(ctx, 0, FERRY_DTYPE_FP32, 2, shape);
    return FERRY_OK;
}

static size_t svr_plan(const onnx_op_ctx *ctx)
{
    const svm_regressor_params *p = ctx->node->params;
    return (size_t)p->features * sizeof(float);
}

static ferry_status svr_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    (void)err;
    const svm_regressor_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    float *y = ctx->outputs[0]->data;
    int64_t rows = x->ndim == 2 ? x->shape[0] : 1, f = p->features, lo, hi;
    onnx_slice(rows, ith, nth, &lo, &hi);
    for (int64_t r = lo; r < hi; r++) {
        const float *row = onnx_ml_row(x, r, f, onnx_scratch(ctx, ith));
        double sum = p->rho[0];
        if (p->vectors == 0)
            sum += onnx_svm_eval(&p->kernel, row, p->coef, f);
        for (int64_t v = 0; v < p->vectors; v++)
            sum += (double)p->coef[v] * onnx_svm_eval(&p->kernel, row, p->sv + v * f, f);
        y[r] = p->one_class ? (sum > 0 ? 1.0f : -1.0f) : (float)sum;
    }
    return FERRY_OK;
}

const onnx_op onnx_op_svm_regressor_1 = {
    .domain = ONNX_ML_DOMAIN,
    .op_type = "SVMRegressor",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = svr_prepare,
    .infer = svr_infer,
    .plan = svr_plan,
    .run = svr_run,
};
