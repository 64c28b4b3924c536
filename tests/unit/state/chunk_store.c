/* Unit tests for the prediction log's chunk tables (src/state/chunk_store.c) on a fresh
 * database: a commit's predictions grouped by model version and split at 4,096 predictions, at
 * the byte limit (a larger prediction alone) and at a 10 s time span, an id logged in several
 * chunks found at its latest (for any version and for one), ids ferry generated written without
 * an id row and found by their time (among chunks that overlap it, other generated ids of the same
 * millisecond, and a client's UUID v7 look-alike that is indexed as any client id), and retention
 * deleting whole chunks with their id rows while keeping newer chunks and other models. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/chunk_store.h"
#include "state/prediction_chunk.h"
#include "state/state_db.h"
#include "core/uuid.h"
#include "state/tensor_blob.h"
#include "test_support.h"

typedef struct fixture {
    char *dir;
    char path[4200];
    sqlite3 *db;
    chunk_store *chunks;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dir = ts_mkdtemp();
    snprintf(f->path, sizeof f->path, "%s/ferry.db", f->dir);
    ferry_error err;
    assert_int_equal(state_db_open(f->path, true, &f->db, &err), FERRY_OK);
    assert_int_equal(chunk_store_create(f->db, f->db, f->path, &f->chunks, &err), FERRY_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    chunk_store_destroy(f->chunks);
    sqlite3_close(f->db);
    ts_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* A prediction of model/version with `floats` FP32 inputs and one output, value. */
static state_record *make_record(const char *id, const char *model, const char *version, int64_t ts,
                                 float value, size_t floats)
{
    float *in = calloc(floats, sizeof *in);
    assert_non_null(in);
    in[0] = value;
    ferry_tensor input = {.name = "input",
                          .dtype = FERRY_DTYPE_FP32,
                          .ndim = 2,
                          .shape = {1, (int64_t)floats},
                          .data = in,
                          .nbytes = floats * sizeof(float)};
    ferry_tensor output = {.name = "predict",
                           .dtype = FERRY_DTYPE_FP32,
                           .ndim = 1,
                           .shape = {1},
                           .data = &value,
                           .nbytes = sizeof value};
    state_record *r = state_record_new(STATE_RECORD_PREDICTION, id, model, version, NULL,
                                       tensor_blob_size(&input, 1), tensor_blob_size(&output, 1));
    assert_non_null(r);
    r->ts_ms = ts;
    r->rows = 1;
    tensor_blob_write(r->inputs, &input, 1);
    tensor_blob_write(r->outputs, &output, 1);
    free(in);
    return r;
}

/* A prediction whose id ferry generated, as feedback_hub_log makes it: id a UUID v7 made at ts,
 * flagged, timed by the id. */
static state_record *make_generated(const char *id, const char *model, const char *version,
                                    float value)
{
    int64_t ts = 0;
    assert_true(uuid_v7_time_ms(id, &ts));
    state_record *r = make_record(id, model, version, ts, value, 2);
    r->flags = STATE_RECORD_ID_GENERATED;
    return r;
}

/* Writes recs[0..n) in one transaction, as the writer does, and frees them. */
static void commit(fixture *f, state_record **recs, size_t n)
{
    assert_int_equal(sqlite3_exec(f->db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(chunk_store_write(f->chunks, recs, n), n);
    assert_int_equal(sqlite3_exec(f->db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    for (size_t i = 0; i < n; i++)
        state_record_free(recs[i]);
}

static long long query_int(fixture *f, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(f->db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The SQL expression `expr` over each chunk row in order, comma-separated, into buf. */
static void chunk_column(fixture *f, const char *expr, char *buf, size_t len)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT %s FROM prediction_chunks ORDER BY chunk", expr);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(f->db, sql, -1, &st, NULL), SQLITE_OK);
    buf[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW)
        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? "," : "",
                 (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

/* "model:n" of each chunk in order, comma-separated, into buf. */
static void chunk_list(fixture *f, char *buf, size_t len)
{
    chunk_column(f, "model || ':' || n", buf, len);
}

static void test_split_by_count(void **state)
{
    fixture *f = *state;
    size_t n = 10050;
    state_record **recs = calloc(n, sizeof *recs);
    assert_non_null(recs);
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "p-%zu", i);
        recs[i] = make_record(id, i % 201 == 200 ? "b" : "a", "1", (int64_t)i, (float)i, 4);
    }
    commit(f, recs, n);
    free(recs);
    char list[256];
    chunk_list(f, list, sizeof list);
    assert_string_equal(list, "a:4096,a:4096,a:1808,b:50");
    assert_int_equal(query_int(f, "SELECT count(*) FROM prediction_ids"), 10050);
    assert_int_equal(query_int(f, "SELECT first_ts FROM prediction_chunks WHERE chunk = 2"),
                     4096 + 4096 / 200);
}

static void test_split_by_bytes(void **state)
{
    fixture *f = *state;
    size_t big = (PREDICTION_CHUNK_MAX_BYTES / 3) / sizeof(float); /* a third of the limit */
    state_record *recs[4] = {
        make_record("x-0", "a", "1", 1, 0, big), make_record("x-1", "a", "1", 2, 1, big),
        make_record("x-2", "a", "1", 3, 2, big),
        make_record("x-3", "a", "1", 4, 3, PREDICTION_CHUNK_MAX_BYTES / sizeof(float))};
    commit(f, recs, 4);
    char list[256];
    chunk_list(f, list, sizeof list);
    assert_string_equal(list, "a:2,a:1,a:1");
    assert_int_equal(query_int(f, "SELECT count(*) FROM prediction_chunks WHERE "
                                  "length(body) > 4194304 AND n > 1"),
                     0);
}

/* Finds id (of model/version when model is set): its output value, rows and model. */
static bool find(fixture *f, const char *id, const char *model, const char *version, float *value,
                 char *found_model)
{
    char found_version[64];
    chunk_found out = {.model = found_model,
                       .model_len = 64,
                       .version = found_version,
                       .version_len = sizeof found_version};
    ferry_error err;
    assert_int_equal(chunk_store_find(f->chunks, id, model, version, &out, &err), FERRY_OK);
    if (!out.found)
        return false;
    size_t n = 0;
    ferry_tensor view;
    assert_int_equal(tensor_blob_read(out.outputs.data, out.outputs.len, &view, 1, &n, &err),
                     FERRY_OK);
    memcpy(value, view.data, sizeof *value);
    free(out.outputs.data);
    return true;
}

static void test_find_in_several_chunks(void **state)
{
    fixture *f = *state;
    /* "dup" three times in three commits (the latest in time in the middle one), once for model
     * b; "one" once, in a chunk that also holds others. */
    state_record *c1[3] = {make_record("x", "a", "1", 100, 0, 2),
                           make_record("dup", "a", "1", 1000, 1, 2),
                           make_record("one", "a", "1", 1001, 9, 2)};
    commit(f, c1, 3);
    state_record *c2[2] = {make_record("dup", "a", "2", 3000, 3, 2),
                           make_record("dup", "b", "1", 3500, 5, 2)};
    commit(f, c2, 2);
    state_record *c3[1] = {make_record("dup", "a", "1", 2000, 2, 2)};
    commit(f, c3, 1);
    float v = 0;
    char model[64];
    assert_true(find(f, "dup", NULL, NULL, &v, model));
    assert_true(v == 5.0f);
    assert_string_equal(model, "b");
    assert_true(find(f, "dup", "a", "1", &v, model));
    assert_true(v == 2.0f);
    assert_true(find(f, "dup", "a", "2", &v, model));
    assert_true(v == 3.0f);
    assert_true(find(f, "one", NULL, NULL, &v, model));
    assert_true(v == 9.0f);
    assert_false(find(f, "dup", "c", "1", &v, model));
    assert_false(find(f, "nope", NULL, NULL, &v, model));
}

static void test_expire(void **state)
{
    fixture *f = *state;
    state_record *old[3] = {make_record("o-1", "a", "1", 1000, 1, 2),
                            make_record("o-2", "a", "1", 1500, 2, 2),
                            make_record("ob-1", "b", "1", 1000, 3, 2)};
    commit(f, old, 3);
    state_record *straddle[2] = {make_record("s-1", "a", "1", 1900, 4, 2),
                                 make_record("s-2", "a", "1", 2100, 5, 2)};
    commit(f, straddle, 2);
    ferry_error err;
    assert_int_equal(sqlite3_exec(f->db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(chunk_store_expire(f->chunks, "a", 2000, &err), FERRY_OK);
    assert_int_equal(sqlite3_exec(f->db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    float v;
    char model[64];
    assert_false(find(f, "o-1", NULL, NULL, &v, model));
    assert_false(find(f, "o-2", NULL, NULL, &v, model));
    assert_true(find(f, "ob-1", NULL, NULL, &v, model)); /* another model */
    assert_true(find(f, "s-1", NULL, NULL, &v, model));  /* its chunk has a newer prediction */
    assert_int_equal(query_int(f, "SELECT count(*) FROM prediction_chunks"), 2);
    assert_int_equal(query_int(f, "SELECT count(*) FROM prediction_ids"), 3);
    assert_int_equal(query_int(f, "SELECT count(*) FROM prediction_ids WHERE id LIKE 'o-%'"), 0);
}

/* "first_ts-last_ts:n" of each chunk in order, comma-separated, into buf. */
static void chunk_spans(fixture *f, char *buf, size_t len)
{
    chunk_column(f, "first_ts || '-' || last_ts || ':' || n", buf, len);
}

static void test_split_by_span(void **state)
{
    fixture *f = *state;
    /* 10 s apart at most within a chunk, whatever the order the times come in. */
    const int64_t base = 1700000000000, at[] = {0, 4000, 10000, 10001, 2000, 30000, 25000, 20000};
    enum { N = sizeof at / sizeof at[0] };
    char ids[N][UUID_STR_LEN];
    state_record *recs[N];
    for (size_t i = 0; i < N; i++) {
        ts_uuid_v7_at(ids[i], base + at[i], (unsigned)i);
        recs[i] = make_generated(ids[i], "a", "1", (float)i);
    }
    commit(f, recs, N);
    char list[512], want[512];
    chunk_spans(f, list, sizeof list);
    snprintf(want, sizeof want, "%lld-%lld:3,%lld-%lld:2,%lld-%lld:3", (long long)base,
             (long long)(base + 10000), (long long)(base + 2000), (long long)(base + 10001),
             (long long)(base + 20000), (long long)(base + 30000));
    assert_string_equal(list, want);
    assert_int_equal(query_int(f, "SELECT count(*) FROM prediction_ids"), 0);
    for (size_t i = 0; i < N; i++) {
        float v = -1;
        char model[64];
        assert_true(find(f, ids[i], NULL, NULL, &v, model));
        assert_true(v == (float)i);
        assert_true(find(f, ids[i], "a", "1", &v, model));
        assert_false(find(f, ids[i], "a", "2", &v, model));
    }
}

static void test_generated_found_by_time(void **state)
{
    fixture *f = *state;
    const int64_t t = 1700000000000;
    char gen[4][UUID_STR_LEN], client[UUID_STR_LEN], missing[UUID_STR_LEN];
    ts_uuid_v7_at(gen[0], t, 1);
    ts_uuid_v7_at(gen[1], t, 2);        /* the same millisecond, another id */
    ts_uuid_v7_at(gen[2], t + 9000, 3); /* in a chunk that also covers t */
    ts_uuid_v7_at(gen[3], t - 500, 4);  /* a chunk ending just before t */
    ts_uuid_v7_at(client, t, 5);        /* a client's id that looks like ferry's */
    ts_uuid_v7_at(missing, t, 6);       /* never logged */
    state_record *c1[2] = {make_generated(gen[3], "a", "1", 3),
                           make_record("c-1", "a", "1", t - 400, 9, 2)};
    commit(f, c1, 2);
    state_record *c2[4] = {
        make_record("c-2", "a", "1", t - 100, 8, 2), make_generated(gen[1], "a", "1", 1),
        make_record(client, "a", "1", t + 20, 5, 2), make_generated(gen[2], "a", "1", 2)};
    commit(f, c2, 4);
    state_record *c3[2] = {make_generated(gen[0], "b", "1", 0),
                           make_record("c-3", "b", "1", t + 9999, 7, 2)};
    commit(f, c3, 2);
    /* Id rows only for the client's ids, the UUID v7 look-alike among them. */
    assert_int_equal(query_int(f, "SELECT count(*) FROM prediction_ids"), 4);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM prediction_ids WHERE id = '%s'", client);
    assert_int_equal(query_int(f, sql), 1);
    float v = -1;
    char model[64];
    for (int i = 0; i < 4; i++) {
        assert_true(find(f, gen[i], NULL, NULL, &v, model));
        assert_true(v == (float)i);
        assert_string_equal(model, i == 0 ? "b" : "a");
    }
    assert_true(find(f, gen[0], "b", "1", &v, model));
    assert_false(find(f, gen[0], "a", "1", &v, model));
    assert_true(find(f, client, NULL, NULL, &v, model)); /* by its id row (its ts is t + 20) */
    assert_true(v == 5.0f);
    assert_false(find(f, missing, NULL, NULL, &v, model));
    char upper[UUID_STR_LEN]; /* another id (text compares exactly), though its time is the same */
    for (int i = 0; i < UUID_STR_LEN; i++)
        upper[i] = (char)(gen[1][i] >= 'a' && gen[1][i] <= 'f' ? gen[1][i] - 32 : gen[1][i]);
    assert_false(find(f, upper, NULL, NULL, &v, model));
}

static void test_expire_generated(void **state)
{
    fixture *f = *state;
    char old[UUID_STR_LEN], fresh[UUID_STR_LEN];
    ts_uuid_v7_at(old, 1000, 1);
    ts_uuid_v7_at(fresh, 5000, 2);
    state_record *c1[2] = {make_generated(old, "a", "1", 1),
                           make_record("o-1", "a", "1", 1500, 2, 2)};
    commit(f, c1, 2);
    state_record *c2[2] = {make_generated(fresh, "a", "1", 3),
                           make_record("f-1", "a", "1", 5000, 4, 2)};
    commit(f, c2, 2);
    ferry_error err;
    assert_int_equal(sqlite3_exec(f->db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(chunk_store_expire(f->chunks, "a", 2000, &err), FERRY_OK);
    assert_int_equal(sqlite3_exec(f->db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    float v;
    char model[64];
    assert_false(find(f, old, NULL, NULL, &v, model));
    assert_false(find(f, "o-1", NULL, NULL, &v, model));
    assert_true(find(f, fresh, NULL, NULL, &v, model));
    assert_true(v == 3.0f);
    assert_int_equal(query_int(f, "SELECT count(*) FROM prediction_chunks"), 1);
    assert_int_equal(query_int(f, "SELECT count(*) FROM prediction_ids"), 1);
    assert_int_equal(query_int(f, "SELECT count(*) FROM prediction_ids WHERE id = 'f-1'"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_split_by_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_by_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_in_several_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expire, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_by_span, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generated_found_by_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expire_generated, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
