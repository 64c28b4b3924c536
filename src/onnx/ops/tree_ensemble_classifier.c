/* TreeEnsembleClassifier (ai.onnx.ml, since 1; the `_as_tensor` attributes of opset 3 included):
 * labels Y[N] (int64 from classlabels_int64s, or strings from classlabels_strings) and scores
 * Z[N, C] (float) for C labels, from float, double, int64 or int32 rows ([N, C'] or [C']), the
 * trees evaluated by ferry's tree engine (src/trees/). The scores follow ONNX Runtime's rules:
 *   C > 2: class weights summed, base_values added, Y the label of the first highest score among
 *          the classes some leaf or base feeds, post_transform on the row.
 *   C = 2 with leaves feeding one class only ("binary case"): one score s (base added). With all
 *          weights >= 0, Y is labels[1] when s > 0.5 and Z is [1 - s, s] (no transform); otherwise
 *          Y is labels[1] when s > 0 and Z is [-s, s], or [logistic(-s), logistic(s)] with
 *          LOGISTIC. PROBIT gives [probit(s), 0].
 *   C = 2 with both classes fed: Y is labels[1] when the second score is > 0, and the transform
 *          applies to both scores (ONNX Runtime: raw 1 or 0 for int labels, the same for 0/1).
 * A class no reached leaf has a weight for has no score in that row (ONNX Runtime's has_score):
 * it reads 0 and is never the label; a second ensemble of the same trees counts those leaves. */
#include "onnx/ml_trees.h"

#include <string.h>

typedef struct tec_params {
    const tree_ensemble *e;
    const tree_ensemble *hits; /* per row and class: reached leaves with a weight for it */
    onnx_ml_labels labels;
    onnx_ml_transform transform;
    const float *base;
    size_t n_base;
    bool *fed;         /* per class: some leaf has a weight for it */
    bool binary;       /* two classes and leaves feed one of them */
    bool all_positive; /* every class weight >= 0 */
} tec_params;

/* Which classes the leaves feed, whether every weight is >= 0, the binary case. */
static ferry_status tec_classes(onnx_graph *g, const onnx_node *n, tec_params *p,
                                const onnx_ml_forest *f, ferry_error *err)
{
    p->fed = onnx_graph_alloc(g, p->labels.n * sizeof *p->fed);
    if (p->fed == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    p->all_positive = true;
    size_t distinct = 0;
    for (uint32_t j = 0; j < f->tstart[f->n]; j++) {
        if (f->tid[j] >= p->labels.n)
            return onnx_node_error(err, FERRY_INVALID_ARG, n,
                                   "class id %u out of range (%zu class labels)", f->tid[j],
                                   p->labels.n);
        distinct += !p->fed[f->tid[j]];
        p->fed[f->tid[j]] = true;
        p->all_positive &= f->tweight[j] >= 0;
    }
    p->binary = p->labels.n == 2 && distinct == 1;
    return FERRY_OK;
}

static ferry_status tec_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    tec_params *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    onnx_ml_forest f;
    ferry_status st = onnx_ml_read_transform(n, &p->transform, err);
    if (st == FERRY_OK)
        st =
            onnx_ml_read_labels(g, n, "classlabels_int64s", "classlabels_strings", &p->labels, err);
    if (st == FERRY_OK)
        st = onnx_ml_attr_floats_or_tensor(g, n, "base_values", &p->base, &p->n_base, err);
    if (st != FERRY_OK)
        return st;
    if (p->labels.n < 2 || p->labels.n > TREE_MAX_OUTPUTS)
        return onnx_node_error(err, FERRY_UNSUPPORTED, n, "%zu class labels (2 to %u supported)",
                               p->labels.n, TREE_MAX_OUTPUTS);
    if (p->n_base > p->labels.n)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "%zu base_values for %zu classes",
                               p->n_base, p->labels.n);
    if (n->outputs[0] < 0 || n->outputs[1] < 0)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "outputs Y and Z are both required");
    st = onnx_ml_forest_legacy(g, n, "class", &f, err);
    if (st == FERRY_OK)
        st = tec_classes(g, n, p, &f, err);
    return st == FERRY_OK ? onnx_ml_forest_build(g, n, &f, p->labels.n, NULL, TREE_AGG_SUM, &p->e,
                                                 &p->hits, err)
                          : st;
}

static ferry_status tec_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const tec_params *p = ctx->node->params;
    int64_t rows, features;
    ferry_status st = onnx_check_dtype(ctx, 0, ONNX_ML_MASK_FEATURES, err);
    if (st == FERRY_OK)
        st = onnx_ml_rows(ctx, ctx->inputs[0], &rows, &features, err);
    if (st != FERRY_OK)
        return st;
    if (features < (int64_t)p->e->n_features)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "the trees read feature %zu but the input has %lld features",
                               p->e->n_features - 1, (long long)features);
    int64_t y_shape[1] = {rows}, z_shape[2] = {rows, (int64_t)p->labels.n};
    onnx_set_output(ctx, 0, onnx_ml_label_dtype(&p->labels), 1, y_shape);
    onnx_set_output(ctx, 1, FERRY_DTYPE_FP32, 2, z_shape);
    return FERRY_OK;
}

static size_t tec_plan(const onnx_op_ctx *ctx)
{
    const tec_params *p = ctx->node->params;
    return onnx_ml_trees_scratch(p->e);
}

/* Whether class k has a score in this row (ONNX Runtime's has_score): some reached leaf has a
 * weight for it. */
static bool scored(const float *hit, size_t k)
{
    return hit == NULL || hit[k] > 0;
}

/* More than two classes: base added, label of the first highest scored class, transform. */
static size_t tec_multi(const tec_params *p, float *s, const float *hit)
{
    size_t c = p->labels.n, best = SIZE_MAX;
    for (size_t k = 0; k < c; k++) {
        if (k < p->n_base)
            s[k] += p->base[k];
        bool has = scored(hit, k) || k < p->n_base;
        if (!has)
            s[k] = 0;
        if (has && (best == SIZE_MAX || s[k] > s[best]))
            best = k;
    }
    onnx_ml_transform_row(p->transform, s, (int64_t)c);
    return best == SIZE_MAX ? 0 : best;
}

/* One score s for two classes: z gets both columns as ONNX Runtime's write_scores does with
 * add_second_class `extra` (0, 1: [1 - s, s]; 2, 3: [-s, s] or logistic; -1: [s, 0]). */
static void tec_one_score(const tec_params *p, float s, int extra, float *z)
{
    if (p->transform == ONNX_ML_PROBIT) {
        z[0] = onnx_ml_probit(s);
        z[1] = 0;
    } else if (extra == 0 || extra == 1) {
        z[0] = 1.0f - s;
        z[1] = s;
    } else if (extra >= 2 && p->transform == ONNX_ML_LOGISTIC) {
        z[0] = onnx_ml_logistic(-s);
        z[1] = onnx_ml_logistic(s);
    } else if (extra >= 2) {
        z[0] = -s;
        z[1] = s;
    } else {
        z[0] = s;
        z[1] = 0;
    }
}

/* Two classes: the label index; z (holding the two margins) gets the scores. has0 and has1 say
 * whether ONNX Runtime's two predictions have a score, two whether it keeps both. */
static size_t tec_two(const tec_params *p, float *z, const float *hit)
{
    bool has0 = scored(hit, 0), has1 = scored(hit, 1), two = true;
    int extra = -1;
    if (p->n_base == 2 && has1) { /* ONNX Runtime: base_values[0] unused, scores [-s1, s1] */
        z[1] = p->base[1] + z[0];
        z[0] = -z[1];
    } else if (p->n_base == 2) { /* "binary as multiclass" */
        z[0] += p->base[0];
        z[1] += p->base[1];
    } else if (p->n_base == 1) {
        z[0] += p->base[0];
        two = has1;
    } else {
        extra = 3;
        two = has1;
    }
    z[0] = has0 ? z[0] : 0.0f; /* a class without a score reads 0 */
    z[1] = has1 ? z[1] : 0.0f;
    float pos = two && has1 ? z[1] : z[0];
    size_t label = pos > 0;
    if (p->binary && p->all_positive) {
        label = pos > 0.5f;
        extra = label ? 0 : 1;
    } else if (p->binary) {
        extra = label ? 2 : 3;
    }
    if (two)
        onnx_ml_transform_row(p->transform, z, 2);
    else
        tec_one_score(p, z[0], extra, z);
    return label;
}

static ferry_status tec_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    (void)err;
    const tec_params *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    float *z = ctx->outputs[1]->data;
    int64_t rows = x->ndim == 2 ? x->shape[0] : 1, lo, hi, c = (int64_t)p->labels.n;
    onnx_slice(rows, ith, nth, &lo, &hi);
    for (int64_t b = lo; b < hi; b += ONNX_ML_TREE_BLOCK) {
        int64_t e = hi - b < ONNX_ML_TREE_BLOCK ? hi : b + ONNX_ML_TREE_BLOCK;
        const float *hits;
        const float *m =
            onnx_ml_trees_margins(p->e, p->hits, x, b, e, onnx_scratch(ctx, ith), &hits);
        memcpy(z + b * c, m, (size_t)((e - b) * c) * sizeof *z);
        for (int64_t r = b; r < e; r++) {
            const float *hit = hits ? hits + (r - b) * c : NULL;
            size_t k = c > 2 ? tec_multi(p, z + r * c, hit) : tec_two(p, z + r * c, hit);
            onnx_ml_write_label(&p->labels, k, ctx->outputs[0]->data, r);
        }
    }
    return FERRY_OK;
}

const onnx_op onnx_op_tree_ensemble_classifier_1 = {
    .domain = ONNX_ML_DOMAIN,
    .op_type = "TreeEnsembleClassifier",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 2,
    .max_outputs = 2,
    .flags = ONNX_OP_STRINGS,
    .prepare = tec_prepare,
    .infer = tec_infer,
    .plan = tec_plan,
    .run = tec_run,
};
