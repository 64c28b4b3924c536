/* One model's reconciliation; see model_reconcile.h.
 *
 * Lifetimes: the reconciler holds one reference on each version in `loaded`, the table holds its
 * own, and each request holds one while it runs. A version that leaves the set is released by the
 * table after the swap and by the reconciler right after; it is freed by whichever release is
 * last, often the request that was still running on it. */
#include "serving/model_reconcile.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "serving/fingerprint.h"
#include "serving/load_plan.h"
#include "serving/loader.h"
#include "serving/repository.h"

typedef struct loaded_version {
    uint64_t number;
    uint64_t fingerprint; /* of its folder and model.yaml's backend and options when loaded */
    model_version *mv;    /* one reference, the reconciler's */
} loaded_version;

typedef struct load_failure {
    uint64_t number;      /* 0: the model as a whole (bad model.yaml, no version folders) */
    uint64_t fingerprint; /* what failed; the same fingerprint is not tried again */
    char message[FERRY_ERROR_MESSAGE_MAX];
} load_failure;

struct model_reconcile {
    char name[REPOSITORY_NAME_MAX];
    loaded_version *loaded; /* ascending by number */
    size_t n_loaded;
    uint64_t serving; /* the version answering requests that name none; 0 when none */
    load_failure *failures;
    size_t n_failures;
    bool published; /* the table has an entry for the model */
};

/* One pass over one model: the versions to publish are collected in next[]. */
typedef struct pass {
    model_reconcile *m;
    const reconcile_env *env;
    char dir[PATH_MAX];
    uint64_t config_fp;
    loaded_version *next;
    size_t n_next;
} pass;

model_reconcile *model_reconcile_create(const char *name)
{
    model_reconcile *m = calloc(1, sizeof *m);
    if (m != NULL)
        snprintf(m->name, sizeof m->name, "%s", name);
    return m;
}

const char *model_reconcile_name(const model_reconcile *m)
{
    return m->name;
}

void model_reconcile_destroy(model_reconcile *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n_loaded; i++)
        model_version_release(m->loaded[i].mv);
    free(m->loaded);
    free(m->failures);
    free(m);
}

/* ------------------------------------------------------------------------------------------ */
/* Failures                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static load_failure *find_failure(model_reconcile *m, uint64_t number)
{
    for (size_t i = 0; i < m->n_failures; i++)
        if (m->failures[i].number == number)
            return &m->failures[i];
    return NULL;
}

/* Records a failure; false when the same one was already recorded (nothing new to report). */
static bool record_failure(model_reconcile *m, uint64_t number, uint64_t fp, const char *message)
{
    load_failure *f = find_failure(m, number);
    if (f != NULL && f->fingerprint == fp && strcmp(f->message, message) == 0)
        return false;
    if (f == NULL) {
        load_failure *grown = realloc(m->failures, (m->n_failures + 1) * sizeof *grown);
        if (grown == NULL)
            return true; /* reported, not remembered: tried again next pass */
        m->failures = grown;
        f = &m->failures[m->n_failures++];
    }
    *f = (load_failure){.number = number, .fingerprint = fp};
    snprintf(f->message, sizeof f->message, "%s", message);
    return true;
}

static void forget_failure(model_reconcile *m, uint64_t number)
{
    load_failure *f = find_failure(m, number);
    if (f != NULL)
        *f = m->failures[--m->n_failures];
}

/* Forgets the failures of versions the plan no longer wants: they no longer stand. */
static void prune_failures(model_reconcile *m, const load_plan *plan)
{
    for (size_t i = m->n_failures; i-- > 0;) {
        bool wanted = false;
        for (size_t k = 0; k < plan->n_wanted && !wanted; k++)
            wanted = plan->wanted[k] == m->failures[i].number;
        if (!wanted)
            m->failures[i] = m->failures[--m->n_failures];
    }
}

/* The standing failures as one message ("; "-separated, the model's own first). */
static void failure_reason(const model_reconcile *m, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int pass_no = 0; pass_no < 2; pass_no++)
        for (size_t i = 0; i < m->n_failures && used < len; i++)
            if ((m->failures[i].number == 0) == (pass_no == 0))
                used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "; " : "",
                                         m->failures[i].message);
}

/* ------------------------------------------------------------------------------------------ */
/* Publishing                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static const loaded_version *find_in(const loaded_version *set, size_t n, uint64_t number)
{
    for (size_t i = 0; i < n; i++)
        if (set[i].number == number)
            return &set[i];
    return NULL;
}

static bool holds(const loaded_version *set, size_t n, const model_version *mv)
{
    for (size_t i = 0; i < n; i++)
        if (set[i].mv == mv)
            return true;
    return false;
}

static int compare_loaded(const void *a, const void *b)
{
    uint64_t x = ((const loaded_version *)a)->number, y = ((const loaded_version *)b)->number;
    return (x > y) - (x < y);
}

/* Sets the table's entry to next[] with `serving`; false when out of memory (table unchanged). */
static bool publish(const pass *p, uint64_t serving, model_state idle_state, uint64_t wanted)
{
    model_version **set = malloc((p->n_next + 1) * sizeof *set);
    if (set == NULL)
        return false;
    const model_version *serving_mv = NULL;
    for (size_t i = 0; i < p->n_next; i++) {
        set[i] = p->next[i].mv;
        if (p->next[i].number == serving)
            serving_mv = set[i];
    }
    char reason[MODEL_TABLE_REASON_MAX], version[REPOSITORY_VERSION_MAX] = "";
    failure_reason(p->m, reason, sizeof reason);
    if (wanted != 0)
        snprintf(version, sizeof version, "%" PRIu64, wanted);
    model_table_change u = {.name = p->m->name,
                            .versions = set,
                            .n_versions = p->n_next,
                            .serving = serving_mv,
                            .state = idle_state,
                            .version = version,
                            .reason = reason};
    bool ok = model_table_update(p->env->table, &u) == FERRY_OK;
    free(set);
    return ok;
}

/* Moves ferry_model_info from the versions in `from` to those in `to`. Done before the swap, so
 * that whoever sees the new versions answer also sees them in the metrics. */
static void update_info(const pass *p, const loaded_version *from, size_t n_from,
                        const loaded_version *to, size_t n_to)
{
    for (size_t i = 0; i < n_to; i++) {
        const model_version *mv = to[i].mv;
        if (!holds(from, n_from, mv))
            metrics_set_model_info(p->env->metrics, p->m->name, mv->version, mv->backend->name,
                                   mv->sha256, true);
    }
    for (size_t i = 0; i < n_from; i++) {
        const model_version *mv = from[i].mv;
        if (find_in(to, n_to, from[i].number) == NULL)
            metrics_set_model_info(p->env->metrics, p->m->name, mv->version, mv->backend->name,
                                   mv->sha256, false);
    }
}

/* After a successful publish: references on what left dropped, next[] becomes the loaded set. */
static void commit(pass *p)
{
    model_reconcile *m = p->m;
    for (size_t i = 0; i < m->n_loaded; i++) {
        model_version *mv = m->loaded[i].mv;
        if (holds(p->next, p->n_next, mv))
            continue;
        if (find_in(p->next, p->n_next, m->loaded[i].number) == NULL) {
            log_fields f = {.model = m->name, .version = mv->version};
            log_info(&f, "model version unloaded");
        }
        model_version_release(mv);
    }
    free(m->loaded);
    m->loaded = p->next;
    m->n_loaded = p->n_next;
    p->next = NULL;
    p->n_next = 0;
}

/* Drops the versions a failed publish would have added. */
static void discard(pass *p)
{
    for (size_t i = 0; i < p->n_next; i++)
        if (!holds(p->m->loaded, p->m->n_loaded, p->next[i].mv))
            model_version_release(p->next[i].mv);
    free(p->next);
    p->next = NULL;
    p->n_next = 0;
}

static void log_serving_change(const model_reconcile *m, uint64_t was, uint64_t now)
{
    if (was == now)
        return;
    char version[REPOSITORY_VERSION_MAX];
    snprintf(version, sizeof version, "%" PRIu64, now);
    log_fields f = {.model = m->name, .version = now ? version : NULL};
    if (now == 0)
        log_info(&f, "no version serves the model now (was version %" PRIu64 ")", was);
    else if (was != 0)
        log_info(&f, "version %" PRIu64 " serves the model now (was version %" PRIu64 ")", now,
                 was);
}

/* Publishes next[] and commits it, or discards it when the table cannot take it. */
static void finish(pass *p, uint64_t serving, model_state idle_state, uint64_t wanted)
{
    qsort(p->next, p->n_next, sizeof *p->next, compare_loaded);
    update_info(p, p->m->loaded, p->m->n_loaded, p->next, p->n_next);
    if (!publish(p, serving, idle_state, wanted)) {
        update_info(p, p->next, p->n_next, p->m->loaded, p->m->n_loaded);
        log_fields f = {.model = p->m->name};
        log_error(&f, "out of memory publishing the model; the previous versions keep serving");
        discard(p);
        return;
    }
    p->m->published = true;
    commit(p);
    log_serving_change(p->m, p->m->serving, serving);
    p->m->serving = serving;
}

/* ------------------------------------------------------------------------------------------ */
/* Loading                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* Reads and loads version `number`, logging and counting a failure. */
static ferry_status load_version(const pass *p, uint64_t number, const char *vdir,
                                 model_version **mv, ferry_error *err)
{
    char version[REPOSITORY_VERSION_MAX];
    snprintf(version, sizeof version, "%" PRIu64, number);
    model_spec spec;
    ferry_status st = repository_read_model_version(p->dir, p->m->name, version, &spec, err);
    if (st == FERRY_OK) {
        st = loader_load_version(&spec, mv, err); /* logs either way */
        model_spec_clear(&spec);
    } else {
        log_fields f = {.model = p->m->name, .version = version, .file = vdir};
        log_error(&f, "model failed to load: %s", err->message);
    }
    if (st != FERRY_OK)
        metrics_count_load_failure(p->env->metrics, p->m->name, version);
    return st;
}

/* Brings version `number` into next[]: kept as loaded, loaded afresh when its files or options
 * changed, or (after a failed load) the instance already loaded, if any. */
static void reconcile_version(pass *p, uint64_t number)
{
    model_reconcile *m = p->m;
    const loaded_version *old = find_in(m->loaded, m->n_loaded, number);
    char vdir[PATH_MAX];
    snprintf(vdir, sizeof vdir, "%s/%" PRIu64, p->dir, number);
    if (p->env->watcher != NULL)
        watcher_watch(p->env->watcher, vdir);
    uint64_t fp = fingerprint_dir(vdir);
    fp = fingerprint_bytes(fp, &p->config_fp, sizeof p->config_fp);
    bool stale = old == NULL || old->fingerprint != fp;
    if (!stale)
        forget_failure(m, number); /* its files came back to what is loaded */
    const load_failure *failed = find_failure(m, number);
    bool try_load =
        stale && (failed == NULL || failed->fingerprint != fp) && !atomic_load(p->env->stop);
    model_version *mv = NULL;
    ferry_error err;
    if (try_load && load_version(p, number, vdir, &mv, &err) == FERRY_OK) {
        forget_failure(m, number);
        p->next[p->n_next++] = (loaded_version){.number = number, .fingerprint = fp, .mv = mv};
        return;
    }
    if (try_load)
        (void)record_failure(m, number, fp, err.message);
    if (old != NULL)
        p->next[p->n_next++] = *old;
}

/* The version that answers requests naming none: production when loaded, else the one that
 * served so far (kept loaded even if no longer wanted: a failed swap leaves it serving). */
static uint64_t choose_serving(pass *p, const load_plan *plan)
{
    if (plan->policy == LOAD_NONE)
        return 0;
    if (find_in(p->next, p->n_next, plan->production) != NULL)
        return plan->production;
    model_reconcile *m = p->m;
    const loaded_version *current = find_in(m->loaded, m->n_loaded, m->serving);
    if (current == NULL)
        return 0;
    if (find_in(p->next, p->n_next, m->serving) == NULL)
        p->next[p->n_next++] = *current;
    return m->serving;
}

static void apply_plan(pass *p, const load_plan *plan)
{
    model_reconcile *m = p->m;
    p->next = malloc((plan->n_wanted + 1) * sizeof *p->next);
    if (p->next == NULL) {
        log_fields f = {.model = m->name};
        log_error(&f, "out of memory reconciling the model");
        return;
    }
    forget_failure(m, 0);
    for (size_t i = 0; i < plan->n_wanted; i++)
        reconcile_version(p, plan->wanted[i]);
    prune_failures(m, plan);
    uint64_t serving = choose_serving(p, plan);
    model_state idle = plan->policy == LOAD_NONE ? MODEL_UNLOADED
                       : m->n_failures > 0       ? MODEL_FAILED
                                                 : MODEL_LOADING;
    if (plan->policy == LOAD_NONE && m->serving != 0) {
        log_fields f = {.model = m->name};
        log_info(&f, "model unloaded: model.yaml says load: none");
    }
    finish(p, serving, idle, plan->production);
}

/* ------------------------------------------------------------------------------------------ */
/* The pass                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* The model as a whole cannot be read: report it (once per distinct message) and keep what is
 * loaded serving, with the error in the table. */
static void model_failed(pass *p, const char *file, const ferry_error *err)
{
    model_reconcile *m = p->m;
    if (record_failure(m, 0, 0, err->message)) {
        log_fields f = {.model = m->name, .file = file};
        log_error(&f, "model failed to load: %s", err->message);
        metrics_count_load_failure(p->env->metrics, m->name, "");
    }
    p->next = malloc((m->n_loaded + 1) * sizeof *p->next);
    if (p->next == NULL)
        return;
    if (m->n_loaded > 0) /* m->loaded is NULL while nothing is loaded */
        if (m->n_loaded > 0)
            memcpy(p->next, m->loaded, m->n_loaded * sizeof *p->next);
    p->n_next = m->n_loaded;
    finish(p, m->serving, MODEL_FAILED, 0);
}

/* Parses model.yaml (an empty map when absent). */
static ferry_status read_model_yaml(const char *path, ynode **root, ferry_error *err)
{
    ferry_status st = yaml_doc_load_file(path, root, err);
    if (st == FERRY_NOT_FOUND)
        st = yaml_doc_load_string("", 0, path, root, err);
    if (st == FERRY_OK && (*root)->kind != YNODE_MAP) {
        ynode_free(*root);
        *root = NULL;
        st = ferry_error_set(err, FERRY_INVALID_ARG, "%s: must be a mapping", path);
    }
    return st;
}

/* Reads model.yaml and the version folders into a plan; on failure reports it as the model's. */
static bool plan_model(pass *p, load_plan *plan)
{
    char yaml_path[PATH_MAX + 16];
    snprintf(yaml_path, sizeof yaml_path, "%s/model.yaml", p->dir);
    ynode *yaml = NULL;
    uint64_t *versions = NULL;
    size_t n_versions = 0;
    ferry_error err;
    ferry_status st = read_model_yaml(yaml_path, &yaml, &err);
    if (st == FERRY_OK)
        st = repository_list_versions(p->dir, &versions, &n_versions, &err);
    if (st == FERRY_OK)
        st = load_plan_resolve(yaml, yaml_path, p->m->name, versions, n_versions, plan, &err);
    if (st == FERRY_OK)
        p->config_fp = fingerprint_load_config(yaml);
    else
        model_failed(p, yaml_path, &err);
    free(versions);
    ynode_free(yaml);
    return st == FERRY_OK;
}

void model_reconcile_pass(model_reconcile *m, const reconcile_env *env)
{
    pass p = {.m = m, .env = env};
    snprintf(p.dir, sizeof p.dir, "%s/%s", env->repo, m->name);
    if (env->watcher != NULL)
        watcher_watch(env->watcher, p.dir);
    if (!m->published && model_table_set_loading(env->table, m->name, "") != FERRY_OK)
        return;
    load_plan plan;
    if (plan_model(&p, &plan)) {
        apply_plan(&p, &plan);
        load_plan_clear(&plan);
    }
    free(p.next);
}

void model_reconcile_remove(model_reconcile *m, const reconcile_env *env)
{
    for (size_t i = 0; i < m->n_loaded; i++) {
        const model_version *mv = m->loaded[i].mv;
        metrics_set_model_info(env->metrics, m->name, mv->version, mv->backend->name, mv->sha256,
                               false);
    }
    model_table_remove(env->table, m->name);
    log_fields f = {.model = m->name};
    log_info(&f, "model removed from the repository: unloaded");
}
