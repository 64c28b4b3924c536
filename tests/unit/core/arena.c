/* Unit tests for the request arena (src/core/arena.c): 64-byte (and 16-byte small) alignment,
 * allocations that do not overlap, reset reusing one chunk so that a warmed-up arena stops
 * allocating, the maximum size, the ferry_allocator view used by backends, and mark/rewind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/arena.h"

#define MiB ((size_t)1 << 20)

static void test_alignment_64(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 64 * MiB);
    const size_t sizes[] = {1, 3, 63, 64, 65, 100, 1000, 4097, 70000, 1, 2 * MiB, 5};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *p = arena_alloc(&a, sizes[i]);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 64, 0);
        memset(p, 0xab, sizes[i]); /* writable over its whole size (ASan checks the bounds) */
    }
    arena_free(&a);
}

static void test_alignment_small_16(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 64 * MiB);
    unsigned char *prev = NULL;
    for (size_t i = 1; i < 200; i++) {
        unsigned char *p = arena_alloc_small(&a, i);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, (int)i, i);
        /* Small allocations pack (all of these fit the first chunk): each follows the previous
         * one at its size rounded up to 16, not to 64. */
        if (prev != NULL)
            assert_int_equal(p - prev, (i - 1 + 15) & ~(size_t)15);
        prev = p;
    }
    /* A 64-aligned allocation after small ones is still 64-aligned. */
    void *big = arena_alloc(&a, 10);
    assert_int_equal((uintptr_t)big % 64, 0);
    arena_free(&a);
}

static void test_allocations_do_not_overlap(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 64 * MiB);
    enum { N = 500 };
    unsigned char *ptrs[N];
    size_t sizes[N];
    for (size_t i = 0; i < N; i++) {
        sizes[i] = 1 + (i * 7919) % 3000;
        ptrs[i] = (i % 3 == 0) ? arena_alloc_small(&a, sizes[i]) : arena_alloc(&a, sizes[i]);
        assert_non_null(ptrs[i]);
        memset(ptrs[i], (int)(i & 0xff), sizes[i]);
    }
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < sizes[i]; k++)
            if (ptrs[i][k] != (unsigned char)(i & 0xff))
                fail_msg("allocation %zu byte %zu was overwritten", i, k);
    arena_free(&a);
}

/* One "request": a fixed pattern of allocations; returns the pointers in ptrs. */
static void request_pattern(arena *a, void **ptrs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t size = 100 + (i * 1237) % 20000;
        ptrs[i] = (i % 4 == 0) ? arena_alloc_small(a, size) : arena_alloc(a, size);
        assert_non_null(ptrs[i]);
        memset(ptrs[i], 1, size);
    }
}

static void test_reset_reuses_memory(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 256 * MiB);
    enum { N = 200 }; /* about 2 MiB per round: many 64 KiB-and-up chunks the first time */
    void *first[N], *again[N];
    request_pattern(&a, first, N);
    size_t peak = a.peak;
    assert_true(peak >= a.used_total);
    assert_non_null(a.head);
    arena_reset(&a);
    assert_int_equal(a.used_total, 0);
    /* Warm-up may take a round or two; after that the same request reuses the same memory. */
    request_pattern(&a, first, N);
    arena_reset(&a);
    request_pattern(&a, first, N);
    arena_chunk *head = a.head;
    arena_reset(&a);
    for (int round = 0; round < 5; round++) {
        request_pattern(&a, again, N);
        assert_ptr_equal(a.head, head); /* no new chunk */
        assert_memory_equal(again, first, sizeof first);
        arena_reset(&a);
        assert_ptr_equal(a.head, head);
    }
    /* A smaller request after warm-up also fits in the kept chunk. */
    assert_ptr_equal(arena_alloc_small(&a, 1000), first[0]);
    assert_ptr_equal(a.head, head);
    arena_free(&a);
}

static void test_reset_single_chunk_same_pointers(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 16 * MiB);
    void *p1 = arena_alloc(&a, 100);
    void *p2 = arena_alloc(&a, 200);
    assert_ptr_not_equal(p1, p2);
    arena_reset(&a);
    assert_ptr_equal(arena_alloc(&a, 100), p1);
    assert_ptr_equal(arena_alloc(&a, 200), p2);
    arena_free(&a);
    /* Reset of an arena that never allocated, and free twice, are harmless. */
    arena_init(&a, 16 * MiB);
    arena_reset(&a);
    arena_free(&a);
    arena_free(&a);
    arena_free(NULL);
}

static void test_max_enforced(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 64 * 1024);
    size_t handed_out = 0;
    int n = 0;
    while (arena_alloc(&a, 1000) != NULL) {
        handed_out += 1000;
        n++;
        assert_true(n < 1000);
    }
    assert_true(n > 0);
    assert_true(handed_out <= 64 * 1024);
    assert_true(a.used_total <= 64 * 1024);
    /* Once full, small allocations fail too, until a reset. */
    assert_null(arena_alloc(&a, 2000));
    arena_reset(&a);
    assert_non_null(arena_alloc(&a, 1000));
    /* A single allocation bigger than the maximum fails without allocating. */
    assert_null(arena_alloc(&a, 64 * 1024 + 1));
    assert_null(arena_alloc(&a, 10 * MiB));
    arena_free(&a);
}

static void test_huge_and_overflowing_sizes(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, SIZE_MAX);
    assert_null(arena_alloc(&a, SIZE_MAX));
    assert_null(arena_alloc(&a, SIZE_MAX - 10));
    assert_null(arena_alloc_small(&a, SIZE_MAX - 3));
    assert_non_null(arena_alloc(&a, 16));
    arena_free(&a);
}

static void test_allocator_view(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 16 * MiB);
    ferry_allocator alloc = arena_allocator(&a);
    assert_ptr_equal(alloc.ctx, &a);
    float *out = alloc.alloc(alloc.ctx, 30 * sizeof *out);
    assert_non_null(out);
    assert_int_equal((uintptr_t)out % 64, 0);
    assert_true(a.used_total >= 30 * sizeof *out);
    for (int i = 0; i < 30; i++)
        out[i] = (float)i;
    assert_null(alloc.alloc(alloc.ctx, 32 * MiB));
    arena_free(&a);
}

/* Rewinding to a mark hands the same bytes out again, frees the chunks added since, and restores
 * the count against the maximum; a mark on an empty arena rewinds to empty. */
static void test_mark_rewind(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 4 * MiB);
    arena_mark_t empty = arena_mark(&a);
    assert_non_null(arena_alloc(&a, 100));
    arena_rewind(&a, empty);
    assert_null(a.head);
    assert_int_equal(a.used_total, 0);

    assert_non_null(arena_alloc(&a, 100));
    arena_mark_t m = arena_mark(&a);
    size_t used = a.used_total;
    unsigned char *first = arena_alloc(&a, 1000);
    assert_non_null(first);
    assert_non_null(arena_alloc(&a, MiB)); /* a second chunk */
    assert_ptr_not_equal(arena_mark(&a).head, m.head);
    arena_rewind(&a, m);
    assert_int_equal(a.used_total, used);
    assert_ptr_equal(arena_mark(&a).head, m.head);
    assert_ptr_equal(arena_alloc(&a, 1000), first);
    /* Everything up to the maximum is available again after a rewind. */
    arena_rewind(&a, m);
    assert_non_null(arena_alloc(&a, 3 * MiB));
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment_64),
        cmocka_unit_test(test_alignment_small_16),
        cmocka_unit_test(test_allocations_do_not_overlap),
        cmocka_unit_test(test_reset_reuses_memory),
        cmocka_unit_test(test_reset_single_chunk_same_pointers),
        cmocka_unit_test(test_max_enforced),
        cmocka_unit_test(test_huge_and_overflowing_sizes),
        cmocka_unit_test(test_allocator_view),
        cmocka_unit_test(test_mark_rewind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
