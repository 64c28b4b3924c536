/* The model table behind a reader-writer lock; see model_table.h. Lookups only read-lock and take
 * a reference, so they scale across request threads; publish and failure records write-lock. */
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
    model_version *serving; /* one reference held by the table; NULL until ready */
} model_entry;

struct model_table {
    pthread_rwlock_t lock;
    model_entry *entries; /* sorted by name */
    size_t count;
    size_t cap;
};

model_table *model_table_create(void)
{
    model_table *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    if (pthread_rwlock_init(&t->lock, NULL) != 0) {
        free(t);
        return NULL;
    }
    return t;
}

void model_table_destroy(model_table *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->count; i++)
        model_version_release(t->entries[i].serving);
    free(t->entries);
    pthread_rwlock_destroy(&t->lock);
    free(t);
}

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
    pthread_rwlock_wrlock(&t->lock);
    model_entry *e = upsert_entry(t, mv->name);
    model_version *old = NULL;
    if (e != NULL) {
        old = e->serving;
        e->serving = mv;
        memcpy(e->version, mv->version, sizeof e->version);
        e->state = MODEL_READY;
        e->reason[0] = '\0';
    }
    pthread_rwlock_unlock(&t->lock);
    model_version_release(old);
    return e != NULL ? FERRY_OK : FERRY_NO_MEMORY;
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

ferry_status model_table_acquire(model_table *t, const char *name, const char *version,
                                 model_version **mv, ferry_error *err)
{
    ferry_status st = FERRY_OK;
    pthread_rwlock_rdlock(&t->lock);
    model_entry *e = find_entry(t, name, NULL);
    if (e == NULL) {
        st = ferry_error_set(err, FERRY_NOT_FOUND, "unknown model '%s'", name);
    } else if (e->serving == NULL) {
        st = ferry_error_set(err, FERRY_UNAVAILABLE, "model '%s' is not ready: %s", name,
                             e->state == MODEL_LOADING ? "loading" : e->reason);
    } else if (version != NULL && strcmp(version, e->serving->version) != 0) {
        st = ferry_error_set(err, FERRY_NOT_FOUND,
                             "model '%s' has no loaded version '%s' (serving version %s)", name,
                             version, e->serving->version);
    } else {
        model_version_acquire(e->serving);
        *mv = e->serving;
    }
    pthread_rwlock_unlock(&t->lock);
    return st;
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
        ready = ready && t->entries[i].state == MODEL_READY;
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
    for (size_t i = 0; i < t->count && i < max; i++) {
        const model_entry *e = &t->entries[i];
        memcpy(out[i].name, e->name, sizeof out[i].name);
        memcpy(out[i].version, e->version, sizeof out[i].version);
        out[i].state = e->state;
        memcpy(out[i].reason, e->reason, sizeof out[i].reason);
    }
    size_t count = t->count;
    pthread_rwlock_unlock(&t->lock);
    return count;
}
