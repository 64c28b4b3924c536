/* Decode -> infer_call_run -> encode; see oip_infer.h. */
#include "protocol/oip_infer.h"

#include <stdio.h>

#include "core/uuid.h"

#include "protocol/oip_json.h"

static ferry_status run_decoded(infer_call *call, const oip_request *req, arena *a, buffer *out,
                                oip_infer_result *result, ferry_error *err)
{
    infer_outputs outputs;
    ferry_status st = infer_call_run(call, req->inputs, req->n_inputs, req->outputs, req->n_outputs,
                                     a, &outputs, err);
    if (st != FERRY_OK)
        return st;
    const model_version *mv = call->mv;
    st = oip_encode_response(out, mv->name, mv->version, result->id[0] ? result->id : NULL,
                             outputs.tensors, outputs.n);
    if (st != FERRY_OK)
        return ferry_error_set(err, st == FERRY_TOO_LARGE ? FERRY_INTERNAL : st,
                               "cannot build the response: %s", ferry_status_name(st));
    return FERRY_OK;
}

ferry_status oip_infer_json(infer_call *call, const char *body, size_t len, const char *fallback_id,
                            arena *a, buffer *out, oip_infer_result *result, ferry_error *err)
{
    result->id[0] = '\0';
    oip_request req;
    ferry_status st = oip_decode_request(body, len, a, &req, err);
    if (st != FERRY_OK)
        return st;
    const char *id = req.id != NULL ? req.id : fallback_id;
    if (id != NULL)
        snprintf(result->id, sizeof result->id, "%s", id);
    else
        uuid_v4(result->id); /* every response carries an id that feedback can name */
    call->id = result->id;
    st = run_decoded(call, &req, a, out, result, err);
    oip_request_free(&req);
    return st;
}
