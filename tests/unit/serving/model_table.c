/* Unit tests for the model table (src/serving/model_table.c) with stand-in versions whose backend
 * only counts unloads: lookups of unknown, loading and failed models, publishing, hot swap while a
 * request holds the old version, version pinning, readiness and listing, and concurrent lookups
 * racing a stream of swaps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serving/model_table.h"

static atomic_int unloads;

static void fake_unload(void *handle)
{
    (void)handle;
    atomic_fetch_add(&unloads, 1);
}

static const ferry_backend fake_backend = {
    .abi_version = FERRY_BACKEND_ABI_VERSION,
    .name = "fake",
    .unload = fake_unload,
};

/* A loaded-looking version with one reference, as model_version_load returns it. */
static model_version *fake_version(const char *name, const char *version)
{
    model_version *mv = calloc(1, sizeof *mv);
    assert_non_null(mv);
    snprintf(mv->name, sizeof mv->name, "%s", name);
    snprintf(mv->version, sizeof mv->version, "%s", version);
    mv->backend = &fake_backend;
    atomic_init(&mv->refs, 1);
    return mv;
}

static int refs(model_version *mv)
{
    return atomic_load(&mv->refs);
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

static int setup(void **state)
{
    atomic_store(&unloads, 0);
    model_table *t = model_table_create();
    assert_non_null(t);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    model_table_destroy(*state);
    return 0;
}

static void test_empty_table(void **state)
{
    model_table *t = *state;
    assert_true(model_table_all_ready(t)); /* nothing to wait for */
    assert_int_equal(model_table_ready_count(t), 0);
    assert_int_equal(model_table_list(t, NULL, 0), 0);
    assert_false(model_table_contains(t, "bc"));
    model_table_destroy(NULL);
}

static void test_acquire_unknown(void **state)
{
    model_table *t = *state;
    model_version *mv = (model_version *)0x1;
    ferry_error err;
    assert_int_equal(model_table_acquire(t, "nosuch", NULL, &mv, &err), FERRY_NOT_FOUND);
    assert_int_equal(err.code, FERRY_NOT_FOUND);
    assert_contains(err.message, "'nosuch'");
    assert_ptr_equal(mv, (model_version *)0x1); /* untouched */
    assert_int_equal(model_table_acquire(t, "nosuch", "1", &mv, &err), FERRY_NOT_FOUND);
}

static void test_loading_is_unavailable(void **state)
{
    model_table *t = *state;
    assert_int_equal(model_table_set_loading(t, "bc", "3"), FERRY_OK);
    assert_true(model_table_contains(t, "bc"));
    assert_false(model_table_all_ready(t));
    assert_int_equal(model_table_ready_count(t), 0);
    model_version *mv = NULL;
    ferry_error err;
    assert_int_equal(model_table_acquire(t, "bc", NULL, &mv, &err), FERRY_UNAVAILABLE);
    assert_contains(err.message, "'bc'");
    assert_contains(err.message, "loading");
    model_status st[2];
    assert_int_equal(model_table_list(t, st, 2), 1);
    assert_string_equal(st[0].name, "bc");
    assert_string_equal(st[0].version, "3");
    assert_int_equal(st[0].state, MODEL_LOADING);
    assert_string_equal(st[0].reason, "");
}

static void test_failed_is_unavailable_with_reason(void **state)
{
    model_table *t = *state;
    assert_int_equal(model_table_set_loading(t, "bc", "3"), FERRY_OK);
    const char *why = "model 'bc' version 3: model.json has sha256 abc, version.yaml says def";
    assert_int_equal(model_table_set_failed(t, "bc", "3", why), FERRY_OK);
    model_version *mv = NULL;
    ferry_error err;
    assert_int_equal(model_table_acquire(t, "bc", NULL, &mv, &err), FERRY_UNAVAILABLE);
    assert_null(mv);
    assert_contains(err.message, "'bc'");
    assert_contains(err.message, "sha256 abc");
    assert_false(model_table_all_ready(t));
    model_status st[1];
    assert_int_equal(model_table_list(t, st, 1), 1);
    assert_int_equal(st[0].state, MODEL_FAILED);
    assert_string_equal(st[0].version, "3");
    assert_string_equal(st[0].reason, why);
    /* Failing without a loading record first works too (a model whose spec could not be read). */
    assert_int_equal(model_table_set_failed(t, "broken", "", "model.yaml: line 2: bad"), FERRY_OK);
    assert_int_equal(model_table_acquire(t, "broken", NULL, &mv, &err), FERRY_UNAVAILABLE);
    assert_contains(err.message, "model.yaml: line 2: bad");
    /* A reason longer than the record keeps its start. */
    char long_reason[2000];
    memset(long_reason, 'r', sizeof long_reason - 1);
    long_reason[sizeof long_reason - 1] = '\0';
    assert_int_equal(model_table_set_failed(t, "long", "1", long_reason), FERRY_OK);
    model_status all[3];
    assert_int_equal(model_table_list(t, all, 3), 3);
    assert_string_equal(all[2].name, "long");
    assert_int_equal(strlen(all[2].reason), MODEL_TABLE_REASON_MAX - 1);
}

static void test_publish_then_acquire(void **state)
{
    model_table *t = *state;
    assert_int_equal(model_table_set_loading(t, "bc", "1"), FERRY_OK);
    model_version *v1 = fake_version("bc", "1");
    assert_int_equal(model_table_publish(t, v1), FERRY_OK);
    assert_int_equal(refs(v1), 1); /* the table took over the caller's reference */
    model_version *got = NULL;
    ferry_error err;
    assert_int_equal(model_table_acquire(t, "bc", NULL, &got, &err), FERRY_OK);
    assert_ptr_equal(got, v1);
    assert_int_equal(refs(v1), 2);
    model_version *again = NULL;
    assert_int_equal(model_table_acquire(t, "bc", "1", &again, &err), FERRY_OK);
    assert_ptr_equal(again, v1);
    assert_int_equal(refs(v1), 3);
    model_version_release(again);
    model_version_release(got);
    assert_int_equal(refs(v1), 1);
    assert_int_equal(atomic_load(&unloads), 0);
    assert_true(model_table_all_ready(t));
    assert_int_equal(model_table_ready_count(t), 1);
    model_status st[1];
    assert_int_equal(model_table_list(t, st, 1), 1);
    assert_int_equal(st[0].state, MODEL_READY);
    assert_string_equal(st[0].version, "1");
    /* Publishing without a loading record first also works. */
    assert_int_equal(model_table_publish(t, fake_version("other", "7")), FERRY_OK);
    assert_int_equal(model_table_ready_count(t), 2);
}

static void test_hot_swap_keeps_old_version_alive(void **state)
{
    model_table *t = *state;
    model_version *v1 = fake_version("bc", "1");
    assert_int_equal(model_table_publish(t, v1), FERRY_OK);
    model_version *held = NULL;
    ferry_error err;
    assert_int_equal(model_table_acquire(t, "bc", NULL, &held, &err), FERRY_OK);
    assert_ptr_equal(held, v1);
    assert_int_equal(refs(v1), 2);

    model_version *v2 = fake_version("bc", "2");
    assert_int_equal(model_table_publish(t, v2), FERRY_OK);
    /* The table dropped its reference; the request's keeps v1 alive and intact. */
    assert_int_equal(refs(v1), 1);
    assert_int_equal(atomic_load(&unloads), 0);
    assert_string_equal(held->name, "bc");
    assert_string_equal(held->version, "1");

    model_version *now = NULL;
    assert_int_equal(model_table_acquire(t, "bc", NULL, &now, &err), FERRY_OK);
    assert_ptr_equal(now, v2);
    assert_int_equal(refs(v2), 2);
    /* The old version is no longer reachable by version either. */
    assert_int_equal(model_table_acquire(t, "bc", "1", &now, &err), FERRY_NOT_FOUND);
    model_version_release(v2);

    /* The last reference unloads it, exactly once. */
    model_version_release(held);
    assert_int_equal(atomic_load(&unloads), 1);
    assert_int_equal(refs(v2), 1);
}

static void test_version_mismatch(void **state)
{
    model_table *t = *state;
    assert_int_equal(model_table_publish(t, fake_version("bc", "3")), FERRY_OK);
    model_version *mv = NULL;
    ferry_error err;
    assert_int_equal(model_table_acquire(t, "bc", "2", &mv, &err), FERRY_NOT_FOUND);
    assert_null(mv);
    assert_contains(err.message, "'bc'");
    assert_contains(err.message, "'2'");
    assert_contains(err.message, "3"); /* the version that is serving */
    assert_int_equal(model_table_acquire(t, "bc", "", &mv, &err), FERRY_NOT_FOUND);
    assert_int_equal(model_table_acquire(t, "bc", "03", &mv, &err), FERRY_NOT_FOUND);
    assert_int_equal(model_table_acquire(t, "bc", "3", &mv, &err), FERRY_OK);
    model_version_release(mv);
}

static void test_failed_reload_keeps_serving(void **state)
{
    model_table *t = *state;
    model_version *v1 = fake_version("bc", "1");
    assert_int_equal(model_table_publish(t, v1), FERRY_OK);
    /* A new version starts loading and then fails: version 1 keeps serving. */
    assert_int_equal(model_table_set_loading(t, "bc", "2"), FERRY_OK);
    assert_int_equal(model_table_set_failed(t, "bc", "2", "corrupt"), FERRY_OK);
    model_version *mv = NULL;
    ferry_error err;
    assert_int_equal(model_table_acquire(t, "bc", NULL, &mv, &err), FERRY_OK);
    assert_ptr_equal(mv, v1);
    model_version_release(mv);
    assert_true(model_table_all_ready(t));
    assert_int_equal(model_table_ready_count(t), 1);
    model_status st[1];
    assert_int_equal(model_table_list(t, st, 1), 1);
    assert_int_equal(st[0].state, MODEL_READY);
    assert_string_equal(st[0].version, "1");
    assert_int_equal(atomic_load(&unloads), 0);
}

static void test_all_ready_ready_count_and_list(void **state)
{
    model_table *t = *state;
    /* Inserted out of order; listed by name. */
    assert_int_equal(model_table_set_loading(t, "zeta", "1"), FERRY_OK);
    assert_int_equal(model_table_set_loading(t, "alpha", "1"), FERRY_OK);
    assert_int_equal(model_table_set_loading(t, "mid", "4"), FERRY_OK);
    assert_false(model_table_all_ready(t));
    assert_int_equal(model_table_publish(t, fake_version("mid", "4")), FERRY_OK);
    assert_int_equal(model_table_publish(t, fake_version("alpha", "1")), FERRY_OK);
    assert_false(model_table_all_ready(t));
    assert_int_equal(model_table_ready_count(t), 2);
    assert_int_equal(model_table_publish(t, fake_version("zeta", "2")), FERRY_OK);
    assert_true(model_table_all_ready(t));
    assert_int_equal(model_table_ready_count(t), 3);
    assert_int_equal(model_table_set_failed(t, "beta", "1", "bad"), FERRY_OK);
    assert_false(model_table_all_ready(t));
    assert_int_equal(model_table_ready_count(t), 3);

    model_status st[8];
    memset(st, 0x5a, sizeof st);
    assert_int_equal(model_table_list(t, st, 8), 4);
    assert_string_equal(st[0].name, "alpha");
    assert_string_equal(st[1].name, "beta");
    assert_string_equal(st[2].name, "mid");
    assert_string_equal(st[3].name, "zeta");
    assert_int_equal(st[1].state, MODEL_FAILED);
    assert_string_equal(st[1].reason, "bad");
    assert_string_equal(st[3].version, "2");
    assert_string_equal(st[3].reason, "");
    /* Fewer slots than entries: fills what it can, still reports the total. */
    model_status two[3];
    memset(two, 0x5a, sizeof two);
    assert_int_equal(model_table_list(t, two, 2), 4);
    assert_string_equal(two[0].name, "alpha");
    assert_string_equal(two[1].name, "beta");
    assert_int_equal((unsigned char)two[2].name[0], 0x5a); /* not written */
    assert_int_equal(model_table_list(t, NULL, 0), 4);
    assert_true(model_table_contains(t, "alpha"));
    assert_true(model_table_contains(t, "beta"));
    assert_false(model_table_contains(t, "alph"));
    assert_false(model_table_contains(t, ""));
}

static void test_many_models(void **state)
{
    model_table *t = *state;
    char name[32];
    for (int i = 99; i >= 0; i--) {
        snprintf(name, sizeof name, "m%03d", i);
        assert_int_equal(model_table_publish(t, fake_version(name, "1")), FERRY_OK);
    }
    assert_int_equal(model_table_ready_count(t), 100);
    model_status *st = calloc(100, sizeof *st);
    assert_non_null(st);
    assert_int_equal(model_table_list(t, st, 100), 100);
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "m%03d", i);
        assert_string_equal(st[i].name, name);
    }
    free(st);
    for (int i = 0; i < 100; i += 7) {
        snprintf(name, sizeof name, "m%03d", i);
        model_version *mv = NULL;
        ferry_error err;
        assert_int_equal(model_table_acquire(t, name, NULL, &mv, &err), FERRY_OK);
        assert_string_equal(mv->name, name);
        model_version_release(mv);
    }
}

static void test_destroy_releases_but_held_survives(void **state)
{
    model_table *t = *state;
    model_version *v1 = fake_version("bc", "1");
    assert_int_equal(model_table_publish(t, v1), FERRY_OK);
    assert_int_equal(model_table_publish(t, fake_version("other", "1")), FERRY_OK);
    model_version *held = NULL;
    ferry_error err;
    assert_int_equal(model_table_acquire(t, "bc", NULL, &held, &err), FERRY_OK);
    model_table_destroy(t);
    *state = model_table_create();              /* for teardown */
    assert_int_equal(atomic_load(&unloads), 1); /* "other" */
    assert_int_equal(refs(held), 1);
    assert_string_equal(held->version, "1");
    model_version_release(held);
    assert_int_equal(atomic_load(&unloads), 2);
}

/* Readers acquire and release in a loop while the main thread publishes new versions. */
typedef struct race {
    model_table *t;
    atomic_bool stop;
    atomic_long lookups;
} race;

static void *reader(void *arg)
{
    race *r = arg;
    while (!atomic_load(&r->stop)) {
        model_version *mv = NULL;
        ferry_error err;
        if (model_table_acquire(r->t, "bc", NULL, &mv, &err) != FERRY_OK)
            continue;
        /* Touch the version while holding it: ASan reports any use after free. */
        if (strcmp(mv->name, "bc") != 0 || atomic_load(&mv->refs) < 1)
            abort();
        model_version_release(mv);
        atomic_fetch_add(&r->lookups, 1);
    }
    return NULL;
}

static void test_concurrent_acquire_and_swap(void **state)
{
    model_table *t = *state;
    assert_int_equal(model_table_publish(t, fake_version("bc", "1")), FERRY_OK);
    race r = {.t = t};
    atomic_init(&r.stop, false);
    atomic_init(&r.lookups, 0);
    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, reader, &r), 0);
    while (atomic_load(&r.lookups) == 0) /* on a busy machine the readers may start late */
        sched_yield();
    enum { SWAPS = 2000 };
    char version[16];
    for (int i = 2; i <= SWAPS; i++) {
        snprintf(version, sizeof version, "%d", i);
        assert_int_equal(model_table_publish(t, fake_version("bc", version)), FERRY_OK);
    }
    atomic_store(&r.stop, true);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    assert_true(atomic_load(&r.lookups) > 0);
    /* Every replaced version was unloaded exactly once; the last one still serves. */
    assert_int_equal(atomic_load(&unloads), SWAPS - 1);
    model_version *mv = NULL;
    ferry_error err;
    assert_int_equal(model_table_acquire(t, "bc", NULL, &mv, &err), FERRY_OK);
    snprintf(version, sizeof version, "%d", SWAPS);
    assert_string_equal(mv->version, version);
    assert_int_equal(refs(mv), 2);
    model_version_release(mv);
}

#define TABLE_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TABLE_TEST(test_empty_table),
        TABLE_TEST(test_acquire_unknown),
        TABLE_TEST(test_loading_is_unavailable),
        TABLE_TEST(test_failed_is_unavailable_with_reason),
        TABLE_TEST(test_publish_then_acquire),
        TABLE_TEST(test_hot_swap_keeps_old_version_alive),
        TABLE_TEST(test_version_mismatch),
        TABLE_TEST(test_failed_reload_keeps_serving),
        TABLE_TEST(test_all_ready_ready_count_and_list),
        TABLE_TEST(test_many_models),
        TABLE_TEST(test_destroy_releases_but_held_survives),
        TABLE_TEST(test_concurrent_acquire_and_swap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
