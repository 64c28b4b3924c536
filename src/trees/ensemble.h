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

/* Node info word: the kind in bits 0-3 (a tree_cmp, or TREE_KIND_LEAF); bit 4 says NaN takes the
 * yes child; the feature in bits 5-28; the missing mode in bits 29-30.
 *
 * Bits 4-28 together are (2 * feature + default_yes) * 16: where the numeric kernels find the
 * node's value for the first of 16 rows walking together. They read a copy of those rows laid out
 * feature by feature, each feature twice and 16 rows side by side: NaN is +inf in the first copy
 * (so that it fails `x < t` and takes `no`) and -inf in the second (so that it takes `yes`). A step
 * then needs no test for NaN, and since every split of a numeric ensemble has the same kind (and
 * missing mode NaN, 0), `info - kind` is that offset, and a leaf's (15 - kind) reads some other
 * row's value, to no effect. */
#define TREE_KIND_MASK       0xFu
#define TREE_KIND_LEAF       0xFu
#define TREE_DEFAULT_YES_BIT (1u << 4)
#define TREE_FEATURE_SHIFT   5
#define TREE_FEATURE_BITS    24
#define TREE_MAX_FEATURES    (1u << TREE_FEATURE_BITS)
#define TREE_SLOT_FIELD      0x1FFFFFF0u
#define TREE_SLOT_ROWS       16
#define TREE_MISSING_SHIFT   29

/* The largest category a TREE_CMP_IN_CATS set may hold, and the first value that is no category
 * (xgboost's OutOfRangeCat: every larger float rounds to a value >= it). */
#define TREE_MAX_CATEGORY (1u << 24)

/* Outputs per row at most, so that one block of rows' accumulators fits on the stack. */
#define TREE_MAX_OUTPUTS 4096

/* One node: 16 bytes, four to a cache line. A split's children sit side by side, `no` right after
 * `yes`, so a step is `yes + 16 * (test fails)`: no branch, no second load. Children are byte
 * offsets so that a walk never multiplies. A leaf's threshold is NaN, which fails every numeric
 * test, and its `yes_at` is its own offset - 16 (mod 2^32), so a walk of `depth` steps that reaches
 * a shallow leaf stays on it. */
typedef struct tree_node {
    float value;     /* a split's threshold; NaN for a leaf */
    uint32_t info;   /* see TREE_KIND_MASK */
    uint32_t yes_at; /* byte offset in tree_ensemble.nodes of the yes child (16 x its index) */
    union {
        float leaf;   /* a leaf of a scalar tree: its value */
        uint32_t row; /* a leaf of a vector tree: its row of leaf_values */
        uint32_t set; /* a TREE_CMP_IN_CATS or TREE_CMP_IN_SET split: the offset of its set in
                       * `sets` (a count, then the bit set's words or the sorted values' bits) */
    };
} tree_node;

static_assert(sizeof(tree_node) == 16, "tree_node is 16 bytes");
static_assert(TREE_CMP_COUNT <= TREE_KIND_LEAF, "every test fits the kind bits");

/* The node at byte offset `at`. */
static inline const tree_node *tree_node_at(const tree_node *nodes, uint32_t at)
{
    return (const tree_node *)((const char *)nodes + at);
}

/* Index of the yes child (the no child is the next). */
static inline uint32_t tree_node_yes(const tree_node *n)
{
    return n->yes_at / sizeof(tree_node);
}

static inline uint32_t tree_node_feature(const tree_node *n)
{
    return n->info >> TREE_FEATURE_SHIFT & (TREE_MAX_FEATURES - 1);
}

static inline tree_cmp tree_node_cmp(const tree_node *n)
{
    return (tree_cmp)(n->info & TREE_KIND_MASK);
}

static inline tree_missing tree_node_missing(const tree_node *n)
{
    return (tree_missing)(n->info >> TREE_MISSING_SHIFT & 0x3u);
}

static inline bool tree_node_default_yes(const tree_node *n)
{
    return (n->info & TREE_DEFAULT_YES_BIT) != 0;
}

static inline bool tree_node_is_leaf(const tree_node *n)
{
    return (n->info & TREE_KIND_MASK) == TREE_KIND_LEAF;
}

/* A tree's output: an output index, or TREE_OUTPUT_VECTOR when each leaf holds a value for every
 * output (a row of leaf_values). */
#define TREE_OUTPUT_VECTOR UINT32_MAX

typedef struct tree_root {
    uint32_t node;   /* index of the root in nodes (< TREE_MAX_NODES, so 16 x it fits 32 bits) */
    uint32_t depth;  /* steps from the root to the deepest leaf (0: the root is a leaf) */
    uint32_t output; /* output index or TREE_OUTPUT_VECTOR */
} tree_root;

/* Which evaluation loop an ensemble can use, chosen at build time. */
typedef enum tree_kernel {
    TREE_KERNEL_LT_NAN, /* every split is `x < t` (t > -inf) with NaN to the default child; scalar
                         * leaves summed */
    TREE_KERNEL_LE_NAN, /* every split is `x <= t` (t < +inf) with NaN to the default child; scalar
                         * leaves summed */
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
