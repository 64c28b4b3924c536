/* Unit tests for the shared worker pool (src/serving/worker_pool.c): a posted client is visited
 * once however often it was posted meanwhile, a due time delays the visit, a visit may post its
 * own client again, and a detached client is never visited. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <unistd.h>

#include "core/clock.h"
#include "serving/worker_pool.h"

typedef struct counter {
    worker_pool_client client; /* first: a visit's client is the counter */
    worker_pool *pool;
    atomic_int visits;
    atomic_ullong last_ns;
    int again; /* visits that post the client again */
} counter;

static void count_visit(worker_pool_client *c, arena *scratch)
{
    counter *k = (counter *)c;
    assert_non_null(arena_alloc(scratch, 1024)); /* the thread's arena serves */
    atomic_store(&k->last_ns, clock_now_ns());
    if (atomic_fetch_add(&k->visits, 1) < k->again)
        worker_pool_post(k->pool, c, 0);
}

static void wait_visits(counter *k, int n)
{
    for (int i = 0; i < 2000 && atomic_load(&k->visits) < n; i++)
        usleep(1000);
}

static worker_pool *make_pool(void)
{
    worker_pool *p = NULL;
    ferry_error err;
    assert_int_equal(worker_pool_create(3, &p, &err), FERRY_OK);
    assert_int_equal(worker_pool_threads(p), 3);
    return p;
}

static void test_posts_coalesce(void **state)
{
    (void)state;
    worker_pool *p = make_pool();
    counter k = {.client.visit = count_visit, .pool = p};
    uint64_t later = clock_now_ns() + 50000000u; /* 50 ms */
    worker_pool_post(p, &k.client, later);
    worker_pool_post(p, &k.client, later + 1000000000u); /* the earlier time stays */
    wait_visits(&k, 1);
    usleep(20000);
    assert_int_equal(atomic_load(&k.visits), 1);
    assert_true(atomic_load(&k.last_ns) >= later);
    worker_pool_detach(p, &k.client);
    worker_pool_destroy(p);
}

static void test_visit_posts_again(void **state)
{
    (void)state;
    worker_pool *p = make_pool();
    counter k = {.client.visit = count_visit, .pool = p, .again = 9};
    worker_pool_post(p, &k.client, 0);
    wait_visits(&k, 10);
    usleep(10000);
    assert_int_equal(atomic_load(&k.visits), 10);
    worker_pool_detach(p, &k.client);
    worker_pool_destroy(p);
}

static void test_detached_never_visited(void **state)
{
    (void)state;
    worker_pool *p = make_pool();
    counter k = {.client.visit = count_visit, .pool = p};
    worker_pool_post(p, &k.client, clock_now_ns() + 20000000u);
    worker_pool_detach(p, &k.client);
    worker_pool_post(p, &k.client, 0); /* ignored */
    usleep(50000);
    assert_int_equal(atomic_load(&k.visits), 0);
    worker_pool_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_posts_coalesce),
        cmocka_unit_test(test_visit_posts_again),
        cmocka_unit_test(test_detached_never_visited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
