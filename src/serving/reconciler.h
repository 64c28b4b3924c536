/* The reconciler keeps the model table in line with the model repository folder, however the
 * folder was changed (ferry's CLI or admin API, an editor, a git pull, a volume sync). A pass lists
 * the model folders, forgets models whose folder is gone and reconciles each model (see
 * model_reconcile.h). The server runs the first pass synchronously at start-up, then a background
 * thread runs a pass whenever the watcher reports a change (inotify, debounced) and every poll
 * interval. Loads happen on that thread, never on a request thread, and never under the table's
 * lock: requests keep being answered by the versions loaded until the swap.
 *
 *     reconciler *r;
 *     reconciler_options o = {.repo = "models", .table = table, .metrics = m};
 *     if (reconciler_create(&o, &r, &err) || reconciler_run_once(r, &err)) ... exit 1
 *     if (reconciler_start(r, &err)) ...      // then serve; on SIGTERM:
 *     reconciler_stop(r);                      // before draining requests
 *     reconciler_destroy(r);                   // the table keeps its own references
 */
#ifndef FERRY_SERVING_RECONCILER_H
#define FERRY_SERVING_RECONCILER_H

#include <stdint.h>

#include "monitor/metrics.h"
#include "serving/model_table.h"
#include "serving/watcher.h"

#define RECONCILER_POLL_MS_DEFAULT     1000
#define RECONCILER_DEBOUNCE_MS_DEFAULT 10

typedef struct reconciler_options {
    const char *repo;          /* the repository folder (copied) */
    model_table *table;        /* borrowed; outlives the reconciler */
    metrics *metrics;          /* borrowed; may be NULL */
    unsigned poll_interval_ms; /* 0: RECONCILER_POLL_MS_DEFAULT */
    unsigned debounce_ms;      /* 0: RECONCILER_DEBOUNCE_MS_DEFAULT */
    watcher_mode watch;        /* WATCHER_INOTIFY (default) or WATCHER_POLL */
} reconciler_options;

typedef struct reconciler reconciler;

/* Creates a reconciler (no pass run, no thread started). Fails with NO_MEMORY, or IO when no file
 * descriptor is left for the watcher. The caller frees it with reconciler_destroy. */
ferry_status reconciler_create(const reconciler_options *o, reconciler **out,
                               ferry_error *err) FERRY_MUST_CHECK;

/* Runs one pass on the calling thread, serialised with the background thread's passes. Fails with
 * NOT_FOUND or IO naming the folder when the repository cannot be listed (models already loaded
 * keep serving); every per-model problem is logged and recorded in the table instead. */
ferry_status reconciler_run_once(reconciler *r, ferry_error *err) FERRY_MUST_CHECK;

/* Starts the background thread (again, after reconciler_stop). A no-op when it runs. Fails with
 * INTERNAL when the thread cannot be created. */
ferry_status reconciler_start(reconciler *r, ferry_error *err) FERRY_MUST_CHECK;

/* Asks the background thread for a pass now (e.g. right after an admin request changed a
 * model.yaml), without waiting for it. Thread-safe. */
void reconciler_wake(reconciler *r);

/* Stops the background thread and waits for it: a load in progress finishes, no new load starts.
 * Idempotent; a no-op when the thread was never started. */
void reconciler_stop(reconciler *r);

/* Stops the thread and frees the reconciler and its references on loaded versions; the table
 * keeps serving what it holds until it is destroyed. Accepts NULL. */
void reconciler_destroy(reconciler *r);

/* Passes completed so far (start-up pass included). Thread-safe. */
uint64_t reconciler_passes(reconciler *r);

#endif
