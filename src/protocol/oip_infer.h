/* One OIP v2 inference from body to response body: decode (JSON, or the binary tensor data
 * extension), run through the call's held version (infer_call_run: the same path as gRPC),
 * encode. The REST front end and `ferry predict` both call this. */
#ifndef FERRY_PROTOCOL_OIP_INFER_H
#define FERRY_PROTOCOL_OIP_INFER_H

#include <sys/types.h>

#include "core/arena.h"
#include "core/buffer.h"
#include "protocol/infer_call.h"
#include "protocol/oip_json.h"

/* header_len for a body without binary data (no Inference-Header-Content-Length). */
#define OIP_JSON_ONLY ((ssize_t)-1)

typedef struct oip_infer_result {
    char id[128];    /* the id echoed (body's, else fallback_id); "" when none */
    bool binary;     /* out holds JSON then binary outputs: answer application/octet-stream */
    size_t json_len; /* length of out's JSON part (Inference-Header-Content-Length) */
    bool pending;    /* queued (call->on_done set): finish with oip_infer_finish once it fires */
    oip_request req; /* kept for oip_infer_finish */
    infer_outputs outputs;
} oip_infer_result;

/* Runs the request in body[0..len) on the version call holds (after infer_call_acquire or
 * infer_call_attach) and appends the response to out. header_len is the request's
 * Inference-Header-Content-Length: OIP_JSON_ONLY for a JSON body, 0 for a raw body that is the
 * whole of the model's only input (all outputs answered binary), N for N bytes of JSON followed by
 * input blobs. fallback_id (may be NULL) is echoed when the body has no id. Memory comes from the
 * arena. Fails with INVALID_ARG for bad requests (naming input, output or element), UNSUPPORTED
 * for features not served yet, and the backend's status otherwise; out is then unchanged or
 * partial and must be reset. The caller still ends the call. */
ferry_status oip_infer_body(infer_call *call, const char *body, size_t len, ssize_t header_len,
                            const char *fallback_id, arena *a, buffer *out,
                            oip_infer_result *result, ferry_error *err) FERRY_MUST_CHECK;

/* Encodes the response of a pending request after its call's on_done fired; fails as
 * oip_infer_body (with the scheduler's DEADLINE_EXCEEDED or CANCELLED too). */
ferry_status oip_infer_finish(infer_call *call, arena *a, buffer *out, oip_infer_result *result,
                              ferry_error *err) FERRY_MUST_CHECK;

/* oip_infer_body for a JSON body. */
ferry_status oip_infer_json(infer_call *call, const char *body, size_t len, const char *fallback_id,
                            arena *a, buffer *out, oip_infer_result *result,
                            ferry_error *err) FERRY_MUST_CHECK;

#endif
