/* ferry's one tree-ensemble representation, shared by every tree format (XGBoost, LightGBM,
 * ONNX-ML): flat node arrays in breadth-first order per tree, built once by tree_builder
 * (builder.h) and evaluated by tree_predict (predict.h). An ensemble is immutable once built, so
 * any number of threads may evaluate it at once.
 *
 * Evaluation of one row: every output starts at its base score (or at 0 with base_last), each tree
 * walks from its root to a leaf and adds (or averages, min-es, max-es) the leaf value into its
 * output, then the post-transform turns the margins into the values a caller sees. */
#ifndef FERRY_TREES_ENSEMBLE_H
#define FERRY_TREES_ENSEMBLE_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The test a node makes on its feature value x. When it holds the walk takes the node's `yes`
 * child, otherwise its `no` child. */
typedef enum tree_cmp {
    TREE_CMP_LT,      /* x < t: XGBoost, ONNX BRANCH_LT */
    TREE_CMP_LE,      /* x <= t: LightGBM, ONNX BRANCH_LEQ */
    TREE_CMP_GT,      /* x > t: ONNX BRANCH_GT */
    TREE_CMP_GE,      /* x >= t: ONNX BRANCH_GTE */
    TREE_CMP_EQ,      /* x == t: ONNX BRANCH_EQ */
    TREE_CMP_NEQ,     /* x != t: ONNX BRANCH_NEQ */
    TREE_CMP_IN_CATS, /* (int)x is in the node's category bit set; never for x < 0 or x >= 2^24
                       * (XGBoost and LightGBM categorical splits) */
    TREE_CMP_IN_SET,  /* x equals one of the node's values: ONNX BRANCH_MEMBER */
    TREE_CMP_COUNT
} tree_cmp;

/* What a node does with a missing value (NaN). */
typedef enum tree_missing {
    TREE_MISSING_NAN,     /* NaN takes the default child (XGBoost; LightGBM missing_type NaN;
                           * ONNX with missing_tracks_true) */
    TREE_MISSING_ZERO,    /* NaN reads as 0, and 0 (|x| <= 1e-35) takes the default child
                           * (LightGBM missing_type Zero) */
    TREE_MISSING_AS_ZERO, /* NaN reads as 0 and is compared (LightGBM missing_type None) */
    TREE_MISSING_IEEE,    /* NaN is compared as it is: only != holds (ONNX without
                           * missing_tracks_true) */
    TREE_MISSING_COUNT
} tree_missing;

/* How leaf values of the trees that feed one output combine. */
typedef enum tree_aggregate {
    TREE_AGG_SUM,     /* in tree order, in float (as XGBoost) */
    TREE_AGG_AVERAGE, /* the sum divided by the number of trees in the ensemble (ONNX) */
    TREE_AGG_MIN,
    TREE_AGG_MAX,
    TREE_AGG_COUNT
} tree_aggregate;

/* What turns a row's margins (one per output) into its values. */
typedef enum tree_transform {
    TREE_TRANSFORM_NONE,
    TREE_TRANSFORM_LOGISTIC,     /* 1 / (1 + exp(-m)) per output */
    TREE_TRANSFORM_SOFTMAX,      /* over the outputs */
    TREE_TRANSFORM_SOFTMAX_ZERO, /* softmax over the non-zero outputs; zeros stay 0 (ONNX) */
    TREE_TRANSFORM_PROBIT,       /* sqrt(2) * erfinv(2m - 1) per output (ONNX) */
    TREE_TRANSFORM_EXP,          /* exp(m): count:poisson, reg:gamma, reg:tweedie, survival:cox */
    TREE_TRANSFORM_HINGE,        /* m > 0 ? 1 : 0 (binary:hinge) */
    TREE_TRANSFORM_ARGMAX,       /* the index of the largest output, one value per row
                                  * (multi:softmax) */
    TREE_TRANSFORM_COUNT
} tree_transform;

/* Node info word: feature index in the low bits, then the test, the missing mode, the default
 * direction and the leaf flag. */
#define TREE_FEATURE_BITS    24
#define TREE_FEATURE_MASK    ((1u << TREE_FEATURE_BITS) - 1)
#define TREE_MAX_FEATURES    (1u << TREE_FEATURE_BITS)
#define TREE_CMP_SHIFT       24
#define TREE_MISSING_SHIFT   28
#define TREE_DEFAULT_YES_BIT (1u << 30)
#define TREE_LEAF_BIT        (1u << 31)

/* The largest category a TREE_CMP_IN_CATS set may hold, and the first value that is no category
 * (xgboost's OutOfRangeCat: every larger float rounds to a value >= it). */
#define TREE_MAX_CATEGORY (1u << 24)

/* Outputs per row at most, so that one block of rows' accumulators fits on the stack. */
#define TREE_MAX_OUTPUTS 4096

/* One node: 16 bytes, four to a cache line. A leaf points to itself through both children so that
 * a walk of `depth` steps may run past it; its value is the leaf value, or for a vector tree the
 * index (bit pattern) of its row in leaf_values. For TREE_CMP_IN_CATS and TREE_CMP_IN_SET the
 * value is the index (bit pattern) of the node's set in `sets`: a count, then the bit set's words
 * or the sorted values' bit patterns. */
typedef struct tree_node {
    float value;
    uint32_t info;
    uint32_t child[2]; /* [0] yes, [1] no: indices into tree_ensemble.nodes */
} tree_node;

static_assert(sizeof(tree_node) == 16, "tree_node is 16 bytes");

/* A tree's output: an output index, or TREE_OUTPUT_VECTOR when each leaf holds a value for every
 * output (a row of leaf_values). */
#define TREE_OUTPUT_VECTOR UINT32_MAX

typedef struct tree_root {
    uint32_t node;   /* index of the root in nodes */
    uint32_t depth;  /* steps from the root to the deepest leaf (0: the root is a leaf) */
    uint32_t output; /* output index or TREE_OUTPUT_VECTOR */
} tree_root;

/* Which evaluation loop an ensemble can use, chosen at build time. */
typedef enum tree_kernel {
    TREE_KERNEL_LT_NAN, /* every split is `x < t` with NaN to the default child, scalar leaves */
    TREE_KERNEL_LE_NAN, /* every split is `x <= t` with NaN to the default child, scalar leaves */
    TREE_KERNEL_GENERAL,
} tree_kernel;

typedef struct tree_ensemble {
    size_t n_features; /* row width */
    size_t n_outputs;  /* margins per row */
    size_t n_trees;
    size_t n_nodes;
    size_t n_sets; /* 32-bit words in sets */
    size_t n_leaf_vectors;
    tree_root *trees;   /* in evaluation order */
    tree_node *nodes;   /* each tree's nodes together, breadth first */
    uint32_t *sets;     /* category bit sets and member value lists */
    float *leaf_values; /* n_leaf_vectors rows of n_outputs values */
    float *base;        /* n_outputs base scores */
    uint32_t max_depth; /* over every tree */
    bool base_last;     /* add base after aggregating (ONNX) instead of starting from it */
    tree_aggregate aggregate;
    tree_transform transform;
    tree_kernel kernel;
} tree_ensemble;

/* Frees an ensemble made by tree_builder_finish. Accepts NULL. */
void tree_ensemble_destroy(tree_ensemble *e);

/* Short names for logs and errors ("lt", "logistic", ...); "?" when out of range. */
const char *tree_cmp_name(tree_cmp cmp);
const char *tree_transform_name(tree_transform t);

/* Values per row that tree_predict writes: 1 for ARGMAX (unless margin), else n_outputs. */
size_t tree_ensemble_output_width(const tree_ensemble *e, bool margin);

#endif
