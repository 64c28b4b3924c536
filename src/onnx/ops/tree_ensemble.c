/* TreeEnsemble (ai.onnx.ml, since 5): Y[N, n_targets] in X's dtype (float or double; float16 is
 * refused) from split arrays (nodes_*), leaf arrays (leaf_targetids, leaf_weights) and tree_roots,
 * evaluated by ferry's tree engine (src/trees/) in float. Node modes BRANCH_LEQ, LT, GTE, GT, EQ,
 * NEQ and MEMBER (membership_values: one set per MEMBER node, in node order, each ended by NaN);
 * nodes_missing_value_tracks_true sends NaN to the true branch, otherwise NaN is compared as it
 * is. aggregate_function (0 AVERAGE, 1 SUM, 2 MIN, 3 MAX) and post_transform (0 NONE, 1 SOFTMAX,
 * 2 LOGISTIC, 3 SOFTMAX_ZERO, 4 PROBIT) as ONNX Runtime applies them (one target: only PROBIT).
 * Double thresholds and inputs are rounded to float. */
#include "onnx/ml_trees.h"

static ferry_status te_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    static const tree_aggregate aggs[] = {TREE_AGG_AVERAGE, TREE_AGG_SUM, TREE_AGG_MIN,
                                          TREE_AGG_MAX};
    static const onnx_ml_transform transforms[] = {ONNX_ML_NONE, ONNX_ML_SOFTMAX, ONNX_ML_LOGISTIC,
                                                   ONNX_ML_SOFTMAX_ZERO, ONNX_ML_PROBIT};
    onnx_ml_regressor *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    p->same_dtype = true;
    int64_t targets, agg, transform;
    onnx_ml_forest f;
    ferry_status st = onnx_attr_int(n, "n_targets", 1, &targets, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "aggregate_function", 1, &agg, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "post_transform", 0, &transform, err);
    if (st != FERRY_OK)
        return st;
    if (targets < 1 || targets > TREE_MAX_OUTPUTS)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "n_targets %lld (1 to %u supported)",
                               (long long)targets, TREE_MAX_OUTPUTS);
    if (agg < 0 || agg > 3)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "aggregate_function %lld (0 to 3)",
                               (long long)agg);
    if (transform < 0 || transform > 4)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "post_transform %lld (0 to 4)",
                               (long long)transform);
    p->n_targets = (size_t)targets;
    p->transform = transforms[transform];
    st = onnx_ml_forest_v5(g, n, &f, err);
    return st == FERRY_OK
               ? onnx_ml_forest_build(g, n, &f, p->n_targets, NULL, aggs[agg], &p->e, &p->hits, err)
               : st;
}

const onnx_op onnx_op_tree_ensemble_5 = {
    .domain = ONNX_ML_DOMAIN,
    .op_type = "TreeEnsemble",
    .since_version = 5,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = te_prepare,
    .infer = onnx_ml_regressor_infer,
    .plan = onnx_ml_regressor_plan,
    .run = onnx_ml_regressor_run,
};
