/* Unit tests for the memory planner (src/onnx/memplan.c) and the plans built on it
 * (src/onnx/plan.c): buffers alive at the same step never overlap, offsets are aligned, memory is
 * reused across lifetimes, and the real plans of digits_mlp and digits_cnn keep every live tensor
 * and scratch region apart inside their arena. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "onnx/memplan.h"
#include "onnx/model.h"
#include "onnx/plan.h"
#include "test_support.h"

/* Fails when two items that live at a common step share a byte, or one is misaligned. */
static void assert_no_live_overlap(const onnx_memplan_item *it, size_t n, size_t total)
{
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(it[i].offset % ONNX_MEMPLAN_ALIGN, 0);
        assert_true(it[i].offset + it[i].size <= total);
        for (size_t j = i + 1; j < n; j++) {
            bool live_together = it[i].first <= it[j].last && it[j].first <= it[i].last;
            bool share = it[i].size > 0 && it[j].size > 0 &&
                         it[i].offset < it[j].offset + it[j].size &&
                         it[j].offset < it[i].offset + it[i].size;
            if (live_together && share)
                fail_msg("items %zu [%d,%d] and %zu [%d,%d] overlap", i, it[i].first, it[i].last, j,
                         it[j].first, it[j].last);
        }
    }
}

static void test_chain_reuses_memory(void **state)
{
    (void)state;
    /* a -> b -> c -> d: each lives two steps; a and c never meet, so they can share. */
    onnx_memplan_item it[] = {
        {.size = 1000, .first = 0, .last = 1},
        {.size = 1000, .first = 1, .last = 2},
        {.size = 1000, .first = 2, .last = 3},
        {.size = 1000, .first = 3, .last = 4},
    };
    size_t total;
    assert_int_equal(onnx_memplan_assign(it, 4, &total, NULL), FERRY_OK);
    assert_no_live_overlap(it, 4, total);
    assert_true(total <= 2 * 1024); /* two buffers (aligned), not four */
}

static void test_random_lifetimes_never_overlap(void **state)
{
    (void)state;
    srand(1234);
    for (int round = 0; round < 50; round++) {
        enum { N = 120 };
        onnx_memplan_item it[N];
        size_t sum = 0;
        for (size_t i = 0; i < N; i++) {
            int first = rand() % 60;
            it[i] = (onnx_memplan_item){.size = (size_t)(rand() % 5000) * (rand() % 3),
                                        .first = first,
                                        .last = first + rand() % 10};
            sum += (it[i].size + 63) & ~(size_t)63;
        }
        size_t total;
        assert_int_equal(onnx_memplan_assign(it, N, &total, NULL), FERRY_OK);
        assert_no_live_overlap(it, N, total);
        assert_true(total <= sum);
    }
}

static void test_empty_and_huge(void **state)
{
    (void)state;
    size_t total = 99;
    assert_int_equal(onnx_memplan_assign(NULL, 0, &total, NULL), FERRY_OK);
    assert_int_equal(total, 0);
    onnx_memplan_item huge = {.size = SIZE_MAX - 10, .first = 0, .last = 0};
    ferry_error err;
    assert_int_equal(onnx_memplan_assign(&huge, 1, &total, &err), FERRY_TOO_LARGE);
}

/* Checks a real plan: every pair of arena regions (values and step scratch) alive at a common
 * step is disjoint and inside the arena. */
static void check_plan(const char *fixture, int64_t batch)
{
    onnx_model *m;
    ferry_error err;
    char path[4096];
    snprintf(path, sizeof path, "%s/model.onnx", ts_shared(fixture));
    assert_int_equal(onnx_model_load_file(path, &m, &err), FERRY_OK);
    ferry_tensor in = {.dtype = m->inputs[0].dtype, .ndim = m->inputs[0].ndim};
    for (int d = 0; d < in.ndim; d++)
        in.shape[d] = m->inputs[0].shape[d] < 0 ? batch : m->inputs[0].shape[d];
    onnx_plan *p;
    assert_int_equal(onnx_plan_create(m->graph, &in, &p, &err), FERRY_OK);
    size_t n = 0;
    onnx_memplan_item *items = calloc(p->n_placed + p->n_steps + 1, sizeof *items);
    for (size_t i = 0; i < p->n_placed; i++) {
        int v = p->placed[i];
        int first = -1, last = -1;
        for (size_t s = 0; s < p->n_steps; s++) {
            const onnx_node *node = p->steps[s].node;
            for (size_t k = 0; k < node->n_outputs; k++)
                if (node->outputs[k] == v)
                    first = (int)s;
            for (size_t k = 0; k < node->n_inputs; k++)
                if (node->inputs[k] == v ||
                    (node->inputs[k] >= 0 && p->alias[node->inputs[k]] == v))
                    last = (int)s;
        }
        assert_true(first >= 0);
        items[n++] = (onnx_memplan_item){.size = p->tensors[v].nbytes,
                                         .first = first,
                                         .last = last > first ? last : first,
                                         .offset = p->offsets[v]};
    }
    for (size_t s = 0; s < p->n_steps; s++)
        items[n++] = (onnx_memplan_item){.size = p->steps[s].ctx.scratch_size,
                                         .first = (int)s,
                                         .last = (int)s,
                                         .offset = p->steps[s].scratch_offset};
    assert_true(n > 0);
    assert_no_live_overlap(items, n, p->arena_size);
    free(items);
    onnx_plan_destroy(p);
    onnx_model_destroy(m);
}

static void test_real_plans_keep_live_tensors_apart(void **state)
{
    (void)state;
    check_plan("models/digits_mlp", 1);
    check_plan("models/digits_mlp", 64);
    check_plan("models/digits_cnn", 1);
    check_plan("models/digits_cnn", 33);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_reuses_memory),
        cmocka_unit_test(test_random_lifetimes_never_overlap),
        cmocka_unit_test(test_empty_and_huge),
        cmocka_unit_test(test_real_plans_keep_live_tensors_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
