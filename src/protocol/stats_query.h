/* The statistics extension's query, shared by REST (GET /v2/models[/{name}[/versions/{v}]]/stats)
 * and gRPC (ModelStatistics): a copy of the counters of every loaded version that a (name, version)
 * pair selects. */
#ifndef FERRY_PROTOCOL_STATS_QUERY_H
#define FERRY_PROTOCOL_STATS_QUERY_H

#include "serving/model_table.h"

typedef struct stats_entry {
    char name[REPOSITORY_NAME_MAX];
    char version[REPOSITORY_VERSION_MAX];
    model_stats_snapshot stats;
} stats_entry;

typedef struct stats_query {
    stats_entry *entries; /* malloc'ed; by name, then ascending version */
    size_t n;
} stats_query;

/* Reads the statistics of every loaded version (name NULL or ""), of every loaded version of
 * `name` (version NULL or ""), or of that one version. Fails with NOT_FOUND for an unknown model
 * or a version that is not loaded, INVALID_ARG for a version without a name, NO_MEMORY. On success
 * the caller frees q with stats_query_free. */
ferry_status stats_query_run(model_table *t, const char *name, const char *version, stats_query *q,
                             ferry_error *err) FERRY_MUST_CHECK;

/* Frees the entries. Accepts an empty query. */
void stats_query_free(stats_query *q);

#endif
