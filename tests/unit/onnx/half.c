/* Unit tests for FLOAT16 and BFLOAT16 conversions (src/onnx/half.h, half.c): known bit patterns
 * for rounding (ties to even), overflow, NaN, infinities and subnormals; every FLOAT16 pattern
 * widened and narrowed back; and, where the compiler has _Float16 (gcc 12 on x86-64 converts in
 * software without -mf16c), a comparison with its conversions over every pattern and many doubles.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "onnx/half.h"

static uint32_t float_bits(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

static void test_fp16_known_patterns(void **state)
{
    (void)state;
    struct {
        double v;
        uint16_t h;
    } cases[] = {
        {0.0, 0x0000},
        {-0.0, 0x8000},
        {1.0, 0x3c00},
        {-2.0, 0xc000},
        {0.1, 0x2e66},
        {1.0 / 3.0, 0x3555},
        {65504.0, 0x7bff},                 /* the largest finite */
        {65519.99, 0x7bff},                /* just below the halfway point to 65536 */
        {65520.0, 0x7c00},                 /* the halfway point rounds (to even) to infinity */
        {1e10, 0x7c00},                    /* overflow */
        {-1e300, 0xfc00},                  /* overflow, negative */
        {INFINITY, 0x7c00},                /* infinities */
        {-INFINITY, 0xfc00},               /**/
        {1.0 + 0x1p-11, 0x3c00},           /* a tie goes to the even neighbour (down) */
        {1.0 + 3 * 0x1p-11, 0x3c02},       /* a tie goes to the even neighbour (up) */
        {1.0 + 0x1p-11 + 0x1p-40, 0x3c01}, /* just above a tie rounds up */
        {0x1p-14, 0x0400},                 /* the smallest normal */
        {0x1p-24, 0x0001},                 /* the smallest subnormal */
        {1023 * 0x1p-24, 0x03ff},          /* the largest subnormal */
        {0x1p-25, 0x0000},                 /* half the smallest subnormal: a tie, to zero */
        {0x1p-25 * 1.0000001, 0x0001},     /* above it: the smallest subnormal */
        {3 * 0x1p-25, 0x0002},             /* 1.5 units: a tie, to even 2 */
        {-5 * 0x1p-25, 0x8002},            /* 2.5 units: a tie, to even 2 */
        {0x1p-14 - 0x1p-26, 0x0400},       /* the largest subnormal rounds up into the normals */
        {1e-10, 0x0000},                   /* underflow */
        {-1e-300, 0x8000},                 /* underflow keeps the sign */
        {4.9e-324, 0x0000},                /* a double subnormal */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint16_t got = onnx_fp16_from_double(cases[i].v);
        if (got != cases[i].h)
            fail_msg("fp16(%a) = 0x%04x, expected 0x%04x", cases[i].v, got, cases[i].h);
    }
    assert_int_equal(onnx_fp16_from_double(NAN) & 0x7e00, 0x7e00); /* a quiet NaN */
    assert_int_equal(onnx_fp16_from_double(-NAN) & 0xfe00, 0xfe00);
    assert_true(onnx_fp16_to_float(0x0001) == 0x1p-24f);
    assert_true(onnx_fp16_to_float(0x03ff) == 1023 * 0x1p-24f);
    assert_true(onnx_fp16_to_float(0x3555) == 0.333251953125f);
    assert_true(onnx_fp16_to_float(0x7bff) == 65504.0f);
    assert_true(onnx_fp16_to_float(0xfc00) == -INFINITY);
    assert_true(isnan(onnx_fp16_to_float(0x7e00)));
    assert_true(isnan(onnx_fp16_to_float(0x7c01))); /* a signalling NaN stays a NaN */
    assert_int_equal(float_bits(onnx_fp16_to_float(0x8000)), 0x80000000u);
}

/* Every pattern widens and narrows back to itself (NaNs to a NaN), from float and from double. */
static void test_fp16_round_trip_every_pattern(void **state)
{
    (void)state;
    for (uint32_t h = 0; h <= 0xffff; h++) {
        float f = onnx_fp16_to_float((uint16_t)h);
        bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
        assert_int_equal(isnan(f) != 0, nan);
        uint16_t back = onnx_fp16_from_double(f);
        if (nan)
            assert_int_equal(back, h | 0x200); /* made quiet, payload kept */
        else if (back != h)
            fail_msg("0x%04x widens to %a and narrows to 0x%04x", h, (double)f, back);
    }
}

static void test_bf16_known_patterns(void **state)
{
    (void)state;
    struct {
        double v;
        uint16_t b;
    } cases[] = {
        {0.0, 0x0000},
        {-0.0, 0x8000},
        {1.0, 0x3f80},
        {-2.0, 0xc000},
        {3.14159265358979, 0x4049},
        {1.0 + 0x1p-8, 0x3f80},           /* a tie to even (down) */
        {1.0 + 3 * 0x1p-8, 0x3f82},       /* a tie to even (up) */
        {1.0 + 0x1p-8 + 0x1p-30, 0x3f81}, /* rounded once: through float it would be 0x3f80 */
        {0x1.fep127, 0x7f7f},             /* the largest finite */
        {3.4028234663852886e38, 0x7f80},  /* FLT_MAX rounds up to infinity */
        {1e39, 0x7f80},                   /* beyond float's range */
        {-INFINITY, 0xff80},
        {0x1p-126, 0x0080}, /* the smallest normal */
        {0x1p-133, 0x0001}, /* the smallest subnormal */
        {0x1p-130, 0x0008},
        {0x1p-134, 0x0000}, /* a tie, to zero */
        {1e-40, 0x0001},    /* a float subnormal, rounded to the nearest */
        {1e-46, 0x0000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint16_t got = onnx_bf16_from_double(cases[i].v);
        if (got != cases[i].b)
            fail_msg("bf16(%a) = 0x%04x, expected 0x%04x", cases[i].v, got, cases[i].b);
    }
    assert_int_equal(onnx_bf16_from_double(NAN) & 0x7fc0, 0x7fc0);
    assert_true(onnx_bf16_to_float(0x4049) == 3.140625f);
    assert_true(onnx_bf16_to_float(0x0001) == 0x1p-133f);
    assert_true(isnan(onnx_bf16_to_float(0x7fc1)));
}

/* float -> bfloat16 against the usual integer formula on the float's bits (ties to even). */
static void test_bf16_from_float_matches_bit_formula(void **state)
{
    (void)state;
    uint32_t x = 12345;
    for (int i = 0; i < 2000000; i++) {
        x = x * 1664525u + 1013904223u;
        uint32_t bits = x;
        float f;
        memcpy(&f, &bits, sizeof f);
        if (isnan(f))
            continue;
        uint16_t want = (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1)) >> 16);
        uint16_t got = onnx_bf16_from_double(f);
        if (got != want)
            fail_msg("bf16(%a) = 0x%04x, expected 0x%04x", (double)f, got, want);
    }
}

#ifdef __FLT16_MAX__
/* The compiler's own conversions (soft-float in libgcc without -mf16c) agree on every pattern and
 * on doubles spread over the whole range, including subnormals and overflow. */
static void test_fp16_matches_compiler(void **state)
{
    (void)state;
    for (uint32_t h = 0; h <= 0xffff; h++) {
        _Float16 c;
        uint16_t bits = (uint16_t)h;
        memcpy(&c, &bits, sizeof c);
        float want = (float)c, got = onnx_fp16_to_float((uint16_t)h);
        assert_true((isnan(want) && isnan(got)) || float_bits(want) == float_bits(got));
    }
    uint64_t x = 99;
    for (int i = 0; i < 4000000; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        /* exponents from 2^-30 to 2^17 (most of the interesting range), any mantissa and sign */
        int e = (int)((x >> 58) % 48) - 30;
        double v = ldexp(1.0 + (double)(x & 0xfffffffffffffu) * 0x1p-52, e);
        if (x & (UINT64_C(1) << 57))
            v = -v;
        _Float16 c = (_Float16)v;
        uint16_t want;
        memcpy(&want, &c, sizeof want);
        uint16_t got = onnx_fp16_from_double(v);
        if (got != want)
            fail_msg("fp16(%a) = 0x%04x, the compiler says 0x%04x", v, got, want);
        float f = (float)v;
        c = (_Float16)f;
        memcpy(&want, &c, sizeof want);
        if (onnx_fp16_from_double(f) != want)
            fail_msg("fp16(float %a) differs from the compiler's", (double)f);
    }
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fp16_known_patterns),
        cmocka_unit_test(test_fp16_round_trip_every_pattern),
        cmocka_unit_test(test_bf16_known_patterns),
        cmocka_unit_test(test_bf16_from_float_matches_bit_formula),
#ifdef __FLT16_MAX__
        cmocka_unit_test(test_fp16_matches_compiler),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
