/* Unit tests for Cast (src/onnx/ops/cast.c) beyond ONNX's node tests (which cover only float <->
 * double here): to and from FLOAT16 and BFLOAT16 (rounding to nearest-even, overflow, NaN,
 * subnormals, saturation into integers, bit-exact same-type casts) and a target ferry has no type
 * for refused at load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "onnx/tensor_proto.h"
#include "onnx_model.h"

/* ONNX's TensorProto.DataType numbers used here. */
enum {
    T_FLOAT = 1,
    T_INT32 = 6,
    T_INT64 = 7,
    T_BOOL = 9,
    T_FLOAT16 = 10,
    T_DOUBLE = 11,
    T_BFLOAT16 = 16,
    T_COMPLEX64 = 14
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
        cmocka_unit_test(test_unknown_target_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
