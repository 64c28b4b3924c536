/* Tensors as every layer of ferry sees them: a name, an OIP v2 datatype, a shape of up to 8
 * dimensions and contiguous row-major little-endian data that is either owned or borrowed. */
#ifndef FERRY_TENSOR_H
#define FERRY_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(enum suffix, OIP v2 name, element size in bytes; 0 for variable-size BYTES). */
#define FERRY_DTYPE_LIST(X)                                                                        \
    X(BOOL, "BOOL", 1)                                                                             \
    X(UINT8, "UINT8", 1)                                                                           \
    X(UINT16, "UINT16", 2)                                                                         \
    X(UINT32, "UINT32", 4)                                                                         \
    X(UINT64, "UINT64", 8)                                                                         \
    X(INT8, "INT8", 1)                                                                             \
    X(INT16, "INT16", 2)                                                                           \
    X(INT32, "INT32", 4)                                                                           \
    X(INT64, "INT64", 8)                                                                           \
    X(FP16, "FP16", 2)                                                                             \
    X(FP32, "FP32", 4)                                                                             \
    X(FP64, "FP64", 8)                                                                             \
    X(BYTES, "BYTES", 0)                                                                           \
    X(BF16, "BF16", 2)

typedef enum ferry_dtype {
    FERRY_DTYPE_INVALID = 0,
#define FERRY_DTYPE_ENUM(suffix, name, size) FERRY_DTYPE_##suffix,
    FERRY_DTYPE_LIST(FERRY_DTYPE_ENUM)
#undef FERRY_DTYPE_ENUM
        FERRY_DTYPE_COUNT
} ferry_dtype;

#define FERRY_MAX_DIMS 8

/* A tensor. `name` is always borrowed (from the request or the model's metadata). `data` is
 * freed by ferry_tensor_release only when `owned` is true; otherwise an arena or the caller owns
 * it. BYTES data holds each element as a 4-byte little-endian length followed by its bytes. */
typedef struct ferry_tensor {
    const char *name;
    ferry_dtype dtype;
    int ndim;
    int64_t shape[FERRY_MAX_DIMS];
    void *data;
    size_t nbytes;
    bool owned;
} ferry_tensor;

/* The OIP v2 name of a dtype ("FP32"); "INVALID" for anything else. */
const char *ferry_dtype_name(ferry_dtype dtype);

/* The dtype for an OIP v2 name (case-sensitive); FERRY_DTYPE_INVALID when unknown. */
ferry_dtype ferry_dtype_from_name(const char *name);

/* Bytes per element; 0 for BYTES and for invalid dtypes. */
size_t ferry_dtype_size(ferry_dtype dtype);

/* Element count of a shape (1 for ndim 0). Fails with INVALID_ARG on a negative dimension and
 * TOO_LARGE on overflow of `limit` elements. */
ferry_status ferry_shape_elements(const int64_t *shape, int ndim, uint64_t limit, uint64_t *count,
                                  ferry_error *err) FERRY_MUST_CHECK;

/* Allocates owned, zeroed data for a fixed-size dtype and shape; the caller releases it with
 * ferry_tensor_release. Fails with NO_MEMORY, or INVALID_ARG for BYTES or a bad shape. */
ferry_status ferry_tensor_alloc(ferry_tensor *t, const char *name, ferry_dtype dtype,
                                const int64_t *shape, int ndim, ferry_error *err) FERRY_MUST_CHECK;

/* Frees owned data and resets the tensor; borrowed data is left alone. Accepts NULL. */
void ferry_tensor_release(ferry_tensor *t);

#ifdef __cplusplus
}
#endif
#endif
