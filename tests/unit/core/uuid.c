/* uuid_v7: the RFC 9562 version-7 text form with the current time in its first 48 bits, ids in
 * time order, and no repeats across threads and across each thread's refills of random bytes;
 * uuid_v7_time_ms: the time read back from a generated id and from known ones (either case), and
 * every malformed form refused (length, hyphens, non-hex, version, variant). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/uuid.h"

enum { THREADS = 4, PER_THREAD = 5000 };

static char ids[THREADS * PER_THREAD][UUID_STR_LEN];

static void assert_uuid_form(const char *id)
{
    assert_int_equal(strlen(id), 36);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(id[i], '-');
        else
            assert_non_null(strchr("0123456789abcdef", id[i]));
    }
    assert_int_equal(id[14], '7');           /* version 7 */
    assert_non_null(strchr("89ab", id[19])); /* RFC 4122 variant */
}

static void test_form(void **state)
{
    (void)state;
    for (int i = 0; i < 100; i++) {
        char id[UUID_STR_LEN];
        uuid_v7(id);
        assert_uuid_form(id);
    }
}

/* The 48-bit millisecond time in an id's first 12 hex digits. */
static uint64_t id_ms(const char *id)
{
    char hex[13];
    memcpy(hex, id, 8);
    memcpy(hex + 8, id + 9, 4);
    hex[12] = '\0';
    return strtoull(hex, NULL, 16);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void test_time_ordered(void **state)
{
    (void)state;
    char first[UUID_STR_LEN], later[UUID_STR_LEN];
    uint64_t before = now_ms();
    uuid_v7(first);
    uint64_t after = now_ms();
    assert_true(id_ms(first) >= before && id_ms(first) <= after);
    struct timespec pause = {.tv_nsec = 3 * 1000000};
    nanosleep(&pause, NULL);
    uuid_v7(later);
    assert_true(id_ms(later) > id_ms(first));
    assert_true(strcmp(later, first) > 0); /* text order is time order */
}

static void *make_ids(void *arg)
{
    char(*mine)[UUID_STR_LEN] = arg;
    for (int i = 0; i < PER_THREAD; i++)
        uuid_v7(mine[i]);
    return NULL;
}

static int compare_ids(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_unique_across_threads(void **state)
{
    (void)state;
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, make_ids, ids[i * PER_THREAD]), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    qsort(ids, THREADS * PER_THREAD, UUID_STR_LEN, compare_ids);
    for (int i = 0; i < THREADS * PER_THREAD; i++) {
        assert_uuid_form(ids[i]);
        if (i > 0)
            assert_string_not_equal(ids[i - 1], ids[i]);
    }
}

static void test_time_read_back(void **state)
{
    (void)state;
    int64_t ms = -1;
    for (int i = 0; i < 100; i++) {
        char id[UUID_STR_LEN];
        uuid_v7(id);
        assert_true(uuid_v7_time_ms(id, &ms));
        assert_int_equal((uint64_t)ms, id_ms(id));
    }
    assert_true(uuid_v7_time_ms("0190a4c2-7b1e-7000-8000-000000000001", &ms));
    assert_int_equal(ms, 0x0190a4c27b1eLL);
    assert_true(uuid_v7_time_ms("FFFFFFFF-FFFF-7FFF-BFFF-FFFFFFFFFFFF", &ms));
    assert_int_equal(ms, 0xffffffffffffLL);
    assert_true(uuid_v7_time_ms("00000000-0000-7000-8000-000000000000", &ms));
    assert_int_equal(ms, 0);
}

static void test_malformed_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "req-42",
        "0190a4c2-7b1e-7000-8000-00000000000",   /* 35 characters */
        "0190a4c2-7b1e-7000-8000-0000000000011", /* 37 */
        "0190a4c2-7b1e-7000-8000-000000000001 ", /* trailing space */
        "0190a4c27b1e-7000-8000-0000000000001-", /* hyphens moved */
        "0190a4c2-7b1e-7000-8000_000000000001",  /* not a hyphen */
        "0190a4c2-7b1e-7000-8000-00000000000g",  /* not hex */
        "0190a4c2-7b1e-7000-8000-0000 0000001",
        "+190a4c2-7b1e-7000-8000-000000000001",
        "0190a4c2-7b1e-4000-8000-000000000001", /* version 4 */
        "0190a4c2-7b1e-8000-8000-000000000001", /* version 8 */
        "0190a4c2-7b1e-7000-0000-000000000001", /* variant 0xxx */
        "0190a4c2-7b1e-7000-c000-000000000001", /* variant 110x */
        "0190a4c2-7b1e-7000-f000-000000000001",
        "{0190a4c2-7b1e-7000-8000-000000000001}",
        "0190a4c27b1e70008000000000000001", /* no hyphens */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 12345;
        if (uuid_v7_time_ms(bad[i], &ms))
            fail_msg("accepted '%s'", bad[i]);
        assert_int_equal(ms, 12345); /* untouched */
    }
    int64_t ms = 0;
    assert_true(uuid_v7_time_ms("0190a4c2-7b1e-7000-9abc-000000000001", &ms)); /* variant 10 */
    assert_true(uuid_v7_time_ms("0190a4c2-7b1e-7000-b000-000000000001", &ms));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form),
        cmocka_unit_test(test_time_ordered),
        cmocka_unit_test(test_unique_across_threads),
        cmocka_unit_test(test_time_read_back),
        cmocka_unit_test(test_malformed_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
