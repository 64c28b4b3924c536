/* Unit tests for dtype conversion (src/core/convert.c): FP64 to FP32 rounding, integers and BOOL
 * to floats, floats to integers as C casts them, the name and shape carried over into arena data,
 * and BYTES / FP16 / BF16 refused as UNSUPPORTED. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "core/convert.h"

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

static ferry_tensor tensor_of(ferry_dtype dtype, void *data, size_t nbytes, int64_t rows,
                              int64_t cols)
{
    return (ferry_tensor){.name = "input",
                          .dtype = dtype,
                          .ndim = 2,
                          .shape = {rows, cols},
                          .data = data,
                          .nbytes = nbytes};
}

static int setup(void **state)
{
    static arena a;
    arena_init(&a, 1 << 20);
    *state = &a;
    return 0;
}

static int teardown(void **state)
{
    arena_free(*state);
    return 0;
}

static void test_supported_set(void **state)
{
    (void)state;
    const ferry_dtype yes[] = {FERRY_DTYPE_BOOL,   FERRY_DTYPE_UINT8,  FERRY_DTYPE_UINT16,
                               FERRY_DTYPE_UINT32, FERRY_DTYPE_UINT64, FERRY_DTYPE_INT8,
                               FERRY_DTYPE_INT16,  FERRY_DTYPE_INT32,  FERRY_DTYPE_INT64,
                               FERRY_DTYPE_FP32,   FERRY_DTYPE_FP64};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(convert_supported(yes[i]));
    assert_false(convert_supported(FERRY_DTYPE_BYTES));
    assert_false(convert_supported(FERRY_DTYPE_FP16));
    assert_false(convert_supported(FERRY_DTYPE_BF16));
    assert_false(convert_supported(FERRY_DTYPE_INVALID));
    assert_false(convert_supported(FERRY_DTYPE_COUNT));
}

static void test_fp64_to_fp32(void **state)
{
    arena *a = *state;
    double in[6] = {1.5, -2.25, 0.1, 1.0 / 3.0, 16777217.0, NAN};
    ferry_tensor src = tensor_of(FERRY_DTYPE_FP64, in, sizeof in, 2, 3);
    ferry_tensor dst;
    ferry_error err;
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_FP32, &dst, a, &err), FERRY_OK);
    assert_string_equal(dst.name, "input");
    assert_int_equal(dst.dtype, FERRY_DTYPE_FP32);
    assert_int_equal(dst.ndim, 2);
    assert_int_equal(dst.shape[0], 2);
    assert_int_equal(dst.shape[1], 3);
    assert_int_equal(dst.nbytes, 6 * sizeof(float));
    assert_false(dst.owned);
    assert_ptr_not_equal(dst.data, in);
    assert_int_equal((uintptr_t)dst.data % 64, 0); /* arena data */
    const float *out = dst.data;
    assert_true(out[0] == 1.5f);
    assert_true(out[1] == -2.25f);
    assert_true(out[2] == 0.1f); /* rounded to nearest, as the C cast does */
    assert_true(out[3] == (float)(1.0 / 3.0));
    assert_true(out[4] == 16777216.0f);
    assert_true(isnan(out[5]));
    /* The source is left alone. */
    assert_true(in[2] == 0.1);
}

static void test_ints_to_floats(void **state)
{
    arena *a = *state;
    ferry_error err;
    ferry_tensor dst;

    int32_t i32[4] = {-3, 0, 7, INT32_MAX};
    ferry_tensor src = tensor_of(FERRY_DTYPE_INT32, i32, sizeof i32, 1, 4);
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_FP32, &dst, a, &err), FERRY_OK);
    const float *f = dst.data;
    assert_true(f[0] == -3.0f && f[1] == 0.0f && f[2] == 7.0f && f[3] == 2147483648.0f);
    assert_int_equal(dst.nbytes, 16);

    int64_t i64[2] = {INT64_C(1) << 53, -(INT64_C(1) << 40)};
    src = tensor_of(FERRY_DTYPE_INT64, i64, sizeof i64, 2, 1);
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_FP64, &dst, a, &err), FERRY_OK);
    const double *d = dst.data;
    assert_true(d[0] == 9007199254740992.0 && d[1] == -1099511627776.0);

    uint8_t u8[3] = {0, 128, 255};
    src = tensor_of(FERRY_DTYPE_UINT8, u8, sizeof u8, 1, 3);
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_FP32, &dst, a, &err), FERRY_OK);
    f = dst.data;
    assert_true(f[0] == 0.0f && f[1] == 128.0f && f[2] == 255.0f);
    assert_int_equal(dst.nbytes, 12);

    int8_t i8[2] = {-128, 127};
    src = tensor_of(FERRY_DTYPE_INT8, i8, sizeof i8, 1, 2);
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_FP64, &dst, a, &err), FERRY_OK);
    d = dst.data;
    assert_true(d[0] == -128.0 && d[1] == 127.0);

    uint16_t u16[1] = {65535};
    src = tensor_of(FERRY_DTYPE_UINT16, u16, sizeof u16, 1, 1);
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_FP32, &dst, a, &err), FERRY_OK);
    assert_true(((float *)dst.data)[0] == 65535.0f);

    uint32_t u32[1] = {UINT32_MAX};
    src = tensor_of(FERRY_DTYPE_UINT32, u32, sizeof u32, 1, 1);
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_FP64, &dst, a, &err), FERRY_OK);
    assert_true(((double *)dst.data)[0] == 4294967295.0);

    uint64_t u64[1] = {UINT64_C(1) << 63};
    src = tensor_of(FERRY_DTYPE_UINT64, u64, sizeof u64, 1, 1);
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_FP64, &dst, a, &err), FERRY_OK);
    assert_true(((double *)dst.data)[0] == 9223372036854775808.0);

    int16_t i16[1] = {-32768};
    src = tensor_of(FERRY_DTYPE_INT16, i16, sizeof i16, 1, 1);
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_FP32, &dst, a, &err), FERRY_OK);
    assert_true(((float *)dst.data)[0] == -32768.0f);
}

static void test_bool_conversions(void **state)
{
    arena *a = *state;
    ferry_error err;
    ferry_tensor dst;
    uint8_t b[3] = {0, 1, 2}; /* any non-zero byte is true */
    ferry_tensor src = tensor_of(FERRY_DTYPE_BOOL, b, sizeof b, 1, 3);
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_FP32, &dst, a, &err), FERRY_OK);
    const float *f = dst.data;
    assert_true(f[0] == 0.0f && f[1] == 1.0f && f[2] == 1.0f);

    double d[3] = {0.0, 0.5, -3.0};
    src = tensor_of(FERRY_DTYPE_FP64, d, sizeof d, 1, 3);
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_BOOL, &dst, a, &err), FERRY_OK);
    const uint8_t *out = dst.data;
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 1);
    assert_int_equal(out[2], 1);
    assert_int_equal(dst.nbytes, 3);
}

static void test_floats_to_ints_truncate(void **state)
{
    arena *a = *state;
    ferry_error err;
    ferry_tensor dst;
    float f[4] = {2.7f, -2.7f, 0.0f, 100.0f};
    ferry_tensor src = tensor_of(FERRY_DTYPE_FP32, f, sizeof f, 2, 2);
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_INT32, &dst, a, &err), FERRY_OK);
    const int32_t *i = dst.data;
    assert_int_equal(i[0], 2);
    assert_int_equal(i[1], -2);
    assert_int_equal(i[2], 0);
    assert_int_equal(i[3], 100);
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_INT64, &dst, a, &err), FERRY_OK);
    assert_int_equal(((int64_t *)dst.data)[3], 100);
    assert_int_equal(dst.nbytes, 32);
}

static void test_same_dtype_copies(void **state)
{
    arena *a = *state;
    ferry_error err;
    ferry_tensor dst;
    float f[2] = {1.25f, -0.0f};
    ferry_tensor src = tensor_of(FERRY_DTYPE_FP32, f, sizeof f, 1, 2);
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_FP32, &dst, a, &err), FERRY_OK);
    assert_ptr_not_equal(dst.data, f);
    assert_memory_equal(dst.data, f, sizeof f);
}

static void test_empty_tensor(void **state)
{
    arena *a = *state;
    ferry_error err;
    ferry_tensor dst;
    double none[1];
    ferry_tensor src = tensor_of(FERRY_DTYPE_FP64, none, 0, 0, 30);
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_FP32, &dst, a, &err), FERRY_OK);
    assert_int_equal(dst.nbytes, 0);
    assert_int_equal(dst.shape[0], 0);
    assert_int_equal(dst.shape[1], 30);
    assert_non_null(dst.data);
}

static void test_unsupported(void **state)
{
    arena *a = *state;
    ferry_error err;
    ferry_tensor dst;
    unsigned char bytes[8] = {3, 0, 0, 0, 'a', 'b', 'c', 0};
    ferry_tensor src = tensor_of(FERRY_DTYPE_BYTES, bytes, 7, 1, 1);
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_FP32, &dst, a, &err), FERRY_UNSUPPORTED);
    assert_int_equal(err.code, FERRY_UNSUPPORTED);
    assert_contains(err.message, "'input'");
    assert_contains(err.message, "BYTES");
    assert_contains(err.message, "FP32");

    float f[1] = {1};
    src = tensor_of(FERRY_DTYPE_FP32, f, sizeof f, 1, 1);
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_BYTES, &dst, a, &err), FERRY_UNSUPPORTED);
    assert_contains(err.message, "FP32 to BYTES");
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_FP16, &dst, a, &err), FERRY_UNSUPPORTED);
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_INVALID, &dst, a, &err), FERRY_UNSUPPORTED);

    uint16_t half[1] = {0x3c00};
    src = tensor_of(FERRY_DTYPE_FP16, half, sizeof half, 1, 1);
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_FP32, &dst, a, &err), FERRY_UNSUPPORTED);
    assert_contains(err.message, "FP16");
    src = tensor_of(FERRY_DTYPE_BF16, half, sizeof half, 1, 1);
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_FP32, &dst, a, &err), FERRY_UNSUPPORTED);
}

static void test_arena_exhausted(void **state)
{
    (void)state;
    arena small;
    arena_init(&small, 1024);
    static double big[1000];
    ferry_tensor src = tensor_of(FERRY_DTYPE_FP64, big, sizeof big, 1, 1000);
    ferry_tensor dst;
    ferry_error err;
    assert_int_equal(convert_tensor(&src, FERRY_DTYPE_FP32, &dst, &small, &err), FERRY_NO_MEMORY);
    assert_contains(err.message, "'input'");
    arena_free(&small);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_supported_set),
        cmocka_unit_test(test_fp64_to_fp32),
        cmocka_unit_test(test_ints_to_floats),
        cmocka_unit_test(test_bool_conversions),
        cmocka_unit_test(test_floats_to_ints_truncate),
        cmocka_unit_test(test_same_dtype_copies),
        cmocka_unit_test(test_empty_tensor),
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_arena_exhausted),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
