/* The prediction_chunks and prediction_ids tables: writing a commit's predictions as chunks,
 * deleting expired chunks, finding an id; see chunk_store.h. */
#include "state/chunk_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/uuid.h"
#include "state/prediction_chunk.h"

struct chunk_store {
    char *path;
    sqlite3 *db, *read;
    sqlite3_stmt *insert_chunk, *insert_id, *expired, *chunk_body, *delete_id, *delete_chunk;
    sqlite3_stmt *find_ids, *find_time;
    unsigned char *body; /* the chunk being written (writer thread) */
    size_t body_cap;
    unsigned char *scan; /* a chunk searched by time (read connection's user) */
    size_t scan_cap;
    state_record **group; /* the predictions of one model version in the batch */
    unsigned char *taken; /* batch records already put in a group */
    size_t group_cap;
};

static const char insert_chunk_sql[] =
    "INSERT INTO prediction_chunks(model, version, first_ts, last_ts, n, body) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
static const char insert_id_sql[] =
    "INSERT INTO prediction_ids(id, chunk, slot) VALUES(?1, ?2, ?3)";
static const char expired_sql[] =
    "SELECT chunk FROM prediction_chunks WHERE model = ?1 AND last_ts < ?2";
static const char chunk_body_sql[] = "SELECT body FROM prediction_chunks WHERE chunk = ?1";
static const char delete_id_sql[] =
    "DELETE FROM prediction_ids WHERE id = ?1 AND chunk = ?2 AND slot = ?3";
static const char delete_chunk_sql[] = "DELETE FROM prediction_chunks WHERE chunk = ?1";
static const char find_ids_sql[] =
    "SELECT i.chunk, i.slot, c.model, c.version, length(c.body) FROM prediction_ids i "
    "JOIN prediction_chunks c ON c.chunk = i.chunk WHERE i.id = ?1 "
    "AND (?2 IS NULL OR (c.model = ?2 AND c.version = ?3)) ORDER BY i.chunk, i.slot";
/* The chunks that may hold time ?1 (?4 is ?1 + PREDICTION_CHUNK_SPAN_MAX_MS), through the
 * (last_ts, first_ts) index. */
static const char find_time_sql[] =
    "SELECT chunk, model, version, length(body) FROM prediction_chunks "
    "WHERE last_ts BETWEEN ?1 AND ?4 AND first_ts <= ?1 "
    "AND (?2 IS NULL OR (model = ?2 AND version = ?3)) ORDER BY chunk";

static ferry_status prepare(chunk_store *c, sqlite3 *db, const char *sql, sqlite3_stmt **st,
                            ferry_error *err)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK)
        return FERRY_OK;
    return ferry_error_set(err, FERRY_IO, "state store %s: %s", c->path, sqlite3_errmsg(db));
}

ferry_status chunk_store_create(sqlite3 *db, sqlite3 *read, const char *path, chunk_store **out,
                                ferry_error *err)
{
    *out = NULL;
    chunk_store *c = calloc(1, sizeof *c);
    if (c == NULL || (c->path = strdup(path)) == NULL) {
        free(c);
        return ferry_error_set(err, FERRY_NO_MEMORY, "state store %s: out of memory", path);
    }
    c->db = db;
    c->read = read;
    ferry_status st = prepare(c, db, insert_chunk_sql, &c->insert_chunk, err);
    if (st == FERRY_OK)
        st = prepare(c, db, insert_id_sql, &c->insert_id, err);
    if (st == FERRY_OK)
        st = prepare(c, db, expired_sql, &c->expired, err);
    if (st == FERRY_OK)
        st = prepare(c, db, chunk_body_sql, &c->chunk_body, err);
    if (st == FERRY_OK)
        st = prepare(c, db, delete_id_sql, &c->delete_id, err);
    if (st == FERRY_OK)
        st = prepare(c, db, delete_chunk_sql, &c->delete_chunk, err);
    if (st == FERRY_OK)
        st = prepare(c, read, find_ids_sql, &c->find_ids, err);
    if (st == FERRY_OK)
        st = prepare(c, read, find_time_sql, &c->find_time, err);
    if (st != FERRY_OK) {
        chunk_store_destroy(c);
        return st;
    }
    *out = c;
    return FERRY_OK;
}

void chunk_store_destroy(chunk_store *c)
{
    if (c == NULL)
        return;
    sqlite3_finalize(c->insert_chunk);
    sqlite3_finalize(c->insert_id);
    sqlite3_finalize(c->expired);
    sqlite3_finalize(c->chunk_body);
    sqlite3_finalize(c->delete_id);
    sqlite3_finalize(c->delete_chunk);
    sqlite3_finalize(c->find_ids);
    sqlite3_finalize(c->find_time);
    free(c->body);
    free(c->scan);
    free(c->group);
    free(c->taken);
    free(c->path);
    free(c);
}

/* ------------------------------------------------------------------------------------------ */
/* Writing                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static bool exec(chunk_store *c, const char *sql)
{
    return sqlite3_exec(c->db, sql, NULL, NULL, NULL) == SQLITE_OK;
}

/* s, or "" for none (as the v1 rows stored a missing id, model or version). */
static const char *text(const char *s)
{
    return s != NULL ? s : "";
}

static bool step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE;
}

/* An id row per prediction, but none for ids ferry generated (found by their time instead). */
static bool insert_ids(chunk_store *c, state_record **recs, size_t n, sqlite3_int64 chunk)
{
    for (size_t i = 0; i < n; i++) {
        if (recs[i]->flags & STATE_RECORD_ID_GENERATED)
            continue;
        int rc = sqlite3_bind_text(c->insert_id, 1, text(recs[i]->id), -1, SQLITE_STATIC) |
                 sqlite3_bind_int64(c->insert_id, 2, chunk) |
                 sqlite3_bind_int64(c->insert_id, 3, (sqlite3_int64)i);
        if (rc != SQLITE_OK || !step_done(c->insert_id))
            return false;
    }
    return true;
}

/* Inserts the chunk row for recs[0..n), whose body (bytes long) is in c->body. */
static bool insert_chunk(chunk_store *c, state_record **recs, size_t n, size_t bytes)
{
    int64_t first_ts = 0, last_ts = 0;
    prediction_chunk_write(c->body, recs, n, &first_ts, &last_ts);
    sqlite3_stmt *st = c->insert_chunk;
    int rc = sqlite3_bind_text(st, 1, text(recs[0]->model), -1, SQLITE_STATIC) |
             sqlite3_bind_text(st, 2, text(recs[0]->version), -1, SQLITE_STATIC) |
             sqlite3_bind_int64(st, 3, first_ts) | sqlite3_bind_int64(st, 4, last_ts) |
             sqlite3_bind_int64(st, 5, (sqlite3_int64)n) |
             sqlite3_bind_blob64(st, 6, c->body, bytes, SQLITE_STATIC);
    return rc == SQLITE_OK && step_done(st) &&
           insert_ids(c, recs, n, sqlite3_last_insert_rowid(c->db));
}

/* Writes one chunk of recs[0..n) (bytes long) under a savepoint, so that a failure leaves
 * neither the chunk nor any of its ids. Returns n, or 0 after logging the failure. */
static uint64_t write_chunk(chunk_store *c, state_record **recs, size_t n, size_t bytes)
{
    if (bytes > c->body_cap) {
        unsigned char *grown = realloc(c->body, bytes);
        if (grown == NULL) {
            log_fields f = {.file = c->path, .model = recs[0]->model, .version = recs[0]->version};
            log_error(&f, "state store: out of memory for a chunk of %zu predictions (%zu bytes)",
                      n, bytes);
            return 0;
        }
        c->body = grown;
        c->body_cap = bytes;
    }
    if (exec(c, "SAVEPOINT chunk") && insert_chunk(c, recs, n, bytes) && exec(c, "RELEASE chunk"))
        return n;
    log_fields f = {.file = c->path, .model = recs[0]->model, .version = recs[0]->version};
    log_error(&f, "state store: cannot write a chunk of %zu predictions: %s", n,
              sqlite3_errmsg(c->db));
    exec(c, "ROLLBACK TO chunk");
    exec(c, "RELEASE chunk");
    return 0;
}

/* Where the chunk starting at recs[start] ends: at most MAX_N predictions and MAX_BYTES (a single
 * larger prediction alone), whose times lie within SPAN_MAX_MS. Sets *bytes to its size. */
static size_t chunk_end(state_record **recs, size_t start, size_t n, size_t *bytes)
{
    size_t end = start;
    int64_t lo = recs[start]->ts_ms, hi = lo;
    *bytes = PREDICTION_CHUNK_HEADER;
    while (end < n && end - start < PREDICTION_CHUNK_MAX_N) {
        size_t e = prediction_chunk_entry_size(recs[end]);
        int64_t ts = recs[end]->ts_ms;
        int64_t new_lo = ts < lo ? ts : lo, new_hi = ts > hi ? ts : hi;
        /* unsigned: the difference of any two int64 fits, without overflow */
        bool too_long = (uint64_t)new_hi - (uint64_t)new_lo > PREDICTION_CHUNK_SPAN_MAX_MS;
        if (end > start && (*bytes + e > PREDICTION_CHUNK_MAX_BYTES || too_long))
            break;
        lo = new_lo;
        hi = new_hi;
        *bytes += e;
        end++;
    }
    return end;
}

/* Writes recs[0..n) (one model version) as chunks bounded by chunk_end. */
static uint64_t write_group(chunk_store *c, state_record **recs, size_t n)
{
    uint64_t ok = 0;
    size_t start = 0;
    while (start < n) {
        size_t bytes = 0, end = chunk_end(recs, start, n, &bytes);
        ok += write_chunk(c, recs + start, end - start, bytes);
        start = end;
    }
    return ok;
}

static bool same_version(const state_record *a, const state_record *b)
{
    return strcmp(text(a->model), text(b->model)) == 0 &&
           strcmp(text(a->version), text(b->version)) == 0;
}

/* Puts recs[first] and the untaken records after it of the same model version in c->group, in
 * order, marking them taken. Returns their count. */
static size_t collect_group(chunk_store *c, state_record **recs, size_t n, size_t first)
{
    size_t g = 0;
    for (size_t i = first; i < n; i++)
        if (!c->taken[i] && (i == first || same_version(recs[first], recs[i]))) {
            c->taken[i] = 1;
            c->group[g++] = recs[i];
        }
    return g;
}

static bool reserve_groups(chunk_store *c, size_t n)
{
    if (n <= c->group_cap)
        return true;
    state_record **group = malloc(n * sizeof *group);
    unsigned char *taken = malloc(n);
    if (group == NULL || taken == NULL) {
        free(group);
        free(taken);
        return false;
    }
    free(c->group);
    free(c->taken);
    c->group = group;
    c->taken = taken;
    c->group_cap = n;
    return true;
}

uint64_t chunk_store_write(chunk_store *c, state_record **recs, size_t n)
{
    if (n == 0)
        return 0;
    if (!reserve_groups(c, n)) {
        log_fields f = {.file = c->path};
        log_error(&f, "state store: out of memory: %zu predictions not written", n);
        return 0;
    }
    memset(c->taken, 0, n);
    uint64_t ok = 0;
    for (size_t i = 0; i < n; i++)
        if (!c->taken[i])
            ok += write_group(c, c->group, collect_group(c, recs, n, i));
    if (c->body_cap > 2 * PREDICTION_CHUNK_MAX_BYTES) { /* one large prediction: give it back */
        free(c->body);
        c->body = NULL;
        c->body_cap = 0;
    }
    return ok;
}

/* ------------------------------------------------------------------------------------------ */
/* Retention                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* Deletes the id rows of the chunk whose body is st's column 0 (there are none for generated
 * ids), then the chunk. */
static bool delete_chunk_rows(chunk_store *c, sqlite3_int64 chunk, sqlite3_stmt *st)
{
    const void *body = sqlite3_column_blob(st, 0);
    size_t len = (size_t)sqlite3_column_bytes(st, 0), n = 0;
    ferry_error err;
    if (prediction_chunk_count(prediction_chunk_read_memory, (void *)body, len, &n, &err) !=
        FERRY_OK) {
        log_fields f = {.file = c->path};
        log_error(&f, "state store: chunk %lld: %s; its id rows are left", (long long)chunk,
                  err.message);
        n = 0;
    }
    for (size_t slot = 0; slot < n; slot++) {
        prediction_loc loc;
        if (prediction_chunk_locate(prediction_chunk_read_memory, (void *)body, len, slot, &loc,
                                    &err) != FERRY_OK ||
            (loc.flags & PREDICTION_CHUNK_ID_GENERATED))
            continue; /* a generated id has no id row */
        int rc = sqlite3_bind_text(c->delete_id, 1, (const char *)body + loc.id_off,
                                   (int)loc.id_len, SQLITE_STATIC) |
                 sqlite3_bind_int64(c->delete_id, 2, chunk) |
                 sqlite3_bind_int64(c->delete_id, 3, (sqlite3_int64)slot);
        if (rc != SQLITE_OK || !step_done(c->delete_id))
            return false;
    }
    return sqlite3_bind_int64(c->delete_chunk, 1, chunk) == SQLITE_OK && step_done(c->delete_chunk);
}

static bool expire_chunk(chunk_store *c, sqlite3_int64 chunk)
{
    sqlite3_stmt *st = c->chunk_body;
    bool ok = sqlite3_bind_int64(st, 1, chunk) == SQLITE_OK;
    int rc = ok ? sqlite3_step(st) : SQLITE_ERROR;
    ok = rc == SQLITE_DONE || (rc == SQLITE_ROW && delete_chunk_rows(c, chunk, st));
    sqlite3_reset(st);
    return ok;
}

/* The chunks of model older than cutoff_ms into a malloc'ed array (*n of them). */
static bool expired_chunks(chunk_store *c, const char *model, int64_t cutoff_ms,
                           sqlite3_int64 **out, size_t *n)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = c->expired;
    int rc =
        sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC) | sqlite3_bind_int64(st, 2, cutoff_ms);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap == 0 ? 64 : cap * 2;
            sqlite3_int64 *grown = realloc(*out, cap * sizeof *grown);
            if (grown == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            *out = grown;
        }
        (*out)[(*n)++] = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE;
}

ferry_status chunk_store_expire(chunk_store *c, const char *model, int64_t cutoff_ms,
                                ferry_error *err)
{
    sqlite3_int64 *chunks = NULL;
    size_t n = 0;
    bool ok = expired_chunks(c, model, cutoff_ms, &chunks, &n);
    for (size_t i = 0; ok && i < n; i++)
        ok = expire_chunk(c, chunks[i]);
    free(chunks);
    if (ok)
        return FERRY_OK;
    return ferry_error_set(err, FERRY_IO, "state store %s: deleting old chunks of model '%s': %s",
                           c->path, model, sqlite3_errmsg(c->db));
}

/* ------------------------------------------------------------------------------------------ */
/* Finding an id                                                                                */
/* ------------------------------------------------------------------------------------------ */

static bool blob_read(void *ctx, void *buf, size_t len, size_t offset)
{
    return sqlite3_blob_read(ctx, buf, (int)len, (int)offset) == SQLITE_OK;
}

/* Points *blob (opened on the first call) at chunk's body. */
static bool open_body(chunk_store *c, sqlite3_blob **blob, sqlite3_int64 chunk)
{
    if (*blob != NULL)
        return sqlite3_blob_reopen(*blob, chunk) == SQLITE_OK;
    return sqlite3_blob_open(c->read, "main", "prediction_chunks", "body", chunk, 0, blob) ==
           SQLITE_OK;
}

/* Reads the outputs at loc of the chunk *blob points at into out->outputs. */
static bool read_outputs(sqlite3_blob *blob, const prediction_loc *loc, chunk_found *out)
{
    char *data = malloc(loc->outputs_len + 1);
    if (data == NULL)
        return false;
    if (loc->outputs_len > 0 && !blob_read(blob, data, loc->outputs_len, loc->outputs_off)) {
        free(data);
        return false;
    }
    data[loc->outputs_len] = '\0';
    out->outputs = (state_tensors){.data = data, .len = loc->outputs_len, .json = false};
    return true;
}

/* err (what is wrong with a chunk's body) as an IO error naming the file, the id and the chunk. */
static ferry_status chunk_error(chunk_store *c, const char *id, sqlite3_int64 chunk,
                                ferry_error *err)
{
    err->code = FERRY_IO;
    return ferry_error_prefix(err, "state store %s: id '%s': chunk %lld: ", c->path, id,
                              (long long)chunk);
}

typedef struct best_slot {
    sqlite3_int64 chunk;
    prediction_loc loc;
} best_slot;

/* Reads the entry of find_ids's current row; keeps it in *best when it is the latest so far. */
static ferry_status consider(chunk_store *c, sqlite3_blob **blob, const char *id, best_slot *best,
                             chunk_found *out, ferry_error *err)
{
    sqlite3_stmt *st = c->find_ids;
    sqlite3_int64 chunk = sqlite3_column_int64(st, 0);
    size_t slot = (size_t)sqlite3_column_int64(st, 1);
    size_t len = (size_t)sqlite3_column_int64(st, 4);
    prediction_loc loc;
    if (!open_body(c, blob, chunk))
        return ferry_error_set(err, FERRY_IO, "state store %s: id '%s': chunk %lld: %s", c->path,
                               id, (long long)chunk, sqlite3_errmsg(c->read));
    if (prediction_chunk_locate(blob_read, *blob, len, slot, &loc, err) != FERRY_OK)
        return chunk_error(c, id, chunk, err);
    if (out->found && loc.ts < out->ts)
        return FERRY_OK;
    out->found = true;
    out->ts = loc.ts;
    out->rows = loc.rows;
    snprintf(out->model, out->model_len, "%s", (const char *)sqlite3_column_text(st, 2));
    snprintf(out->version, out->version_len, "%s", (const char *)sqlite3_column_text(st, 3));
    *best = (best_slot){.chunk = chunk, .loc = loc};
    return FERRY_OK;
}

/* The latest prediction with this id through the prediction_ids index. */
static ferry_status find_by_index(chunk_store *c, const char *id, const char *model,
                                  const char *version, chunk_found *out, ferry_error *err)
{
    sqlite3_stmt *st = c->find_ids;
    sqlite3_blob *blob = NULL;
    best_slot best = {0};
    out->found = false;
    int rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) |
             sqlite3_bind_text(st, 2, model, -1, SQLITE_STATIC) |
             sqlite3_bind_text(st, 3, version, -1, SQLITE_STATIC);
    ferry_status status = FERRY_OK;
    while (status == FERRY_OK && rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        status = consider(c, &blob, id, &best, out, err);
        rc = SQLITE_OK;
    }
    if (status == FERRY_OK && rc != SQLITE_DONE)
        status = ferry_error_set(err, FERRY_IO, "state store %s: looking up id '%s': %s", c->path,
                                 id, sqlite3_errmsg(c->read));
    sqlite3_reset(st);
    if (status == FERRY_OK && out->found &&
        !(open_body(c, &blob, best.chunk) && read_outputs(blob, &best.loc, out)))
        status = ferry_error_set(err, FERRY_IO, "state store %s: reading prediction '%s': %s",
                                 c->path, id, sqlite3_errmsg(c->read));
    sqlite3_blob_close(blob);
    return status;
}

/* Reads the whole body of chunk (len bytes) into c->scan. */
static bool read_whole(chunk_store *c, sqlite3_blob **blob, sqlite3_int64 chunk, size_t len)
{
    if (len > c->scan_cap) {
        unsigned char *grown = malloc(len);
        if (grown == NULL)
            return false;
        free(c->scan);
        c->scan = grown;
        c->scan_cap = len;
    }
    return open_body(c, blob, chunk) && (len == 0 || blob_read(*blob, c->scan, len, 0));
}

/* Whether entry loc of c->scan is the generated id `id` made at t. */
static bool is_generated(const chunk_store *c, const prediction_loc *loc, const char *id,
                         size_t id_len, int64_t t)
{
    return (loc->flags & PREDICTION_CHUNK_ID_GENERATED) && loc->ts == t && loc->id_len == id_len &&
           memcmp(c->scan + loc->id_off, id, id_len) == 0;
}

/* Keeps entry loc of c->scan in out (model and version from find_time's row) with a copy of its
 * outputs. False when out of memory. */
static bool keep_scanned(chunk_store *c, const prediction_loc *loc, chunk_found *out)
{
    char *data = malloc(loc->outputs_len + 1);
    if (data == NULL)
        return false;
    memcpy(data, c->scan + loc->outputs_off, loc->outputs_len);
    data[loc->outputs_len] = '\0';
    free(out->outputs.data);
    out->outputs = (state_tensors){.data = data, .len = loc->outputs_len, .json = false};
    out->found = true;
    out->ts = loc->ts;
    out->rows = loc->rows;
    snprintf(out->model, out->model_len, "%s", (const char *)sqlite3_column_text(c->find_time, 1));
    snprintf(out->version, out->version_len, "%s",
             (const char *)sqlite3_column_text(c->find_time, 2));
    return true;
}

/* Looks through the chunk of find_time's current row for generated id `id` made at t, keeping
 * the latest match (a later slot or chunk wins a tie) in out. */
static ferry_status scan_chunk(chunk_store *c, sqlite3_blob **blob, const char *id, int64_t t,
                               chunk_found *out, ferry_error *err)
{
    sqlite3_int64 chunk = sqlite3_column_int64(c->find_time, 0);
    size_t len = (size_t)sqlite3_column_int64(c->find_time, 3), n = 0, id_len = strlen(id);
    if (!read_whole(c, blob, chunk, len))
        return ferry_error_set(err, FERRY_IO, "state store %s: id '%s': reading chunk %lld: %s",
                               c->path, id, (long long)chunk, sqlite3_errmsg(c->read));
    ferry_status st = prediction_chunk_count(prediction_chunk_read_memory, c->scan, len, &n, err);
    for (size_t slot = 0; st == FERRY_OK && slot < n; slot++) {
        prediction_loc loc;
        st = prediction_chunk_locate(prediction_chunk_read_memory, c->scan, len, slot, &loc, err);
        if (st == FERRY_OK && is_generated(c, &loc, id, id_len, t) &&
            !(out->found && loc.ts < out->ts) && !keep_scanned(c, &loc, out))
            return ferry_error_set(err, FERRY_NO_MEMORY, "prediction '%s': out of memory", id);
    }
    if (st != FERRY_OK)
        return chunk_error(c, id, chunk, err);
    return FERRY_OK;
}

/* The prediction with generated id `id` made at t: in the chunks whose span covers t (a chunk
 * spans at most PREDICTION_CHUNK_SPAN_MAX_MS), by reading their entries. On failure out holds
 * no outputs. */
static ferry_status find_by_time(chunk_store *c, const char *id, int64_t t, const char *model,
                                 const char *version, chunk_found *out, ferry_error *err)
{
    sqlite3_stmt *st = c->find_time;
    sqlite3_blob *blob = NULL;
    int rc = sqlite3_bind_int64(st, 1, t) | sqlite3_bind_text(st, 2, model, -1, SQLITE_STATIC) |
             sqlite3_bind_text(st, 3, version, -1, SQLITE_STATIC) |
             sqlite3_bind_int64(st, 4, t + PREDICTION_CHUNK_SPAN_MAX_MS);
    ferry_status status = FERRY_OK;
    while (status == FERRY_OK && rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        status = scan_chunk(c, &blob, id, t, out, err);
        rc = SQLITE_OK;
    }
    if (status == FERRY_OK && rc != SQLITE_DONE)
        status = ferry_error_set(err, FERRY_IO, "state store %s: looking up id '%s' by time: %s",
                                 c->path, id, sqlite3_errmsg(c->read));
    sqlite3_reset(st);
    sqlite3_blob_close(blob);
    if (c->scan_cap > 2 * PREDICTION_CHUNK_MAX_BYTES) { /* one large prediction: give it back */
        free(c->scan);
        c->scan = NULL;
        c->scan_cap = 0;
    }
    if (status != FERRY_OK) {
        free(out->outputs.data);
        out->outputs = (state_tensors){0};
        out->found = false;
    }
    return status;
}

ferry_status chunk_store_find(chunk_store *c, const char *id, const char *model,
                              const char *version, chunk_found *out, ferry_error *err)
{
    out->outputs = (state_tensors){0};
    ferry_status st = find_by_index(c, id, model, version, out, err);
    int64_t t = 0;
    if (st == FERRY_OK && !out->found && uuid_v7_time_ms(id, &t))
        st = find_by_time(c, id, t, model, version, out, err);
    return st;
}
