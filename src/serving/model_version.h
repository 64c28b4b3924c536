/* One loaded model version: the backend's handle, its inputs and outputs, and a reference count so
 * that a version swapped out while requests are in flight is freed only after the last one ends. */
#ifndef FERRY_SERVING_MODEL_VERSION_H
#define FERRY_SERVING_MODEL_VERSION_H

#include <stdatomic.h>

#include "ferry/backend.h"
#include "serving/model_stats.h"
#include "serving/repository.h"
#include "serving/scheduler.h"
#include "state/feedback_config.h"

typedef struct model_version {
    char name[REPOSITORY_NAME_MAX];
    char version[REPOSITORY_VERSION_MAX];
    char sha256[65];
    char artifact[PATH_MAX];
    const ferry_backend *backend;
    void *handle;
    ferry_model_io io;
    atomic_int refs;
    model_stats stats;         /* requests served by this version (statistics extension) */
    struct model_watch *watch; /* profile, validation and drift; NULL without a profile */
    scheduler *sched;          /* queue, instances and batching (model.yaml) */
    feedback_config feedback;  /* model.yaml's task, feedback_window and payload_log */
} model_version;

/* Loads the version a spec describes: verifies size and sha256 when version.yaml gives them, loads
 * the artifact with its backend and reads its inputs and outputs. On success *out holds one
 * reference, owned by the caller. Errors name the model, version and file. */
ferry_status model_version_load(const model_spec *spec, model_version **out,
                                ferry_error *err) FERRY_MUST_CHECK;

/* Takes another reference. */
void model_version_acquire(model_version *mv);

/* Drops a reference; the last one unloads and frees the version. Accepts NULL. */
void model_version_release(model_version *mv);

/* Index of the input or output called `name`, or -1. */
int model_version_input_index(const model_version *mv, const char *name);
int model_version_output_index(const model_version *mv, const char *name);

#endif
