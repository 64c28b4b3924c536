/* Encoding a served prediction for the prediction log; see payload_log.h. */
#include "protocol/payload_log.h"

#include <stdlib.h>
#include <string.h>

#include "core/buffer.h"
#include "core/log.h"
#include "protocol/oip_json.h"

#define PAYLOAD_JSON_MAX (64u << 20)

static char *tensors_json(const ferry_tensor *t, size_t n)
{
    buffer b;
    buffer_init(&b, PAYLOAD_JSON_MAX);
    size_t guess = 64;
    for (size_t i = 0; i < n; i++)
        guess += 96 + t[i].nbytes * 4; /* about 12 characters for a 4-byte number */
    if (buffer_reserve(&b, guess) != FERRY_OK || oip_encode_tensors(&b, t, n) != FERRY_OK) {
        buffer_free(&b);
        return NULL;
    }
    size_t len = 0;
    return buffer_take(&b, &len);
}

/* A request's tensors copied into one block (names and data behind the tensor array), for the
 * state store's writer to encode later. */
typedef struct payload_copy {
    size_t n_inputs, n_outputs;
    ferry_tensor tensors[]; /* inputs, then outputs */
} payload_copy;

#define PAYLOAD_ALIGN(n) (((n) + 15u) & ~(size_t)15u)

static size_t copy_size(const ferry_tensor *t, size_t n)
{
    size_t size = 0;
    for (size_t i = 0; i < n; i++)
        size += PAYLOAD_ALIGN(strlen(t[i].name != NULL ? t[i].name : "") + 1) +
                PAYLOAD_ALIGN(t[i].nbytes);
    return size;
}

/* Copies n tensors into to[0..n), their names and data from *tail on. */
static void copy_tensors(ferry_tensor *to, const ferry_tensor *from, size_t n, char **tail)
{
    for (size_t i = 0; i < n; i++) {
        const char *name = from[i].name != NULL ? from[i].name : "";
        size_t len = strlen(name) + 1;
        to[i] = from[i];
        to[i].owned = false;
        memcpy(*tail, name, len);
        to[i].name = *tail;
        *tail += PAYLOAD_ALIGN(len);
        if (from[i].nbytes > 0)
            memcpy(*tail, from[i].data, from[i].nbytes);
        to[i].data = *tail;
        *tail += PAYLOAD_ALIGN(from[i].nbytes);
    }
}

static payload_copy *payload_copy_create(const ferry_tensor *in, size_t n_in,
                                         const ferry_tensor *out, size_t n_out)
{
    size_t head = PAYLOAD_ALIGN(sizeof(payload_copy) + (n_in + n_out) * sizeof(ferry_tensor));
    payload_copy *c = malloc(head + copy_size(in, n_in) + copy_size(out, n_out));
    if (c == NULL)
        return NULL;
    c->n_inputs = n_in;
    c->n_outputs = n_out;
    char *tail = (char *)c + head;
    copy_tensors(c->tensors, in, n_in, &tail);
    copy_tensors(c->tensors + n_in, out, n_out, &tail);
    return c;
}

/* On the state store's writer thread. */
static bool payload_encode(void *data, char **inputs, char **outputs)
{
    const payload_copy *c = data;
    *inputs = tensors_json(c->tensors, c->n_inputs);
    *outputs = tensors_json(c->tensors + c->n_inputs, c->n_outputs);
    return *inputs != NULL && *outputs != NULL;
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
    if (hub == NULL || id == NULL || mv->feedback.sample <= 0 || mv->io.n_inputs == 0 ||
        !feedback_hub_sampled(hub, &mv->feedback))
        return;
    /* A copy of the tensors here; their JSON is written by the store's writer thread. */
    payload_copy *copy = payload_copy_create(inputs, mv->io.n_inputs, outputs, mv->io.n_outputs);
    int64_t rows = inputs[0].ndim > 0 ? inputs[0].shape[0] : 1;
    int64_t out_rows = 0;
    size_t cols = 0;
    double *scores = mv->io.n_outputs > 0 ? scores_of(&outputs[0], &out_rows, &cols) : NULL;
    if (copy == NULL) {
        log_fields f = {.model = mv->name, .version = mv->version, .request_id = id};
        log_warn(&f, "prediction log: out of memory; not logged");
        free(scores);
        return;
    }
    if (scores == NULL || out_rows != rows)
        cols = 0; /* logged, but not scored */
    state_payload payload = {.data = copy, .encode = payload_encode, .free = free};
    feedback_hub_log(hub, id, mv->name, mv->version, &mv->feedback, rows, payload, cols, scores);
    free(scores);
}
