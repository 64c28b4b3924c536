/* Strict JSON number scanning and exact conversion; see json_number.h. Reals take Clinger's fast
 * path when the digits and the power of ten are both exact doubles (one correctly rounded multiply
 * or divide then gives strtod's answer); anything else goes to strtod_l in the C locale. */
#define _GNU_SOURCE
#include "core/json_number.h"

#include <assert.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The fast path relies on double arithmetic being done in double precision (SSE2, not x87). */
static_assert(FLT_EVAL_METHOD == 0, "json_number's fast path needs FLT_EVAL_METHOD 0");

#define MAX_EXACT_MANTISSA (UINT64_C(1) << 53)
#define MAX_EXACT_POW10    22
#define EXPONENT_CAP       1000000 /* larger exponents mean overflow or zero: strtod decides */

static const double exact_pow10[MAX_EXACT_POW10 + 1] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Appends one significant digit; marks the number inexact once the digits pass 64 bits. */
static void add_digit(json_number *n, char c)
{
    uint64_t d = (uint64_t)(c - '0');
    if (!n->inexact &&
        (n->mantissa < UINT64_MAX / 10 || (n->mantissa == UINT64_MAX / 10 && d <= UINT64_MAX % 10)))
        n->mantissa = n->mantissa * 10 + d;
    else
        n->inexact = true;
}

/* Scans the digits of a fraction; returns where they stop, or NULL when there are none. */
static const char *scan_fraction(const char *s, const char *end, json_number *n)
{
    if (s == end || !is_digit(*s))
        return NULL;
    for (; s < end && is_digit(*s); s++) {
        add_digit(n, *s);
        n->exp10--;
    }
    return s;
}

/* Scans an exponent's optional sign and digits; returns where they stop, or NULL. */
static const char *scan_exponent(const char *s, const char *end, json_number *n)
{
    bool negative = false;
    if (s < end && (*s == '+' || *s == '-'))
        negative = *s++ == '-';
    if (s == end || !is_digit(*s))
        return NULL;
    int64_t e = 0;
    for (; s < end && is_digit(*s); s++) {
        if (e < EXPONENT_CAP)
            e = e * 10 + (*s - '0');
        else
            n->inexact = true; /* exp10 no longer exact: leave it to strtod */
    }
    n->exp10 += negative ? -e : e;
    return s;
}

size_t json_number_scan(const char *p, const char *end, json_number *n)
{
    *n = (json_number){.text = p, .integer = true};
    const char *s = p;
    if (s < end && *s == '-') {
        n->negative = true;
        s++;
    }
    if (s == end || !is_digit(*s))
        return 0;
    if (*s == '0')
        s++; /* a leading zero stands alone */
    else
        for (; s < end && is_digit(*s); s++)
            add_digit(n, *s);
    if (s < end && *s == '.') {
        n->integer = false;
        if ((s = scan_fraction(s + 1, end, n)) == NULL)
            return 0;
    }
    if (s < end && (*s == 'e' || *s == 'E')) {
        n->integer = false;
        if ((s = scan_exponent(s + 1, end, n)) == NULL)
            return 0;
    }
    n->len = (size_t)(s - p);
    return n->len;
}

json_number_result json_number_int64(const json_number *n, int64_t *out)
{
    if (!n->integer)
        return JSON_NUMBER_NOT_INTEGER;
    uint64_t limit = n->negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (n->inexact || n->mantissa > limit)
        return JSON_NUMBER_OVERFLOW;
    if (n->negative)
        *out = n->mantissa == limit ? INT64_MIN : -(int64_t)n->mantissa;
    else
        *out = (int64_t)n->mantissa;
    return JSON_NUMBER_OK;
}

json_number_result json_number_uint64(const json_number *n, uint64_t *out)
{
    if (!n->integer)
        return JSON_NUMBER_NOT_INTEGER;
    if (n->inexact || (n->negative && n->mantissa != 0))
        return JSON_NUMBER_OVERFLOW;
    *out = n->mantissa;
    return JSON_NUMBER_OK;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_create(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* strtod in the C locale on a NUL-terminated copy of the number. */
static json_number_result slow_double(const json_number *n, double *out)
{
    char buf[JSON_NUMBER_MAX_TEXT + 1];
    if (n->len > JSON_NUMBER_MAX_TEXT)
        return JSON_NUMBER_TOO_LONG;
    memcpy(buf, n->text, n->len);
    buf[n->len] = '\0';
    pthread_once(&c_locale_once, c_locale_create);
    /* Without a locale object (newlocale failed) plain strtod: ferry never calls setlocale, so the
     * process runs in the C locale unless an embedding program changed it. */
    *out = c_locale != (locale_t)0 ? strtod_l(buf, NULL, c_locale) : strtod(buf, NULL);
    return isinf(*out) ? JSON_NUMBER_OVERFLOW : JSON_NUMBER_OK;
}

json_number_result json_number_double(const json_number *n, double *out)
{
    if (!n->inexact && n->mantissa == 0) {
        *out = n->negative ? -0.0 : 0.0;
        return JSON_NUMBER_OK;
    }
    if (n->inexact || n->mantissa > MAX_EXACT_MANTISSA || n->exp10 < -MAX_EXACT_POW10 ||
        n->exp10 > MAX_EXACT_POW10)
        return slow_double(n, out);
    double v = (double)n->mantissa;
    v = n->exp10 < 0 ? v / exact_pow10[-n->exp10] : v * exact_pow10[n->exp10];
    *out = n->negative ? -v : v;
    return JSON_NUMBER_OK;
}
