/* Input binding and the backend call; see inference.h. */
#include "serving/inference.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/convert.h"

const char *inference_format_shape(const int64_t *shape, int ndim, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < ndim && used < len; i++)
        used +=
            (size_t)snprintf(buf + used, len - used, "%s%lld", i ? "," : "", (long long)shape[i]);
    if (used < len)
        snprintf(buf + used, len - used, "]");
    return buf;
}

static void list_input_names(const model_version *mv, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < mv->io.n_inputs && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s'%s'", i ? ", " : "",
                                 mv->io.inputs[i].name);
}

static ferry_status check_shape(const model_version *mv, const ferry_tensor_info *want,
                                const ferry_tensor *got, ferry_error *err)
{
    char want_s[128], got_s[128];
    bool ok = want->ndim == got->ndim;
    for (int d = 0; ok && d < want->ndim; d++)
        ok = want->shape[d] < 0 || want->shape[d] == got->shape[d];
    if (ok)
        return FERRY_OK;
    inference_format_shape(want->shape, want->ndim, want_s, sizeof want_s);
    inference_format_shape(got->shape, got->ndim, got_s, sizeof got_s);
    if (want->ndim == 2 && got->ndim == 2 && want->shape[1] > 0 && mv->io.n_features > 0)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model '%s' version %s: input '%s' has %lld features per row, the "
                               "model expects %lld (shape %s, expected %s)",
                               mv->name, mv->version, got->name, (long long)got->shape[1],
                               (long long)want->shape[1], got_s, want_s);
    return ferry_error_set(err, FERRY_INVALID_ARG,
                           "model '%s' version %s: input '%s' has shape %s, expected %s "
                           "(-1 is any size)",
                           mv->name, mv->version, got->name, got_s, want_s);
}

/* Checks one request input against the model input it names and converts its dtype if needed. */
static ferry_status bind_input(const model_version *mv, const ferry_tensor_info *want,
                               const ferry_tensor *got, ferry_tensor *bound, arena *a,
                               ferry_error *err)
{
    if (got->dtype != want->dtype &&
        ((unsigned)got->dtype >= FERRY_DTYPE_COUNT || (want->accepted & (1u << got->dtype)) == 0))
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model '%s' version %s: input '%s' has datatype %s, expected %s",
                               mv->name, mv->version, got->name, ferry_dtype_name(got->dtype),
                               ferry_dtype_name(want->dtype));
    ferry_status st = check_shape(mv, want, got, err);
    if (st != FERRY_OK)
        return st;
    /* Backends read as many elements as the shape says: the data must hold exactly that many. */
    size_t size = ferry_dtype_size(got->dtype);
    uint64_t count = 0;
    if (size > 0 &&
        (ferry_shape_elements(got->shape, got->ndim, SIZE_MAX / size, &count, NULL) != FERRY_OK ||
         count * size != got->nbytes)) {
        char got_s[128];
        inference_format_shape(got->shape, got->ndim, got_s, sizeof got_s);
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model '%s' version %s: input '%s' has %zu bytes of %s data, which "
                               "does not match its shape %s",
                               mv->name, mv->version, got->name, got->nbytes,
                               ferry_dtype_name(got->dtype), got_s);
    }
    if (got->dtype == want->dtype) {
        *bound = *got;
        return FERRY_OK;
    }
    return convert_tensor(got, want->dtype, bound, a, err);
}

/* Puts the request's inputs in the model's order; refuses unknown, duplicate and missing ones. */
static ferry_status match_inputs(const model_version *mv, const ferry_tensor *inputs,
                                 size_t n_inputs, const ferry_tensor **ordered, ferry_error *err)
{
    char names[256];
    for (size_t i = 0; i < n_inputs; i++) {
        int k = model_version_input_index(mv, inputs[i].name);
        if (k < 0) {
            list_input_names(mv, names, sizeof names);
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "model '%s' version %s has no input '%s' (inputs: %s)", mv->name,
                                   mv->version, inputs[i].name, names);
        }
        if (ordered[k] != NULL)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "model '%s' version %s: input '%s' is given twice", mv->name,
                                   mv->version, inputs[i].name);
        ordered[k] = &inputs[i];
    }
    for (size_t k = 0; k < mv->io.n_inputs; k++)
        if (ordered[k] == NULL)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "model '%s' version %s: missing input '%s'", mv->name,
                                   mv->version, mv->io.inputs[k].name);
    return FERRY_OK;
}

ferry_status inference_bind(const model_version *mv, const ferry_tensor *inputs, size_t n_inputs,
                            ferry_tensor *bound, arena *a, ferry_error *err)
{
    size_t n_model = mv->io.n_inputs;
    const ferry_tensor **ordered = arena_alloc(a, n_model * sizeof *ordered + 1);
    if (ordered == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "model '%s': out of memory", mv->name);
    memset(ordered, 0, n_model * sizeof *ordered);
    ferry_status st = match_inputs(mv, inputs, n_inputs, ordered, err);
    for (size_t k = 0; st == FERRY_OK && k < n_model; k++)
        st = bind_input(mv, &mv->io.inputs[k], ordered[k], &bound[k], a, err);
    return st;
}

ferry_status inference_execute(model_version *mv, const ferry_tensor *bound, ferry_tensor *outputs,
                               arena *a, ferry_error *err)
{
    ferry_allocator alloc = arena_allocator(a);
    ferry_status st = mv->backend->infer(mv->handle, bound, mv->io.n_inputs, outputs,
                                         mv->io.n_outputs, &alloc, err);
    if (st != FERRY_OK && st != FERRY_INVALID_ARG)
        ferry_error_prefix(err, "model '%s' version %s: ", mv->name, mv->version);
    return st;
}

ferry_status inference_run(model_version *mv, const ferry_tensor *inputs, size_t n_inputs,
                           ferry_tensor *outputs, arena *a, ferry_error *err)
{
    ferry_tensor *bound = arena_alloc(a, mv->io.n_inputs * sizeof *bound + 1);
    if (bound == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "model '%s': out of memory", mv->name);
    ferry_status st = inference_bind(mv, inputs, n_inputs, bound, a, err);
    if (st == FERRY_OK)
        st = inference_execute(mv, bound, outputs, a, err);
    return st;
}

ferry_status inference_select_outputs(const model_version *mv, const char *const *names,
                                      size_t n_names, const ferry_tensor *outputs,
                                      const ferry_tensor **selected, size_t *n_selected,
                                      ferry_error *err)
{
    if (n_names == 0) {
        for (size_t i = 0; i < mv->io.n_outputs; i++)
            selected[i] = &outputs[i];
        *n_selected = mv->io.n_outputs;
        return FERRY_OK;
    }
    for (size_t i = 0; i < n_names; i++) {
        int k = model_version_output_index(mv, names[i]);
        if (k < 0)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "model '%s' version %s has no output '%s'", mv->name,
                                   mv->version, names[i]);
        selected[i] = &outputs[k];
    }
    *n_selected = n_names;
    return FERRY_OK;
}

uint64_t inference_batch_size(const model_version *mv, const ferry_tensor *bound)
{
    if (mv->io.n_inputs == 0 || mv->io.inputs[0].ndim == 0 || mv->io.inputs[0].shape[0] >= 0 ||
        bound[0].ndim == 0 || bound[0].shape[0] < 0)
        return 1;
    return (uint64_t)bound[0].shape[0];
}
