/* Unit tests for Cast (src/onnx/ops/cast.c, numtext.c) beyond ONNX's node tests (which cover
 * only float <-> double here): to and from FLOAT16 and BFLOAT16 (rounding to nearest-even,
 * overflow, NaN, subnormals, saturation into integers, bit-exact same-type casts); numbers to
 * strings (shortest text that reads back) and strings to numbers (integer literals exact, others
 * through double; a string that is no number fails the request naming the element), random floats
 * through text and back unchanged, the text kept alive while later steps run, and a target ferry
 * has no type for refused at load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "onnx/tensor_proto.h"
#include "onnx_model.h"

/* ONNX's TensorProto.DataType numbers used here. */
enum {
    T_FLOAT = 1,
    T_UINT8 = 2,
    T_INT8 = 3,
    T_INT32 = 6,
    T_INT64 = 7,
    T_STRING = 8,
    T_BOOL = 9,
    T_FLOAT16 = 10,
    T_DOUBLE = 11,
    T_UINT64 = 13,
    T_COMPLEX64 = 14,
    T_BFLOAT16 = 16
};

/* Loads x -> Cast(to) -> y for n elements of `from`, runs it on `x` and copies y to `y`. */
static void cast_run(ferry_dtype from, ferry_dtype to, int64_t proto_to, int64_t n, const void *x,
                     void *y)
{
    const int64_t s[] = {n};
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "x", from, 1, s);
    ts_onnx_output(b, "y", to, 1, s);
    int node = ts_onnx_node(b, "Cast", "x", "y");
    ts_onnx_attr_int(b, node, "to", proto_to);
    onnx_model *m = ts_onnx_load_ok(b);
    ferry_tensor in = ts_onnx_tensor("x", from, 1, s, x), out;
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, &out, &a);
    assert_int_equal(out.dtype, to);
    assert_int_equal(out.nbytes, (size_t)n * ferry_dtype_size(to));
    memcpy(y, out.data, out.nbytes);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_float_to_fp16_and_back(void **state)
{
    (void)state;
    const float x[] = {1.0f,     0.1f,         65504.0f,        65520.0f, -1e9f, 0x1p-24f,
                       0x1p-25f, 3 * 0x1p-25f, 1.0f + 0x1p-11f, INFINITY, NAN,   -0.0f};
    const uint16_t want[] = {0x3c00, 0x2e66, 0x7bff, 0x7c00, 0xfc00, 0x0001,
                             0x0000, 0x0002, 0x3c00, 0x7c00, 0x7e00, 0x8000};
    uint16_t h[12];
    cast_run(FERRY_DTYPE_FP32, FERRY_DTYPE_FP16, T_FLOAT16, 12, x, h);
    for (int i = 0; i < 12; i++)
        if (i != 10 && h[i] != want[i])
            fail_msg("element %d: 0x%04x, expected 0x%04x", i, h[i], want[i]);
    assert_int_equal(h[10] & 0x7e00, 0x7e00);
    float back[12];
    cast_run(FERRY_DTYPE_FP16, FERRY_DTYPE_FP32, T_FLOAT, 12, h, back);
    assert_true(back[0] == 1.0f);
    assert_true(back[1] == 0.0999755859375f);
    assert_true(back[2] == 65504.0f && back[3] == INFINITY && back[4] == -INFINITY);
    assert_true(back[5] == 0x1p-24f && back[6] == 0.0f && back[7] == 0x1p-23f);
    assert_true(isnan(back[10]) && signbit(back[11]));
}

static void test_double_and_ints_to_bf16(void **state)
{
    (void)state;
    const double x[] = {1.0 + 0x1p-8 + 0x1p-30, 3.14159265358979, 1e39, 1e-40};
    const uint16_t want[] = {0x3f81, 0x4049, 0x7f80, 0x0001};
    uint16_t b[4];
    cast_run(FERRY_DTYPE_FP64, FERRY_DTYPE_BF16, T_BFLOAT16, 4, x, b);
    assert_memory_equal(b, want, sizeof want);
    const int64_t i[] = {257, -3, INT64_MAX};
    uint16_t bi[3];
    cast_run(FERRY_DTYPE_INT64, FERRY_DTYPE_BF16, T_BFLOAT16, 3, i, bi);
    assert_int_equal(bi[0], 0x4380); /* 257 is a tie between 256 and 258: to even 256 */
    assert_int_equal(bi[1], 0xc040);
    assert_int_equal(bi[2], 0x5f00); /* 2^63 */
    const uint8_t t[] = {1, 0};
    uint16_t h[2];
    cast_run(FERRY_DTYPE_BOOL, FERRY_DTYPE_FP16, T_FLOAT16, 2, t, h);
    assert_int_equal(h[0], 0x3c00);
    assert_int_equal(h[1], 0x0000);
}

static void test_16_bit_floats_to_integers_and_bool(void **state)
{
    (void)state;
    const uint16_t h[] = {0x3e00 /* 1.5 */, 0xc500 /* -5 */, 0x7c00 /* inf */, 0x7e00 /* NaN */,
                          0x0001};
    int32_t y[5];
    cast_run(FERRY_DTYPE_FP16, FERRY_DTYPE_INT32, T_INT32, 5, h, y);
    assert_memory_equal(y, ((int32_t[]){1, -5, INT32_MAX, 0, 0}), sizeof y);
    uint8_t flags[5];
    cast_run(FERRY_DTYPE_FP16, FERRY_DTYPE_BOOL, T_BOOL, 5, h, flags);
    assert_memory_equal(flags, ((uint8_t[]){1, 1, 1, 1, 1}), sizeof flags);
    const uint16_t bf[] = {0xff80 /* -inf */, 0x42f7 /* 123.5 */};
    int64_t z[2];
    cast_run(FERRY_DTYPE_BF16, FERRY_DTYPE_INT64, T_INT64, 2, bf, z);
    assert_true(z[0] == INT64_MIN && z[1] == 123);
    double d[2];
    cast_run(FERRY_DTYPE_BF16, FERRY_DTYPE_FP64, T_DOUBLE, 2, bf, d);
    assert_true(d[0] == -INFINITY && d[1] == 123.5);
    /* float16 <-> bfloat16 */
    uint16_t b16[5];
    cast_run(FERRY_DTYPE_FP16, FERRY_DTYPE_BF16, T_BFLOAT16, 5, h, b16);
    assert_int_equal(b16[0], 0x3fc0);
    assert_int_equal(b16[1], 0xc0a0);
    assert_int_equal(b16[2], 0x7f80);
    assert_int_equal(b16[4], 0x3380); /* 2^-24 */
}

/* A same-type Cast copies bits: a signalling NaN's payload survives. */
static void test_same_type_is_bit_exact(void **state)
{
    (void)state;
    const uint16_t h[] = {0x7c01, 0xfd55, 0x1234};
    uint16_t y[3];
    cast_run(FERRY_DTYPE_FP16, FERRY_DTYPE_FP16, T_FLOAT16, 3, h, y);
    assert_memory_equal(y, h, sizeof h);
}

/* ------------------------------------------------------------------------------------------ */
/* Strings                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* Casts n elements of `from` to strings and checks the text. */
static void to_strings(ferry_dtype from, int64_t n, const void *x, const char *const *want)
{
    const int64_t s[] = {n};
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "x", from, 1, s);
    ts_onnx_output(b, "y", FERRY_DTYPE_BYTES, 1, s);
    int node = ts_onnx_node(b, "Cast", "x", "y");
    ts_onnx_attr_int(b, node, "to", T_STRING);
    onnx_model *m = ts_onnx_load_ok(b);
    ferry_tensor in = ts_onnx_tensor("x", from, 1, s, x), out;
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, &out, &a);
    ts_onnx_assert_strings(&out, (size_t)n, want);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_numbers_to_strings(void **state)
{
    (void)state;
    const float f[] = {0.3f,     100.0f,    1e-5f,        -0.0f,    NAN,
                       INFINITY, -INFINITY, 123456789.0f, 0x1p-149f};
    to_strings(FERRY_DTYPE_FP32, 9, f,
               (const char *const[]){"0.3", "100", "1e-05", "-0", "NaN", "INF", "-INF", "123456792",
                                     "1e-45"});
    const double d[] = {0.1, 1.0 / 3.0, -2.2250738585072014e-308, 1e300};
    to_strings(
        FERRY_DTYPE_FP64, 4, d,
        (const char *const[]){"0.1", "0.3333333333333333", "-2.2250738585072014e-308", "1e+300"});
    const int64_t i[] = {INT64_MIN, 0, 42};
    to_strings(FERRY_DTYPE_INT64, 3, i, (const char *const[]){"-9223372036854775808", "0", "42"});
    const uint64_t u[] = {UINT64_MAX};
    to_strings(FERRY_DTYPE_UINT64, 1, u, (const char *const[]){"18446744073709551615"});
    const int8_t c[] = {-128, 127};
    to_strings(FERRY_DTYPE_INT8, 2, c, (const char *const[]){"-128", "127"});
    const uint8_t t[] = {1, 0};
    to_strings(FERRY_DTYPE_BOOL, 2, t, (const char *const[]){"1", "0"});
    const uint16_t h[] = {0x2e66, 0x3555, 0x7bff, 0x0001};
    to_strings(FERRY_DTYPE_FP16, 4, h, (const char *const[]){"0.1", "0.3333", "65504", "6e-08"});
    const uint16_t bf[] = {0x4049, 0x3f80};
    to_strings(FERRY_DTYPE_BF16, 2, bf, (const char *const[]){"3.14", "1"});
}

/* Loads x (strings) -> Cast(to) -> y and runs it on `text`; returns the status, y in `y`. */
static ferry_status from_strings(ferry_dtype to, int64_t proto_to, int64_t n,
                                 const char *const *text, void *y, ferry_error *err)
{
    const int64_t s[] = {n};
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "x", FERRY_DTYPE_BYTES, 1, s);
    ts_onnx_output(b, "y", to, 1, s);
    int node = ts_onnx_node(b, "Cast", "x", "y");
    ts_onnx_attr_int(b, node, "to", proto_to);
    onnx_model *m = ts_onnx_load_ok(b);
    arena a;
    arena_init(&a, 1 << 20);
    ferry_tensor in = ts_onnx_strings("x", 1, s, text, &a), out;
    ferry_status st = ts_onnx_run(m, &in, 1, &out, &a, err);
    if (st == FERRY_OK)
        memcpy(y, out.data, out.nbytes);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
    return st;
}

static void test_strings_to_numbers(void **state)
{
    (void)state;
    static const char *const text[] = {"3.14", " 100\t", "1e-5", "-INF", "nan",
                                       "+Inf", "100.5",  "-7",   "300",  "18446744073709551615"};
    ferry_error err;
    float f[10];
    assert_int_equal(from_strings(FERRY_DTYPE_FP32, T_FLOAT, 10, text, f, &err), FERRY_OK);
    assert_true(f[0] == 3.14f && f[1] == 100.0f && f[2] == 1e-5f && f[3] == -INFINITY);
    assert_true(isnan(f[4]) && f[5] == INFINITY && f[6] == 100.5f && f[7] == -7.0f);
    assert_true(f[8] == 300.0f && f[9] == 18446744073709551615.0f);
    int32_t i[10];
    assert_int_equal(from_strings(FERRY_DTYPE_INT32, T_INT32, 10, text, i, &err), FERRY_OK);
    /* non-integers truncate and saturate as doubles do; integer literals wrap as integers do */
    assert_memory_equal(i, ((int32_t[]){3, 100, 0, INT32_MIN, 0, INT32_MAX, 100, -7, 300, -1}),
                        sizeof i);
    uint8_t u[10];
    assert_int_equal(from_strings(FERRY_DTYPE_UINT8, T_UINT8, 10, text, u, &err), FERRY_OK);
    assert_int_equal(u[7], 249);
    assert_int_equal(u[8], 44);
    static const char *const flags[] = {"0", "0.0", "2", "-0.5", "nan"};
    uint8_t t[5];
    assert_int_equal(from_strings(FERRY_DTYPE_BOOL, T_BOOL, 5, flags, t, &err), FERRY_OK);
    assert_memory_equal(t, ((uint8_t[]){0, 0, 1, 1, 1}), sizeof t);
    static const char *const big[] = {"9223372036854775807", "-9223372036854775808",
                                      "9223372036854775808", "1e19"};
    int64_t l[4];
    assert_int_equal(from_strings(FERRY_DTYPE_INT64, T_INT64, 4, big, l, &err), FERRY_OK);
    assert_true(l[0] == INT64_MAX && l[1] == INT64_MIN && l[2] == INT64_MIN && l[3] == INT64_MAX);
    uint64_t ul[4];
    assert_int_equal(from_strings(FERRY_DTYPE_UINT64, T_UINT64, 4, big, ul, &err), FERRY_OK);
    assert_true(ul[2] == UINT64_C(9223372036854775808) && ul[3] == UINT64_C(10000000000000000000));
    static const char *const halves[] = {"0.1", "65520", "-0"};
    uint16_t h[3];
    assert_int_equal(from_strings(FERRY_DTYPE_FP16, T_FLOAT16, 3, halves, h, &err), FERRY_OK);
    assert_memory_equal(h, ((uint16_t[]){0x2e66, 0x7c00, 0x8000}), sizeof h);
    double d[1];
    assert_int_equal(from_strings(FERRY_DTYPE_FP64, T_DOUBLE, 1, halves, d, &err), FERRY_OK);
    assert_true(d[0] == 0.1);
    int8_t c[1];
    static const char *const neg[] = {"-129"};
    assert_int_equal(from_strings(FERRY_DTYPE_INT8, T_INT8, 1, neg, c, &err), FERRY_OK);
    assert_int_equal(c[0], 127); /* -129 wraps as an int64 cast to int8 does */
}

static void test_string_that_is_no_number_fails(void **state)
{
    (void)state;
    static const char *const bad[][2] = {{"1", "abc"},   {"1", ""},   {"1", "1 2"},
                                         {"1", "12abc"}, {"1", "0x"}, {"1", "\x01\xff"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ferry_error err;
        float f[2];
        if (from_strings(FERRY_DTYPE_FP32, T_FLOAT, 2, bad[k], f, &err) != FERRY_INVALID_ARG)
            fail_msg("'%s' was read as a number", bad[k][1]);
        assert_non_null(strstr(err.message, "(Cast): element 1 ("));
        assert_non_null(strstr(err.message, "is not a number"));
    }
    ferry_error err;
    int64_t l[2];
    assert_int_equal(from_strings(FERRY_DTYPE_INT64, T_INT64, 2, bad[0], l, &err),
                     FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "element 1 ('abc') is not a number"));
}

/* Random float bit patterns (no NaN) through text and back come out bit for bit, as do doubles. */
static void test_floats_round_trip_through_text(void **state)
{
    (void)state;
    enum { N = 4096 };
    const int64_t s[] = {N};
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 1, s);
    ts_onnx_input(b, "d", FERRY_DTYPE_FP64, 1, s);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 1, s);
    ts_onnx_output(b, "e", FERRY_DTYPE_FP64, 1, s);
    ts_onnx_attr_int(b, ts_onnx_node(b, "Cast", "x", "t"), "to", T_STRING);
    ts_onnx_attr_int(b, ts_onnx_node(b, "Cast", "t", "y"), "to", T_FLOAT);
    ts_onnx_attr_int(b, ts_onnx_node(b, "Cast", "d", "u"), "to", T_STRING);
    ts_onnx_attr_int(b, ts_onnx_node(b, "Cast", "u", "e"), "to", T_DOUBLE);
    onnx_model *m = ts_onnx_load_ok(b);
    static float x[N];
    static double d[N];
    uint64_t r = 7;
    for (int i = 0; i < N; i++) {
        r = r * 6364136223846793005u + 1442695040888963407u;
        uint32_t bits = (uint32_t)(r >> 32);
        memcpy(&x[i], &bits, sizeof bits);
        if (isnan(x[i]))
            x[i] = (float)i;
        memcpy(&d[i], &r, sizeof r);
        if (isnan(d[i]))
            d[i] = -i;
    }
    ferry_tensor in[2] = {ts_onnx_tensor("x", FERRY_DTYPE_FP32, 1, s, x),
                          ts_onnx_tensor("d", FERRY_DTYPE_FP64, 1, s, d)},
                 out[2];
    arena a;
    arena_init(&a, 1 << 22);
    ts_onnx_run_ok(m, in, 2, out, &a);
    assert_memory_equal(out[0].data, x, sizeof x);
    assert_memory_equal(out[1].data, d, sizeof d);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

/* The text of a Cast to strings lives to the end of the run: a string-to-string Cast copies
 * pointers to it into a graph output, and the steps planned after it (whose buffers would reuse
 * its scratch otherwise) leave it intact. */
static void test_text_outlives_later_steps(void **state)
{
    (void)state;
    const int64_t s[] = {64};
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "x", FERRY_DTYPE_INT32, 1, s);
    ts_onnx_output(b, "t", FERRY_DTYPE_BYTES, 1, s);
    ts_onnx_output(b, "z", FERRY_DTYPE_INT32, 1, s);
    ts_onnx_attr_int(b, ts_onnx_node(b, "Cast", "x", "a"), "to", T_STRING);
    ts_onnx_attr_int(b, ts_onnx_node(b, "Cast", "a", "t"), "to", T_STRING);
    ts_onnx_node(b, "Neg", "x", "n1");
    ts_onnx_node(b, "Neg", "n1", "n2");
    ts_onnx_node(b, "Neg", "n2", "n3");
    ts_onnx_node(b, "Neg", "n3", "z");
    onnx_model *m = ts_onnx_load_ok(b);
    int32_t x[64];
    char text[64][16];
    const char *want[64];
    for (int i = 0; i < 64; i++) {
        x[i] = 1000000 + i;
        snprintf(text[i], sizeof text[i], "%d", x[i]);
        want[i] = text[i];
    }
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_INT32, 1, s, x), out[2];
    arena a;
    arena_init(&a, 1 << 20);
    ts_onnx_run_ok(m, &in, 1, out, &a);
    ts_onnx_assert_strings(&out[0], 64, want);
    arena_free(&a);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_unknown_target_refused(void **state)
{
    (void)state;
    const int64_t s[] = {2};
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 1, s);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 1, s);
    int node = ts_onnx_node(b, "Cast", "x", "y");
    ts_onnx_attr_int(b, node, "to", T_COMPLEX64);
    ts_onnx_load_fails(b, FERRY_UNSUPPORTED, "casting to COMPLEX64 is not supported");
    ts_onnx_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_to_fp16_and_back),
        cmocka_unit_test(test_double_and_ints_to_bf16),
        cmocka_unit_test(test_16_bit_floats_to_integers_and_bool),
        cmocka_unit_test(test_same_type_is_bit_exact),
        cmocka_unit_test(test_numbers_to_strings),
        cmocka_unit_test(test_strings_to_numbers),
        cmocka_unit_test(test_string_that_is_no_number_fails),
        cmocka_unit_test(test_floats_round_trip_through_text),
        cmocka_unit_test(test_text_outlives_later_steps),
        cmocka_unit_test(test_unknown_target_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
