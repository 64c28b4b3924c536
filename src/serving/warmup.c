/* The warm-up inference; see warmup.h. */
#include "serving/warmup.h"

#include <string.h>

#include "core/arena.h"
#include "core/log.h"
#include "serving/inference.h"

/* Shapes and zeroes one sample input like info (variable dimensions become 1). False when it
 * cannot be warmed: BYTES, too large, or out of memory. */
static bool sample_input(const ferry_tensor_info *info, ferry_tensor *t, arena *a)
{
    size_t elem = ferry_dtype_size(info->dtype);
    if (elem == 0)
        return false;
    *t = (ferry_tensor){.name = info->name, .dtype = info->dtype, .ndim = info->ndim};
    uint64_t count = 1;
    for (int d = 0; d < info->ndim; d++) {
        t->shape[d] = info->shape[d] < 0 ? 1 : info->shape[d];
        count *= (uint64_t)(t->shape[d] > 0 ? t->shape[d] : 1);
        if (count > WARMUP_MAX_ELEMENTS)
            return false;
    }
    t->nbytes = (size_t)count * elem;
    t->data = arena_alloc(a, t->nbytes);
    if (t->data == NULL)
        return false;
    memset(t->data, 0, t->nbytes);
    return true;
}

ferry_status warmup_run(model_version *mv, ferry_error *err)
{
    arena a;
    arena_init(&a, (size_t)WARMUP_MAX_ELEMENTS * 16 + (1u << 20));
    size_t n = mv->io.n_inputs;
    ferry_tensor *inputs = arena_alloc(&a, (n + 1) * sizeof *inputs);
    ferry_tensor *outputs = arena_alloc(&a, (mv->io.n_outputs + 1) * sizeof *outputs);
    bool ok = inputs != NULL && outputs != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = sample_input(&mv->io.inputs[i], &inputs[i], &a);
    ferry_status st = FERRY_OK;
    if (ok) {
        st = inference_run(mv, inputs, n, outputs, &a, err);
        if (st != FERRY_OK)
            ferry_error_prefix(err, "warm-up inference failed: ");
    } else {
        log_fields f = {.model = mv->name, .version = mv->version};
        log_debug(&f, "not warmed: an input has a variable-size datatype or is too large");
    }
    arena_free(&a);
    return st;
}
