/* Decode -> infer_call_run -> encode; see oip_infer.h. The raw binary request (no JSON header) is
 * turned into a one-input request here, where the held version's metadata is at hand. */
#include "protocol/oip_infer.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/uuid.h"

#include "protocol/oip_json.h"

/* Which of the picked outputs are answered binary: the request's choice per named output, its
 * binary_data_output for all when it named none. NULL when none is. */
static const bool *binary_flags(const oip_request *req, size_t n_picked, arena *a, bool *any)
{
    *any = false;
    bool *flags = arena_alloc(a, n_picked + 1);
    if (flags == NULL)
        return NULL;
    for (size_t i = 0; i < n_picked; i++) {
        flags[i] = req->n_outputs > 0 ? req->output_binary[i] : req->binary_default;
        *any = *any || flags[i];
    }
    return *any ? flags : NULL;
}

static ferry_status encode(infer_call *call, const oip_request *req, arena *a, buffer *out,
                           oip_infer_result *result, ferry_error *err)
{
    const model_version *mv = call->mv;
    const infer_outputs *outputs = &result->outputs;
    const bool *binary = binary_flags(req, outputs->n, a, &result->binary);
    if (result->binary && binary == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory building the response");
    ferry_status st =
        oip_encode_response_binary(out, mv->name, mv->version, result->id[0] ? result->id : NULL,
                                   outputs->tensors, outputs->n, binary, &result->json_len);
    if (st != FERRY_OK)
        return ferry_error_set(err, st == FERRY_TOO_LARGE ? FERRY_INTERNAL : st,
                               "cannot build the response: %s", ferry_status_name(st));
    return FERRY_OK;
}

static ferry_status run_decoded(infer_call *call, const oip_request *req, arena *a, buffer *out,
                                oip_infer_result *result, ferry_error *err)
{
    call->timeout_us = req->timeout_us;
    ferry_status st = infer_call_run(call, req->inputs, req->n_inputs, req->outputs, req->n_outputs,
                                     a, &result->outputs, err);
    if (st != FERRY_OK)
        return st;
    if (call->pending) {
        result->pending = true;
        return FERRY_OK;
    }
    return encode(call, req, a, out, result, err);
}

ferry_status oip_infer_finish(infer_call *call, arena *a, buffer *out, oip_infer_result *result,
                              ferry_error *err)
{
    result->pending = false;
    ferry_status st = infer_call_collect(call, err);
    if (st == FERRY_OK)
        st = encode(call, &result->req, a, out, result, err);
    oip_request_free(&result->req);
    return st;
}

/* Shape of a raw input of `len` bytes: the model's, with its one variable dimension deduced. */
static ferry_status raw_shape(const ferry_tensor_info *info, size_t len, ferry_tensor *t,
                              ferry_error *err)
{
    size_t size = ferry_dtype_size(info->dtype);
    int variable = -1;
    uint64_t fixed = 1;
    for (int d = 0; d < info->ndim; d++) {
        if (info->shape[d] >= 0) {
            fixed *= (uint64_t)info->shape[d];
            continue;
        }
        if (variable >= 0)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "input '%s' has more than one variable dimension: a raw binary "
                                   "body cannot give its shape; send a JSON header",
                                   info->name);
        variable = d;
    }
    t->ndim = info->ndim;
    memcpy(t->shape, info->shape, sizeof t->shape);
    uint64_t row = fixed * size;
    if (row == 0 || len % row != 0 || (variable < 0 && len != row))
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "input '%s': a raw body of %zu bytes is not a whole number of %s "
                               "elements of its shape",
                               info->name, len, ferry_dtype_name(info->dtype));
    if (variable >= 0)
        t->shape[variable] = (int64_t)(len / row);
    return FERRY_OK;
}

/* The raw binary request (Inference-Header-Content-Length: 0): the body is the model's only
 * input; a BYTES input gets it as one element of shape [1]. Every output is answered binary. */
static ferry_status decode_raw(const model_version *mv, const char *body, size_t len, arena *a,
                               oip_request *req, ferry_error *err)
{
    memset(req, 0, sizeof *req);
    if (mv->io.n_inputs != 1)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model '%s' has %zu inputs: a raw binary body "
                               "(Inference-Header-Content-Length: 0) serves only one-input models",
                               mv->name, mv->io.n_inputs);
    const ferry_tensor_info *info = &mv->io.inputs[0];
    ferry_tensor *t = arena_alloc(a, sizeof *t);
    if (t == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory decoding the raw body");
    *t = (ferry_tensor){.name = info->name, .dtype = info->dtype};
    bool bytes = info->dtype == FERRY_DTYPE_BYTES;
    if (bytes && len > UINT32_MAX)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "input '%s': a raw BYTES element is over 4 GiB", info->name);
    ferry_status st = FERRY_OK;
    if (bytes)
        *t = (ferry_tensor){.name = info->name, .dtype = info->dtype, .ndim = 1, .shape = {1}};
    else
        st = raw_shape(info, len, t, err);
    if (st != FERRY_OK)
        return st;
    size_t prefix = bytes ? 4 : 0;
    unsigned char *data = arena_alloc(a, prefix + len + 1);
    if (data == NULL)
        return ferry_error_set(err, FERRY_TOO_LARGE,
                               "input '%s': %zu bytes of tensor data exceed the request limit",
                               info->name, len);
    uint32_t len32 = (uint32_t)len;
    if (bytes)
        memcpy(data, &len32, 4);
    memcpy(data + prefix, body, len);
    t->data = data;
    t->nbytes = prefix + len;
    req->inputs = t;
    req->n_inputs = 1;
    req->binary_default = true;
    return FERRY_OK;
}

static ferry_status decode_body(const infer_call *call, const char *body, size_t len,
                                ssize_t header_len, arena *a, oip_request *req, ferry_error *err)
{
    if (header_len == OIP_JSON_ONLY)
        return oip_decode_request(body, len, a, req, err);
    if (header_len == 0)
        return decode_raw(call->mv, body, len, a, req, err);
    return oip_decode_request_binary(body, (size_t)header_len, len, a, req, err);
}

ferry_status oip_infer_body(infer_call *call, const char *body, size_t len, ssize_t header_len,
                            const char *fallback_id, arena *a, buffer *out,
                            oip_infer_result *result, ferry_error *err)
{
    *result = (oip_infer_result){.binary = false};
    if (call->mv == NULL)
        return ferry_error_set(err, FERRY_INTERNAL, "model '%s': no version held", call->model);
    oip_request req;
    ferry_status st = decode_body(call, body, len, header_len, a, &req, err);
    if (st != FERRY_OK)
        return st;
    const char *id = req.id != NULL ? req.id : fallback_id;
    if (id != NULL)
        snprintf(result->id, sizeof result->id, "%s", id);
    else
        uuid_v7(result->id); /* every response carries an id that feedback can name */
    call->id = result->id;
    call->id_generated = id == NULL;
    st = run_decoded(call, &req, a, out, result, err);
    if (st == FERRY_OK && result->pending)
        result->req = req; /* freed by oip_infer_finish */
    else
        oip_request_free(&req);
    return st;
}

ferry_status oip_infer_json(infer_call *call, const char *body, size_t len, const char *fallback_id,
                            arena *a, buffer *out, oip_infer_result *result, ferry_error *err)
{
    return oip_infer_body(call, body, len, OIP_JSON_ONLY, fallback_id, a, out, result, err);
}
