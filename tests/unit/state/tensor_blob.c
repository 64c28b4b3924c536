/* Unit tests for the prediction log's binary tensor lists (src/state/tensor_blob.c): round trips
 * of every kind of tensor the log sees (FP32, INT64, BOOL, BYTES, a scalar, an empty tensor, an
 * unnamed one), aligned data in the views, counting without reading, and every damaged blob
 * refused with a reason: each truncation, a wrong magic, a bad dtype or rank, trailing bytes and
 * an unaligned pointer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "state/tensor_blob.h"

static float fp32[6] = {0.5f, -1.25f, 3.0e-8f, 1.0e30f, -0.0f, 7.0f};
static int64_t int64[4] = {INT64_MIN, -1, 0, INT64_MAX};
static uint8_t booleans[4] = {1, 0, 0, 1};
/* Two BYTES elements in the wire layout: a 4-byte little-endian length, then the bytes. */
static const unsigned char bytes[] = {3, 0, 0, 0, 'a', 'b', 'c', 0, 0, 0, 0};

static void sample_tensors(ferry_tensor t[6])
{
    t[0] = (ferry_tensor){.name = "x",
                          .dtype = FERRY_DTYPE_FP32,
                          .ndim = 2,
                          .shape = {2, 3},
                          .data = fp32,
                          .nbytes = sizeof fp32};
    t[1] = (ferry_tensor){.name = "a longer input name",
                          .dtype = FERRY_DTYPE_INT64,
                          .ndim = 1,
                          .shape = {4},
                          .data = int64,
                          .nbytes = sizeof int64};
    t[2] = (ferry_tensor){.name = "mask",
                          .dtype = FERRY_DTYPE_BOOL,
                          .ndim = 2,
                          .shape = {2, 2},
                          .data = booleans,
                          .nbytes = sizeof booleans};
    t[3] = (ferry_tensor){.name = "text",
                          .dtype = FERRY_DTYPE_BYTES,
                          .ndim = 1,
                          .shape = {2},
                          .data = (void *)bytes,
                          .nbytes = sizeof bytes};
    t[4] = (ferry_tensor){.name = "scalar",
                          .dtype = FERRY_DTYPE_FP32,
                          .ndim = 0,
                          .data = fp32,
                          .nbytes = sizeof(float)};
    t[5] = (ferry_tensor){.name = NULL,
                          .dtype = FERRY_DTYPE_FP64,
                          .ndim = 2,
                          .shape = {0, 5},
                          .data = NULL,
                          .nbytes = 0};
}

/* A blob of the sample tensors in malloc'ed (so aligned) memory; its size in *len. */
static void *sample_blob(size_t *len)
{
    ferry_tensor t[6];
    sample_tensors(t);
    *len = tensor_blob_size(t, 6);
    void *blob = malloc(*len);
    assert_non_null(blob);
    memset(blob, 0xAB, *len); /* padding must be written, not left over */
    tensor_blob_write(blob, t, 6);
    return blob;
}

static void test_round_trip(void **state)
{
    (void)state;
    ferry_tensor want[6], got[6];
    sample_tensors(want);
    size_t len, n = 0;
    void *blob = sample_blob(&len);
    ferry_error err;
    assert_int_equal(tensor_blob_read(blob, len, got, 6, &n, &err), FERRY_OK);
    assert_int_equal(n, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(got[i].name, want[i].name != NULL ? want[i].name : "");
        assert_int_equal(got[i].dtype, want[i].dtype);
        assert_int_equal(got[i].ndim, want[i].ndim);
        assert_memory_equal(got[i].shape, want[i].shape, (size_t)want[i].ndim * sizeof(int64_t));
        assert_int_equal(got[i].nbytes, want[i].nbytes);
        assert_false(got[i].owned);
        assert_int_equal((uintptr_t)got[i].data % TENSOR_BLOB_ALIGN, 0);
        if (want[i].nbytes > 0)
            assert_memory_equal(got[i].data, want[i].data, want[i].nbytes);
    }
    free(blob);
}

/* The same tensors give the same bytes: no uninitialised padding reaches the database. */
static void test_padding_is_written(void **state)
{
    (void)state;
    size_t len;
    void *a = sample_blob(&len);
    ferry_tensor t[6];
    sample_tensors(t);
    void *b = calloc(1, len);
    assert_non_null(b);
    tensor_blob_write(b, t, 6);
    assert_memory_equal(a, b, len);
    free(a);
    free(b);
}

static void test_count_and_first(void **state)
{
    (void)state;
    size_t len, n = 99;
    void *blob = sample_blob(&len);
    ferry_error err;
    assert_int_equal(tensor_blob_read(blob, len, NULL, 0, &n, &err), FERRY_OK);
    assert_int_equal(n, 6);
    ferry_tensor first;
    assert_int_equal(tensor_blob_read(blob, len, &first, 1, &n, &err), FERRY_OK);
    assert_int_equal(n, 6);
    assert_string_equal(first.name, "x");
    assert_true(((const float *)first.data)[1] == -1.25f);
    free(blob);
}

static void test_empty_list(void **state)
{
    (void)state;
    size_t len = tensor_blob_size(NULL, 0), n = 1;
    void *blob = malloc(len);
    assert_non_null(blob);
    tensor_blob_write(blob, NULL, 0);
    ferry_error err;
    assert_int_equal(tensor_blob_read(blob, len, NULL, 0, &n, &err), FERRY_OK);
    assert_int_equal(n, 0);
    free(blob);
}

static void expect_refused(void *blob, size_t len, const char *reason)
{
    ferry_tensor views[6];
    size_t n = 7;
    ferry_error err = {0};
    assert_int_equal(tensor_blob_read(blob, len, views, 6, &n, &err), FERRY_INVALID_ARG);
    assert_int_equal(n, 0);
    if (strstr(err.message, reason) == NULL)
        fail_msg("expected '%s' in: %s", reason, err.message);
}

static void test_every_truncation_refused(void **state)
{
    (void)state;
    size_t len;
    unsigned char *blob = sample_blob(&len);
    for (size_t cut = 0; cut < len; cut++) {
        ferry_tensor views[6];
        size_t n = 7;
        ferry_error err;
        if (tensor_blob_read(blob, cut, views, 6, &n, &err) == FERRY_OK)
            fail_msg("a blob cut to %zu of %zu bytes was read", cut, len);
        assert_int_equal(n, 0);
    }
    free(blob);
}

static void test_damage_refused(void **state)
{
    (void)state;
    size_t len;
    unsigned char *blob = sample_blob(&len);
    blob[0] = 'X';
    expect_refused(blob, len, "bad magic");
    blob[0] = 'F';
    blob[8] = FERRY_DTYPE_COUNT; /* the first tensor's dtype */
    expect_refused(blob, len, "tensor 0 has dtype");
    blob[8] = FERRY_DTYPE_FP32;
    blob[9] = FERRY_MAX_DIMS + 1; /* its rank */
    expect_refused(blob, len, "dimensions");
    blob[9] = 2;
    uint64_t huge = UINT64_MAX;
    memcpy(blob + 16, &huge, sizeof huge); /* its nbytes */
    expect_refused(blob, len, "truncated");
    free(blob);

    blob = sample_blob(&len);
    unsigned char *longer = calloc(1, len + 8);
    assert_non_null(longer);
    memcpy(longer, blob, len);
    expect_refused(longer, len + 8, "bytes after the tensors");
    free(longer);
    unsigned char *unaligned = malloc(len + 1);
    assert_non_null(unaligned);
    memcpy(unaligned + 1, blob, len);
    expect_refused(unaligned + 1, len, "not aligned");
    free(unaligned);
    free(blob);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_padding_is_written),
        cmocka_unit_test(test_count_and_first),
        cmocka_unit_test(test_empty_list),
        cmocka_unit_test(test_every_truncation_refused),
        cmocka_unit_test(test_damage_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
