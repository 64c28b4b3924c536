/* Builds a tree ensemble from source-format trees: validation, breadth-first layout, category
 * and member sets, leaf vectors and the choice of evaluation kernel. See builder.h. */
#include "trees/builder.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct tree_builder {
    tree_params p;
    float *base;
    tree_root *trees;
    size_t n_trees, cap_trees;
    tree_node *nodes;
    size_t n_nodes, cap_nodes;
    uint32_t *sets;
    size_t n_sets, cap_sets;
    float *leaf_values;
    size_t n_leaf_floats, cap_leaf_floats;
    /* Per-tree scratch indexed by source node (map, depth) or queue position (queue). */
    uint32_t *map;
    uint32_t *depth;
    uint32_t *queue;
    size_t cap_src;
};

/* Grows *p (elements of `size` bytes, capacity *cap) to hold `need`, at most `max`. */
static ferry_status grow(void **p, size_t *cap, size_t need, size_t size, size_t max,
                         const char *what, ferry_error *err)
{
    if (need <= *cap)
        return FERRY_OK;
    if (need > max)
        return ferry_error_set(err, FERRY_TOO_LARGE, "more than %zu %s", max, what);
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    if (n > max)
        n = max;
    void *q = realloc(*p, n * size);
    if (q == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for %zu %s", n, what);
    *p = q;
    *cap = n;
    return FERRY_OK;
}

ferry_status tree_builder_create(const tree_params *p, tree_builder **out, ferry_error *err)
{
    *out = NULL;
    if (p->n_features == 0 || p->n_features > TREE_MAX_FEATURES)
        return ferry_error_set(err, FERRY_INVALID_ARG, "%zu features (1 to %u supported)",
                               p->n_features, TREE_MAX_FEATURES);
    if (p->n_outputs == 0 || p->n_outputs > TREE_MAX_OUTPUTS)
        return ferry_error_set(err, FERRY_INVALID_ARG, "%zu outputs (1 to %u supported)",
                               p->n_outputs, TREE_MAX_OUTPUTS);
    if ((unsigned)p->aggregate >= TREE_AGG_COUNT || (unsigned)p->transform >= TREE_TRANSFORM_COUNT)
        return ferry_error_set(err, FERRY_INVALID_ARG, "unknown aggregate or post-transform");
    tree_builder *b = calloc(1, sizeof *b);
    float *base = calloc(p->n_outputs, sizeof *base);
    if (b == NULL || base == NULL) {
        free(b);
        free(base);
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for a tree builder");
    }
    if (p->base != NULL)
        memcpy(base, p->base, p->n_outputs * sizeof *base);
    b->p = *p;
    b->p.base = NULL;
    b->p.base_last = p->base_last || p->aggregate != TREE_AGG_SUM;
    b->base = base;
    *out = b;
    return FERRY_OK;
}

size_t tree_builder_n_trees(const tree_builder *b)
{
    return b->n_trees;
}

/* Appends a category bit set ([words, bits...]); returns its offset in *at. */
static ferry_status add_categories(tree_builder *b, const tree_src_node *s, uint32_t *at,
                                   ferry_error *err)
{
    uint32_t max = 0;
    for (size_t i = 0; i < s->n_set; i++) {
        if (s->categories == NULL || s->categories[i] >= TREE_MAX_CATEGORY)
            return ferry_error_set(err, FERRY_INVALID_ARG, "category %u out of range (0 to %u)",
                                   s->categories ? s->categories[i] : 0, TREE_MAX_CATEGORY - 1);
        if (s->categories[i] > max)
            max = s->categories[i];
    }
    size_t words = s->n_set ? max / 32 + 1 : 0;
    ferry_status st = grow((void **)&b->sets, &b->cap_sets, b->n_sets + 1 + words, sizeof *b->sets,
                           TREE_MAX_SET_WORDS, "set words", err);
    if (st != FERRY_OK)
        return st;
    uint32_t *set = b->sets + b->n_sets;
    set[0] = (uint32_t)words;
    memset(set + 1, 0, words * sizeof *set);
    for (size_t i = 0; i < s->n_set; i++)
        set[1 + s->categories[i] / 32] |= 1u << (s->categories[i] % 32);
    *at = (uint32_t)b->n_sets;
    b->n_sets += 1 + words;
    return FERRY_OK;
}

static int compare_floats(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Appends a member list ([count, sorted values...]); returns its offset in *at. */
static ferry_status add_members(tree_builder *b, const tree_src_node *s, uint32_t *at,
                                ferry_error *err)
{
    if (s->n_set > 0 && s->members == NULL)
        return ferry_error_set(err, FERRY_INVALID_ARG, "member set without values");
    ferry_status st = grow((void **)&b->sets, &b->cap_sets, b->n_sets + 1 + s->n_set,
                           sizeof *b->sets, TREE_MAX_SET_WORDS, "set words", err);
    if (st != FERRY_OK)
        return st;
    uint32_t *set = b->sets + b->n_sets;
    float *values = (float *)(set + 1);
    size_t n = 0;
    for (size_t i = 0; i < s->n_set; i++)
        if (!isnan(s->members[i])) /* NaN equals nothing: membership of NaN is `missing` */
            values[n++] = s->members[i];
    qsort(values, n, sizeof *values, compare_floats);
    set[0] = (uint32_t)n;
    *at = (uint32_t)b->n_sets;
    b->n_sets += 1 + n;
    return FERRY_OK;
}

/* Fills nodes[k] from a split node whose children got slots yes and yes + 1. */
static ferry_status emit_split(tree_builder *b, const tree_src_node *s, uint32_t k, uint32_t yes,
                               ferry_error *err)
{
    if (s->feature >= b->p.n_features)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "feature %u out of range (the model has %zu features)", s->feature,
                               b->p.n_features);
    if ((unsigned)s->cmp >= TREE_CMP_COUNT || (unsigned)s->missing >= TREE_MISSING_COUNT)
        return ferry_error_set(err, FERRY_INVALID_ARG, "unknown split test or missing mode");
    uint32_t set = 0;
    ferry_status st = FERRY_OK;
    if (s->cmp == TREE_CMP_IN_CATS)
        st = add_categories(b, s, &set, err);
    else if (s->cmp == TREE_CMP_IN_SET)
        st = add_members(b, s, &set, err);
    if (st != FERRY_OK)
        return st;
    b->nodes[k] = (tree_node){
        .value = s->value,
        .info = s->feature << TREE_FEATURE_SHIFT | (uint32_t)s->cmp |
                (uint32_t)s->missing << TREE_MISSING_SHIFT |
                (s->default_yes ? TREE_DEFAULT_YES_BIT : 0),
        .yes_at = yes * (uint32_t)sizeof(tree_node),
        .set = set,
    };
    return FERRY_OK;
}

/* Fills nodes[k] from a leaf; a vector leaf's values go to leaf_values. */
static ferry_status emit_leaf(tree_builder *b, const tree_src_node *s, uint32_t k, uint32_t output,
                              ferry_error *err)
{
    tree_node leaf = {.value = NAN,
                      .info = TREE_KIND_LEAF,
                      .yes_at = (k - 1) * (uint32_t)sizeof(tree_node), /* mod 2^32 */
                      .leaf = s->value};
    if (output == TREE_OUTPUT_VECTOR) {
        if (s->leaf_vector == NULL)
            return ferry_error_set(err, FERRY_INVALID_ARG, "leaf without its output values");
        size_t n = b->p.n_outputs;
        ferry_status st = grow((void **)&b->leaf_values, &b->cap_leaf_floats, b->n_leaf_floats + n,
                               sizeof *b->leaf_values, TREE_MAX_LEAF_FLOATS, "leaf values", err);
        if (st != FERRY_OK)
            return st;
        memcpy(b->leaf_values + b->n_leaf_floats, s->leaf_vector, n * sizeof *b->leaf_values);
        leaf.row = (uint32_t)(b->n_leaf_floats / n);
        b->n_leaf_floats += n;
    }
    b->nodes[k] = leaf;
    return FERRY_OK;
}

/* Gives source child `c` of node `parent` the next breadth-first slot. */
static ferry_status enqueue(tree_builder *b, size_t n, int32_t c, size_t *tail, uint32_t depth,
                            ferry_error *err)
{
    if (c < 0 || (size_t)c >= n)
        return ferry_error_set(err, FERRY_INVALID_ARG, "child %d out of range (%zu nodes)", c, n);
    if (b->map[c] != UINT32_MAX)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "node %d is reached twice (a cycle or a shared child)", c);
    b->map[c] = (uint32_t)(b->n_nodes + *tail);
    b->depth[c] = depth;
    b->queue[(*tail)++] = (uint32_t)c;
    return FERRY_OK;
}

/* Makes the per-tree scratch hold n source nodes (its contents need not survive). */
static ferry_status grow_scratch(tree_builder *b, size_t n, ferry_error *err)
{
    if (n <= b->cap_src)
        return FERRY_OK;
    free(b->map);
    free(b->depth);
    free(b->queue);
    b->map = malloc(n * sizeof *b->map);
    b->depth = malloc(n * sizeof *b->depth);
    b->queue = malloc(n * sizeof *b->queue);
    b->cap_src = b->map && b->depth && b->queue ? n : 0;
    if (b->cap_src == 0)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for %zu nodes", n);
    return FERRY_OK;
}

/* Lays out the tree breadth first from `root`; *count is its reachable nodes, *depth its depth. */
static ferry_status layout(tree_builder *b, const tree_src_node *src, size_t n, size_t root,
                           uint32_t output, size_t *count, uint32_t *depth, ferry_error *err)
{
    for (size_t i = 0; i < n; i++)
        b->map[i] = UINT32_MAX;
    size_t head = 0, tail = 0;
    ferry_status st = enqueue(b, n, (int32_t)root, &tail, 0, err);
    *depth = 0;
    for (; st == FERRY_OK && head < tail; head++) {
        uint32_t s = b->queue[head], k = b->map[s];
        const tree_src_node *node = &src[s];
        if (b->depth[s] > *depth)
            *depth = b->depth[s];
        if (node->yes < 0 && node->no < 0) {
            st = emit_leaf(b, node, k, output, err);
        } else {
            st = enqueue(b, n, node->yes, &tail, b->depth[s] + 1, err);
            if (st == FERRY_OK)
                st = enqueue(b, n, node->no, &tail, b->depth[s] + 1, err);
            if (st == FERRY_OK) /* breadth first: `no` got the slot right after `yes` */
                st = emit_split(b, node, k, b->map[node->yes], err);
        }
        if (st != FERRY_OK)
            return ferry_error_prefix(err, "node %u: ", s);
    }
    *count = tail;
    return st;
}

ferry_status tree_builder_add_tree(tree_builder *b, const tree_src_node *src, size_t n, size_t root,
                                   uint32_t output, ferry_error *err)
{
    size_t tree = b->n_trees;
    if (n == 0 || root >= n || n > INT32_MAX)
        return ferry_error_set(err, FERRY_INVALID_ARG, "tree %zu: root %zu of %zu nodes", tree,
                               root, n);
    if (output != TREE_OUTPUT_VECTOR && output >= b->p.n_outputs)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "tree %zu: output %u out of range (%zu outputs)", tree, output,
                               b->p.n_outputs);
    ferry_status st = grow((void **)&b->trees, &b->cap_trees, tree + 1, sizeof *b->trees,
                           TREE_MAX_TREES, "trees", err);
    if (st == FERRY_OK)
        st = grow((void **)&b->nodes, &b->cap_nodes, b->n_nodes + n, sizeof *b->nodes,
                  TREE_MAX_NODES, "nodes", err);
    if (st == FERRY_OK)
        st = grow_scratch(b, n, err);
    if (st != FERRY_OK)
        return ferry_error_prefix(err, "tree %zu: ", tree);
    size_t sets = b->n_sets, leaf_floats = b->n_leaf_floats, count = 0;
    uint32_t depth = 0;
    st = layout(b, src, n, root, output, &count, &depth, err);
    if (st != FERRY_OK) {
        b->n_sets = sets;
        b->n_leaf_floats = leaf_floats;
        return ferry_error_prefix(err, "tree %zu: ", tree);
    }
    b->trees[tree] = (tree_root){.node = (uint32_t)b->n_nodes, .depth = depth, .output = output};
    b->n_nodes += count;
    b->n_trees++;
    return FERRY_OK;
}

/* Whether every split is `cmp` with NaN to the default child and a threshold that lets the
 * numeric kernels stand +inf and -inf in for NaN: above -inf for `<`, below +inf for `<=`. */
static bool all_numeric(const tree_builder *b, tree_cmp cmp)
{
    for (size_t i = 0; i < b->n_nodes; i++) {
        const tree_node *n = &b->nodes[i];
        if (tree_node_is_leaf(n))
            continue;
        if (tree_node_cmp(n) != cmp || tree_node_missing(n) != TREE_MISSING_NAN ||
            isnan(n->value) || n->value == (cmp == TREE_CMP_LT ? -INFINITY : INFINITY))
            return false;
    }
    return true;
}

/* The fastest kernel every node and tree allows. */
static tree_kernel pick_kernel(const tree_builder *b)
{
    if (b->p.aggregate != TREE_AGG_SUM)
        return TREE_KERNEL_GENERAL;
    for (size_t t = 0; t < b->n_trees; t++)
        if (b->trees[t].output == TREE_OUTPUT_VECTOR)
            return TREE_KERNEL_GENERAL;
    if (all_numeric(b, TREE_CMP_LT))
        return TREE_KERNEL_LT_NAN;
    if (all_numeric(b, TREE_CMP_LE))
        return TREE_KERNEL_LE_NAN;
    return TREE_KERNEL_GENERAL;
}

ferry_status tree_builder_finish(tree_builder *b, tree_ensemble **out, ferry_error *err)
{
    *out = NULL;
    tree_ensemble *e = calloc(1, sizeof *e);
    if (e == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for a tree ensemble");
    *e = (tree_ensemble){
        .n_features = b->p.n_features,
        .n_outputs = b->p.n_outputs,
        .n_trees = b->n_trees,
        .n_nodes = b->n_nodes,
        .n_sets = b->n_sets,
        .n_leaf_vectors = b->n_leaf_floats / b->p.n_outputs,
        .trees = b->trees,
        .nodes = b->nodes,
        .sets = b->sets,
        .leaf_values = b->leaf_values,
        .base = b->base,
        .base_last = b->p.base_last,
        .aggregate = b->p.aggregate,
        .transform = b->p.transform,
        .kernel = pick_kernel(b),
    };
    for (size_t t = 0; t < b->n_trees; t++)
        if (b->trees[t].depth > e->max_depth)
            e->max_depth = b->trees[t].depth;
    b->trees = NULL;
    b->nodes = NULL;
    b->sets = NULL;
    b->leaf_values = NULL;
    b->base = NULL;
    b->n_trees = b->n_nodes = b->n_sets = b->n_leaf_floats = 0;
    b->cap_trees = b->cap_nodes = b->cap_sets = b->cap_leaf_floats = 0;
    *out = e;
    return FERRY_OK;
}

void tree_builder_destroy(tree_builder *b)
{
    if (b == NULL)
        return;
    free(b->base);
    free(b->trees);
    free(b->nodes);
    free(b->sets);
    free(b->leaf_values);
    free(b->map);
    free(b->depth);
    free(b->queue);
    free(b);
}
