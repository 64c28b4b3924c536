/* Encoding a served prediction for the prediction log; see payload_log.h. */
#include "protocol/payload_log.h"

#include <stdlib.h>

#include "core/buffer.h"
#include "core/log.h"
#include "protocol/oip_json.h"

#define PAYLOAD_JSON_MAX (64u << 20)

static char *tensors_json(const ferry_tensor *t, size_t n)
{
    buffer b;
    buffer_init(&b, PAYLOAD_JSON_MAX);
    if (oip_encode_tensors(&b, t, n) != FERRY_OK) {
        buffer_free(&b);
        return NULL;
    }
    size_t len = 0;
    return buffer_take(&b, &len);
}

/* The first output as doubles: rows by its first dimension, cols the rest. NULL when it is not
 * numeric or memory runs out. */
static double *scores_of(const ferry_tensor *t, int64_t *rows, size_t *cols)
{
    size_t n = ferry_dtype_size(t->dtype) ? t->nbytes / ferry_dtype_size(t->dtype) : 0;
    *rows = t->ndim > 0 ? t->shape[0] : 1;
    *cols = *rows > 0 ? n / (size_t)*rows : 0;
    double *v = malloc((n + 1) * sizeof *v);
    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        switch (t->dtype) {
        case FERRY_DTYPE_FP32:
            v[i] = ((const float *)t->data)[i];
            break;
        case FERRY_DTYPE_FP64:
            v[i] = ((const double *)t->data)[i];
            break;
        case FERRY_DTYPE_INT64:
            v[i] = (double)((const int64_t *)t->data)[i];
            break;
        case FERRY_DTYPE_INT32:
            v[i] = ((const int32_t *)t->data)[i];
            break;
        default:
            free(v);
            *cols = 0;
            return NULL;
        }
    }
    return v;
}

void payload_log_prediction(feedback_hub *hub, const char *id, const model_version *mv,
                            const ferry_tensor *inputs, const ferry_tensor *outputs)
{
    if (hub == NULL || id == NULL || mv->feedback.sample <= 0 || mv->io.n_inputs == 0)
        return;
    char *in = tensors_json(inputs, mv->io.n_inputs);
    char *out = tensors_json(outputs, mv->io.n_outputs);
    int64_t rows = inputs[0].ndim > 0 ? inputs[0].shape[0] : 1;
    int64_t out_rows = 0;
    size_t cols = 0;
    double *scores = mv->io.n_outputs > 0 ? scores_of(&outputs[0], &out_rows, &cols) : NULL;
    if (in == NULL || out == NULL) {
        log_fields f = {.model = mv->name, .version = mv->version, .request_id = id};
        log_warn(&f, "prediction log: cannot encode the request; not logged");
        free(in);
        free(out);
        free(scores);
        return;
    }
    if (scores == NULL || out_rows != rows)
        cols = 0; /* logged, but not scored */
    feedback_hub_log(hub, id, mv->name, mv->version, &mv->feedback, rows, in, out, cols, scores);
    free(scores);
}
