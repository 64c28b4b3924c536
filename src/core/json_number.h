/* A strict JSON number reader (RFC 8259 grammar): scans one number token and converts it exactly,
 * integers into int64/uint64 with overflow detection and reals correctly rounded, bit for bit as
 * strtod in the C locale reads them. Used where decoding numbers through a JSON tree costs too
 * much (the REST `data` arrays). */
#ifndef FERRY_CORE_JSON_NUMBER_H
#define FERRY_CORE_JSON_NUMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Numbers longer than this that need strtod are refused with JSON_NUMBER_TOO_LONG. */
#define JSON_NUMBER_MAX_TEXT 128

typedef enum json_number_result {
    JSON_NUMBER_OK = 0,
    JSON_NUMBER_NOT_INTEGER, /* an integer was asked for; the number has a fraction or exponent */
    JSON_NUMBER_OVERFLOW,    /* beyond the target type (a real: beyond DBL_MAX) */
    JSON_NUMBER_TOO_LONG,    /* a real of over JSON_NUMBER_MAX_TEXT characters that needs strtod */
} json_number_result;

/* One scanned number: its text and what a conversion needs. */
typedef struct json_number {
    const char *text;
    size_t len;
    bool negative;
    bool integer;      /* no fraction and no exponent */
    bool inexact;      /* more significant digits than `mantissa` holds */
    uint64_t mantissa; /* the significant digits as an integer, when !inexact */
    int64_t exp10;     /* value = mantissa * 10^exp10, when !inexact */
} json_number;

/* Scans the number at the start of [p, end) into *n. Returns its length, or 0 when the text there
 * is not a JSON number: a leading '+', '.5', '1.', '1e', '-', leading zeros ('01', '-00'), hex,
 * NaN, Infinity. The number stops at the first character that cannot continue it; the caller
 * checks what follows (a '1' after '0' makes "01" a "0" followed by a stray digit). */
size_t json_number_scan(const char *p, const char *end, json_number *n);

/* Converts an integer: JSON_NUMBER_NOT_INTEGER for a fraction or exponent ("1.0", "1e2"),
 * JSON_NUMBER_OVERFLOW outside [INT64_MIN, INT64_MAX]. "-0" is 0. */
json_number_result json_number_int64(const json_number *n, int64_t *out);

/* As json_number_int64 for [0, UINT64_MAX]; negative numbers other than -0 overflow. */
json_number_result json_number_uint64(const json_number *n, uint64_t *out);

/* Converts to the nearest double, exactly as strtod does in the C locale (whatever the process's
 * locale): "-0" is -0.0, underflow gives a subnormal or zero. JSON_NUMBER_OVERFLOW beyond DBL_MAX
 * (*out is then +-HUGE_VAL), JSON_NUMBER_TOO_LONG when a slow conversion is needed for a text of
 * over JSON_NUMBER_MAX_TEXT characters. */
json_number_result json_number_double(const json_number *n, double *out);

#endif
