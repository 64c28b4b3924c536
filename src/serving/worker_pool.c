/* The shared worker pool; see worker_pool.h. One mutex guards the list of clients waiting for a
 * visit; idle threads sleep on `wake` (on the monotonic clock, so a due time is a plain deadline).
 * A thread visits the first client that is due, off the list, and counts itself a visitor so that
 * detach can wait for it. Lock order: a client's own lock (held while posting) before the pool's.
 */
#include "serving/worker_pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/thread_name.h"

#define POOL_ARENA_MAX ((size_t)1 << 30)

typedef struct pool_thread {
    worker_pool *p;
    pthread_t thread;
    arena scratch;
} pool_thread;

struct worker_pool {
    pthread_mutex_t lock;
    pthread_cond_t wake;     /* a client is posted, or the pool stops */
    pthread_cond_t detached; /* a visit ended */
    worker_pool_client *head;
    bool stop;
    unsigned n_threads;
    pool_thread *threads;
};

/* ------------------------------------------------------------------------------------------ */
/* Threads                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static void unlist(worker_pool *p, worker_pool_client *c)
{
    for (worker_pool_client **at = &p->head; *at != NULL; at = &(*at)->next)
        if (*at == c) {
            *at = c->next;
            break;
        }
    c->next = NULL;
    c->listed = false;
}

/* The first client due by `now`, taken off the list; else NULL and *next_due the soonest. */
static worker_pool_client *take_due(worker_pool *p, uint64_t now, uint64_t *next_due)
{
    *next_due = UINT64_MAX;
    for (worker_pool_client *c = p->head; c != NULL; c = c->next) {
        if (c->due_ns <= now) {
            unlist(p, c);
            return c;
        }
        if (c->due_ns < *next_due)
            *next_due = c->due_ns;
    }
    return NULL;
}

static void wait_until(worker_pool *p, uint64_t due_ns)
{
    if (due_ns == UINT64_MAX) {
        pthread_cond_wait(&p->wake, &p->lock);
        return;
    }
    struct timespec ts = {.tv_sec = (time_t)(due_ns / 1000000000u),
                          .tv_nsec = (long)(due_ns % 1000000000u)};
    pthread_cond_timedwait(&p->wake, &p->lock, &ts);
}

static void *thread_main(void *arg)
{
    pool_thread *t = arg;
    thread_name_set("ferry-worker");
    worker_pool *p = t->p;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        uint64_t next_due;
        worker_pool_client *c = take_due(p, clock_now_ns(), &next_due);
        if (c == NULL) {
            wait_until(p, next_due);
            continue;
        }
        c->visitors++;
        pthread_mutex_unlock(&p->lock);
        c->visit(c, &t->scratch);
        arena_reset(&t->scratch);
        pthread_mutex_lock(&p->lock);
        if (--c->visitors == 0 && c->detached)
            pthread_cond_broadcast(&p->detached);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Public                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static unsigned cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static ferry_status init_sync(worker_pool *p, ferry_error *err)
{
    pthread_condattr_t attr;
    bool ok = pthread_condattr_init(&attr) == 0;
    ok = ok && pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0;
    ok = ok && pthread_mutex_init(&p->lock, NULL) == 0;
    ok = ok && pthread_cond_init(&p->wake, &attr) == 0;
    ok = ok && pthread_cond_init(&p->detached, NULL) == 0;
    pthread_condattr_destroy(&attr);
    return ok ? FERRY_OK
              : ferry_error_set(err, FERRY_INTERNAL, "worker pool: cannot create a mutex");
}

ferry_status worker_pool_create(unsigned threads, worker_pool **out, ferry_error *err)
{
    if (threads == 0)
        threads = cpus();
    if (threads > WORKER_POOL_MAX_THREADS)
        threads = WORKER_POOL_MAX_THREADS;
    worker_pool *p = calloc(1, sizeof *p);
    pool_thread *ts = calloc(threads, sizeof *ts);
    if (p == NULL || ts == NULL) {
        free(p);
        free(ts);
        return ferry_error_set(err, FERRY_NO_MEMORY, "worker pool: out of memory");
    }
    p->threads = ts;
    ferry_status st = init_sync(p, err);
    if (st != FERRY_OK) {
        free(ts);
        free(p);
        return st;
    }
    for (unsigned i = 0; i < threads; i++) {
        ts[i] = (pool_thread){.p = p};
        arena_init(&ts[i].scratch, POOL_ARENA_MAX);
        if (pthread_create(&ts[i].thread, NULL, thread_main, &ts[i]) != 0)
            break;
        p->n_threads++;
    }
    if (p->n_threads == 0) {
        worker_pool_destroy(p);
        return ferry_error_set(err, FERRY_INTERNAL, "worker pool: cannot start a thread");
    }
    *out = p;
    return FERRY_OK;
}

void worker_pool_destroy(worker_pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i].thread, NULL);
    for (unsigned i = 0; i < p->n_threads; i++)
        arena_free(&p->threads[i].scratch);
    free(p->threads);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->detached);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static struct {
    pthread_mutex_t lock;
    worker_pool *pool;
    unsigned threads;
} shared = {.lock = PTHREAD_MUTEX_INITIALIZER};

ferry_status worker_pool_shared(worker_pool **out, ferry_error *err)
{
    pthread_mutex_lock(&shared.lock);
    ferry_status st = FERRY_OK;
    if (shared.pool == NULL)
        st = worker_pool_create(shared.threads, &shared.pool, err);
    *out = shared.pool;
    pthread_mutex_unlock(&shared.lock);
    return st;
}

bool worker_pool_set_default_threads(unsigned threads)
{
    pthread_mutex_lock(&shared.lock);
    bool ok = shared.pool == NULL || shared.pool->n_threads == (threads ? threads : cpus());
    if (shared.pool == NULL)
        shared.threads = threads;
    pthread_mutex_unlock(&shared.lock);
    return ok;
}

void worker_pool_post(worker_pool *p, worker_pool_client *c, uint64_t due_ns)
{
    pthread_mutex_lock(&p->lock);
    if (c->detached) {
        pthread_mutex_unlock(&p->lock);
        return;
    }
    if (!c->listed) { /* at the tail: clients are visited in the order they asked */
        worker_pool_client **at = &p->head;
        while (*at != NULL)
            at = &(*at)->next;
        *at = c;
        c->next = NULL;
        c->listed = true;
        c->due_ns = due_ns;
    } else if (due_ns < c->due_ns) {
        c->due_ns = due_ns;
    }
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
}

void worker_pool_detach(worker_pool *p, worker_pool_client *c)
{
    pthread_mutex_lock(&p->lock);
    c->detached = true;
    if (c->listed)
        unlist(p, c);
    while (c->visitors > 0)
        pthread_cond_wait(&p->detached, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

unsigned worker_pool_threads(const worker_pool *p)
{
    return p->n_threads;
}
