/* Per-version profile, feature map and request validation; see model_watch.h. */
#include "monitor/model_watch.h"

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
    validator_free(&w->validator);
    feature_map_free(&w->map);
    profile_destroy(w->profile);
    free(w);
}

static ferry_status reject(model_watch *w, const validation_violation *x, size_t shown,
                           size_t total, arena *a, const char **violations, ferry_error *err)
{
    json_t *list = validation_violations_json(&w->validator, x, shown);
    char *text = list != NULL ? json_dumps(list, JSON_COMPACT) : NULL;
    json_decref(list);
    if (text != NULL) {
        size_t len = strlen(text);
        char *copy = arena_alloc(a, len + 1);
        if (copy != NULL)
            memcpy(copy, text, len + 1);
        *violations = copy;
        free(text);
    }
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
