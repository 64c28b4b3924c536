/* The prediction log's binary form of a list of tensors: what the state store keeps in the
 * predictions table's inputs and outputs columns, written on the request path with one copy (no
 * text encoding) and turned back into tensors by readers (feedback lookups, `ferry logs export`).
 *
 * Layout, native little-endian, every part starting at a multiple of 8 bytes from the blob's start:
 *   header   "FTB1" (4 bytes), u32 tensor count
 *   tensor   u8 dtype (ferry_dtype), u8 ndim, u16 name length (without NUL), u32 0,
 *            u64 nbytes, i64 shape[ndim], name + NUL, padding, data (nbytes), padding
 *
 *     size_t size = tensor_blob_size(t, n);
 *     tensor_blob_write(block, t, n);                     block holds size bytes
 *     tensor_blob_read(block, size, views, max, &count, &err);   views borrow from block */
#ifndef FERRY_STATE_TENSOR_BLOB_H
#define FERRY_STATE_TENSOR_BLOB_H

#include <stddef.h>

#include "ferry/tensor.h"

#define TENSOR_BLOB_ALIGN 8

/* Bytes tensor_blob_write needs for tensors t[0..n). */
size_t tensor_blob_size(const ferry_tensor *t, size_t n);

/* Writes t[0..n) into out, exactly tensor_blob_size(t, n) bytes (padding zeroed). */
void tensor_blob_write(void *out, const ferry_tensor *t, size_t n);

/* Checks a blob of len bytes at blob (TENSOR_BLOB_ALIGN-aligned: copy a blob from SQLite into
 * malloc'ed memory first) and reads its first max tensors into views (names and data borrow from
 * blob, not owned); *count is how many tensors it holds (max 0 just counts them). Fails with
 * INVALID_ARG saying what is wrong when the blob is not one tensor_blob_write made (truncated, bad
 * magic, bad dtype, sizes that disagree). */
ferry_status tensor_blob_read(const void *blob, size_t len, ferry_tensor *views, size_t max,
                              size_t *count, ferry_error *err) FERRY_MUST_CHECK;

#endif
