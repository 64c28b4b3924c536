/* Unit tests for dynamic batching's tensor work (src/serving/batcher.c): stacking checks, FP32 and
 * BYTES requests concatenated along dimension 0 and sliced back row for row, and slices past the
 * batch refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "serving/batcher.h"

static arena g_arena;

static int setup(void **state)
{
    (void)state;
    arena_init(&g_arena, 1u << 20);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_free(&g_arena);
    return 0;
}

static ferry_tensor fp32(float *data, int64_t rows, int64_t cols)
{
    return (ferry_tensor){.name = "x",
                          .dtype = FERRY_DTYPE_FP32,
                          .ndim = 2,
                          .shape = {rows, cols},
                          .data = data,
                          .nbytes = (size_t)(rows * cols) * sizeof(float)};
}

static void test_stackable(void **state)
{
    (void)state;
    float d[6] = {0};
    ferry_tensor a = fp32(d, 1, 3), b = fp32(d, 2, 3), c = fp32(d, 2, 2);
    assert_true(batcher_stackable(&a, &b));
    assert_false(batcher_stackable(&a, &c));
    ferry_tensor e = b;
    e.dtype = FERRY_DTYPE_INT32;
    assert_false(batcher_stackable(&a, &e));
    ferry_tensor scalar = {.dtype = FERRY_DTYPE_FP32, .ndim = 0};
    assert_false(batcher_stackable(&scalar, &scalar));
}

static void test_concat_and_slice_fp32(void **state)
{
    (void)state;
    float a[3] = {1, 2, 3}, b[6] = {4, 5, 6, 7, 8, 9}, c[3] = {10, 11, 12};
    ferry_tensor ta = fp32(a, 1, 3), tb = fp32(b, 2, 3), tc = fp32(c, 1, 3);
    const ferry_tensor *parts[3] = {&ta, &tb, &tc};
    ferry_tensor batch;
    ferry_error err;
    assert_int_equal(batcher_concat(parts, 3, 0, &g_arena, &batch, &err), FERRY_OK);
    assert_int_equal(batch.shape[0], 4);
    assert_int_equal(batch.shape[1], 3);
    assert_int_equal(batch.nbytes, 12 * sizeof(float));
    float want[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    assert_memory_equal(batch.data, want, sizeof want);
    ferry_tensor piece;
    assert_int_equal(batcher_slice(&batch, 1, 2, &g_arena, &piece, &err), FERRY_OK);
    assert_int_equal(piece.shape[0], 2);
    assert_memory_equal(piece.data, b, sizeof b);
    assert_int_equal(batcher_slice(&batch, 3, 1, &g_arena, &piece, &err), FERRY_OK);
    assert_memory_equal(piece.data, c, sizeof c);
    assert_int_equal(batcher_slice(&batch, 3, 2, &g_arena, &piece, &err), FERRY_INTERNAL);
    assert_non_null(strstr(err.message, "output 'x'"));
}

/* Appends a length-prefixed string. */
static size_t put(unsigned char *p, const char *s)
{
    uint32_t n = (uint32_t)strlen(s);
    memcpy(p, &n, 4);
    memcpy(p + 4, s, n);
    return 4 + n;
}

static void test_concat_and_slice_bytes(void **state)
{
    (void)state;
    unsigned char a[64], b[64];
    size_t na = put(a, "one"), nb = 0;
    nb += put(b + nb, "");
    nb += put(b + nb, "three");
    ferry_tensor ta = {
        .name = "s", .dtype = FERRY_DTYPE_BYTES, .ndim = 1, .shape = {1}, .data = a, .nbytes = na};
    ferry_tensor tb = {
        .name = "s", .dtype = FERRY_DTYPE_BYTES, .ndim = 1, .shape = {2}, .data = b, .nbytes = nb};
    const ferry_tensor *parts[2] = {&ta, &tb};
    ferry_tensor batch, piece;
    ferry_error err;
    assert_int_equal(batcher_concat(parts, 2, 0, &g_arena, &batch, &err), FERRY_OK);
    assert_int_equal(batch.shape[0], 3);
    assert_int_equal(batch.nbytes, na + nb);
    assert_int_equal(batcher_slice(&batch, 1, 2, &g_arena, &piece, &err), FERRY_OK);
    assert_int_equal(piece.nbytes, nb);
    assert_memory_equal(piece.data, b, nb);
    assert_int_equal(batcher_slice(&batch, 0, 1, &g_arena, &piece, &err), FERRY_OK);
    assert_memory_equal(piece.data, a, na);
    batch.nbytes -= 2; /* a truncated last element */
    assert_int_equal(batcher_slice(&batch, 2, 1, &g_arena, &piece, &err), FERRY_INTERNAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stackable),
        cmocka_unit_test_setup_teardown(test_concat_and_slice_fp32, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concat_and_slice_bytes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
