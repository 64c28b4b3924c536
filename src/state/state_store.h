/* The state store: what happens while serving (the prediction log and feedback labels), kept in
 * one SQLite database, DIR/ferry.db, in WAL mode with synchronous=NORMAL. Requests never wait on
 * the disk: they hand records to a bounded in-memory queue (state_store_enqueue), and one writer
 * thread writes whatever is queued in one transaction at least every STATE_FLUSH_MS. When the
 * queue is full a record is dropped and counted, never waited for. The writer packs the
 * predictions of one model version in one commit into a chunk row (state/chunk_store.h), and the
 * same thread deletes chunks and rows older than each model's retention. A kill -9 loses at most
 * the records of the last interval.
 *
 *     state_store *s;
 *     if (state_store_open("./ferry-state", &s, &err) == FERRY_OK) {
 *         state_store_enqueue(s, state_record_prediction(...));   from any thread
 *         state_store_close(s);                                   flushes what is queued
 *     }
 */
#ifndef FERRY_STATE_STATE_STORE_H
#define FERRY_STATE_STATE_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/status.h"

#define STATE_SCHEMA_VERSION    2
#define STATE_FLUSH_MS          100 /* the writer commits at least this often while records wait */
#define STATE_QUEUE_MAX         65536      /* records waiting for the writer; more are dropped */
#define STATE_BATCH_WAKE        4096       /* this many waiting records wake the writer early */
#define STATE_RETENTION_EVERY_S 60         /* how often old rows are deleted */
#define STATE_SPARE_MAX         8192       /* written records' blocks kept for reuse, at most */
#define STATE_SPARE_BYTES       (16 << 20) /* and at most this many bytes of them */
#define STATE_DB_FILE           "ferry.db"

typedef struct state_store state_store;

typedef enum state_record_kind { STATE_RECORD_PREDICTION, STATE_RECORD_LABEL } state_record_kind;

/* A prediction whose id ferry generated (a UUID v7, never a client's): its ts_ms is the id's own
 * millisecond, and the log finds it by that time instead of through the id index. */
#define STATE_RECORD_ID_GENERATED 1u

/* One row for the writer: one malloc'ed block holding the record, its strings and, for a
 * prediction, its inputs and outputs as tensor blobs (state/tensor_blob.h). Made by
 * state_record_new; state_record_free frees it. */
typedef struct state_record {
    state_record_kind kind;
    char *id;
    char *model;
    char *version;
    int64_t ts_ms;  /* Unix time in milliseconds */
    uint32_t flags; /* prediction: STATE_RECORD_ID_GENERATED or 0 */
    int64_t rows;   /* prediction: rows in the request */
    void *inputs;   /* prediction: inputs_len bytes of tensor blob */
    size_t inputs_len;
    void *outputs; /* prediction: outputs_len bytes of tensor blob */
    size_t outputs_len;
    int64_t row;         /* label: the row labelled */
    char *label;         /* label: JSON scalar */
    int64_t retention_s; /* prediction: rows of this model older than this are deleted (0: kept) */
    size_t capacity;     /* bytes of the block (a pooled block is reused for records that fit) */
} state_record;

/* A record with copies of id, model, version and label (NULL for none) and room for inputs_len
 * and outputs_len bytes at r->inputs and r->outputs (TENSOR_BLOB_ALIGN-aligned), which the caller
 * fills; the other fields are zero. NULL when out of memory. */
state_record *state_record_new(state_record_kind kind, const char *id, const char *model,
                               const char *version, const char *label, size_t inputs_len,
                               size_t outputs_len);

/* Frees a record (one block). Accepts NULL. */
void state_record_free(state_record *r);

/* state_record_new for a record that will be handed to s: reuses a block the writer is done with
 * when one is spare and big enough (a steady stream of predictions then allocates nothing, and
 * blocks do not travel between threads through malloc, whose per-thread arenas would lock against
 * each other). s NULL: state_record_new. Thread-safe. NULL when out of memory. */
state_record *state_store_record_new(state_store *s, state_record_kind kind, const char *id,
                                     const char *model, const char *version, const char *label,
                                     size_t inputs_len, size_t outputs_len);

/* Opens (creating the folder and file when needed) DIR/ferry.db, sets WAL mode and
 * synchronous=NORMAL, creates or checks the schema and starts the writer thread. Fails with IO
 * naming the file and SQLite's message, or UNSUPPORTED for a schema newer than this build. */
ferry_status state_store_open(const char *dir, state_store **out,
                              ferry_error *err) FERRY_MUST_CHECK;

/* Hands a record to the writer (which frees it). Never blocks on the disk; when the queue is full
 * the record is freed, counted in state_store_dropped and false is returned. Thread-safe. */
bool state_store_enqueue(state_store *s, state_record *r);

/* The blocks kept for reuse now: how many and their bytes. */
void state_store_spares(state_store *s, size_t *n, size_t *bytes);

/* Records dropped because the queue was full, and records written, since open. */
uint64_t state_store_dropped(state_store *s);
uint64_t state_store_written(state_store *s);

/* Blocks until every record queued before the call is committed (tests and export). */
void state_store_flush(state_store *s);

/* A stored list of tensors as read back: a tensor blob, or JSON text (OIP tensors, NUL-ended) for
 * rows logged before the log kept blobs. data is malloc'ed, TENSOR_BLOB_ALIGN-aligned. */
typedef struct state_tensors {
    void *data;
    size_t len;
    bool json;
} state_tensors;

/* The latest logged prediction with this id (in chunks or v1 rows): its model, version, rows and
 * outputs (the caller frees outputs->data). Uses the id indexes on its own read connection.
 * Returns NOT_FOUND naming the id, IO or NO_MEMORY. */
ferry_status state_store_find(state_store *s, const char *id, char *model, size_t model_len,
                              char *version, size_t version_len, int64_t *rows,
                              state_tensors *outputs, ferry_error *err) FERRY_MUST_CHECK;

/* A copy of column i of st's current row as state_tensors (a BLOB as a blob, TEXT as JSON).
 * False when out of memory. */
bool state_tensors_from_column(sqlite3_stmt *st, int i, state_tensors *out);

/* One labelled row read back for a version: the label's JSON text, and its prediction's rows and
 * outputs (the latest prediction logged with that id for that version). */
typedef struct state_label_row {
    const char *id;
    int64_t row;
    const char *label;
    int64_t rows;
    state_tensors outputs;
} state_label_row;

/* Calls fn(ctx, row) for the latest `limit` labelled rows of model and version (by label time,
 * a label replaced counting at its replacement), oldest first; the strings live until fn returns.
 * Reads committed rows on the read connection. Returns IO naming the file, or NO_MEMORY. */
ferry_status state_store_latest_labels(state_store *s, const char *model, const char *version,
                                       size_t limit,
                                       void (*fn)(void *ctx, const state_label_row *row), void *ctx,
                                       ferry_error *err) FERRY_MUST_CHECK;

/* Stops the writer after it commits what is queued, and closes the database. Accepts NULL. */
void state_store_close(state_store *s);

/* DIR/ferry.db into buf. */
void state_store_path(const char *dir, char *buf, size_t len);

#endif
