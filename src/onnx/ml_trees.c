/* The ai.onnx.ml tree operators' shared part: both attribute layouts to one flat forest, the
 * forest to a tree ensemble in graph memory, and block evaluation of margins. See ml_trees.h. */
#include "onnx/ml_trees.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trees/builder.h"
#include "trees/predict.h"

/* ------------------------------------------------------------------------------------------ */
/* Attributes                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/* A double rounded to float (thresholds given in double for double inputs). */
static float to_float(double v)
{
    return (float)v;
}

/* A float tensor attribute's values as floats in graph memory. */
static ferry_status tensor_floats(onnx_graph *g, const onnx_node *n, const char *name,
                                  const ferry_tensor *t, const float **out, size_t *count,
                                  ferry_error *err)
{
    if (t->dtype != FERRY_DTYPE_FP32 && t->dtype != FERRY_DTYPE_FP64)
        return onnx_node_error(err, FERRY_UNSUPPORTED, n, "attribute '%s' must be float or double",
                               name);
    int64_t k = 1;
    for (int d = 0; d < t->ndim; d++)
        k *= t->shape[d];
    float *v = onnx_graph_alloc(g, (size_t)k * sizeof *v + 1);
    if (v == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    for (int64_t i = 0; i < k; i++)
        v[i] = t->dtype == FERRY_DTYPE_FP32 ? ((const float *)t->data)[i]
                                            : to_float(((const double *)t->data)[i]);
    *out = v;
    *count = (size_t)k;
    return FERRY_OK;
}

ferry_status onnx_ml_attr_floats_or_tensor(onnx_graph *g, const onnx_node *n, const char *name,
                                           const float **out, size_t *count, ferry_error *err)
{
    char tname[128];
    snprintf(tname, sizeof tname, "%s_as_tensor", name);
    const ferry_tensor *t;
    ferry_status st = onnx_attr_floats(n, name, out, count, err);
    if (st == FERRY_OK)
        st = onnx_attr_tensor(n, tname, &t, err);
    if (st != FERRY_OK || t == NULL)
        return st;
    if (*out != NULL)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "both '%s' and '%s' are set", name,
                               tname);
    return tensor_floats(g, n, tname, t, out, count, err);
}

/* Allocates the forest's per-entry arrays for n entries. */
static ferry_status forest_alloc(onnx_graph *g, const onnx_node *nd, onnx_ml_forest *f, size_t n,
                                 ferry_error *err)
{
    memset(f, 0, sizeof *f);
    f->n = n;
    f->mode = onnx_graph_alloc(g, n * sizeof *f->mode + 1);
    f->feature = onnx_graph_alloc(g, n * sizeof *f->feature + 1);
    f->value = onnx_graph_alloc(g, n * sizeof *f->value + 1);
    f->yes = onnx_graph_alloc(g, n * sizeof *f->yes + 1);
    f->no = onnx_graph_alloc(g, n * sizeof *f->no + 1);
    f->missing_true = onnx_graph_alloc(g, n * sizeof *f->missing_true + 1);
    f->members = onnx_graph_alloc(g, n * sizeof *f->members + 1);
    f->n_members = onnx_graph_alloc(g, n * sizeof *f->n_members + 1);
    f->tstart = onnx_graph_alloc(g, (n + 1) * sizeof *f->tstart);
    if (!f->mode || !f->feature || !f->value || !f->yes || !f->no || !f->missing_true ||
        !f->members || !f->n_members || !f->tstart)
        return onnx_node_error(err, FERRY_NO_MEMORY, nd, "out of memory for %zu tree nodes", n);
    return FERRY_OK;
}

static const char *const mode_names[] = {
    [ONNX_ML_LEQ] = "BRANCH_LEQ",       [ONNX_ML_LT] = "BRANCH_LT", [ONNX_ML_GTE] = "BRANCH_GTE",
    [ONNX_ML_GT] = "BRANCH_GT",         [ONNX_ML_EQ] = "BRANCH_EQ", [ONNX_ML_NEQ] = "BRANCH_NEQ",
    [ONNX_ML_MEMBER] = "BRANCH_MEMBER", [ONNX_ML_LEAF] = "LEAF",
};

static int mode_of(const char *s)
{
    for (int m = 0; m <= ONNX_ML_LEAF; m++)
        if (strcmp(s, mode_names[m]) == 0)
            return m;
    return -1;
}

/* Fills the target CSR from k targets on entries `at` (-1: none) with ids and weights. */
static ferry_status fill_targets(onnx_graph *g, const onnx_node *nd, onnx_ml_forest *f, size_t k,
                                 const int64_t *at, const int64_t *ids, const float *w,
                                 ferry_error *err)
{
    f->tid = onnx_graph_alloc(g, k * sizeof *f->tid + 1);
    f->tweight = onnx_graph_alloc(g, k * sizeof *f->tweight + 1);
    uint32_t *fill = calloc(f->n + 1, sizeof *fill);
    if (f->tid == NULL || f->tweight == NULL || fill == NULL) {
        free(fill);
        return onnx_node_error(err, FERRY_NO_MEMORY, nd, "out of memory for %zu targets", k);
    }
    memset(f->tstart, 0, (f->n + 1) * sizeof *f->tstart);
    for (size_t i = 0; i < k; i++)
        if (at[i] >= 0)
            f->tstart[at[i] + 1]++;
    for (size_t e = 0; e < f->n; e++)
        f->tstart[e + 1] += f->tstart[e];
    for (size_t i = 0; i < k; i++) {
        if (at[i] < 0)
            continue;
        uint32_t j = f->tstart[at[i]] + fill[at[i]]++;
        if (ids[i] < 0 || ids[i] > (int64_t)TREE_MAX_OUTPUTS) {
            free(fill);
            return onnx_node_error(err, FERRY_INVALID_ARG, nd, "target %zu: id %lld out of range",
                                   i, (long long)ids[i]);
        }
        f->tid[j] = (uint32_t)ids[i];
        f->tweight[j] = w[i];
    }
    free(fill);
    return FERRY_OK;
}

/* ---- opsets 1 and 3 ---- */

typedef struct node_key {
    int64_t tree, node;
    int64_t entry;
} node_key;

static int key_cmp(const void *a, const void *b)
{
    const node_key *x = a, *y = b;
    if (x->tree != y->tree)
        return x->tree < y->tree ? -1 : 1;
    return (x->node > y->node) - (x->node < y->node);
}

/* The entry of (tree, node), or -1. */
static int64_t key_find(const node_key *keys, size_t n, int64_t tree, int64_t node)
{
    node_key k = {.tree = tree, .node = node};
    const node_key *hit = bsearch(&k, keys, n, sizeof k, key_cmp);
    return hit ? hit->entry : -1;
}

typedef struct legacy_attrs {
    const int64_t *tree, *node, *feature, *yes, *no, *missing;
    size_t n_tree, n_node, n_feature, n_yes, n_no, n_missing, n_values, n_modes;
    const float *values;
    const onnx_string *modes;
} legacy_attrs;

static ferry_status read_legacy(onnx_graph *g, const onnx_node *n, legacy_attrs *a,
                                ferry_error *err)
{
    ferry_status st = onnx_attr_ints(n, "nodes_treeids", &a->tree, &a->n_tree, err);
    if (st == FERRY_OK)
        st = onnx_attr_ints(n, "nodes_nodeids", &a->node, &a->n_node, err);
    if (st == FERRY_OK)
        st = onnx_attr_ints(n, "nodes_featureids", &a->feature, &a->n_feature, err);
    if (st == FERRY_OK)
        st = onnx_attr_ints(n, "nodes_truenodeids", &a->yes, &a->n_yes, err);
    if (st == FERRY_OK)
        st = onnx_attr_ints(n, "nodes_falsenodeids", &a->no, &a->n_no, err);
    if (st == FERRY_OK)
        st = onnx_attr_ints(n, "nodes_missing_value_tracks_true", &a->missing, &a->n_missing, err);
    if (st == FERRY_OK)
        st = onnx_ml_attr_floats_or_tensor(g, n, "nodes_values", &a->values, &a->n_values, err);
    if (st == FERRY_OK)
        st = onnx_ml_attr_strings(g, n, "nodes_modes", &a->modes, &a->n_modes, err);
    if (st != FERRY_OK)
        return st;
    size_t k = a->n_tree;
    if (k == 0)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "the ensemble has no nodes");
    if (a->n_node != k || a->n_feature != k || a->n_yes != k || a->n_no != k || a->n_modes != k ||
        a->n_values != k || (a->n_missing != 0 && a->n_missing != k))
        return onnx_node_error(err, FERRY_INVALID_ARG, n,
                               "the nodes_* attributes have different lengths (%zu tree ids, "
                               "%zu node ids, %zu modes, %zu values)",
                               k, a->n_node, a->n_modes, a->n_values);
    return FERRY_OK;
}

/* Sorted (tree, node) keys of the n entries; fails on a duplicate. */
static ferry_status legacy_keys(const onnx_node *n, const legacy_attrs *a, node_key **out,
                                ferry_error *err)
{
    size_t k = a->n_tree;
    node_key *keys = malloc(k * sizeof *keys);
    if (keys == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    for (size_t i = 0; i < k; i++)
        keys[i] = (node_key){.tree = a->tree[i], .node = a->node[i], .entry = (int64_t)i};
    qsort(keys, k, sizeof *keys, key_cmp);
    for (size_t i = 1; i < k; i++)
        if (keys[i].tree == keys[i - 1].tree && keys[i].node == keys[i - 1].node) {
            ferry_status st =
                onnx_node_error(err, FERRY_INVALID_ARG, n, "tree %lld: node %lld is given twice",
                                (long long)keys[i].tree, (long long)keys[i].node);
            free(keys);
            return st;
        }
    *out = keys;
    return FERRY_OK;
}

/* Entry i's mode, feature, threshold and children. */
static ferry_status legacy_entry(const onnx_node *n, const legacy_attrs *a, const node_key *keys,
                                 onnx_ml_forest *f, size_t i, ferry_error *err)
{
    int m = mode_of(a->modes[i].data);
    if (m < 0 || m == ONNX_ML_MEMBER)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "tree %lld: node %lld: unknown mode '%s'",
                               (long long)a->tree[i], (long long)a->node[i], a->modes[i].data);
    f->mode[i] = (uint8_t)m;
    f->value[i] = a->values[i];
    f->missing_true[i] = a->n_missing ? a->missing[i] != 0 : 0;
    if (m == ONNX_ML_LEAF)
        return FERRY_OK;
    if (a->feature[i] < 0 || a->feature[i] >= (int64_t)TREE_MAX_FEATURES)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "tree %lld: node %lld: feature %lld",
                               (long long)a->tree[i], (long long)a->node[i],
                               (long long)a->feature[i]);
    f->feature[i] = (uint32_t)a->feature[i];
    f->yes[i] = key_find(keys, a->n_tree, a->tree[i], a->yes[i]);
    f->no[i] = key_find(keys, a->n_tree, a->tree[i], a->no[i]);
    if (f->yes[i] < 0 || f->no[i] < 0)
        return onnx_node_error(err, FERRY_INVALID_ARG, n,
                               "tree %lld: node %lld: child %lld is not a node of the tree",
                               (long long)a->tree[i], (long long)a->node[i],
                               (long long)(f->yes[i] < 0 ? a->yes[i] : a->no[i]));
    return FERRY_OK;
}

/* Roots: the first entry of each run of one tree id (as ONNX Runtime reads them). */
static ferry_status legacy_roots(onnx_graph *g, const onnx_node *n, const legacy_attrs *a,
                                 onnx_ml_forest *f, ferry_error *err)
{
    size_t k = 0;
    for (size_t i = 0; i < a->n_tree; i++)
        k += i == 0 || a->tree[i] != a->tree[i - 1];
    f->roots = onnx_graph_alloc(g, k * sizeof *f->roots);
    if (f->roots == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    for (size_t i = 0; i < a->n_tree; i++)
        if (i == 0 || a->tree[i] != a->tree[i - 1])
            f->roots[f->n_roots++] = (uint32_t)i;
    return FERRY_OK;
}

/* The prefix's target attributes, their entries (-1 for a node that is no leaf). */
static ferry_status legacy_targets(onnx_graph *g, const onnx_node *n, const char *prefix,
                                   const node_key *keys, onnx_ml_forest *f, ferry_error *err)
{
    char name[4][64];
    const char *suffix[4] = {"ids", "nodeids", "treeids", "weights"};
    for (int i = 0; i < 4; i++)
        snprintf(name[i], sizeof name[i], "%s_%s", prefix, suffix[i]);
    const int64_t *ids, *nodes, *trees;
    const float *w;
    size_t n_ids, n_nodes, n_trees, n_w;
    ferry_status st = onnx_attr_ints(n, name[0], &ids, &n_ids, err);
    if (st == FERRY_OK)
        st = onnx_attr_ints(n, name[1], &nodes, &n_nodes, err);
    if (st == FERRY_OK)
        st = onnx_attr_ints(n, name[2], &trees, &n_trees, err);
    if (st == FERRY_OK)
        st = onnx_ml_attr_floats_or_tensor(g, n, name[3], &w, &n_w, err);
    if (st != FERRY_OK)
        return st;
    if (n_nodes != n_ids || n_trees != n_ids || n_w != n_ids)
        return onnx_node_error(err, FERRY_INVALID_ARG, n,
                               "the %s_* attributes have different "
                               "lengths",
                               prefix);
    int64_t *at = malloc((n_ids + 1) * sizeof *at);
    if (at == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    for (size_t i = 0; i < n_ids && st == FERRY_OK; i++) {
        at[i] = key_find(keys, f->n, trees[i], nodes[i]);
        if (at[i] < 0)
            st = onnx_node_error(err, FERRY_INVALID_ARG, n, "%s %zu: tree %lld has no node %lld",
                                 name[3], i, (long long)trees[i], (long long)nodes[i]);
        else if (f->mode[at[i]] != ONNX_ML_LEAF)
            at[i] = -1;
    }
    if (st == FERRY_OK)
        st = fill_targets(g, n, f, n_ids, at, ids, w, err);
    free(at);
    return st;
}

ferry_status onnx_ml_forest_legacy(onnx_graph *g, const onnx_node *n, const char *prefix,
                                   onnx_ml_forest *f, ferry_error *err)
{
    legacy_attrs a = {0};
    node_key *keys = NULL;
    ferry_status st = read_legacy(g, n, &a, err);
    if (st == FERRY_OK)
        st = forest_alloc(g, n, f, a.n_tree, err);
    if (st == FERRY_OK)
        st = legacy_keys(n, &a, &keys, err);
    for (size_t i = 0; st == FERRY_OK && i < a.n_tree; i++)
        st = legacy_entry(n, &a, keys, f, i, err);
    if (st == FERRY_OK)
        st = legacy_roots(g, n, &a, f, err);
    if (st == FERRY_OK)
        st = legacy_targets(g, n, prefix, keys, f, err);
    free(keys);
    return st;
}

/* ---- opset 5 ---- */

typedef struct v5_attrs {
    const int64_t *feature, *yes, *no, *yes_leaf, *no_leaf, *missing, *roots, *targets;
    size_t n_feature, n_yes, n_no, n_yes_leaf, n_no_leaf, n_missing, n_roots, n_targets;
    const ferry_tensor *modes;
    const float *splits, *weights, *members;
    size_t n_splits, n_weights, n_members;
} v5_attrs;

static ferry_status v5_tensor(onnx_graph *g, const onnx_node *n, const char *name,
                              const float **out, size_t *count, ferry_error *err)
{
    const ferry_tensor *t;
    *out = NULL;
    *count = 0;
    ferry_status st = onnx_attr_tensor(n, name, &t, err);
    return st != FERRY_OK || t == NULL ? st : tensor_floats(g, n, name, t, out, count, err);
}

static ferry_status read_v5(onnx_graph *g, const onnx_node *n, v5_attrs *a, ferry_error *err)
{
    ferry_status st = onnx_attr_ints(n, "nodes_featureids", &a->feature, &a->n_feature, err);
    if (st == FERRY_OK)
        st = onnx_attr_ints(n, "nodes_truenodeids", &a->yes, &a->n_yes, err);
    if (st == FERRY_OK)
        st = onnx_attr_ints(n, "nodes_falsenodeids", &a->no, &a->n_no, err);
    if (st == FERRY_OK)
        st = onnx_attr_ints(n, "nodes_trueleafs", &a->yes_leaf, &a->n_yes_leaf, err);
    if (st == FERRY_OK)
        st = onnx_attr_ints(n, "nodes_falseleafs", &a->no_leaf, &a->n_no_leaf, err);
    if (st == FERRY_OK)
        st = onnx_attr_ints(n, "nodes_missing_value_tracks_true", &a->missing, &a->n_missing, err);
    if (st == FERRY_OK)
        st = onnx_attr_ints(n, "tree_roots", &a->roots, &a->n_roots, err);
    if (st == FERRY_OK)
        st = onnx_attr_ints(n, "leaf_targetids", &a->targets, &a->n_targets, err);
    if (st == FERRY_OK)
        st = onnx_attr_tensor(n, "nodes_modes", &a->modes, err);
    if (st == FERRY_OK)
        st = v5_tensor(g, n, "nodes_splits", &a->splits, &a->n_splits, err);
    if (st == FERRY_OK)
        st = v5_tensor(g, n, "leaf_weights", &a->weights, &a->n_weights, err);
    if (st == FERRY_OK)
        st = v5_tensor(g, n, "membership_values", &a->members, &a->n_members, err);
    if (st != FERRY_OK)
        return st;
    size_t k = a->n_feature;
    if (a->modes == NULL || a->modes->dtype != FERRY_DTYPE_UINT8 ||
        onnx_numel(a->modes) != (int64_t)k)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "nodes_modes must be %zu uint8 values",
                               k);
    if (a->n_yes != k || a->n_no != k || a->n_yes_leaf != k || a->n_no_leaf != k ||
        a->n_splits != k || (a->n_missing != 0 && a->n_missing != k))
        return onnx_node_error(err, FERRY_INVALID_ARG, n,
                               "the nodes_* attributes have different lengths");
    if (a->n_weights != a->n_targets)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "%zu leaf_targetids but %zu leaf_weights",
                               a->n_targets, a->n_weights);
    if (a->n_roots == 0)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "tree_roots is empty");
    return FERRY_OK;
}

/* A child of split i: a split index, or a leaf index past the splits. */
static ferry_status v5_child(const onnx_node *n, const v5_attrs *a, size_t i, bool yes,
                             int64_t *out, ferry_error *err)
{
    int64_t c = yes ? a->yes[i] : a->no[i];
    bool leaf = (yes ? a->yes_leaf[i] : a->no_leaf[i]) != 0;
    int64_t limit = leaf ? (int64_t)a->n_targets : (int64_t)a->n_feature;
    if (c < 0 || c >= limit)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "node %zu: %s %s %lld out of range", i,
                               yes ? "true" : "false", leaf ? "leaf" : "node", (long long)c);
    *out = leaf ? (int64_t)a->n_feature + c : c;
    return FERRY_OK;
}

/* Split i; *member_at walks membership_values (sets separated by NaN). */
static ferry_status v5_entry(const onnx_node *n, const v5_attrs *a, onnx_ml_forest *f, size_t i,
                             size_t *member_at, ferry_error *err)
{
    uint8_t m = ((const uint8_t *)a->modes->data)[i];
    if (m > ONNX_ML_MEMBER)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "node %zu: unknown mode %u", i, m);
    if (a->feature[i] < 0 || a->feature[i] >= (int64_t)TREE_MAX_FEATURES)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "node %zu: feature %lld", i,
                               (long long)a->feature[i]);
    f->mode[i] = m;
    f->feature[i] = (uint32_t)a->feature[i];
    f->value[i] = a->splits[i];
    f->missing_true[i] = a->n_missing ? a->missing[i] != 0 : 0;
    if (m == ONNX_ML_MEMBER) {
        size_t s = *member_at, e = s;
        while (e < a->n_members && !isnan(a->members[e]))
            e++;
        if (s >= a->n_members && a->n_members > 0)
            return onnx_node_error(err, FERRY_INVALID_ARG, n,
                                   "node %zu: membership_values has no set left for it", i);
        f->members[i] = a->members ? a->members + s : NULL;
        f->n_members[i] = e - s;
        *member_at = e + 1;
    }
    ferry_status st = v5_child(n, a, i, true, &f->yes[i], err);
    return st == FERRY_OK ? v5_child(n, a, i, false, &f->no[i], err) : st;
}

ferry_status onnx_ml_forest_v5(onnx_graph *g, const onnx_node *n, onnx_ml_forest *f,
                               ferry_error *err)
{
    v5_attrs a = {0};
    ferry_status st = read_v5(g, n, &a, err);
    if (st == FERRY_OK)
        st = forest_alloc(g, n, f, a.n_feature + a.n_targets, err);
    size_t member_at = 0;
    for (size_t i = 0; st == FERRY_OK && i < a.n_feature; i++)
        st = v5_entry(n, &a, f, i, &member_at, err);
    if (st != FERRY_OK)
        return st;
    int64_t *at = malloc((a.n_targets + 1) * sizeof *at);
    f->roots = onnx_graph_alloc(g, a.n_roots * sizeof *f->roots);
    if (at == NULL || f->roots == NULL) {
        free(at);
        return onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    }
    for (size_t j = 0; j < a.n_targets; j++) {
        f->mode[a.n_feature + j] = ONNX_ML_LEAF;
        at[j] = (int64_t)(a.n_feature + j);
    }
    for (size_t t = 0; t < a.n_roots && st == FERRY_OK; t++) {
        if (a.roots[t] < 0 || a.roots[t] >= (int64_t)a.n_feature)
            st = onnx_node_error(err, FERRY_INVALID_ARG, n, "tree %zu: root %lld out of range", t,
                                 (long long)a.roots[t]);
        else
            f->roots[f->n_roots++] = (uint32_t)a.roots[t];
    }
    if (st == FERRY_OK)
        st = fill_targets(g, n, f, a.n_targets, at, a.targets, a.weights, err);
    free(at);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Building                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* Per-build scratch. */
typedef struct build_ctx {
    onnx_graph *g;
    const onnx_node *node;
    const onnx_ml_forest *f;
    size_t n_outputs;
    tree_aggregate agg;
    bool indicator;   /* leaves are 1 for each output they have a weight for */
    uint32_t *seen;   /* per entry: 1 + the tree that reached it */
    int64_t *local;   /* per entry: its index in src */
    size_t *entry_of; /* per src index: its entry */
    tree_src_node *src;
    float *vectors; /* leaf vectors of a vector tree */
    size_t cap_vectors;
} build_ctx;

static const tree_cmp cmp_of[] = {
    [ONNX_ML_LEQ] = TREE_CMP_LE,        [ONNX_ML_LT] = TREE_CMP_LT, [ONNX_ML_GTE] = TREE_CMP_GE,
    [ONNX_ML_GT] = TREE_CMP_GT,         [ONNX_ML_EQ] = TREE_CMP_EQ, [ONNX_ML_NEQ] = TREE_CMP_NEQ,
    [ONNX_ML_MEMBER] = TREE_CMP_IN_SET,
};

/* Collects tree t's entries breadth first into src (children as src indices); *count gets them. */
static ferry_status collect_tree(build_ctx *c, size_t t, size_t *count, ferry_error *err)
{
    const onnx_ml_forest *f = c->f;
    size_t k = 0;
    c->entry_of[k] = f->roots[t];
    c->local[f->roots[t]] = 0;
    c->seen[f->roots[t]] = (uint32_t)t + 1;
    k = 1;
    for (size_t q = 0; q < k; q++) {
        size_t e = c->entry_of[q];
        tree_src_node *s = &c->src[q];
        *s = (tree_src_node){.yes = -1, .no = -1};
        if (f->mode[e] == ONNX_ML_LEAF)
            continue;
        int64_t kids[2] = {f->yes[e], f->no[e]};
        for (int j = 0; j < 2; j++) {
            int64_t ch = kids[j];
            if (ch < 0 || (size_t)ch >= f->n || c->seen[ch] == (uint32_t)t + 1)
                return onnx_node_error(err, FERRY_INVALID_ARG, c->node,
                                       "tree %zu: node %zu: child %lld is out of range or "
                                       "reached twice",
                                       t, e, (long long)ch);
            c->seen[ch] = (uint32_t)t + 1;
            c->local[ch] = (int64_t)k;
            c->entry_of[k++] = (size_t)ch;
        }
        s->yes = (int32_t)c->local[kids[0]];
        s->no = (int32_t)c->local[kids[1]];
        s->feature = f->feature[e];
        s->cmp = cmp_of[f->mode[e]];
        s->missing = f->missing_true[e] ? TREE_MISSING_NAN : TREE_MISSING_IEEE;
        s->default_yes = f->missing_true[e] != 0;
        s->value = f->value[e];
        s->members = f->members[e];
        s->n_set = f->n_members[e];
    }
    *count = k;
    return FERRY_OK;
}

/* The output all of the tree's leaves feed, or TREE_OUTPUT_VECTOR when they feed several. */
static ferry_status tree_output(build_ctx *c, size_t t, size_t count, uint32_t *out,
                                ferry_error *err)
{
    const onnx_ml_forest *f = c->f;
    int64_t one = -1;
    bool several = false;
    for (size_t q = 0; q < count; q++) {
        size_t e = c->entry_of[q];
        for (uint32_t j = f->tstart[e]; f->mode[e] == ONNX_ML_LEAF && j < f->tstart[e + 1]; j++) {
            if (f->tid[j] >= c->n_outputs)
                return onnx_node_error(err, FERRY_INVALID_ARG, c->node,
                                       "tree %zu: leaf %zu: target %u out of range (%zu outputs)",
                                       t, e, f->tid[j], c->n_outputs);
            several |= one >= 0 && one != (int64_t)f->tid[j];
            one = f->tid[j];
        }
    }
    if (several && (c->agg == TREE_AGG_MIN || c->agg == TREE_AGG_MAX))
        return onnx_node_error(err, FERRY_UNSUPPORTED, c->node,
                               "tree %zu: aggregate MIN or MAX over leaves that feed several "
                               "targets is not supported",
                               t);
    *out = several ? TREE_OUTPUT_VECTOR : (uint32_t)(one < 0 ? 0 : one);
    return FERRY_OK;
}

/* Sets every leaf's value (scalar) or vector from its targets. */
static ferry_status leaf_values(build_ctx *c, size_t count, uint32_t output, ferry_error *err)
{
    const onnx_ml_forest *f = c->f;
    size_t need = output == TREE_OUTPUT_VECTOR ? count * c->n_outputs : 0;
    if (need > c->cap_vectors) {
        free(c->vectors);
        c->vectors = malloc(need * sizeof *c->vectors);
        c->cap_vectors = c->vectors ? need : 0;
        if (c->vectors == NULL)
            return onnx_node_error(err, FERRY_NO_MEMORY, c->node, "out of memory");
    }
    for (size_t q = 0; q < count; q++) {
        size_t e = c->entry_of[q];
        if (f->mode[e] != ONNX_ML_LEAF)
            continue;
        float *v = output == TREE_OUTPUT_VECTOR ? c->vectors + q * c->n_outputs : NULL;
        if (v != NULL)
            memset(v, 0, c->n_outputs * sizeof *v);
        float sum = 0;
        for (uint32_t j = f->tstart[e]; j < f->tstart[e + 1]; j++) {
            sum = c->indicator ? 1.0f : sum + f->tweight[j];
            if (v != NULL)
                v[f->tid[j]] = c->indicator ? 1.0f : v[f->tid[j]] + f->tweight[j];
        }
        c->src[q].value = sum;
        c->src[q].leaf_vector = v;
    }
    return FERRY_OK;
}

static ferry_status add_trees(build_ctx *c, tree_builder *b, ferry_error *err)
{
    ferry_status st = FERRY_OK;
    for (size_t t = 0; st == FERRY_OK && t < c->f->n_roots; t++) {
        size_t count = 0;
        uint32_t output = 0;
        st = collect_tree(c, t, &count, err);
        if (st == FERRY_OK)
            st = tree_output(c, t, count, &output, err);
        if (st == FERRY_OK)
            st = leaf_values(c, count, output, err);
        if (st == FERRY_OK) {
            ferry_error e2 = {0};
            st = tree_builder_add_tree(b, c->src, count, 0, output, &e2);
            if (st != FERRY_OK)
                onnx_node_error(err, st, c->node, "tree %zu: %s", t, e2.message);
        }
    }
    return st;
}

/* Moves e's arrays into graph memory; *out is the graph's copy. */
static ferry_status keep_in_graph(build_ctx *c, const tree_ensemble *e, const tree_ensemble **out,
                                  ferry_error *err)
{
    tree_ensemble *k = onnx_graph_alloc(c->g, sizeof *k);
    if (k == NULL)
        return onnx_node_error(err, FERRY_NO_MEMORY, c->node, "out of memory");
    *k = *e;
    k->trees = onnx_graph_alloc(c->g, e->n_trees * sizeof *k->trees + 1);
    k->nodes = onnx_graph_alloc(c->g, e->n_nodes * sizeof *k->nodes + 1);
    k->sets = onnx_graph_alloc(c->g, e->n_sets * sizeof *k->sets + 1);
    size_t lv = e->n_leaf_vectors * e->n_outputs;
    k->leaf_values = onnx_graph_alloc(c->g, lv * sizeof *k->leaf_values + 1);
    k->base = onnx_graph_alloc(c->g, e->n_outputs * sizeof *k->base);
    if (!k->trees || !k->nodes || !k->sets || !k->leaf_values || !k->base)
        return onnx_node_error(err, FERRY_NO_MEMORY, c->node, "out of memory for the trees");
    if (e->n_trees)
        memcpy(k->trees, e->trees, e->n_trees * sizeof *k->trees);
    if (e->n_nodes)
        memcpy(k->nodes, e->nodes, e->n_nodes * sizeof *k->nodes);
    if (e->n_sets)
        memcpy(k->sets, e->sets, e->n_sets * sizeof *k->sets);
    if (lv)
        memcpy(k->leaf_values, e->leaf_values, lv * sizeof *k->leaf_values);
    memcpy(k->base, e->base, e->n_outputs * sizeof *k->base);
    *out = k;
    return FERRY_OK;
}

static size_t max_feature(const onnx_ml_forest *f)
{
    size_t m = 0;
    for (size_t e = 0; e < f->n; e++)
        if (f->mode[e] != ONNX_ML_LEAF && f->feature[e] > m)
            m = f->feature[e];
    return m;
}

static ferry_status build_one(onnx_graph *g, const onnx_node *n, const onnx_ml_forest *f,
                              size_t n_outputs, const float *base, tree_aggregate agg,
                              bool indicator, const tree_ensemble **out, ferry_error *err)
{
    build_ctx c = {
        .g = g, .node = n, .f = f, .n_outputs = n_outputs, .agg = agg, .indicator = indicator};
    c.seen = calloc(f->n + 1, sizeof *c.seen);
    c.local = malloc((f->n + 1) * sizeof *c.local);
    c.entry_of = malloc((f->n + 1) * sizeof *c.entry_of);
    c.src = malloc((f->n + 1) * sizeof *c.src);
    tree_params p = {.n_features = max_feature(f) + 1,
                     .n_outputs = n_outputs,
                     .base = base,
                     .base_last = true,
                     .aggregate = agg,
                     .transform = TREE_TRANSFORM_NONE};
    tree_builder *b = NULL;
    tree_ensemble *e = NULL;
    ferry_status st = FERRY_OK;
    if (!c.seen || !c.local || !c.entry_of || !c.src)
        st = onnx_node_error(err, FERRY_NO_MEMORY, n, "out of memory");
    ferry_error e2 = {0};
    if (st == FERRY_OK && (st = tree_builder_create(&p, &b, &e2)) != FERRY_OK)
        onnx_node_error(err, st, n, "%s", e2.message);
    if (st == FERRY_OK)
        st = add_trees(&c, b, err);
    if (st == FERRY_OK && (st = tree_builder_finish(b, &e, &e2)) != FERRY_OK)
        onnx_node_error(err, st, n, "%s", e2.message);
    if (st == FERRY_OK)
        st = keep_in_graph(&c, e, out, err);
    tree_ensemble_destroy(e);
    tree_builder_destroy(b);
    free(c.seen);
    free(c.local);
    free(c.entry_of);
    free(c.src);
    free(c.vectors);
    return st;
}

/* Whether some leaf lacks a weight for some output. */
static bool partial_leaves(const onnx_ml_forest *f, size_t n_outputs)
{
    for (size_t e = 0; e < f->n; e++)
        if (f->mode[e] == ONNX_ML_LEAF && f->tstart[e + 1] - f->tstart[e] < n_outputs)
            return true;
    return false;
}

ferry_status onnx_ml_forest_build(onnx_graph *g, const onnx_node *n, const onnx_ml_forest *f,
                                  size_t n_outputs, const float *base, tree_aggregate agg,
                                  const tree_ensemble **out, const tree_ensemble **hits,
                                  ferry_error *err)
{
    ferry_status st = build_one(g, n, f, n_outputs, base, agg, false, out, err);
    if (hits == NULL || st != FERRY_OK)
        return st;
    *hits = NULL;
    if (!partial_leaves(f, n_outputs))
        return FERRY_OK;
    tree_aggregate hagg = agg == TREE_AGG_MIN || agg == TREE_AGG_MAX ? TREE_AGG_MAX : TREE_AGG_SUM;
    return build_one(g, n, f, n_outputs, NULL, hagg, true, hits, err);
}

/* ------------------------------------------------------------------------------------------ */
/* Evaluation                                                                                 */
/* ------------------------------------------------------------------------------------------ */

size_t onnx_ml_trees_scratch(const tree_ensemble *e)
{
    return ONNX_ML_TREE_BLOCK * (e->n_features + 2 * e->n_outputs) * sizeof(float);
}

float *onnx_ml_trees_margins(const tree_ensemble *e, const tree_ensemble *hits,
                             const ferry_tensor *x, int64_t lo, int64_t hi, void *scratch,
                             const float **hit_out)
{
    int64_t width = x->shape[x->ndim - 1], nf = (int64_t)e->n_features;
    float *rows = scratch, *margins = rows + ONNX_ML_TREE_BLOCK * e->n_features;
    const float *in = rows;
    if (x->dtype == FERRY_DTYPE_FP32 && width == nf) {
        in = (const float *)x->data + lo * width;
    } else {
        for (int64_t r = lo; r < hi; r++) {
            float *dst = rows + (r - lo) * nf;
            int64_t at = r * width;
            for (int64_t j = 0; j < nf; j++) {
                switch (x->dtype) {
                case FERRY_DTYPE_FP64:
                    dst[j] = (float)((const double *)x->data)[at + j];
                    break;
                case FERRY_DTYPE_INT64:
                    dst[j] = (float)((const int64_t *)x->data)[at + j];
                    break;
                case FERRY_DTYPE_INT32:
                    dst[j] = (float)((const int32_t *)x->data)[at + j];
                    break;
                default:
                    dst[j] = ((const float *)x->data)[at + j];
                    break;
                }
            }
        }
    }
    tree_predict(e, in, (size_t)(hi - lo), margins, true);
    *hit_out = NULL;
    if (hits != NULL) {
        float *h = margins + ONNX_ML_TREE_BLOCK * e->n_outputs;
        tree_predict(hits, in, (size_t)(hi - lo), h, true);
        *hit_out = h;
    }
    return margins;
}

/* ------------------------------------------------------------------------------------------ */
/* Regressors                                                                                 */
/* ------------------------------------------------------------------------------------------ */

ferry_status onnx_ml_regressor_infer(const onnx_op_ctx *ctx, ferry_error *err)
{
    const onnx_ml_regressor *p = ctx->node->params;
    uint32_t mask = p->same_dtype ? ONNX_MASK_FLOATS : ONNX_ML_MASK_FEATURES;
    int64_t rows, features;
    ferry_status st = onnx_check_dtype(ctx, 0, mask, err);
    if (st == FERRY_OK)
        st = onnx_ml_rows(ctx, ctx->inputs[0], &rows, &features, err);
    if (st != FERRY_OK)
        return st;
    if (features < (int64_t)p->e->n_features)
        return onnx_node_error(err, FERRY_INVALID_ARG, ctx->node,
                               "the trees read feature %zu but the input has %lld features",
                               p->e->n_features - 1, (long long)features);
    int64_t shape[2] = {rows, (int64_t)p->n_targets};
    ferry_dtype dt = p->same_dtype ? ctx->inputs[0]->dtype : FERRY_DTYPE_FP32;
    onnx_set_output(ctx, 0, dt, 2, shape);
    return FERRY_OK;
}

size_t onnx_ml_regressor_plan(const onnx_op_ctx *ctx)
{
    const onnx_ml_regressor *p = ctx->node->params;
    return onnx_ml_trees_scratch(p->e);
}

/* ONNX Runtime's transform of one row of a regressor: every transform with two or more targets,
 * only PROBIT with one. */
static void regress_row(const onnx_ml_regressor *p, float *m)
{
    if (p->n_targets >= 2)
        onnx_ml_transform_row(p->transform, m, (int64_t)p->n_targets);
    else if (p->transform == ONNX_ML_PROBIT)
        m[0] = onnx_ml_probit(m[0]);
}

ferry_status onnx_ml_regressor_run(const onnx_op_ctx *ctx, int ith, int nth, ferry_error *err)
{
    (void)err;
    const onnx_ml_regressor *p = ctx->node->params;
    const ferry_tensor *x = ctx->inputs[0];
    ferry_tensor *y = ctx->outputs[0];
    int64_t rows = x->ndim == 2 ? x->shape[0] : 1, lo, hi, k = (int64_t)p->n_targets;
    onnx_slice(rows, ith, nth, &lo, &hi);
    for (int64_t b = lo; b < hi; b += ONNX_ML_TREE_BLOCK) {
        int64_t e = hi - b < ONNX_ML_TREE_BLOCK ? hi : b + ONNX_ML_TREE_BLOCK;
        const float *hits;
        float *m = onnx_ml_trees_margins(p->e, p->hits, x, b, e, onnx_scratch(ctx, ith), &hits);
        for (int64_t r = b; r < e; r++) {
            float *row = m + (r - b) * k;
            for (int64_t j = 0; hits != NULL && k > 1 && j < k; j++)
                row[j] = hits[(r - b) * k + j] > 0 ? row[j] : 0.0f; /* no score: 0 */
            regress_row(p, row);
            for (int64_t j = 0; j < k; j++) {
                if (y->dtype == FERRY_DTYPE_FP64)
                    ((double *)y->data)[r * k + j] = row[j];
                else
                    ((float *)y->data)[r * k + j] = row[j];
            }
        }
    }
    return FERRY_OK;
}
