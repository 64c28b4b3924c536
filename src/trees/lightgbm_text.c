/* LightGBM's text model format into a tree ensemble; see lightgbm_text.h. The file is read line by
 * line: `key=value` lines of the header, then one section per tree from its `Tree=N` line to the
 * next blank line. Every array is checked for its length and every number for its syntax, and an
 * error names the file, the tree and the line. */
#include "trees/lightgbm_text.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trees/builder.h"

/* A line of the file: [s, s + len), numbered from 1. */
typedef struct lgb_line {
    const char *s;
    size_t len;
    size_t number;
} lgb_line;

typedef struct lgb_reader {
    const char *p, *end;
    size_t number;
    const char *name;
} lgb_reader;

static bool next_line(lgb_reader *r, lgb_line *l)
{
    if (r->p >= r->end)
        return false;
    const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
    const char *e = nl ? nl : r->end;
    l->s = r->p;
    l->len = (size_t)(e - r->p);
    if (l->len > 0 && l->s[l->len - 1] == '\r')
        l->len--;
    l->number = ++r->number;
    r->p = nl ? nl + 1 : r->end;
    return true;
}

/* The value of `key=value` when the line has that key, else NULL. */
static const char *value_of(const lgb_line *l, const char *key, size_t *vlen)
{
    size_t k = strlen(key);
    if (l->len <= k || memcmp(l->s, key, k) != 0 || l->s[k] != '=')
        return NULL;
    *vlen = l->len - k - 1;
    return l->s + k + 1;
}

/* ---- one tree's section ---- */

enum {
    K_NUM_LEAVES,
    K_SPLIT_FEATURE,
    K_THRESHOLD,
    K_DECISION,
    K_LEFT,
    K_RIGHT,
    K_LEAF_VALUE,
    K_CAT_BOUNDARIES,
    K_CAT_THRESHOLD,
    K_IS_LINEAR,
    K_COUNT
};

static const char *const tree_keys[K_COUNT] = {
    [K_NUM_LEAVES] = "num_leaves",
    [K_SPLIT_FEATURE] = "split_feature",
    [K_THRESHOLD] = "threshold",
    [K_DECISION] = "decision_type",
    [K_LEFT] = "left_child",
    [K_RIGHT] = "right_child",
    [K_LEAF_VALUE] = "leaf_value",
    [K_CAT_BOUNDARIES] = "cat_boundaries",
    [K_CAT_THRESHOLD] = "cat_threshold",
    [K_IS_LINEAR] = "is_linear",
};

typedef struct lgb_tree {
    size_t index;      /* N of Tree=N */
    size_t first_line; /* of Tree=N */
    lgb_line keys[K_COUNT];
    bool has[K_COUNT];
} lgb_tree;

/* Parses `count` numbers of key k into out (doubles); fails naming the tree, key and line. */
static ferry_status numbers(const lgb_reader *r, const lgb_tree *t, int k, size_t count,
                            double *out, ferry_error *err)
{
    if (!t->has[k])
        return ferry_error_set(err, FERRY_INVALID_ARG, "%s: tree %zu (line %zu): no %s line",
                               r->name, t->index, t->first_line, tree_keys[k]);
    const lgb_line *l = &t->keys[k];
    const char *p = l->s + strlen(tree_keys[k]) + 1, *end = l->s + l->len;
    char buf[64];
    for (size_t i = 0; i < count; i++) {
        while (p < end && *p == ' ')
            p++;
        const char *q = p;
        while (q < end && *q != ' ')
            q++;
        size_t n = (size_t)(q - p);
        char *stop = NULL;
        if (n > 0 && n < sizeof buf) {
            memcpy(buf, p, n);
            buf[n] = '\0';
            errno = 0;
            out[i] = strtod(buf, &stop);
        }
        if (n == 0 || n >= sizeof buf || stop != buf + n)
            return ferry_error_set(
                err, FERRY_INVALID_ARG, "%s line %zu: tree %zu: %s: %s %zu of %zu is %s '%.*s'",
                r->name, l->number, t->index, tree_keys[k], n ? "value" : "missing value", i + 1,
                count, n ? "not a number:" : "", (int)(n < 32 ? n : 32), p);
        p = q;
    }
    return FERRY_OK;
}

/* An integer-valued array (child indices, features, decision types, boundaries). */
static ferry_status integers(const lgb_reader *r, const lgb_tree *t, int k, size_t count,
                             double *tmp, int64_t *out, ferry_error *err)
{
    ferry_status st = numbers(r, t, k, count, tmp, err);
    for (size_t i = 0; st == FERRY_OK && i < count; i++) {
        if (tmp[i] != floor(tmp[i]) || fabs(tmp[i]) > 4e9)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "%s line %zu: tree %zu: %s: value %zu is not an integer",
                                   r->name, t->keys[k].number, t->index, tree_keys[k], i + 1);
        out[i] = (int64_t)tmp[i];
    }
    return st;
}

/* The largest float <= t: `x <= t` in double holds exactly when `x <= it` in float. */
static float round_down(double t)
{
    float f = (float)t;
    return (double)f > t ? nextafterf(f, -INFINITY) : f;
}

/* Parsing state for one model. */
typedef struct lgb_model {
    lgb_reader r;
    size_t n_features, n_per_iter;
    double scale; /* leaf values are multiplied by it (sigmoid:X, average_output) */
    bool average;
    tree_params params;
    char objective[64];
} lgb_model;

/* Arrays for one tree: src nodes, then scratch. */
typedef struct lgb_arrays {
    tree_src_node *src;
    double *tmp;
    int64_t *feature, *decision, *left, *right, *bounds;
    double *threshold, *leaf;
    uint32_t *cats;
    size_t cap, cap_cats;
} lgb_arrays;

static void arrays_free(lgb_arrays *a)
{
    free(a->src);
    free(a->tmp);
    free(a->feature);
    free(a->decision);
    free(a->left);
    free(a->right);
    free(a->bounds);
    free(a->threshold);
    free(a->leaf);
    free(a->cats);
}

static ferry_status arrays_fit(lgb_arrays *a, size_t n, ferry_error *err)
{
    if (n <= a->cap)
        return FERRY_OK;
    arrays_free(a);
    memset(a, 0, sizeof *a);
    a->src = malloc(n * sizeof *a->src);
    a->tmp = malloc(n * sizeof *a->tmp);
    a->feature = malloc(n * sizeof *a->feature);
    a->decision = malloc(n * sizeof *a->decision);
    a->left = malloc(n * sizeof *a->left);
    a->right = malloc(n * sizeof *a->right);
    a->bounds = malloc(n * sizeof *a->bounds);
    a->threshold = malloc(n * sizeof *a->threshold);
    a->leaf = malloc(n * sizeof *a->leaf);
    if (!a->src || !a->tmp || !a->feature || !a->decision || !a->left || !a->right || !a->bounds ||
        !a->threshold || !a->leaf)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for a tree of %zu nodes", n);
    a->cap = n;
    return FERRY_OK;
}

/* Child c of split i (>= 0 a split, < 0 the leaf ~c) as a source index. */
static ferry_status child(const lgb_model *m, const lgb_tree *t, int k, int64_t c, size_t splits,
                          int32_t *out, ferry_error *err)
{
    int64_t leaves = (int64_t)splits + 1;
    if (c >= (int64_t)splits || (c < 0 && ~c >= leaves))
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "%s line %zu: tree %zu: %s %lld out of range (%zu splits, %lld "
                               "leaves)",
                               m->r.name, t->keys[k].number, t->index, tree_keys[k], (long long)c,
                               splits, (long long)leaves);
    *out = c >= 0 ? (int32_t)c : (int32_t)((int64_t)splits + ~c);
    return FERRY_OK;
}

/* The categories of a categorical split i: the bits of its words in cat_threshold. */
static ferry_status categories(lgb_model *m, const lgb_tree *t, lgb_arrays *a, size_t i,
                               const int64_t *bounds, size_t n_bounds, const double *words,
                               size_t n_words, ferry_error *err)
{
    double idx = a->threshold[i];
    if (idx < 0 || idx + 1 >= (double)n_bounds || idx != floor(idx))
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "%s line %zu: tree %zu: split %zu: category set %g out of range",
                               m->r.name, t->keys[K_THRESHOLD].number, t->index, i, idx);
    int64_t lo = bounds[(size_t)idx], hi = bounds[(size_t)idx + 1];
    if (lo < 0 || hi < lo || hi > (int64_t)n_words)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "%s line %zu: tree %zu: cat_boundaries out of range", m->r.name,
                               t->keys[K_CAT_BOUNDARIES].number, t->index);
    size_t need = 32 * (size_t)(hi - lo), n = 0;
    if (need > a->cap_cats) {
        free(a->cats);
        a->cats = malloc((need + 1) * sizeof *a->cats);
        a->cap_cats = a->cats ? need : 0;
        if (a->cats == NULL)
            return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for categories");
    }
    uint32_t *cats = a->cats; /* one split at a time: the builder copies the set */
    for (int64_t w = lo; w < hi; w++) {
        if (!(words[w] >= 0 && words[w] < 4294967296.0 && words[w] == floor(words[w])))
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "%s line %zu: tree %zu: cat_threshold %g is not a 32-bit word",
                                   m->r.name, t->keys[K_CAT_THRESHOLD].number, t->index, words[w]);
        uint32_t bits = (uint32_t)(uint64_t)words[w];
        for (uint32_t b = 0; b < 32; b++)
            if (bits >> b & 1u)
                cats[n++] = (uint32_t)(w - lo) * 32 + b;
    }
    a->src[i].categories = cats;
    a->src[i].n_set = n;
    return FERRY_OK;
}

/* Split i from its arrays (children set by the caller). */
static void split(lgb_arrays *a, size_t i)
{
    tree_src_node *s = &a->src[i];
    int64_t d = a->decision[i];
    int missing = (int)(d >> 2 & 3);
    *s = (tree_src_node){.feature = (uint32_t)a->feature[i], .default_yes = (d & 2) != 0};
    if (d & 1) {
        s->cmp = TREE_CMP_IN_CATS;
        s->missing = TREE_MISSING_NAN;
        s->default_yes = false; /* NaN goes right */
        s->value = 0;
    } else {
        s->cmp = TREE_CMP_LE;
        s->missing = missing == 1   ? TREE_MISSING_ZERO
                     : missing == 2 ? TREE_MISSING_NAN
                                    : TREE_MISSING_AS_ZERO;
        s->value = round_down(a->threshold[i]);
    }
}

/* Reads the split arrays of a tree with `splits` > 0 splits. */
static ferry_status read_splits(lgb_model *m, const lgb_tree *t, lgb_arrays *a, size_t splits,
                                ferry_error *err)
{
    ferry_status st = integers(&m->r, t, K_SPLIT_FEATURE, splits, a->tmp, a->feature, err);
    if (st == FERRY_OK)
        st = numbers(&m->r, t, K_THRESHOLD, splits, a->threshold, err);
    if (st == FERRY_OK)
        st = integers(&m->r, t, K_DECISION, splits, a->tmp, a->decision, err);
    if (st == FERRY_OK)
        st = integers(&m->r, t, K_LEFT, splits, a->tmp, a->left, err);
    if (st == FERRY_OK)
        st = integers(&m->r, t, K_RIGHT, splits, a->tmp, a->right, err);
    for (size_t i = 0; st == FERRY_OK && i < splits; i++) {
        if (a->feature[i] < 0 || a->feature[i] >= (int64_t)m->n_features)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "%s line %zu: tree %zu: split %zu: feature %lld out of range "
                                   "(max_feature_idx %zu)",
                                   m->r.name, t->keys[K_SPLIT_FEATURE].number, t->index, i,
                                   (long long)a->feature[i], m->n_features - 1);
        split(a, i);
        st = child(m, t, K_LEFT, a->left[i], splits, &a->src[i].yes, err);
        if (st == FERRY_OK)
            st = child(m, t, K_RIGHT, a->right[i], splits, &a->src[i].no, err);
    }
    return st;
}

/* Counts the numbers on key k's line. */
static size_t count_values(const lgb_tree *t, int k)
{
    if (!t->has[k])
        return 0;
    const lgb_line *l = &t->keys[k];
    size_t n = 0;
    bool in = false;
    for (size_t i = strlen(tree_keys[k]) + 1; i < l->len; i++) {
        bool sp = l->s[i] == ' ';
        n += !sp && !in;
        in = !sp;
    }
    return n;
}

/* Builds one tree's source nodes and adds it. */
static ferry_status add_tree(lgb_model *m, const lgb_tree *t, size_t number, lgb_arrays *a,
                             tree_builder *b, ferry_error *err)
{
    if (t->has[K_IS_LINEAR] && t->keys[K_IS_LINEAR].s[t->keys[K_IS_LINEAR].len - 1] != '0')
        return ferry_error_set(err, FERRY_UNSUPPORTED,
                               "%s line %zu: tree %zu: linear trees are "
                               "not supported",
                               m->r.name, t->keys[K_IS_LINEAR].number, t->index);
    double leaves_d;
    ferry_status st = numbers(&m->r, t, K_NUM_LEAVES, 1, &leaves_d, err);
    if (st != FERRY_OK)
        return st;
    if (leaves_d < 1 || leaves_d > (double)TREE_MAX_NODES / 2 || leaves_d != floor(leaves_d))
        return ferry_error_set(err, FERRY_INVALID_ARG, "%s line %zu: tree %zu: num_leaves %g",
                               m->r.name, t->keys[K_NUM_LEAVES].number, t->index, leaves_d);
    size_t leaves = (size_t)leaves_d, splits = leaves - 1;
    if (count_values(t, K_LEAF_VALUE) < leaves) /* checked before allocating for num_leaves */
        return ferry_error_set(
            err, FERRY_INVALID_ARG, "%s line %zu: tree %zu: %zu leaf values for num_leaves %zu",
            m->r.name, t->has[K_LEAF_VALUE] ? t->keys[K_LEAF_VALUE].number : t->first_line,
            t->index, count_values(t, K_LEAF_VALUE), leaves);
    st = arrays_fit(a, 2 * leaves + 1, err);
    if (st == FERRY_OK && splits > 0)
        st = read_splits(m, t, a, splits, err);
    if (st == FERRY_OK)
        st = numbers(&m->r, t, K_LEAF_VALUE, leaves, a->leaf, err);
    size_t n_bounds = count_values(t, K_CAT_BOUNDARIES), n_words = count_values(t, K_CAT_THRESHOLD);
    int64_t *bounds = NULL;
    double *words = NULL;
    if (st == FERRY_OK && n_bounds > 0) {
        bounds = malloc(n_bounds * sizeof *bounds);
        words = malloc((n_bounds + n_words + 1) * sizeof *words);
        if (bounds == NULL || words == NULL)
            st = ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for category sets");
        if (st == FERRY_OK)
            st = integers(&m->r, t, K_CAT_BOUNDARIES, n_bounds, words, bounds, err);
        if (st == FERRY_OK)
            st = numbers(&m->r, t, K_CAT_THRESHOLD, n_words, words, err);
    }
    for (size_t i = 0; st == FERRY_OK && i < splits; i++)
        if (a->decision[i] & 1)
            st = categories(m, t, a, i, bounds, n_bounds, words, n_words, err);
    for (size_t j = 0; st == FERRY_OK && j < leaves; j++)
        a->src[splits + j] =
            (tree_src_node){.yes = -1, .no = -1, .value = (float)(a->leaf[j] * m->scale)};
    if (st == FERRY_OK) {
        ferry_error e2 = {0};
        st = tree_builder_add_tree(b, a->src, splits + leaves, 0,
                                   (uint32_t)(number % m->n_per_iter), &e2);
        if (st != FERRY_OK)
            ferry_error_set(err, st, "%s line %zu: tree %zu: %s", m->r.name, t->first_line,
                            t->index, e2.message);
    }
    free(bounds);
    free(words);
    return st;
}

/* ---- the header ---- */

/* Where `needle` starts in v[0..len), or NULL. */
static const char *find(const char *v, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(v + i, needle, n) == 0)
            return v + i;
    return NULL;
}

/* The transform and scale for the objective line's value (e.g. "binary sigmoid:1"). */
static ferry_status objective(lgb_model *m, const char *v, size_t len, size_t line,
                              ferry_error *err)
{
    size_t n = 0;
    while (n < len && v[n] != ' ')
        n++;
    snprintf(m->objective, sizeof m->objective, "%.*s", (int)n, v);
    const char *sig = find(v, len, "sigmoid:");
    double sigmoid = sig ? strtod(sig + 8, NULL) : 1.0;
    static const char *const none[] = {
        "regression", "regression_l2", "l2",          "mean_squared_error",
        "mse",        "regression_l1", "l1",          "mean_absolute_error",
        "mae",        "huber",         "fair",        "quantile",
        "mape",       "lambdarank",    "rank_xendcg", "custom",
        NULL};
    static const char *const exps[] = {"poisson", "gamma", "tweedie", NULL};
    const char *o = m->objective;
    if (find(v, len, "sqrt") != NULL)
        return ferry_error_set(err, FERRY_UNSUPPORTED,
                               "%s line %zu: objective '%.*s' (sqrt) is not supported", m->r.name,
                               line, (int)len, v);
    for (int i = 0; none[i]; i++)
        if (strcmp(o, none[i]) == 0)
            return FERRY_OK;
    for (int i = 0; exps[i]; i++)
        if (strcmp(o, exps[i]) == 0) {
            m->params.transform = TREE_TRANSFORM_EXP;
            return FERRY_OK;
        }
    if (strcmp(o, "binary") == 0 || strcmp(o, "multiclassova") == 0 || strcmp(o, "multiova") == 0 ||
        strcmp(o, "ova") == 0 || strcmp(o, "cross_entropy") == 0 || strcmp(o, "xentropy") == 0) {
        m->params.transform = TREE_TRANSFORM_LOGISTIC;
        m->scale = sig ? sigmoid : 1.0;
        return FERRY_OK;
    }
    if (strcmp(o, "multiclass") == 0 || strcmp(o, "softmax") == 0) {
        m->params.transform = TREE_TRANSFORM_SOFTMAX;
        return FERRY_OK;
    }
    return ferry_error_set(err, FERRY_UNSUPPORTED, "%s line %zu: objective '%s' is not supported",
                           m->r.name, line, o);
}

/* Reads header lines up to the first Tree= line (left in *l); *found says whether there is one. */
static ferry_status header(lgb_model *m, lgb_line *l, bool *found, ferry_error *err)
{
    bool has_max = false;
    *found = false;
    while (next_line(&m->r, l)) {
        size_t vlen;
        const char *v;
        if (l->len >= 5 && memcmp(l->s, "Tree=", 5) == 0) {
            *found = true;
            break;
        }
        if ((v = value_of(l, "max_feature_idx", &vlen)) != NULL) {
            char *stop;
            long f = strtol(v, &stop, 10);
            if (stop == v || f < 0 || f >= (long)TREE_MAX_FEATURES)
                return ferry_error_set(err, FERRY_INVALID_ARG, "%s line %zu: bad max_feature_idx",
                                       m->r.name, l->number);
            m->n_features = (size_t)f + 1;
            has_max = true;
        } else if ((v = value_of(l, "num_tree_per_iteration", &vlen)) != NULL) {
            char *stop;
            long k = strtol(v, &stop, 10);
            if (stop == v || k < 1 || k > TREE_MAX_OUTPUTS)
                return ferry_error_set(err, FERRY_INVALID_ARG,
                                       "%s line %zu: bad num_tree_per_iteration", m->r.name,
                                       l->number);
            m->n_per_iter = (size_t)k;
        } else if ((v = value_of(l, "objective", &vlen)) != NULL) {
            ferry_status st = objective(m, v, vlen, l->number, err);
            if (st != FERRY_OK)
                return st;
        } else if (l->len == 14 && memcmp(l->s, "average_output", 14) == 0) {
            m->average = true;
        }
    }
    if (!has_max)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "%s: no max_feature_idx line (not a "
                               "LightGBM text model?)",
                               m->r.name);
    return FERRY_OK;
}

/* Reads the tree section after its Tree= line *l; leaves the line that ended it in *l. */
static ferry_status read_section(lgb_model *m, lgb_line *l, lgb_tree *t, bool *more,
                                 ferry_error *err)
{
    memset(t, 0, sizeof *t);
    char *stop;
    t->index = (size_t)strtoul(l->s + 5, &stop, 10);
    t->first_line = l->number;
    *more = false;
    bool ended = false;
    while (next_line(&m->r, l)) {
        if (l->len == 0) {
            ended = true;
            continue;
        }
        if (l->len >= 5 && memcmp(l->s, "Tree=", 5) == 0) {
            *more = true;
            return FERRY_OK;
        }
        if (l->len >= 12 && memcmp(l->s, "end of trees", 12) == 0)
            return FERRY_OK;
        size_t vlen;
        for (int k = 0; !ended && k < K_COUNT; k++)
            if (value_of(l, tree_keys[k], &vlen) != NULL) {
                t->keys[k] = *l;
                t->has[k] = true;
            }
    }
    return ferry_error_set(err, FERRY_INVALID_ARG,
                           "%s: tree %zu (line %zu): the file ends before 'end of trees' "
                           "(truncated?)",
                           m->r.name, t->index, t->first_line);
}

/* Reads every tree into the builder. */
static ferry_status read_trees(lgb_model *m, lgb_line *l, tree_builder *b, ferry_error *err)
{
    lgb_arrays a = {0};
    lgb_tree t;
    bool more = true;
    ferry_status st = FERRY_OK;
    for (size_t number = 0; st == FERRY_OK && more; number++) {
        st = read_section(m, l, &t, &more, err);
        if (st == FERRY_OK)
            st = add_tree(m, &t, number, &a, b, err);
    }
    arrays_free(&a);
    return st;
}

/* Counts the Tree= lines (for average_output's divisor). */
static size_t count_trees(const char *text, size_t len)
{
    size_t n = 0;
    for (const char *p = text; p < text + len;) {
        if ((p == text || p[-1] == '\n') && (size_t)(text + len - p) >= 5 &&
            memcmp(p, "Tree=", 5) == 0)
            n++;
        const char *nl = memchr(p, '\n', (size_t)(text + len - p));
        p = nl ? nl + 1 : text + len;
    }
    return n;
}

ferry_status lightgbm_text_load(const char *text, size_t len, const char *name, tree_ensemble **out,
                                lightgbm_info *info, ferry_error *err)
{
    *out = NULL;
    lgb_model m = {.r = {.p = text, .end = text + len, .name = name},
                   .n_per_iter = 1,
                   .scale = 1.0,
                   .objective = "none"};
    lgb_line l;
    bool found;
    ferry_status st = header(&m, &l, &found, err);
    if (st != FERRY_OK)
        return st;
    if (!found)
        return ferry_error_set(err, FERRY_INVALID_ARG, "%s: no trees (no 'Tree=' line)", name);
    if (m.average) {
        size_t iters = count_trees(text, len) / m.n_per_iter;
        m.scale /= (double)(iters ? iters : 1);
    }
    m.params.n_features = m.n_features;
    m.params.n_outputs = m.n_per_iter;
    tree_builder *b = NULL;
    st = tree_builder_create(&m.params, &b, err);
    if (st == FERRY_OK)
        st = read_trees(&m, &l, b, err);
    if (st == FERRY_OK)
        st = tree_builder_finish(b, out, err);
    tree_builder_destroy(b);
    if (st == FERRY_OK && info != NULL) {
        snprintf(info->objective, sizeof info->objective, "%s", m.objective);
        info->n_features = m.n_features;
        info->n_classes = m.n_per_iter;
    }
    return st;
}
