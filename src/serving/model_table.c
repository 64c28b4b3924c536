/* The model table behind a reader-writer lock; see model_table.h. A lookup
 * read-locks, finds the entry by binary search, takes a reference and unlocks: no allocation on
 * the request path. Writers build the new loaded set outside the lock and swap it in under the
 * write lock; references to versions that left the set are dropped after unlocking. */
#include "serving/model_table.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct model_entry {
    char name[REPOSITORY_NAME_MAX];
    char version[REPOSITORY_VERSION_MAX];
    model_state state;
    char reason[MODEL_TABLE_REASON_MAX];
    model_version **loaded; /* ascending by version; one reference each, held by the table */
    size_t n_loaded;
    model_version *serving; /* one of loaded[] (no reference of its own), or NULL */
} model_entry;

struct model_table {
    pthread_rwlock_t lock;
    model_entry *entries; /* sorted by name */
    size_t count;
    size_t cap;
};

static const char *const state_names[] = {
    [MODEL_LOADING] = "loading",
    [MODEL_READY] = "ready",
    [MODEL_FAILED] = "failed",
    [MODEL_UNLOADED] = "unloaded",
};

const char *model_state_name(model_state state)
{
    return state <= MODEL_UNLOADED ? state_names[state] : "unknown";
}

model_table *model_table_create(void)
{
    model_table *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    /* glibc's default rwlock prefers readers. A swap still gets in at once: each request holds the
     * read lock for a few instructions, so moments with no reader are the rule even under load
     * (the hot-swap test swaps under 64 busy connections). */
    if (pthread_rwlock_init(&t->lock, NULL) != 0) {
        free(t);
        return NULL;
    }
    return t;
}

static void release_all(model_version **versions, size_t n)
{
    for (size_t i = 0; i < n; i++)
        model_version_release(versions[i]);
    free(versions);
}

void model_table_destroy(model_table *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->count; i++)
        release_all(t->entries[i].loaded, t->entries[i].n_loaded);
    free(t->entries);
    pthread_rwlock_destroy(&t->lock);
    free(t);
}

/* ------------------------------------------------------------------------------------------ */
/* Entries                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* Binary search; returns the entry or NULL, and in *pos where it would be inserted. */
static model_entry *find_entry(model_table *t, const char *name, size_t *pos)
{
    size_t lo = 0, hi = t->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(t->entries[mid].name, name);
        if (c == 0)
            return &t->entries[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (pos != NULL)
        *pos = lo;
    return NULL;
}

/* Finds or inserts the entry for name; NULL when out of memory or the name is too long. Call with
 * the write lock held. */
static model_entry *upsert_entry(model_table *t, const char *name)
{
    size_t pos = 0;
    model_entry *e = find_entry(t, name, &pos);
    if (e != NULL)
        return e;
    if (strlen(name) >= REPOSITORY_NAME_MAX)
        return NULL;
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        model_entry *grown = realloc(t->entries, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        t->entries = grown;
        t->cap = cap;
    }
    memmove(&t->entries[pos + 1], &t->entries[pos], (t->count - pos) * sizeof *t->entries);
    t->count++;
    e = &t->entries[pos];
    memset(e, 0, sizeof *e);
    strcpy(e->name, name);
    e->state = MODEL_LOADING;
    return e;
}

/* Version strings are whole numbers without leading zeros: shorter is smaller. */
static int compare_version_strings(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    return la != lb ? (la < lb ? -1 : 1) : strcmp(a, b);
}

static int compare_loaded(const void *a, const void *b)
{
    const model_version *x = *(model_version *const *)a, *y = *(model_version *const *)b;
    return compare_version_strings(x->version, y->version);
}

static model_version *find_loaded(const model_entry *e, const char *version)
{
    for (size_t i = 0; i < e->n_loaded; i++)
        if (strcmp(e->loaded[i]->version, version) == 0)
            return e->loaded[i];
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Writers                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* A sorted copy of u's set holding one new reference per version; NULL only when out of memory. */
static model_version **copy_set(const model_table_change *u)
{
    model_version **set = malloc((u->n_versions + 1) * sizeof *set);
    if (set == NULL)
        return NULL;
    for (size_t i = 0; i < u->n_versions; i++) {
        set[i] = u->versions[i];
        model_version_acquire(set[i]);
    }
    qsort(set, u->n_versions, sizeof *set, compare_loaded);
    return set;
}

/* Caller holds the write lock. Installs the new set and returns the old one in *old. */
static void apply_update(model_entry *e, const model_table_change *u, model_version **set,
                         model_version ***old, size_t *n_old)
{
    *old = e->loaded;
    *n_old = e->n_loaded;
    e->loaded = set;
    e->n_loaded = u->n_versions;
    e->serving = (model_version *)u->serving;
    e->state = u->serving != NULL ? MODEL_READY : u->state;
    const char *version = u->serving != NULL ? u->serving->version : u->version;
    snprintf(e->version, sizeof e->version, "%s", version ? version : "");
    snprintf(e->reason, sizeof e->reason, "%s", u->reason ? u->reason : "");
}

ferry_status model_table_update(model_table *t, const model_table_change *u)
{
    bool serving_in_set = u->serving == NULL;
    for (size_t i = 0; i < u->n_versions && !serving_in_set; i++)
        serving_in_set = u->versions[i] == u->serving;
    if (!serving_in_set)
        return FERRY_INVALID_ARG;
    model_version **set = copy_set(u);
    if (set == NULL)
        return FERRY_NO_MEMORY;
    model_version **old = NULL;
    size_t n_old = 0;
    pthread_rwlock_wrlock(&t->lock);
    model_entry *e = upsert_entry(t, u->name);
    if (e != NULL)
        apply_update(e, u, set, &old, &n_old);
    pthread_rwlock_unlock(&t->lock);
    if (e == NULL) {
        release_all(set, u->n_versions);
        return FERRY_NO_MEMORY;
    }
    release_all(old, n_old);
    return FERRY_OK;
}

void model_table_remove(model_table *t, const char *name)
{
    model_version **old = NULL;
    size_t n_old = 0;
    pthread_rwlock_wrlock(&t->lock);
    model_entry *e = find_entry(t, name, NULL);
    if (e != NULL) {
        old = e->loaded;
        n_old = e->n_loaded;
        size_t pos = (size_t)(e - t->entries);
        memmove(e, e + 1, (t->count - pos - 1) * sizeof *e);
        t->count--;
    }
    pthread_rwlock_unlock(&t->lock);
    release_all(old, n_old);
}

ferry_status model_table_set_loading(model_table *t, const char *name, const char *version)
{
    pthread_rwlock_wrlock(&t->lock);
    model_entry *e = upsert_entry(t, name);
    if (e != NULL && e->serving == NULL) {
        snprintf(e->version, sizeof e->version, "%s", version);
        e->state = MODEL_LOADING;
        e->reason[0] = '\0';
    }
    pthread_rwlock_unlock(&t->lock);
    return e != NULL ? FERRY_OK : FERRY_NO_MEMORY;
}

ferry_status model_table_publish(model_table *t, model_version *mv)
{
    model_version *set[] = {mv};
    model_table_change u = {.name = mv->name, .versions = set, .n_versions = 1, .serving = mv};
    ferry_status st = model_table_update(t, &u);
    if (st == FERRY_OK)
        model_version_release(mv); /* the table holds its own reference now */
    return st;
}

ferry_status model_table_set_failed(model_table *t, const char *name, const char *version,
                                    const char *reason)
{
    pthread_rwlock_wrlock(&t->lock);
    model_entry *e = upsert_entry(t, name);
    if (e != NULL && e->serving == NULL) {
        snprintf(e->version, sizeof e->version, "%s", version);
        e->state = MODEL_FAILED;
    }
    if (e != NULL)
        snprintf(e->reason, sizeof e->reason, "%s", reason);
    pthread_rwlock_unlock(&t->lock);
    return e != NULL ? FERRY_OK : FERRY_NO_MEMORY;
}

/* ------------------------------------------------------------------------------------------ */
/* Readers                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* "1, 2" into buf: the loaded versions, for error messages. */
static const char *list_loaded(const model_entry *e, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < e->n_loaded && used < len; i++)
        used +=
            (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", e->loaded[i]->version);
    return e->n_loaded > 0 ? buf : "none";
}

/* Caller holds the read lock. Sets err for a model with no serving version. */
static ferry_status not_serving(const model_entry *e, ferry_error *err)
{
    if (e->state == MODEL_UNLOADED)
        return ferry_error_set(err, FERRY_UNAVAILABLE,
                               "model '%s' is not loaded (model.yaml says load: none)", e->name);
    return ferry_error_set(err, FERRY_UNAVAILABLE, "model '%s' is not ready: %s", e->name,
                           e->state == MODEL_LOADING ? "loading" : e->reason);
}

/* Caller holds the read lock. */
static ferry_status lookup(const model_entry *e, const char *version, model_version **mv,
                           ferry_error *err)
{
    if (version == NULL && e->serving == NULL)
        return not_serving(e, err);
    model_version *found = version == NULL ? e->serving : find_loaded(e, version);
    if (found == NULL) {
        char loaded[256];
        return ferry_error_set(err, FERRY_NOT_FOUND,
                               "model '%s' has no loaded version '%s' (loaded: %s)", e->name,
                               version, list_loaded(e, loaded, sizeof loaded));
    }
    model_version_acquire(found);
    *mv = found;
    return FERRY_OK;
}

ferry_status model_table_acquire(model_table *t, const char *name, const char *version,
                                 model_version **mv, ferry_error *err)
{
    pthread_rwlock_rdlock(&t->lock);
    const model_entry *e = find_entry(t, name, NULL);
    ferry_status st = e != NULL ? lookup(e, version, mv, err)
                                : ferry_error_set(err, FERRY_NOT_FOUND, "unknown model '%s'", name);
    pthread_rwlock_unlock(&t->lock);
    return st;
}

static void copy_status(const model_entry *e, model_status *out)
{
    memcpy(out->name, e->name, sizeof out->name);
    memcpy(out->version, e->version, sizeof out->version);
    out->state = e->state;
    memcpy(out->reason, e->reason, sizeof out->reason);
    out->n_versions = e->n_loaded;
    for (size_t i = 0; i < e->n_loaded && i < MODEL_TABLE_LIST_MAX; i++)
        memcpy(out->versions[i], e->loaded[i]->version, sizeof out->versions[i]);
}

bool model_table_get(model_table *t, const char *name, model_status *out)
{
    pthread_rwlock_rdlock(&t->lock);
    const model_entry *e = find_entry(t, name, NULL);
    if (e != NULL)
        copy_status(e, out);
    pthread_rwlock_unlock(&t->lock);
    return e != NULL;
}

bool model_table_contains(model_table *t, const char *name)
{
    pthread_rwlock_rdlock(&t->lock);
    bool found = find_entry(t, name, NULL) != NULL;
    pthread_rwlock_unlock(&t->lock);
    return found;
}

bool model_table_all_ready(model_table *t)
{
    pthread_rwlock_rdlock(&t->lock);
    bool ready = true;
    for (size_t i = 0; i < t->count; i++)
        ready =
            ready && (t->entries[i].state == MODEL_READY || t->entries[i].state == MODEL_UNLOADED);
    pthread_rwlock_unlock(&t->lock);
    return ready;
}

size_t model_table_ready_count(model_table *t)
{
    pthread_rwlock_rdlock(&t->lock);
    size_t n = 0;
    for (size_t i = 0; i < t->count; i++)
        n += t->entries[i].state == MODEL_READY;
    pthread_rwlock_unlock(&t->lock);
    return n;
}

size_t model_table_list(model_table *t, model_status *out, size_t max)
{
    pthread_rwlock_rdlock(&t->lock);
    for (size_t i = 0; i < t->count && i < max; i++)
        copy_status(&t->entries[i], &out[i]);
    size_t count = t->count;
    pthread_rwlock_unlock(&t->lock);
    return count;
}

size_t model_table_acquire_loaded(model_table *t, const char *name, model_version **out, size_t max)
{
    size_t total = 0;
    pthread_rwlock_rdlock(&t->lock);
    for (size_t i = 0; i < t->count; i++) {
        const model_entry *e = &t->entries[i];
        if (name != NULL && strcmp(e->name, name) != 0)
            continue;
        for (size_t k = 0; k < e->n_loaded; k++, total++) {
            if (total >= max)
                continue;
            model_version_acquire(e->loaded[k]);
            out[total] = e->loaded[k];
        }
    }
    pthread_rwlock_unlock(&t->lock);
    return total;
}
