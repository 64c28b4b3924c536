/* Unit tests for seeded reservoir sampling (src/monitor/reservoir.c): the first items fill the
 * slots in order, the size never passes the capacity, the same seed gives the same sample and
 * another seed another, and every item of a stream is kept with probability capacity/n (checked
 * over 4,000 seeds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "monitor/reservoir.h"

/* Runs a stream of n items through a reservoir of capacity k; sample[slot] = item. */
static void run(uint64_t seed, size_t k, size_t n, size_t *sample)
{
    reservoir r;
    reservoir_init(&r, k, seed);
    for (size_t i = 0; i < n; i++) {
        int64_t slot = reservoir_offer(&r);
        assert_true(slot < (int64_t)k);
        if (i < k)
            assert_int_equal(slot, i);
        if (slot >= 0)
            sample[slot] = i;
    }
    assert_int_equal(reservoir_size(&r), n < k ? n : k);
}

static void test_fills_in_order(void **state)
{
    (void)state;
    size_t sample[10];
    run(1, 10, 7, sample);
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(sample[i], i);
    reservoir r;
    reservoir_init(&r, 3, 5);
    assert_int_equal(reservoir_size(&r), 0);
}

static void test_seeded(void **state)
{
    (void)state;
    size_t a[50], b[50], c[50];
    run(42, 50, 5000, a);
    run(42, 50, 5000, b);
    run(43, 50, 5000, c);
    assert_memory_equal(a, b, sizeof a);
    assert_true(memcmp(a, c, sizeof a) != 0);
}

static void test_uniform(void **state)
{
    (void)state;
    enum { K = 10, N = 100, RUNS = 4000 };
    size_t kept[N] = {0}, sample[K];
    for (uint64_t seed = 0; seed < RUNS; seed++) {
        run(seed, K, N, sample);
        for (size_t i = 0; i < K; i++)
            kept[sample[i]]++;
    }
    /* Each item is kept RUNS·K/N = 400 times on average (binomial, sd ≈ 19): 6 sd either side,
     * and the first and last tenth of the stream are kept as often as each other. */
    size_t early = 0, late = 0;
    for (size_t i = 0; i < N; i++) {
        assert_true(fabs((double)kept[i] - 400.0) < 114.0);
        early += i < N / 10 ? kept[i] : 0;
        late += i >= N - N / 10 ? kept[i] : 0;
    }
    assert_true(fabs((double)early - (double)late) < 360.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fills_in_order),
        cmocka_unit_test(test_seeded),
        cmocka_unit_test(test_uniform),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
