/* Dynamic batching's tensor work: several requests' bound inputs concatenated along dimension 0
 * into one batch, and the batch's outputs split back into each request's rows. */
#ifndef FERRY_SERVING_BATCHER_H
#define FERRY_SERVING_BATCHER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "ferry/tensor.h"

/* True when tensors a and b can be stacked along dimension 0: same dtype, rank (at least 1) and
 * every dimension after the first. */
bool batcher_stackable(const ferry_tensor *a, const ferry_tensor *b);

/* Concatenates parts[0..n)[input] along dimension 0 into *out (named after the first part), with
 * data from the arena. The parts must be stackable. Fails with NO_MEMORY naming the input. */
ferry_status batcher_concat(const ferry_tensor *const *parts, size_t n, size_t input, arena *a,
                            ferry_tensor *out, ferry_error *err) FERRY_MUST_CHECK;

/* Copies rows [first, first + rows) of `batched` (dimension 0) into *out with data from the arena.
 * BYTES rows are found by walking the length-prefixed elements. Fails with INTERNAL naming the
 * output when the batch has fewer rows or malformed BYTES, NO_MEMORY when the arena is full. */
ferry_status batcher_slice(const ferry_tensor *batched, uint64_t first, uint64_t rows, arena *a,
                           ferry_tensor *out, ferry_error *err) FERRY_MUST_CHECK;

#endif
