/* The table of models the server knows: per model its state (loading, ready, failed) and the
 * version that serves it. Lookups take a reference on the version, so a version published in its
 * place later (hot swap) never pulls the model out from under a request in flight. */
#ifndef FERRY_SERVING_MODEL_TABLE_H
#define FERRY_SERVING_MODEL_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "serving/model_version.h"

typedef enum model_state { MODEL_LOADING, MODEL_READY, MODEL_FAILED } model_state;

#define MODEL_TABLE_REASON_MAX 512

/* A copy of one entry's state, for listings. */
typedef struct model_status {
    char name[REPOSITORY_NAME_MAX];
    char version[REPOSITORY_VERSION_MAX]; /* serving version, or the one that failed to load */
    model_state state;
    char reason[MODEL_TABLE_REASON_MAX]; /* why it failed; "" otherwise */
} model_status;

typedef struct model_table model_table;

/* Creates an empty table; NULL when out of memory. */
model_table *model_table_create(void);

/* Releases every version and frees the table. Accepts NULL. */
void model_table_destroy(model_table *t);

/* Records that `name` should serve `version` and is loading. */
ferry_status model_table_set_loading(model_table *t, const char *name,
                                     const char *version) FERRY_MUST_CHECK;

/* Makes mv the serving version of its model (state ready), taking over the caller's reference.
 * The version it replaces is released; requests holding it finish on it. */
ferry_status model_table_publish(model_table *t, model_version *mv) FERRY_MUST_CHECK;

/* Records that `name` failed to load `version` for `reason`. A version already serving keeps
 * serving (the entry stays ready); otherwise the model is failed (not ready). */
ferry_status model_table_set_failed(model_table *t, const char *name, const char *version,
                                    const char *reason) FERRY_MUST_CHECK;

/* Finds the serving version of `name` (or exactly `version`, when not NULL) and takes a reference
 * that the caller drops with model_version_release. Fails with NOT_FOUND for an unknown model or a
 * version that is not loaded, UNAVAILABLE for a model that is loading or failed. */
ferry_status model_table_acquire(model_table *t, const char *name, const char *version,
                                 model_version **mv, ferry_error *err) FERRY_MUST_CHECK;

/* True when the table knows `name` (whatever its state). */
bool model_table_contains(model_table *t, const char *name);

/* True when every model in the table is ready (and the table is not empty when `strict`). */
bool model_table_all_ready(model_table *t);

/* Number of models that are ready. */
size_t model_table_ready_count(model_table *t);

/* Copies up to `max` entries' state into out, sorted by name; returns the total entry count. */
size_t model_table_list(model_table *t, model_status *out, size_t max);

#endif
