/* SVMClassifier (ai.onnx.ml, since 1): a libsvm (support vectors, one-vs-one) or liblinear model
 * (no support vectors) over float, double, int64 or int32 rows ([N, C] or one [C] row), labels Y
 * from classlabels_ints or classlabels_strings and scores Z, as ONNX Runtime computes them:
 *   liblinear: Z[n, c] = X[n] . coefficients[c] + rho[0] for each of the K classes; Y is the
 *              first highest score's label (two classes without prob_a: labels[1] when the top
 *              score is >= 0.5 with all coefficients >= 0, or > 0 otherwise).
 *   libsvm:    for each class pair (i, j), i < j, the decision value d = sum of the dual
 *              coefficients times the kernel values (svm.h) of both classes' support vectors +
 *              rho[pair]; d > 0 votes for i, else j. Y is the first most voted label. Without
 *              prob_a / prob_b Z holds the K(K-1)/2 decision values, for two classes [-d, d]
 *              ([1 - d, d] with a post_transform other than NONE); with them, Platt's pairwise
 *              probabilities 1 - logistic(d A + B) coupled into K class probabilities (libsvm's
 *              multiclass_probability, in float).
 * post_transform then applies per row when Z has more than one score per row (for one score, only
 * PROBIT). PROBIT on a two-class libsvm model without probabilities is refused: ONNX Runtime leaves
 * its second score undefined. Kernels are evaluated in double. Scratch holds one row's features,
 * kernel values, votes and probability matrices; nothing is allocated at run time. */
#include <math.h>

#include "onnx/ml_common.h"
#include "onnx/svm.h"

typedef struct svm_classifier_params {
    onnx_svm_kernel kernel;
    onnx_ml_transform transform;
    onnx_ml_labels labels;
    const float *sv, *coef, *rho, *prob_a, *prob_b;
    size_t n_sv, n_coef, n_rho, n_prob;
    const int64_t *per_class; /* support vectors per class */
    int64_t *first;           /* index of each class's first support vector */
    int64_t classes, vectors, features, pairs;
    bool svc;          /* libsvm (support vectors) rather than liblinear */
    bool all_positive; /* every coefficient >= 0 */
} svm_classifier_params;

/* One row's scratch: kernel values (double), then features, decision values, votes (int32) and,
 * only for a libsvm model with probabilities, the pairwise matrix, libsvm's Q and Qp (float). */
typedef struct svc_scratch {
    double *kernels;
    float *features, *decisions, *pairwise, *q, *qp;
    int32_t *votes;
} svc_scratch;

static size_t svc_scratch_bytes(const svm_classifier_params *p)
{
    size_t k = (size_t)p->classes, kk = p->svc && p->n_prob > 0 ? k : 0;
    size_t floats = (size_t)p->features + (size_t)p->pairs + k + 2 * kk * k + kk;
    return (size_t)p->vectors * sizeof(double) + floats * sizeof(float);
}

static svc_scratch svc_layout(const svm_classifier_params *p, void *base)
{
    size_t k = (size_t)p->classes, kk = p->svc && p->n_prob > 0 ? k : 0;
    svc_scratch s;
    s.kernels = base;
    s.features = (float *)(s.kernels + p->vectors);
    s.decisions = s.features + p->features;
    s.votes = (int32_t *)(s.decisions + p->pairs);
    s.pairwise = (float *)(s.votes + k);
    s.q = s.pairwise + kk * k;
    s.qp = s.q + kk * k;
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* Attributes                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static ferry_status svc_read(onnx_graph *g, onnx_node *n, svm_classifier_params *p,
                             ferry_error *err)
{
    size_t n_per_class, n_prob_b;
    ferry_status st = onnx_svm_read_kernel(n, &p->kernel, err);
    if (st == FERRY_OK)
        st = onnx_ml_read_transform(n, &p->transform, err);
    if (st == FERRY_OK)
        st = onnx_ml_read_labels(g, n, "classlabels_ints", "classlabels_strings", &p->labels, err);
    if (st == FERRY_OK)
        st = onnx_attr_floats(n, "support_vectors", &p->sv, &p->n_sv, err);
    if (st == FERRY_OK)
        st = onnx_attr_floats(n, "coefficients", &p->coef, &p->n_coef, err);
    if (st == FERRY_OK)
        st = onnx_attr_floats(n, "rho", &p->rho, &p->n_rho, err);
    if (st == FERRY_OK)
        st = onnx_attr_floats(n, "prob_a", &p->prob_a, &p->n_prob, err);
    if (st == FERRY_OK)
        st = onnx_attr_floats(n, "prob_b", &p->prob_b, &n_prob_b, err);
    if (st == FERRY_OK)
        st = onnx_attr_ints(n, "vectors_per_class", &p->per_class, &n_per_class, err);
    if (st != FERRY_OK)
        return st;
    if (n_prob_b != p->n_prob)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "prob_a has %zu values, prob_b %zu",
                               p->n_prob, n_prob_b);
    p->classes = (int64_t)p->labels.n;
    if (p->classes > 65535)
        return onnx_node_error(err, FERRY_UNSUPPORTED, n, "%lld classes; at most 65535",
                               (long long)p->classes);
    p->pairs = p->classes * (p->classes - 1) / 2;
    for (size_t c = 0; c < n_per_class; c++) {
        if (p->per_class[c] < 0 || p->per_class[c] > (int64_t)p->n_sv - p->vectors)
            return onnx_node_error(err, FERRY_INVALID_ARG, n,
                                   "vectors_per_class[%zu] is out of range for %zu support vector "
                                   "values",
                                   c, p->n_sv);
        p->vectors += p->per_class[c];
    }
    p->svc = p->vectors > 0;
    if (p->svc && (int64_t)n_per_class != p->classes)
        return onnx_node_error(err, FERRY_INVALID_ARG, n,
                               "vectors_per_class has %zu entries for %lld classes", n_per_class,
                               (long long)p->classes);
    return FERRY_OK;
}

/* Checks that every array the run reads is long enough. */
static ferry_status svc_check(const onnx_node *n, svm_classifier_params *p, ferry_error *err)
{
    if (p->n_coef == 0 || p->n_rho == 0 || p->classes == 0)
        return onnx_node_error(err, FERRY_INVALID_ARG, n,
                               "coefficients, rho and class labels must be set");
    if (!p->svc) {
        p->features = (int64_t)p->n_coef / p->classes;
        if (p->features * p->classes != (int64_t)p->n_coef)
            return onnx_node_error(err, FERRY_INVALID_ARG, n,
                                   "%zu coefficients do not divide into %lld classes", p->n_coef,
                                   (long long)p->classes);
        p->kernel.type = ONNX_SVM_LINEAR; /* as ONNX Runtime: liblinear has no kernel */
        return FERRY_OK;
    }
    p->features = (int64_t)p->n_sv / p->vectors;
    if (p->classes < 2 || p->features * p->vectors != (int64_t)p->n_sv ||
        (int64_t)p->n_coef < (p->classes - 1) * p->vectors || (int64_t)p->n_rho < p->pairs ||
        (p->n_prob > 0 && (int64_t)p->n_prob < p->pairs))
        return onnx_node_error(err, FERRY_INVALID_ARG, n,
                               "support_vectors (%zu), coefficients (%zu), rho (%zu) or prob_a "
                               "(%zu) do not fit %lld classes and %lld support vectors",
                               p->n_sv, p->n_coef, p->n_rho, p->n_prob, (long long)p->classes,
                               (long long)p->vectors);
    if (p->classes == 2 && p->n_prob == 0 && p->transform == ONNX_ML_PROBIT)
        return onnx_node_error(err, FERRY_UNSUPPORTED, n,
                               "post_transform PROBIT on a two-class model without prob_a and "
                               "prob_b is not supported");
    return FERRY_OK;
}

static ferry_status svc_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    svm_classifier_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    ferry_status st = svc_read(g, n, p, err);
    if (st == FERRY_OK)
        st = svc_check(n, p, err);
    if (st == FERRY_OK && (n->outputs[0] < 0 || n->outputs[1] < 0))
        st = onnx_node_error(err, FERRY_INVALID_ARG, n, "outputs Y and Z are both required");
    if (st != FERRY_OK)
        return st;
    p->all_positive = true;
    for (size_t i = 0; i < p->n_coef; i++)
        p->all_positive = p->all_positive && p->coef[i] >= 0;
    if (!p->svc)
        return FERRY_OK;
    p->first = onnx_graph_alloc(g, (size_t)p->classes * sizeof *p->first);
    if (p->first == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    for (int64_t c = 1; c < p->classes; c++)
        p->first[c] = p->first[c - 1] + p->per_class[c - 1];
    return FERRY_OK;
}

/* Scores per row in Z. */
static int64_t svc_z_width(const svm_classifier_params *p)
{
    if (!p->svc || p->n_prob > 0)
        return p->classes;
    return p->classes > 2 ? p->pairs : 2;
}

static ferry_status svc_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const svm_classifier_params *p = ctx->node->params;
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
    int64_t y_shape[1] = {rows}, z_shape[2] = {rows, svc_z_width(p)};
    onnx_set_output(ctx, 0, onnx_ml_label_dtype(&p->labels), 1, y_shape);
    onnx_set_output(ctx, 1, FERRY_DTYPE_FP32, 2, z_shape);
    return FERRY_OK;
}

static size_t svc_plan(const onnx_op_ctx *ctx)
{
    const svm_classifier_params *p = ctx->node->params;
    return svc_scratch_bytes(p);
}

/* ------------------------------------------------------------------------------------------ */
/* Scoring one row                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* libsvm's pairwise coupling (Wu, Lin and Weng 2004): class probabilities p[0..k) from the
 * pairwise matrix r, iterated in float as ONNX Runtime does. */
static void multiclass_probability(int64_t k, const float *r, float *q, float *qp, float *p)
{
    float eps = 0.005f / (float)k;
    for (int64_t i = 0; i < k; i++) {
        p[i] = 1.0f / (float)k;
        q[i * k + i] = 0;
        for (int64_t j = 0; j < i; j++) {
            q[i * k + i] += r[j * k + i] * r[j * k + i];
            q[i * k + j] = q[j * k + i];
        }
        for (int64_t j = i + 1; j < k; j++) {
            q[i * k + i] += r[j * k + i] * r[j * k + i];
            q[i * k + j] = -r[j * k + i] * r[i * k + j];
        }
    }
    for (int loop = 0; loop < 100; loop++) {
        float pqp = 0, max_error = 0;
        for (int64_t i = 0; i < k; i++) {
            qp[i] = 0;
            for (int64_t j = 0; j < k; j++)
                qp[i] += q[i * k + j] * p[j];
            pqp += p[i] * qp[i];
        }
        for (int64_t i = 0; i < k; i++)
            max_error = fmaxf(max_error, fabsf(qp[i] - pqp));
        if (max_error < eps)
            break;
        for (int64_t i = 0; i < k; i++) {
            float diff = (-qp[i] + pqp) / q[i * k + i];
            p[i] += diff;
            pqp = (pqp + diff * (diff * q[i * k + i] + 2 * qp[i])) / (1 + diff) / (1 + diff);
            for (int64_t j = 0; j < k; j++) {
                qp[j] = (qp[j] + diff * q[i * k + j]) / (1 + diff);
                p[j] /= (1 + diff);
            }
        }
    }
}

/* libsvm: decision values per class pair into s.decisions, votes into s.votes. */
static void svc_decisions(const svm_classifier_params *p, const float *x, const svc_scratch *s)
{
    int64_t k = p->classes, v = p->vectors, f = p->features;
    for (int64_t i = 0; i < v; i++)
        s->kernels[i] = onnx_svm_eval(&p->kernel, x, p->sv + i * f, f);
    for (int64_t c = 0; c < k; c++)
        s->votes[c] = 0;
    int64_t pair = 0;
    for (int64_t i = 0; i < k; i++)
        for (int64_t j = i + 1; j < k; j++, pair++) {
            double sum = 0;
            const float *ci = p->coef + (j - 1) * v + p->first[i];
            const float *cj = p->coef + i * v + p->first[j];
            for (int64_t m = 0; m < p->per_class[i]; m++)
                sum += (double)ci[m] * s->kernels[p->first[i] + m];
            for (int64_t m = 0; m < p->per_class[j]; m++)
                sum += (double)cj[m] * s->kernels[p->first[j] + m];
            sum += p->rho[pair];
            s->decisions[pair] = (float)sum;
            s->votes[sum > 0 ? i : j]++;
        }
}

/* Platt-scaled pairwise probabilities coupled into class probabilities z[0..k). */
static void svc_probabilities(const svm_classifier_params *p, const svc_scratch *s, float *z)
{
    int64_t k = p->classes, pair = 0;
    for (int64_t i = 0; i < k; i++) {
        s->pairwise[i * k + i] = 0;
        for (int64_t j = i + 1; j < k; j++, pair++) {
            float prob =
                1 - onnx_ml_logistic(s->decisions[pair] * p->prob_a[pair] + p->prob_b[pair]);
            prob = fminf(fmaxf(prob, 1.0e-7f), 1 - 1.0e-7f);
            s->pairwise[i * k + j] = prob;
            s->pairwise[j * k + i] = 1 - prob;
        }
    }
    multiclass_probability(k, s->pairwise, s->q, s->qp, z);
}

/* The label index for a row: top score (liblinear) or top vote count (libsvm), with ONNX
 * Runtime's two-class rule. */
static size_t svc_choose(const svm_classifier_params *p, const svc_scratch *s, const float *z)
{
    int64_t best = 0;
    float top = 0;
    if (p->svc) {
        for (int64_t c = 1; c < p->classes; c++)
            best = s->votes[c] > s->votes[best] ? c : best;
    } else {
        for (int64_t c = 1; c < p->classes; c++)
            best = z[c] > z[best] ? c : best;
        top = z[best];
    }
    if (p->classes == 2 && p->n_prob == 0 &&
        ((p->all_positive && top >= 0.5f) || (!p->all_positive && top > 0)))
        return 1;
    return (size_t)best;
}

static void svc_row(const svm_classifier_params *p, const float *x, const svc_scratch *s, float *z,
                    void *y, int64_t r)
{
    int64_t k = p->classes, scores = k;
    if (!p->svc) {
        for (int64_t c = 0; c < k; c++)
            z[c] = (float)(p->rho[0] +
                           onnx_svm_eval(&p->kernel, x, p->coef + c * p->features, p->features));
    } else {
        svc_decisions(p, x, s);
        if (p->n_prob > 0) {
            svc_probabilities(p, s, z);
        } else {
            scores = p->pairs;
            for (int64_t i = 0; i < p->pairs; i++)
                z[i] = s->decisions[i];
        }
    }
    onnx_ml_write_label(&p->labels, svc_choose(p, s, z), y, r);
    if (scores > 1) {
        onnx_ml_transform_row(p->transform, z, scores);
    } else if (p->transform == ONNX_ML_PROBIT) {
        z[0] = onnx_ml_probit(z[0]);
    } else if (p->svc && k == 2) { /* one decision value: a second score beside it */
        z[1] = z[0];
        z[0] = p->transform == ONNX_ML_NONE ? -z[0] : 1 - z[0];
    }
}

static ferry_status svc_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    (void)err;
    const svm_classifier_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    svc_scratch s = svc_layout(p, onnx_scratch(ctx, ith));
    float *z = ctx->outputs[1]->data;
    int64_t rows = x->ndim == 2 ? x->shape[0] : 1, width = svc_z_width(p), lo, hi;
    onnx_slice(rows, ith, nth, &lo, &hi);
    for (int64_t r = lo; r < hi; r++)
        svc_row(p, onnx_ml_row(x, r, p->features, s.features), &s, z + r * width,
                ctx->outputs[0]->data, r);
    return FERRY_OK;
}

const onnx_op onnx_op_svm_classifier_1 = {
    .domain = ONNX_ML_DOMAIN,
    .op_type = "SVMClassifier",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 2,
    .max_outputs = 2,
    .flags = ONNX_OP_STRINGS,
    .prepare = svc_prepare,
    .infer = svc_infer,
    .plan = svc_plan,
    .run = svc_run,
};
