/* Datatype tables and tensor allocation; see include/ferry/tensor.h. */
#include "ferry/tensor.h"

#include <stdlib.h>
#include <string.h>

typedef struct dtype_entry {
    const char *name;
    size_t size;
} dtype_entry;

static const dtype_entry dtype_table[] = {[FERRY_DTYPE_INVALID] = {"INVALID", 0},
#define DTYPE_ENTRY(suffix, name, size) [FERRY_DTYPE_##suffix] = {name, size},
                                          FERRY_DTYPE_LIST(DTYPE_ENTRY)
#undef DTYPE_ENTRY
};
_Static_assert(sizeof dtype_table / sizeof dtype_table[0] == FERRY_DTYPE_COUNT,
               "every dtype has a table row");

const char *ferry_dtype_name(ferry_dtype dtype)
{
    if ((unsigned)dtype >= FERRY_DTYPE_COUNT)
        return "INVALID";
    return dtype_table[dtype].name;
}

ferry_dtype ferry_dtype_from_name(const char *name)
{
    if (name == NULL)
        return FERRY_DTYPE_INVALID;
    for (int d = 1; d < FERRY_DTYPE_COUNT; d++)
        if (strcmp(dtype_table[d].name, name) == 0)
            return (ferry_dtype)d;
    return FERRY_DTYPE_INVALID;
}

size_t ferry_dtype_size(ferry_dtype dtype)
{
    if ((unsigned)dtype >= FERRY_DTYPE_COUNT)
        return 0;
    return dtype_table[dtype].size;
}

ferry_status ferry_shape_elements(const int64_t *shape, int ndim, uint64_t limit, uint64_t *count,
                                  ferry_error *err)
{
    if (ndim < 0 || ndim > FERRY_MAX_DIMS)
        return ferry_error_set(err, FERRY_INVALID_ARG, "shape has %d dimensions; at most %d", ndim,
                               FERRY_MAX_DIMS);
    uint64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return ferry_error_set(err, FERRY_INVALID_ARG, "shape dimension %d is negative (%lld)",
                                   i, (long long)shape[i]);
        uint64_t d = (uint64_t)shape[i];
        if (d != 0 && n > limit / d)
            return ferry_error_set(err, FERRY_TOO_LARGE, "shape has more than %llu elements",
                                   (unsigned long long)limit);
        n *= d;
    }
    *count = n;
    return FERRY_OK;
}

ferry_status ferry_tensor_alloc(ferry_tensor *t, const char *name, ferry_dtype dtype,
                                const int64_t *shape, int ndim, ferry_error *err)
{
    size_t size = ferry_dtype_size(dtype);
    if (size == 0)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "tensor '%s': cannot allocate datatype %s by shape", name,
                               ferry_dtype_name(dtype));
    uint64_t count;
    ferry_status st = ferry_shape_elements(shape, ndim, SIZE_MAX / size, &count, err);
    if (st != FERRY_OK)
        return st;
    void *data = calloc(count ? count : 1, size);
    if (data == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "tensor '%s': out of memory for %llu bytes",
                               name, (unsigned long long)(count * size));
    memset(t, 0, sizeof *t);
    t->name = name;
    t->dtype = dtype;
    t->ndim = ndim;
    if (ndim > 0)
        memcpy(t->shape, shape, (size_t)ndim * sizeof shape[0]);
    t->data = data;
    t->nbytes = count * size;
    t->owned = true;
    return FERRY_OK;
}

void ferry_tensor_release(ferry_tensor *t)
{
    if (t == NULL)
        return;
    if (t->owned)
        free(t->data);
    memset(t, 0, sizeof *t);
}
