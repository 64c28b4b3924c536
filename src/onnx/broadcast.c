/* Broadcast shapes and iteration layouts; see broadcast.h. */
#include "onnx/broadcast.h"

#include <string.h>

bool onnx_broadcast_shape(const ferry_tensor *const *in, int n, int *ndim, int64_t *shape,
                          int *bad_a, int *bad_b)
{
    int rank = 0;
    for (int i = 0; i < n; i++)
        if (in[i]->ndim > rank)
            rank = in[i]->ndim;
    int owner[FERRY_MAX_DIMS]; /* which input set each dimension, for messages */
    for (int d = 0; d < rank; d++) {
        shape[d] = 1;
        owner[d] = 0;
    }
    for (int i = 0; i < n; i++) {
        int offset = rank - in[i]->ndim;
        for (int d = 0; d < in[i]->ndim; d++) {
            int64_t dim = in[i]->shape[d];
            int64_t *o = &shape[offset + d];
            if (dim == *o || dim == 1)
                continue;
            if (*o != 1) {
                *bad_a = owner[offset + d];
                *bad_b = i;
                return false;
            }
            *o = dim;
            owner[offset + d] = i;
        }
    }
    *ndim = rank;
    return true;
}

/* Full-rank strides of input t aligned to the output: 0 where t has size 1 (or no dimension). */
static void full_strides(const ferry_tensor *t, const ferry_tensor *out, int64_t *strides)
{
    int offset = out->ndim - t->ndim;
    int64_t stride = 1;
    for (int d = out->ndim - 1; d >= 0; d--) {
        int td = d - offset;
        if (td < 0 || t->shape[td] == 1) {
            strides[d] = 0;
            continue;
        }
        strides[d] = stride;
        stride *= t->shape[td];
    }
}

void onnx_broadcast_init(onnx_broadcast *b, const ferry_tensor *const *in, int n,
                         const ferry_tensor *out)
{
    int64_t st[ONNX_BROADCAST_MAX_INPUTS][FERRY_MAX_DIMS];
    memset(b, 0, sizeof *b);
    b->n_inputs = n;
    for (int i = 0; i < n; i++)
        full_strides(in[i], out, st[i]);
    /* Walk from the innermost dimension outwards, dropping size-1 dimensions and merging. */
    int64_t shape[FERRY_MAX_DIMS], strides[ONNX_BROADCAST_MAX_INPUTS][FERRY_MAX_DIMS];
    int k = 0; /* dimensions kept, innermost first */
    for (int d = out->ndim - 1; d >= 0; d--) {
        if (out->shape[d] == 1)
            continue;
        /* Merge into the inner run when every input steps through both as one. */
        bool merge = k > 0;
        for (int i = 0; merge && i < n; i++)
            merge = st[i][d] == strides[i][k - 1] * shape[k - 1];
        if (merge) {
            shape[k - 1] *= out->shape[d];
            continue;
        }
        shape[k] = out->shape[d];
        for (int i = 0; i < n; i++)
            strides[i][k] = st[i][d];
        k++;
    }
    if (k == 0) { /* a scalar or all ones: one element */
        shape[0] = 1;
        for (int i = 0; i < n; i++)
            strides[i][0] = 0;
        k = 1;
    }
    b->ndim = k;
    b->rows = 1;
    for (int j = 0; j < k; j++) {
        b->shape[j] = shape[k - 1 - j];
        for (int i = 0; i < n; i++)
            b->strides[i][j] = strides[i][k - 1 - j];
        if (j < k - 1)
            b->rows *= b->shape[j];
    }
}

void onnx_broadcast_row(const onnx_broadcast *b, int64_t row, int64_t *offsets)
{
    for (int i = 0; i < b->n_inputs; i++)
        offsets[i] = 0;
    for (int d = b->ndim - 2; d >= 0; d--) {
        int64_t idx = row % b->shape[d];
        row /= b->shape[d];
        for (int i = 0; i < b->n_inputs; i++)
            offsets[i] += idx * b->strides[i][d];
    }
}
