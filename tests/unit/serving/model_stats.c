/* Unit tests for the per-version statistics counters (src/serving/model_stats.c): success and
 * failure records and their time split, executions per batch size (sorted, a fixed number of
 * distinct sizes), last_inference on the wall clock, and threads recording at once without a
 * lock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "serving/model_stats.h"

static void test_records(void **state)
{
    (void)state;
    model_stats *s = malloc(sizeof *s);
    assert_non_null(s);
    model_stats_init(s);
    model_stats_snapshot snap;
    model_stats_read(s, &snap);
    assert_int_equal(snap.last_inference_ms, 0);
    assert_int_equal(snap.n_batches, 0);

    model_stats_request r = {.request_ns = 1000,
                             .queue_ns = 0,
                             .input_ns = 100,
                             .infer_ns = 700,
                             .output_ns = 50,
                             .batch_size = 4};
    model_stats_record_success(s, &r);
    model_stats_record_execution(s, 4, 100, 700, 50);
    r.batch_size = 1;
    model_stats_record_success(s, &r);
    model_stats_record_execution(s, 1, 100, 700, 50);
    model_stats_record_failure(s, 300);

    model_stats_read(s, &snap);
    assert_int_equal(snap.success.count, 2);
    assert_int_equal(snap.success.ns, 2000);
    assert_int_equal(snap.fail.count, 1);
    assert_int_equal(snap.fail.ns, 300);
    assert_int_equal(snap.queue.count, 2);
    assert_int_equal(snap.queue.ns, 0);
    assert_int_equal(snap.compute_input.ns, 200);
    assert_int_equal(snap.compute_infer.ns, 1400);
    assert_int_equal(snap.compute_output.ns, 100);
    assert_int_equal(snap.inference_count, 5);
    assert_int_equal(snap.execution_count, 2);
    assert_int_equal(snap.cache_hit.count, 0);
    assert_int_equal(snap.cache_miss.count, 0);
    assert_int_equal(snap.n_batches, 2);
    assert_int_equal(snap.batches[0].batch_size, 1);
    assert_int_equal(snap.batches[1].batch_size, 4);
    assert_int_equal(snap.batches[1].compute_infer.count, 1);
    assert_int_equal(snap.batches[1].compute_infer.ns, 700);

    uint64_t now_ms = (uint64_t)time(NULL) * 1000;
    assert_true(snap.last_inference_ms + 60000 > now_ms && snap.last_inference_ms < now_ms + 60000);
    free(s);
}

/* Distinct batch sizes past the table's size still count as executions, not in batch_stats. */
static void test_batch_slots_full(void **state)
{
    (void)state;
    model_stats *s = malloc(sizeof *s);
    assert_non_null(s);
    model_stats_init(s);
    for (uint64_t size = 1; size <= MODEL_STATS_BATCH_SLOTS + 10; size++)
        model_stats_record_execution(s, size * 7, 1, 2, 3);
    model_stats_record_execution(s, 7, 1, 2, 3); /* a size seen before */
    model_stats_snapshot *snap = malloc(sizeof *snap);
    assert_non_null(snap);
    model_stats_read(s, snap);
    assert_int_equal(snap->execution_count, MODEL_STATS_BATCH_SLOTS + 11);
    assert_int_equal(snap->n_batches, MODEL_STATS_BATCH_SLOTS);
    for (size_t i = 1; i < snap->n_batches; i++)
        assert_true(snap->batches[i - 1].batch_size < snap->batches[i].batch_size);
    assert_int_equal(snap->batches[0].batch_size, 7);
    assert_int_equal(snap->batches[0].compute_infer.count, 2);
    free(snap);
    free(s);
}

#define THREADS 8
#define RECORDS 20000

static model_stats *shared;

static void *record_many(void *arg)
{
    uint64_t id = (uint64_t)(uintptr_t)arg;
    model_stats_request r = {.request_ns = 10, .infer_ns = 5, .batch_size = 1 + id % 3};
    for (int i = 0; i < RECORDS; i++) {
        model_stats_record_success(shared, &r);
        model_stats_record_execution(shared, r.batch_size, 1, 5, 1);
        if (i % 10 == 0)
            model_stats_record_failure(shared, 3);
    }
    return NULL;
}

static void test_concurrent_records(void **state)
{
    (void)state;
    shared = malloc(sizeof *shared);
    assert_non_null(shared);
    model_stats_init(shared);
    pthread_t threads[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, record_many, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    model_stats_snapshot snap;
    model_stats_read(shared, &snap);
    assert_int_equal(snap.success.count, THREADS * RECORDS);
    assert_int_equal(snap.success.ns, THREADS * RECORDS * 10);
    assert_int_equal(snap.fail.count, THREADS * RECORDS / 10);
    assert_int_equal(snap.execution_count, THREADS * RECORDS);
    uint64_t elements = 0;
    for (uintptr_t i = 0; i < THREADS; i++)
        elements += (1 + i % 3) * RECORDS;
    assert_int_equal(snap.inference_count, elements);
    assert_int_equal(snap.n_batches, 3); /* sizes 1, 2, 3: each claimed once, whoever was first */
    uint64_t executions = 0;
    for (size_t i = 0; i < snap.n_batches; i++)
        executions += snap.batches[i].compute_infer.count;
    assert_int_equal(executions, THREADS * RECORDS);
    free(shared);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_batch_slots_full),
        cmocka_unit_test(test_concurrent_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
