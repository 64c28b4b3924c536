/* String tensors inside the ONNX engine. Outside it (requests, responses, the node tests' files) a
 * BYTES tensor is ferry's wire layout: per element a 4-byte little-endian length and the bytes.
 * Inside, a BYTES tensor is an array of onnx_string, one (pointer, length) per element, so that it
 * has a fixed element size and ops index it like any other tensor. The bytes stay where they are:
 * in the request's input buffer, in graph memory (initializers, attributes such as class labels),
 * or in plan memory for values folded while planning; an op that produces strings points them at
 * one of those, or at text it writes into its own scratch, which the planner then keeps to the end
 * of the run (ONNX_OP_KEEP_SCRATCH: Cast's formatted numbers), and never allocates. The session
 * converts at the boundary: inputs are parsed into arena arrays, outputs serialized into the
 * caller's memory. */
#ifndef FERRY_ONNX_STRINGS_H
#define FERRY_ONNX_STRINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/tensor.h"

typedef struct onnx_string {
    const char *data; /* not NUL-terminated; may be NULL when len is 0 */
    size_t len;
} onnx_string;

/* Bytes per element inside the engine: sizeof(onnx_string) for BYTES, else ferry_dtype_size. */
size_t onnx_elem_size(ferry_dtype dtype);

/* True when a and b hold the same bytes. */
static inline bool onnx_string_equal(onnx_string a, onnx_string b)
{
    return a.len == b.len && (a.len == 0 || __builtin_memcmp(a.data, b.data, a.len) == 0);
}

/* A hash of the string's bytes (FNV-1a). */
uint64_t onnx_string_hash(onnx_string s);

/* Parses `count` elements of wire-layout BYTES data (nbytes long) into out[0..count), pointing
 * into `wire`; with out NULL only checks. Fails with INVALID_ARG naming `what` (an input's name)
 * when the data is truncated, holds another number of elements, or has bytes left over. */
ferry_status onnx_strings_parse(const void *wire, size_t nbytes, int64_t count, onnx_string *out,
                                const char *what, ferry_error *err) FERRY_MUST_CHECK;

/* Bytes the wire layout of s[0..count) takes. Fails with TOO_LARGE naming `what` when a string
 * is 4 GiB or longer (its length does not fit the 4-byte prefix). */
ferry_status onnx_strings_wire_size(const onnx_string *s, int64_t count, const char *what,
                                    size_t *out, ferry_error *err) FERRY_MUST_CHECK;

/* Writes s[0..count) in the wire layout to dst, which holds onnx_strings_wire_size bytes. */
void onnx_strings_write(const onnx_string *s, int64_t count, void *dst);

#endif
