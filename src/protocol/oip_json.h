/* The Open Inference Protocol v2 JSON codec: an inference request decoded into tensors (flat or
 * nested `data`, every datatype JSON can carry), and responses and errors encoded into a buffer. */
#ifndef FERRY_PROTOCOL_OIP_JSON_H
#define FERRY_PROTOCOL_OIP_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buffer.h"
#include "ferry/tensor.h"

#define OIP_MAX_TENSORS  256
#define OIP_MAX_ELEMENTS (UINT64_C(1) << 32) /* per tensor */

/* A decoded request. Tensor names, the id and output names point into `doc`; the document, tensor
 * data and the arrays all live in the arena, so the request is valid until the arena is reset.
 * oip_request_free drops it. */
typedef struct oip_request {
    json_t *doc;
    bool doc_in_arena; /* the arena owns doc (never json_decref'ed) */
    const char *id;    /* NULL when absent */
    size_t n_inputs;
    ferry_tensor *inputs;
    size_t n_outputs; /* 0: all outputs */
    const char **outputs;
    bool *output_binary; /* per named output: answer it as binary data */
    bool binary_default; /* binary_data_output: the choice for outputs that do not say */
    uint64_t timeout_us; /* the `timeout` parameter; 0 when absent */
} oip_request;

/* Decodes an inference request body: numeric `data` through the strict fast path of
 * oip_json_fast.c, anything it declines through oip_decode_request_general; either way the request
 * decoded, or the error, is the same. Fails as oip_decode_request_general. */
ferry_status oip_decode_request(const char *body, size_t len, arena *a, oip_request *req,
                                ferry_error *err) FERRY_MUST_CHECK;

/* Decodes an inference request body with jansson. Fails with INVALID_ARG naming the input, field
 * and element at fault (malformed JSON gives the line and column; FP16 and BF16 too, as JSON cannot
 * carry them), INVALID_ARG for an input with binary_data_size (the body has no binary part), and
 * NO_MEMORY / TOO_LARGE when the arena is exhausted. On failure nothing needs freeing. */
ferry_status oip_decode_request_general(const char *body, size_t len, arena *a, oip_request *req,
                                        ferry_error *err) FERRY_MUST_CHECK;

/* For the fast path: decodes an input's `data` value in place of the general decoder. Receives the
 * tensor with its name, datatype and shape set; sets its data (from the arena) and nbytes, or
 * fails with any status. */
typedef ferry_status (*oip_data_decoder)(void *ctx, const json_t *data, ferry_tensor *t, arena *a,
                                         ferry_error *err);

/* As oip_decode_request_general, with every input's `data` decoded by `decode`. */
ferry_status oip_decode_request_with(const char *body, size_t len, oip_data_decoder decode,
                                     void *ctx, arena *a, oip_request *req,
                                     ferry_error *err) FERRY_MUST_CHECK;

/* Decodes a body of the binary tensor data extension: body[0..json_len) is the JSON header and
 * body[json_len..len) the blobs of the inputs that carry binary_data_size, in input order (BYTES:
 * 4-byte little-endian length, then the bytes, per element). Fails as oip_decode_request, and with
 * INVALID_ARG naming the input when a blob's size does not match its shape and datatype, when an
 * input has both data and binary_data_size, when json_len is beyond the body or when bytes are
 * left over. */
ferry_status oip_decode_request_binary(const char *body, size_t json_len, size_t len, arena *a,
                                       oip_request *req, ferry_error *err) FERRY_MUST_CHECK;

/* Frees the JSON document. Accepts NULL. */
void oip_request_free(oip_request *req);

/* One output to encode. */
typedef struct oip_output {
    const ferry_tensor *tensor;
} oip_output;

/* Appends an inference response: model_name, model_version, id (when not NULL) and the given
 * outputs with flat `data`. FP32 is written as the shortest decimal that reads back as the same
 * float; NaN and infinities as the strings "NaN", "Infinity", "-Infinity". */
ferry_status oip_encode_response(buffer *out, const char *model, const char *version,
                                 const char *id, const ferry_tensor *const *outputs,
                                 size_t n_outputs) FERRY_MUST_CHECK;

/* As oip_encode_response, but each output i with binary[i] set (binary may be NULL: none) carries
 * parameters.binary_data_size instead of data, and its raw bytes follow the JSON in output order.
 * *json_len receives the length of the JSON part (Inference-Header-Content-Length). */
ferry_status oip_encode_response_binary(buffer *out, const char *model, const char *version,
                                        const char *id, const ferry_tensor *const *outputs,
                                        size_t n_outputs, const bool *binary,
                                        size_t *json_len) FERRY_MUST_CHECK;

/* Appends a JSON list of tensors as responses write them: [{"name","datatype","shape","data"}]. */
ferry_status oip_encode_tensors(buffer *out, const ferry_tensor *tensors,
                                size_t n) FERRY_MUST_CHECK;

/* Appends {"error": message}. */
ferry_status oip_encode_error(buffer *out, const char *message) FERRY_MUST_CHECK;

/* Appends a JSON string literal (quoted, escaped). */
ferry_status oip_append_string(buffer *out, const char *s) FERRY_MUST_CHECK;

#endif
