/* Numpy-style (multidirectional) broadcasting, as ONNX's element-wise ops use it: the output shape
 * of several inputs, and an iteration layout with per-input element strides (0 along broadcast
 * dimensions) after dropping size-1 dimensions and merging dimensions that stay contiguous, so
 * that kernels run long inner loops. */
#ifndef FERRY_ONNX_BROADCAST_H
#define FERRY_ONNX_BROADCAST_H

#include <stdint.h>

#include "ferry/tensor.h"

#define ONNX_BROADCAST_MAX_INPUTS 4

typedef struct onnx_broadcast {
    int n_inputs;
    int ndim; /* >= 1 after merging; the last dimension is the inner loop */
    int64_t shape[FERRY_MAX_DIMS];
    int64_t strides[ONNX_BROADCAST_MAX_INPUTS][FERRY_MAX_DIMS]; /* in elements */
    int64_t rows; /* product of shape[0..ndim-1): the outer iterations */
} onnx_broadcast;

/* The broadcast shape of n shapes (right-aligned; each dimension equal or 1). Returns false when
 * two dimensions disagree, naming their indices in *bad_a, *bad_b (inputs). */
bool onnx_broadcast_shape(const ferry_tensor *const *in, int n, int *ndim, int64_t *shape,
                          int *bad_a, int *bad_b);

/* Fills b for inputs broadcast to `out` (whose shape onnx_broadcast_shape gave). n is at most
 * ONNX_BROADCAST_MAX_INPUTS. */
void onnx_broadcast_init(onnx_broadcast *b, const ferry_tensor *const *in, int n,
                         const ferry_tensor *out);

/* Element offsets of each input at the start of outer row `row`. */
void onnx_broadcast_row(const onnx_broadcast *b, int64_t row, int64_t *offsets);

#endif
