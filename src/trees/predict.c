/* The tree-ensemble evaluator; see predict.h. Two numeric kernels cover XGBoost (`x < t`) and
 * LightGBM-style (`x <= t`) ensembles with NaN to the default child: a block's rows are first
 * copied with NaN stood in for by +inf or -inf (see copy_rows), so that a step is one load of the
 * value, one comparison and one add. One general kernel handles every test, missing mode, leaf
 * vector and aggregate. Every tree is walked `depth` steps: a leaf leads back to itself, so rows
 * that reach a shallow leaf early just stay there. */
#include "trees/predict.h"

#include <math.h>
#include <string.h>

#include "trees/transform.h"

/* ---------------------------------------------------------------- numeric kernels */

/* Floats of stack scratch for the copy of one block's rows (see TREE_SLOT_FIELD): each chunk of 16
 * rows takes 32 floats per feature. Wider models use the general kernel. */
#define SCRATCH_FLOATS       16384
#define LANES                TREE_SLOT_ROWS
#define LANE_FLOATS(nf)      (2 * LANES * (nf))
#define MAX_NUMERIC_FEATURES (SCRATCH_FLOATS / (2 * LANES))

static_assert(TREE_BLOCK_ROWS % LANES == 0, "a block is whole chunks");

/* The most rows walking a tree together, their node offsets and sums in registers. */
#define GROUP 16

#define INLINE static inline __attribute__((always_inline))

/* Copies nb rows into xs as the numeric kernels read them: row r is lane r % 16 of chunk r / 16;
 * in a chunk, feature f's value sits at 32f (NaN made +inf) and at 32f + 16 (NaN made -inf). A
 * split whose NaN goes to `no` reads the first and one whose NaN goes to `yes` the second: then NaN
 * fails or passes `x < t` (`x <= t`) exactly as its default says. */
static void copy_rows(const float *x, size_t nb, size_t nf, float *xs)
{
    /* A leaf makes its rows read a lane of feature 0 (see TREE_SLOT_FIELD), maybe one no row of a
     * partial chunk fills: give those lanes a value. */
    float *last = xs + (nb - 1) / LANES * LANE_FLOATS(nf);
    for (size_t lane = (nb - 1) % LANES + 1; lane < LANES; lane++)
        last[lane] = last[LANES + lane] = 0.0f;
    for (size_t r = 0; r < nb; r++) {
        float *lane = xs + r / LANES * LANE_FLOATS(nf) + r % LANES;
        for (size_t f = 0; f < nf; f++) {
            float v = x[r * nf + f];
            lane[2 * LANES * f] = isnan(v) ? INFINITY : v;
            lane[2 * LANES * f + LANES] = isnan(v) ? -INFINITY : v;
        }
    }
}

/* One step from the node at byte offset `at`, for the row whose values start at `lane`: returns
 * the offset of yes, or of no (16 bytes on) when the test fails (`x <= t` when le, else `x < t`).
 * A leaf (NaN) stays put. Offsets wrap mod 2^32, as a leaf at offset 0 needs. */
INLINE size_t step(const tree_node *nodes, size_t at, const float *lane, bool le)
{
    const tree_node *n = (const tree_node *)((const char *)nodes + at);
    float v = lane[n->info - (le ? TREE_CMP_LE : TREE_CMP_LT)];
    bool holds = le ? v <= n->value : v < n->value;
    return n->yes_at + (uint32_t)sizeof(tree_node) * !holds;
}

/* Walks `width` rows (lanes g[0..width)) from the root of `tree` to their leaves, level by level;
 * at[k] gets row k's leaf offset. Every row starts at the root, so the first step reads the root's
 * fields once. */
INLINE void walk_group(const tree_node *nodes, tree_root tree, const float *g, size_t width,
                       size_t *at, bool le)
{
    const tree_node *root = &nodes[tree.node];
    size_t slot = root->info - (le ? TREE_CMP_LE : TREE_CMP_LT);
    uint32_t yes = root->yes_at;
    float threshold = root->value;
#pragma GCC unroll 16
    for (size_t k = 0; k < width; k++) {
        float v = g[k + slot];
        bool holds = le ? v <= threshold : v < threshold;
        at[k] = yes + (uint32_t)sizeof(tree_node) * !holds;
    }
    for (uint32_t d = 1; d < tree.depth; d++)
#pragma GCC unroll 16
        for (size_t k = 0; k < width; k++)
            at[k] = step(nodes, at[k], g + k, le);
}

/* Adds every tree's leaf into acc for `width` rows (lanes g[0..width), acc rows from acc). With
 * one output the sums stay in registers across the trees. */
INLINE void walk_rows(const tree_ensemble *e, const float *g, size_t width, float *acc, bool le)
{
    const tree_node *nodes = e->nodes;
    size_t no = e->n_outputs;
    float sum[GROUP];
    for (size_t k = 0; k < width; k++)
        sum[k] = acc[k * no];
    for (size_t t = 0; t < e->n_trees; t++) {
        size_t at[GROUP];
        walk_group(nodes, e->trees[t], g, width, at, le);
        if (no == 1) {
#pragma GCC unroll 16
            for (size_t k = 0; k < width; k++)
                sum[k] += nodes[at[k] / sizeof(tree_node)].leaf;
        } else {
            for (size_t k = 0; k < width; k++)
                acc[k * no + e->trees[t].output] += nodes[at[k] / sizeof(tree_node)].leaf;
        }
    }
    if (no == 1)
        for (size_t k = 0; k < width; k++)
            acc[k] = sum[k];
}

/* Adds every tree's leaf into acc for the nb rows copied to xs: in groups of 16, 8, 4 and 1 rows
 * per chunk, each group walking the trees together. */
INLINE void walk_numeric(const tree_ensemble *e, const float *xs, size_t nb, float *acc, bool le)
{
    size_t no = e->n_outputs, chunk_floats = LANE_FLOATS(e->n_features);
    for (size_t c = 0; c * LANES < nb; c++) {
        const float *g = xs + c * chunk_floats;
        size_t r = c * LANES, end = nb - r < LANES ? nb : r + LANES;
        static const size_t widths[] = {16, 8, 4, 1};
        for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
            for (; end - r >= widths[w]; r += widths[w], g += widths[w]) {
                if (widths[w] == 16)
                    walk_rows(e, g, 16, acc + r * no, le);
                else if (widths[w] == 8)
                    walk_rows(e, g, 8, acc + r * no, le);
                else if (widths[w] == 4)
                    walk_rows(e, g, 4, acc + r * no, le);
                else
                    walk_rows(e, g, 1, acc + r * no, le);
            }
        }
    }
}

/* The two numeric kernels. Not inlined: with xs a plain pointer, each row's lane is a constant
 * displacement rather than a register. */
__attribute__((noinline)) static void walk_lt(const tree_ensemble *e, const float *xs, size_t nb,
                                              float *acc)
{
    walk_numeric(e, xs, nb, acc, false);
}

__attribute__((noinline)) static void walk_le(const tree_ensemble *e, const float *xs, size_t nb,
                                              float *acc)
{
    walk_numeric(e, xs, nb, acc, true);
}

/* ---------------------------------------------------------------- general kernel */

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
    switch (tree_node_cmp(n)) {
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
        return in_categories(e->sets + n->set, v);
    case TREE_CMP_IN_SET:
        return in_members(e->sets + n->set, v);
    default:
        return false;
    }
}

/* One step from the node at byte offset `at`; see step(). */
static uint32_t step_general(const tree_ensemble *e, uint32_t at, const float *row)
{
    const tree_node *n = tree_node_at(e->nodes, at);
    if (tree_node_is_leaf(n))
        return at;
    float v = row[tree_node_feature(n)];
    tree_missing missing = tree_node_missing(n);
    uint32_t yes = n->yes_at, no = n->yes_at + (uint32_t)sizeof(tree_node);
    uint32_t to_default = tree_node_default_yes(n) ? yes : no;
    if (isnan(v)) {
        if (missing == TREE_MISSING_NAN || missing == TREE_MISSING_ZERO)
            return to_default;
        if (missing == TREE_MISSING_AS_ZERO)
            v = 0.0f;
    } else if (missing == TREE_MISSING_ZERO && fabsf(v) <= 1e-35f) {
        return to_default;
    }
    return holds(e, n, v) ? yes : no;
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
        combine(e->aggregate, &acc[tree->output], leaf->leaf);
        return;
    }
    const float *values = e->leaf_values + (size_t)leaf->row * e->n_outputs;
    for (size_t o = 0; o < e->n_outputs; o++)
        combine(e->aggregate, &acc[o], values[o]);
}

static void walk_general(const tree_ensemble *e, const float *x, size_t nb, float *acc)
{
    size_t nf = e->n_features, no = e->n_outputs;
    uint32_t at[TREE_BLOCK_ROWS];
    for (size_t t = 0; t < e->n_trees; t++) {
        const tree_root *tree = &e->trees[t];
        for (size_t r = 0; r < nb; r++)
            at[r] = tree->node * (uint32_t)sizeof(tree_node);
        for (uint32_t d = 0; d < tree->depth; d++)
            for (size_t r = 0; r < nb; r++)
                at[r] = step_general(e, at[r], x + r * nf);
        for (size_t r = 0; r < nb; r++)
            add_leaf(e, tree, tree_node_at(e->nodes, at[r]), acc + r * no);
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
    float acc[TREE_MAX_OUTPUTS], xs[SCRATCH_FLOATS];
    size_t no = e->n_outputs, nf = e->n_features;
    size_t block =
        TREE_MAX_OUTPUTS / no < TREE_BLOCK_ROWS ? TREE_MAX_OUTPUTS / no : TREE_BLOCK_ROWS;
    tree_kernel kernel = e->kernel;
    if (nf > MAX_NUMERIC_FEATURES)
        kernel = TREE_KERNEL_GENERAL; /* too wide for the copy: test NaN node by node */
    size_t chunks = SCRATCH_FLOATS / LANE_FLOATS(nf);
    if (kernel != TREE_KERNEL_GENERAL && chunks * LANES < block)
        block = chunks * LANES;
    size_t width = tree_ensemble_output_width(e, margin);
    for (size_t r0 = 0; r0 < n_rows; r0 += block) {
        size_t nb = n_rows - r0 < block ? n_rows - r0 : block;
        const float *xb = x + r0 * nf;
        start_block(e, nb, acc);
        if (kernel == TREE_KERNEL_GENERAL) {
            walk_general(e, xb, nb, acc);
        } else {
            copy_rows(xb, nb, nf, xs);
            if (kernel == TREE_KERNEL_LT_NAN)
                walk_lt(e, xs, nb, acc);
            else
                walk_le(e, xs, nb, acc);
        }
        finish_block(e, nb, acc);
        if (margin || e->transform == TREE_TRANSFORM_NONE)
            memcpy(out + r0 * width, acc, nb * no * sizeof *acc);
        else
            tree_transform_rows(e->transform, acc, nb, no, out + r0 * width);
    }
}
