/* Unit tests for the prediction log's chunk format (src/state/prediction_chunk.c): predictions
 * packed and found again by slot (ids, times, rows, flags, both tensor blobs, 8-aligned parts), the
 * smallest and largest time, sizes that add up, and damaged bodies refused with a reason (bad
 * magic, a slot out of range, truncation, an offset pointing outside). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "state/prediction_chunk.h"
#include "state/tensor_blob.h"

/* A prediction record with n floats of inputs (i, i+1, ...) and one output (i / 10). */
static state_record *make_record(const char *id, int64_t ts, int i, size_t n)
{
    float in[64], out = (float)i / 10.0f;
    for (size_t k = 0; k < n; k++)
        in[k] = (float)(i + (int)k);
    ferry_tensor input = {.name = "input",
                          .dtype = FERRY_DTYPE_FP32,
                          .ndim = 2,
                          .shape = {1, (int64_t)n},
                          .data = in,
                          .nbytes = n * sizeof(float)};
    ferry_tensor output = {.name = "predict",
                           .dtype = FERRY_DTYPE_FP32,
                           .ndim = 1,
                           .shape = {1},
                           .data = &out,
                           .nbytes = sizeof out};
    state_record *r = state_record_new(STATE_RECORD_PREDICTION, id, "m", "1", NULL,
                                       tensor_blob_size(&input, 1), tensor_blob_size(&output, 1));
    assert_non_null(r);
    r->ts_ms = ts;
    r->rows = 1 + i;
    tensor_blob_write(r->inputs, &input, 1);
    tensor_blob_write(r->outputs, &output, 1);
    return r;
}

typedef struct chunk {
    state_record *recs[3];
    unsigned char *body;
    size_t size;
    int64_t first, last;
} chunk;

static void make_chunk(chunk *c)
{
    c->recs[0] = make_record("a", 2000, 0, 3);
    c->recs[1] = make_record("a-much-longer-client-id", 1000, 1, 30);
    c->recs[2] = make_record("0190a4c2-7b1e-7000-8000-000000000001", 3000, 2, 1);
    c->recs[2]->flags = STATE_RECORD_ID_GENERATED; /* as if ferry had made it */
    c->size = prediction_chunk_size(c->recs, 3);
    c->body = malloc(c->size);
    assert_non_null(c->body);
    prediction_chunk_write(c->body, c->recs, 3, &c->first, &c->last);
}

static void free_chunk(chunk *c)
{
    for (int i = 0; i < 3; i++)
        state_record_free(c->recs[i]);
    free(c->body);
}

static void test_round_trip(void **state)
{
    (void)state;
    chunk c;
    make_chunk(&c);
    size_t expect = PREDICTION_CHUNK_HEADER;
    for (int i = 0; i < 3; i++)
        expect += prediction_chunk_entry_size(c.recs[i]);
    assert_int_equal(c.size, expect);
    assert_int_equal(c.first, 1000);
    assert_int_equal(c.last, 3000);
    size_t n = 0;
    ferry_error err;
    assert_int_equal(prediction_chunk_count(prediction_chunk_read_memory, c.body, c.size, &n, &err),
                     FERRY_OK);
    assert_int_equal(n, 3);
    for (size_t slot = 0; slot < 3; slot++) {
        const state_record *r = c.recs[slot];
        prediction_loc loc;
        assert_int_equal(
            prediction_chunk_locate(prediction_chunk_read_memory, c.body, c.size, slot, &loc, &err),
            FERRY_OK);
        assert_int_equal(loc.ts, r->ts_ms);
        assert_int_equal(loc.rows, r->rows);
        assert_int_equal(loc.flags, slot == 2 ? PREDICTION_CHUNK_ID_GENERATED : 0);
        assert_int_equal(loc.id_len, strlen(r->id));
        assert_string_equal((const char *)c.body + loc.id_off, r->id);
        assert_int_equal(loc.inputs_len, r->inputs_len);
        assert_int_equal(loc.outputs_len, r->outputs_len);
        assert_int_equal(loc.inputs_off % TENSOR_BLOB_ALIGN, 0);
        assert_int_equal(loc.outputs_off % TENSOR_BLOB_ALIGN, 0);
        assert_memory_equal(c.body + loc.inputs_off, r->inputs, r->inputs_len);
        assert_memory_equal(c.body + loc.outputs_off, r->outputs, r->outputs_len);
        size_t count = 0;
        assert_int_equal(
            tensor_blob_read(c.body + loc.outputs_off, loc.outputs_len, NULL, 0, &count, &err),
            FERRY_OK);
        assert_int_equal(count, 1);
    }
    free_chunk(&c);
}

/* A body an earlier build wrote has flags 0 in every entry: read as client ids. */
static void test_flags_zero_before(void **state)
{
    (void)state;
    chunk c;
    make_chunk(&c);
    prediction_loc loc;
    ferry_error err;
    assert_int_equal(
        prediction_chunk_locate(prediction_chunk_read_memory, c.body, c.size, 2, &loc, &err),
        FERRY_OK);
    uint32_t zero = 0;
    memcpy(c.body + loc.id_off - PREDICTION_CHUNK_ENTRY + 20, &zero, 4);
    assert_int_equal(
        prediction_chunk_locate(prediction_chunk_read_memory, c.body, c.size, 2, &loc, &err),
        FERRY_OK);
    assert_int_equal(loc.flags, 0);
    assert_int_equal(loc.ts, 3000);
    free_chunk(&c);
}

static void expect_refused(const void *body, size_t size, size_t slot, const char *why)
{
    prediction_loc loc;
    ferry_error err = {0};
    assert_int_equal(
        prediction_chunk_locate(prediction_chunk_read_memory, (void *)body, size, slot, &loc, &err),
        FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, why));
}

static void test_damaged(void **state)
{
    (void)state;
    chunk c;
    make_chunk(&c);
    expect_refused(c.body, c.size, 3, "slot 3 of 3");
    expect_refused(c.body, 4, 0, "bad header");
    expect_refused(c.body, 12, 0, "do not fit");
    expect_refused(c.body, c.size - 8, 2, "outside the body");
    unsigned char *copy = malloc(c.size);
    assert_non_null(copy);
    memcpy(copy, c.body, c.size);
    copy[0] = 'X';
    expect_refused(copy, c.size, 0, "bad header");
    memcpy(copy, c.body, c.size);
    uint64_t far = (uint64_t)c.size; /* slot 1's offset past the end */
    memcpy(copy + PREDICTION_CHUNK_HEADER + 8, &far, 8);
    expect_refused(copy, c.size, 1, "bad offset");
    far = 9; /* not 8-aligned */
    memcpy(copy + PREDICTION_CHUNK_HEADER + 8, &far, 8);
    expect_refused(copy, c.size, 1, "bad offset");
    free(copy);
    free_chunk(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_flags_zero_before),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
