/* Unit tests for the intra-op worker pool (src/onnx/pool.c): every slice of every job runs exactly
 * once, for any slice count (clamped to the pool's threads) and many jobs in a row; bad thread
 * counts are refused; and an idle pool sleeps: over 200 ms with four idle workers the process
 * uses almost no CPU (getrusage). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "onnx/pool.h"

typedef struct counts {
    _Atomic int ran[ONNX_POOL_MAX_THREADS];
    _Atomic int wrong_nth;
    int want_nth;
} counts;

static void count_slice(void *arg, int ith, int nth)
{
    counts *c = arg;
    atomic_fetch_add(&c->ran[ith], 1);
    if (nth != c->want_nth)
        atomic_fetch_add(&c->wrong_nth, 1);
}

static void test_every_slice_runs_once(void **state)
{
    (void)state;
    onnx_pool *p;
    ferry_error err;
    assert_int_equal(onnx_pool_create(5, &p, &err), FERRY_OK);
    assert_int_equal(onnx_pool_threads(p), 5);
    for (int job = 0; job < 3000; job++) {
        int nth = 1 + job % 7; /* 6 and 7 are clamped to 5 */
        counts c = {.want_nth = nth < 5 ? nth : 5};
        onnx_pool_run(p, count_slice, &c, nth);
        for (int i = 0; i < ONNX_POOL_MAX_THREADS; i++)
            if (atomic_load(&c.ran[i]) != (i < c.want_nth))
                fail_msg("job %d (nth %d): slice %d ran %d times", job, nth, i,
                         atomic_load(&c.ran[i]));
        assert_int_equal(atomic_load(&c.wrong_nth), 0);
    }
    onnx_pool_destroy(p);
    onnx_pool_destroy(NULL);
}

static void test_bad_counts_refused(void **state)
{
    (void)state;
    onnx_pool *p = NULL;
    ferry_error err;
    assert_int_equal(onnx_pool_create(0, &p, &err), FERRY_INVALID_ARG);
    assert_int_equal(onnx_pool_create(ONNX_POOL_MAX_THREADS + 1, &p, &err), FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "threads"));
    assert_int_equal(onnx_pool_create(1, &p, &err), FERRY_OK); /* no workers: runs inline */
    counts c = {.want_nth = 1};
    onnx_pool_run(p, count_slice, &c, 4);
    assert_int_equal(atomic_load(&c.ran[0]), 1);
    assert_int_equal(atomic_load(&c.ran[1]), 0);
    onnx_pool_destroy(p);
}

static double cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec * 1e-6 +
           (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec * 1e-6;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void test_idle_pool_sleeps(void **state)
{
    (void)state;
    onnx_pool *p;
    ferry_error err;
    assert_int_equal(onnx_pool_create(5, &p, &err), FERRY_OK);
    for (int job = 0; job < 100; job++) {
        counts c = {.want_nth = 5};
        onnx_pool_run(p, count_slice, &c, 5);
    }
    sleep_ms(20); /* past the workers' short polling after the last job */
    double before = cpu_seconds();
    sleep_ms(200);
    double used = cpu_seconds() - before;
    /* four spinning workers would burn up to 800 ms of CPU here; sleeping ones burn none */
    if (used > 0.01)
        fail_msg("an idle pool used %.1f ms of CPU in 200 ms", used * 1e3);
    onnx_pool_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_slice_runs_once),
        cmocka_unit_test(test_bad_counts_refused),
        cmocka_unit_test(test_idle_pool_sleeps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
