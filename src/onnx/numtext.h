/* Numbers as text, for Cast to and from strings. Formatting writes integers in decimal, bool as
 * 1 or 0, and floating values as the shortest %g text that reads back to the same value in their
 * own type (0.3, 100, 1e-05, 0.1 for the float16 nearest 0.1), in plain notation while the
 * integer part fits the type's round-trip digits (123456792, 1e+20), with ONNX's spellings NaN,
 * INF and -INF. Parsing is strict: the whole string (surrounding ASCII whitespace aside) must be
 * one number (100.5, 1e3, +INF, inf, nan in any case). */
#ifndef FERRY_ONNX_NUMTEXT_H
#define FERRY_ONNX_NUMTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "onnx/strings.h"

/* Bytes the longest formatted number takes ("-2.2250738585072014e-308" is 24). */
#define ONNX_NUMTEXT_MAX 32

/* Writes the element at `elem` (of a numeric, bool, FP16 or BF16 dtype) as text into out (not
 * NUL-terminated); returns its length, at most ONNX_NUMTEXT_MAX. */
size_t onnx_numtext_format(ferry_dtype dtype, const void *elem, char out[ONNX_NUMTEXT_MAX]);

/* A parsed number: dtype INT64 (an integer literal in int64's range), UINT64 (one above it), FP32
 * (for a float target) or FP64; value holds it in that dtype's layout. */
typedef struct onnx_number {
    ferry_dtype dtype;
    union {
        int64_t i;
        uint64_t u;
        float f;
        double d;
    } value;
} onnx_number;

/* Parses s for a Cast to `to`: floating targets read every number as a double (a float for FP32:
 * one rounding from decimal, and "-0" stays negative); integer and bool targets read integer
 * literals exactly and other numbers as doubles. False when s is not one number (empty, other
 * characters around it, longer than 127 bytes). The C locale's syntax: ferry never sets another. */
bool onnx_numtext_parse(onnx_string s, ferry_dtype to, onnx_number *out);

#endif
