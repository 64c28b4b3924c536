/* The state store's queue and writer thread; see state_store.h. */
#include "state/state_store.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/log.h"
#include "core/thread_name.h"
#include "state/chunk_store.h"
#include "state/state_db.h"
#include "state/tensor_blob.h"

#define RETENTION_MODELS 256

typedef struct retention_rule {
    char *model;
    int64_t seconds;
} retention_rule;

struct state_store {
    char path[4096];
    sqlite3 *db;   /* the writer's connection (used only by the writer thread after open) */
    sqlite3 *read; /* lookups, under read_lock */
    pthread_mutex_t read_lock;
    sqlite3_stmt *insert_label, *find_legacy;
    chunk_store *chunks;
    pthread_mutex_t lock;
    pthread_cond_t wake, flushed;
    state_record **queue; /* ring of STATE_QUEUE_MAX */
    pthread_mutex_t spare_lock;
    state_record **spares; /* STATE_SPARE_MAX slots: written records' blocks, for reuse */
    size_t n_spares;
    size_t spare_bytes; /* their capacities summed; at most STATE_SPARE_BYTES */
    size_t head, count;
    uint64_t enqueued, committed; /* sequence numbers: records taken in, records done */
    bool stopping;
    pthread_t writer;
    atomic_uint_fast64_t dropped, written;
    retention_rule rules[RETENTION_MODELS];
    size_t n_rules;
    time_t last_retention;
};

static size_t round_up(size_t n)
{
    return (n + TENSOR_BLOB_ALIGN - 1) & ~(size_t)(TENSOR_BLOB_ALIGN - 1);
}

static size_t text_size(const char *s)
{
    return s != NULL ? round_up(strlen(s) + 1) : 0;
}

/* Copies s to *tail, advancing it; NULL stays NULL. */
static char *put_text(char **tail, const char *s)
{
    if (s == NULL)
        return NULL;
    char *copy = *tail;
    size_t len = strlen(s) + 1;
    memcpy(copy, s, len);
    *tail += round_up(len);
    return copy;
}

/* Bytes a record with these parts takes. */
static size_t record_size(const char *id, const char *model, const char *version, const char *label,
                          size_t inputs_len, size_t outputs_len)
{
    return round_up(sizeof(state_record)) + text_size(id) + text_size(model) + text_size(version) +
           text_size(label) + round_up(inputs_len) + round_up(outputs_len);
}

/* Lays a record out in block r of capacity bytes (at least record_size). */
static state_record *record_init(state_record *r, size_t capacity, state_record_kind kind,
                                 const char *id, const char *model, const char *version,
                                 const char *label, size_t inputs_len, size_t outputs_len)
{
    char *tail = (char *)r + round_up(sizeof(state_record));
    *r = (state_record){.kind = kind,
                        .id = put_text(&tail, id),
                        .model = put_text(&tail, model),
                        .version = put_text(&tail, version),
                        .label = put_text(&tail, label),
                        .inputs_len = inputs_len,
                        .outputs_len = outputs_len,
                        .capacity = capacity};
    r->inputs = tail;
    r->outputs = tail + round_up(inputs_len);
    return r;
}

state_record *state_record_new(state_record_kind kind, const char *id, const char *model,
                               const char *version, const char *label, size_t inputs_len,
                               size_t outputs_len)
{
    size_t size = record_size(id, model, version, label, inputs_len, outputs_len);
    state_record *r = malloc(size);
    if (r == NULL)
        return NULL;
    return record_init(r, size, kind, id, model, version, label, inputs_len, outputs_len);
}

state_record *state_store_record_new(state_store *s, state_record_kind kind, const char *id,
                                     const char *model, const char *version, const char *label,
                                     size_t inputs_len, size_t outputs_len)
{
    if (s == NULL)
        return state_record_new(kind, id, model, version, label, inputs_len, outputs_len);
    size_t size = record_size(id, model, version, label, inputs_len, outputs_len);
    state_record *r = NULL;
    pthread_mutex_lock(&s->spare_lock);
    if (s->n_spares > 0) {
        r = s->spares[--s->n_spares]; /* the last returned: the likeliest still in a cache */
        s->spare_bytes -= r->capacity;
    }
    pthread_mutex_unlock(&s->spare_lock);
    if (r != NULL && r->capacity < size) {
        free(r); /* the stream's records grew: the pool turns over to the new size */
        r = NULL;
    }
    size_t capacity = r != NULL ? r->capacity : size;
    if (r == NULL && (r = malloc(size)) == NULL)
        return NULL;
    return record_init(r, capacity, kind, id, model, version, label, inputs_len, outputs_len);
}

/* Keeps the blocks of written records batch[0..n) for reuse, as many as the pool takes; frees the
 * others (after the lock, moved to the front of batch). */
static void recycle(state_store *s, state_record **batch, size_t n)
{
    size_t n_free = 0;
    pthread_mutex_lock(&s->spare_lock);
    for (size_t i = 0; i < n; i++) {
        if (s->n_spares < STATE_SPARE_MAX &&
            batch[i]->capacity <= STATE_SPARE_BYTES - s->spare_bytes) {
            s->spares[s->n_spares++] = batch[i];
            s->spare_bytes += batch[i]->capacity;
        } else {
            batch[n_free++] = batch[i];
        }
    }
    pthread_mutex_unlock(&s->spare_lock);
    for (size_t i = 0; i < n_free; i++)
        state_record_free(batch[i]);
}

void state_record_free(state_record *r)
{
    free(r);
}

void state_store_path(const char *dir, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", dir, STATE_DB_FILE);
}

/* ------------------------------------------------------------------------------------------ */
/* The writer                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return sqlite3_bind_text(st, i, s != NULL ? s : "", -1, SQLITE_STATIC);
}

static bool write_label(state_store *s, state_record *r)
{
    sqlite3_stmt *st = s->insert_label;
    sqlite3_reset(st);
    int rc = bind_text(st, 1, r->id) | bind_text(st, 2, r->model) | bind_text(st, 3, r->version) |
             sqlite3_bind_int64(st, 4, r->ts_ms) | sqlite3_bind_int64(st, 5, r->row) |
             bind_text(st, 6, r->label);
    if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
        log_fields f = {.file = s->path, .model = r->model, .request_id = r->id};
        log_error(&f, "state store: cannot write a label: %s", sqlite3_errmsg(s->db));
        return false;
    }
    return true;
}

/* Remembers the model's retention for the periodic delete. */
static void note_retention(state_store *s, const state_record *r)
{
    if (r->kind != STATE_RECORD_PREDICTION || r->retention_s <= 0 || r->model == NULL)
        return;
    for (size_t i = 0; i < s->n_rules; i++)
        if (strcmp(s->rules[i].model, r->model) == 0) {
            s->rules[i].seconds = r->retention_s;
            return;
        }
    if (s->n_rules == RETENTION_MODELS)
        return;
    char *name = strdup(r->model);
    if (name == NULL)
        return;
    s->rules[s->n_rules++] = (retention_rule){.model = name, .seconds = r->retention_s};
}

/* Writes batch[0..n) in one transaction: labels a row each, predictions packed in chunks (preds
 * has room for n). */
static void write_batch(state_store *s, state_record **batch, state_record **preds, size_t n)
{
    ferry_error err;
    if (state_db_exec(s->db, s->path, "BEGIN", &err) != FERRY_OK) {
        log_error(NULL, "%s", err.message);
        return;
    }
    uint64_t ok = 0;
    size_t n_preds = 0;
    for (size_t i = 0; i < n; i++) {
        if (batch[i]->kind == STATE_RECORD_PREDICTION)
            preds[n_preds++] = batch[i];
        else
            ok += write_label(s, batch[i]);
        note_retention(s, batch[i]);
    }
    ok += chunk_store_write(s->chunks, preds, n_preds);
    if (state_db_exec(s->db, s->path, "COMMIT", &err) != FERRY_OK) {
        log_error(NULL, "%s", err.message);
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return;
    }
    atomic_fetch_add(&s->written, ok);
}

/* Deletes model's chunks whose predictions are all older than cutoff_ms (with their ids), and
 * its v1 rows and labels older than that, in one transaction. */
static ferry_status expire_model(state_store *s, const char *model, int64_t cutoff_ms,
                                 ferry_error *err)
{
    char *sql = sqlite3_mprintf("DELETE FROM predictions WHERE model=%Q AND ts<%lld;"
                                "DELETE FROM labels WHERE model=%Q AND ts<%lld;",
                                model, (long long)cutoff_ms, model, (long long)cutoff_ms);
    if (sql == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory");
    ferry_status st = state_db_exec(s->db, s->path, "BEGIN", err);
    if (st == FERRY_OK)
        st = chunk_store_expire(s->chunks, model, cutoff_ms, err);
    if (st == FERRY_OK)
        st = state_db_exec(s->db, s->path, sql, err);
    if (st == FERRY_OK)
        st = state_db_exec(s->db, s->path, "COMMIT", err);
    if (st != FERRY_OK)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_free(sql);
    return st;
}

static void apply_retention(state_store *s)
{
    time_t now = time(NULL);
    if (s->n_rules == 0 || now - s->last_retention < STATE_RETENTION_EVERY_S)
        return; /* the first model with a retention is expired at its first commit */
    s->last_retention = now;
    for (size_t i = 0; i < s->n_rules; i++) {
        ferry_error err;
        if (expire_model(s, s->rules[i].model, ((int64_t)now - s->rules[i].seconds) * 1000, &err) !=
            FERRY_OK)
            log_error(NULL, "state store: retention for model '%s' failed: %s", s->rules[i].model,
                      err.message);
    }
}

/* Takes everything queued into batch (STATE_QUEUE_MAX slots); waits up to STATE_FLUSH_MS for a
 * full batch first. Returns the count; 0 with stopping set means the writer is done. */
static size_t take_batch(state_store *s, state_record **batch, bool *stop)
{
    pthread_mutex_lock(&s->lock);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += STATE_FLUSH_MS * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    while (!s->stopping && s->count < STATE_BATCH_WAKE)
        if (pthread_cond_timedwait(&s->wake, &s->lock, &until) == ETIMEDOUT)
            break;
    size_t n = s->count;
    for (size_t i = 0; i < n; i++)
        batch[i] = s->queue[(s->head + i) % STATE_QUEUE_MAX];
    s->head = (s->head + n) % STATE_QUEUE_MAX;
    s->count = 0;
    *stop = s->stopping;
    pthread_mutex_unlock(&s->lock);
    return n;
}

static void *writer_main(void *arg)
{
    state_store *s = arg;
    thread_name_set("ferry-writer");
    state_record **batch = malloc(STATE_QUEUE_MAX * sizeof *batch);
    state_record **preds = malloc(STATE_QUEUE_MAX * sizeof *preds);
    if (preds == NULL) {
        free(batch);
        batch = NULL;
    }
    bool stop = false;
    while (batch != NULL) {
        size_t n = take_batch(s, batch, &stop);
        if (n > 0)
            write_batch(s, batch, preds, n);
        recycle(s, batch, n);
        apply_retention(s);
        pthread_mutex_lock(&s->lock);
        s->committed += n;
        pthread_cond_broadcast(&s->flushed);
        pthread_mutex_unlock(&s->lock);
        if (stop && n == 0)
            break;
    }
    if (batch == NULL)
        log_error(NULL, "state store %s: out of memory: the writer stopped", s->path);
    free(batch);
    free(preds);
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Open, enqueue, close                                                                         */
/* ------------------------------------------------------------------------------------------ */

static ferry_status ensure_dir(const char *dir, ferry_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return ferry_error_set(err, FERRY_IO, "state folder %s: %s", path, strerror(errno));
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return ferry_error_set(err, FERRY_IO, "state folder %s: %s", path, strerror(errno));
    return FERRY_OK;
}

static ferry_status prepare(state_store *s, sqlite3 *db, const char *sql, sqlite3_stmt **st,
                            ferry_error *err)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK)
        return FERRY_OK;
    return ferry_error_set(err, FERRY_IO, "state store %s: %s", s->path, sqlite3_errmsg(db));
}

static ferry_status open_connections(state_store *s, ferry_error *err)
{
    ferry_status st = state_db_open(s->path, true, &s->db, err);
    if (st == FERRY_OK)
        st = state_db_open(s->path, true, &s->read, err);
    if (st == FERRY_OK)
        st = prepare(s, s->db,
                     "INSERT OR REPLACE INTO labels(id, model, version, ts, row, label) "
                     "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                     &s->insert_label, err);
    if (st == FERRY_OK)
        st = prepare(s, s->read,
                     "SELECT model, version, rows, outputs, ts FROM predictions WHERE id=?1 "
                     "AND (?2 IS NULL OR (model=?2 AND version=?3)) "
                     "ORDER BY ts DESC, rowid DESC LIMIT 1",
                     &s->find_legacy, err);
    if (st == FERRY_OK)
        st = chunk_store_create(s->db, s->read, s->path, &s->chunks, err);
    return st;
}

static void free_store(state_store *s)
{
    chunk_store_destroy(s->chunks);
    sqlite3_finalize(s->insert_label);
    sqlite3_finalize(s->find_legacy);
    sqlite3_close(s->db);
    sqlite3_close(s->read);
    for (size_t i = 0; i < s->n_rules; i++)
        free(s->rules[i].model);
    for (size_t i = 0; i < s->count; i++)
        state_record_free(s->queue[(s->head + i) % STATE_QUEUE_MAX]);
    free(s->queue);
    for (size_t i = 0; i < s->n_spares; i++)
        state_record_free(s->spares[i]);
    free(s->spares);
    pthread_mutex_destroy(&s->spare_lock);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->read_lock);
    pthread_cond_destroy(&s->wake);
    pthread_cond_destroy(&s->flushed);
    free(s);
}

ferry_status state_store_open(const char *dir, state_store **out, ferry_error *err)
{
    *out = NULL;
    ferry_status st = ensure_dir(dir, err);
    if (st != FERRY_OK)
        return st;
    state_store *s = calloc(1, sizeof *s);
    if (s == NULL || (s->queue = calloc(STATE_QUEUE_MAX, sizeof *s->queue)) == NULL ||
        (s->spares = calloc(STATE_SPARE_MAX, sizeof *s->spares)) == NULL) {
        if (s != NULL)
            free(s->queue);
        free(s);
        return ferry_error_set(err, FERRY_NO_MEMORY, "state store %s: out of memory", dir);
    }
    state_store_path(dir, s->path, sizeof s->path);
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->spare_lock, NULL);
    pthread_mutex_init(&s->read_lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    pthread_cond_init(&s->flushed, NULL);
    s->last_retention = 0;
    st = open_connections(s, err);
    if (st == FERRY_OK && pthread_create(&s->writer, NULL, writer_main, s) != 0)
        st = ferry_error_set(err, FERRY_INTERNAL, "state store %s: cannot start the writer",
                             s->path);
    if (st != FERRY_OK) {
        free_store(s);
        return st;
    }
    *out = s;
    return FERRY_OK;
}

bool state_store_enqueue(state_store *s, state_record *r)
{
    if (s == NULL || r == NULL) {
        state_record_free(r);
        return false;
    }
    pthread_mutex_lock(&s->lock);
    bool ok = s->count < STATE_QUEUE_MAX && !s->stopping;
    if (ok) {
        s->queue[(s->head + s->count) % STATE_QUEUE_MAX] = r;
        s->count++;
        s->enqueued++;
        if (s->count == STATE_BATCH_WAKE)
            pthread_cond_signal(&s->wake);
    }
    pthread_mutex_unlock(&s->lock);
    if (!ok) {
        atomic_fetch_add(&s->dropped, 1);
        state_record_free(r);
    }
    return ok;
}

void state_store_spares(state_store *s, size_t *n, size_t *bytes)
{
    pthread_mutex_lock(&s->spare_lock);
    *n = s->n_spares;
    *bytes = s->spare_bytes;
    pthread_mutex_unlock(&s->spare_lock);
}

uint64_t state_store_dropped(state_store *s)
{
    return s != NULL ? atomic_load(&s->dropped) : 0;
}

uint64_t state_store_written(state_store *s)
{
    return s != NULL ? atomic_load(&s->written) : 0;
}

void state_store_flush(state_store *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    uint64_t target = s->enqueued;
    pthread_cond_signal(&s->wake);
    while (s->committed < target)
        pthread_cond_wait(&s->flushed, &s->lock);
    pthread_mutex_unlock(&s->lock);
}

bool state_tensors_from_column(sqlite3_stmt *st, int i, state_tensors *out)
{
    bool json = sqlite3_column_type(st, i) != SQLITE_BLOB;
    const void *data = json ? (const void *)sqlite3_column_text(st, i) : sqlite3_column_blob(st, i);
    size_t len = (size_t)sqlite3_column_bytes(st, i);
    *out = (state_tensors){.data = malloc(len + 1), .len = len, .json = json};
    if (out->data == NULL)
        return false;
    if (len > 0)
        memcpy(out->data, data, len);
    ((char *)out->data)[len] = '\0';
    return true;
}

/* Puts the latest v1 row with this id (of model and version when model is not NULL) in *out when
 * it is newer than what out holds. Caller holds read_lock inside a read transaction. */
static ferry_status find_legacy(state_store *s, const char *id, const char *model,
                                const char *version, chunk_found *out, ferry_error *err)
{
    sqlite3_stmt *st = s->find_legacy;
    int rc = bind_text(st, 1, id) | sqlite3_bind_text(st, 2, model, -1, SQLITE_STATIC) |
             sqlite3_bind_text(st, 3, version, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    ferry_status status = FERRY_OK;
    if (rc == SQLITE_ROW && (!out->found || sqlite3_column_int64(st, 4) > out->ts)) {
        free(out->outputs.data);
        out->found = true;
        out->ts = sqlite3_column_int64(st, 4);
        snprintf(out->model, out->model_len, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(out->version, out->version_len, "%s", (const char *)sqlite3_column_text(st, 1));
        out->rows = sqlite3_column_int64(st, 2);
        if (!state_tensors_from_column(st, 3, &out->outputs))
            status = ferry_error_set(err, FERRY_NO_MEMORY, "prediction '%s': out of memory", id);
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        status = ferry_error_set(err, FERRY_IO, "state store %s: looking up id '%s': %s", s->path,
                                 id, sqlite3_errmsg(s->read));
    }
    sqlite3_reset(st);
    return status;
}

/* The latest prediction with this id among chunks and v1 rows (of model and version when model
 * is not NULL). On failure out holds nothing to free. Caller holds read_lock inside a read
 * transaction. */
static ferry_status find_latest(state_store *s, const char *id, const char *model,
                                const char *version, chunk_found *out, ferry_error *err)
{
    out->found = false;
    out->outputs = (state_tensors){0};
    ferry_status st = chunk_store_find(s->chunks, id, model, version, out, err);
    if (st == FERRY_OK)
        st = find_legacy(s, id, model, version, out, err);
    if (st != FERRY_OK) {
        free(out->outputs.data);
        out->outputs = (state_tensors){0};
        out->found = false;
    }
    return st;
}

/* Starts a read transaction on the read connection (one snapshot for a lookup that reads an id
 * row and then its chunk). Caller holds read_lock. */
static ferry_status begin_read(state_store *s, ferry_error *err)
{
    return state_db_exec(s->read, s->path, "BEGIN", err);
}

static void end_read(state_store *s)
{
    sqlite3_exec(s->read, "COMMIT", NULL, NULL, NULL);
}

ferry_status state_store_find(state_store *s, const char *id, char *model, size_t model_len,
                              char *version, size_t version_len, int64_t *rows,
                              state_tensors *outputs, ferry_error *err)
{
    *outputs = (state_tensors){0};
    chunk_found f = {
        .model = model, .model_len = model_len, .version = version, .version_len = version_len};
    pthread_mutex_lock(&s->read_lock);
    ferry_status st = begin_read(s, err);
    if (st == FERRY_OK) {
        st = find_latest(s, id, NULL, NULL, &f, err);
        end_read(s);
    }
    pthread_mutex_unlock(&s->read_lock);
    if (st == FERRY_OK && !f.found)
        st = ferry_error_set(err, FERRY_NOT_FOUND, "no prediction with id '%s'", id);
    if (st != FERRY_OK)
        return st;
    *rows = f.rows;
    *outputs = f.outputs;
    return FERRY_OK;
}

/* A model version's labels, the latest first (reversed by the caller). */
static const char latest_labels_sql[] = "SELECT id, row, label FROM labels "
                                        "WHERE model = ?1 AND version = ?2 "
                                        "ORDER BY ts DESC, rowid DESC";

typedef struct label_rows {
    state_label_row *rows;
    size_t n;
} label_rows;

static void label_rows_free(label_rows *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free((char *)r->rows[i].id);
        free((char *)r->rows[i].label);
        free(r->rows[i].outputs.data);
    }
    free(r->rows);
}

static const char *column_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return strdup(t != NULL ? (const char *)t : "");
}

/* Appends st's label row joined with its prediction (the latest with the id for the model
 * version, as feedback looks it up); a label whose prediction is gone is skipped. */
static ferry_status add_label_row(state_store *s, sqlite3_stmt *st, const char *model,
                                  const char *version, label_rows *out, ferry_error *err)
{
    char found_model[256], found_version[256];
    chunk_found f = {.model = found_model,
                     .model_len = sizeof found_model,
                     .version = found_version,
                     .version_len = sizeof found_version};
    const char *id = (const char *)sqlite3_column_text(st, 0);
    ferry_status status = find_latest(s, id != NULL ? id : "", model, version, &f, err);
    if (status != FERRY_OK || !f.found)
        return status;
    state_label_row *r = &out->rows[out->n++];
    *r = (state_label_row){.id = column_dup(st, 0),
                           .row = sqlite3_column_int64(st, 1),
                           .label = column_dup(st, 2),
                           .rows = f.rows,
                           .outputs = f.outputs};
    if (r->id == NULL || r->label == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "label for id '%s': out of memory", id);
    return FERRY_OK;
}

/* Steps st until `limit` labelled rows are read or its rows end. Caller holds read_lock inside a
 * read transaction. */
static ferry_status read_label_rows(state_store *s, sqlite3_stmt *st, const char *model,
                                    const char *version, size_t limit, label_rows *out,
                                    ferry_error *err)
{
    out->rows = calloc(limit + 1, sizeof *out->rows);
    if (out->rows == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "labels of model '%s': out of memory", model);
    int rc = SQLITE_ROW;
    ferry_status status = FERRY_OK;
    while (status == FERRY_OK && out->n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW)
        status = add_label_row(s, st, model, version, out, err);
    if (status == FERRY_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        status = ferry_error_set(err, FERRY_IO,
                                 "state store %s: reading the labels of model '%s' version %s: %s",
                                 s->path, model, version, sqlite3_errmsg(s->read));
    return status;
}

ferry_status state_store_latest_labels(state_store *s, const char *model, const char *version,
                                       size_t limit,
                                       void (*fn)(void *ctx, const state_label_row *row), void *ctx,
                                       ferry_error *err)
{
    label_rows rows = {0};
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->read_lock);
    ferry_status result = begin_read(s, err);
    if (result == FERRY_OK) {
        int rc = sqlite3_prepare_v2(s->read, latest_labels_sql, -1, &st, NULL);
        if (rc == SQLITE_OK)
            rc = bind_text(st, 1, model) | bind_text(st, 2, version);
        result = rc == SQLITE_OK
                     ? read_label_rows(s, st, model, version, limit, &rows, err)
                     : ferry_error_set(err, FERRY_IO,
                                       "state store %s: reading the labels of model "
                                       "'%s' version %s: %s",
                                       s->path, model, version, sqlite3_errmsg(s->read));
        sqlite3_finalize(st);
        end_read(s);
    }
    pthread_mutex_unlock(&s->read_lock);
    for (size_t i = rows.n; result == FERRY_OK && i > 0; i--)
        fn(ctx, &rows.rows[i - 1]);
    label_rows_free(&rows);
    return result;
}

void state_store_close(state_store *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->writer, NULL);
    free_store(s);
}
