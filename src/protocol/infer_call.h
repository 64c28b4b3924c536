/* One inference request on its way through the server, whatever protocol carried it: the model
 * version looked up (and held), the backend run on decoded tensors, the requested outputs picked,
 * and at the end the request counted once in the metrics (with its protocol) and in the version's
 * statistics. The REST and gRPC front ends both go through here, so that what sits between
 * decoding and encoding (today the backend call; later the scheduler) serves both alike.
 *
 *     infer_call c;
 *     infer_call_begin(&c, models, metrics, "grpc", arrival_ns);
 *     if (infer_call_acquire(&c, name, version, &err) == FERRY_OK)   decode the inputs, then
 *         infer_call_run(&c, inputs, n, output_names, n_names, arena, &out, &err);   encode out
 *     infer_call_end(&c, ok, "OK");
 */
#ifndef FERRY_PROTOCOL_INFER_CALL_H
#define FERRY_PROTOCOL_INFER_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "monitor/metrics.h"
#include "serving/model_table.h"

typedef struct infer_call {
    model_table *models; /* where acquire looks; NULL when the caller attaches a version */
    metrics *metrics;    /* NULL: not counted in the metrics */
    const char *protocol;
    uint64_t start_ns;               /* arrival of the request */
    char model[REPOSITORY_NAME_MAX]; /* the name asked for ("" before acquire) */
    model_version *mv;               /* held from acquire/attach until end; NULL otherwise */
    uint64_t input_start_ns;         /* version found: decoding and checking inputs starts */
    uint64_t infer_start_ns, infer_end_ns;
    uint64_t batch_size;
    uint64_t queue_ns;   /* waiting in the scheduler's queue */
    uint64_t timeout_us; /* the request's `timeout` parameter; 0: the model's default */
    bool executed;       /* the backend ran successfully */
    /* Validation rejected the request: the JSON array of violations (in the arena), or NULL. */
    const char *violations;
    bool shared;  /* ran in a batch with other requests (execution counted there) */
    bool pending; /* queued with on_done set: infer_call_collect once it fires */
    /* Set by a front end that can wait without a thread (REST suspends the connection): a queued
     * request then returns at once with `pending`, and on_done(user) fires on the worker when it
     * has run. alive(user) says whether the client is still there (NULL: assume so). */
    void (*on_done)(void *user);
    bool (*alive)(void *user);
    void *user;
    ferry_tensor *outputs; /* the run's outputs, model order */
    scheduler_job job;
    struct feedback_hub *feedback; /* where the prediction is logged; NULL: not logged */
    const char *id;                /* the request id the response carries; NULL: not logged */
    bool id_generated;             /* ferry made id (a UUID v7), the request named none */
} infer_call;

/* The outputs a run picked, in the order the request asked for them (all, in the model's order,
 * when it named none). They live in the arena given to infer_call_run. */
typedef struct infer_outputs {
    const ferry_tensor **tensors;
    size_t n;
} infer_outputs;

/* Starts a call that arrived at start_ns (clock_now_ns) over `protocol` ("rest", "grpc"). */
void infer_call_begin(infer_call *c, model_table *models, metrics *m, const char *protocol,
                      uint64_t start_ns);

/* Finds the serving version of `name` (or exactly `version` when neither NULL nor "") and holds
 * it until infer_call_end. Fails as model_table_acquire: NOT_FOUND for an unknown model or a
 * version not loaded, UNAVAILABLE for a model that is not ready. */
ferry_status infer_call_acquire(infer_call *c, const char *name, const char *version,
                                ferry_error *err) FERRY_MUST_CHECK;

/* Runs the call on a version the caller already holds (ferry predict); takes its own reference. */
void infer_call_attach(infer_call *c, model_version *mv);

/* Runs the held version on `inputs` (any order) through its scheduler (on this thread when an
 * instance is idle, else queued and waited for) and picks `output_names` (all when n_names is 0).
 * Memory comes from the arena. Fails with INVALID_ARG naming the model, version and the input or
 * output at fault, RESOURCE_EXHAUSTED when the queue is full, DEADLINE_EXCEEDED when the request's
 * timeout passed in the queue (it never ran), or with the backend's status. */
ferry_status infer_call_run(infer_call *c, const ferry_tensor *inputs, size_t n_inputs,
                            const char *const *output_names, size_t n_names, arena *a,
                            infer_outputs *out, ferry_error *err) FERRY_MUST_CHECK;

/* After on_done fired for a pending call: its result (the status of infer_call_run had it run
 * inline, with the same errors). */
ferry_status infer_call_collect(infer_call *c, ferry_error *err) FERRY_MUST_CHECK;

/* Ends the call once its response is encoded: counts it (ferry_requests_total with `code`,
 * ferry_request_duration_seconds, the version's success or failure statistics) and drops the
 * version. ok says whether the request succeeded. */
void infer_call_end(infer_call *c, bool ok, const char *code);

#endif
