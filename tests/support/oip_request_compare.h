/* Compares two decoded OIP requests field by field (tensors byte for byte), for the tests and the
 * fuzz target that check the fast JSON path against the general one. Header-only: the fuzz target
 * links no test support library. */
#ifndef FERRY_TESTS_OIP_REQUEST_COMPARE_H
#define FERRY_TESTS_OIP_REQUEST_COMPARE_H

#include <string.h>

#include "protocol/oip_json.h"

static inline int oip_compare_strings(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a != b;
    return strcmp(a, b) != 0;
}

static inline const char *oip_compare_tensor(const ferry_tensor *a, const ferry_tensor *b)
{
    if (oip_compare_strings(a->name, b->name))
        return "input name";
    if (a->dtype != b->dtype || a->ndim != b->ndim)
        return "input datatype or rank";
    if (memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof a->shape[0]) != 0)
        return "input shape";
    if (a->nbytes != b->nbytes)
        return "input nbytes";
    if (a->nbytes > 0 && memcmp(a->data, b->data, a->nbytes) != 0)
        return "input data";
    return NULL;
}

/* Returns NULL when the requests are the same, else the first field that differs. */
static inline const char *oip_request_difference(const oip_request *a, const oip_request *b)
{
    if (oip_compare_strings(a->id, b->id))
        return "id";
    if (a->n_inputs != b->n_inputs)
        return "number of inputs";
    for (size_t i = 0; i < a->n_inputs; i++) {
        const char *why = oip_compare_tensor(&a->inputs[i], &b->inputs[i]);
        if (why != NULL)
            return why;
    }
    if (a->n_outputs != b->n_outputs || a->binary_default != b->binary_default ||
        a->timeout_us != b->timeout_us)
        return "outputs, binary_data_output or timeout";
    for (size_t i = 0; i < a->n_outputs; i++)
        if (oip_compare_strings(a->outputs[i], b->outputs[i]) ||
            a->output_binary[i] != b->output_binary[i])
            return "an output";
    return NULL;
}

#endif
