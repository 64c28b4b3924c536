/* recent_index: every entry is found under its hash after any sequence of inserts and removals
 * (checked against a plain list), including clusters that wrap around the array's end and many
 * entries sharing one hash; removed entries are gone; a bad size is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>

#include "state/recent_index.h"

#define CELLS 64
#define SLOTS 32 /* entries held at most: half the cells, as the feedback hub keeps it */

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint32_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

/* How many times the index yields slot under hash. */
static int times_found(const recent_index *ix, uint32_t hash, uint32_t slot)
{
    int n = 0;
    uint32_t found;
    for (uint32_t c = recent_index_first(ix, hash); recent_index_next(ix, hash, &c, &found);)
        n += found == slot;
    return n;
}

/* The model: slot -> hash, or absent. */
typedef struct model {
    bool held[SLOTS];
    uint32_t hash[SLOTS];
} model;

static void check_all(const recent_index *ix, const model *m)
{
    for (uint32_t s = 0; s < SLOTS; s++)
        if (m->held[s])
            assert_int_equal(times_found(ix, m->hash[s], s), 1);
}

/* Hashes drawn from a few values near the array's end, so clusters collide and wrap. */
static uint32_t colliding_hash(void)
{
    static const uint32_t homes[] = {CELLS - 2, CELLS - 1, 0, 1, 17};
    uint32_t high = (next_random() % 3) * CELLS; /* same home, different full hashes */
    return homes[next_random() % 5] + high;
}

static void test_random_inserts_and_removals(void **state)
{
    (void)state;
    recent_index ix;
    assert_true(recent_index_init(&ix, CELLS));
    model m = {0};
    for (int step = 0; step < 200000; step++) {
        uint32_t s = next_random() % SLOTS;
        if (m.held[s]) {
            recent_index_remove(&ix, m.hash[s], s);
            assert_int_equal(times_found(&ix, m.hash[s], s), 0);
            m.held[s] = false;
        } else {
            m.hash[s] = step % 2 ? colliding_hash() : next_random();
            recent_index_insert(&ix, m.hash[s], s);
            m.held[s] = true;
        }
        check_all(&ix, &m); /* a lost entry can be healed by later moves: look every step */
    }
    recent_index_free(&ix);
}

static void test_same_hash_many_slots(void **state)
{
    (void)state;
    recent_index ix;
    assert_true(recent_index_init(&ix, CELLS));
    for (uint32_t s = 0; s < SLOTS; s++)
        recent_index_insert(&ix, 7, s);
    recent_index_remove(&ix, 7, 5);
    recent_index_remove(&ix, 7, 5); /* not there any more: nothing happens */
    int seen = 0;
    uint32_t slot;
    for (uint32_t c = recent_index_first(&ix, 7); recent_index_next(&ix, 7, &c, &slot);) {
        assert_int_not_equal(slot, 5);
        seen++;
    }
    assert_int_equal(seen, SLOTS - 1);
    assert_int_equal(times_found(&ix, 8, 0), 0); /* another hash finds none of them */
    recent_index_free(&ix);
}

static void test_bad_size_refused(void **state)
{
    (void)state;
    recent_index ix;
    assert_false(recent_index_init(&ix, 48));
    assert_false(recent_index_init(&ix, 0));
    recent_index_free(&ix);
    assert_int_equal(recent_index_hash("abc"), recent_index_hash("abc"));
    assert_int_not_equal(recent_index_hash("abc"), recent_index_hash("abd"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_inserts_and_removals),
        cmocka_unit_test(test_same_hash_many_slots),
        cmocka_unit_test(test_bad_size_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
