/* The protocol-neutral inference path; see infer_call.h. */
#include "protocol/infer_call.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "monitor/model_watch.h"
#include "protocol/payload_log.h"
#include "serving/inference.h"

void infer_call_begin(infer_call *c, model_table *models, metrics *m, const char *protocol,
                      uint64_t start_ns)
{
    *c = (infer_call){.models = models, .metrics = m, .protocol = protocol, .start_ns = start_ns};
}

ferry_status infer_call_acquire(infer_call *c, const char *name, const char *version,
                                ferry_error *err)
{
    snprintf(c->model, sizeof c->model, "%s", name != NULL ? name : "");
    if (c->models == NULL)
        return ferry_error_set(err, FERRY_INTERNAL, "no model table to look '%s' up in", c->model);
    const char *wanted = version != NULL && version[0] != '\0' ? version : NULL;
    ferry_status st = model_table_acquire(c->models, c->model, wanted, &c->mv, err);
    if (st != FERRY_OK) {
        c->mv = NULL;
        return st;
    }
    c->input_start_ns = clock_now_ns();
    return FERRY_OK;
}

void infer_call_attach(infer_call *c, model_version *mv)
{
    model_version_acquire(mv);
    c->mv = mv;
    snprintf(c->model, sizeof c->model, "%s", mv->name);
    c->input_start_ns = clock_now_ns();
}

static void job_done(scheduler_job *job)
{
    infer_call *c = job->user;
    c->on_done(c->user);
}

static bool job_alive(void *user)
{
    infer_call *c = user;
    return c->alive(c->user);
}

static void job_queue_moved(scheduler_job *job, int delta)
{
    infer_call *c = job->user;
    metrics_add_queue_depth(c->metrics, c->mv->name, c->mv->version, delta);
}

static const char *rejection_reason(ferry_status st)
{
    switch (st) {
    case FERRY_RESOURCE_EXHAUSTED:
        return "queue_full";
    case FERRY_DEADLINE_EXCEEDED:
        return "timeout";
    case FERRY_CANCELLED:
        return "client_gone";
    default:
        return NULL;
    }
}

static void count_rejected(infer_call *c, ferry_status st)
{
    const char *reason = rejection_reason(st);
    if (reason != NULL)
        metrics_count_rejected(c->metrics, c->mv->name, c->mv->version, reason);
}

ferry_status infer_call_collect(infer_call *c, ferry_error *err)
{
    scheduler_job *job = &c->job;
    c->pending = false;
    c->queue_ns = job->start_ns - job->enqueue_ns;
    c->infer_start_ns = job->start_ns;
    c->infer_end_ns = job->end_ns;
    c->shared = job->shared;
    if (job->status != FERRY_OK) {
        *err = job->err;
        count_rejected(c, job->status);
        return job->status;
    }
    c->executed = true;
    model_version *mv = c->mv;
    model_watch_observe(mv->watch, c->metrics, job->bound, mv->io.n_inputs, c->outputs,
                        mv->io.n_outputs);
    payload_log_prediction(c->feedback, c->id, c->id_generated, mv, job->bound, c->outputs);
    metrics_observe_schedule(c->metrics, mv->name, mv->version, (double)c->queue_ns / 1e9,
                             job->batch_size);
    metrics_observe_inference(c->metrics, mv->name, mv->version,
                              (double)(c->infer_end_ns - c->infer_start_ns) / 1e9);
    return FERRY_OK;
}

/* Hands the bound request to the version's scheduler; waits for it unless the front end can be
 * told later (then c->pending). */
static ferry_status schedule(infer_call *c, const ferry_tensor *bound, ferry_tensor *outputs,
                             arena *a, ferry_error *err)
{
    scheduler_job *job = &c->job;
    *job = (scheduler_job){.bound = bound,
                           .outputs = outputs,
                           .arena = a,
                           .rows = c->batch_size,
                           .timeout_us = c->timeout_us,
                           .done = c->on_done != NULL ? job_done : NULL,
                           .alive = c->alive != NULL ? job_alive : NULL,
                           .queue_moved = job_queue_moved,
                           .user = c};
    scheduler_outcome outcome;
    ferry_status st = scheduler_submit(c->mv->sched, job, &outcome, err);
    if (st != FERRY_OK) {
        count_rejected(c, st);
        return st;
    }
    if (outcome == SCHEDULER_QUEUED && c->on_done != NULL) {
        c->pending = true;
        return FERRY_OK;
    }
    if (outcome == SCHEDULER_QUEUED)
        scheduler_wait(c->mv->sched, job);
    return infer_call_collect(c, err);
}

ferry_status infer_call_run(infer_call *c, const ferry_tensor *inputs, size_t n_inputs,
                            const char *const *output_names, size_t n_names, arena *a,
                            infer_outputs *out, ferry_error *err)
{
    model_version *mv = c->mv;
    if (mv == NULL)
        return ferry_error_set(err, FERRY_INTERNAL, "model '%s': no version held", c->model);
    ferry_tensor *bound = arena_alloc(a, mv->io.n_inputs * sizeof *bound + 1);
    ferry_tensor *outputs = arena_alloc(a, mv->io.n_outputs * sizeof *outputs + 1);
    out->tensors = arena_alloc(a, (mv->io.n_outputs + n_names) * sizeof *out->tensors + 1);
    out->n = 0;
    if (bound == NULL || outputs == NULL || out->tensors == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "model '%s' version %s: out of memory",
                               mv->name, mv->version);
    /* Outputs are picked (by address) before the run, so an unknown name never costs a run. */
    ferry_status st = inference_bind(mv, inputs, n_inputs, bound, a, err);
    if (st == FERRY_INVALID_ARG) /* a wrong dtype or shape is answered as a violation too */
        c->violations = model_watch_io_violations(c->metrics, mv->name, mv->version, &mv->io,
                                                  inputs, n_inputs, a);
    if (st == FERRY_OK) /* the monitor's hook: validation against the training profile */
        st = model_watch_validate(mv->watch, c->metrics, bound, mv->io.n_inputs, a, &c->violations,
                                  err);
    if (st == FERRY_OK)
        st = inference_select_outputs(mv, output_names, n_names, outputs, out->tensors, &out->n,
                                      err);
    if (st != FERRY_OK)
        return st;
    c->batch_size = inference_batch_size(mv, bound);
    c->outputs = outputs;
    return schedule(c, bound, outputs, a, err);
}

static void record_stats(infer_call *c, bool ok, uint64_t end_ns)
{
    model_stats *s = &c->mv->stats;
    uint64_t input_ns = c->executed ? c->job.enqueue_ns - c->input_start_ns : 0;
    uint64_t infer_ns = c->executed ? c->infer_end_ns - c->infer_start_ns : 0;
    uint64_t output_ns = c->executed ? end_ns - c->infer_end_ns : 0;
    if (c->executed && !c->shared)
        model_stats_record_execution(s, c->batch_size, input_ns, infer_ns, output_ns);
    if (!ok) {
        model_stats_record_failure(s, end_ns - c->start_ns);
        return;
    }
    model_stats_request r = {.request_ns = end_ns - c->start_ns,
                             .queue_ns = c->queue_ns,
                             .input_ns = input_ns,
                             .infer_ns = infer_ns,
                             .output_ns = output_ns,
                             .batch_size = c->batch_size};
    model_stats_record_success(s, &r);
}

void infer_call_end(infer_call *c, bool ok, const char *code)
{
    uint64_t end_ns = clock_now_ns();
    if (c->mv != NULL)
        record_stats(c, ok && c->executed, end_ns);
    if (c->metrics != NULL) {
        /* Names that are not in the table share one label value: clients cannot grow the set. */
        bool known = c->mv != NULL || (c->models != NULL && c->model[0] != '\0' &&
                                       model_table_contains(c->models, c->model));
        metrics_observe_request(c->metrics, known ? c->model : METRICS_UNKNOWN_MODEL,
                                c->mv != NULL ? c->mv->version : "", c->protocol, code,
                                (double)(end_ns - c->start_ns) / 1e9);
    }
    model_version_release(c->mv);
    c->mv = NULL;
}
