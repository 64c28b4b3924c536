/* Per-version profile, feature map and request validation; see model_watch.h. */
#include "monitor/model_watch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

ferry_status model_watch_create(const char *model, const char *version, const char *sha256,
                                const ferry_model_io *io, const char *profile_path,
                                const ynode *model_yaml, model_watch **out, ferry_error *err)
{
    *out = NULL;
    if (access(profile_path, F_OK) != 0)
        return FERRY_OK;
    model_watch *w = calloc(1, sizeof *w);
    if (w == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "model '%s': out of memory", model);
    snprintf(w->model, sizeof w->model, "%s", model);
    snprintf(w->version, sizeof w->version, "%s", version);
    snprintf(w->sha256, sizeof w->sha256, "%s", sha256 != NULL ? sha256 : "");
    ferry_status st = profile_read(profile_path, &w->profile, err);
    if (st == FERRY_OK)
        st = feature_map_build(io, w->profile, &w->map, err);
    if (st == FERRY_OK)
        st = validator_build(&w->map, w->profile, ynode_get(model_yaml, "validation"),
                             &w->validator, err);
    if (st != FERRY_OK) {
        model_watch_destroy(w);
        return ferry_error_prefix(err, "model '%s' version %s: ", model, version);
    }
    log_fields f = {.model = model, .version = version, .file = profile_path};
    if (w->map.how == FEATURE_MAP_NONE)
        log_warn(&f,
                 "profile columns match none of the model's %zu features by name or position; "
                 "not validated",
                 w->map.n);
    else
        log_info(&f, "profile mapped to %zu features by %s; validation %s", w->map.n,
                 feature_map_how_name(w->map.how), validation_policy_name(w->validator.policy));
    *out = w;
    return FERRY_OK;
}

void model_watch_destroy(model_watch *w)
{
    if (w == NULL)
        return;
    drift_live_destroy(w->drift);
    validator_free(&w->validator);
    feature_map_free(&w->map);
    profile_destroy(w->profile);
    free(w);
}

/* list as compact JSON text in the arena (NULL when out of memory); drops the reference. */
static const char *arena_json(json_t *list, arena *a)
{
    char *text = list != NULL ? json_dumps(list, JSON_COMPACT) : NULL;
    json_decref(list);
    if (text == NULL)
        return NULL;
    size_t len = strlen(text);
    char *copy = arena_alloc(a, len + 1);
    if (copy != NULL)
        memcpy(copy, text, len + 1);
    free(text);
    return copy;
}

static ferry_status reject(model_watch *w, const validation_violation *x, size_t shown,
                           size_t total, arena *a, const char **violations, ferry_error *err)
{
    *violations = arena_json(validation_violations_json(&w->validator, x, shown), a);
    char expected[96];
    validation_expected(&w->validator, &x[0], expected, sizeof expected);
    return ferry_error_set(err, FERRY_INVALID_ARG,
                           "model '%s' version %s: %zu validation violation%s; row %llu, feature "
                           "'%s': %g breaks rule '%s' (expected %s)",
                           w->model, w->version, total, total == 1 ? "" : "s",
                           (unsigned long long)x[0].row, w->validator.features[x[0].feature].name,
                           x[0].value, validation_rule_name(x[0].rule), expected);
}

static void count(model_watch *w, metrics *m, const validation_violation *x, size_t shown,
                  size_t total)
{
    for (size_t i = 0; i < shown; i++)
        metrics_count_violation(m, w->model, w->version, w->validator.features[x[i].feature].name,
                                validation_rule_name(x[i].rule), 1);
    if (total > shown) /* beyond the array: counted under the first one's labels */
        metrics_count_violation(m, w->model, w->version, w->validator.features[x[0].feature].name,
                                validation_rule_name(x[0].rule), total - shown);
}

static void warn(model_watch *w, const validation_violation *x, size_t total)
{
    uint64_t now = clock_now_ns(), last = atomic_load(&w->last_log_ns);
    uint64_t pending = atomic_fetch_add(&w->unlogged, total) + total;
    if (now - last < MODEL_WATCH_LOG_INTERVAL_NS ||
        !atomic_compare_exchange_strong(&w->last_log_ns, &last, now))
        return;
    atomic_fetch_sub(&w->unlogged, pending);
    char expected[96];
    validation_expected(&w->validator, &x[0], expected, sizeof expected);
    log_fields f = {.model = w->model, .version = w->version};
    log_warn(&f,
             "%llu validation violation(s) served under policy warn; e.g. feature '%s': %g breaks "
             "rule '%s' (expected %s)",
             (unsigned long long)pending, w->validator.features[x[0].feature].name, x[0].value,
             validation_rule_name(x[0].rule), expected);
}

ferry_status model_watch_validate(model_watch *w, metrics *m, const ferry_tensor *bound,
                                  size_t n_bound, arena *a, const char **violations,
                                  ferry_error *err)
{
    *violations = NULL;
    if (w == NULL || w->validator.policy == VALIDATION_OFF || w->validator.n_features == 0)
        return FERRY_OK;
    validation_violation x[VALIDATION_REPORT_MAX];
    size_t total = validator_check(&w->validator, bound, n_bound, x, VALIDATION_REPORT_MAX);
    if (total == 0)
        return FERRY_OK;
    size_t shown = total < VALIDATION_REPORT_MAX ? total : VALIDATION_REPORT_MAX;
    count(w, m, x, shown, total);
    if (w->validator.policy == VALIDATION_REJECT)
        return reject(w, x, shown, total, a, violations, err);
    warn(w, x, total);
    return FERRY_OK;
}

const char *model_watch_io_violations(metrics *m, const char *model, const char *version,
                                      const ferry_model_io *io, const ferry_tensor *inputs,
                                      size_t n_inputs, arena *a)
{
    json_t *list = validation_io_violations(io, inputs, n_inputs);
    if (list == NULL || json_array_size(list) == 0) {
        json_decref(list);
        return NULL;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *x = json_array_get(list, i);
        metrics_count_violation(m, model, version, json_string_value(json_object_get(x, "feature")),
                                json_string_value(json_object_get(x, "rule")), 1);
    }
    return arena_json(list, a);
}

/* ---- drift ----------------------------------------------------------------------------------- */

/* The sample's value of a column as a number (NaN when missing or not a number). */
static double sample_value(const profile_column *c, size_t r)
{
    if (c->type == PROFILE_NUMERICAL)
        return c->numbers[r];
    double x = NAN;
    bool b = false;
    if (c->strings[r] == NULL)
        return NAN;
    if (c->type == PROFILE_BOOLEAN && profile_parse_bool(c->strings[r], &b))
        return b ? 1.0 : 0.0;
    return profile_parse_number(c->strings[r], &x) ? x : NAN;
}

static bool fill_input(const ferry_tensor_info *info, size_t rows, size_t width, arena *a,
                       ferry_tensor *t)
{
    ferry_dtype dtype = info->dtype == FERRY_DTYPE_FP64 ? FERRY_DTYPE_FP64 : FERRY_DTYPE_FP32;
    size_t size = ferry_dtype_size(dtype);
    *t = (ferry_tensor){.name = info->name, .dtype = dtype, .ndim = info->ndim};
    if (info->ndim < 1 || info->ndim > 2)
        return false;
    t->shape[0] = (int64_t)rows;
    if (info->ndim == 2)
        t->shape[1] = (int64_t)width;
    t->nbytes = rows * width * size;
    t->data = arena_alloc(a, t->nbytes + 1);
    if (t->data == NULL)
        return false;
    for (size_t i = 0; i < rows * width; i++) {
        if (dtype == FERRY_DTYPE_FP64)
            ((double *)t->data)[i] = NAN;
        else
            ((float *)t->data)[i] = NAN;
    }
    return true;
}

bool model_watch_reference_inputs(const model_watch *w, const ferry_model_io *io, arena *a,
                                  ferry_tensor **inputs)
{
    size_t rows = w->profile->sample_rows;
    if (w->map.n == 0 || rows == 0)
        return false;
    ferry_tensor *t = arena_alloc(a, (io->n_inputs + 1) * sizeof *t);
    if (t == NULL)
        return false;
    for (size_t i = 0; i < io->n_inputs; i++) {
        size_t width = io->n_inputs == 1 ? w->map.slots[0].width : 1;
        if (!fill_input(&io->inputs[i], rows, width, a, &t[i]))
            return false;
    }
    for (size_t k = 0; k < w->map.n; k++) {
        if (w->map.column[k] < 0)
            continue;
        const feature_slot *s = &w->map.slots[k];
        const profile_column *c = &w->profile->columns[w->map.column[k]];
        for (size_t r = 0; r < rows; r++) {
            size_t at = r * s->width + s->column;
            if (t[s->input].dtype == FERRY_DTYPE_FP64)
                ((double *)t[s->input].data)[at] = sample_value(c, r);
            else
                ((float *)t[s->input].data)[at] = (float)sample_value(c, r);
        }
    }
    *inputs = t;
    return true;
}

ferry_status model_watch_start_drift(model_watch *w, const ynode *model_yaml,
                                     const ferry_tensor *outputs, size_t n_outputs,
                                     ferry_error *err)
{
    ferry_status st =
        drift_live_create(w->model, w->version, w->profile, &w->map, ynode_get(model_yaml, "drift"),
                          outputs, n_outputs, &w->drift, err);
    if (st != FERRY_OK)
        return ferry_error_prefix(err, "model '%s' version %s: ", w->model, w->version);
    return FERRY_OK;
}

void model_watch_observe(model_watch *w, metrics *m, const ferry_tensor *bound, size_t n_bound,
                         const ferry_tensor *outputs, size_t n_outputs)
{
    if (w != NULL)
        drift_live_observe(w->drift, m, bound, n_bound, outputs, n_outputs);
}

json_t *model_watch_drift_json(model_watch *w)
{
    json_t *j = w->drift != NULL
                    ? drift_live_json(w->drift)
                    : json_pack("{s:n, s:s}", "report", "message",
                                w->map.how == FEATURE_MAP_NONE
                                    ? "the profile's columns do not map to the model's features"
                                    : "live drift is off (model.yaml drift: off)");
    if (j == NULL)
        return NULL;
    json_object_set_new(j, "model", json_string(w->model));
    json_object_set_new(j, "version", json_string(w->version));
    json_object_set_new(j, "sha256", json_string(w->sha256));
    json_object_set_new(j, "mapping", json_string(feature_map_how_name(w->map.how)));
    return j;
}
