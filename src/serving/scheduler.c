/* The per-version scheduler; see scheduler.h. One mutex guards the queue and the busy count;
 * blocking callers sleep on `finished`. Queued work runs on the shared worker pool: whenever a
 * batch could start (a submit, the end of a run, a batch's delay running out) the scheduler asks
 * the pool for a visit, and the visiting thread takes one batch from the queue head in arrival
 * order while it stays within max_batch_size and stackable, using its own arena for the batch list,
 * the concatenated inputs and the batch's outputs. */
#include "serving/scheduler.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "serving/batcher.h"
#include "serving/inference.h"
#include "serving/model_version.h"
#include "serving/worker_pool.h"

#define DEFAULT_QUEUE_SIZE 1024
#define MAX_INSTANCES      256

struct scheduler {
    model_version *mv; /* owns the scheduler */
    scheduler_config cfg;
    bool batching;
    worker_pool *pool; /* the shared one: its threads run what queues here */
    worker_pool_client client;
    pthread_mutex_t lock;
    pthread_cond_t finished;
    scheduler_job *head, *tail;
    size_t queued;
    uint64_t queued_rows;
    unsigned busy;
    bool stop;
};

/* ------------------------------------------------------------------------------------------ */
/* Configuration                                                                                */
/* ------------------------------------------------------------------------------------------ */

static ferry_status read_uint(const ynode *map, const char *key, uint64_t max, uint64_t *out,
                              ferry_error *err)
{
    const ynode *v = ynode_get(map, key);
    if (v == NULL)
        return FERRY_OK;
    char *end = NULL;
    errno = 0;
    unsigned long long x = v->kind == YNODE_SCALAR ? strtoull(v->scalar, &end, 10) : 0;
    if (v->kind != YNODE_SCALAR || v->scalar[0] < '0' || v->scalar[0] > '9' || *end != '\0' ||
        errno != 0 || x > max)
        return ferry_error_set(
            err, FERRY_INVALID_ARG,
            "model.yaml: line %d: '%s' must be a whole number from 0 to %" PRIu64, v->line, key,
            max);
    *out = x;
    return FERRY_OK;
}

static ferry_status read_preferred(const ynode *batching, scheduler_config *cfg, ferry_error *err)
{
    const ynode *p = ynode_get(batching, "preferred_batch_sizes");
    if (p == NULL)
        return FERRY_OK;
    if (p->kind != YNODE_SEQ || p->n > SCHEDULER_MAX_PREFERRED)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model.yaml: line %d: 'preferred_batch_sizes' must be a list of at "
                               "most %d whole numbers",
                               p->line, SCHEDULER_MAX_PREFERRED);
    for (size_t i = 0; i < p->n; i++) {
        const ynode *v = p->items[i];
        char *end = NULL;
        unsigned long long x = v->kind == YNODE_SCALAR ? strtoull(v->scalar, &end, 10) : 0;
        if (v->kind != YNODE_SCALAR || *end != '\0' || x == 0)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "model.yaml: line %d: preferred batch sizes are positive whole "
                                   "numbers",
                                   v->line);
        cfg->preferred[i] = x;
    }
    cfg->n_preferred = p->n;
    return FERRY_OK;
}

ferry_status scheduler_read_config(const ynode *model_yaml, scheduler_config *cfg, ferry_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    uint64_t instances = 0, queue = 0;
    ferry_status st = read_uint(model_yaml, "instances", MAX_INSTANCES, &instances, err);
    if (st != FERRY_OK)
        return st;
    cfg->instances = (unsigned)instances;
    const ynode *b = ynode_get(model_yaml, "batching");
    if (b == NULL)
        return FERRY_OK;
    if (b->kind != YNODE_MAP)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model.yaml: line %d: 'batching' must be "
                               "a mapping",
                               b->line);
    st = read_uint(b, "max_batch_size", UINT32_MAX, &cfg->max_batch_size, err);
    if (st == FERRY_OK)
        st = read_uint(b, "max_queue_delay_us", 60000000, &cfg->max_queue_delay_us, err);
    if (st == FERRY_OK)
        st = read_uint(b, "max_queue_size", 1u << 20, &queue, err);
    if (st == FERRY_OK)
        st = read_uint(b, "default_timeout_us", UINT64_MAX / 1000, &cfg->default_timeout_us, err);
    if (st == FERRY_OK)
        st = read_preferred(b, cfg, err);
    cfg->max_queue_size = (size_t)queue;
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Running a batch                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* Runs one job alone: the backend writes straight into the job's arena. */
static void run_one(model_version *mv, scheduler_job *job)
{
    job->start_ns = clock_now_ns();
    job->status = inference_execute(mv, job->bound, job->outputs, job->arena, &job->err);
    job->end_ns = clock_now_ns();
    job->batch_size = job->rows;
    job->executed = job->status == FERRY_OK;
    job->shared = false;
}

static ferry_status split_outputs(model_version *mv, const ferry_tensor *outputs,
                                  scheduler_job **jobs, size_t n, ferry_error *err)
{
    uint64_t first = 0;
    for (size_t j = 0; j < n; j++) {
        for (size_t o = 0; o < mv->io.n_outputs; o++) {
            ferry_status st = batcher_slice(&outputs[o], first, jobs[j]->rows, jobs[j]->arena,
                                            &jobs[j]->outputs[o], err);
            if (st != FERRY_OK)
                return st;
        }
        first += jobs[j]->rows;
    }
    return FERRY_OK;
}

/* Stacks the jobs' inputs, runs them once and splits the outputs back. */
static void run_many(model_version *mv, scheduler_job **jobs, size_t n, arena *a)
{
    size_t n_in = mv->io.n_inputs, n_out = mv->io.n_outputs;
    const ferry_tensor **parts = arena_alloc(a, n * sizeof *parts);
    ferry_tensor *inputs = arena_alloc(a, n_in * sizeof *inputs + 1);
    ferry_tensor *outputs = arena_alloc(a, n_out * sizeof *outputs + 1);
    uint64_t rows = 0, t0 = clock_now_ns(), t1 = 0, t2 = 0;
    ferry_error err;
    ferry_status st = FERRY_OK;
    if (parts == NULL || inputs == NULL || outputs == NULL)
        st = ferry_error_set(&err, FERRY_NO_MEMORY, "model '%s': out of memory batching", mv->name);
    for (size_t j = 0; st == FERRY_OK && j < n; j++) {
        parts[j] = jobs[j]->bound;
        rows += jobs[j]->rows;
    }
    for (size_t i = 0; st == FERRY_OK && i < n_in; i++)
        st = batcher_concat(parts, n, i, a, &inputs[i], &err);
    if (st == FERRY_OK) {
        t1 = clock_now_ns();
        st = inference_execute(mv, inputs, outputs, a, &err);
        t2 = clock_now_ns();
    }
    if (st == FERRY_OK)
        st = split_outputs(mv, outputs, jobs, n, &err);
    uint64_t end = clock_now_ns();
    if (st == FERRY_OK)
        model_stats_record_execution(&mv->stats, rows, t1 - t0, t2 - t1, end - t2);
    for (size_t j = 0; j < n; j++) {
        jobs[j]->status = st;
        if (st != FERRY_OK)
            jobs[j]->err = err;
        jobs[j]->start_ns = t0;
        jobs[j]->end_ns = end;
        jobs[j]->batch_size = rows;
        jobs[j]->executed = st == FERRY_OK;
        jobs[j]->shared = true;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Completion and the queue                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* Marks a queued job finished and tells its owner. The job may be gone once this returns. */
static void complete(scheduler *s, scheduler_job *job)
{
    if (job->done != NULL) {
        job->finished = true;
        job->done(job);
        return;
    }
    pthread_mutex_lock(&s->lock);
    job->finished = true;
    pthread_cond_broadcast(&s->finished);
    pthread_mutex_unlock(&s->lock);
}

static void finish_unrun(scheduler_job *job, ferry_status code, const char *why, model_version *mv)
{
    job->start_ns = job->end_ns = clock_now_ns();
    job->executed = false;
    job->shared = false;
    job->status =
        ferry_error_set(&job->err, code, "model '%s' version %s: %s", mv->name, mv->version, why);
}

static scheduler_job *pop(scheduler *s)
{
    scheduler_job *job = s->head;
    s->head = job->next;
    if (s->head == NULL)
        s->tail = NULL;
    if (job->queue_moved != NULL)
        job->queue_moved(job, -1);
    s->queued--;
    s->queued_rows -= job->rows;
    job->next = NULL;
    return job;
}

/* Takes expired and abandoned jobs off the queue head into *dead (unrun). */
static void drop_dead(scheduler *s, uint64_t now, scheduler_job **dead)
{
    while (s->head != NULL) {
        scheduler_job *job = s->head;
        uint64_t timeout = job->timeout_us ? job->timeout_us : s->cfg.default_timeout_us;
        bool expired = timeout > 0 && now >= job->enqueue_ns + timeout * 1000;
        bool gone = !expired && job->alive != NULL && !job->alive(job->user);
        if (!expired && !gone)
            return;
        pop(s);
        if (expired)
            finish_unrun(job, FERRY_DEADLINE_EXCEEDED, "the request timed out in the queue", s->mv);
        else
            finish_unrun(job, FERRY_CANCELLED, "the client went away while queued", s->mv);
        job->next = *dead;
        *dead = job;
    }
}

static bool preferred_reached(const scheduler *s)
{
    if (s->queued_rows >= s->cfg.max_batch_size)
        return true;
    for (size_t i = 0; i < s->cfg.n_preferred; i++)
        if (s->queued_rows == s->cfg.preferred[i])
            return true;
    return false;
}

/* Nanoseconds until the head must run (0: now). */
static uint64_t wait_for_company(const scheduler *s, uint64_t now)
{
    if (!s->batching || s->cfg.max_queue_delay_us == 0 || preferred_reached(s))
        return 0;
    uint64_t due = s->head->enqueue_ns + s->cfg.max_queue_delay_us * 1000;
    return due > now ? due - now : 0;
}

/* Takes the next batch off the queue head: at least one job, then stackable ones while the rows
 * stay within max_batch_size. */
static size_t take_batch(scheduler *s, scheduler_job ***batch, size_t *cap, scheduler_job **dead)
{
    size_t n = 0;
    uint64_t rows = 0, now = clock_now_ns();
    for (;;) {
        drop_dead(s, now, dead);
        if (s->head == NULL)
            break;
        scheduler_job *job = s->head;
        if (n > 0 && (!s->batching || rows + job->rows > s->cfg.max_batch_size))
            break;
        bool fits = true;
        for (size_t i = 0; n > 0 && fits && i < s->mv->io.n_inputs; i++)
            fits = batcher_stackable(&(*batch)[0]->bound[i], &job->bound[i]);
        if (!fits)
            break;
        if (n == *cap)
            break;
        (*batch)[n++] = pop(s);
        rows += job->rows;
    }
    return n;
}

static void complete_list(scheduler *s, scheduler_job *list)
{
    while (list != NULL) {
        scheduler_job *next = list->next;
        complete(s, list);
        list = next;
    }
}

static void run_batch(scheduler *s, scheduler_job **jobs, size_t n, arena *scratch)
{
    if (n == 1)
        run_one(s->mv, jobs[0]);
    else
        run_many(s->mv, jobs, n, scratch);
    for (size_t j = 0; j < n; j++)
        complete(s, jobs[j]);
}

/* When the queue head's timeout passes (0: it has none). */
static uint64_t head_deadline(const scheduler *s)
{
    uint64_t timeout = s->head->timeout_us ? s->head->timeout_us : s->cfg.default_timeout_us;
    return timeout > 0 ? s->head->enqueue_ns + timeout * 1000 : 0;
}

/* Asks the pool to come back (s->lock held): now when a batch can start, at the head's due time
 * when it waits for company; with every instance busy, when the head's timeout passes (so that it
 * is answered then, not once an instance frees), else not at all (the end of a run asks again). */
static void post_if_runnable(scheduler *s, uint64_t now)
{
    if (s->stop || s->head == NULL)
        return;
    if (s->busy >= s->cfg.instances) {
        uint64_t deadline = head_deadline(s);
        if (deadline > 0)
            worker_pool_post(s->pool, &s->client, deadline);
        return;
    }
    uint64_t wait = wait_for_company(s, now);
    worker_pool_post(s->pool, &s->client, wait > 0 ? now + wait : 0);
}

/* Under s->lock: expired and abandoned jobs into *dead, then the next batch into `batch` (room for
 * `cap`) when an instance is free and the batch is due. Returns its size (0: nothing to run). */
static size_t pick(scheduler *s, scheduler_job **batch, size_t cap, scheduler_job **dead)
{
    uint64_t now = clock_now_ns();
    drop_dead(s, now, dead);
    if (s->stop || s->head == NULL)
        return 0;
    if (s->busy >= s->cfg.instances || wait_for_company(s, now) > 0) {
        post_if_runnable(s, now);
        return 0;
    }
    size_t n = take_batch(s, &batch, &cap, dead);
    if (n > 0)
        s->busy++;
    post_if_runnable(s, now); /* another instance may take the next batch meanwhile */
    return n;
}

/* A pool thread's visit: runs at most one batch, then asks for the next visit if more waits. */
static void visit(worker_pool_client *client, arena *scratch)
{
    scheduler *s = (scheduler *)((char *)client - offsetof(scheduler, client));
    scheduler_job *one = NULL, **batch = &one, *dead = NULL;
    pthread_mutex_lock(&s->lock);
    size_t cap = 1;
    if (s->batching && s->queued > 1) { /* jobs in a batch: at most one per row */
        size_t most = s->cfg.max_batch_size < s->queued ? (size_t)s->cfg.max_batch_size : s->queued;
        scheduler_job **room = arena_alloc(scratch, most * sizeof *room);
        if (room != NULL) { /* else one job alone */
            batch = room;
            cap = most;
        }
    }
    size_t n = pick(s, batch, cap, &dead);
    pthread_mutex_unlock(&s->lock);
    complete_list(s, dead);
    if (n == 0)
        return;
    run_batch(s, batch, n, scratch);
    pthread_mutex_lock(&s->lock);
    s->busy--;
    post_if_runnable(s, clock_now_ns());
    pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------------------------------------ */
/* Public                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* Batching needs every input and output to have a variable leading dimension. */
static bool model_batches(const model_version *mv)
{
    for (size_t i = 0; i < mv->io.n_inputs; i++)
        if (mv->io.inputs[i].ndim < 1 || mv->io.inputs[i].shape[0] >= 0)
            return false;
    for (size_t i = 0; i < mv->io.n_outputs; i++)
        if (mv->io.outputs[i].ndim < 1 || mv->io.outputs[i].shape[0] >= 0)
            return false;
    return mv->io.n_inputs > 0;
}

ferry_status scheduler_create(model_version *mv, const scheduler_config *cfg, scheduler **out,
                              ferry_error *err)
{
    scheduler *s = calloc(1, sizeof *s);
    if (s == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "model '%s': out of memory", mv->name);
    s->mv = mv;
    s->cfg = *cfg;
    if (s->cfg.instances == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        s->cfg.instances = n > 0 ? (unsigned)n : 1;
    }
    if (s->cfg.max_queue_size == 0)
        s->cfg.max_queue_size = DEFAULT_QUEUE_SIZE;
    s->batching = s->cfg.max_batch_size > 1 && model_batches(mv);
    s->client.visit = visit;
    ferry_status st = worker_pool_shared(&s->pool, err);
    if (st != FERRY_OK) {
        free(s);
        return ferry_error_prefix(err, "model '%s' version %s: ", mv->name, mv->version);
    }
    if (pthread_mutex_init(&s->lock, NULL) != 0 || pthread_cond_init(&s->finished, NULL) != 0) {
        free(s);
        return ferry_error_set(err, FERRY_INTERNAL, "model '%s': cannot create a mutex", mv->name);
    }
    *out = s;
    return FERRY_OK;
}

void scheduler_destroy(scheduler *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_mutex_unlock(&s->lock);
    worker_pool_detach(s->pool, &s->client);
    pthread_cond_destroy(&s->finished);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Under s->lock: whether a submit runs on the caller's thread. With batching and a queue delay a
 * request always queues to wait for company, even on an idle instance; otherwise under moderate
 * load every request would find the instance idle and nothing would ever batch. */
static bool may_run_inline(const scheduler *s)
{
    if (s->batching && s->cfg.max_queue_delay_us > 0)
        return false;
    return s->head == NULL && s->busy < s->cfg.instances;
}

ferry_status scheduler_submit(scheduler *s, scheduler_job *job, scheduler_outcome *outcome,
                              ferry_error *err)
{
    job->next = NULL;
    job->finished = false;
    job->executed = false;
    job->enqueue_ns = clock_now_ns();
    pthread_mutex_lock(&s->lock);
    if (may_run_inline(s)) {
        s->busy++;
        pthread_mutex_unlock(&s->lock);
        run_one(s->mv, job);
        job->enqueue_ns = job->start_ns; /* it never queued */
        job->finished = true;
        pthread_mutex_lock(&s->lock);
        s->busy--;
        post_if_runnable(s, clock_now_ns());
        pthread_mutex_unlock(&s->lock);
        *outcome = SCHEDULER_RAN;
        return FERRY_OK;
    }
    if (s->queued >= s->cfg.max_queue_size) {
        pthread_mutex_unlock(&s->lock);
        return ferry_error_set(err, FERRY_RESOURCE_EXHAUSTED,
                               "model '%s' version %s: the queue is full (%zu requests); retry "
                               "later",
                               s->mv->name, s->mv->version, s->cfg.max_queue_size);
    }
    if (s->tail != NULL)
        s->tail->next = job;
    else
        s->head = job;
    s->tail = job;
    if (job->queue_moved != NULL)
        job->queue_moved(job, +1);
    s->queued++;
    s->queued_rows += job->rows;
    post_if_runnable(s, job->enqueue_ns);
    pthread_mutex_unlock(&s->lock);
    *outcome = SCHEDULER_QUEUED;
    return FERRY_OK;
}

void scheduler_wait(scheduler *s, scheduler_job *job)
{
    pthread_mutex_lock(&s->lock);
    while (!job->finished)
        pthread_cond_wait(&s->finished, &s->lock);
    pthread_mutex_unlock(&s->lock);
}

size_t scheduler_queued(scheduler *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->queued;
    pthread_mutex_unlock(&s->lock);
    return n;
}
