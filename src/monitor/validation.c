/* Request validation against a profile; see validation.h. */
#include "monitor/validation.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sort_doubles.h"

static const char *const rule_names[] = {
#define VALIDATION_RULE_NAME(code, name) name,
    VALIDATION_RULE_LIST(VALIDATION_RULE_NAME)
#undef VALIDATION_RULE_NAME
};
static_assert(sizeof rule_names / sizeof rule_names[0] == VALIDATION_RULE_COUNT, "rule names");

const char *validation_rule_name(validation_rule r)
{
    return (unsigned)r < VALIDATION_RULE_COUNT ? rule_names[r] : "unknown";
}

const char *validation_policy_name(validation_policy p)
{
    return p == VALIDATION_OFF ? "off" : p == VALIDATION_REJECT ? "reject" : "warn";
}

/* ---- configuration ------------------------------------------------------------------------ */

static ferry_status bad_setting(ferry_error *err, const ynode *n, const char *key, const char *what)
{
    return ferry_error_set(err, FERRY_INVALID_ARG, "model.yaml line %d: validation%s%s: %s",
                           n != NULL ? n->line : 0, key[0] ? "." : "", key, what);
}

ferry_status validation_parse_policy(const ynode *node, validation_policy *out, ferry_error *err)
{
    *out = VALIDATION_WARN;
    if (node == NULL)
        return FERRY_OK;
    const char *s = node->kind == YNODE_SCALAR ? node->scalar : ynode_get_scalar(node, "policy");
    if (node->kind == YNODE_MAP && ynode_get(node, "policy") == NULL)
        return FERRY_OK;
    if (s == NULL)
        return bad_setting(err, node, node->kind == YNODE_SCALAR ? "" : "policy",
                           "expected reject, warn or off");
    if (strcmp(s, "reject") == 0)
        *out = VALIDATION_REJECT;
    else if (strcmp(s, "warn") == 0)
        *out = VALIDATION_WARN;
    else if (strcmp(s, "off") == 0 || strcmp(s, "false") == 0)
        *out = VALIDATION_OFF;
    else
        return bad_setting(err, node, node->kind == YNODE_SCALAR ? "" : "policy",
                           "expected reject, warn or off");
    return FERRY_OK;
}

/* Reads an optional number for key in map into *out; *has says whether it was there. */
static ferry_status read_number(const ynode *map, const char *key, const char *where, double *out,
                                bool *has, ferry_error *err)
{
    const ynode *n = ynode_get(map, key);
    *has = n != NULL;
    if (n == NULL)
        return FERRY_OK;
    char *end = NULL;
    *out = n->kind == YNODE_SCALAR ? strtod(n->scalar, &end) : NAN;
    if (end == NULL || end == n->scalar || *end != '\0' || !isfinite(*out) ||
        (strcmp(key, "tolerance") == 0 && *out < 0)) {
        char what[160];
        snprintf(what, sizeof what, "%s must be a %snumber", key,
                 strcmp(key, "tolerance") == 0 ? "non-negative " : "");
        return bad_setting(err, n, where, what);
    }
    return FERRY_OK;
}

/* ---- building the checks ----------------------------------------------------------------- */

/* A complete categorical column whose categories are all numbers is checked by membership; a
 * boolean column accepts 0 and 1. Other columns are not checked by category. */
static bool numeric_categories(const profile_column *c, validation_feature *f)
{
    size_t n = c->type == PROFILE_BOOLEAN ? 2 : c->n_categories;
    if (c->type == PROFILE_NUMERICAL || !c->complete || n == 0)
        return true;
    f->categories = malloc(n * sizeof *f->categories);
    if (f->categories == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        double x = (double)i;
        if (c->type == PROFILE_CATEGORICAL && !profile_parse_number(c->categories[i].value, &x)) {
            free(f->categories);
            f->categories = NULL;
            return true;
        }
        f->categories[i] = x;
    }
    sort_doubles(f->categories, n);
    f->n_categories = n;
    return true;
}

/* The feature's settings under validation.features: by the profile's name. */
static ferry_status apply_settings(const ynode *node, const profile_column *c, double tolerance,
                                   validation_feature *f, ferry_error *err)
{
    const ynode *features = ynode_get(node, "features");
    const ynode *mine = ynode_get(features, c->name);
    double lo = c->min, hi = c->max, tol = tolerance;
    bool has_lo = false, has_hi = false, has_tol = false;
    char where[200];
    snprintf(where, sizeof where, "features.%s", c->name);
    ferry_status st = read_number(mine, "tolerance", where, &tol, &has_tol, err);
    if (st == FERRY_OK)
        st = read_number(mine, "min", where, &lo, &has_lo, err);
    if (st == FERRY_OK)
        st = read_number(mine, "max", where, &hi, &has_hi, err);
    if (st != FERRY_OK)
        return st;
    if (c->type != PROFILE_NUMERICAL || (c->count == 0 && !has_lo && !has_hi))
        return FERRY_OK;
    double range = c->max - c->min;
    f->has_range = true;
    f->min = has_lo ? lo : lo - tol * range;
    f->max = has_hi ? hi : hi + tol * range;
    return FERRY_OK;
}

static ferry_status check_feature_names(const ynode *node, const profile *p, ferry_error *err)
{
    const ynode *features = ynode_get(node, "features");
    if (features == NULL)
        return FERRY_OK;
    if (features->kind != YNODE_MAP)
        return bad_setting(err, features, "features", "expected a map of feature names");
    for (size_t i = 0; i < features->n; i++) {
        int64_t j = profile_find_column(p, features->keys[i]);
        if (j < 0 || p->columns[j].label)
            return bad_setting(err, features->items[i], "features",
                               j < 0 ? "names a column the profile does not have"
                                     : "names the label column");
    }
    return FERRY_OK;
}

static ferry_status build_features(const feature_map *map, const profile *p, const ynode *node,
                                   double tolerance, validator *out, ferry_error *err)
{
    out->features = calloc(map->n + 1, sizeof *out->features);
    if (out->features == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory building validation");
    for (size_t k = 0; k < map->n; k++) {
        if (map->column[k] < 0)
            continue;
        const profile_column *c = &p->columns[map->column[k]];
        validation_feature *f = &out->features[out->n_features++];
        *f = (validation_feature){
            .name = c->name, .slot = map->slots[k], .allow_missing = c->missing > 0};
        ferry_status st = apply_settings(node, c, tolerance, f, err);
        if (st != FERRY_OK)
            return st;
        if (!numeric_categories(c, f))
            return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory building validation");
    }
    return FERRY_OK;
}

ferry_status validator_build(const feature_map *map, const profile *p, const ynode *node,
                             validator *out, ferry_error *err)
{
    *out = (validator){0};
    double tolerance = VALIDATION_DEFAULT_TOLERANCE;
    bool has = false;
    ferry_status st = validation_parse_policy(node, &out->policy, err);
    if (st == FERRY_OK && node != NULL && node->kind == YNODE_MAP)
        st = read_number(node, "tolerance", "", &tolerance, &has, err);
    if (st == FERRY_OK && node != NULL && node->kind == YNODE_MAP)
        st = check_feature_names(node, p, err);
    if (st == FERRY_OK)
        st = build_features(map, p, node != NULL && node->kind == YNODE_MAP ? node : NULL,
                            tolerance, out, err);
    if (st != FERRY_OK)
        validator_free(out);
    return st;
}

void validator_free(validator *v)
{
    for (size_t i = 0; v->features != NULL && i < v->n_features; i++)
        free(v->features[i].categories);
    free(v->features);
    *v = (validator){0};
}

/* ---- checking ------------------------------------------------------------------------------ */

/* Element i of t as a double; false for dtypes that are not read. */
static bool read_value(const ferry_tensor *t, size_t i, double *out)
{
    switch (t->dtype) {
    case FERRY_DTYPE_FP32:
        *out = ((const float *)t->data)[i];
        return true;
    case FERRY_DTYPE_FP64:
        *out = ((const double *)t->data)[i];
        return true;
    case FERRY_DTYPE_INT32:
        *out = ((const int32_t *)t->data)[i];
        return true;
    case FERRY_DTYPE_INT64:
        *out = (double)((const int64_t *)t->data)[i];
        return true;
    default:
        return false;
    }
}

static bool in_categories(const validation_feature *f, double x)
{
    size_t lo = 0, hi = f->n_categories;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->categories[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < f->n_categories && f->categories[lo] == x;
}

/* The rule value x breaks, or VALIDATION_RULE_COUNT when none. */
static validation_rule check_value(const validation_feature *f, double x)
{
    if (isnan(x))
        return f->allow_missing ? VALIDATION_RULE_COUNT : VALIDATION_MISSING;
    if (f->n_categories > 0 && !in_categories(f, x))
        return VALIDATION_CATEGORY;
    if (f->has_range && x < f->min)
        return VALIDATION_MIN;
    if (f->has_range && x > f->max)
        return VALIDATION_MAX;
    return VALIDATION_RULE_COUNT;
}

static uint64_t rows_of(const ferry_tensor *t, const feature_slot *s)
{
    if (t->ndim < 1 || t->shape[0] < 0)
        return 0;
    uint64_t elements = t->nbytes / (ferry_dtype_size(t->dtype) ? ferry_dtype_size(t->dtype) : 1);
    uint64_t rows = (uint64_t)t->shape[0];
    return rows * s->width <= elements ? rows : elements / s->width;
}

size_t validator_check(const validator *v, const ferry_tensor *bound, size_t n_bound,
                       validation_violation *out, size_t cap)
{
    size_t found = 0;
    for (size_t k = 0; k < v->n_features; k++) {
        const validation_feature *f = &v->features[k];
        if (f->slot.input >= n_bound)
            continue;
        const ferry_tensor *t = &bound[f->slot.input];
        uint64_t rows = rows_of(t, &f->slot);
        double x = 0;
        for (uint64_t r = 0; r < rows && read_value(t, r * f->slot.width + f->slot.column, &x);
             r++) {
            validation_rule rule = check_value(f, x);
            if (rule == VALIDATION_RULE_COUNT)
                continue;
            if (found < cap)
                out[found] =
                    (validation_violation){.row = r, .feature = k, .value = x, .rule = rule};
            found++;
        }
    }
    return found;
}

void validation_expected(const validator *v, const validation_violation *x, char *buf, size_t len)
{
    const validation_feature *f = &v->features[x->feature];
    switch (x->rule) {
    case VALIDATION_MIN:
        snprintf(buf, len, ">= %.10g", f->min);
        break;
    case VALIDATION_MAX:
        snprintf(buf, len, "<= %.10g", f->max);
        break;
    case VALIDATION_MISSING:
        snprintf(buf, len, "a value (the training data had no missing values)");
        break;
    default:
        snprintf(buf, len, "one of the %zu training categories", f->n_categories);
        break;
    }
}

json_t *validation_violations_json(const validator *v, const validation_violation *x, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < n; i++) {
        char expected[96];
        validation_expected(v, &x[i], expected, sizeof expected);
        json_t *value = isnan(x[i].value) ? json_null() : json_real(x[i].value);
        json_t *item = json_pack("{s:I, s:s, s:o, s:s, s:s}", "row", (json_int_t)x[i].row,
                                 "feature", v->features[x[i].feature].name, "value", value, "rule",
                                 validation_rule_name(x[i].rule), "expected", expected);
        if (json_array_append_new(list, item) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    return list;
}

/* ---- dtype and shape ----------------------------------------------------------------------- */

static void format_shape(const int64_t *shape, int ndim, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < ndim && used < len; i++)
        used +=
            (size_t)snprintf(buf + used, len - used, "%s%lld", i ? "," : "", (long long)shape[i]);
    if (used < len)
        snprintf(buf + used, len - used, "]");
}

static bool shape_fits(const ferry_tensor_info *want, const ferry_tensor *got)
{
    bool ok = want->ndim == got->ndim;
    for (int d = 0; ok && d < want->ndim; d++)
        ok = want->shape[d] < 0 || want->shape[d] == got->shape[d];
    return ok;
}

static json_t *shape_json(const ferry_tensor *t)
{
    json_t *list = json_array();
    for (int d = 0; list != NULL && d < t->ndim; d++)
        if (json_array_append_new(list, json_integer((json_int_t)t->shape[d])) != 0) {
            json_decref(list);
            return NULL;
        }
    return list;
}

/* The violation of one input, or NULL (with *ok true) when it fits. */
static json_t *io_violation(const ferry_tensor_info *want, const ferry_tensor *got, bool *ok)
{
    char expected[160];
    json_t *x = NULL;
    *ok = true;
    if (got->dtype != want->dtype &&
        ((unsigned)got->dtype >= FERRY_DTYPE_COUNT || (want->accepted & (1u << got->dtype)) == 0)) {
        x = json_pack("{s:n, s:s, s:s, s:s, s:s}", "row", "feature", want->name, "value",
                      ferry_dtype_name(got->dtype), "rule", validation_rule_name(VALIDATION_DTYPE),
                      "expected", ferry_dtype_name(want->dtype));
        *ok = x != NULL;
        return x;
    }
    if (shape_fits(want, got))
        return NULL;
    format_shape(want->shape, want->ndim, expected, sizeof expected);
    json_t *value = shape_json(got);
    x = value != NULL
            ? json_pack("{s:n, s:s, s:o, s:s, s:s}", "row", "feature", want->name, "value", value,
                        "rule", validation_rule_name(VALIDATION_SHAPE), "expected", expected)
            : NULL;
    *ok = x != NULL;
    return x;
}

json_t *validation_io_violations(const ferry_model_io *io, const ferry_tensor *inputs, size_t n)
{
    json_t *list = json_array();
    for (size_t k = 0; list != NULL && k < io->n_inputs; k++) {
        for (size_t i = 0; i < n; i++) {
            if (inputs[i].name == NULL || strcmp(inputs[i].name, io->inputs[k].name) != 0)
                continue;
            bool ok = true;
            json_t *x = io_violation(&io->inputs[k], &inputs[i], &ok);
            if (!ok || (x != NULL && json_array_append_new(list, x) != 0)) {
                json_decref(list);
                return NULL;
            }
            break; /* a duplicated input is refused as such, not listed twice */
        }
    }
    return list;
}
