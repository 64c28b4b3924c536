/* The tree-ensemble evaluator; see predict.h. Two specialised kernels cover XGBoost (`x < t`) and
 * LightGBM-style (`x <= t`) numeric ensembles with NaN to the default child; one general kernel
 * handles every test, missing mode, leaf vector and aggregate. Every tree is walked `depth` steps:
 * a leaf points to itself, so rows that reach a shallow leaf early just stay there. */
#include "trees/predict.h"

#include <math.h>
#include <string.h>

#include "trees/transform.h"

/* ---------------------------------------------------------------- specialised numeric kernels */

/* Index of the child of `n` that row value v goes to: child[1] ("no") when the test fails and v
 * is a number, or when v is NaN and the default child is "no". Written without branches. */
#define NUMERIC_STEP(TEST)                                                                         \
    static inline uint32_t step_##TEST(const tree_node *n, const float *row)                       \
    {                                                                                              \
        float v = row[n->info & TREE_FEATURE_MASK];                                                \
        unsigned default_no = ((n->info & TREE_DEFAULT_YES_BIT) == 0);                             \
        unsigned no = (unsigned)!TEST(v, n->value) & ((unsigned)(v == v) | default_no);            \
        return n->child[no];                                                                       \
    }

#define TEST_LT(v, t) ((v) < (t))
#define TEST_LE(v, t) ((v) <= (t))
NUMERIC_STEP(TEST_LT)
NUMERIC_STEP(TEST_LE)

/* Adds every tree's leaf into acc for nb rows (scalar leaves, sum). */
#define NUMERIC_KERNEL(name, TEST)                                                                 \
    static void name(const tree_ensemble *e, const float *x, size_t nb, float *acc)                \
    {                                                                                              \
        const tree_node *nodes = e->nodes;                                                         \
        size_t nf = e->n_features, no = e->n_outputs;                                              \
        uint32_t idx[TREE_BLOCK_ROWS];                                                             \
        for (size_t t = 0; t < e->n_trees; t++) {                                                  \
            tree_root tree = e->trees[t];                                                          \
            for (size_t r = 0; r < nb; r++)                                                        \
                idx[r] = tree.node;                                                                \
            for (uint32_t d = 0; d < tree.depth; d++)                                              \
                for (size_t r = 0; r < nb; r++)                                                    \
                    idx[r] = step_##TEST(&nodes[idx[r]], x + r * nf);                              \
            for (size_t r = 0; r < nb; r++)                                                        \
                acc[r * no + tree.output] += nodes[idx[r]].value;                                  \
        }                                                                                          \
    }

NUMERIC_KERNEL(walk_lt_nan, TEST_LT)
NUMERIC_KERNEL(walk_le_nan, TEST_LE)

/* ---------------------------------------------------------------- general kernel */

static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static bool in_categories(const uint32_t *set, float v)
{
    if (!(v >= 0.0f && v < (float)TREE_MAX_CATEGORY))
        return false;
    uint32_t c = (uint32_t)v;
    return c / 32 < set[0] && (set[1 + c / 32] >> (c % 32) & 1u);
}

static bool in_members(const uint32_t *set, float v)
{
    const float *values = (const float *)(set + 1);
    size_t lo = 0, hi = set[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (values[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < set[0] && values[lo] == v;
}

static bool holds(const tree_ensemble *e, const tree_node *n, float v)
{
    switch ((tree_cmp)(n->info >> TREE_CMP_SHIFT & 0xFu)) {
    case TREE_CMP_LT:
        return v < n->value;
    case TREE_CMP_LE:
        return v <= n->value;
    case TREE_CMP_GT:
        return v > n->value;
    case TREE_CMP_GE:
        return v >= n->value;
    case TREE_CMP_EQ:
        return v == n->value;
    case TREE_CMP_NEQ:
        return v != n->value;
    case TREE_CMP_IN_CATS:
        return in_categories(e->sets + bits(n->value), v);
    case TREE_CMP_IN_SET:
        return in_members(e->sets + bits(n->value), v);
    default:
        return false;
    }
}

static uint32_t step_general(const tree_ensemble *e, const tree_node *n, const float *row)
{
    if (n->info & TREE_LEAF_BIT)
        return n->child[0];
    float v = row[n->info & TREE_FEATURE_MASK];
    tree_missing missing = (tree_missing)(n->info >> TREE_MISSING_SHIFT & 0x3u);
    uint32_t to_default = n->child[(n->info & TREE_DEFAULT_YES_BIT) == 0];
    if (isnan(v)) {
        if (missing == TREE_MISSING_NAN || missing == TREE_MISSING_ZERO)
            return to_default;
        if (missing == TREE_MISSING_AS_ZERO)
            v = 0.0f;
    } else if (missing == TREE_MISSING_ZERO && fabsf(v) <= 1e-35f) {
        return to_default;
    }
    return n->child[!holds(e, n, v)];
}

/* Combines leaf value v into one accumulator; NaN marks a MIN/MAX output no tree has fed yet. */
static void combine(tree_aggregate agg, float *acc, float v)
{
    if (agg == TREE_AGG_MIN)
        *acc = isnan(*acc) || v < *acc ? v : *acc;
    else if (agg == TREE_AGG_MAX)
        *acc = isnan(*acc) || v > *acc ? v : *acc;
    else
        *acc += v;
}

static void add_leaf(const tree_ensemble *e, const tree_root *tree, const tree_node *leaf,
                     float *acc)
{
    if (tree->output != TREE_OUTPUT_VECTOR) {
        combine(e->aggregate, &acc[tree->output], leaf->value);
        return;
    }
    const float *values = e->leaf_values + (size_t)bits(leaf->value) * e->n_outputs;
    for (size_t o = 0; o < e->n_outputs; o++)
        combine(e->aggregate, &acc[o], values[o]);
}

static void walk_general(const tree_ensemble *e, const float *x, size_t nb, float *acc)
{
    size_t nf = e->n_features, no = e->n_outputs;
    uint32_t idx[TREE_BLOCK_ROWS];
    for (size_t t = 0; t < e->n_trees; t++) {
        const tree_root *tree = &e->trees[t];
        for (size_t r = 0; r < nb; r++)
            idx[r] = tree->node;
        for (uint32_t d = 0; d < tree->depth; d++)
            for (size_t r = 0; r < nb; r++)
                idx[r] = step_general(e, &e->nodes[idx[r]], x + r * nf);
        for (size_t r = 0; r < nb; r++)
            add_leaf(e, tree, &e->nodes[idx[r]], acc + r * no);
    }
}

/* ---------------------------------------------------------------- blocks */

static void start_block(const tree_ensemble *e, size_t nb, float *acc)
{
    size_t no = e->n_outputs;
    bool unset = e->aggregate == TREE_AGG_MIN || e->aggregate == TREE_AGG_MAX;
    for (size_t r = 0; r < nb; r++)
        for (size_t o = 0; o < no; o++)
            acc[r * no + o] = unset ? NAN : e->base_last ? 0.0f : e->base[o];
}

static void finish_block(const tree_ensemble *e, size_t nb, float *acc)
{
    size_t no = e->n_outputs;
    if (!e->base_last)
        return;
    for (size_t r = 0; r < nb; r++) {
        for (size_t o = 0; o < no; o++) {
            float *a = &acc[r * no + o];
            if (isnan(*a) && (e->aggregate == TREE_AGG_MIN || e->aggregate == TREE_AGG_MAX))
                *a = 0.0f;
            if (e->aggregate == TREE_AGG_AVERAGE && e->n_trees > 0)
                *a /= (float)e->n_trees;
            *a += e->base[o];
        }
    }
}

void tree_predict(const tree_ensemble *e, const float *x, size_t n_rows, float *out, bool margin)
{
    float acc[TREE_MAX_OUTPUTS];
    size_t no = e->n_outputs, nf = e->n_features;
    size_t block =
        TREE_MAX_OUTPUTS / no < TREE_BLOCK_ROWS ? TREE_MAX_OUTPUTS / no : TREE_BLOCK_ROWS;
    size_t width = tree_ensemble_output_width(e, margin);
    for (size_t r0 = 0; r0 < n_rows; r0 += block) {
        size_t nb = n_rows - r0 < block ? n_rows - r0 : block;
        const float *xb = x + r0 * nf;
        start_block(e, nb, acc);
        if (e->kernel == TREE_KERNEL_LT_NAN)
            walk_lt_nan(e, xb, nb, acc);
        else if (e->kernel == TREE_KERNEL_LE_NAN)
            walk_le_nan(e, xb, nb, acc);
        else
            walk_general(e, xb, nb, acc);
        finish_block(e, nb, acc);
        if (margin || e->transform == TREE_TRANSFORM_NONE)
            memcpy(out + r0 * width, acc, nb * no * sizeof *acc);
        else
            tree_transform_rows(e->transform, acc, nb, no, out + r0 * width);
    }
}
