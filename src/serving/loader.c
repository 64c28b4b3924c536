/* Loading and warming one version; see loader.h. */
#include "serving/loader.h"

#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "monitor/model_watch.h"
#include "serving/warmup.h"

/* Reads profile.json beside the artifact (a version folder's), with model.yaml's settings. */
static ferry_status load_watch(const model_spec *spec, model_version *mv, ferry_error *err)
{
    char dir[PATH_MAX], path[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", spec->artifact);
    if ((size_t)snprintf(path, sizeof path, "%s/profile.json", dirname(dir)) >= sizeof path)
        return FERRY_OK;
    return model_watch_create(spec->name, spec->version, mv->sha256, &mv->io, path,
                              spec->model_yaml, &mv->watch, err);
}

ferry_status loader_load_version(const model_spec *spec, model_version **out, ferry_error *err)
{
    uint64_t t0 = clock_now_ns();
    model_version *mv = NULL;
    ferry_status st = model_version_load(spec, &mv, err);
    if (st == FERRY_OK && spec->artifact[0] != '\0') {
        st = load_watch(spec, mv, err);
        if (st != FERRY_OK)
            model_version_release(mv);
    }
    if (st == FERRY_OK) {
        st = warmup_run(mv, err);
        if (st != FERRY_OK)
            model_version_release(mv);
    }
    log_fields f = {.model = spec->name,
                    .version = spec->version,
                    .file = spec->artifact[0] ? spec->artifact : NULL,
                    .latency_ms = (double)(clock_now_ns() - t0) / 1e6,
                    .has_latency = true};
    if (st != FERRY_OK) {
        log_error(&f, "model failed to load: %s", err->message);
        return st;
    }
    log_info(&f, "model loaded (%s)", spec->backend->name);
    *out = mv;
    return FERRY_OK;
}

ferry_status loader_load_artifact(const char *artifact, const char *name, model_table *table,
                                  loader_on_loaded cb, void *cb_ctx, ferry_error *err)
{
    model_spec spec;
    ferry_status st = repository_read_artifact(artifact, name, &spec, err);
    if (st != FERRY_OK)
        return st;
    snprintf(spec.version, sizeof spec.version, "1");
    model_version *mv = NULL;
    if (model_table_set_loading(table, spec.name, spec.version) != FERRY_OK)
        st = ferry_error_set(err, FERRY_NO_MEMORY, "model '%s': out of memory", spec.name);
    if (st == FERRY_OK)
        st = loader_load_version(&spec, &mv, err);
    if (st == FERRY_OK) {
        if (cb != NULL)
            cb(cb_ctx, mv);
        if (model_table_publish(table, mv) != FERRY_OK) {
            model_version_release(mv);
            st = ferry_error_set(err, FERRY_NO_MEMORY, "model '%s': out of memory", spec.name);
        }
    }
    if (st != FERRY_OK &&
        model_table_set_failed(table, spec.name, spec.version, err->message) != FERRY_OK)
        log_error(NULL, "out of memory recording the failure of model '%s'", spec.name);
    model_spec_clear(&spec);
    return st;
}
