/* Concatenation and splitting along dimension 0; see batcher.h. */
#include "serving/batcher.h"

#include <string.h>

bool batcher_stackable(const ferry_tensor *a, const ferry_tensor *b)
{
    if (a->dtype != b->dtype || a->ndim != b->ndim || a->ndim < 1)
        return false;
    for (int d = 1; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d])
            return false;
    return true;
}

ferry_status batcher_concat(const ferry_tensor *const *parts, size_t n, size_t input, arena *a,
                            ferry_tensor *out, ferry_error *err)
{
    const ferry_tensor *first = &parts[0][input];
    size_t bytes = 0;
    int64_t rows = 0;
    for (size_t i = 0; i < n; i++) {
        bytes += parts[i][input].nbytes;
        rows += parts[i][input].shape[0];
    }
    unsigned char *data = arena_alloc(a, bytes ? bytes : 1);
    if (data == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "input '%s': out of memory batching %zu bytes",
                               first->name, bytes);
    *out = *first;
    out->shape[0] = rows;
    out->data = data;
    out->nbytes = bytes;
    out->owned = false;
    for (size_t i = 0; i < n; i++) {
        memcpy(data, parts[i][input].data, parts[i][input].nbytes);
        data += parts[i][input].nbytes;
    }
    return FERRY_OK;
}

/* Byte offset of element `index` of BYTES data, or false when the data ends first. */
static bool bytes_offset(const ferry_tensor *t, uint64_t index, size_t *offset)
{
    const unsigned char *p = t->data;
    size_t at = 0;
    for (uint64_t i = 0; i < index; i++) {
        uint32_t len;
        if (t->nbytes - at < 4)
            return false;
        memcpy(&len, p + at, 4);
        if (len > t->nbytes - at - 4)
            return false;
        at += 4 + (size_t)len;
    }
    *offset = at;
    return true;
}

/* Byte range [*begin, *end) of rows [first, first + rows). */
static bool row_range(const ferry_tensor *t, uint64_t first, uint64_t rows, size_t *begin,
                      size_t *end)
{
    uint64_t per_row = 1;
    for (int d = 1; d < t->ndim; d++)
        per_row *= (uint64_t)t->shape[d];
    if (t->ndim < 1 || t->shape[0] < 0 || first + rows > (uint64_t)t->shape[0])
        return false;
    if (t->dtype == FERRY_DTYPE_BYTES)
        return bytes_offset(t, first * per_row, begin) &&
               bytes_offset(t, (first + rows) * per_row, end);
    size_t row_bytes = (size_t)per_row * ferry_dtype_size(t->dtype);
    *begin = (size_t)first * row_bytes;
    *end = (size_t)(first + rows) * row_bytes;
    return *end <= t->nbytes;
}

ferry_status batcher_slice(const ferry_tensor *batched, uint64_t first, uint64_t rows, arena *a,
                           ferry_tensor *out, ferry_error *err)
{
    size_t begin = 0, end = 0;
    if (!row_range(batched, first, rows, &begin, &end))
        return ferry_error_set(
            err, FERRY_INTERNAL, "output '%s': the batch has no rows %llu..%llu to split back",
            batched->name, (unsigned long long)first, (unsigned long long)(first + rows));
    unsigned char *data = arena_alloc(a, end - begin + 1);
    if (data == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "output '%s': out of memory", batched->name);
    memcpy(data, (const unsigned char *)batched->data + begin, end - begin);
    *out = *batched;
    out->shape[0] = (int64_t)rows;
    out->data = data;
    out->nbytes = end - begin;
    out->owned = false;
    return FERRY_OK;
}
