/* The ai.onnx.ml tree operators' shared part (TreeEnsembleClassifier, TreeEnsembleRegressor,
 * TreeEnsemble): their attributes, in either layout (opsets 1 and 3: nodes and targets keyed by
 * tree and node id; opset 5: split arrays, leaf arrays and tree roots), become one flat forest,
 * which is built into ferry's tree ensemble (src/trees/) kept in the graph's memory. run converts
 * rows in blocks into its scratch and evaluates the ensemble's margins there; each op then
 * finalizes the margins as ONNX Runtime does. */
#ifndef FERRY_ONNX_ML_TREES_H
#define FERRY_ONNX_ML_TREES_H

#include "onnx/ml_common.h"
#include "trees/ensemble.h"

/* Node modes, numbered as TreeEnsemble (opset 5) numbers them, then the leaf. */
typedef enum onnx_ml_mode {
    ONNX_ML_LEQ,
    ONNX_ML_LT,
    ONNX_ML_GTE,
    ONNX_ML_GT,
    ONNX_ML_EQ,
    ONNX_ML_NEQ,
    ONNX_ML_MEMBER,
    ONNX_ML_LEAF,
} onnx_ml_mode;

/* Both layouts flattened: entries are splits and leaves; children are entry indices. All arrays
 * live in the graph's memory. */
typedef struct onnx_ml_forest {
    size_t n;              /* entries */
    uint8_t *mode;         /* onnx_ml_mode */
    uint32_t *feature;     /* splits */
    float *value;          /* splits: the threshold */
    int64_t *yes, *no;     /* splits: entry indices of the children */
    uint8_t *missing_true; /* splits: NaN takes the true branch */
    const float **members; /* MEMBER splits: the set */
    size_t *n_members;
    uint32_t *tstart; /* n + 1: the targets of entry i are [tstart[i], tstart[i + 1]) */
    uint32_t *tid;    /* target or class index */
    float *tweight;
    size_t n_roots;
    uint32_t *roots; /* one entry per tree, in tree order */
} onnx_ml_forest;

/* Parses the opset 1 and 3 layout: nodes_* attributes and `<prefix>_ids`, `<prefix>_nodeids`,
 * `<prefix>_treeids`, `<prefix>_weights` (or `_as_tensor`), prefix "class" or "target". Target
 * entries on nodes that are no leaf are ignored (as ONNX Runtime does). Fails with INVALID_ARG
 * naming the node and the tree node at fault (lengths that differ, an unknown mode, a child or
 * target node that is not in its tree, a node given twice). */
ferry_status onnx_ml_forest_legacy(onnx_graph *g, const onnx_node *n, const char *prefix,
                                   onnx_ml_forest *f, ferry_error *err) FERRY_MUST_CHECK;

/* Parses TreeEnsemble's (opset 5) layout. Fails like onnx_ml_forest_legacy. */
ferry_status onnx_ml_forest_v5(onnx_graph *g, const onnx_node *n, onnx_ml_forest *f,
                               ferry_error *err) FERRY_MUST_CHECK;

/* Reads a float list attribute, or its `<name>_as_tensor` variant (FP32 or FP64, rounded to
 * float), into *out (graph memory; NULL and 0 when both are absent). Fails when both are set. */
ferry_status onnx_ml_attr_floats_or_tensor(onnx_graph *g, const onnx_node *n, const char *name,
                                           const float **out, size_t *count,
                                           ferry_error *err) FERRY_MUST_CHECK;

/* Builds the ensemble of forest f with n_outputs outputs, `base` (NULL or n_outputs values, added
 * after the trees) and the aggregate; every transform is left to the op (margins). The ensemble
 * lives in the graph's memory. With `hits`, also builds (when some leaf lacks a weight for some
 * output; else *hits is NULL) the ensemble that counts, per output, the reached leaves with a
 * weight for it: ONNX Runtime writes 0 for an output no reached leaf feeds ("has_score"). Fails
 * with INVALID_ARG naming the node, the tree and the entry (a target out of range, a node reached
 * twice), or UNSUPPORTED (MIN or MAX over trees whose leaves feed several outputs). */
ferry_status onnx_ml_forest_build(onnx_graph *g, const onnx_node *n, const onnx_ml_forest *f,
                                  size_t n_outputs, const float *base, tree_aggregate agg,
                                  const tree_ensemble **out, const tree_ensemble **hits,
                                  ferry_error *err) FERRY_MUST_CHECK;

/* Rows evaluated per block in run. */
#define ONNX_ML_TREE_BLOCK 64

/* Scratch bytes per thread for onnx_ml_trees_margins. */
size_t onnx_ml_trees_scratch(const tree_ensemble *e);

/* Margins of rows [lo, hi) (hi - lo <= ONNX_ML_TREE_BLOCK) of x ([N, C] or [C], FP32, FP64,
 * INT32 or INT64, C > the largest feature index), n_outputs per row; returns where they are (in
 * scratch). With hits (else *hit_out is NULL), *hit_out gets its counts likewise. Never fails,
 * never allocates. */
float *onnx_ml_trees_margins(const tree_ensemble *e, const tree_ensemble *hits,
                             const ferry_tensor *x, int64_t lo, int64_t hi, void *scratch,
                             const float **hit_out);

/* A regressor's parsed attributes, shared by TreeEnsembleRegressor and TreeEnsemble. */
typedef struct onnx_ml_regressor {
    const tree_ensemble *e;
    const tree_ensemble *hits; /* NULL when every leaf feeds every target */
    size_t n_targets;
    onnx_ml_transform transform;
    bool same_dtype; /* Y has X's dtype (TreeEnsemble) rather than float */
} onnx_ml_regressor;

/* infer, plan and run of a regressor whose node->params is an onnx_ml_regressor. */
ferry_status onnx_ml_regressor_infer(const onnx_op_ctx *ctx, ferry_error *err) FERRY_MUST_CHECK;
size_t onnx_ml_regressor_plan(const onnx_op_ctx *ctx);
ferry_status onnx_ml_regressor_run(const onnx_op_ctx *ctx, int ith, int nth,
                                   ferry_error *err) FERRY_MUST_CHECK;

#endif
