/* XGBoost JSON models into tree ensembles; see xgboost_json.h. The semantics follow libxgboost's
 * CPU predictor: a numeric split sends x < t left; a categorical split sends a valid category in
 * its set right and anything else (negative, too large, not in the set) left; NaN takes the
 * default direction; leaf values add up in float, in tree order, from the base margin. */
#include "trees/xgboost_json.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trees/builder.h"

/* ---------------------------------------------------------------- JSON text */

/* libxgboost writes NaN, Infinity and -Infinity as bare tokens (a categorical split's threshold is
 * NaN), which JSON and jansson do not accept. Quotes them outside strings; returns malloc'ed text
 * or NULL when out of memory. */
static char *quote_non_finite(const char *text, size_t len, size_t *out_len)
{
    static const char *const tokens[] = {"NaN", "-Infinity", "Infinity"};
    size_t extra = 0;
    for (int pass = 0; pass < 2; pass++) {
        char *out = pass ? malloc(len + extra + 1) : NULL;
        if (pass && out == NULL)
            return NULL;
        size_t o = 0;
        bool in_string = false;
        for (size_t i = 0; i < len; i++) {
            char c = text[i];
            size_t tlen = 0;
            if (in_string) {
                if (c == '\\' && i + 1 < len) {
                    if (out)
                        out[o] = c;
                    o++;
                    c = text[++i];
                } else if (c == '"') {
                    in_string = false;
                }
            } else if (c == '"') {
                in_string = true;
            } else if (c == 'N' || c == 'I' || c == '-') {
                for (int t = 0; t < 3 && tlen == 0; t++)
                    if (strncmp(text + i, tokens[t], strlen(tokens[t])) == 0)
                        tlen = strlen(tokens[t]);
            }
            if (tlen == 0) {
                if (out)
                    out[o] = c;
                o++;
                continue;
            }
            if (out) {
                out[o] = '"';
                memcpy(out + o + 1, text + i, tlen);
                out[o + 1 + tlen] = '"';
            }
            o += tlen + 2;
            extra += pass ? 0 : 2;
            i += tlen - 1;
        }
        if (out) {
            out[o] = '\0';
            *out_len = o;
            return out;
        }
    }
    return NULL;
}

static ferry_status parse(const char *text, size_t len, const char *what, json_t **doc,
                          ferry_error *err)
{
    size_t quoted_len = 0;
    char *quoted = quote_non_finite(text, len, &quoted_len);
    if (quoted == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for the %s", what);
    json_error_t jerr;
    *doc = json_loadb(quoted, quoted_len, 0, &jerr);
    free(quoted);
    if (*doc == NULL)
        return ferry_error_set(err, FERRY_INVALID_ARG, "%s is not JSON: %s (line %d)", what,
                               jerr.text, jerr.line);
    return FERRY_OK;
}

/* A number: JSON integer or real, a quoted non-finite token, or a numeric string ("5E-1"). */
static bool number(const json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return true;
    }
    const char *s = json_string_value(v);
    if (s == NULL || *s == '\0')
        return false;
    if (strcmp(s, "NaN") == 0) {
        *out = NAN;
        return true;
    }
    if (strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0) {
        *out = s[0] == '-' ? -INFINITY : INFINITY;
        return true;
    }
    char *end = NULL;
    *out = strtod(s, &end);
    return *end == '\0';
}

/* Follows a path of object keys ("learner", "objective", "name", NULL). */
static json_t *dig(json_t *v, const char *const *keys)
{
    for (; v != NULL && *keys != NULL; keys++)
        v = json_object_get(v, *keys);
    return v;
}

/* ---------------------------------------------------------------- objectives */

typedef enum base_kind { BASE_AS_IS, BASE_LOGIT, BASE_LOG } base_kind;

typedef struct objective {
    const char *name;
    tree_transform transform;
    base_kind base; /* how libxgboost's ProbToMargin turns base_score into a margin */
} objective;

static const objective objectives[] = {
    {"binary:logistic", TREE_TRANSFORM_LOGISTIC, BASE_LOGIT},
    {"reg:logistic", TREE_TRANSFORM_LOGISTIC, BASE_LOGIT},
    {"binary:logitraw", TREE_TRANSFORM_NONE, BASE_AS_IS},
    {"binary:hinge", TREE_TRANSFORM_HINGE, BASE_AS_IS},
    {"reg:squarederror", TREE_TRANSFORM_NONE, BASE_AS_IS},
    {"reg:linear", TREE_TRANSFORM_NONE, BASE_AS_IS},
    {"reg:squaredlogerror", TREE_TRANSFORM_NONE, BASE_AS_IS},
    {"reg:pseudohubererror", TREE_TRANSFORM_NONE, BASE_AS_IS},
    {"reg:absoluteerror", TREE_TRANSFORM_NONE, BASE_AS_IS},
    {"rank:pairwise", TREE_TRANSFORM_NONE, BASE_AS_IS},
    {"rank:ndcg", TREE_TRANSFORM_NONE, BASE_AS_IS},
    {"rank:map", TREE_TRANSFORM_NONE, BASE_AS_IS},
    {"count:poisson", TREE_TRANSFORM_EXP, BASE_LOG},
    {"reg:gamma", TREE_TRANSFORM_EXP, BASE_LOG},
    {"reg:tweedie", TREE_TRANSFORM_EXP, BASE_LOG},
    {"survival:cox", TREE_TRANSFORM_EXP, BASE_LOG},
    {"survival:aft", TREE_TRANSFORM_EXP, BASE_LOG},
    {"multi:softprob", TREE_TRANSFORM_SOFTMAX, BASE_AS_IS},
    {"multi:softmax", TREE_TRANSFORM_ARGMAX, BASE_AS_IS},
};

static const objective *find_objective(const char *name)
{
    for (size_t i = 0; i < sizeof objectives / sizeof objectives[0]; i++)
        if (strcmp(objectives[i].name, name) == 0)
            return &objectives[i];
    return NULL;
}

/* libxgboost's ProbToMargin, in float as it computes it. */
static float base_margin(base_kind kind, float base_score)
{
    if (kind == BASE_LOGIT)
        return -logf(1.0f / base_score - 1.0f);
    if (kind == BASE_LOG)
        return logf(base_score);
    return base_score;
}

/* ---------------------------------------------------------------- the model's header */

typedef struct xgb_model {
    json_t *trees;       /* array */
    json_t *tree_info;   /* array: the output of each tree */
    json_t *weight_drop; /* dart: array of tree weights, else NULL */
    size_t n_features, n_outputs;
    float base;
    const objective *obj;
} xgb_model;

static ferry_status read_param(json_t *params, const char *key, double *out, ferry_error *err)
{
    if (!number(json_object_get(params, key), out))
        return ferry_error_set(err, FERRY_INVALID_ARG, "learner_model_param.%s is missing or bad",
                               key);
    return FERRY_OK;
}

static ferry_status read_learner_params(json_t *learner, xgb_model *m, ferry_error *err)
{
    json_t *params = json_object_get(learner, "learner_model_param");
    double features = 0, classes = 0, base = 0, targets = 1;
    ferry_status st = read_param(params, "num_feature", &features, err);
    if (st == FERRY_OK)
        st = read_param(params, "num_class", &classes, err);
    if (st == FERRY_OK)
        st = read_param(params, "base_score", &base, err);
    if (st == FERRY_OK && json_object_get(params, "num_target") != NULL)
        st = read_param(params, "num_target", &targets, err);
    if (st != FERRY_OK)
        return st;
    if (!(features >= 1 && features <= TREE_MAX_FEATURES))
        return ferry_error_set(err, FERRY_INVALID_ARG, "num_feature %g out of range", features);
    if (!(classes >= 0 && classes <= TREE_MAX_OUTPUTS))
        return ferry_error_set(err, FERRY_UNSUPPORTED, "num_class %g is not supported", classes);
    if (targets != 1)
        return ferry_error_set(err, FERRY_UNSUPPORTED,
                               "num_target %g: multi-target models are not supported by ferry's "
                               "tree engine",
                               targets);
    m->n_features = (size_t)features;
    m->n_outputs = classes > 1 ? (size_t)classes : 1;
    m->base = (float)base;
    return FERRY_OK;
}

/* The objective's name: from the config when given, else from the model. */
static ferry_status read_objective(json_t *learner, json_t *config, xgb_model *m,
                                   xgboost_json_info *info, ferry_error *err)
{
    static const char *const path[] = {"learner", "objective", "name", NULL};
    const char *name = json_string_value(dig(config, path));
    if (name == NULL)
        name = json_string_value(dig(learner, path + 1));
    if (name == NULL)
        return ferry_error_set(err, FERRY_INVALID_ARG, "the model names no objective");
    snprintf(info->objective, sizeof info->objective, "%s", name);
    m->obj = find_objective(name);
    if (m->obj == NULL)
        return ferry_error_set(err, FERRY_UNSUPPORTED,
                               "objective '%s' is not supported by ferry's tree engine", name);
    return FERRY_OK;
}

static ferry_status read_booster(json_t *learner, xgb_model *m, xgboost_json_info *info,
                                 ferry_error *err)
{
    json_t *gb = json_object_get(learner, "gradient_booster");
    const char *name = json_string_value(json_object_get(gb, "name"));
    if (name == NULL)
        return ferry_error_set(err, FERRY_INVALID_ARG, "the model names no booster");
    snprintf(info->booster, sizeof info->booster, "%s", name);
    json_t *model = NULL;
    if (strcmp(name, "gbtree") == 0) {
        model = json_object_get(gb, "model");
    } else if (strcmp(name, "dart") == 0) {
        static const char *const path[] = {"gbtree", "model", NULL};
        model = dig(gb, path);
        m->weight_drop = json_object_get(gb, "weight_drop");
        if (!json_is_array(m->weight_drop))
            return ferry_error_set(err, FERRY_INVALID_ARG, "dart booster without weight_drop");
    } else {
        return ferry_error_set(err, FERRY_UNSUPPORTED,
                               "booster '%s' is not supported by ferry's tree engine", name);
    }
    m->trees = json_object_get(model, "trees");
    m->tree_info = json_object_get(model, "tree_info");
    if (!json_is_array(m->trees) || !json_is_array(m->tree_info) ||
        json_array_size(m->trees) != json_array_size(m->tree_info))
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "%s model without matching trees and "
                               "tree_info",
                               name);
    if (m->weight_drop != NULL && json_array_size(m->weight_drop) != json_array_size(m->trees))
        return ferry_error_set(err, FERRY_INVALID_ARG, "dart: %zu weights for %zu trees",
                               json_array_size(m->weight_drop), json_array_size(m->trees));
    info->n_trees = json_array_size(m->trees);
    return FERRY_OK;
}

/* ---------------------------------------------------------------- trees */

/* One tree's arrays, each checked to hold one entry per node. */
typedef struct xgb_tree {
    size_t n_nodes;
    json_t *left, *right, *feature, *cond, *default_left, *split_type;
    json_t *cats, *cat_nodes, *cat_segments, *cat_sizes;
} xgb_tree;

static ferry_status node_array(json_t *tree, const char *key, size_t n, bool optional, json_t **out,
                               ferry_error *err)
{
    *out = json_object_get(tree, key);
    if (*out == NULL && optional)
        return FERRY_OK;
    if (!json_is_array(*out) || json_array_size(*out) != n)
        return ferry_error_set(err, FERRY_INVALID_ARG, "'%s' does not hold %zu entries", key, n);
    return FERRY_OK;
}

static ferry_status read_tree_arrays(json_t *tree, xgb_tree *t, ferry_error *err)
{
    static const char *const leaf_vector[] = {"tree_param", "size_leaf_vector", NULL};
    double size_leaf_vector = 0;
    json_t *v = dig(tree, leaf_vector);
    if (v != NULL && (!number(v, &size_leaf_vector) || size_leaf_vector > 1))
        return ferry_error_set(err, FERRY_UNSUPPORTED,
                               "vector leaves (size_leaf_vector %s) are not supported by ferry's "
                               "tree engine",
                               json_is_string(v) ? json_string_value(v) : "?");
    json_t *left = json_object_get(tree, "left_children");
    if (!json_is_array(left) || json_array_size(left) == 0)
        return ferry_error_set(err, FERRY_INVALID_ARG, "no 'left_children'");
    size_t n = t->n_nodes = json_array_size(left);
    ferry_status st = node_array(tree, "left_children", n, false, &t->left, err);
    if (st == FERRY_OK)
        st = node_array(tree, "right_children", n, false, &t->right, err);
    if (st == FERRY_OK)
        st = node_array(tree, "split_indices", n, false, &t->feature, err);
    if (st == FERRY_OK)
        st = node_array(tree, "split_conditions", n, false, &t->cond, err);
    if (st == FERRY_OK)
        st = node_array(tree, "default_left", n, false, &t->default_left, err);
    if (st == FERRY_OK)
        st = node_array(tree, "split_type", n, true, &t->split_type, err);
    if (st != FERRY_OK)
        return st;
    t->cats = json_object_get(tree, "categories");
    t->cat_nodes = json_object_get(tree, "categories_nodes");
    t->cat_segments = json_object_get(tree, "categories_segments");
    t->cat_sizes = json_object_get(tree, "categories_sizes");
    return FERRY_OK;
}

/* An integer array entry in [lo, hi]. */
static bool int_at(json_t *array, size_t i, double lo, double hi, int64_t *out)
{
    double v;
    if (!number(json_array_get(array, i), &v) || !(v >= lo && v <= hi) || v != floor(v))
        return false;
    *out = (int64_t)v;
    return true;
}

/* Scratch shared by the trees of one model: source nodes and category lists. */
typedef struct scratch {
    tree_src_node *nodes;
    size_t cap_nodes;
    uint32_t *cats;
    size_t cap_cats;
} scratch;

static ferry_status reserve(void **p, size_t *cap, size_t n, size_t size, ferry_error *err)
{
    if (n <= *cap)
        return FERRY_OK;
    void *q = realloc(*p, n * size);
    if (q == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for %zu tree nodes", n);
    *p = q;
    *cap = n;
    return FERRY_OK;
}

/* Points the categorical nodes' src entries at their category lists (copied into s->cats). */
static ferry_status read_categories(const xgb_tree *t, scratch *s, ferry_error *err)
{
    if (!json_is_array(t->cats) || !json_is_array(t->cat_nodes) ||
        !json_is_array(t->cat_segments) || !json_is_array(t->cat_sizes) ||
        json_array_size(t->cat_segments) != json_array_size(t->cat_nodes) ||
        json_array_size(t->cat_sizes) != json_array_size(t->cat_nodes))
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "categorical splits without matching "
                               "categories, categories_nodes, "
                               "categories_segments and categories_sizes");
    size_t n_cats = json_array_size(t->cats);
    ferry_status st =
        reserve((void **)&s->cats, &s->cap_cats, n_cats ? n_cats : 1, sizeof *s->cats, err);
    for (size_t i = 0; st == FERRY_OK && i < n_cats; i++) {
        int64_t c;
        if (!int_at(t->cats, i, 0, TREE_MAX_CATEGORY - 1, &c))
            return ferry_error_set(err, FERRY_INVALID_ARG, "category %zu is not a category", i);
        s->cats[i] = (uint32_t)c;
    }
    for (size_t k = 0; st == FERRY_OK && k < json_array_size(t->cat_nodes); k++) {
        int64_t node, beg, size;
        if (!int_at(t->cat_nodes, k, 0, (double)t->n_nodes - 1, &node) ||
            !int_at(t->cat_segments, k, 0, (double)n_cats, &beg) ||
            !int_at(t->cat_sizes, k, 0, (double)n_cats - (double)beg, &size))
            return ferry_error_set(err, FERRY_INVALID_ARG, "categorical segment %zu out of range",
                                   k);
        s->nodes[node].categories = s->cats + beg;
        s->nodes[node].n_set = (size_t)size;
    }
    return st;
}

/* Fills s->nodes[i] from the tree's arrays. Dart leaves are scaled as libxgboost's in-place
 * prediction scales them: ((base + leaf) - base) * weight, in float. */
static ferry_status read_node(const xgb_tree *t, size_t i, const xgb_model *m, float weight,
                              scratch *s, bool *categorical, ferry_error *err)
{
    int64_t left, right, feature, dflt, type = 0;
    double cond;
    if (!int_at(t->left, i, -1, INT32_MAX, &left) || !int_at(t->right, i, -1, INT32_MAX, &right))
        return ferry_error_set(err, FERRY_INVALID_ARG, "node %zu: bad child index", i);
    if (!number(json_array_get(t->cond, i), &cond))
        return ferry_error_set(err, FERRY_INVALID_ARG, "node %zu: bad split condition", i);
    tree_src_node *n = &s->nodes[i];
    if (left < 0 && right < 0) {
        float leaf = (float)cond;
        if (m->weight_drop != NULL)
            leaf = ((m->base + leaf) - m->base) * weight;
        *n = (tree_src_node){.yes = -1, .no = -1, .value = leaf};
        return FERRY_OK;
    }
    if (!int_at(t->feature, i, 0, UINT32_MAX, &feature) ||
        !int_at(t->default_left, i, 0, 1, &dflt) ||
        (t->split_type != NULL && !int_at(t->split_type, i, 0, 1, &type)))
        return ferry_error_set(err, FERRY_INVALID_ARG, "node %zu: bad split", i);
    bool dl = dflt != 0;
    if (type == 1) { /* categorical: a category in the set goes right */
        *n = (tree_src_node){.yes = (int32_t)right, .no = (int32_t)left, .default_yes = !dl};
        n->cmp = TREE_CMP_IN_CATS;
        *categorical = true;
    } else {
        *n = (tree_src_node){.yes = (int32_t)left, .no = (int32_t)right, .default_yes = dl};
        n->cmp = TREE_CMP_LT;
        n->value = (float)cond;
    }
    n->missing = TREE_MISSING_NAN;
    n->feature = (uint32_t)feature;
    return FERRY_OK;
}

static ferry_status add_tree(tree_builder *b, const xgb_model *m, size_t index, scratch *s,
                             ferry_error *err)
{
    xgb_tree t;
    ferry_status st = read_tree_arrays(json_array_get(m->trees, index), &t, err);
    int64_t output = 0;
    if (st == FERRY_OK && !int_at(m->tree_info, index, 0, (double)m->n_outputs - 1, &output))
        st = ferry_error_set(err, FERRY_INVALID_ARG, "tree_info gives no output below %zu",
                             m->n_outputs);
    double weight = 1.0;
    if (st == FERRY_OK && m->weight_drop != NULL &&
        !number(json_array_get(m->weight_drop, index), &weight))
        st = ferry_error_set(err, FERRY_INVALID_ARG, "bad dart weight");
    if (st == FERRY_OK)
        st = reserve((void **)&s->nodes, &s->cap_nodes, t.n_nodes, sizeof *s->nodes, err);
    bool categorical = false;
    for (size_t i = 0; st == FERRY_OK && i < t.n_nodes; i++)
        st = read_node(&t, i, m, (float)weight, s, &categorical, err);
    if (st == FERRY_OK && categorical)
        st = read_categories(&t, s, err);
    if (st != FERRY_OK)
        return ferry_error_prefix(err, "tree %zu: ", index);
    return tree_builder_add_tree(b, s->nodes, t.n_nodes, 0, (uint32_t)output, err);
}

/* ---------------------------------------------------------------- the whole model */

static ferry_status build(const xgb_model *m, tree_ensemble **out, ferry_error *err)
{
    float base[TREE_MAX_OUTPUTS];
    float margin = base_margin(m->obj->base, m->base);
    for (size_t o = 0; o < m->n_outputs; o++)
        base[o] = margin;
    tree_params p = {.n_features = m->n_features,
                     .n_outputs = m->n_outputs,
                     .base = base,
                     .transform = m->obj->transform};
    tree_builder *b = NULL;
    ferry_status st = tree_builder_create(&p, &b, err);
    scratch s = {0};
    for (size_t i = 0; st == FERRY_OK && i < json_array_size(m->trees); i++)
        st = add_tree(b, m, i, &s, err);
    if (st == FERRY_OK)
        st = tree_builder_finish(b, out, err);
    tree_builder_destroy(b);
    free(s.nodes);
    free(s.cats);
    return st;
}

ferry_status xgboost_json_load(const char *model, size_t model_len, const char *config,
                               tree_ensemble **out, xgboost_json_info *info, ferry_error *err)
{
    *out = NULL;
    xgboost_json_info scratch_info;
    if (info == NULL)
        info = &scratch_info;
    *info = (xgboost_json_info){0};
    json_t *doc = NULL, *cfg = NULL;
    ferry_status st = parse(model, model_len, "model", &doc, err);
    if (st == FERRY_OK && config != NULL)
        st = parse(config, strlen(config), "config", &cfg, err);
    json_t *learner = json_object_get(doc, "learner");
    if (st == FERRY_OK && learner == NULL)
        st = ferry_error_set(err, FERRY_INVALID_ARG, "no 'learner' object");
    xgb_model m = {0};
    if (st == FERRY_OK)
        st = read_booster(learner, &m, info, err);
    if (st == FERRY_OK)
        st = read_objective(learner, cfg, &m, info, err);
    if (st == FERRY_OK)
        st = read_learner_params(learner, &m, err);
    if (st == FERRY_OK)
        st = build(&m, out, err);
    json_decref(doc);
    json_decref(cfg);
    return st;
}
