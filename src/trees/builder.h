/* Building a tree ensemble (ensemble.h) from any source format. A loader describes each tree as
 * its own nodes, indexed as the source file numbers them, and the builder validates them (features
 * in range, children in range, every node reached once), lays them out breadth first and picks the
 * evaluation kernel.
 *
 *     tree_builder *b;
 *     tree_params p = {.n_features = 30, .n_outputs = 1, .base = &margin,
 *                      .transform = TREE_TRANSFORM_LOGISTIC};
 *     if (tree_builder_create(&p, &b, err) != FERRY_OK) ...
 *     for each tree: fill src[0..n) and call tree_builder_add_tree(b, src, n, 0, 0, err);
 *     tree_ensemble *e;
 *     st = tree_builder_finish(b, &e, err);
 *     tree_builder_destroy(b);
 */
#ifndef FERRY_TREES_BUILDER_H
#define FERRY_TREES_BUILDER_H

#include "ferry/status.h"
#include "trees/ensemble.h"

/* Trees, nodes, set words and leaf-vector values an ensemble may hold at most. */
#define TREE_MAX_TREES       (1u << 24)
#define TREE_MAX_NODES       (1u << 27)
#define TREE_MAX_SET_WORDS   (1u << 26)
#define TREE_MAX_LEAF_FLOATS (1u << 28)

typedef struct tree_params {
    size_t n_features; /* 1 .. TREE_MAX_FEATURES */
    size_t n_outputs;  /* 1 .. TREE_MAX_OUTPUTS */
    const float *base; /* n_outputs base scores (copied), or NULL for zeros */
    bool base_last;    /* with TREE_AGG_SUM: add the base after the trees (ONNX) rather than
                        * starting from it (XGBoost); the other aggregates always add it last */
    tree_aggregate aggregate;
    tree_transform transform;
} tree_params;

/* A node as its source file describes it. */
typedef struct tree_src_node {
    int32_t yes, no;            /* source indices of the children; both -1 for a leaf */
    uint32_t feature;           /* the feature tested (ignored for a leaf) */
    tree_cmp cmp;               /* the test; `yes` is taken when it holds */
    tree_missing missing;       /* what NaN does */
    bool default_yes;           /* the default child is `yes` (else `no`) */
    float value;                /* the threshold; for a leaf of a scalar tree, the leaf value */
    const uint32_t *categories; /* TREE_CMP_IN_CATS: categories (< TREE_MAX_CATEGORY) */
    const float *members;       /* TREE_CMP_IN_SET: the values */
    size_t n_set;               /* entries in categories or members */
    const float *leaf_vector;   /* leaf of a TREE_OUTPUT_VECTOR tree: n_outputs values */
} tree_src_node;

typedef struct tree_builder tree_builder;

/* Makes a builder for an ensemble with these parameters. Fails with INVALID_ARG naming the bad
 * parameter, or NO_MEMORY. The caller destroys it with tree_builder_destroy. */
ferry_status tree_builder_create(const tree_params *p, tree_builder **out,
                                 ferry_error *err) FERRY_MUST_CHECK;

/* Adds one tree: src[0..n) with the root at src[root], feeding output `output` (an index below
 * n_outputs, or TREE_OUTPUT_VECTOR when every leaf has a leaf_vector). Nodes not reachable from
 * the root are ignored. Fails with INVALID_ARG naming the tree (its number in add order) and the
 * source node (a feature or child out of range, a node reached twice, a bad test or category), or
 * TOO_LARGE / NO_MEMORY; the builder is then unchanged. */
ferry_status tree_builder_add_tree(tree_builder *b, const tree_src_node *src, size_t n, size_t root,
                                   uint32_t output, ferry_error *err) FERRY_MUST_CHECK;

/* Trees added so far. */
size_t tree_builder_n_trees(const tree_builder *b);

/* Hands the built ensemble to *out (the caller frees it with tree_ensemble_destroy); afterwards
 * the builder may only be destroyed. An ensemble without trees predicts its base scores. Fails
 * with NO_MEMORY. */
ferry_status tree_builder_finish(tree_builder *b, tree_ensemble **out,
                                 ferry_error *err) FERRY_MUST_CHECK;

/* Frees the builder and whatever it still holds. Accepts NULL. */
void tree_builder_destroy(tree_builder *b);

#endif
