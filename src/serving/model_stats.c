/* Lock-free statistics counters of one loaded version; see model_stats.h. */
#include "serving/model_stats.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void duration_init(model_stats_duration *d)
{
    atomic_init(&d->count, 0);
    atomic_init(&d->ns, 0);
}

static void duration_add(model_stats_duration *d, uint64_t ns)
{
    atomic_fetch_add_explicit(&d->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&d->ns, ns, memory_order_relaxed);
}

static model_stats_value duration_read(const model_stats_duration *d)
{
    return (model_stats_value){
        .count = atomic_load_explicit(&d->count, memory_order_relaxed),
        .ns = atomic_load_explicit(&d->ns, memory_order_relaxed),
    };
}

static uint64_t wall_clock_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void model_stats_init(model_stats *s)
{
    atomic_init(&s->last_inference_ms, 0);
    atomic_init(&s->inference_count, 0);
    atomic_init(&s->execution_count, 0);
    model_stats_duration *all[] = {&s->success,       &s->fail,          &s->queue,
                                   &s->compute_input, &s->compute_infer, &s->compute_output};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        duration_init(all[i]);
    for (size_t i = 0; i < MODEL_STATS_BATCH_SLOTS; i++) {
        atomic_init(&s->batches[i].batch_size, 0);
        duration_init(&s->batches[i].compute_input);
        duration_init(&s->batches[i].compute_infer);
        duration_init(&s->batches[i].compute_output);
    }
}

void model_stats_record_success(model_stats *s, const model_stats_request *r)
{
    duration_add(&s->success, r->request_ns);
    duration_add(&s->queue, r->queue_ns);
    duration_add(&s->compute_input, r->input_ns);
    duration_add(&s->compute_infer, r->infer_ns);
    duration_add(&s->compute_output, r->output_ns);
    atomic_fetch_add_explicit(&s->inference_count, r->batch_size, memory_order_relaxed);
    atomic_store_explicit(&s->last_inference_ms, wall_clock_ms(), memory_order_relaxed);
}

void model_stats_record_failure(model_stats *s, uint64_t request_ns)
{
    duration_add(&s->fail, request_ns);
    atomic_store_explicit(&s->last_inference_ms, wall_clock_ms(), memory_order_relaxed);
}

/* The slot of batch_size, claimed on first use: open addressing over a fixed table whose keys are
 * set once by compare-and-swap and never cleared, so a slot found stays valid. NULL when full. */
static model_stats_batch *batch_slot(model_stats *s, uint64_t batch_size)
{
    size_t start = (size_t)(batch_size * 11400714819323198485u >> 58) % MODEL_STATS_BATCH_SLOTS;
    for (size_t i = 0; i < MODEL_STATS_BATCH_SLOTS; i++) {
        model_stats_batch *b = &s->batches[(start + i) % MODEL_STATS_BATCH_SLOTS];
        uint64_t key = atomic_load_explicit(&b->batch_size, memory_order_acquire);
        if (key == 0 &&
            atomic_compare_exchange_strong_explicit(&b->batch_size, &key, batch_size,
                                                    memory_order_acq_rel, memory_order_acquire))
            return b; /* claimed; on failure key holds the size another thread claimed it for */
        if (key == batch_size)
            return b;
    }
    return NULL;
}

void model_stats_record_execution(model_stats *s, uint64_t batch_size, uint64_t input_ns,
                                  uint64_t infer_ns, uint64_t output_ns)
{
    atomic_fetch_add_explicit(&s->execution_count, 1, memory_order_relaxed);
    model_stats_batch *b = batch_size > 0 ? batch_slot(s, batch_size) : NULL;
    if (b == NULL)
        return;
    duration_add(&b->compute_input, input_ns);
    duration_add(&b->compute_infer, infer_ns);
    duration_add(&b->compute_output, output_ns);
}

static int compare_batch_size(const void *a, const void *b)
{
    uint64_t x = ((const model_stats_batch_value *)a)->batch_size;
    uint64_t y = ((const model_stats_batch_value *)b)->batch_size;
    return (x > y) - (x < y);
}

void model_stats_read(const model_stats *s, model_stats_snapshot *out)
{
    memset(out, 0, sizeof *out);
    out->last_inference_ms = atomic_load_explicit(&s->last_inference_ms, memory_order_relaxed);
    out->inference_count = atomic_load_explicit(&s->inference_count, memory_order_relaxed);
    out->execution_count = atomic_load_explicit(&s->execution_count, memory_order_relaxed);
    out->success = duration_read(&s->success);
    out->fail = duration_read(&s->fail);
    out->queue = duration_read(&s->queue);
    out->compute_input = duration_read(&s->compute_input);
    out->compute_infer = duration_read(&s->compute_infer);
    out->compute_output = duration_read(&s->compute_output);
    for (size_t i = 0; i < MODEL_STATS_BATCH_SLOTS; i++) {
        const model_stats_batch *b = &s->batches[i];
        uint64_t size = atomic_load_explicit(&b->batch_size, memory_order_acquire);
        if (size == 0)
            continue;
        out->batches[out->n_batches++] = (model_stats_batch_value){
            .batch_size = size,
            .compute_input = duration_read(&b->compute_input),
            .compute_infer = duration_read(&b->compute_infer),
            .compute_output = duration_read(&b->compute_output),
        };
    }
    qsort(out->batches, out->n_batches, sizeof out->batches[0], compare_batch_size);
}
