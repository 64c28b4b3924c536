/* Reconciling one model: compare what its model.yaml asks for (production version, `load:`,
 * backend and options) with what is loaded, load and warm what is missing or changed, then publish
 * the new set to the model table in one swap and drop what is no longer wanted. A version that
 * fails to load leaves the current one serving; its failure is logged, counted and shown in the
 * model's metadata, and retried only when its files (or its model.yaml options) change.
 *
 * Only the reconciler calls these, one pass at a time (it serialises them). */
#ifndef FERRY_SERVING_MODEL_RECONCILE_H
#define FERRY_SERVING_MODEL_RECONCILE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "monitor/metrics.h"
#include "serving/model_table.h"
#include "serving/watcher.h"

/* What a pass works with; borrowed from the reconciler. */
typedef struct reconcile_env {
    const char *repo;
    model_table *table;
    metrics *metrics;        /* may be NULL */
    watcher *watcher;        /* may be NULL: nothing is watched */
    const atomic_bool *stop; /* set: start no more loads */
} reconcile_env;

typedef struct model_reconcile model_reconcile;

/* State for model `name` (nothing loaded yet); NULL when out of memory. */
model_reconcile *model_reconcile_create(const char *name);

/* The model's name. */
const char *model_reconcile_name(const model_reconcile *m);

/* Reads REPO/NAME and brings the table in line with it (see the file comment). Never fails:
 * problems are logged, counted and recorded in the table. */
void model_reconcile_pass(model_reconcile *m, const reconcile_env *env);

/* The model's folder is gone: removes it from the table (404 from now on) and unloads its
 * versions (each freed when its last request ends). */
void model_reconcile_remove(model_reconcile *m, const reconcile_env *env);

/* Drops the reconciler's references and frees the state; the table keeps its own. Accepts NULL. */
void model_reconcile_destroy(model_reconcile *m);

#endif
