/* OIP v2 JSON codec; see oip_json.h. Decoding uses jansson (oip_decode_request tries the fast path
 * of oip_json_fast.c first, which reuses this decoder for everything but the data arrays);
 * encoding writes straight into the response buffer, which keeps float formatting exact and costs
 * no tree per response. */
#include "protocol/oip_json.h"

#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_escape.h"
#include "protocol/oip_json_fast.h"
#include <pthread.h>

/* The binary part of a body not yet taken by an input. */
typedef struct oip_blobs {
    const char *p;
    size_t left;
} oip_blobs;

/* Decodes the `data` of inputs instead of decode_data (the fast path's, see oip_json_fast.c). */
typedef struct data_hook {
    oip_data_decoder decode;
    void *ctx;
} data_hook;

static ferry_status decode_request(const char *body, size_t len, oip_blobs *blobs,
                                   const data_hook *hook, arena *a, oip_request *req,
                                   ferry_error *err);
#define OIP_MAX_NESTING 32

/* ------------------------------------------------------------------------------------------ */
/* Decoding elements                                                                            */
/* ------------------------------------------------------------------------------------------ */

typedef struct flatten_state {
    ferry_tensor *t;
    uint64_t count;    /* elements the shape asks for */
    uint64_t next;     /* elements written so far */
    size_t bytes_used; /* BYTES only: bytes written so far */
    ferry_error *err;
} flatten_state;

static ferry_status element_error(flatten_state *fs, const char *why)
{
    return ferry_error_set(fs->err, FERRY_INVALID_ARG, "input '%s': element %" PRIu64 " %s",
                           fs->t->name, fs->next, why);
}

/* Reads a float element: numbers, null (NaN) and the strings NaN, Infinity, -Infinity. */
static ferry_status read_float(flatten_state *fs, const json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return FERRY_OK;
    }
    if (json_is_null(v)) {
        *out = NAN;
        return FERRY_OK;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strcmp(s, "NaN") == 0 || strcmp(s, "nan") == 0) {
            *out = NAN;
            return FERRY_OK;
        }
        if (strcmp(s, "Infinity") == 0 || strcmp(s, "inf") == 0) {
            *out = INFINITY;
            return FERRY_OK;
        }
        if (strcmp(s, "-Infinity") == 0 || strcmp(s, "-inf") == 0) {
            *out = -INFINITY;
            return FERRY_OK;
        }
    }
    return element_error(fs, "is not a number");
}

/* Reads an integer element and checks it against [lo, hi]. */
static ferry_status read_int(flatten_state *fs, const json_t *v, long long lo, long long hi,
                             long long *out)
{
    if (!json_is_integer(v)) {
        if (json_is_real(v))
            return element_error(fs, "is not an integer");
        return element_error(fs, "is not a number");
    }
    long long x = json_integer_value(v);
    if (x < lo || x > hi) {
        char why[128];
        snprintf(why, sizeof why, "(%lld) is out of range for %s", x,
                 ferry_dtype_name(fs->t->dtype));
        return element_error(fs, why);
    }
    *out = x;
    return FERRY_OK;
}

static ferry_status write_bytes_element(flatten_state *fs, const json_t *v)
{
    if (!json_is_string(v))
        return element_error(fs, "is not a string (BYTES elements are JSON strings)");
    size_t len = json_string_length(v);
    uint32_t len32 = (uint32_t)len;
    unsigned char *dst = (unsigned char *)fs->t->data + fs->bytes_used;
    memcpy(dst, &len32, 4);
    memcpy(dst + 4, json_string_value(v), len);
    fs->bytes_used += 4 + len;
    return FERRY_OK;
}

/* Writes one leaf value at position fs->next of the tensor. */
static ferry_status write_element(flatten_state *fs, const json_t *v)
{
    void *data = fs->t->data;
    uint64_t i = fs->next;
    long long x = 0;
    double f = 0;
    ferry_status st = FERRY_OK;
    switch (fs->t->dtype) {
    case FERRY_DTYPE_BOOL:
        if (!json_is_boolean(v))
            return element_error(fs, "is not a boolean (true or false)");
        ((uint8_t *)data)[i] = json_is_true(v);
        return FERRY_OK;
    case FERRY_DTYPE_UINT8:
        if ((st = read_int(fs, v, 0, UINT8_MAX, &x)) == FERRY_OK)
            ((uint8_t *)data)[i] = (uint8_t)x;
        return st;
    case FERRY_DTYPE_UINT16:
        if ((st = read_int(fs, v, 0, UINT16_MAX, &x)) == FERRY_OK)
            ((uint16_t *)data)[i] = (uint16_t)x;
        return st;
    case FERRY_DTYPE_UINT32:
        if ((st = read_int(fs, v, 0, UINT32_MAX, &x)) == FERRY_OK)
            ((uint32_t *)data)[i] = (uint32_t)x;
        return st;
    case FERRY_DTYPE_UINT64:
        if ((st = read_int(fs, v, 0, LLONG_MAX, &x)) == FERRY_OK)
            ((uint64_t *)data)[i] = (uint64_t)x;
        return st;
    case FERRY_DTYPE_INT8:
        if ((st = read_int(fs, v, INT8_MIN, INT8_MAX, &x)) == FERRY_OK)
            ((int8_t *)data)[i] = (int8_t)x;
        return st;
    case FERRY_DTYPE_INT16:
        if ((st = read_int(fs, v, INT16_MIN, INT16_MAX, &x)) == FERRY_OK)
            ((int16_t *)data)[i] = (int16_t)x;
        return st;
    case FERRY_DTYPE_INT32:
        if ((st = read_int(fs, v, INT32_MIN, INT32_MAX, &x)) == FERRY_OK)
            ((int32_t *)data)[i] = (int32_t)x;
        return st;
    case FERRY_DTYPE_INT64:
        if ((st = read_int(fs, v, LLONG_MIN, LLONG_MAX, &x)) == FERRY_OK)
            ((int64_t *)data)[i] = (int64_t)x;
        return st;
    case FERRY_DTYPE_FP32:
        if ((st = read_float(fs, v, &f)) == FERRY_OK)
            ((float *)data)[i] = (float)f;
        return st;
    case FERRY_DTYPE_FP64:
        if ((st = read_float(fs, v, &f)) == FERRY_OK)
            ((double *)data)[i] = f;
        return st;
    case FERRY_DTYPE_BYTES:
        return write_bytes_element(fs, v);
    default:
        return element_error(fs, "has a datatype JSON cannot carry");
    }
}

/* Walks nested arrays depth-first, writing leaves in row-major order. */
static ferry_status flatten(flatten_state *fs, const json_t *v, int depth)
{
    if (json_is_array(v)) {
        if (depth > OIP_MAX_NESTING)
            return ferry_error_set(fs->err, FERRY_INVALID_ARG, "input '%s': data nested too deeply",
                                   fs->t->name);
        size_t i;
        const json_t *item;
        json_array_foreach(v, i, item)
        {
            ferry_status st = flatten(fs, item, depth + 1);
            if (st != FERRY_OK)
                return st;
        }
        return FERRY_OK;
    }
    if (fs->next >= fs->count)
        return ferry_error_set(fs->err, FERRY_INVALID_ARG,
                               "input '%s': data has more than the %" PRIu64
                               " elements its shape holds",
                               fs->t->name, fs->count);
    ferry_status st = write_element(fs, v);
    fs->next++;
    return st;
}

/* Sums the bytes BYTES data needs (4-byte length prefix per string); non-strings count 0 and are
 * refused when written. */
static size_t bytes_size(const json_t *v, int depth)
{
    if (json_is_string(v))
        return 4 + json_string_length(v);
    if (!json_is_array(v) || depth > OIP_MAX_NESTING)
        return 0;
    size_t total = 0, i;
    const json_t *item;
    json_array_foreach(v, i, item) total += bytes_size(item, depth + 1);
    return total;
}

/* ------------------------------------------------------------------------------------------ */
/* Binary tensor data (the binary tensor data extension)                                         */
/* ------------------------------------------------------------------------------------------ */

/* Checks that BYTES data holds exactly `count` length-prefixed elements. */
static ferry_status check_bytes_blob(const ferry_tensor *t, const unsigned char *p, size_t size,
                                     uint64_t count, ferry_error *err)
{
    uint64_t n = 0;
    size_t at = 0;
    while (at < size) {
        uint32_t len;
        if (size - at < 4)
            return ferry_error_set(
                err, FERRY_INVALID_ARG,
                "input '%s': BYTES element %" PRIu64 " has a truncated 4-byte length", t->name, n);
        memcpy(&len, p + at, 4);
        at += 4;
        if (len > size - at)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "input '%s': BYTES element %" PRIu64 " is %" PRIu32
                                   " bytes long but only %zu bytes remain",
                                   t->name, n, len, size - at);
        at += len;
        n++;
    }
    if (n != count)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "input '%s': shape holds %" PRIu64
                               " elements but the binary data has %" PRIu64,
                               t->name, count, n);
    return FERRY_OK;
}

static ferry_status check_blob_size(const ferry_tensor *t, const unsigned char *p, size_t size,
                                    ferry_error *err)
{
    uint64_t count;
    ferry_status st = ferry_shape_elements(t->shape, t->ndim, OIP_MAX_ELEMENTS, &count, err);
    if (st != FERRY_OK)
        return ferry_error_prefix(err, "input '%s': ", t->name);
    if (t->dtype == FERRY_DTYPE_BYTES)
        return check_bytes_blob(t, p, size, count, err);
    uint64_t want = count * ferry_dtype_size(t->dtype);
    if (want != size)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "input '%s': binary_data_size is %zu bytes but its shape of %" PRIu64
                               " %s elements needs %" PRIu64,
                               t->name, size, count, ferry_dtype_name(t->dtype), want);
    return FERRY_OK;
}

/* Takes the input's blob off the front of the binary part; the data is copied into the arena, as
 * the body gives no alignment. */
static ferry_status decode_binary(const json_t *size_v, oip_blobs *blobs, ferry_tensor *t, arena *a,
                                  ferry_error *err)
{
    if (!json_is_integer(size_v) || json_integer_value(size_v) < 0)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "input '%s': 'binary_data_size' must be a non-negative integer",
                               t->name);
    if (blobs == NULL)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "input '%s' has 'binary_data_size' but the request has no "
                               "Inference-Header-Content-Length header (binary data)",
                               t->name);
    json_int_t size = json_integer_value(size_v);
    if ((uint64_t)size > blobs->left)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "input '%s': binary_data_size %lld is more than the %zu bytes of "
                               "binary data left in the body",
                               t->name, (long long)size, blobs->left);
    const unsigned char *p = (const unsigned char *)blobs->p;
    ferry_status st = check_blob_size(t, p, (size_t)size, err);
    if (st != FERRY_OK)
        return st;
    t->data = arena_alloc(a, size ? (size_t)size : 1);
    if (t->data == NULL)
        return ferry_error_set(err, FERRY_TOO_LARGE,
                               "input '%s': %lld bytes of tensor data exceed the request limit",
                               t->name, (long long)size);
    memcpy(t->data, p, (size_t)size);
    t->nbytes = (size_t)size;
    blobs->p += size;
    blobs->left -= (size_t)size;
    return FERRY_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Decoding tensors and the request                                                            */
/* ------------------------------------------------------------------------------------------ */

static ferry_status decode_shape(const json_t *shape, ferry_tensor *t, ferry_error *err)
{
    if (!json_is_array(shape))
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "input '%s': 'shape' must be an array of integers", t->name);
    if (json_array_size(shape) > FERRY_MAX_DIMS)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "input '%s': shape has %zu dimensions; at most %d", t->name,
                               json_array_size(shape), FERRY_MAX_DIMS);
    t->ndim = (int)json_array_size(shape);
    for (int d = 0; d < t->ndim; d++) {
        const json_t *dim = json_array_get(shape, (size_t)d);
        if (!json_is_integer(dim) || json_integer_value(dim) < 0)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "input '%s': shape dimension %d must be a non-negative integer",
                                   t->name, d);
        t->shape[d] = json_integer_value(dim);
    }
    return FERRY_OK;
}

static ferry_status decode_datatype(const json_t *obj, ferry_tensor *t, ferry_error *err)
{
    const char *name = json_string_value(json_object_get(obj, "datatype"));
    if (name == NULL)
        return ferry_error_set(err, FERRY_INVALID_ARG, "input '%s': 'datatype' must be a string",
                               t->name);
    t->dtype = ferry_dtype_from_name(name);
    if (t->dtype == FERRY_DTYPE_INVALID)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "input '%s': unknown datatype '%s' (BOOL, UINT8..UINT64, "
                               "INT8..INT64, FP16, FP32, FP64, BF16, BYTES)",
                               t->name, name);
    return FERRY_OK;
}

static ferry_status decode_data(const json_t *data, ferry_tensor *t, arena *a, ferry_error *err)
{
    if (t->dtype == FERRY_DTYPE_FP16 || t->dtype == FERRY_DTYPE_BF16)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "input '%s': %s cannot be sent as JSON; use binary tensor data",
                               t->name, ferry_dtype_name(t->dtype));
    uint64_t count;
    ferry_status st = ferry_shape_elements(t->shape, t->ndim, OIP_MAX_ELEMENTS, &count, err);
    if (st != FERRY_OK)
        return ferry_error_prefix(err, "input '%s': ", t->name);
    size_t nbytes = t->dtype == FERRY_DTYPE_BYTES ? bytes_size(data, 0)
                                                  : (size_t)count * ferry_dtype_size(t->dtype);
    t->data = arena_alloc(a, nbytes ? nbytes : 1);
    if (t->data == NULL)
        return ferry_error_set(err, FERRY_TOO_LARGE,
                               "input '%s': %zu bytes of tensor data exceed the request limit",
                               t->name, nbytes);
    t->nbytes = nbytes;
    flatten_state fs = {.t = t, .count = count, .err = err};
    st = flatten(&fs, data, 0);
    if (st != FERRY_OK)
        return st;
    if (fs.next != count) {
        char shape[128] = "[";
        for (int d = 0; d < t->ndim; d++)
            snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%lld", d ? "," : "",
                     (long long)t->shape[d]);
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "input '%s': shape %s] holds %" PRIu64
                               " elements but data has %" PRIu64,
                               t->name, shape, count, fs.next);
    }
    if (t->dtype == FERRY_DTYPE_BYTES)
        t->nbytes = fs.bytes_used;
    return FERRY_OK;
}

static ferry_status decode_input(const json_t *obj, size_t index, oip_blobs *blobs,
                                 const data_hook *hook, arena *a, ferry_tensor *t, ferry_error *err)
{
    memset(t, 0, sizeof *t);
    if (!json_is_object(obj))
        return ferry_error_set(err, FERRY_INVALID_ARG, "inputs[%zu] must be an object", index);
    t->name = json_string_value(json_object_get(obj, "name"));
    if (t->name == NULL)
        return ferry_error_set(err, FERRY_INVALID_ARG, "inputs[%zu]: 'name' must be a string",
                               index);
    ferry_status st = decode_datatype(obj, t, err);
    if (st == FERRY_OK)
        st = decode_shape(json_object_get(obj, "shape"), t, err);
    if (st != FERRY_OK)
        return st;
    const json_t *params = json_object_get(obj, "parameters");
    if (params != NULL && !json_is_object(params))
        return ferry_error_set(err, FERRY_INVALID_ARG, "input '%s': 'parameters' must be an object",
                               t->name);
    const json_t *data = json_object_get(obj, "data");
    const json_t *size = json_object_get(params, "binary_data_size");
    if (size != NULL && data != NULL)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "input '%s' has both 'data' and 'binary_data_size'; send one",
                               t->name);
    if (size != NULL)
        return decode_binary(size, blobs, t, a, err);
    if (data == NULL)
        return ferry_error_set(err, FERRY_INVALID_ARG, "input '%s' has no 'data'", t->name);
    if (hook != NULL)
        return hook->decode(hook->ctx, data, t, a, err);
    return decode_data(data, t, a, err);
}

static ferry_status decode_outputs(const json_t *outputs, arena *a, oip_request *req,
                                   ferry_error *err)
{
    if (outputs == NULL)
        return FERRY_OK;
    if (!json_is_array(outputs) || json_array_size(outputs) > OIP_MAX_TENSORS)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "'outputs' must be an array of at most %d objects", OIP_MAX_TENSORS);
    req->n_outputs = json_array_size(outputs);
    req->outputs = arena_alloc(a, req->n_outputs * sizeof *req->outputs + 1);
    req->output_binary = arena_alloc(a, req->n_outputs * sizeof *req->output_binary + 1);
    if (req->outputs == NULL || req->output_binary == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory decoding 'outputs'");
    for (size_t i = 0; i < req->n_outputs; i++) {
        const json_t *o = json_array_get(outputs, i);
        req->outputs[i] = json_string_value(json_object_get(o, "name"));
        if (!json_is_object(o) || req->outputs[i] == NULL)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "outputs[%zu] must be an object with a string 'name'", i);
        const json_t *params = json_object_get(o, "parameters");
        if (params != NULL && !json_is_object(params))
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "output '%s': 'parameters' must be an object", req->outputs[i]);
        const json_t *binary = json_object_get(params, "binary_data");
        if (binary != NULL && !json_is_boolean(binary))
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "output '%s': 'binary_data' must be true or false",
                                   req->outputs[i]);
        req->output_binary[i] = binary != NULL ? json_is_true(binary) : req->binary_default;
    }
    return FERRY_OK;
}

/* Reads the request parameters ferry acts on: binary_data_output and timeout. */
static ferry_status decode_parameters(const json_t *params, oip_request *req, ferry_error *err)
{
    if (params != NULL && !json_is_object(params))
        return ferry_error_set(err, FERRY_INVALID_ARG, "'parameters' must be an object");
    const json_t *binary = json_object_get(params, "binary_data_output");
    if (binary != NULL && !json_is_boolean(binary))
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "parameter 'binary_data_output' must be true or false");
    req->binary_default = json_is_true(binary);
    const json_t *timeout = json_object_get(params, "timeout");
    if (timeout != NULL && (!json_is_integer(timeout) || json_integer_value(timeout) < 0))
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "parameter 'timeout' must be a non-negative integer (microseconds)");
    req->timeout_us = timeout != NULL ? (uint64_t)json_integer_value(timeout) : 0;
    return FERRY_OK;
}

static ferry_status decode_top(oip_request *req, oip_blobs *blobs, const data_hook *hook, arena *a,
                               ferry_error *err)
{
    const json_t *doc = req->doc;
    if (!json_is_object(doc))
        return ferry_error_set(err, FERRY_INVALID_ARG, "the request must be a JSON object");
    const json_t *id = json_object_get(doc, "id");
    if (id != NULL && !json_is_string(id))
        return ferry_error_set(err, FERRY_INVALID_ARG, "'id' must be a string");
    req->id = json_string_value(id);
    ferry_status st = decode_parameters(json_object_get(doc, "parameters"), req, err);
    if (st != FERRY_OK)
        return st;
    const json_t *inputs = json_object_get(doc, "inputs");
    if (!json_is_array(inputs) || json_array_size(inputs) == 0)
        return ferry_error_set(err, FERRY_INVALID_ARG, "'inputs' must be a non-empty array");
    if (json_array_size(inputs) > OIP_MAX_TENSORS)
        return ferry_error_set(err, FERRY_INVALID_ARG, "more than %d inputs", OIP_MAX_TENSORS);
    req->n_inputs = json_array_size(inputs);
    req->inputs = arena_alloc(a, req->n_inputs * sizeof *req->inputs);
    if (req->inputs == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory decoding 'inputs'");
    for (size_t i = 0; i < req->n_inputs; i++) {
        st = decode_input(json_array_get(inputs, i), i, blobs, hook, a, &req->inputs[i], err);
        if (st != FERRY_OK)
            return st;
    }
    if (blobs != NULL && blobs->left > 0)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "the body has %zu bytes of binary data that no input's "
                               "binary_data_size accounts for",
                               blobs->left);
    return decode_outputs(json_object_get(doc, "outputs"), a, req, err);
}

/* jansson allocates through these. While a request is being parsed, the parsing thread's arena
 * serves the document (one bump per node, nothing to free); at any other time plain malloc/free. */
static _Thread_local arena *parse_arena;
static _Thread_local bool parse_out_of_memory; /* jansson reports it as a bare parse failure */

static void *json_alloc(size_t size)
{
    if (parse_arena == NULL)
        return malloc(size);
    void *p = arena_alloc_small(parse_arena, size);
    if (p == NULL)
        parse_out_of_memory = true;
    return p;
}

static void json_free(void *p)
{
    if (parse_arena == NULL)
        free(p);
}

static void install_json_allocator(void)
{
    json_set_alloc_funcs(json_alloc, json_free);
}

ferry_status oip_decode_request_general(const char *body, size_t len, arena *a, oip_request *req,
                                        ferry_error *err)
{
    return decode_request(body, len, NULL, NULL, a, req, err);
}

ferry_status oip_decode_request_with(const char *body, size_t len, oip_data_decoder decode,
                                     void *ctx, arena *a, oip_request *req, ferry_error *err)
{
    data_hook hook = {.decode = decode, .ctx = ctx};
    return decode_request(body, len, NULL, &hook, a, req, err);
}

ferry_status oip_decode_request(const char *body, size_t len, arena *a, oip_request *req,
                                ferry_error *err)
{
    if (oip_json_fast_decode(body, len, a, req) == FERRY_OK)
        return FERRY_OK;
    return oip_decode_request_general(body, len, a, req, err);
}

ferry_status oip_decode_request_binary(const char *body, size_t json_len, size_t len, arena *a,
                                       oip_request *req, ferry_error *err)
{
    if (json_len > len)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "Inference-Header-Content-Length %zu is more than the body's %zu "
                               "bytes",
                               json_len, len);
    oip_blobs blobs = {.p = body + json_len, .left = len - json_len};
    return decode_request(body, json_len, &blobs, NULL, a, req, err);
}

static ferry_status decode_request(const char *body, size_t len, oip_blobs *blobs,
                                   const data_hook *hook, arena *a, oip_request *req,
                                   ferry_error *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install_json_allocator);
    memset(req, 0, sizeof *req);
    json_error_t jerr;
    parse_out_of_memory = false;
    parse_arena = a;
    req->doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    parse_arena = NULL;
    req->doc_in_arena = true;
    if (req->doc == NULL && parse_out_of_memory)
        return ferry_error_set(
            err, FERRY_TOO_LARGE,
            "the request's JSON needs more memory than the request limit allows");
    if (req->doc == NULL)
        return ferry_error_set(err, FERRY_INVALID_ARG, "malformed JSON at line %d column %d: %s",
                               jerr.line, jerr.column, jerr.text);
    ferry_status st = decode_top(req, blobs, hook, a, err);
    if (st != FERRY_OK)
        oip_request_free(req);
    return st;
}

void oip_request_free(oip_request *req)
{
    if (req == NULL)
        return;
    if (!req->doc_in_arena)
        json_decref(req->doc);
    req->doc = NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Encoding                                                                                     */
/* ------------------------------------------------------------------------------------------ */

ferry_status oip_append_string(buffer *out, const char *s)
{
    size_t len = strlen(s);
    size_t escaped = json_escaped_length(s, len);
    ferry_status st = buffer_reserve(out, escaped + 2);
    if (st != FERRY_OK)
        return st;
    out->data[out->len++] = '"';
    out->len += json_escape(out->data + out->len, escaped, s, len);
    out->data[out->len++] = '"';
    out->data[out->len] = '\0';
    return FERRY_OK;
}

/* Writes a non-finite value as a string; returns the length, or 0 for a finite value. */
static int format_non_finite(char *buf, double v)
{
    if (isnan(v))
        return sprintf(buf, "\"NaN\"");
    if (isinf(v))
        return sprintf(buf, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return 0;
}

/* Exact powers of ten as doubles. */
static const double exact_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Writes `%.{p}g` of the value with the p significant digits m (10^(p-1) <= m < 10^p) and
 * decimal exponent x, negative when neg: what printf writes for a value it rounded to m. */
static int format_g_digits(char *buf, bool neg, uint64_t m, int p, int x)
{
    char digits[24];
    for (int i = p - 1; i >= 0; i--, m /= 10)
        digits[i] = (char)('0' + m % 10);
    int last = p - 1; /* the last digit kept: %g drops trailing zeros */
    char *o = buf;
    if (neg)
        *o++ = '-';
    if (x < -4 || x >= p) {
        while (last > 0 && digits[last] == '0')
            last--;
        *o++ = digits[0];
        if (last > 0)
            *o++ = '.';
        for (int i = 1; i <= last; i++)
            *o++ = digits[i];
        return (int)(o - buf) + sprintf(o, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
    }
    while (last > x && digits[last] == '0')
        last--;
    if (x < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = -1; i > x; i--)
            *o++ = '0';
    }
    for (int i = 0; i <= last; i++) {
        if (i == x + 1 && x >= 0)
            *o++ = '.';
        *o++ = digits[i];
    }
    *o = '\0';
    return (int)(o - buf);
}

/* format_float without printf for the usual magnitudes (1e-13 to 1e13): the digits at precision
 * p scaled with exact powers of ten, skipped when they lie too near a rounding tie to be sure of
 * printf's rounding, and checked with strtof as the printf loop checks its own. 0: use printf. */
static int format_float_fast(char *buf, float v)
{
    double a = fabs((double)v);
    if (!(a >= 1e-13 && a < 1e13))
        return 0;
    int e = (int)floor(log10(a));
    for (int p = 6; p <= 9; p++) {
        int k = p - 1 - e;
        if (k < -22 || k > 22)
            return 0;
        double scaled = k >= 0 ? a * exact_pow10[k] : a / exact_pow10[-k];
        double whole = floor(scaled), frac = scaled - whole;
        if (fabs(frac - 0.5) < 1e-6)
            return 0;
        uint64_t m = (uint64_t)whole + (frac > 0.5);
        int x = e;
        if (m < (uint64_t)exact_pow10[p - 1] || m > (uint64_t)exact_pow10[p])
            return 0; /* log10 was off by one: leave it to printf */
        if (m == (uint64_t)exact_pow10[p]) {
            m /= 10;
            x++;
        }
        int n = format_g_digits(buf, v < 0, m, p, x);
        if (strtof(buf, NULL) == v)
            return n;
    }
    return 0;
}

/* Shortest %g text that reads back as the same float (at most 9 digits). */
static int format_float(char *buf, float v)
{
    int n = format_non_finite(buf, v);
    if (n > 0)
        return n;
    n = format_float_fast(buf, v);
    if (n > 0)
        return n;
    /* Six digits are the shortest for every normal float that fits in six; subnormals have fewer
     * significant bits, so they may need as few as one. */
    for (int precision = fabsf(v) < FLT_MIN ? 1 : 6; precision < 9; precision++) {
        n = sprintf(buf, "%.*g", precision, (double)v);
        if (strtof(buf, NULL) == v)
            return n;
    }
    return sprintf(buf, "%.9g", (double)v);
}

/* Shortest %g text that reads back as the same double (at most 17 digits). */
static int format_double(char *buf, double v)
{
    int n = format_non_finite(buf, v);
    if (n > 0)
        return n;
    for (int precision = fabs(v) < DBL_MIN ? 1 : 15; precision < 17; precision++) {
        n = sprintf(buf, "%.*g", precision, v);
        if (strtod(buf, NULL) == v)
            return n;
    }
    return sprintf(buf, "%.17g", v);
}

static int format_element(char *buf, const ferry_tensor *t, size_t i)
{
    const void *d = t->data;
    switch (t->dtype) {
    case FERRY_DTYPE_BOOL:
        return sprintf(buf, "%s", ((const uint8_t *)d)[i] ? "true" : "false");
    case FERRY_DTYPE_UINT8:
        return sprintf(buf, "%u", (unsigned)((const uint8_t *)d)[i]);
    case FERRY_DTYPE_UINT16:
        return sprintf(buf, "%u", (unsigned)((const uint16_t *)d)[i]);
    case FERRY_DTYPE_UINT32:
        return sprintf(buf, "%" PRIu32, ((const uint32_t *)d)[i]);
    case FERRY_DTYPE_UINT64:
        return sprintf(buf, "%" PRIu64, ((const uint64_t *)d)[i]);
    case FERRY_DTYPE_INT8:
        return sprintf(buf, "%d", (int)((const int8_t *)d)[i]);
    case FERRY_DTYPE_INT16:
        return sprintf(buf, "%d", (int)((const int16_t *)d)[i]);
    case FERRY_DTYPE_INT32:
        return sprintf(buf, "%" PRId32, ((const int32_t *)d)[i]);
    case FERRY_DTYPE_INT64:
        return sprintf(buf, "%" PRId64, ((const int64_t *)d)[i]);
    case FERRY_DTYPE_FP32:
        return format_float(buf, ((const float *)d)[i]);
    case FERRY_DTYPE_FP64:
        return format_double(buf, ((const double *)d)[i]);
    default:
        return sprintf(buf, "null");
    }
}

/* Appends BYTES elements (4-byte length prefixed) as JSON strings. */
static ferry_status encode_bytes_data(buffer *out, const ferry_tensor *t)
{
    const unsigned char *p = t->data, *end = p + t->nbytes;
    bool first = true;
    while (p + 4 <= end) {
        uint32_t len;
        memcpy(&len, p, 4);
        p += 4;
        if (len > (size_t)(end - p))
            return FERRY_INTERNAL;
        size_t escaped = json_escaped_length((const char *)p, len);
        ferry_status st = buffer_reserve(out, escaped + 3);
        if (st != FERRY_OK)
            return st;
        if (!first)
            out->data[out->len++] = ',';
        out->data[out->len++] = '"';
        out->len += json_escape(out->data + out->len, escaped, (const char *)p, len);
        out->data[out->len++] = '"';
        out->data[out->len] = '\0';
        p += len;
        first = false;
    }
    return FERRY_OK;
}

static ferry_status encode_data(buffer *out, const ferry_tensor *t)
{
    if (t->dtype == FERRY_DTYPE_BYTES)
        return encode_bytes_data(out, t);
    size_t size = ferry_dtype_size(t->dtype);
    size_t count = size ? t->nbytes / size : 0;
    char num[48];
    for (size_t i = 0; i < count; i++) {
        ferry_status st = buffer_reserve(out, sizeof num + 1);
        if (st != FERRY_OK)
            return st;
        if (i > 0)
            out->data[out->len++] = ',';
        out->len += (size_t)format_element(out->data + out->len, t, i);
    }
    return FERRY_OK;
}

static ferry_status encode_output(buffer *out, const ferry_tensor *t, bool first, bool binary)
{
    ferry_status st = buffer_append_str(out, first ? "{\"name\":" : ",{\"name\":");
    if (st == FERRY_OK)
        st = oip_append_string(out, t->name);
    if (st == FERRY_OK)
        st = buffer_printf(out, ",\"datatype\":\"%s\",\"shape\":[", ferry_dtype_name(t->dtype));
    for (int d = 0; st == FERRY_OK && d < t->ndim; d++)
        st = buffer_printf(out, "%s%" PRId64, d ? "," : "", t->shape[d]);
    if (binary)
        return st == FERRY_OK
                   ? buffer_printf(out, "],\"parameters\":{\"binary_data_size\":%zu}}", t->nbytes)
                   : st;
    if (st == FERRY_OK)
        st = buffer_append_str(out, "],\"data\":[");
    if (st == FERRY_OK)
        st = encode_data(out, t);
    if (st == FERRY_OK)
        st = buffer_append_str(out, "]}");
    return st;
}

ferry_status oip_encode_response(buffer *out, const char *model, const char *version,
                                 const char *id, const ferry_tensor *const *outputs,
                                 size_t n_outputs)
{
    size_t json_len;
    return oip_encode_response_binary(out, model, version, id, outputs, n_outputs, NULL, &json_len);
}

ferry_status oip_encode_response_binary(buffer *out, const char *model, const char *version,
                                        const char *id, const ferry_tensor *const *outputs,
                                        size_t n_outputs, const bool *binary, size_t *json_len)
{
    size_t start = out->len;
    ferry_status st = buffer_append_str(out, "{\"model_name\":");
    if (st == FERRY_OK)
        st = oip_append_string(out, model);
    if (st == FERRY_OK && version != NULL && version[0] != '\0') {
        st = buffer_append_str(out, ",\"model_version\":");
        if (st == FERRY_OK)
            st = oip_append_string(out, version);
    }
    if (st == FERRY_OK && id != NULL) {
        st = buffer_append_str(out, ",\"id\":");
        if (st == FERRY_OK)
            st = oip_append_string(out, id);
    }
    if (st == FERRY_OK)
        st = buffer_append_str(out, ",\"outputs\":[");
    for (size_t i = 0; st == FERRY_OK && i < n_outputs; i++)
        st = encode_output(out, outputs[i], i == 0, binary != NULL && binary[i]);
    if (st == FERRY_OK)
        st = buffer_append_str(out, "]}");
    *json_len = out->len - start;
    for (size_t i = 0; st == FERRY_OK && binary != NULL && i < n_outputs; i++)
        if (binary[i])
            st = buffer_append(out, outputs[i]->data, outputs[i]->nbytes);
    return st;
}

ferry_status oip_encode_tensors(buffer *out, const ferry_tensor *tensors, size_t n)
{
    ferry_status st = buffer_append_str(out, "[");
    for (size_t i = 0; st == FERRY_OK && i < n; i++)
        st = encode_output(out, &tensors[i], i == 0, false);
    return st == FERRY_OK ? buffer_append_str(out, "]") : st;
}

ferry_status oip_encode_error(buffer *out, const char *message)
{
    ferry_status st = buffer_append_str(out, "{\"error\":");
    if (st == FERRY_OK)
        st = oip_append_string(out, message);
    if (st == FERRY_OK)
        st = buffer_append_str(out, "}");
    return st;
}
