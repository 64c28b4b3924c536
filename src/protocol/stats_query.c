/* Statistics of the selected loaded versions; see stats_query.h. */
#include "protocol/stats_query.h"

#include <stdlib.h>
#include <string.h>

static bool given(const char *s)
{
    return s != NULL && s[0] != '\0';
}

/* References on the versions the query selects: a malloc'ed array in *out, *n of them. */
static ferry_status acquire_selected(model_table *t, const char *name, const char *version,
                                     model_version ***out, size_t *n, ferry_error *err)
{
    *out = NULL;
    *n = 0;
    if (given(version)) {
        model_version *mv = NULL;
        ferry_status st = model_table_acquire(t, name, version, &mv, err);
        if (st != FERRY_OK)
            return st;
        *out = malloc(sizeof **out);
        if (*out == NULL) {
            model_version_release(mv);
            return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory reading statistics");
        }
        (*out)[0] = mv;
        *n = 1;
        return FERRY_OK;
    }
    if (given(name) && !model_table_contains(t, name))
        return ferry_error_set(err, FERRY_NOT_FOUND, "unknown model '%s'", name);
    const char *which = given(name) ? name : NULL;
    /* Versions can be loaded between counting and taking them: retry until the array fits. */
    size_t cap = 16;
    for (;;) {
        model_version **taken = malloc(cap * sizeof *taken);
        if (taken == NULL)
            return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory reading statistics");
        size_t total = model_table_acquire_loaded(t, which, taken, cap);
        if (total <= cap) {
            *out = taken;
            *n = total;
            return FERRY_OK;
        }
        for (size_t i = 0; i < cap; i++)
            model_version_release(taken[i]);
        free(taken);
        cap = total + 16;
    }
}

ferry_status stats_query_run(model_table *t, const char *name, const char *version, stats_query *q,
                             ferry_error *err)
{
    q->entries = NULL;
    q->n = 0;
    if (given(version) && !given(name))
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "statistics for version %s need a model name", version);
    model_version **versions = NULL;
    size_t n = 0;
    ferry_status st = acquire_selected(t, name, version, &versions, &n, err);
    if (st != FERRY_OK)
        return st;
    q->entries = n > 0 ? malloc(n * sizeof *q->entries) : NULL;
    if (n > 0 && q->entries == NULL)
        st = ferry_error_set(err, FERRY_NO_MEMORY, "out of memory reading statistics");
    for (size_t i = 0; i < n; i++) {
        if (q->entries != NULL) {
            stats_entry *e = &q->entries[i];
            memcpy(e->name, versions[i]->name, sizeof e->name);
            memcpy(e->version, versions[i]->version, sizeof e->version);
            model_stats_read(&versions[i]->stats, &e->stats);
        }
        model_version_release(versions[i]);
    }
    free(versions);
    if (st == FERRY_OK)
        q->n = n;
    return st;
}

void stats_query_free(stats_query *q)
{
    free(q->entries);
    q->entries = NULL;
    q->n = 0;
}
