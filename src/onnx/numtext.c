/* Numbers to and from text; see numtext.h. */
#include "onnx/numtext.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/half.h"

/* Longest number text parsed (a NUL-terminated copy is made on the stack). */
#define NUMTEXT_PARSE_MAX 127

/* True when text reads back as v in `dtype` (through the same parsing Cast uses). */
static bool reads_back(const char *text, ferry_dtype dtype, double v)
{
    switch (dtype) {
    case FERRY_DTYPE_FP32:
        return strtof(text, NULL) == (float)v;
    case FERRY_DTYPE_FP16:
        return onnx_fp16_from_double(strtod(text, NULL)) == onnx_fp16_from_double(v);
    case FERRY_DTYPE_BF16:
        return onnx_bf16_from_double(strtod(text, NULL)) == onnx_bf16_from_double(v);
    default:
        return strtod(text, NULL) == v;
    }
}

/* The shortest %g text of v that reads back in its dtype: fewer digits never read back when
 * more do not, so the precision is found by bisection up to the dtype's round-trip maximum.
 * Values below 10^max print in plain notation (100, not 1e+02), all their integer digits shown. */
static size_t format_float(double v, ferry_dtype dtype, char *out)
{
    if (isnan(v))
        return (size_t)snprintf(out, ONNX_NUMTEXT_MAX, "NaN");
    if (isinf(v))
        return (size_t)snprintf(out, ONNX_NUMTEXT_MAX, v > 0 ? "INF" : "-INF");
    int max = dtype == FERRY_DTYPE_FP64   ? 17
              : dtype == FERRY_DTYPE_FP32 ? 9
              : dtype == FERRY_DTYPE_FP16 ? 5
                                          : 4;
    int lo = 1, hi = max;
    char text[ONNX_NUMTEXT_MAX];
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        snprintf(text, sizeof text, "%.*g", mid, v);
        if (reads_back(text, dtype, v))
            hi = mid;
        else
            lo = mid + 1;
    }
    int len = snprintf(text, sizeof text, "%.*e", lo - 1, v); /* d.ddde+XX: the exponent */
    const char *e = memchr(text, 'e', (size_t)len);
    int exp10 = e != NULL ? atoi(e + 1) : 0;
    if (exp10 >= lo && exp10 < max)
        lo = exp10 + 1;
    return (size_t)snprintf(out, ONNX_NUMTEXT_MAX, "%.*g", lo, v);
}

size_t onnx_numtext_format(ferry_dtype dtype, const void *elem, char out[ONNX_NUMTEXT_MAX])
{
    int64_t i = 0;
    switch (dtype) {
    case FERRY_DTYPE_FP16:
        return format_float(onnx_fp16_to_float(*(const uint16_t *)elem), dtype, out);
    case FERRY_DTYPE_BF16:
        return format_float(onnx_bf16_to_float(*(const uint16_t *)elem), dtype, out);
    case FERRY_DTYPE_FP32:
        return format_float(*(const float *)elem, dtype, out);
    case FERRY_DTYPE_FP64:
        return format_float(*(const double *)elem, dtype, out);
    case FERRY_DTYPE_UINT64:
        return (size_t)snprintf(out, ONNX_NUMTEXT_MAX, "%" PRIu64, *(const uint64_t *)elem);
    case FERRY_DTYPE_BOOL:
        i = *(const uint8_t *)elem != 0;
        break;
    case FERRY_DTYPE_UINT8:
        i = *(const uint8_t *)elem;
        break;
    case FERRY_DTYPE_UINT16:
        i = *(const uint16_t *)elem;
        break;
    case FERRY_DTYPE_UINT32:
        i = *(const uint32_t *)elem;
        break;
    case FERRY_DTYPE_INT8:
        i = *(const int8_t *)elem;
        break;
    case FERRY_DTYPE_INT16:
        i = *(const int16_t *)elem;
        break;
    case FERRY_DTYPE_INT32:
        i = *(const int32_t *)elem;
        break;
    default:
        i = *(const int64_t *)elem;
        break;
    }
    return (size_t)snprintf(out, ONNX_NUMTEXT_MAX, "%" PRId64, i);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* An integer literal: optional sign, then decimal digits only. */
static bool is_integer(const char *s)
{
    s += *s == '+' || *s == '-';
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

bool onnx_numtext_parse(onnx_string s, ferry_dtype to, onnx_number *out)
{
    const char *p = s.data, *end = s.data + s.len;
    while (p < end && is_space(*p))
        p++;
    while (end > p && is_space(end[-1]))
        end--;
    size_t len = (size_t)(end - p);
    if (len == 0 || len > NUMTEXT_PARSE_MAX || memchr(p, '\0', len) != NULL)
        return false;
    char text[NUMTEXT_PARSE_MAX + 1], *stop;
    memcpy(text, p, len);
    text[len] = '\0';
    bool floating = to == FERRY_DTYPE_FP32 || to == FERRY_DTYPE_FP64 || to == FERRY_DTYPE_FP16 ||
                    to == FERRY_DTYPE_BF16;
    if (!floating && is_integer(text)) {
        errno = 0;
        out->value.i = strtoll(text, &stop, 10);
        out->dtype = FERRY_DTYPE_INT64;
        if (errno == 0)
            return true;
        errno = 0;
        out->value.u = strtoull(text, &stop, 10);
        out->dtype = FERRY_DTYPE_UINT64;
        if (errno == 0 && text[0] != '-')
            return true;
    }
    /* A floating target, a non-integer or an integer beyond 64 bits: a floating value (ERANGE
     * gives infinity or 0, what the value rounds to). */
    if (to == FERRY_DTYPE_FP32) {
        out->dtype = FERRY_DTYPE_FP32;
        out->value.f = strtof(text, &stop);
    } else {
        out->dtype = FERRY_DTYPE_FP64;
        out->value.d = strtod(text, &stop);
    }
    return stop == text + len;
}
