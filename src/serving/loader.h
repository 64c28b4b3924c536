/* Loading what a repository (or a single artifact) asks for into the model table at start-up.
 * A model that fails is recorded as failed with its reason; the others load regardless. */
#ifndef FERRY_SERVING_LOADER_H
#define FERRY_SERVING_LOADER_H

#include "serving/model_table.h"

/* Called for every version that loads, e.g. to publish metrics. */
typedef void (*loader_on_loaded)(void *ctx, const model_version *mv);

/* Loads the production version of every model in `repo`. Fails only when the repository itself
 * cannot be read (NOT_FOUND, IO); per-model failures are logged and recorded in the table. */
ferry_status loader_load_repository(const char *repo, model_table *table, loader_on_loaded cb,
                                    void *cb_ctx, ferry_error *err) FERRY_MUST_CHECK;

/* Loads one artifact file as model `name`. Fails with the load error. */
ferry_status loader_load_artifact(const char *artifact, const char *name, model_table *table,
                                  loader_on_loaded cb, void *cb_ctx,
                                  ferry_error *err) FERRY_MUST_CHECK;

#endif
