/* Unit tests for the state store (src/state/state_store.c) over its chunked log: a database an
 * older ferry wrote (schema version 1, a row per prediction) opened, migrated to version 2 and
 * still read (find, the labels' join), an id logged again found at its latest among v1 rows and
 * chunks, retention run by the writer deleting expired chunks with their id rows, ids ferry
 * generated found by their time (after commit and after reopening, with no id row, a client's UUID
 * v7 look-alike still indexed, gone with their chunk at retention), and a version 2 database from
 * before that (every id indexed, no time index) given the index at open and still read, and
 * written records' blocks reused for new records (up to a byte cap). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/uuid.h"
#include "state/prediction_chunk.h"
#include "state/state_store.h"
#include "state/tensor_blob.h"
#include "state_v1_schema.h"
#include "state_v2_schema.h"
#include "test_support.h"

/* The tables and meta row a version 1 ferry created, with one prediction logged as JSON text,
 * one as a tensor blob (outputs 0.25), and a label on the second. */
static const char v1_sql[] =
    TS_STATE_V1_SCHEMA "INSERT INTO predictions VALUES('old-1', 1000, 'm', '1', 1,"
                       " '[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,1],\"data\":[1]}]',"
                       " '[{\"name\":\"y\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[0.5]}]');"
                       "INSERT INTO labels VALUES('old-2', 0, 'm', '1', '1', 2500);";

static void output_blob(float value, void **blob, size_t *len)
{
    ferry_tensor t = {.name = "y",
                      .dtype = FERRY_DTYPE_FP32,
                      .ndim = 1,
                      .shape = {1},
                      .data = &value,
                      .nbytes = sizeof value};
    *len = tensor_blob_size(&t, 1);
    *blob = malloc(*len);
    assert_non_null(*blob);
    tensor_blob_write(*blob, &t, 1);
}

/* A prediction of model m version 1 with rows `rows` and output value. */
static state_record *prediction(const char *id, int64_t ts, int64_t rows, float value,
                                int64_t retention_s)
{
    void *out = NULL;
    size_t out_len = 0;
    output_blob(value, &out, &out_len);
    state_record *r =
        state_record_new(STATE_RECORD_PREDICTION, id, "m", "1", NULL, out_len, out_len);
    assert_non_null(r);
    memcpy(r->inputs, out, out_len);
    memcpy(r->outputs, out, out_len);
    free(out);
    r->ts_ms = ts;
    r->rows = rows;
    r->retention_s = retention_s;
    return r;
}

/* A prediction whose id ferry generated at ms, as feedback_hub_log makes it: flagged and timed by
 * the id, which is written to id. */
static state_record *generated(char id[UUID_STR_LEN], int64_t ms, unsigned r, float value,
                               int64_t retention_s)
{
    ts_uuid_v7_at(id, ms, r);
    state_record *rec = prediction(id, ms, 1, value, retention_s);
    rec->flags = STATE_RECORD_ID_GENERATED;
    return rec;
}

static void make_v1_database(const char *dir)
{
    char path[4200];
    state_store_path(dir, path, sizeof path);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, v1_sql, NULL, NULL, NULL), SQLITE_OK);
    void *blob = NULL;
    size_t len = 0;
    output_blob(0.25f, &blob, &len);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT INTO predictions VALUES('old-2', 2000, 'm', '1',"
                                        " 1, ?1, ?1)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_bind_blob(st, 1, blob, (int)len, SQLITE_STATIC), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    free(blob);
    sqlite3_close(db);
}

static long long query_int(const char *dir, const char *sql)
{
    char path[4200];
    state_store_path(dir, path, sizeof path);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* Finds id: its rows, and its first output's value (a blob) or -1 (JSON text). */
static ferry_status find(state_store *s, const char *id, int64_t *rows, float *value)
{
    char model[64], version[64];
    state_tensors out;
    ferry_error err;
    ferry_status st =
        state_store_find(s, id, model, sizeof model, version, sizeof version, rows, &out, &err);
    if (st != FERRY_OK)
        return st;
    assert_string_equal(model, "m");
    *value = -1;
    if (!out.json) {
        ferry_tensor view;
        size_t n = 0;
        assert_int_equal(tensor_blob_read(out.data, out.len, &view, 1, &n, &err), FERRY_OK);
        memcpy(value, view.data, sizeof *value);
    }
    free(out.data);
    return FERRY_OK;
}

typedef struct seen_labels {
    int n;
    char id[4][32];
    float value[4];
} seen_labels;

static void on_label(void *ctx, const state_label_row *row)
{
    seen_labels *seen = ctx;
    assert_true(seen->n < 4);
    snprintf(seen->id[seen->n], sizeof seen->id[0], "%s", row->id);
    ferry_tensor view;
    size_t n = 0;
    ferry_error err;
    assert_int_equal(tensor_blob_read(row->outputs.data, row->outputs.len, &view, 1, &n, &err),
                     FERRY_OK);
    memcpy(&seen->value[seen->n++], view.data, sizeof(float));
}

static void test_v1_database_migrates(void **state)
{
    (void)state;
    char *dir = ts_mkdtemp();
    make_v1_database(dir);
    state_store *s = NULL;
    ferry_error err;
    assert_int_equal(state_store_open(dir, &s, &err), FERRY_OK);
    int64_t rows = 0;
    float value = 0;
    assert_int_equal(find(s, "old-1", &rows, &value), FERRY_OK);
    assert_true(value == -1.0f); /* JSON text, as logged */
    assert_int_equal(find(s, "old-2", &rows, &value), FERRY_OK);
    assert_true(value == 0.25f);
    /* old-2 logged again: the chunked prediction is the latest. */
    assert_true(state_store_enqueue(s, prediction("old-2", 3000, 7, 0.75f, 0)));
    assert_true(state_store_enqueue(s, prediction("new-1", 3000, 2, 0.5f, 0)));
    state_store_flush(s);
    assert_int_equal(find(s, "old-2", &rows, &value), FERRY_OK);
    assert_int_equal(rows, 7);
    assert_true(value == 0.75f);
    assert_int_equal(find(s, "new-1", &rows, &value), FERRY_OK);
    assert_true(value == 0.5f);
    assert_int_equal(find(s, "nope", &rows, &value), FERRY_NOT_FOUND);
    seen_labels seen = {0};
    assert_int_equal(state_store_latest_labels(s, "m", "1", 10, on_label, &seen, &err), FERRY_OK);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.id[0], "old-2");
    assert_true(seen.value[0] == 0.75f);
    state_store_close(s);
    assert_int_equal(query_int(dir, "SELECT value FROM meta WHERE key = 'schema_version'"), 2);
    assert_int_equal(query_int(dir, "SELECT count(*) FROM predictions"), 2);
    assert_int_equal(query_int(dir, "SELECT sum(n) FROM prediction_chunks"), 2);
    ts_rmtree(dir);
    free(dir);
}

static void test_retention_deletes_chunks_and_ids(void **state)
{
    (void)state;
    char *dir = ts_mkdtemp();
    state_store *s = NULL;
    ferry_error err;
    assert_int_equal(state_store_open(dir, &s, &err), FERRY_OK);
    int64_t now = (int64_t)time(NULL) * 1000, day = 86400 * 1000;
    /* The first commit with a retention expires at once (one record, so one commit); chunks go
     * whole, so the fresh prediction is committed apart. Deleting several ids of a chunk is
     * tests/unit/state/chunk_store.c's. */
    assert_true(state_store_enqueue(s, prediction("expired", now - 2 * day, 1, 0.5f, 3600)));
    state_store_flush(s);
    assert_true(state_store_enqueue(s, prediction("fresh", now, 1, 0.5f, 3600)));
    state_store_flush(s);
    int64_t rows = 0;
    float value = 0;
    assert_int_equal(find(s, "expired", &rows, &value), FERRY_NOT_FOUND);
    assert_int_equal(find(s, "fresh", &rows, &value), FERRY_OK);
    state_store_close(s);
    assert_int_equal(query_int(dir, "SELECT count(*) FROM prediction_ids"), 1);
    assert_int_equal(query_int(dir, "SELECT sum(n) FROM prediction_chunks"), 1);
    ts_rmtree(dir);
    free(dir);
}

static void test_retention_deletes_generated(void **state)
{
    (void)state;
    char *dir = ts_mkdtemp();
    state_store *s = NULL;
    ferry_error err;
    assert_int_equal(state_store_open(dir, &s, &err), FERRY_OK);
    int64_t now = (int64_t)time(NULL) * 1000, day = 86400 * 1000;
    char old[UUID_STR_LEN], fresh[UUID_STR_LEN];
    assert_true(state_store_enqueue(s, generated(old, now - 2 * day, 1, 0.5f, 3600)));
    state_store_flush(s);
    assert_true(state_store_enqueue(s, generated(fresh, now, 2, 0.5f, 3600)));
    state_store_flush(s);
    int64_t rows = 0;
    float value = 0;
    assert_int_equal(find(s, old, &rows, &value), FERRY_NOT_FOUND);
    assert_int_equal(find(s, fresh, &rows, &value), FERRY_OK);
    state_store_close(s);
    assert_int_equal(query_int(dir, "SELECT count(*) FROM prediction_ids"), 0);
    assert_int_equal(query_int(dir, "SELECT sum(n) FROM prediction_chunks"), 1);
    ts_rmtree(dir);
    free(dir);
}

static void test_generated_ids_found_by_time(void **state)
{
    (void)state;
    char *dir = ts_mkdtemp();
    state_store *s = NULL;
    ferry_error err;
    assert_int_equal(state_store_open(dir, &s, &err), FERRY_OK);
    int64_t now = (int64_t)time(NULL) * 1000, rows = 0;
    char gen[UUID_STR_LEN], client[UUID_STR_LEN], never[UUID_STR_LEN];
    assert_true(state_store_enqueue(s, generated(gen, now - 1000, 1, 0.25f, 0)));
    ts_uuid_v7_at(client, now - 5000, 2); /* a client's id of ferry's form, logged now */
    assert_true(state_store_enqueue(s, prediction(client, now, 3, 0.75f, 0)));
    ts_uuid_v7_at(never, now - 1000, 3);
    state_store_flush(s);
    for (int open = 0; open < 2; open++) { /* after the commit, then after reopening */
        float value = 0;
        assert_int_equal(find(s, gen, &rows, &value), FERRY_OK);
        assert_int_equal(rows, 1);
        assert_true(value == 0.25f);
        assert_int_equal(find(s, client, &rows, &value), FERRY_OK);
        assert_int_equal(rows, 3);
        assert_true(value == 0.75f);
        assert_int_equal(find(s, never, &rows, &value), FERRY_NOT_FOUND);
        state_store_close(s);
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM prediction_ids WHERE id = '%s'", client);
        assert_int_equal(query_int(dir, sql), 1);
        assert_int_equal(query_int(dir, "SELECT count(*) FROM prediction_ids"), 1);
        assert_int_equal(state_store_open(dir, &s, &err), FERRY_OK);
    }
    state_store_close(s);
    ts_rmtree(dir);
    free(dir);
}

/* A version 2 database as an earlier build wrote it: one chunk of model m version 1 holding
 * "client-1" (0.5) and uuid (0.25, unflagged: every id was indexed then), both with id rows. */
static void make_v2_database(const char *dir, const char *uuid)
{
    char path[4200];
    state_store_path(dir, path, sizeof path);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, TS_STATE_V2_SCHEMA, NULL, NULL, NULL), SQLITE_OK);
    state_record *recs[2] = {prediction("client-1", 1000, 1, 0.5f, 0),
                             prediction(uuid, 1200, 1, 0.25f, 0)};
    size_t size = prediction_chunk_size(recs, 2);
    void *body = malloc(size);
    assert_non_null(body);
    int64_t first = 0, last = 0;
    prediction_chunk_write(body, recs, 2, &first, &last);
    char *sql =
        sqlite3_mprintf("INSERT INTO prediction_chunks VALUES(1, 'm', '1', %lld, %lld, 2,"
                        " ?1); INSERT INTO prediction_ids VALUES('client-1', 1, 0), (%Q, 1, 1)",
                        (long long)first, (long long)last, uuid);
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, &tail), SQLITE_OK);
    assert_int_equal(sqlite3_bind_blob(st, 1, body, (int)size, SQLITE_STATIC), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_exec(db, tail, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_free(sql);
    free(body);
    state_record_free(recs[0]);
    state_record_free(recs[1]);
    sqlite3_close(db);
}

static void test_v2_database_before_time_index(void **state)
{
    (void)state;
    char *dir = ts_mkdtemp();
    char uuid[UUID_STR_LEN], gen[UUID_STR_LEN];
    ts_uuid_v7_at(uuid, 500, 7); /* generated by that build, but logged at 1200 with an id row */
    make_v2_database(dir, uuid);
    assert_int_equal(
        query_int(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'prediction_chunks_time'"),
        0);
    state_store *s = NULL;
    ferry_error err;
    assert_int_equal(state_store_open(dir, &s, &err), FERRY_OK);
    int64_t rows = 0, now = (int64_t)time(NULL) * 1000;
    float value = 0;
    assert_int_equal(find(s, "client-1", &rows, &value), FERRY_OK);
    assert_true(value == 0.5f);
    assert_int_equal(find(s, uuid, &rows, &value), FERRY_OK);
    assert_true(value == 0.25f);
    assert_true(state_store_enqueue(s, generated(gen, now, 1, 0.75f, 0)));
    state_store_flush(s);
    assert_int_equal(find(s, gen, &rows, &value), FERRY_OK);
    assert_true(value == 0.75f);
    state_store_close(s);
    assert_int_equal(
        query_int(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'prediction_chunks_time'"),
        1);
    assert_int_equal(query_int(dir, "SELECT value FROM meta WHERE key = 'schema_version'"), 2);
    assert_int_equal(query_int(dir, "SELECT count(*) FROM prediction_ids"), 2);
    ts_rmtree(dir);
    free(dir);
}

/* A record from the store's pool, with an output value and the given id. */
static state_record *pooled_prediction(state_store *s, const char *id, size_t extra_input)
{
    void *out = NULL;
    size_t out_len = 0;
    output_blob(0.5f, &out, &out_len);
    state_record *r = state_store_record_new(s, STATE_RECORD_PREDICTION, id, "m", "1", NULL,
                                             out_len + extra_input, out_len);
    assert_non_null(r);
    memset(r->inputs, 0, out_len + extra_input);
    memcpy(r->inputs, out, out_len);
    memcpy(r->outputs, out, out_len);
    free(out);
    r->ts_ms = 1000;
    r->rows = 1;
    return r;
}

static void test_written_blocks_are_reused(void **state)
{
    (void)state;
    char *dir = ts_mkdtemp();
    state_store *s = NULL;
    ferry_error err;
    assert_int_equal(state_store_open(dir, &s, &err), FERRY_OK);
    state_record *first = pooled_prediction(s, "p-1", 0);
    assert_true(state_store_enqueue(s, first));
    state_store_flush(s); /* written: its block is spare now */
    state_record *again = pooled_prediction(s, "p-2", 0);
    assert_ptr_equal(again, first);
    assert_string_equal(again->id, "p-2");
    assert_string_equal(again->model, "m");
    assert_null(again->label);
    assert_int_equal(again->retention_s, 0); /* every field laid out anew */
    assert_true(state_store_enqueue(s, again));
    state_store_flush(s);
    /* A record that does not fit the spare block gets its own; both are written whole. */
    state_record *bigger = pooled_prediction(s, "p-3", 4096);
    assert_true(bigger->capacity >= 4096);
    assert_true(state_store_enqueue(s, bigger));
    state_store_flush(s);
    int64_t rows = 0;
    float value = 0;
    assert_int_equal(find(s, "p-2", &rows, &value), FERRY_OK);
    assert_true(value == 0.5f);
    assert_int_equal(find(s, "p-3", &rows, &value), FERRY_OK);
    assert_int_equal(state_store_written(s), 3);
    size_t n = 0, bytes = 0;
    state_store_spares(s, &n, &bytes);
    assert_int_equal(n, 1); /* the bigger block, kept */
    assert_true(bytes >= 4096);
    /* A block that would take the spares past STATE_SPARE_BYTES is freed, not kept. */
    assert_true(state_store_enqueue(s, pooled_prediction(s, "huge", STATE_SPARE_BYTES)));
    state_store_flush(s);
    assert_int_equal(find(s, "huge", &rows, &value), FERRY_OK);
    state_store_spares(s, &n, &bytes);
    assert_int_equal(n, 0); /* the kept block went to "huge" (too small), "huge" was freed */
    assert_int_equal(bytes, 0);
    state_store_close(s); /* frees the spare blocks (ASan's leak check runs on this test) */
    ts_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_database_migrates),
        cmocka_unit_test(test_retention_deletes_chunks_and_ids),
        cmocka_unit_test(test_retention_deletes_generated),
        cmocka_unit_test(test_generated_ids_found_by_time),
        cmocka_unit_test(test_v2_database_before_time_index),
        cmocka_unit_test(test_written_blocks_are_reused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
