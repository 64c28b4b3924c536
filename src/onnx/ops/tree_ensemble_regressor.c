/* TreeEnsembleRegressor (ai.onnx.ml, since 1; the `_as_tensor` attributes of opset 3 included):
 * Y[N, n_targets] (float) from float, double, int64 or int32 rows ([N, C] or [C]), evaluated by
 * ferry's tree engine (src/trees/) as ONNX Runtime computes it: leaves' target weights summed per
 * target, aggregated (SUM, AVERAGE over the trees, MIN, MAX), base_values added when there is one
 * per target, then post_transform (with one target only PROBIT applies). Thresholds and weights
 * are float; double ones are rounded to float. nodes_hitrates are ignored. */
#include "onnx/ml_trees.h"

#include <string.h>

static ferry_status read_aggregate(const onnx_node *n, tree_aggregate *out, ferry_error *err)
{
    static const char *const names[] = {[TREE_AGG_SUM] = "SUM",
                                        [TREE_AGG_AVERAGE] = "AVERAGE",
                                        [TREE_AGG_MIN] = "MIN",
                                        [TREE_AGG_MAX] = "MAX"};
    const char *name;
    ferry_status st = onnx_attr_string(n, "aggregate_function", "SUM", &name, err);
    if (st != FERRY_OK)
        return st;
    for (int i = 0; i < TREE_AGG_COUNT; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (tree_aggregate)i;
            return FERRY_OK;
        }
    return onnx_node_error(err, FERRY_INVALID_ARG, n,
                           "aggregate_function '%s' is not one of SUM, AVERAGE, MIN, MAX", name);
}

static ferry_status ter_prepare(onnx_graph *g, onnx_node *n, ferry_error *err)
{
    onnx_ml_regressor *p = onnx_graph_alloc(g, sizeof *p);
    if (p == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    n->params = p;
    int64_t targets;
    tree_aggregate agg = TREE_AGG_SUM;
    const float *base;
    size_t n_base;
    onnx_ml_forest f;
    ferry_status st = onnx_attr_int(n, "n_targets", 1, &targets, err);
    if (st == FERRY_OK)
        st = onnx_ml_read_transform(n, &p->transform, err);
    if (st == FERRY_OK)
        st = read_aggregate(n, &agg, err);
    if (st == FERRY_OK)
        st = onnx_ml_attr_floats_or_tensor(g, n, "base_values", &base, &n_base, err);
    if (st != FERRY_OK)
        return st;
    if (targets < 1 || targets > TREE_MAX_OUTPUTS)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "n_targets %lld (1 to %u supported)",
                               (long long)targets, TREE_MAX_OUTPUTS);
    p->n_targets = (size_t)targets;
    st = onnx_ml_forest_legacy(g, n, "target", &f, err);
    if (st != FERRY_OK)
        return st;
    /* ONNX Runtime adds base_values only when there is one per target */
    return onnx_ml_forest_build(g, n, &f, p->n_targets, n_base == p->n_targets ? base : NULL, agg,
                                &p->e, &p->hits, err);
}

const onnx_op onnx_op_tree_ensemble_regressor_1 = {
    .domain = ONNX_ML_DOMAIN,
    .op_type = "TreeEnsembleRegressor",
    .since_version = 1,
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .prepare = ter_prepare,
    .infer = onnx_ml_regressor_infer,
    .plan = onnx_ml_regressor_plan,
    .run = onnx_ml_regressor_run,
};
