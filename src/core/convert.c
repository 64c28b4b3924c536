/* Numeric dtype conversion through double; see convert.h. */
#include "core/convert.h"

#include <stdint.h>
#include <string.h>

bool convert_supported(ferry_dtype dtype)
{
    switch (dtype) {
    case FERRY_DTYPE_BOOL:
    case FERRY_DTYPE_UINT8:
    case FERRY_DTYPE_UINT16:
    case FERRY_DTYPE_UINT32:
    case FERRY_DTYPE_UINT64:
    case FERRY_DTYPE_INT8:
    case FERRY_DTYPE_INT16:
    case FERRY_DTYPE_INT32:
    case FERRY_DTYPE_INT64:
    case FERRY_DTYPE_FP32:
    case FERRY_DTYPE_FP64:
        return true;
    default:
        return false;
    }
}

static double read_element(const void *data, ferry_dtype dtype, size_t i)
{
    switch (dtype) {
    case FERRY_DTYPE_BOOL:
        return ((const uint8_t *)data)[i] != 0;
    case FERRY_DTYPE_UINT8:
        return ((const uint8_t *)data)[i];
    case FERRY_DTYPE_UINT16:
        return ((const uint16_t *)data)[i];
    case FERRY_DTYPE_UINT32:
        return ((const uint32_t *)data)[i];
    case FERRY_DTYPE_UINT64:
        return (double)((const uint64_t *)data)[i];
    case FERRY_DTYPE_INT8:
        return ((const int8_t *)data)[i];
    case FERRY_DTYPE_INT16:
        return ((const int16_t *)data)[i];
    case FERRY_DTYPE_INT32:
        return ((const int32_t *)data)[i];
    case FERRY_DTYPE_INT64:
        return (double)((const int64_t *)data)[i];
    case FERRY_DTYPE_FP32:
        return ((const float *)data)[i];
    default:
        return ((const double *)data)[i];
    }
}

static void write_element(void *data, ferry_dtype dtype, size_t i, double v)
{
    switch (dtype) {
    case FERRY_DTYPE_BOOL:
        ((uint8_t *)data)[i] = v != 0;
        break;
    case FERRY_DTYPE_UINT8:
        ((uint8_t *)data)[i] = (uint8_t)v;
        break;
    case FERRY_DTYPE_UINT16:
        ((uint16_t *)data)[i] = (uint16_t)v;
        break;
    case FERRY_DTYPE_UINT32:
        ((uint32_t *)data)[i] = (uint32_t)v;
        break;
    case FERRY_DTYPE_UINT64:
        ((uint64_t *)data)[i] = (uint64_t)v;
        break;
    case FERRY_DTYPE_INT8:
        ((int8_t *)data)[i] = (int8_t)v;
        break;
    case FERRY_DTYPE_INT16:
        ((int16_t *)data)[i] = (int16_t)v;
        break;
    case FERRY_DTYPE_INT32:
        ((int32_t *)data)[i] = (int32_t)v;
        break;
    case FERRY_DTYPE_INT64:
        ((int64_t *)data)[i] = (int64_t)v;
        break;
    case FERRY_DTYPE_FP32:
        ((float *)data)[i] = (float)v;
        break;
    default:
        ((double *)data)[i] = v;
        break;
    }
}

ferry_status convert_tensor(const ferry_tensor *src, ferry_dtype to, ferry_tensor *dst, arena *a,
                            ferry_error *err)
{
    if (!convert_supported(src->dtype) || !convert_supported(to))
        return ferry_error_set(err, FERRY_UNSUPPORTED, "input '%s': cannot convert %s to %s",
                               src->name, ferry_dtype_name(src->dtype), ferry_dtype_name(to));
    size_t count = src->nbytes / ferry_dtype_size(src->dtype);
    *dst = *src;
    dst->dtype = to;
    dst->owned = false;
    dst->nbytes = count * ferry_dtype_size(to);
    dst->data = arena_alloc(a, dst->nbytes ? dst->nbytes : 1);
    if (dst->data == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "input '%s': out of memory converting to %s",
                               src->name, ferry_dtype_name(to));
    if (src->dtype == FERRY_DTYPE_FP64 && to == FERRY_DTYPE_FP32) {
        const double *in = src->data;
        float *out = dst->data;
        for (size_t i = 0; i < count; i++)
            out[i] = (float)in[i];
        return FERRY_OK;
    }
    for (size_t i = 0; i < count; i++)
        write_element(dst->data, to, i, read_element(src->data, src->dtype, i));
    return FERRY_OK;
}
