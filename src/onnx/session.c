/* Sessions: input checks, the plan cache and the arena; see session.h. */
#include "onnx/session.h"

#include <stdlib.h>
#include <string.h>

#include "onnx/exec.h"
#include "onnx/plan.h"
#include "onnx/strings.h"

struct onnx_session {
    const onnx_model *model;
    void *arena; /* 64-aligned, arena_size bytes */
    size_t arena_size;
    onnx_plan *plans[ONNX_SESSION_MAX_PLANS];
    size_t n_plans;
    uint64_t clock; /* ticks per run, for least-recently-used eviction */
    int n_threads;
    onnx_exec_threads threads; /* pool NULL for one thread */
};

ferry_status onnx_session_create(const onnx_model *m, onnx_session **out, ferry_error *err)
{
    onnx_session *s = calloc(1, sizeof *s);
    if (s == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for an ONNX session");
    s->model = m;
    s->n_threads = 1;
    *out = s;
    return FERRY_OK;
}

void onnx_session_destroy(onnx_session *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_plans; i++)
        onnx_plan_destroy(s->plans[i]);
    onnx_pool_destroy(s->threads.pool);
    free(s->arena);
    free(s);
}

ferry_status onnx_session_set_threads(onnx_session *s, int n_threads, int64_t split_min,
                                      ferry_error *err)
{
    onnx_pool *pool = NULL;
    if (n_threads != 1) { /* one thread needs no pool; a bad count fails in pool_create */
        ferry_status st = onnx_pool_create(n_threads, &pool, err);
        if (st != FERRY_OK)
            return st;
    }
    onnx_pool_destroy(s->threads.pool);
    s->threads = (onnx_exec_threads){.pool = pool, .split_min = split_min};
    s->n_threads = n_threads;
    for (size_t i = 0; i < s->n_plans; i++)
        onnx_plan_destroy(s->plans[i]);
    s->n_plans = 0;
    return FERRY_OK;
}

size_t onnx_session_arena_size(const onnx_session *s)
{
    return s->arena_size;
}

size_t onnx_session_plan_count(const onnx_session *s)
{
    return s->n_plans;
}

static ferry_status check_input(const ferry_tensor_info *want, const ferry_tensor *got,
                                ferry_error *err)
{
    if (got->dtype != want->dtype)
        return ferry_error_set(err, FERRY_INVALID_ARG, "input '%s' has datatype %s, expected %s",
                               want->name, ferry_dtype_name(got->dtype),
                               ferry_dtype_name(want->dtype));
    bool ok = got->ndim == want->ndim;
    for (int d = 0; ok && d < want->ndim; d++)
        ok = got->shape[d] >= 0 && (want->shape[d] < 0 || want->shape[d] == got->shape[d]);
    if (!ok)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "input '%s' has a shape of rank %d that does not match the "
                               "model's (rank %d)",
                               want->name, got->ndim, want->ndim);
    uint64_t count = 0;
    if (got->dtype == FERRY_DTYPE_BYTES) {
        ferry_status st = ferry_shape_elements(got->shape, got->ndim, SIZE_MAX / 4, &count, err);
        if (st != FERRY_OK)
            ferry_error_prefix(err, "input '%s': ", want->name);
        if (st == FERRY_OK && got->data == NULL && got->nbytes > 0)
            st = ferry_error_set(err, FERRY_INVALID_ARG, "input '%s' has no data", want->name);
        if (st == FERRY_OK)
            st = onnx_strings_parse(got->data, got->nbytes, (int64_t)count, NULL, want->name, err);
        return st;
    }
    size_t size = ferry_dtype_size(got->dtype);
    if (ferry_shape_elements(got->shape, got->ndim, SIZE_MAX / (size ? size : 1), &count, NULL) !=
            FERRY_OK ||
        count * size != got->nbytes || (got->data == NULL && got->nbytes > 0))
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "input '%s' has %zu bytes of data, which does not match its shape",
                               want->name, got->nbytes);
    return FERRY_OK;
}

/* Makes room for a plan's arena; the old contents need not survive. */
static ferry_status grow_arena(onnx_session *s, size_t size, ferry_error *err)
{
    if (size <= s->arena_size && s->arena != NULL)
        return FERRY_OK;
    void *fresh = aligned_alloc(64, size ? (size + 63) & ~(size_t)63 : 64);
    if (fresh == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for a %zu-byte arena", size);
    free(s->arena);
    s->arena = fresh;
    s->arena_size = size;
    return FERRY_OK;
}

/* The cached plan for these input shapes, or a new one (dropping the least recently used). */
static ferry_status find_plan(onnx_session *s, const ferry_tensor *inputs, onnx_plan **out,
                              ferry_error *err)
{
    for (size_t i = 0; i < s->n_plans; i++)
        if (onnx_plan_matches(s->plans[i], inputs)) {
            *out = s->plans[i];
            return FERRY_OK;
        }
    onnx_plan *p;
    ferry_status st = onnx_plan_create_threads(s->model->graph, inputs, s->n_threads, &p, err);
    if (st != FERRY_OK)
        return st;
    st = grow_arena(s, p->arena_size, err);
    if (st != FERRY_OK) {
        onnx_plan_destroy(p);
        return st;
    }
    if (s->n_plans == ONNX_SESSION_MAX_PLANS) {
        size_t oldest = 0;
        for (size_t i = 1; i < s->n_plans; i++)
            if (s->plans[i]->last_used < s->plans[oldest]->last_used)
                oldest = i;
        onnx_plan_destroy(s->plans[oldest]);
        s->plans[oldest] = s->plans[--s->n_plans];
    }
    s->plans[s->n_plans++] = p;
    *out = p;
    return FERRY_OK;
}

ferry_status onnx_session_run(onnx_session *s, const ferry_tensor *inputs, size_t n_inputs,
                              ferry_tensor *outputs, const ferry_allocator *alloc, ferry_error *err)
{
    const onnx_model *m = s->model;
    if (n_inputs != m->n_inputs)
        return ferry_error_set(err, FERRY_INVALID_ARG, "the model takes %zu inputs, %zu given",
                               m->n_inputs, n_inputs);
    for (size_t i = 0; i < n_inputs; i++) {
        ferry_status st = check_input(&m->inputs[i], &inputs[i], err);
        if (st != FERRY_OK)
            return st;
    }
    onnx_plan *p;
    ferry_status st = find_plan(s, inputs, &p, err);
    if (st != FERRY_OK)
        return st;
    p->last_used = ++s->clock;
    return onnx_exec_run(p, s->arena, &s->threads, inputs, outputs, alloc, err);
}
