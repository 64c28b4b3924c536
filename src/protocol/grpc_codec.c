/* protobuf-c messages <-> ferry tensors for ModelInfer; see grpc_codec.h. ferry runs on
 * little-endian hosts only, so raw contents are used as they arrive. */
#include "protocol/grpc_codec.h"

#include <stdint.h>
#include <string.h>

#include "serving/inference.h"

typedef Inference__ModelInferRequest__InferInputTensor input_tensor;
typedef Inference__ModelInferResponse__InferOutputTensor output_tensor;

/* Largest element count of one tensor (any larger shape is refused before anything is sized). */
#define CODEC_MAX_ELEMENTS ((uint64_t)1 << 40)

/* ------------------------------------------------------------------------------------------ */
/* Allocator                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static void *arena_pb_alloc(void *data, size_t size)
{
    return arena_alloc_small(data, size ? size : 1);
}

static void arena_pb_free(void *data, void *pointer)
{
    (void)data;
    (void)pointer; /* freed with the arena */
}

ProtobufCAllocator grpc_codec_allocator(arena *a)
{
    return (ProtobufCAllocator){
        .alloc = arena_pb_alloc, .free = arena_pb_free, .allocator_data = a};
}

/* ------------------------------------------------------------------------------------------ */
/* Typed contents                                                                               */
/* ------------------------------------------------------------------------------------------ */

enum {
    FIELD_BOOL,
    FIELD_INT,
    FIELD_INT64,
    FIELD_UINT,
    FIELD_UINT64,
    FIELD_FP32,
    FIELD_FP64,
    FIELD_BYTES,
    FIELD_COUNT,
    FIELD_NONE = -1 /* FP16, BF16: raw only */
};

static const char *const field_names[FIELD_COUNT] = {
    [FIELD_BOOL] = "bool_contents",     [FIELD_INT] = "int_contents",
    [FIELD_INT64] = "int64_contents",   [FIELD_UINT] = "uint_contents",
    [FIELD_UINT64] = "uint64_contents", [FIELD_FP32] = "fp32_contents",
    [FIELD_FP64] = "fp64_contents",     [FIELD_BYTES] = "bytes_contents",
};

/* The typed field that carries a datatype's elements. */
static int field_for(ferry_dtype dtype)
{
    switch (dtype) {
    case FERRY_DTYPE_BOOL:
        return FIELD_BOOL;
    case FERRY_DTYPE_INT8:
    case FERRY_DTYPE_INT16:
    case FERRY_DTYPE_INT32:
        return FIELD_INT;
    case FERRY_DTYPE_INT64:
        return FIELD_INT64;
    case FERRY_DTYPE_UINT8:
    case FERRY_DTYPE_UINT16:
    case FERRY_DTYPE_UINT32:
        return FIELD_UINT;
    case FERRY_DTYPE_UINT64:
        return FIELD_UINT64;
    case FERRY_DTYPE_FP32:
        return FIELD_FP32;
    case FERRY_DTYPE_FP64:
        return FIELD_FP64;
    case FERRY_DTYPE_BYTES:
        return FIELD_BYTES;
    default:
        return FIELD_NONE;
    }
}

/* Element counts of each typed field (all 0 when there are no contents). */
static void field_counts(const Inference__InferTensorContents *c, size_t n[FIELD_COUNT])
{
    memset(n, 0, FIELD_COUNT * sizeof n[0]);
    if (c == NULL)
        return;
    n[FIELD_BOOL] = c->n_bool_contents;
    n[FIELD_INT] = c->n_int_contents;
    n[FIELD_INT64] = c->n_int64_contents;
    n[FIELD_UINT] = c->n_uint_contents;
    n[FIELD_UINT64] = c->n_uint64_contents;
    n[FIELD_FP32] = c->n_fp32_contents;
    n[FIELD_FP64] = c->n_fp64_contents;
    n[FIELD_BYTES] = c->n_bytes_contents;
}

static bool has_typed_data(const Inference__InferTensorContents *c)
{
    size_t n[FIELD_COUNT];
    field_counts(c, n);
    for (int f = 0; f < FIELD_COUNT; f++)
        if (n[f] > 0)
            return true;
    return false;
}

/* Narrows int32 elements to INT8 or INT16, refusing values out of range. */
static ferry_status narrow_signed(const char *model, ferry_tensor *t, const int32_t *src, size_t n,
                                  arena *a, ferry_error *err)
{
    bool is8 = t->dtype == FERRY_DTYPE_INT8;
    int32_t lo = is8 ? INT8_MIN : INT16_MIN, hi = is8 ? INT8_MAX : INT16_MAX;
    void *data = arena_alloc(a, n * (is8 ? 1 : 2) + 1);
    if (data == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "model '%s': out of memory", model);
    for (size_t i = 0; i < n; i++) {
        if (src[i] < lo || src[i] > hi)
            return ferry_error_set(
                err, FERRY_INVALID_ARG,
                "model '%s': input '%s': element %zu (%d) is out of range for %s", model, t->name,
                i, (int)src[i], ferry_dtype_name(t->dtype));
        if (is8)
            ((int8_t *)data)[i] = (int8_t)src[i];
        else
            ((int16_t *)data)[i] = (int16_t)src[i];
    }
    t->data = data;
    t->nbytes = n * (is8 ? 1 : 2);
    return FERRY_OK;
}

/* Narrows uint32 elements to UINT8 or UINT16, refusing values out of range. */
static ferry_status narrow_unsigned(const char *model, ferry_tensor *t, const uint32_t *src,
                                    size_t n, arena *a, ferry_error *err)
{
    bool is8 = t->dtype == FERRY_DTYPE_UINT8;
    uint32_t hi = is8 ? UINT8_MAX : UINT16_MAX;
    void *data = arena_alloc(a, n * (is8 ? 1 : 2) + 1);
    if (data == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "model '%s': out of memory", model);
    for (size_t i = 0; i < n; i++) {
        if (src[i] > hi)
            return ferry_error_set(
                err, FERRY_INVALID_ARG,
                "model '%s': input '%s': element %zu (%u) is out of range for %s", model, t->name,
                i, (unsigned)src[i], ferry_dtype_name(t->dtype));
        if (is8)
            ((uint8_t *)data)[i] = (uint8_t)src[i];
        else
            ((uint16_t *)data)[i] = (uint16_t)src[i];
    }
    t->data = data;
    t->nbytes = n * (is8 ? 1 : 2);
    return FERRY_OK;
}

static ferry_status bools_to_bytes(const char *model, ferry_tensor *t,
                                   const protobuf_c_boolean *src, size_t n, arena *a,
                                   ferry_error *err)
{
    uint8_t *data = arena_alloc(a, n + 1);
    if (data == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "model '%s': out of memory", model);
    for (size_t i = 0; i < n; i++)
        data[i] = src[i] != 0;
    t->data = data;
    t->nbytes = n;
    return FERRY_OK;
}

/* bytes_contents to ferry's BYTES layout: each element a 4-byte little-endian length, then it. */
static ferry_status strings_to_bytes(const char *model, ferry_tensor *t,
                                     const ProtobufCBinaryData *src, size_t n, arena *a,
                                     ferry_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (src[i].len > UINT32_MAX || src[i].len > SIZE_MAX - 4 - total)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "model '%s': input '%s': element %zu is too long", model,
                                   t->name, i);
        total += 4 + src[i].len;
    }
    uint8_t *data = arena_alloc(a, total + 1);
    if (data == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "model '%s': out of memory", model);
    uint8_t *p = data;
    for (size_t i = 0; i < n; i++) {
        uint32_t len = (uint32_t)src[i].len;
        memcpy(p, &len, 4);
        if (len > 0)
            memcpy(p + 4, src[i].data, len);
        p += 4 + len;
    }
    t->data = data;
    t->nbytes = total;
    return FERRY_OK;
}

/* Points t at a typed field whose elements already have the tensor's layout. */
static ferry_status borrow(ferry_tensor *t, const void *src, size_t n)
{
    t->data = (void *)src;
    t->nbytes = n * ferry_dtype_size(t->dtype);
    return FERRY_OK;
}

static ferry_status convert_typed(const char *model, const Inference__InferTensorContents *c,
                                  ferry_tensor *t, size_t n, arena *a, ferry_error *err)
{
    switch (t->dtype) {
    case FERRY_DTYPE_BOOL:
        return bools_to_bytes(model, t, c->bool_contents, n, a, err);
    case FERRY_DTYPE_INT8:
    case FERRY_DTYPE_INT16:
        return narrow_signed(model, t, c->int_contents, n, a, err);
    case FERRY_DTYPE_INT32:
        return borrow(t, c->int_contents, n);
    case FERRY_DTYPE_INT64:
        return borrow(t, c->int64_contents, n);
    case FERRY_DTYPE_UINT8:
    case FERRY_DTYPE_UINT16:
        return narrow_unsigned(model, t, c->uint_contents, n, a, err);
    case FERRY_DTYPE_UINT32:
        return borrow(t, c->uint_contents, n);
    case FERRY_DTYPE_UINT64:
        return borrow(t, c->uint64_contents, n);
    case FERRY_DTYPE_FP32:
        return borrow(t, c->fp32_contents, n);
    case FERRY_DTYPE_FP64:
        return borrow(t, c->fp64_contents, n);
    case FERRY_DTYPE_BYTES:
        return strings_to_bytes(model, t, c->bytes_contents, n, a, err);
    default:
        return ferry_error_set(err, FERRY_INTERNAL, "model '%s': input '%s': no typed field for %s",
                               model, t->name, ferry_dtype_name(t->dtype));
    }
}

static ferry_status decode_typed(const char *model, const input_tensor *in, ferry_tensor *t,
                                 uint64_t count, arena *a, ferry_error *err)
{
    const char *dtype = ferry_dtype_name(t->dtype);
    int want = field_for(t->dtype);
    size_t n[FIELD_COUNT];
    field_counts(in->contents, n);
    if (want == FIELD_NONE && (count > 0 || has_typed_data(in->contents)))
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model '%s': input '%s' is %s, which travels only in "
                               "raw_input_contents (there is no typed field for it)",
                               model, t->name, dtype);
    for (int f = 0; f < FIELD_COUNT; f++)
        if (f != want && n[f] > 0)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "model '%s': input '%s' is %s but has data in contents.%s; %s "
                                   "elements go in contents.%s",
                                   model, t->name, dtype, field_names[f], dtype,
                                   want == FIELD_NONE ? "raw_input_contents" : field_names[want]);
    if (want == FIELD_NONE || count == 0) {
        t->data = arena_alloc(a, 1);
        t->nbytes = 0;
        return t->data != NULL ? FERRY_OK : ferry_error_set(err, FERRY_NO_MEMORY, "out of memory");
    }
    if (n[want] == 0)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model '%s': input '%s' has no data: set contents.%s or send "
                               "raw_input_contents",
                               model, t->name, field_names[want]);
    if (n[want] != count)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model '%s': input '%s' has %zu elements in contents.%s, its shape "
                               "needs %llu",
                               model, t->name, n[want], field_names[want],
                               (unsigned long long)count);
    return convert_typed(model, in->contents, t, n[want], a, err);
}

/* ------------------------------------------------------------------------------------------ */
/* Raw contents                                                                                 */
/* ------------------------------------------------------------------------------------------ */

ferry_status grpc_codec_check_bytes(const char *model, const char *input, const uint8_t *data,
                                    size_t len, uint64_t count, ferry_error *err)
{
    size_t at = 0;
    for (uint64_t i = 0; i < count; i++) {
        if (len - at < 4)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "model '%s': input '%s': raw BYTES data ends at element %llu of "
                                   "%llu (each element is a 4-byte little-endian length, then its "
                                   "bytes)",
                                   model, input, (unsigned long long)i, (unsigned long long)count);
        uint32_t n;
        memcpy(&n, data + at, 4);
        at += 4;
        if (n > len - at)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "model '%s': input '%s': raw BYTES element %llu says %u bytes, "
                                   "only %zu follow",
                                   model, input, (unsigned long long)i, (unsigned)n, len - at);
        at += n;
    }
    if (at != len)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model '%s': input '%s': raw BYTES data has %zu bytes after its "
                               "%llu elements",
                               model, input, len - at, (unsigned long long)count);
    return FERRY_OK;
}

static ferry_status decode_raw(const char *model, const ProtobufCBinaryData *raw, size_t index,
                               ferry_tensor *t, uint64_t count, arena *a, ferry_error *err)
{
    size_t size = ferry_dtype_size(t->dtype);
    if (t->dtype == FERRY_DTYPE_BYTES) {
        ferry_status st = grpc_codec_check_bytes(model, t->name, raw->data, raw->len, count, err);
        if (st != FERRY_OK)
            return st;
    } else if (count > SIZE_MAX / size || raw->len != count * size) {
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model '%s': input '%s': raw_input_contents[%zu] has %zu bytes, its "
                               "shape needs %llu elements of %s (%zu bytes each)",
                               model, t->name, index, raw->len, (unsigned long long)count,
                               ferry_dtype_name(t->dtype), size);
    }
    t->data = raw->len > 0 ? raw->data : arena_alloc(a, 1);
    t->nbytes = raw->len;
    return t->data != NULL ? FERRY_OK : ferry_error_set(err, FERRY_NO_MEMORY, "out of memory");
}

/* ------------------------------------------------------------------------------------------ */
/* Inputs                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* Name, datatype and shape; the element count into *count. */
static ferry_status decode_header(const char *model, const input_tensor *in, size_t index,
                                  ferry_tensor *t, uint64_t *count, ferry_error *err)
{
    if (in->name == NULL || in->name[0] == '\0')
        return ferry_error_set(err, FERRY_INVALID_ARG, "model '%s': inputs[%zu] has no name", model,
                               index);
    t->name = in->name;
    t->dtype = ferry_dtype_from_name(in->datatype);
    if (t->dtype == FERRY_DTYPE_INVALID)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model '%s': input '%s' has unknown datatype '%.40s'", model,
                               in->name, in->datatype ? in->datatype : "");
    if (in->n_shape > FERRY_MAX_DIMS)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model '%s': input '%s' has %zu dimensions; at most %d", model,
                               in->name, in->n_shape, FERRY_MAX_DIMS);
    t->ndim = (int)in->n_shape;
    if (in->n_shape > 0)
        memcpy(t->shape, in->shape, in->n_shape * sizeof t->shape[0]);
    ferry_error why;
    if (ferry_shape_elements(t->shape, t->ndim, CODEC_MAX_ELEMENTS, count, &why) != FERRY_OK) {
        char shape[128];
        inference_format_shape(t->shape, t->ndim, shape, sizeof shape);
        return ferry_error_set(err, FERRY_INVALID_ARG, "model '%s': input '%s' has shape %s: %s",
                               model, in->name, shape, why.message);
    }
    return FERRY_OK;
}

static ferry_status check_raw_layout(const Inference__ModelInferRequest *req, const char *model,
                                     ferry_error *err)
{
    if (req->n_raw_input_contents == 0)
        return FERRY_OK;
    if (req->n_raw_input_contents != req->n_inputs)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model '%s': raw_input_contents has %zu entries for %zu inputs: "
                               "send one per input, in the order of inputs",
                               model, req->n_raw_input_contents, req->n_inputs);
    for (size_t i = 0; i < req->n_inputs; i++)
        if (has_typed_data(req->inputs[i]->contents))
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "model '%s': input '%s' sets contents while the request uses "
                                   "raw_input_contents: send every input's data one way",
                                   model, req->inputs[i]->name ? req->inputs[i]->name : "");
    return FERRY_OK;
}

ferry_status grpc_codec_decode_inputs(const Inference__ModelInferRequest *req, arena *a,
                                      ferry_tensor **inputs, ferry_error *err)
{
    const char *model = req->model_name ? req->model_name : "";
    ferry_status st = check_raw_layout(req, model, err);
    if (st != FERRY_OK)
        return st;
    ferry_tensor *t = arena_alloc(a, req->n_inputs * sizeof *t + 1);
    if (t == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "model '%s': out of memory", model);
    for (size_t i = 0; i < req->n_inputs; i++) {
        t[i] = (ferry_tensor){0};
        uint64_t count = 0;
        st = decode_header(model, req->inputs[i], i, &t[i], &count, err);
        if (st == FERRY_OK && req->n_raw_input_contents > 0)
            st = decode_raw(model, &req->raw_input_contents[i], i, &t[i], count, a, err);
        else if (st == FERRY_OK)
            st = decode_typed(model, req->inputs[i], &t[i], count, a, err);
        if (st != FERRY_OK)
            return st;
    }
    *inputs = t;
    return FERRY_OK;
}

ferry_status grpc_codec_output_names(const Inference__ModelInferRequest *req, arena *a,
                                     const char ***names, ferry_error *err)
{
    const char *model = req->model_name ? req->model_name : "";
    const char **out = arena_alloc(a, req->n_outputs * sizeof *out + 1);
    if (out == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "model '%s': out of memory", model);
    for (size_t i = 0; i < req->n_outputs; i++) {
        out[i] = req->outputs[i]->name;
        if (out[i] == NULL || out[i][0] == '\0')
            return ferry_error_set(err, FERRY_INVALID_ARG, "model '%s': outputs[%zu] has no name",
                                   model, i);
    }
    *names = out;
    return FERRY_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Outputs                                                                                      */
/* ------------------------------------------------------------------------------------------ */

ferry_status grpc_codec_encode_outputs(const ferry_tensor *const *outputs, size_t n, arena *a,
                                       Inference__ModelInferResponse *resp, ferry_error *err)
{
    output_tensor *tensors = arena_alloc(a, n * sizeof *tensors + 1);
    output_tensor **list = arena_alloc(a, n * sizeof *list + 1);
    ProtobufCBinaryData *raw = arena_alloc(a, n * sizeof *raw + 1);
    if (tensors == NULL || list == NULL || raw == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory encoding the response");
    for (size_t i = 0; i < n; i++) {
        const ferry_tensor *t = outputs[i];
        tensors[i] = (output_tensor)INFERENCE__MODEL_INFER_RESPONSE__INFER_OUTPUT_TENSOR__INIT;
        tensors[i].name = (char *)t->name;
        tensors[i].datatype = (char *)ferry_dtype_name(t->dtype);
        tensors[i].n_shape = (size_t)t->ndim;
        tensors[i].shape = (int64_t *)t->shape;
        list[i] = &tensors[i];
        raw[i] = (ProtobufCBinaryData){.len = t->nbytes, .data = t->data};
    }
    resp->n_outputs = n;
    resp->outputs = list;
    resp->n_raw_output_contents = n;
    resp->raw_output_contents = raw;
    return FERRY_OK;
}
