/* One OIP v2 JSON inference from body to response body: decode, run on a loaded version, pick
 * the requested outputs, encode. The REST front end and `ferry predict` both call this. */
#ifndef FERRY_PROTOCOL_OIP_INFER_H
#define FERRY_PROTOCOL_OIP_INFER_H

#include <stdint.h>

#include "core/arena.h"
#include "core/buffer.h"
#include "serving/model_version.h"

typedef struct oip_infer_result {
    char id[128];          /* the id echoed (body's, else fallback_id); "" when none */
    uint64_t inference_ns; /* time in the backend */
} oip_infer_result;

/* Runs the request in body[0..len) on mv and appends the response JSON to out. fallback_id (may be
 * NULL) is echoed when the body has no id. Memory comes from the arena. Fails with INVALID_ARG for
 * bad requests (naming input, output or element), UNSUPPORTED for features not served yet, and
 * the backend's status otherwise; out is then unchanged or partial and must be reset. */
ferry_status oip_infer_json(model_version *mv, const char *body, size_t len,
                            const char *fallback_id, arena *a, buffer *out,
                            oip_infer_result *result, ferry_error *err) FERRY_MUST_CHECK;

#endif
