/* The intra-op worker pool; see pool.h. A job is nth slices that any thread may claim, in order,
 * from one atomic word holding the job's generation (high half) and the next slice (low half): the
 * caller claims slices too, so it never waits for a worker that the scheduler has not run yet (on
 * a busy machine it simply does the slices itself), only for slices already under way. One mutex
 * guards the job; each worker waits on its own condition variable so that a job of fewer slices
 * than threads wakes only the workers it can use. Before blocking, both sides poll for a bounded
 * few microseconds: consecutive steps then hand over without a sleep and a wake-up, and an idle
 * pool still sleeps. */
#include "onnx/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "core/thread_name.h"

/* How long a thread polls before it blocks: long enough to bridge two steps, short enough that
 * an idle pool costs nothing measurable. */
#define POOL_SPIN_NS 20000

typedef struct pool_worker {
    struct onnx_pool *pool;
    int index; /* 1..n_threads-1 */
    pthread_t thread;
    pthread_cond_t wake;
} pool_worker;

struct onnx_pool {
    int n_threads;
    pthread_mutex_t lock;
    pthread_cond_t done;
    /* the job, set under lock together with `claim` */
    onnx_pool_fn fn;
    void *arg;
    int nth;
    _Atomic uint64_t claim; /* generation << 32 | next unclaimed slice */
    _Atomic int completed;  /* slices of the current job finished */
    bool stop;
    pool_worker *workers; /* [1..n_threads-1] used */
};

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint32_t generation_of(uint64_t claim)
{
    return (uint32_t)(claim >> 32);
}

/* Claims and runs slices of job `gen` until none is left; the thread finishing the last slice
 * wakes the caller. */
static void work(onnx_pool *p, uint32_t gen, onnx_pool_fn fn, void *arg, int nth)
{
    uint64_t c = atomic_load(&p->claim);
    while (generation_of(c) == gen && (uint32_t)c < (uint32_t)nth) {
        if (!atomic_compare_exchange_weak(&p->claim, &c, c + 1))
            continue; /* c now holds the current word */
        fn(arg, (int)(uint32_t)c, nth);
        if (atomic_fetch_add(&p->completed, 1) + 1 == nth) {
            pthread_mutex_lock(&p->lock);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->lock);
        }
        c = atomic_load(&p->claim);
    }
}

/* Polls until the generation moves past `seen` or the spin time is up. */
static void spin_for_job(onnx_pool *p, uint32_t seen)
{
    long long until = now_ns() + POOL_SPIN_NS;
    do {
        for (int i = 0; i < 64; i++)
            if (generation_of(atomic_load_explicit(&p->claim, memory_order_acquire)) != seen)
                return;
    } while (now_ns() < until);
}

static void *worker_main(void *arg)
{
    pool_worker *w = arg;
    thread_name_set("ferry-onnx");
    onnx_pool *p = w->pool;
    uint32_t seen = 0;
    for (;;) {
        spin_for_job(p, seen);
        pthread_mutex_lock(&p->lock);
        while (!p->stop && generation_of(atomic_load(&p->claim)) == seen)
            pthread_cond_wait(&w->wake, &p->lock);
        if (p->stop) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        seen = generation_of(atomic_load(&p->claim));
        onnx_pool_fn fn = p->fn;
        void *job = p->arg;
        int nth = p->nth;
        pthread_mutex_unlock(&p->lock);
        if (w->index < nth) /* others were not woken for this job, only saw it while polling */
            work(p, seen, fn, job, nth);
    }
}

ferry_status onnx_pool_create(int n_threads, onnx_pool **out, ferry_error *err)
{
    if (n_threads < 1 || n_threads > ONNX_POOL_MAX_THREADS)
        return ferry_error_set(err, FERRY_INVALID_ARG, "a pool of %d threads (1 to %d)", n_threads,
                               ONNX_POOL_MAX_THREADS);
    onnx_pool *p = calloc(1, sizeof *p);
    pool_worker *workers = calloc((size_t)n_threads, sizeof *workers);
    if (p == NULL || workers == NULL) {
        free(p);
        free(workers);
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for a thread pool");
    }
    p->n_threads = 1;
    p->workers = workers;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int i = 1; i < n_threads; i++) {
        pool_worker *w = &workers[i];
        *w = (pool_worker){.pool = p, .index = i};
        pthread_cond_init(&w->wake, NULL);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            pthread_cond_destroy(&w->wake);
            onnx_pool_destroy(p);
            return ferry_error_set(err, FERRY_INTERNAL, "cannot start thread %d of a pool of %d", i,
                                   n_threads);
        }
        p->n_threads = i + 1;
    }
    *out = p;
    return FERRY_OK;
}

void onnx_pool_destroy(onnx_pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    for (int i = 1; i < p->n_threads; i++)
        pthread_cond_signal(&p->workers[i].wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 1; i < p->n_threads; i++) {
        pthread_join(p->workers[i].thread, NULL);
        pthread_cond_destroy(&p->workers[i].wake);
    }
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    free(p->workers);
    free(p);
}

int onnx_pool_threads(const onnx_pool *p)
{
    return p->n_threads;
}

void onnx_pool_run(onnx_pool *p, onnx_pool_fn fn, void *arg, int nth)
{
    nth = nth < 1 ? 1 : nth > p->n_threads ? p->n_threads : nth;
    if (nth == 1) {
        fn(arg, 0, 1);
        return;
    }
    pthread_mutex_lock(&p->lock);
    uint32_t gen = generation_of(atomic_load(&p->claim)) + 1;
    p->fn = fn;
    p->arg = arg;
    p->nth = nth;
    atomic_store(&p->completed, 0);
    atomic_store_explicit(&p->claim, (uint64_t)gen << 32, memory_order_release);
    for (int i = 1; i < nth; i++)
        pthread_cond_signal(&p->workers[i].wake);
    pthread_mutex_unlock(&p->lock);
    work(p, gen, fn, arg, nth);
    /* Every slice is claimed: wait for those still running (poll briefly, then sleep). */
    long long until = now_ns() + POOL_SPIN_NS;
    while (atomic_load_explicit(&p->completed, memory_order_acquire) < nth && now_ns() < until)
        ;
    pthread_mutex_lock(&p->lock);
    while (atomic_load(&p->completed) < nth)
        pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
}
