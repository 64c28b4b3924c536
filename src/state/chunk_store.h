/* The prediction log's tables since schema version 2: prediction_chunks (one row per model
 * version and commit, its predictions packed by state/prediction_chunk.h) and prediction_ids
 * (id -> chunk, slot; one small insert per prediction whose id a client chose, so finding it
 * stays an index lookup). An id ferry generated (STATE_RECORD_ID_GENERATED, a UUID v7) gets no id
 * row: its prediction is timed by the id's millisecond, a chunk spans at most
 * PREDICTION_CHUNK_SPAN_MAX_MS, and a lookup reads the few chunks whose span covers that time.
 * Writes run on the state store's writer connection inside its transaction; lookups on its read
 * connection. The v1 `predictions` table (one row per prediction) is read by state_store.c. */
#ifndef FERRY_STATE_CHUNK_STORE_H
#define FERRY_STATE_CHUNK_STORE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/status.h"
#include "state/state_store.h"

typedef struct chunk_store chunk_store;

/* Prepares the statements on db (the writer's connection) and read. path names the file in
 * errors. Fails with IO naming it, or NO_MEMORY. chunk_store_destroy frees it. */
ferry_status chunk_store_create(sqlite3 *db, sqlite3 *read, const char *path, chunk_store **out,
                                ferry_error *err) FERRY_MUST_CHECK;

/* Frees the statements and buffers (not the connections). Accepts NULL. */
void chunk_store_destroy(chunk_store *c);

/* Writes predictions recs[0..n) (kind PREDICTION) as chunks: grouped by model and version in
 * their order, a chunk closed at PREDICTION_CHUNK_MAX_N predictions or MAX_BYTES, or before a
 * prediction that would make it span more than SPAN_MAX_MS; an id row for each prediction not
 * marked STATE_RECORD_ID_GENERATED. Runs inside the writer's open transaction. Returns how many
 * were written; a chunk that fails is logged naming the file, model and version, and its
 * predictions are not counted. */
uint64_t chunk_store_write(chunk_store *c, state_record **recs, size_t n);

/* Deletes model's chunks whose newest prediction is older than cutoff_ms, with their id rows
 * (ids read from each body, generated ones skipped, deleted by key). Runs on the writer's
 * connection inside a transaction the caller opened. Fails with IO naming the file and model. */
ferry_status chunk_store_expire(chunk_store *c, const char *model, int64_t cutoff_ms,
                                ferry_error *err) FERRY_MUST_CHECK;

/* A prediction found by id. */
typedef struct chunk_found {
    bool found;
    int64_t ts;
    char *model; /* buffers of model_len and version_len bytes, given by the caller */
    size_t model_len;
    char *version;
    size_t version_len;
    int64_t rows;
    state_tensors outputs; /* malloc'ed, the caller frees */
} chunk_found;

/* The latest prediction with this id in the chunks (by ts, later commits winning ties), of model
 * and version when model is not NULL: through prediction_ids first, and when that has none and
 * the id is a UUID v7, among the generated-id entries of the chunks covering its time (each read
 * whole; for a generated id there is one). found stays false when there is none. Call on the read
 * connection inside a read transaction (one caller at a time). Fails with IO naming the file and
 * id (and the chunk, for a damaged one), or NO_MEMORY. */
ferry_status chunk_store_find(chunk_store *c, const char *id, const char *model,
                              const char *version, chunk_found *out,
                              ferry_error *err) FERRY_MUST_CHECK;

#endif
