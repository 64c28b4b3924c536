/* TensorProto to ferry_tensor; see tensor_proto.h. */
#include "onnx/tensor_proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "onnx.pb-c.h"
#include "onnx/strings.h"

/* X(ONNX DataType suffix, ferry dtype): the types ferry computes with. */
#define ONNX_PROTO_TYPES(X)                                                                        \
    X(FLOAT, FP32)                                                                                 \
    X(UINT8, UINT8)                                                                                \
    X(INT8, INT8)                                                                                  \
    X(UINT16, UINT16)                                                                              \
    X(INT16, INT16)                                                                                \
    X(INT32, INT32)                                                                                \
    X(INT64, INT64)                                                                                \
    X(STRING, BYTES)                                                                               \
    X(BOOL, BOOL)                                                                                  \
    X(FLOAT16, FP16)                                                                               \
    X(DOUBLE, FP64)                                                                                \
    X(UINT32, UINT32)                                                                              \
    X(UINT64, UINT64)                                                                              \
    X(BFLOAT16, BF16)

ferry_dtype onnx_dtype_from_proto(int32_t data_type)
{
    switch (data_type) {
#define MAP_CASE(onnx, ferry)                                                                      \
    case ONNX__TENSOR_PROTO__DATA_TYPE__##onnx:                                                    \
        return FERRY_DTYPE_##ferry;
        ONNX_PROTO_TYPES(MAP_CASE)
#undef MAP_CASE
    default:
        return FERRY_DTYPE_INVALID;
    }
}

const char *onnx_proto_type_name(int32_t data_type)
{
    switch (data_type) {
#define NAME_CASE(onnx, ferry)                                                                     \
    case ONNX__TENSOR_PROTO__DATA_TYPE__##onnx:                                                    \
        return #onnx;
        ONNX_PROTO_TYPES(NAME_CASE)
#undef NAME_CASE
    case ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX64:
        return "COMPLEX64";
    case ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX128:
        return "COMPLEX128";
    default:
        return "UNKNOWN";
    }
}

/* Checks dims and computes the element count (at most 2^40, far past any real model). */
static ferry_status proto_shape(const Onnx__TensorProto *p, const char *what, ferry_tensor *out,
                                uint64_t *count, ferry_error *err)
{
    if (p->n_dims > FERRY_MAX_DIMS)
        return ferry_error_set(err, FERRY_UNSUPPORTED, "%s has %zu dimensions; at most %d", what,
                               p->n_dims, FERRY_MAX_DIMS);
    out->ndim = (int)p->n_dims;
    for (size_t d = 0; d < p->n_dims; d++)
        out->shape[d] = p->dims[d];
    ferry_error inner;
    if (ferry_shape_elements(out->shape, out->ndim, (uint64_t)1 << 40, count, &inner) != FERRY_OK)
        return ferry_error_set(err, FERRY_INVALID_ARG, "%s: %s", what, inner.message);
    return FERRY_OK;
}

/* Copies the typed field that holds this dtype, narrowing int32_data as ONNX stores it. */
/* How many values the typed field that carries p's data type holds. */
static size_t typed_count(const Onnx__TensorProto *p)
{
    switch (p->data_type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
        return p->n_float_data;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
        return p->n_double_data;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
        return p->n_int64_data;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:
        return p->n_uint64_data;
    default: /* INT32, and 8- and 16-bit types (FLOAT16/BFLOAT16 as bit patterns) */
        return p->n_int32_data;
    }
}

/* Copies the typed field's `count` values (typed_count(p) == count, checked by the caller) into
 * dst in ferry's layout. */
static void copy_typed(const Onnx__TensorProto *p, uint64_t count, void *dst)
{
    switch (p->data_type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
        memcpy(dst, p->float_data, count * sizeof(float));
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
        memcpy(dst, p->double_data, count * sizeof(double));
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
        memcpy(dst, p->int64_data, count * sizeof(int64_t));
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
        for (size_t i = 0; i < count; i++)
            ((uint32_t *)dst)[i] = (uint32_t)p->uint64_data[i];
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:
        memcpy(dst, p->uint64_data, count * sizeof(uint64_t));
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
        memcpy(dst, p->int32_data, count * sizeof(int32_t));
        break;
    default:
        for (size_t i = 0; i < count; i++) {
            if (ferry_dtype_size(onnx_dtype_from_proto(p->data_type)) == 1)
                ((uint8_t *)dst)[i] = (uint8_t)p->int32_data[i];
            else
                ((uint16_t *)dst)[i] = (uint16_t)p->int32_data[i];
        }
        break;
    }
}

static ferry_status check_supported(const Onnx__TensorProto *p, const char *what, ferry_error *err)
{
    if ((p->has_data_location && p->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) ||
        p->n_external_data > 0)
        return ferry_error_set(err, FERRY_UNSUPPORTED,
                               "%s uses external data, which ferry does not load: save the model "
                               "with its weights inside model.onnx",
                               what);
    if (p->segment != NULL)
        return ferry_error_set(err, FERRY_UNSUPPORTED, "%s is a segment of a tensor", what);
    ferry_dtype dt = onnx_dtype_from_proto(p->data_type);
    if (dt == FERRY_DTYPE_INVALID)
        return ferry_error_set(err, FERRY_UNSUPPORTED, "%s has element type %s (%d), unsupported",
                               what, onnx_proto_type_name(p->data_type), (int)p->data_type);
    return FERRY_OK;
}

/* A string tensor: string_data (raw_data never holds strings) copied into one block, the
 * onnx_string array first and the bytes after it. */
static ferry_status strings_from_proto(const Onnx__TensorProto *p, arena *mem, const char *what,
                                       uint64_t count, ferry_tensor *out, ferry_error *err)
{
    if (p->has_raw_data || p->n_string_data != count)
        return ferry_error_set(err, FERRY_INVALID_ARG, "%s holds %zu strings; its dims make %llu%s",
                               what, p->n_string_data, (unsigned long long)count,
                               p->has_raw_data ? " (strings cannot be raw data)" : "");
    size_t array = (size_t)count * sizeof(onnx_string), bytes = array;
    for (size_t i = 0; i < count; i++) {
        if (p->string_data[i].len > (size_t)1 << 40)
            return ferry_error_set(err, FERRY_INVALID_ARG, "%s: string %zu is too long", what, i);
        bytes += p->string_data[i].len;
    }
    unsigned char *data =
        mem != NULL ? arena_alloc(mem, bytes ? bytes : 1) : malloc(bytes ? bytes : 1);
    if (data == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "%s: out of memory for %zu bytes", what,
                               bytes);
    onnx_string *strings = (onnx_string *)data;
    size_t at = array;
    for (size_t i = 0; i < count; i++) {
        size_t len = p->string_data[i].len;
        if (len > 0)
            memcpy(data + at, p->string_data[i].data, len);
        strings[i] = (onnx_string){.data = (const char *)data + at, .len = len};
        at += len;
    }
    out->data = data;
    out->nbytes = array;
    out->owned = mem == NULL;
    return FERRY_OK;
}

ferry_status onnx_tensor_from_proto(const Onnx__TensorProto *p, arena *mem, const char *what,
                                    ferry_tensor *out, ferry_error *err)
{
    memset(out, 0, sizeof *out);
    ferry_status st = check_supported(p, what, err);
    uint64_t count = 0;
    if (st == FERRY_OK)
        st = proto_shape(p, what, out, &count, err);
    if (st != FERRY_OK)
        return st;
    out->dtype = onnx_dtype_from_proto(p->data_type);
    if (out->dtype == FERRY_DTYPE_BYTES)
        return strings_from_proto(p, mem, what, count, out, err);
    size_t bytes = (size_t)count * ferry_dtype_size(out->dtype);
    if (p->has_raw_data && p->raw_data.len != bytes)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "%s has %zu bytes of raw data; its dims and type make %zu", what,
                               p->raw_data.len, bytes);
    /* Checked before allocating: dims that promise more values than the file holds must not cost
     * their size in memory (a fuzzed model asked for 58 GB). */
    if (!p->has_raw_data && typed_count(p) != count)
        return ferry_error_set(err, FERRY_INVALID_ARG, "%s holds %zu values; its dims make %llu",
                               what, typed_count(p), (unsigned long long)count);
    void *data = mem != NULL ? arena_alloc(mem, bytes ? bytes : 1) : malloc(bytes ? bytes : 1);
    if (data == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "%s: out of memory for %zu bytes", what,
                               bytes);
    if (p->has_raw_data && bytes > 0)
        memcpy(data, p->raw_data.data, bytes);
    else if (!p->has_raw_data && count > 0)
        copy_typed(p, count, data);
    out->data = data;
    out->nbytes = bytes;
    out->owned = mem == NULL;
    return FERRY_OK;
}

ferry_status onnx_tensor_read_file(const char *path, ferry_tensor *out, ferry_error *err)
{
    char *bytes = NULL;
    size_t len = 0;
    ferry_status st = fs_read_file(path, &bytes, &len, err);
    if (st != FERRY_OK)
        return st;
    Onnx__TensorProto *p = onnx__tensor_proto__unpack(NULL, len, (const uint8_t *)bytes);
    free(bytes);
    if (p == NULL)
        return ferry_error_set(err, FERRY_INVALID_ARG, "%s: not a serialized ONNX TensorProto",
                               path);
    char what[4200];
    snprintf(what, sizeof what, "tensor in %s", path);
    st = onnx_tensor_from_proto(p, NULL, what, out, err);
    onnx__tensor_proto__free_unpacked(p, NULL);
    if (st != FERRY_OK || out->dtype != FERRY_DTYPE_BYTES)
        return st;
    /* Strings leave in ferry's wire layout, as a request carries them. */
    const onnx_string *strings = out->data;
    int64_t count = (int64_t)(out->nbytes / sizeof *strings);
    size_t wire_size = 0;
    st = onnx_strings_wire_size(strings, count, what, &wire_size, err);
    void *wire = st == FERRY_OK ? malloc(wire_size ? wire_size : 1) : NULL;
    if (st == FERRY_OK && wire == NULL)
        st = ferry_error_set(err, FERRY_NO_MEMORY, "%s: out of memory", what);
    if (st == FERRY_OK)
        onnx_strings_write(strings, count, wire);
    free(out->data);
    out->data = wire;
    out->nbytes = wire_size;
    if (st != FERRY_OK)
        ferry_tensor_release(out);
    return st;
}
