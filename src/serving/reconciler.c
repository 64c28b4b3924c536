/* The reconciler's passes over the repository and its background thread; see reconciler.h.
 *
 * Threads: passes run under pass_lock, on the background thread or on a caller of
 * reconciler_run_once, so the per-model state (model_reconcile) is only ever touched by one thread
 * at a time and needs no lock of its own. Request threads only read the model table. */
#include "serving/reconciler.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/thread_name.h"
#include "serving/model_reconcile.h"
#include "serving/repository.h"

struct reconciler {
    char *repo;
    model_table *table;
    metrics *metrics;
    watcher *watcher;
    model_reconcile **models; /* sorted by name */
    size_t n_models;
    pthread_mutex_t pass_lock;
    pthread_t thread;
    bool started;
    atomic_bool stop;
    _Atomic uint64_t passes;
    char last_error[FERRY_ERROR_MESSAGE_MAX]; /* the repository listing error last logged */
};

ferry_status reconciler_create(const reconciler_options *o, reconciler **out, ferry_error *err)
{
    reconciler *r = calloc(1, sizeof *r);
    if (r == NULL || (r->repo = strdup(o->repo)) == NULL) {
        free(r);
        return ferry_error_set(err, FERRY_NO_MEMORY, "model repository %s: out of memory", o->repo);
    }
    r->table = o->table;
    r->metrics = o->metrics;
    atomic_init(&r->stop, false);
    atomic_init(&r->passes, 0);
    pthread_mutex_init(&r->pass_lock, NULL);
    r->watcher = watcher_create(
        o->watch, o->poll_interval_ms ? o->poll_interval_ms : RECONCILER_POLL_MS_DEFAULT,
        o->debounce_ms ? o->debounce_ms : RECONCILER_DEBOUNCE_MS_DEFAULT);
    if (r->watcher == NULL) {
        reconciler_destroy(r);
        return ferry_error_set(err, FERRY_IO, "model repository %s: cannot create a watcher",
                               o->repo);
    }
    *out = r;
    return FERRY_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Passes                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* Makes r->models match the folder names (both sorted): models whose folder is gone are removed
 * from the table and freed, new folders get fresh state. False when out of memory. */
static bool merge_models(reconciler *r, const reconcile_env *env, char **names, size_t count)
{
    model_reconcile **merged = malloc((count + 1) * sizeof *merged);
    if (merged == NULL)
        return false;
    size_t i = 0, k = 0, n = 0;
    while (i < r->n_models || k < count) {
        int c = i == r->n_models ? 1
                : k == count     ? -1
                                 : strcmp(model_reconcile_name(r->models[i]), names[k]);
        if (c < 0) {
            model_reconcile_remove(r->models[i], env);
            model_reconcile_destroy(r->models[i++]);
        } else if (c == 0) {
            merged[n++] = r->models[i++];
            k++;
        } else if ((merged[n] = model_reconcile_create(names[k++])) != NULL) {
            n++;
        }
    }
    free(r->models);
    r->models = merged;
    r->n_models = n;
    return true;
}

/* Logs a repository listing error once (until it changes or clears). */
static void listing_failed(reconciler *r, const ferry_error *err)
{
    if (strcmp(r->last_error, err->message) == 0)
        return;
    snprintf(r->last_error, sizeof r->last_error, "%s", err->message);
    log_fields f = {.file = r->repo};
    log_error(&f, "cannot read the model repository (models loaded keep serving): %s",
              err->message);
}

static ferry_status run_pass(reconciler *r, ferry_error *err)
{
    reconcile_env env = {.repo = r->repo,
                         .table = r->table,
                         .metrics = r->metrics,
                         .watcher = r->watcher,
                         .stop = &r->stop};
    watcher_watch(r->watcher, r->repo);
    char **names = NULL;
    size_t count = 0;
    ferry_status st = repository_list_models(r->repo, &names, &count, err);
    if (st != FERRY_OK) {
        listing_failed(r, err);
        return st;
    }
    r->last_error[0] = '\0';
    if (!merge_models(r, &env, names, count))
        st = ferry_error_set(err, FERRY_NO_MEMORY, "model repository %s: out of memory", r->repo);
    repository_free_names(names, count);
    for (size_t i = 0; st == FERRY_OK && i < r->n_models && !atomic_load(&r->stop); i++)
        model_reconcile_pass(r->models[i], &env);
    atomic_fetch_add(&r->passes, 1);
    return st;
}

ferry_status reconciler_run_once(reconciler *r, ferry_error *err)
{
    pthread_mutex_lock(&r->pass_lock);
    ferry_status st = run_pass(r, err);
    pthread_mutex_unlock(&r->pass_lock);
    return st;
}

uint64_t reconciler_passes(reconciler *r)
{
    return atomic_load(&r->passes);
}

/* ------------------------------------------------------------------------------------------ */
/* The background thread                                                                        */
/* ------------------------------------------------------------------------------------------ */

static void *reconciler_main(void *arg)
{
    reconciler *r = arg;
    thread_name_set("ferry-reconcile");
    while (!atomic_load(&r->stop)) {
        watcher_wait(r->watcher);
        if (atomic_load(&r->stop))
            break;
        ferry_error err;
        if (reconciler_run_once(r, &err) != FERRY_OK)
            continue; /* logged; the next change or poll tries again */
    }
    return NULL;
}

ferry_status reconciler_start(reconciler *r, ferry_error *err)
{
    if (r->started)
        return FERRY_OK;
    atomic_store(&r->stop, false); /* after a reconciler_stop */
    if (pthread_create(&r->thread, NULL, reconciler_main, r) != 0)
        return ferry_error_set(err, FERRY_INTERNAL,
                               "model repository %s: cannot start the watcher thread", r->repo);
    r->started = true;
    log_fields f = {.file = r->repo};
    log_info(&f, "watching the model repository (%s)",
             watcher_uses_inotify(r->watcher) ? "inotify and polling" : "polling");
    return FERRY_OK;
}

void reconciler_wake(reconciler *r)
{
    watcher_wake(r->watcher);
}

void reconciler_stop(reconciler *r)
{
    if (r == NULL || !r->started)
        return;
    atomic_store(&r->stop, true);
    watcher_wake(r->watcher);
    pthread_join(r->thread, NULL);
    r->started = false;
}

void reconciler_destroy(reconciler *r)
{
    if (r == NULL)
        return;
    reconciler_stop(r);
    for (size_t i = 0; i < r->n_models; i++)
        model_reconcile_destroy(r->models[i]);
    free(r->models);
    watcher_destroy(r->watcher);
    pthread_mutex_destroy(&r->pass_lock);
    free(r->repo);
    free(r);
}
