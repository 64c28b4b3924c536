/* Decode -> infer -> select -> encode; see oip_infer.h. */
#include "protocol/oip_infer.h"

#include <stdio.h>

#include "core/clock.h"
#include "protocol/oip_json.h"
#include "serving/inference.h"

/* Picks the outputs to return, in the order the request lists them (all when it lists none). */
static ferry_status select_outputs(const model_version *mv, const oip_request *req,
                                   const ferry_tensor *outputs, const ferry_tensor **selected,
                                   size_t *n_selected, ferry_error *err)
{
    if (req->n_outputs == 0) {
        for (size_t i = 0; i < mv->io.n_outputs; i++)
            selected[i] = &outputs[i];
        *n_selected = mv->io.n_outputs;
        return FERRY_OK;
    }
    for (size_t i = 0; i < req->n_outputs; i++) {
        int k = model_version_output_index(mv, req->outputs[i]);
        if (k < 0)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "model '%s' version %s has no output '%s'", mv->name,
                                   mv->version, req->outputs[i]);
        selected[i] = &outputs[k];
    }
    *n_selected = req->n_outputs;
    return FERRY_OK;
}

static ferry_status run_decoded(model_version *mv, const oip_request *req, arena *a, buffer *out,
                                oip_infer_result *result, ferry_error *err)
{
    ferry_tensor *outputs = arena_alloc(a, mv->io.n_outputs * sizeof *outputs + 1);
    const ferry_tensor **selected =
        arena_alloc(a, (mv->io.n_outputs + req->n_outputs) * sizeof *selected + 1);
    if (outputs == NULL || selected == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory");
    uint64_t t0 = clock_now_ns();
    ferry_status st = inference_run(mv, req->inputs, req->n_inputs, outputs, a, err);
    result->inference_ns = clock_now_ns() - t0;
    size_t n_selected = 0;
    if (st == FERRY_OK)
        st = select_outputs(mv, req, outputs, selected, &n_selected, err);
    if (st != FERRY_OK)
        return st;
    st = oip_encode_response(out, mv->name, mv->version, result->id[0] ? result->id : NULL,
                             selected, n_selected);
    if (st != FERRY_OK)
        return ferry_error_set(err, st == FERRY_TOO_LARGE ? FERRY_INTERNAL : st,
                               "cannot build the response: %s", ferry_status_name(st));
    return FERRY_OK;
}

ferry_status oip_infer_json(model_version *mv, const char *body, size_t len,
                            const char *fallback_id, arena *a, buffer *out,
                            oip_infer_result *result, ferry_error *err)
{
    result->id[0] = '\0';
    result->inference_ns = 0;
    oip_request req;
    ferry_status st = oip_decode_request(body, len, a, &req, err);
    if (st != FERRY_OK)
        return st;
    const char *id = req.id != NULL ? req.id : fallback_id;
    if (id != NULL)
        snprintf(result->id, sizeof result->id, "%s", id);
    st = run_decoded(mv, &req, a, out, result, err);
    oip_request_free(&req);
    return st;
}
