/* The server-wide pool of threads that run queued work: every version's scheduler hands its queue
 * to the same few threads (by default one per CPU), so loading more models never adds threads, and
 * never more pool threads are busy than there are cores.
 *
 * A client (a scheduler) asks to be visited with worker_pool_post, now or at a due time (a batch
 * waiting for company); an idle pool thread then calls its visit function, which takes what it can
 * run off its own queue and runs it. The pool knows nothing of queues or batches.
 *
 *     worker_pool_client c = {.visit = my_visit};
 *     worker_pool_post(pool, &c, 0);        a pool thread calls my_visit(&c, scratch) soon
 *     worker_pool_detach(pool, &c);         no visit is pending or running once this returns */
#ifndef FERRY_SERVING_WORKER_POOL_H
#define FERRY_SERVING_WORKER_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "ferry/status.h"

#define WORKER_POOL_MAX_THREADS 1024

typedef struct worker_pool worker_pool;
typedef struct worker_pool_client worker_pool_client;

/* Embedded in the client; visit is set by the client, the rest is the pool's. */
struct worker_pool_client {
    /* Runs on a pool thread. `scratch` is the thread's arena, reset after the visit. */
    void (*visit)(worker_pool_client *c, arena *scratch);
    uint64_t due_ns; /* private: clock_now_ns time of the next visit */
    unsigned visitors;
    bool listed, detached;
    worker_pool_client *next;
};

/* Starts a pool of `threads` threads (0: the number of CPUs). Fails with NO_MEMORY or INTERNAL
 * (no thread could start); a pool with fewer threads than asked still runs. Destroyed with
 * worker_pool_destroy once no client is attached (accepts NULL). */
ferry_status worker_pool_create(unsigned threads, worker_pool **out,
                                ferry_error *err) FERRY_MUST_CHECK;
void worker_pool_destroy(worker_pool *p);

/* The process's shared pool, started on first use with worker_pool_set_default_threads's count
 * (default: the number of CPUs). Fails as worker_pool_create. */
ferry_status worker_pool_shared(worker_pool **out, ferry_error *err) FERRY_MUST_CHECK;

/* Sets the shared pool's size before it starts (ferry serve --pool-threads); 0: the CPUs. Returns
 * false when the pool already runs with another size. */
bool worker_pool_set_default_threads(unsigned threads);

/* Asks for a visit of c at due_ns (clock_now_ns; 0 or past: as soon as a thread is free). A client
 * already waiting keeps the earlier of both times. Ignored once the client is detached. Safe to
 * call from any thread, also from within c's own visit. */
void worker_pool_post(worker_pool *p, worker_pool_client *c, uint64_t due_ns);

/* Cancels c's pending visit and waits for running ones to return; c is never visited again. Must
 * not be called from a visit of c itself. */
void worker_pool_detach(worker_pool *p, worker_pool_client *c);

/* Threads in the pool. */
unsigned worker_pool_threads(const worker_pool *p);

#endif
