/* Loading and warming one version; see loader.h. */
#include "serving/loader.h"

#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "monitor/model_watch.h"
#include "serving/inference.h"
#include "serving/warmup.h"

/* Reads profile.json beside the artifact (a version folder's), with model.yaml's settings. */
static ferry_status load_watch(const model_spec *spec, model_version *mv, ferry_error *err)
{
    char dir[PATH_MAX], path[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", spec->artifact);
    if ((size_t)snprintf(path, sizeof path, "%s/profile.json", dirname(dir)) >= sizeof path)
        return FERRY_OK;
    ferry_status st = model_watch_create(spec->name, spec->version, mv->sha256, &mv->io, path,
                                         spec->model_yaml, &mv->watch, err);
    if (st != FERRY_OK || mv->watch == NULL)
        return st;
    /* Prediction drift's reference: the model's outputs on the profile's sample. */
    arena a;
    arena_init(&a, (size_t)1 << 28);
    ferry_tensor *inputs = NULL;
    ferry_tensor *outputs = arena_alloc(&a, (mv->io.n_outputs + 1) * sizeof *outputs);
    ferry_error run_err = {0};
    bool ran = outputs != NULL && model_watch_reference_inputs(mv->watch, &mv->io, &a, &inputs) &&
               inference_run(mv, inputs, mv->io.n_inputs, outputs, &a, &run_err) == FERRY_OK;
    if (!ran) {
        log_fields f = {.model = spec->name, .version = spec->version};
        log_warn(&f, "no prediction drift: the model did not run on the profile's sample%s%s",
                 run_err.message[0] ? ": " : "", run_err.message);
    }
    st = model_watch_start_drift(mv->watch, spec->model_yaml, ran ? outputs : NULL,
                                 mv->io.n_outputs, err);
    arena_free(&a);
    return st;
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
