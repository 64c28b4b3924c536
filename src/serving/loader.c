/* Start-up loading of the repository into the model table; see loader.h. */
#include "serving/loader.h"

#include <stdio.h>

#include "core/clock.h"
#include "core/log.h"

/* Loads a spec's version and publishes it, or records the failure. */
static ferry_status load_spec(const model_spec *spec, model_table *table, loader_on_loaded cb,
                              void *cb_ctx, ferry_error *err)
{
    uint64_t t0 = clock_now_ns();
    ferry_status st = model_table_set_loading(table, spec->name, spec->version);
    model_version *mv = NULL;
    if (st == FERRY_OK)
        st = model_version_load(spec, &mv, err);
    if (st == FERRY_OK) {
        if (cb != NULL)
            cb(cb_ctx, mv);
        st = model_table_publish(table, mv);
    }
    log_fields f = {.model = spec->name,
                    .version = spec->version,
                    .file = spec->artifact,
                    .latency_ms = (double)(clock_now_ns() - t0) / 1e6,
                    .has_latency = true};
    if (st == FERRY_OK) {
        log_info(&f, "model loaded (%s)", spec->backend->name);
        return FERRY_OK;
    }
    log_error(&f, "model failed to load: %s", err->message);
    if (model_table_set_failed(table, spec->name, spec->version, err->message) != FERRY_OK)
        log_error(&f, "out of memory recording the failure");
    return st;
}

static void load_one(const char *repo, const char *name, model_table *table, loader_on_loaded cb,
                     void *cb_ctx)
{
    char model_dir[PATH_MAX];
    snprintf(model_dir, sizeof model_dir, "%s/%s", repo, name);
    model_spec spec;
    ferry_error err;
    if (repository_read_model(model_dir, name, &spec, &err) != FERRY_OK) {
        log_fields f = {.model = name, .file = model_dir};
        log_error(&f, "model failed to load: %s", err.message);
        if (model_table_set_failed(table, name, "", err.message) != FERRY_OK)
            log_error(&f, "out of memory recording the failure");
        return;
    }
    (void)load_spec(&spec, table, cb, cb_ctx, &err);
    model_spec_clear(&spec);
}

ferry_status loader_load_repository(const char *repo, model_table *table, loader_on_loaded cb,
                                    void *cb_ctx, ferry_error *err)
{
    char **names = NULL;
    size_t count = 0;
    ferry_status st = repository_list_models(repo, &names, &count, err);
    if (st != FERRY_OK)
        return st;
    if (count == 0) {
        log_fields f = {.file = repo};
        log_warn(&f, "the model repository has no models");
    }
    for (size_t i = 0; i < count; i++)
        load_one(repo, names[i], table, cb, cb_ctx);
    repository_free_names(names, count);
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
    st = load_spec(&spec, table, cb, cb_ctx, err);
    model_spec_clear(&spec);
    return st;
}
