/* Unit tests for the datatype tables and tensor allocation (src/core/tensor.c): every dtype's OIP
 * name and size round trip, unknown names, element counts (zero, negative and overflowing
 * dimensions, too many dimensions) and owned versus borrowed data on release. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ferry/tensor.h"

#if defined(__SANITIZE_ADDRESS__)
/* The out-of-memory test expects calloc to fail, not ASan to abort the process. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}
#endif

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

static const struct {
    ferry_dtype dtype;
    const char *name;
    size_t size;
} dtypes[] = {
    {FERRY_DTYPE_BOOL, "BOOL", 1},     {FERRY_DTYPE_UINT8, "UINT8", 1},
    {FERRY_DTYPE_UINT16, "UINT16", 2}, {FERRY_DTYPE_UINT32, "UINT32", 4},
    {FERRY_DTYPE_UINT64, "UINT64", 8}, {FERRY_DTYPE_INT8, "INT8", 1},
    {FERRY_DTYPE_INT16, "INT16", 2},   {FERRY_DTYPE_INT32, "INT32", 4},
    {FERRY_DTYPE_INT64, "INT64", 8},   {FERRY_DTYPE_FP16, "FP16", 2},
    {FERRY_DTYPE_FP32, "FP32", 4},     {FERRY_DTYPE_FP64, "FP64", 8},
    {FERRY_DTYPE_BYTES, "BYTES", 0},   {FERRY_DTYPE_BF16, "BF16", 2},
};
#define N_DTYPES (sizeof dtypes / sizeof dtypes[0])

static void test_dtype_round_trip(void **state)
{
    (void)state;
    /* The table above covers every dtype exactly once. */
    assert_int_equal(N_DTYPES, FERRY_DTYPE_COUNT - 1);
    for (size_t i = 0; i < N_DTYPES; i++) {
        assert_string_equal(ferry_dtype_name(dtypes[i].dtype), dtypes[i].name);
        assert_int_equal(ferry_dtype_from_name(dtypes[i].name), dtypes[i].dtype);
        assert_int_equal(ferry_dtype_size(dtypes[i].dtype), dtypes[i].size);
    }
    for (int d = 1; d < FERRY_DTYPE_COUNT; d++)
        assert_int_equal(ferry_dtype_from_name(ferry_dtype_name((ferry_dtype)d)), d);
}

static void test_dtype_unknown(void **state)
{
    (void)state;
    assert_string_equal(ferry_dtype_name(FERRY_DTYPE_INVALID), "INVALID");
    assert_string_equal(ferry_dtype_name(FERRY_DTYPE_COUNT), "INVALID");
    assert_string_equal(ferry_dtype_name((ferry_dtype)1000), "INVALID");
    assert_string_equal(ferry_dtype_name((ferry_dtype)-1), "INVALID");
    assert_int_equal(ferry_dtype_size(FERRY_DTYPE_INVALID), 0);
    assert_int_equal(ferry_dtype_size(FERRY_DTYPE_COUNT), 0);
    assert_int_equal(ferry_dtype_size((ferry_dtype)-1), 0);
    const char *bad[] = {"", "fp32", "Fp32", "FP32 ", " FP32", "FLOAT", "INVALID", "FP", "FP322"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(ferry_dtype_from_name(bad[i]), FERRY_DTYPE_INVALID);
    assert_int_equal(ferry_dtype_from_name(NULL), FERRY_DTYPE_INVALID);
}

static void test_shape_elements(void **state)
{
    (void)state;
    uint64_t n = 0;
    ferry_error err;
    assert_int_equal(ferry_shape_elements(NULL, 0, UINT64_MAX, &n, &err), FERRY_OK);
    assert_int_equal(n, 1); /* a scalar */
    const int64_t s1[] = {2, 3, 4};
    assert_int_equal(ferry_shape_elements(s1, 3, UINT64_MAX, &n, &err), FERRY_OK);
    assert_int_equal(n, 24);
    const int64_t s0[] = {0, 5};
    assert_int_equal(ferry_shape_elements(s0, 2, UINT64_MAX, &n, &err), FERRY_OK);
    assert_int_equal(n, 0);
    /* A zero dimension makes the product zero even with huge dimensions after it. */
    const int64_t zero_first[] = {0, INT64_MAX, INT64_MAX};
    assert_int_equal(ferry_shape_elements(zero_first, 3, UINT64_MAX, &n, &err), FERRY_OK);
    assert_int_equal(n, 0);
    const int64_t eight[8] = {1, 2, 1, 2, 1, 2, 1, 2};
    assert_int_equal(ferry_shape_elements(eight, 8, UINT64_MAX, &n, &err), FERRY_OK);
    assert_int_equal(n, 16);
}

static void test_shape_elements_limit_and_overflow(void **state)
{
    (void)state;
    uint64_t n = 12345;
    ferry_error err;
    const int64_t s[] = {10, 10};
    assert_int_equal(ferry_shape_elements(s, 2, 100, &n, &err), FERRY_OK);
    assert_int_equal(n, 100);
    n = 12345;
    assert_int_equal(ferry_shape_elements(s, 2, 99, &n, &err), FERRY_TOO_LARGE);
    assert_int_equal(err.code, FERRY_TOO_LARGE);
    assert_contains(err.message, "99");
    assert_int_equal(n, 12345); /* untouched on failure */
    /* 2^32 * 2^32 overflows 64 bits: refused, not wrapped to 0. */
    const int64_t wrap[] = {INT64_C(1) << 32, INT64_C(1) << 32};
    assert_int_equal(ferry_shape_elements(wrap, 2, UINT64_MAX, &n, &err), FERRY_TOO_LARGE);
    const int64_t big[] = {INT64_MAX, INT64_MAX};
    assert_int_equal(ferry_shape_elements(big, 2, UINT64_MAX, &n, &err), FERRY_TOO_LARGE);
    const int64_t three[] = {1 << 22, 1 << 22, 1 << 22};
    assert_int_equal(ferry_shape_elements(three, 3, UINT64_MAX, &n, &err), FERRY_TOO_LARGE);
    assert_int_equal(n, 12345);
}

static void test_shape_elements_bad_shapes(void **state)
{
    (void)state;
    uint64_t n = 7;
    ferry_error err;
    const int64_t neg[] = {3, -1, 4};
    assert_int_equal(ferry_shape_elements(neg, 3, UINT64_MAX, &n, &err), FERRY_INVALID_ARG);
    assert_contains(err.message, "dimension 1");
    assert_contains(err.message, "-1");
    const int64_t min[] = {INT64_MIN};
    assert_int_equal(ferry_shape_elements(min, 1, UINT64_MAX, &n, &err), FERRY_INVALID_ARG);
    const int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    assert_int_equal(ferry_shape_elements(nine, 9, UINT64_MAX, &n, &err), FERRY_INVALID_ARG);
    assert_contains(err.message, "9 dimensions");
    assert_int_equal(ferry_shape_elements(nine, -1, UINT64_MAX, &n, &err), FERRY_INVALID_ARG);
    assert_int_equal(n, 7);
    /* A NULL error object is allowed. */
    assert_int_equal(ferry_shape_elements(neg, 3, UINT64_MAX, &n, NULL), FERRY_INVALID_ARG);
}

static void test_alloc_and_release(void **state)
{
    (void)state;
    ferry_error err;
    for (size_t i = 0; i < N_DTYPES; i++) {
        if (dtypes[i].size == 0)
            continue;
        ferry_tensor t;
        const int64_t shape[] = {2, 3};
        assert_int_equal(ferry_tensor_alloc(&t, "x", dtypes[i].dtype, shape, 2, &err), FERRY_OK);
        assert_string_equal(t.name, "x");
        assert_int_equal(t.dtype, dtypes[i].dtype);
        assert_int_equal(t.ndim, 2);
        assert_int_equal(t.shape[0], 2);
        assert_int_equal(t.shape[1], 3);
        assert_int_equal(t.shape[2], 0);
        assert_int_equal(t.nbytes, 6 * dtypes[i].size);
        assert_true(t.owned);
        assert_non_null(t.data);
        for (size_t b = 0; b < t.nbytes; b++)
            assert_int_equal(((unsigned char *)t.data)[b], 0);
        ferry_tensor_release(&t);
        assert_null(t.data);
        assert_int_equal(t.nbytes, 0);
        assert_false(t.owned);
        ferry_tensor_release(&t); /* releasing twice is harmless */
    }
}

static void test_alloc_scalar_and_empty(void **state)
{
    (void)state;
    ferry_error err;
    ferry_tensor t;
    assert_int_equal(ferry_tensor_alloc(&t, "s", FERRY_DTYPE_FP64, NULL, 0, &err), FERRY_OK);
    assert_int_equal(t.ndim, 0);
    assert_int_equal(t.nbytes, 8);
    ferry_tensor_release(&t);
    const int64_t empty[] = {0, 30};
    assert_int_equal(ferry_tensor_alloc(&t, "e", FERRY_DTYPE_FP32, empty, 2, &err), FERRY_OK);
    assert_int_equal(t.nbytes, 0);
    assert_non_null(t.data);
    assert_true(t.owned);
    ferry_tensor_release(&t);
}

static void test_alloc_refuses_bad_input(void **state)
{
    (void)state;
    ferry_error err;
    ferry_tensor t;
    const int64_t shape[] = {2};
    assert_int_equal(ferry_tensor_alloc(&t, "strings", FERRY_DTYPE_BYTES, shape, 1, &err),
                     FERRY_INVALID_ARG);
    assert_contains(err.message, "'strings'");
    assert_contains(err.message, "BYTES");
    assert_int_equal(ferry_tensor_alloc(&t, "bad", FERRY_DTYPE_INVALID, shape, 1, &err),
                     FERRY_INVALID_ARG);
    assert_contains(err.message, "INVALID");
    assert_int_equal(ferry_tensor_alloc(&t, "bad", (ferry_dtype)99, shape, 1, &err),
                     FERRY_INVALID_ARG);
    const int64_t neg[] = {2, -3};
    assert_int_equal(ferry_tensor_alloc(&t, "neg", FERRY_DTYPE_FP32, neg, 2, &err),
                     FERRY_INVALID_ARG);
    const int64_t huge[] = {INT64_MAX, INT64_MAX};
    assert_int_equal(ferry_tensor_alloc(&t, "huge", FERRY_DTYPE_FP64, huge, 2, &err),
                     FERRY_TOO_LARGE);
    /* Fits size_t but not in memory: NO_MEMORY, not a crash. */
    const int64_t vast[] = {INT64_C(1) << 40, INT64_C(1) << 20};
    assert_int_equal(ferry_tensor_alloc(&t, "vast", FERRY_DTYPE_FP32, vast, 2, &err),
                     FERRY_NO_MEMORY);
    assert_contains(err.message, "'vast'");
}

static void test_release_borrowed_and_null(void **state)
{
    (void)state;
    float data[4] = {1, 2, 3, 4};
    ferry_tensor t = {.name = "b",
                      .dtype = FERRY_DTYPE_FP32,
                      .ndim = 1,
                      .shape = {4},
                      .data = data,
                      .nbytes = sizeof data,
                      .owned = false};
    ferry_tensor_release(&t); /* must not free the stack array */
    assert_null(t.data);
    assert_int_equal(data[3], 4.0f);
    ferry_tensor_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dtype_round_trip),
        cmocka_unit_test(test_dtype_unknown),
        cmocka_unit_test(test_shape_elements),
        cmocka_unit_test(test_shape_elements_limit_and_overflow),
        cmocka_unit_test(test_shape_elements_bad_shapes),
        cmocka_unit_test(test_alloc_and_release),
        cmocka_unit_test(test_alloc_scalar_and_empty),
        cmocka_unit_test(test_alloc_refuses_bad_input),
        cmocka_unit_test(test_release_borrowed_and_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
