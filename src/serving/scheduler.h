/* One scheduler per loaded version: at most `instances` executions of the version at a time, a
 * bounded queue for requests that must wait, and dynamic batching (Triton's dynamic batcher):
 * queued requests are stacked along dimension 0 up to max_batch_size, waiting at most
 * max_queue_delay_us for company, run once and split back.
 *
 * The fast path costs no hand-off: when an instance is idle and nothing is queued, submit runs the
 * request on the calling thread (unless batching with max_queue_delay_us > 0: then every request
 * queues to wait for company, or under moderate load nothing would batch). Otherwise the request is
 * queued and a thread of the server-wide worker pool (worker_pool.h, shared by every version) runs
 * it; the job's `done` callback then fires on that thread (or, without one, scheduler_wait blocks
 * the caller until it has run). A done callback must not drop the last reference to the version
 * (scheduler_destroy waits for the pool thread that calls it). A queued request whose deadline
 * passes, or whose client is gone (`alive` says so), is completed without running. */
#ifndef FERRY_SERVING_SCHEDULER_H
#define FERRY_SERVING_SCHEDULER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/yaml_doc.h"
#include "ferry/tensor.h"

#define SCHEDULER_MAX_PREFERRED 8

typedef struct scheduler_config {
    unsigned instances;          /* concurrent executions; 0: the number of CPUs */
    uint64_t max_batch_size;     /* rows per batch; 0 or 1: no batching */
    uint64_t max_queue_delay_us; /* how long a queued request waits for company (0: not at all) */
    size_t n_preferred;
    uint64_t preferred[SCHEDULER_MAX_PREFERRED]; /* batch sizes run as soon as they are reached */
    size_t max_queue_size;                       /* queued requests; 0: the default (1024) */
    uint64_t default_timeout_us; /* queue timeout of requests that give none; 0: none */
} scheduler_config;

struct model_version;
typedef struct scheduler scheduler;
typedef struct scheduler_job scheduler_job;

/* One request's execution. The caller fills the first half and keeps the job (and the arena,
 * inputs and outputs) alive until it is finished. */
struct scheduler_job {
    const ferry_tensor *bound;        /* the model's inputs, in its order (inference_bind) */
    ferry_tensor *outputs;            /* filled in the model's order, data in `arena` */
    arena *arena;                     /* the request's; the executing thread uses it meanwhile */
    uint64_t rows;                    /* the request's batch size (inference_batch_size) */
    uint64_t timeout_us;              /* 0: the scheduler's default */
    void (*done)(scheduler_job *job); /* called on the worker when queued; may be NULL */
    bool (*alive)(void *user);        /* false when the client is gone; may be NULL */
    /* +1 when the job is queued, -1 when it leaves the queue (to run, or unrun): the queue depth
     * gauge. Called under the scheduler's lock (keep it short, take no scheduler call); may be
     * NULL. A job run inline is never queued. */
    void (*queue_moved)(scheduler_job *job, int delta);
    void *user;

    ferry_status status; /* results, valid once finished */
    ferry_error err;
    uint64_t enqueue_ns, start_ns, end_ns; /* start = end = finish time when it never ran */
    uint64_t batch_size;                   /* rows of the execution it was part of */
    bool executed;
    bool shared; /* ran in a batch with other jobs: the scheduler recorded the execution */

    scheduler_job *next; /* private */
    bool finished;
};

typedef enum scheduler_outcome {
    SCHEDULER_RAN,    /* ran on the calling thread: finished, done not called */
    SCHEDULER_QUEUED, /* will finish on a worker: done is called, or scheduler_wait */
} scheduler_outcome;

/* Reads model.yaml's `instances:` and `batching:` keys into cfg. Fails with INVALID_ARG naming
 * the key. */
ferry_status scheduler_read_config(const ynode *model_yaml, scheduler_config *cfg,
                                   ferry_error *err) FERRY_MUST_CHECK;

/* Creates mv's scheduler on the shared worker pool (started by the first scheduler). Batching is
 * switched off for a model whose inputs and outputs do not all have a variable leading dimension.
 * Fails with NO_MEMORY or INTERNAL (no pool thread could start). Destroyed with scheduler_destroy
 * (accepts NULL) once no job is pending. */
ferry_status scheduler_create(struct model_version *mv, const scheduler_config *cfg,
                              scheduler **out, ferry_error *err) FERRY_MUST_CHECK;
void scheduler_destroy(scheduler *s);

/* Runs or queues the job (see above). Fails with RESOURCE_EXHAUSTED when the queue is full; the
 * job is then untouched. */
ferry_status scheduler_submit(scheduler *s, scheduler_job *job, scheduler_outcome *outcome,
                              ferry_error *err) FERRY_MUST_CHECK;

/* Blocks until a queued job without a done callback has finished. */
void scheduler_wait(scheduler *s, scheduler_job *job);

/* Requests queued now (the queue depth gauge). */
size_t scheduler_queued(scheduler *s);

#endif
