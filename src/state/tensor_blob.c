/* The prediction log's binary tensor list; see tensor_blob.h. */
#include "state/tensor_blob.h"

#include <stdint.h>
#include <string.h>

#define BLOB_MAGIC "FTB1"

typedef struct blob_header {
    char magic[4];
    uint32_t count;
} blob_header;

typedef struct blob_tensor {
    uint8_t dtype, ndim;
    uint16_t name_len;
    uint32_t zero;
    uint64_t nbytes;
} blob_tensor;

static size_t aligned(size_t n)
{
    return (n + TENSOR_BLOB_ALIGN - 1) & ~(size_t)(TENSOR_BLOB_ALIGN - 1);
}

static size_t name_length(const ferry_tensor *t)
{
    size_t len = t->name != NULL ? strlen(t->name) : 0;
    return len > UINT16_MAX ? UINT16_MAX : len;
}

/* The bytes one tensor takes. */
static size_t tensor_size(const ferry_tensor *t)
{
    return sizeof(blob_tensor) + (size_t)t->ndim * sizeof(int64_t) + aligned(name_length(t) + 1) +
           aligned(t->nbytes);
}

size_t tensor_blob_size(const ferry_tensor *t, size_t n)
{
    size_t size = sizeof(blob_header);
    for (size_t i = 0; i < n; i++)
        size += tensor_size(&t[i]);
    return size;
}

/* Copies len bytes and zeroes the padding up to the next multiple of 8; returns the end. */
static unsigned char *put_padded(unsigned char *p, const void *src, size_t len)
{
    if (len > 0)
        memcpy(p, src, len);
    memset(p + len, 0, aligned(len) - len);
    return p + aligned(len);
}

/* The name, its NUL and zero padding; returns the end. */
static unsigned char *put_name(unsigned char *p, const char *name, size_t len)
{
    if (len > 0)
        memcpy(p, name, len);
    memset(p + len, 0, aligned(len + 1) - len);
    return p + aligned(len + 1);
}

void tensor_blob_write(void *out, const ferry_tensor *t, size_t n)
{
    blob_header h = {.count = (uint32_t)n};
    memcpy(h.magic, BLOB_MAGIC, 4);
    unsigned char *p = put_padded(out, &h, sizeof h);
    for (size_t i = 0; i < n; i++) {
        size_t name_len = name_length(&t[i]);
        blob_tensor bt = {.dtype = (uint8_t)t[i].dtype,
                          .ndim = (uint8_t)t[i].ndim,
                          .name_len = (uint16_t)name_len,
                          .nbytes = t[i].nbytes};
        p = put_padded(p, &bt, sizeof bt);
        p = put_padded(p, t[i].shape, (size_t)t[i].ndim * sizeof(int64_t));
        p = put_name(p, t[i].name, name_len);
        p = put_padded(p, t[i].data, t[i].nbytes);
    }
}

/* One tensor at blob + *at into view; advances *at. */
static ferry_status read_tensor(const unsigned char *blob, size_t len, size_t *at,
                                ferry_tensor *view, size_t index, ferry_error *err)
{
    blob_tensor bt;
    if (len - *at < sizeof bt)
        return ferry_error_set(err, FERRY_INVALID_ARG, "tensor blob: tensor %zu is truncated",
                               index);
    memcpy(&bt, blob + *at, sizeof bt);
    *at += sizeof bt;
    if (bt.dtype == FERRY_DTYPE_INVALID || bt.dtype >= FERRY_DTYPE_COUNT ||
        bt.ndim > FERRY_MAX_DIMS)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "tensor blob: tensor %zu has dtype %u and %u dimensions", index,
                               bt.dtype, bt.ndim);
    size_t shape_bytes = (size_t)bt.ndim * sizeof(int64_t);
    size_t name_bytes = aligned((size_t)bt.name_len + 1);
    if (bt.nbytes > SIZE_MAX / 2 || len - *at < shape_bytes + name_bytes ||
        aligned(bt.nbytes) > len - *at - shape_bytes - name_bytes)
        return ferry_error_set(err, FERRY_INVALID_ARG, "tensor blob: tensor %zu is truncated",
                               index);
    *view = (ferry_tensor){.dtype = (ferry_dtype)bt.dtype, .ndim = bt.ndim, .nbytes = bt.nbytes};
    memcpy(view->shape, blob + *at, shape_bytes);
    *at += shape_bytes;
    view->name = (const char *)blob + *at;
    if (view->name[bt.name_len] != '\0')
        return ferry_error_set(err, FERRY_INVALID_ARG, "tensor blob: tensor %zu's name is corrupt",
                               index);
    *at += name_bytes;
    view->data = (void *)(blob + *at);
    *at += aligned(bt.nbytes);
    return FERRY_OK;
}

ferry_status tensor_blob_read(const void *blob, size_t len, ferry_tensor *views, size_t max,
                              size_t *count, ferry_error *err)
{
    *count = 0;
    blob_header h;
    if ((uintptr_t)blob % TENSOR_BLOB_ALIGN != 0)
        return ferry_error_set(err, FERRY_INVALID_ARG, "tensor blob: not aligned");
    if (len < sizeof h)
        return ferry_error_set(err, FERRY_INVALID_ARG, "tensor blob: %zu bytes is too short", len);
    memcpy(&h, blob, sizeof h);
    if (memcmp(h.magic, BLOB_MAGIC, 4) != 0)
        return ferry_error_set(err, FERRY_INVALID_ARG, "tensor blob: bad magic");
    size_t at = sizeof h;
    for (size_t i = 0; i < h.count; i++) {
        ferry_tensor view;
        ferry_status st = read_tensor(blob, len, &at, &view, i, err);
        if (st != FERRY_OK)
            return st;
        if (i < max)
            views[i] = view;
    }
    if (at != len)
        return ferry_error_set(err, FERRY_INVALID_ARG, "tensor blob: %zu bytes after the tensors",
                               len - at);
    *count = h.count;
    return FERRY_OK;
}
