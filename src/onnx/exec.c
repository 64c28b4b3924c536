/* Binding plans to memory and running them; see exec.h. */
#include "onnx/exec.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

ferry_status onnx_exec_node_now(const onnx_op_ctx *ctx, ferry_error *err)
{
    const onnx_op *op = ctx->node->op;
    if (op->flags & ONNX_OP_KEEP_SCRATCH) /* its outputs would point into freed scratch */
        return onnx_node_error(err, FERRY_INTERNAL, ctx->node, "cannot be evaluated ahead of time");
    onnx_op_ctx now = *ctx;
    now.scratch_size = op->plan != NULL ? op->plan(ctx) : 0;
    now.scratch = NULL;
    if (now.scratch_size > 0) {
        now.scratch = aligned_alloc(64, (now.scratch_size + 63) & ~(size_t)63);
        if (now.scratch == NULL)
            return onnx_node_error(err, FERRY_NO_MEMORY, ctx->node,
                                   "out of memory for %zu bytes of scratch", now.scratch_size);
    }
    ferry_status st = op->run(&now, 0, 1, err);
    free(now.scratch);
    return st;
}

/* Points every arena-placed value and each step's scratch into `base`. */
static void bind_arena(onnx_plan *p, unsigned char *base)
{
    for (size_t i = 0; i < p->n_placed; i++)
        p->tensors[p->placed[i]].data = base + p->offsets[p->placed[i]];
    for (size_t s = 0; s < p->n_steps; s++)
        p->steps[s].ctx.scratch = base + p->steps[s].scratch_offset;
    p->bound_base = base;
}

/* Points each graph input at the caller's data; string inputs are parsed into their arena
 * arrays instead (the session has checked their layout). */
static ferry_status bind_inputs(onnx_plan *p, const ferry_tensor *inputs, ferry_error *err)
{
    const onnx_graph *g = p->g;
    for (size_t i = 0; i < g->n_inputs; i++) {
        ferry_tensor *t = &p->tensors[g->inputs[i]];
        if (t->dtype != FERRY_DTYPE_BYTES) {
            t->data = inputs[i].data;
            continue;
        }
        ferry_status st = onnx_strings_parse(inputs[i].data, inputs[i].nbytes, onnx_numel(t),
                                             t->data, t->name, err);
        if (st != FERRY_OK)
            return st;
    }
    return FERRY_OK;
}

/* Allocates each graph output from the caller; direct ones become their step's destination.
 * String outputs are allocated after the run, when their size is known. */
static ferry_status bind_outputs(onnx_plan *p, ferry_tensor *outputs, const ferry_allocator *alloc,
                                 ferry_error *err)
{
    for (size_t i = 0; i < p->g->n_outputs; i++) {
        const ferry_tensor *t = &p->tensors[p->outputs[i].value];
        outputs[i] = *t;
        outputs[i].owned = false;
        outputs[i].data = NULL;
        if (t->dtype == FERRY_DTYPE_BYTES)
            continue;
        outputs[i].data = alloc->alloc(alloc->ctx, t->nbytes ? t->nbytes : 1);
        if (outputs[i].data == NULL)
            return ferry_error_set(err, FERRY_NO_MEMORY, "output '%s': out of memory", t->name);
        if (p->outputs[i].direct)
            p->tensors[p->outputs[i].value].data = outputs[i].data;
    }
    return FERRY_OK;
}

/* Serializes a string output into the caller's memory in ferry's wire layout. */
static ferry_status write_strings(const ferry_tensor *t, ferry_tensor *out,
                                  const ferry_allocator *alloc, ferry_error *err)
{
    int64_t count = onnx_numel(t);
    size_t size = 0;
    ferry_status st = onnx_strings_wire_size(t->data, count, t->name, &size, err);
    if (st != FERRY_OK)
        return st;
    out->data = alloc->alloc(alloc->ctx, size ? size : 1);
    if (out->data == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "output '%s': out of memory", t->name);
    out->nbytes = size;
    onnx_strings_write(t->data, count, out->data);
    return FERRY_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Steps on threads                                                                             */
/* ------------------------------------------------------------------------------------------ */

/* Slices a step may take: one per split_min elements of its largest output. Ops slice what they
 * produce (rows, images, planes), so outputs measure the work that can be shared; a large input
 * with a small output (a batch-1 Gemm's weights) has nothing to share. */
static int step_threads(const onnx_plan_step *step, const onnx_exec_threads *threads)
{
    if (threads == NULL || threads->pool == NULL)
        return 1;
    int64_t work = 0;
    for (size_t k = 0; k < step->ctx.n_outputs; k++)
        if (step->ctx.outputs[k] != NULL && onnx_numel(step->ctx.outputs[k]) > work)
            work = onnx_numel(step->ctx.outputs[k]);
    int64_t split_min = threads->split_min > 0 ? threads->split_min : 1;
    int64_t n = work / split_min;
    int max = onnx_pool_threads(threads->pool);
    return n < 1 ? 1 : n > max ? max : (int)n;
}

/* One step's slices on the pool; of failing slices the lowest ith reports. */
typedef struct step_job {
    const onnx_op_ctx *ctx;
    pthread_mutex_t *lock; /* guards the three below */
    int failed_ith;        /* INT_MAX while none failed */
    ferry_status failed;
    ferry_error *err; /* the caller's */
} step_job;

static void run_slice(void *arg, int ith, int nth)
{
    step_job *job = arg;
    ferry_error mine;
    ferry_status st = job->ctx->node->op->run(job->ctx, ith, nth, &mine);
    if (st == FERRY_OK)
        return;
    pthread_mutex_lock(job->lock);
    if (ith < job->failed_ith) {
        job->failed_ith = ith;
        job->failed = st;
        *job->err = mine;
    }
    pthread_mutex_unlock(job->lock);
}

static ferry_status run_step(const onnx_plan_step *step, const onnx_exec_threads *threads,
                             ferry_error *err)
{
    int nth = step_threads(step, threads);
    if (nth == 1)
        return step->node->op->run(&step->ctx, 0, 1, err);
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* taken only on failures */
    step_job job = {
        .ctx = &step->ctx, .lock = &lock, .failed_ith = INT_MAX, .failed = FERRY_OK, .err = err};
    onnx_pool_run(threads->pool, run_slice, &job, nth);
    return job.failed; /* onnx_pool_run's wait orders the slices' writes before this read */
}

/* ------------------------------------------------------------------------------------------ */
/* Runs                                                                                         */
/* ------------------------------------------------------------------------------------------ */

ferry_status onnx_exec_run(onnx_plan *p, void *base, const onnx_exec_threads *threads,
                           const ferry_tensor *inputs, ferry_tensor *outputs,
                           const ferry_allocator *alloc, ferry_error *err)
{
    const onnx_graph *g = p->g;
    if (p->bound_base != base)
        bind_arena(p, base);
    ferry_status st = bind_inputs(p, inputs, err);
    if (st == FERRY_OK)
        st = bind_outputs(p, outputs, alloc, err);
    if (st != FERRY_OK)
        return st;
    for (size_t i = 0; i < p->n_aliases; i++)
        p->tensors[p->aliases[i]].data = p->tensors[p->alias[p->aliases[i]]].data;
    for (size_t s = 0; s < p->n_steps; s++) {
        const onnx_plan_step *step = &p->steps[s];
        st = run_step(step, threads, err);
        if (st != FERRY_OK)
            return st;
    }
    for (size_t i = 0; i < g->n_outputs; i++) {
        const ferry_tensor *t = &p->tensors[p->outputs[i].value];
        if (t->dtype == FERRY_DTYPE_BYTES)
            st = write_strings(t, &outputs[i], alloc, err);
        else if (!p->outputs[i].direct && outputs[i].nbytes > 0)
            memcpy(outputs[i].data, t->data, outputs[i].nbytes);
        if (st != FERRY_OK)
            return st;
    }
    return FERRY_OK;
}
