/* The table of models the server knows: per model its state (loading, ready, failed, unloaded), the
 * versions that are loaded, which of them answers requests that name no version (the serving or
 * production version), and the load error that stands, if any. Lookups take a reference on a
 * version, so a version swapped out later (hot swap) never disappears under a request in flight:
 * it is freed when its last request ends. The reconciler is the only writer in a server; request
 * threads only read. */
#ifndef FERRY_SERVING_MODEL_TABLE_H
#define FERRY_SERVING_MODEL_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "serving/model_version.h"

typedef enum model_state {
    MODEL_LOADING,  /* nothing serves yet; a load is under way */
    MODEL_READY,    /* a version serves requests that name no version */
    MODEL_FAILED,   /* nothing serves: the version it should serve failed to load */
    MODEL_UNLOADED, /* known but deliberately not loaded (model.yaml `load: none`) */
} model_state;

/* "loading", "ready", "failed", "unloaded". */
const char *model_state_name(model_state state);

#define MODEL_TABLE_REASON_MAX 1024
#define MODEL_TABLE_LIST_MAX   64 /* loaded versions copied into a model_status */

/* A copy of one entry's state, for listings and metadata. */
typedef struct model_status {
    char name[REPOSITORY_NAME_MAX];
    char version[REPOSITORY_VERSION_MAX]; /* serving version, else the one it should serve */
    model_state state;
    char reason[MODEL_TABLE_REASON_MAX]; /* the load error that stands; "" when none */
    size_t n_versions;                   /* loaded versions (may exceed MODEL_TABLE_LIST_MAX) */
    char versions[MODEL_TABLE_LIST_MAX][REPOSITORY_VERSION_MAX]; /* ascending */
} model_status;

/* Everything model_table_update sets for one model, replacing what the entry held. */
typedef struct model_table_change {
    const char *name;
    model_version *const *versions; /* the loaded set; the table takes its own references */
    size_t n_versions;
    const model_version *serving; /* one of versions, or NULL: then `state` and `version` say why */
    model_state state;            /* used only when serving is NULL */
    const char *version;          /* reported when serving is NULL; may be NULL */
    const char *reason;           /* load error that stands, or NULL */
} model_table_change;

typedef struct model_table model_table;

/* Creates an empty table; NULL when out of memory. */
model_table *model_table_create(void);

/* Releases every version and frees the table. Accepts NULL. */
void model_table_destroy(model_table *t);

/* Replaces a model's loaded set, serving version, state and reason in one step (creating the entry
 * when new): a request sees either the old or the new set, never a mix. Versions that leave the set
 * are released after the swap; requests holding them finish on them. Fails with NO_MEMORY (the
 * entry is then unchanged) or INVALID_ARG when serving is not in the set. */
ferry_status model_table_update(model_table *t, const model_table_change *u) FERRY_MUST_CHECK;

/* Forgets a model (its folder is gone): it answers 404 from now on. No-op when unknown. */
void model_table_remove(model_table *t, const char *name);

/* Records that `name` should serve `version` and is loading, unless a version already serves. */
ferry_status model_table_set_loading(model_table *t, const char *name,
                                     const char *version) FERRY_MUST_CHECK;

/* Makes mv the only loaded version of its model and the serving one (state ready), taking over the
 * caller's reference. The versions it replaces are released; requests holding them finish on
 * them. */
ferry_status model_table_publish(model_table *t, model_version *mv) FERRY_MUST_CHECK;

/* Records that `name` failed to load `version` for `reason`. A version already serving keeps
 * serving (the entry stays ready, with the reason); otherwise the model is failed (not ready). */
ferry_status model_table_set_failed(model_table *t, const char *name, const char *version,
                                    const char *reason) FERRY_MUST_CHECK;

/* Finds the serving version of `name`, or exactly `version` when not NULL, and takes a reference
 * that the caller drops with model_version_release. Never allocates. Fails with NOT_FOUND for an
 * unknown model or a version that is not loaded, UNAVAILABLE for a model with no serving version
 * (loading, failed or unloaded). */
ferry_status model_table_acquire(model_table *t, const char *name, const char *version,
                                 model_version **mv, ferry_error *err) FERRY_MUST_CHECK;

/* Copies the state of `name` into out; false when the table does not know it. */
bool model_table_get(model_table *t, const char *name, model_status *out);

/* True when the table knows `name` (whatever its state). */
bool model_table_contains(model_table *t, const char *name);

/* True when every model that should be loaded is ready (unloaded models do not count). */
bool model_table_all_ready(model_table *t);

/* Number of models that are ready. */
size_t model_table_ready_count(model_table *t);

/* Takes a reference on each loaded version of `name` (of every model when NULL), by model name
 * then ascending version, into out[0..max). Returns how many there are, which may exceed max
 * (then only the first max are taken). The caller releases each one taken. */
size_t model_table_acquire_loaded(model_table *t, const char *name, model_version **out,
                                  size_t max);

/* Copies up to `max` entries' state into out, sorted by name; returns the total entry count. */
size_t model_table_list(model_table *t, model_status *out, size_t max);

#endif
