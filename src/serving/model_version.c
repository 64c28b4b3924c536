/* Loading, reference counting and unloading of model versions; see model_version.h. */
#include "serving/model_version.h"

#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/log.h"
#include "monitor/model_watch.h"

static ferry_status verify_artifact(const model_spec *spec, model_version *mv, ferry_error *err)
{
    uint64_t size = 0;
    ferry_status st = hash_file_sha256(spec->artifact, mv->sha256, &size, err);
    if (st != FERRY_OK)
        return ferry_error_prefix(err, "model '%s' version %s: ", spec->name, spec->version);
    if (spec->expected_size >= 0 && (uint64_t)spec->expected_size != size)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model '%s' version %s: %s is %llu bytes, version.yaml says %lld",
                               spec->name, spec->version, spec->artifact, (unsigned long long)size,
                               (long long)spec->expected_size);
    if (spec->expected_sha256[0] == '\0') {
        log_fields f = {.model = spec->name, .version = spec->version, .file = spec->artifact};
        log_info(&f, "version.yaml has no sha256; artifact not verified");
        return FERRY_OK;
    }
    if (strcmp(spec->expected_sha256, mv->sha256) != 0)
        return ferry_error_set(
            err, FERRY_INVALID_ARG, "model '%s' version %s: %s has sha256 %s, version.yaml says %s",
            spec->name, spec->version, spec->artifact, mv->sha256, spec->expected_sha256);
    return FERRY_OK;
}

ferry_status model_version_load(const model_spec *spec, model_version **out, ferry_error *err)
{
    if (spec->backend == NULL || spec->backend->abi_version != FERRY_BACKEND_ABI_VERSION)
        return ferry_error_set(err, FERRY_UNSUPPORTED,
                               "model '%s' version %s: backend has an incompatible ABI version",
                               spec->name, spec->version);
    model_version *mv = calloc(1, sizeof *mv);
    if (mv == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "model '%s': out of memory", spec->name);
    memcpy(mv->name, spec->name, sizeof mv->name);
    memcpy(mv->version, spec->version, sizeof mv->version);
    memcpy(mv->artifact, spec->artifact, sizeof mv->artifact);
    mv->backend = spec->backend;
    atomic_init(&mv->refs, 1);
    model_stats_init(&mv->stats);
    ferry_status st = feedback_config_read(spec->model_yaml, "model.yaml", &mv->feedback, err);
    scheduler_config sched_cfg;
    if (st == FERRY_OK)
        st = scheduler_read_config(spec->model_yaml, &sched_cfg, err);
    if (st != FERRY_OK)
        st = ferry_error_prefix(err, "model '%s': ", spec->name);
    if (st == FERRY_OK)
        st = verify_artifact(spec, mv, err);
    if (st == FERRY_OK) {
        ferry_backend_config cfg = {.model_name = spec->name,
                                    .version = spec->version[0] ? spec->version : "-",
                                    .n_options = spec->n_options,
                                    .options = spec->options};
        st = spec->backend->load(&cfg, spec->artifact, &mv->handle, err);
    }
    if (st == FERRY_OK)
        st = spec->backend->describe(mv->handle, &mv->io, err);
    if (st == FERRY_OK)
        st = scheduler_create(mv, &sched_cfg, &mv->sched, err);
    if (st != FERRY_OK) {
        if (mv->handle != NULL)
            spec->backend->unload(mv->handle);
        free(mv);
        return st;
    }
    *out = mv;
    return FERRY_OK;
}

void model_version_acquire(model_version *mv)
{
    atomic_fetch_add_explicit(&mv->refs, 1, memory_order_relaxed);
}

void model_version_release(model_version *mv)
{
    if (mv == NULL)
        return;
    if (atomic_fetch_sub_explicit(&mv->refs, 1, memory_order_acq_rel) != 1)
        return;
    scheduler_destroy(mv->sched);
    model_watch_destroy(mv->watch);
    mv->backend->unload(mv->handle);
    free(mv);
}

int model_version_input_index(const model_version *mv, const char *name)
{
    for (size_t i = 0; i < mv->io.n_inputs; i++)
        if (strcmp(mv->io.inputs[i].name, name) == 0)
            return (int)i;
    return -1;
}

int model_version_output_index(const model_version *mv, const char *name)
{
    for (size_t i = 0; i < mv->io.n_outputs; i++)
        if (strcmp(mv->io.outputs[i].name, name) == 0)
            return (int)i;
    return -1;
}
