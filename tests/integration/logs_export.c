/* `ferry logs export` over the chunked prediction log: a database an older ferry wrote (schema
 * version 1, a row per prediction) exported read-only as it is, then, once the state store has
 * migrated it and logged chunked predictions beside the old rows, both exported merged in time
 * order with their labels, in JSON lines and CSV. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "state/state_store.h"
#include "state/tensor_blob.h"
#include "state_v1_schema.h"
#include "test_support.h"

/* What a version 1 ferry created, with predictions at t0 + 1 s and t0 + 3 s (JSON text, as the
 * first log kept them) and a label on the first. %lld: t0 in ms. */
static const char v1_sql[] = TS_STATE_V1_SCHEMA
    "INSERT INTO predictions VALUES('v1-a', %lld + 1000, 'm', '1', 1,"
    " '[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,1],\"data\":[1]}]',"
    " '[{\"name\":\"y\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[0.5]}]');"
    "INSERT INTO predictions VALUES('v1-c', %lld + 3000, 'm', '1', 1, '[]', '[]');"
    "INSERT INTO predictions VALUES('other', %lld + 3000, 'n', '1', 1, '[]', '[]');"
    "INSERT INTO labels VALUES('v1-a', 0, 'm', '1', '1', %lld + 1000);";

static char *g_dir;
static long long g_t0;

static void make_v1_database(void)
{
    char path[4200];
    state_store_path(g_dir, path, sizeof path);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *sql = sqlite3_mprintf(v1_sql, g_t0, g_t0, g_t0, g_t0);
    assert_non_null(sql);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_free(sql);
    sqlite3_close(db);
}

static char *export(const char *options)
{
    char cmd[9000], *out = NULL;
    snprintf(cmd, sizeof cmd, "%s logs export m %s --state %s", ts_ferry_bin(), options, g_dir);
    assert_int_equal(ts_run(cmd, &out), 0);
    return out;
}

/* The ids of out's lines ("id" of JSON lines, the first field of CSV rows), space-separated. */
static void ids_of(const char *out, char *ids, size_t len)
{
    ids[0] = '\0';
    for (const char *line = out; *line; line = strchr(line, '\n') + 1) {
        const char *id = strncmp(line, "{\"id\":\"", 7) == 0 ? line + 7
                         : line[0] == '"'                    ? line + 1
                                                             : NULL;
        if (id != NULL)
            snprintf(ids + strlen(ids), len - strlen(ids), "%s%.*s", ids[0] ? " " : "",
                     (int)strcspn(id, "\""), id);
        if (strchr(line, '\n') == NULL)
            break;
    }
}

static state_record *prediction(const char *id, const char *version, long long ts, float value)
{
    float in[2] = {value, 2};
    ferry_tensor input = {.name = "x",
                          .dtype = FERRY_DTYPE_FP32,
                          .ndim = 2,
                          .shape = {1, 2},
                          .data = in,
                          .nbytes = sizeof in};
    ferry_tensor output = {.name = "y",
                           .dtype = FERRY_DTYPE_FP32,
                           .ndim = 1,
                           .shape = {1},
                           .data = &value,
                           .nbytes = sizeof value};
    state_record *r = state_record_new(STATE_RECORD_PREDICTION, id, "m", version, NULL,
                                       tensor_blob_size(&input, 1), tensor_blob_size(&output, 1));
    assert_non_null(r);
    tensor_blob_write(r->inputs, &input, 1);
    tensor_blob_write(r->outputs, &output, 1);
    r->ts_ms = ts;
    r->rows = 1;
    return r;
}

static void test_v1_database_read_only(void **state)
{
    (void)state;
    char *out = export("");
    char ids[256];
    ids_of(out, ids, sizeof ids);
    assert_string_equal(ids, "v1-a v1-c");
    char want[512];
    snprintf(want, sizeof want,
             "{\"id\":\"v1-a\",\"ts\":%lld,\"model\":\"m\",\"version\":\"1\",\"rows\":1,"
             "\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,1],\"data\":[1]}],"
             "\"outputs\":[{\"name\":\"y\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[0.5]}],"
             "\"labels\":{\"0\":1}}\n",
             g_t0 + 1000);
    assert_true(strncmp(out, want, strlen(want)) == 0);
    free(out);
}

/* Chunked predictions (two versions, one chunk each, logged between and after the v1 rows, one
 * out of order within its chunk) come out merged with the v1 rows by time. */
static void test_chunks_and_v1_rows_merged(void **state)
{
    (void)state;
    state_store *s = NULL;
    ferry_error err;
    assert_int_equal(state_store_open(g_dir, &s, &err), FERRY_OK);
    assert_true(state_store_enqueue(s, prediction("c-b", "1", g_t0 + 2000, 0.25f)));
    assert_true(state_store_enqueue(s, prediction("c-e", "1", g_t0 + 5000, 0.75f)));
    assert_true(state_store_enqueue(s, prediction("c-d", "1", g_t0 + 4000, 0.5f)));
    assert_true(state_store_enqueue(s, prediction("c2-a", "2", g_t0 + 1500, 1.0f)));
    assert_true(state_store_enqueue(s, prediction("c2-f", "2", g_t0 + 6000, 1.0f)));
    state_store_flush(s);
    state_store_close(s);
    char *out = export("");
    char ids[256];
    ids_of(out, ids, sizeof ids);
    assert_string_equal(ids, "v1-a c2-a c-b v1-c c-d c-e c2-f");
    char want[512];
    snprintf(want, sizeof want,
             "{\"id\":\"c-b\",\"ts\":%lld,\"model\":\"m\",\"version\":\"1\",\"rows\":1,"
             "\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,2],\"data\":[0.25,2]}]"
             ",\"outputs\":[{\"name\":\"y\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[0.25]}],"
             "\"labels\":{}}\n",
             g_t0 + 2000);
    assert_non_null(strstr(out, want));
    free(out);
    out = export("--format csv");
    ids_of(out, ids, sizeof ids);
    assert_string_equal(ids, "v1-a c2-a c-b v1-c c-d c-e c2-f");
    assert_true(strncmp(out, "id,ts,model,version,rows,inputs,outputs,labels\n\"v1-a\",", 54) == 0);
    free(out);
}

static int setup(void **state)
{
    (void)state;
    g_dir = ts_mkdtemp();
    g_t0 = ((long long)time(NULL) - 3600) * 1000;
    make_v1_database();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_rmtree(g_dir);
    free(g_dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_database_read_only),
        cmocka_unit_test(test_chunks_and_v1_rows_merged),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
