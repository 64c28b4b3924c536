/* Unit tests for the strict JSON number reader (src/core/json_number.c): every grammar reject case,
 * int64/uint64 limits and overflow, and doubles compared bit for bit with strtod on generated
 * random values printed with %.17g, %.9g, %g and others, random digit strings, exponents near the
 * limits, subnormals and -0.0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_number.h"

/* Scans s; true when all of it is one number. */
static bool scan_whole(const char *s, json_number *n)
{
    size_t len = strlen(s);
    return len > 0 && json_number_scan(s, s + len, n) == len;
}

static void test_grammar_rejects(void **state)
{
    (void)state;
    const char *bad[] = {
        "",          "-",   "+1",  ".5",   "-.5",  "1.",   "1.e5",  "1e",    "1e+",   "1E-",
        "01",        "-01", "00",  "00.5", "0x10", "0X1F", "NaN",   "nan",   "-NaN",  "Infinity",
        "-Infinity", "inf", " 1",  "1 ",   "e5",   "--1",  "1e5.5", "1.5.3", "1_000", "１",
        "0b1",       "1,5", "- 1", "1e 5", "true", "null", "\"1\"", "0.-1",  "1e--1", "1.5e+-3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_number n;
        if (scan_whole(bad[i], &n))
            fail_msg("accepted \"%s\"", bad[i]);
    }
    /* "01": the number is the "0"; the caller sees the stray "1". */
    json_number n;
    assert_int_equal(json_number_scan("01", "01" + 2, &n), 1);
    /* The scan never reads past end. */
    assert_int_equal(json_number_scan("12345", "12345" + 2, &n), 2);
    assert_int_equal(json_number_scan("1.5", "1.5" + 2, &n), 0);
}

static void test_grammar_accepts(void **state)
{
    (void)state;
    const char *good[] = {
        "0",   "-0",     "1",      "-1",        "0.5",    "-0.5",
        "1e5", "1E+5",   "1e-5",   "-0.0e-0",   "10",     "1234567890",
        "0e0", "0.0000", "1e0005", "123.456e7", "1.0E+2", "123456789012345678901234567890"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        json_number n;
        if (!scan_whole(good[i], &n))
            fail_msg("rejected \"%s\"", good[i]);
    }
}

static json_number_result int64_of(const char *s, int64_t *out)
{
    json_number n;
    assert_true(scan_whole(s, &n));
    return json_number_int64(&n, out);
}

static json_number_result uint64_of(const char *s, uint64_t *out)
{
    json_number n;
    assert_true(scan_whole(s, &n));
    return json_number_uint64(&n, out);
}

static void test_int64(void **state)
{
    (void)state;
    int64_t x = 1;
    assert_int_equal(int64_of("0", &x), JSON_NUMBER_OK);
    assert_int_equal(x, 0);
    assert_int_equal(int64_of("-0", &x), JSON_NUMBER_OK);
    assert_int_equal(x, 0);
    assert_int_equal(int64_of("-42", &x), JSON_NUMBER_OK);
    assert_int_equal(x, -42);
    assert_int_equal(int64_of("9223372036854775807", &x), JSON_NUMBER_OK);
    assert_true(x == INT64_MAX);
    assert_int_equal(int64_of("-9223372036854775808", &x), JSON_NUMBER_OK);
    assert_true(x == INT64_MIN);
    assert_int_equal(int64_of("9223372036854775808", &x), JSON_NUMBER_OVERFLOW);
    assert_int_equal(int64_of("-9223372036854775809", &x), JSON_NUMBER_OVERFLOW);
    assert_int_equal(int64_of("18446744073709551615", &x), JSON_NUMBER_OVERFLOW);
    assert_int_equal(int64_of("18446744073709551616", &x), JSON_NUMBER_OVERFLOW);
    assert_int_equal(int64_of("100000000000000000000000", &x), JSON_NUMBER_OVERFLOW);
    assert_int_equal(int64_of("1.0", &x), JSON_NUMBER_NOT_INTEGER);
    assert_int_equal(int64_of("1e2", &x), JSON_NUMBER_NOT_INTEGER);
    assert_int_equal(int64_of("-0.0", &x), JSON_NUMBER_NOT_INTEGER);
    /* Every power of ten and its neighbours up to the limit agree with strtoll. */
    char buf[32];
    for (int64_t p = 1; p <= INT64_MAX / 10; p *= 10)
        for (int64_t d = -1; d <= 1; d++) {
            snprintf(buf, sizeof buf, "%" PRId64, -(p + d));
            assert_int_equal(int64_of(buf, &x), JSON_NUMBER_OK);
            assert_true(x == strtoll(buf, NULL, 10));
        }
}

static void test_uint64(void **state)
{
    (void)state;
    uint64_t x = 1;
    assert_int_equal(uint64_of("0", &x), JSON_NUMBER_OK);
    assert_true(x == 0);
    assert_int_equal(uint64_of("-0", &x), JSON_NUMBER_OK);
    assert_true(x == 0);
    assert_int_equal(uint64_of("18446744073709551615", &x), JSON_NUMBER_OK);
    assert_true(x == UINT64_MAX);
    assert_int_equal(uint64_of("18446744073709551614", &x), JSON_NUMBER_OK);
    assert_true(x == UINT64_MAX - 1);
    assert_int_equal(uint64_of("18446744073709551616", &x), JSON_NUMBER_OVERFLOW);
    assert_int_equal(uint64_of("18446744073709551620", &x), JSON_NUMBER_OVERFLOW);
    assert_int_equal(uint64_of("99999999999999999999", &x), JSON_NUMBER_OVERFLOW);
    assert_int_equal(uint64_of("-1", &x), JSON_NUMBER_OVERFLOW);
    assert_int_equal(uint64_of("1.5", &x), JSON_NUMBER_NOT_INTEGER);
}

static uint64_t bits_of(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

/* json_number_double(s) is bit-identical to strtod(s), and reports overflow where strtod gives
 * an infinity. */
static void check_like_strtod(const char *s)
{
    json_number n;
    if (!scan_whole(s, &n))
        fail_msg("rejected \"%s\"", s);
    double want = strtod(s, NULL), got = 0;
    json_number_result r = json_number_double(&n, &got);
    if (r == JSON_NUMBER_TOO_LONG)
        return;
    if (isinf(want)) {
        if (r != JSON_NUMBER_OVERFLOW)
            fail_msg("\"%s\": no overflow reported", s);
        return;
    }
    if (r != JSON_NUMBER_OK || bits_of(got) != bits_of(want))
        fail_msg("\"%s\": got %.17g (%d), strtod %.17g", s, got, (int)r, want);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A random finite double: random bits (every exponent), or a random float, or a value of a
 * usual magnitude. */
static double random_double(void)
{
    for (;;) {
        uint64_t b = rng();
        double v;
        switch (b % 3) {
        case 0:
            memcpy(&v, &b, sizeof v);
            break;
        case 1: {
            uint32_t f32 = (uint32_t)(b >> 32);
            float f;
            memcpy(&f, &f32, sizeof f);
            v = f;
            break;
        }
        default:
            v = ((double)(b >> 11) / 9007199254740992.0 - 0.5) * pow(10, (int)(b % 13) - 6);
        }
        if (isfinite(v))
            return v;
    }
}

static void test_random_doubles_printed(void **state)
{
    (void)state;
    const char *formats[] = {"%.17g", "%.9g", "%g", "%.15g", "%.3e", "%.1f", "%.20e", "%.6f"};
    char buf[512];
    for (int i = 0; i < 100000; i++) {
        double v = random_double();
        for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
            if (strcmp(formats[f], "%.6f") == 0 && fabs(v) > 1e30)
                continue;
            snprintf(buf, sizeof buf, formats[f], v);
            check_like_strtod(buf);
        }
    }
}

/* Random digit strings: 1 to 30 digits, a point anywhere, exponents from -360 to 360. */
static void test_random_digit_strings(void **state)
{
    (void)state;
    char buf[64];
    for (int i = 0; i < 200000; i++) {
        size_t at = 0;
        if (rng() & 1)
            buf[at++] = '-';
        int digits = 1 + (int)(rng() % 30);
        buf[at++] = (char)('1' + rng() % 9);
        for (int d = 1; d < digits; d++)
            buf[at++] = (char)('0' + rng() % 10);
        if (digits > 1 && (rng() & 1)) {
            size_t point = at - (size_t)(rng() % (size_t)(digits - 1)) - 1;
            memmove(buf + point + 1, buf + point, at - point);
            buf[point] = '.';
            at++;
        }
        if (rng() & 1)
            at += (size_t)sprintf(buf + at, "e%d", (int)(rng() % 721) - 360);
        buf[at] = '\0';
        check_like_strtod(buf);
    }
}

static void test_limits_and_subnormals(void **state)
{
    (void)state;
    const char *cases[] = {"1.7976931348623157e308",
                           "1.7976931348623158e308",
                           "1.7976931348623159e308",
                           "-1.7976931348623157e308",
                           "1e308",
                           "1e309",
                           "-1e400",
                           "2.2250738585072014e-308",
                           "2.2250738585072011e-308",
                           "4.9406564584124654e-324",
                           "5e-324",
                           "2.4703282292062327e-324",
                           "2.4703282292062328e-324",
                           "1e-400",
                           "-1e-400",
                           "0",
                           "-0",
                           "-0.0",
                           "0e999999999",
                           "-0e-999999999",
                           "9007199254740993",
                           "9007199254740992.5",
                           "9007199254740993.0",
                           "1e22",
                           "1e23",
                           "8.98846567431158e307",
                           "123456789012345678e-330",
                           "0.1",
                           "0.2",
                           "0.3",
                           "3.4028234663852886e38",
                           "1.40129846e-45",
                           "1.17549435e-38",
                           "1e-5",
                           "1E+5",
                           "100000000000000000000000",
                           "0.000000000000000000000000000001",
                           "1e1000000000000000000000"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_like_strtod(cases[i]);
    json_number n;
    double v = 1;
    assert_true(scan_whole("-0", &n));
    assert_int_equal(json_number_double(&n, &v), JSON_NUMBER_OK);
    assert_true(v == 0 && signbit(v));
    assert_true(scan_whole("1e999", &n));
    assert_int_equal(json_number_double(&n, &v), JSON_NUMBER_OVERFLOW);
    assert_true(isinf(v) && v > 0);
}

static void test_too_long(void **state)
{
    (void)state;
    char buf[300] = "1.";
    memset(buf + 2, '3', 250);
    buf[252] = '\0';
    json_number n;
    double v;
    assert_true(scan_whole(buf, &n));
    assert_int_equal(json_number_double(&n, &v), JSON_NUMBER_TOO_LONG);
    /* Long but exact: many zeros after the point need no strtod. */
    char zeros[300] = "0.";
    memset(zeros + 2, '0', 250);
    strcpy(zeros + 252, "5");
    assert_true(scan_whole(zeros, &n));
    assert_int_equal(json_number_double(&n, &v), JSON_NUMBER_TOO_LONG);
    strcpy(zeros + 252, "0");
    assert_true(scan_whole(zeros, &n));
    assert_int_equal(json_number_double(&n, &v), JSON_NUMBER_OK);
    assert_true(v == 0);
}

/* Under a locale whose decimal point is a comma the reader still reads '.' (when the system has
 * such a locale; skipped otherwise). */
static void test_locale(void **state)
{
    (void)state;
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"};
    const char *set = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && set == NULL; i++)
        set = setlocale(LC_NUMERIC, names[i]);
    if (set == NULL)
        skip();
    json_number n;
    double v = 0;
    assert_true(scan_whole("1.2345678901234567890123e-300", &n));
    assert_int_equal(json_number_double(&n, &v), JSON_NUMBER_OK);
    setlocale(LC_NUMERIC, "C");
    assert_true(v == strtod("1.2345678901234567890123e-300", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grammar_rejects),
        cmocka_unit_test(test_grammar_accepts),
        cmocka_unit_test(test_int64),
        cmocka_unit_test(test_uint64),
        cmocka_unit_test(test_random_doubles_printed),
        cmocka_unit_test(test_random_digit_strings),
        cmocka_unit_test(test_limits_and_subnormals),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_locale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
