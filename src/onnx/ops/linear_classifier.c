/* LinearClassifier (ai.onnx.ml, since 1): scores Z[n, e] = X[n] . coefficients[e] +
 * intercepts[e] for E classes (E = intercepts' count, or coefficients / features), from float,
 * double, int64 or int32 rows ([N, C] or one [C] row); labels Y[n] from classlabels_ints or
 * classlabels_strings. As ONNX Runtime computes it:
 *   E > 1: Y is the label of the first highest raw score; post_transform applies to each row.
 *   E = 1: Y is labels[1] when the score is > 0, else labels[0] (1 and 0, or "1" and "0", without
 *          two labels). With two labels Z gets two columns [1 - s, s] (post_transform is not
 *          applied; PROBIT is refused, ONNX Runtime leaves the second column undefined); without,
 *          Z is [N, 1] and only PROBIT applies.
 * multi_class is accepted and has no effect (ONNX Runtime ignores it too). */
#include "onnx/blas.h"
#include "onnx/ml_common.h"

typedef struct linear_classifier_params {
    const float *coef, *intercepts;
    size_t n_coef, n_intercepts;
    onnx_ml_labels labels;
    onnx_ml_transform transform;
} linear_classifier_params;

static const onnx_string one_string = {.data = "1", .len = 1};
static const onnx_string zero_string = {.data = "0", .len = 1};

static ferry_status lc_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    linear_classifier_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    int64_t multi_class;
    ferry_status st = onnx_attr_floats(n, "coefficients", &p->coef, &p->n_coef, err);
    if (st == FERRY_OK)
        st = onnx_attr_floats(n, "intercepts", &p->intercepts, &p->n_intercepts, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "multi_class", 0, &multi_class, err);
    if (st == FERRY_OK)
        st = onnx_ml_read_transform(n, &p->transform, err);
    if (st == FERRY_OK)
        st = onnx_ml_read_labels(g, n, "classlabels_ints", "classlabels_strings", &p->labels, err);
    if (st == FERRY_OK && p->n_coef == 0)
        st = onnx_node_error(err, FERRY_INVALID_ARG, n, "coefficients are missing");
    if (st == FERRY_OK && (n->outputs[0] < 0 || n->outputs[1] < 0))
        st = onnx_node_error(err, FERRY_INVALID_ARG, n, "outputs Y and Z are both required");
    return st;
}

/* Classes (rows of coefficients) for inputs of `features` columns; 0 when they do not fit. */
static int64_t lc_classes(const linear_classifier_params *p, int64_t features)
{
    if (features <= 0)
        return 0;
    int64_t n = (int64_t)p->n_coef;
    int64_t e = p->n_intercepts > 0 ? (int64_t)p->n_intercepts : n / features;
    return e > 0 && n % e == 0 && n / e == features ? e : 0;
}

/* A binary model with one coefficient row and two labels: Z gets a column per label. */
static bool second_class(const linear_classifier_params *p, int64_t classes)
{
    return classes == 1 && p->labels.n == 2;
}

static ferry_status lc_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const linear_classifier_params *p = ctx->node->params;
    int64_t rows, features;
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_ML_MASK_FEATURES, err);
    if (st == FERRY_OK)
        st = onnx_ml_rows(ctx, ctx->inputs[0], &rows, &features, err);
    if (st != FERRY_OK)
        return st;
    int64_t e = lc_classes(p, features);
    if (e == 0)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "%zu coefficients and %zu intercepts do not fit %lld features",
                               p->n_coef, p->n_intercepts, (long long)features);
    if (e > 1 && (int64_t)p->labels.n < e)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "%zu class labels for %lld classes", p->labels.n, (long long)e);
    if (second_class(p, e) && p->transform == ONNX_ML_PROBIT)
        return onnx_node_error(err, FERRY_UNSUPPORTED, ctx->node,
                               "post_transform PROBIT with one coefficient row and two labels "
                               "is not supported");
    int64_t y_shape[1] = {rows}, z_shape[2] = {rows, second_class(p, e) ? 2 : e};
    onnx_set_output(ctx, 0, onnx_ml_label_dtype(&p->labels), 1, y_shape);
    onnx_set_output(ctx, 1, FERRY_DTYPE_FP32, 2, z_shape);
    return FERRY_OK;
}

static size_t lc_plan(const onnx_op_ctx *ctx)
{
    const ferry_tensor *x = ctx->inputs[0];
    return x->dtype == FERRY_DTYPE_FP32 ? 0 : (size_t)x->shape[x->ndim - 1] * sizeof(float);
}

/* Raw scores of rows [lo, hi) into z, which points at row lo (`ldz` floats per row). */
static ferry_status lc_scores(const onnx_op_ctx *ctx, int64_t classes, int64_t lo, int64_t hi,
                              float *z, int64_t ldz, float *scratch, ferry_error *err)
{
    const linear_classifier_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    int64_t features = x->shape[x->ndim - 1];
    for (int64_t r = 0; r < hi - lo; r++)
        for (int64_t e = 0; e < classes; e++)
            z[r * ldz + e] = p->n_intercepts > 0 ? p->intercepts[e] : 0.0f;
    if (x->dtype == FERRY_DTYPE_FP32 && hi > lo && features > 0) {
        ferry_status st = onnx_sgemm(false, true, hi - lo, classes, features, 1.0f,
                                     (const float *)x->data + lo * features, features, p->coef,
                                     features, 1.0f, z, ldz);
        return st == FERRY_OK ? FERRY_OK : onnx_node_error(err, st, ctx->node, "GEMM failed");
    }
    for (int64_t r = lo; r < hi && features > 0; r++) {
        const float *row = onnx_ml_row(x, r, features, scratch);
        for (int64_t e = 0; e < classes; e++) {
            float sum = 0;
            for (int64_t j = 0; j < features; j++)
                sum += row[j] * p->coef[e * features + j];
            z[(r - lo) * ldz + e] += sum;
        }
    }
    return FERRY_OK;
}

/* Label of row r from its raw scores s, then the scores as Z holds them. */
static void lc_finish_row(const linear_classifier_params *p, int64_t classes, float *s, void *y,
                          int64_t r)
{
    if (classes > 1) {
        int64_t best = 0;
        for (int64_t k = 1; k < classes; k++)
            best = s[k] > s[best] ? k : best;
        onnx_ml_write_label(&p->labels, (size_t)best, y, r);
        onnx_ml_transform_row(p->transform, s, classes);
        return;
    }
    bool pos = s[0] > 0;
    if (p->labels.n == 2)
        onnx_ml_write_label(&p->labels, pos, y, r);
    else if (p->labels.strings)
        ((onnx_string *)y)[r] = pos ? one_string : zero_string;
    else
        ((int64_t *)y)[r] = pos;
    if (second_class(p, classes)) {
        s[1] = s[0];
        s[0] = 1.0f - s[0];
    } else if (p->transform == ONNX_ML_PROBIT) {
        s[0] = onnx_ml_probit(s[0]);
    }
}

static ferry_status lc_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    const linear_classifier_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    int64_t rows = x->ndim == 2 ? x->shape[0] : 1, features = x->shape[x->ndim - 1];
    int64_t e = lc_classes(p, features), ldz = second_class(p, e) ? 2 : e, lo, hi;
    onnx_slice(rows, ith, nth, &lo, &hi);
    float *z = (float *)ctx->outputs[1]->data + lo * ldz;
    ferry_status st = lc_scores(ctx, e, lo, hi, z, ldz, onnx_scratch(ctx, ith), err);
    for (int64_t r = lo; st == FERRY_OK && r < hi; r++)
        lc_finish_row(p, e, z + (r - lo) * ldz, ctx->outputs[0]->data, r);
    return st;
}

const onnx_op onnx_op_linear_classifier_1 = {
    .domain = ONNX_ML_DOMAIN,
    .op_type = "LinearClassifier",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 2,
    .max_outputs = 2,
    .flags = ONNX_OP_STRINGS,
    .prepare = lc_prepare,
    .infer = lc_infer,
    .plan = lc_plan,
    .run = lc_run,
};
