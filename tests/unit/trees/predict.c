/* Unit tests for the tree evaluator (src/trees/predict.c) against a plain recursive walker written
 * here from the documented semantics: random ensembles of every depth over values that hit the
 * thresholds exactly and NaN, every batch size around the block size, both numeric kernels and the
 * general kernel; then each test kind, missing mode, category rule, leaf vectors, aggregates and
 * post-transforms on hand-made trees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"
#include "trees/builder.h"
#include "trees/predict.h"

/* ---------------------------------------------------------------- reference walker */

static bool ref_holds(const tree_src_node *n, float v)
{
    switch (n->cmp) {
    case TREE_CMP_LT:
        return v < n->value;
    case TREE_CMP_LE:
        return v <= n->value;
    case TREE_CMP_GT:
        return v > n->value;
    case TREE_CMP_GE:
        return v >= n->value;
    case TREE_CMP_EQ:
        return v == n->value;
    case TREE_CMP_NEQ:
        return v != n->value;
    case TREE_CMP_IN_CATS:
        if (v < 0 || v >= 16777216.0f)
            return false;
        for (size_t i = 0; i < n->n_set; i++)
            if (n->categories[i] == (uint32_t)v)
                return true;
        return false;
    case TREE_CMP_IN_SET:
        for (size_t i = 0; i < n->n_set; i++)
            if (n->members[i] == v)
                return true;
        return false;
    default:
        fail_msg("bad test kind %d", n->cmp);
        return false;
    }
}

static const tree_src_node *ref_leaf(const tree_src_node *src, int i, const float *row)
{
    const tree_src_node *n = &src[i];
    if (n->yes < 0)
        return n;
    float v = row[n->feature];
    int dflt = n->default_yes ? n->yes : n->no;
    if (isnan(v) && (n->missing == TREE_MISSING_NAN || n->missing == TREE_MISSING_ZERO))
        return ref_leaf(src, dflt, row);
    if (isnan(v) && n->missing == TREE_MISSING_AS_ZERO)
        v = 0.0f;
    if (n->missing == TREE_MISSING_ZERO && v == 0.0f)
        return ref_leaf(src, dflt, row);
    return ref_leaf(src, ref_holds(n, v) ? n->yes : n->no, row);
}

/* ---------------------------------------------------------------- random ensembles */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33) % n;
}

/* Threshold grid: row values are drawn from the same grid (plus NaN) so ties happen. */
static float grid(void)
{
    return (float)((int)rnd(9) - 4) * 0.25f;
}

typedef struct rand_tree {
    tree_src_node nodes[600];
    int n;
} rand_tree;

/* Grows a random subtree of at most `depth` levels (source order: depth first); returns its index.
 */
static int grow_tree(rand_tree *t, int depth, size_t features, tree_cmp cmp, bool mixed)
{
    int i = t->n++;
    if (depth == 0 || rnd(5) == 0) {
        t->nodes[i] = (tree_src_node){.yes = -1, .no = -1, .value = (float)rnd(1000) / 64.0f};
        return i;
    }
    static const tree_missing modes[] = {TREE_MISSING_NAN, TREE_MISSING_ZERO, TREE_MISSING_AS_ZERO,
                                         TREE_MISSING_IEEE};
    tree_src_node n = {.feature = rnd((uint32_t)features),
                       .cmp = mixed ? (tree_cmp)rnd(TREE_CMP_IN_CATS) : cmp,
                       .missing = mixed ? modes[rnd(4)] : TREE_MISSING_NAN,
                       .default_yes = rnd(2) == 0,
                       .value = grid()};
    n.yes = grow_tree(t, depth - 1, features, cmp, mixed);
    n.no = grow_tree(t, depth - 1, features, cmp, mixed);
    t->nodes[i] = n;
    return i;
}

/* Builds n_trees random trees into an ensemble and keeps their sources in trees[]. */
static tree_ensemble *random_ensemble(rand_tree *trees, size_t n_trees, size_t features,
                                      size_t outputs, tree_cmp cmp, bool mixed, int max_depth)
{
    float base[8] = {0.5f, -1.0f, 2.0f, 0.0f, 1.0f, 3.0f, -2.0f, 0.25f};
    tree_params p = {.n_features = features, .n_outputs = outputs, .base = base};
    tree_builder *b = NULL;
    ferry_error err;
    assert_int_equal(tree_builder_create(&p, &b, &err), FERRY_OK);
    for (size_t t = 0; t < n_trees; t++) {
        trees[t].n = 0;
        grow_tree(&trees[t], 1 + (int)rnd((uint32_t)max_depth), features, cmp, mixed);
        if (tree_builder_add_tree(b, trees[t].nodes, (size_t)trees[t].n, 0, (uint32_t)(t % outputs),
                                  &err) != FERRY_OK)
            fail_msg("%s", err.message);
    }
    tree_ensemble *e = NULL;
    assert_int_equal(tree_builder_finish(b, &e, &err), FERRY_OK);
    tree_builder_destroy(b);
    return e;
}

static void random_rows(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = rnd(6) == 0 ? NAN : rnd(7) == 0 ? 0.0f : grid();
}

/* Compares tree_predict margins with the reference, summed in the same (tree) order: exact. */
static void check_against_reference(const tree_ensemble *e, const rand_tree *trees, size_t rows)
{
    size_t nf = e->n_features, no = e->n_outputs;
    float *x = malloc(rows * nf * sizeof *x), *got = malloc(rows * no * sizeof *got);
    assert_non_null(x);
    assert_non_null(got);
    random_rows(x, rows * nf);
    tree_predict(e, x, rows, got, true);
    for (size_t r = 0; r < rows; r++) {
        float want[8];
        memcpy(want, e->base, no * sizeof *want);
        for (size_t t = 0; t < e->n_trees; t++)
            want[t % no] += ref_leaf(trees[t].nodes, 0, x + r * nf)->value;
        for (size_t o = 0; o < no; o++)
            if (got[r * no + o] != want[o])
                fail_msg("row %zu of %zu output %zu: got %.9g, want %.9g (kernel %d)", r, rows, o,
                         got[r * no + o], want[o], e->kernel);
    }
    free(x);
    free(got);
}

static void test_random_numeric_ensembles(void **state)
{
    (void)state;
    static rand_tree trees[40];
    rng_state = 1;
    const tree_cmp cmps[] = {TREE_CMP_LT, TREE_CMP_LE};
    const tree_kernel kernels[] = {TREE_KERNEL_LT_NAN, TREE_KERNEL_LE_NAN};
    for (int c = 0; c < 2; c++) {
        for (int depth = 1; depth <= 8; depth++) {
            size_t outputs = 1 + (size_t)(depth % 3);
            tree_ensemble *e = random_ensemble(trees, 40, 5, outputs, cmps[c], false, depth);
            assert_int_equal(e->kernel, kernels[c]);
            for (size_t rows = 1; rows <= 35; rows++)
                check_against_reference(e, trees, rows);
            check_against_reference(e, trees, 64 + 16 + 8 + 4 + 3); /* past a block */
            e->kernel = TREE_KERNEL_GENERAL;                        /* the general kernel agrees */
            check_against_reference(e, trees, 33);
            tree_ensemble_destroy(e);
        }
    }
}

static void test_random_mixed_ensembles(void **state)
{
    (void)state;
    static rand_tree trees[30];
    rng_state = 7;
    for (int depth = 1; depth <= 8; depth++) {
        tree_ensemble *e = random_ensemble(trees, 30, 4, 2, TREE_CMP_LT, true, depth);
        assert_int_equal(e->kernel, TREE_KERNEL_GENERAL);
        for (size_t rows = 1; rows <= 20; rows++)
            check_against_reference(e, trees, rows);
        tree_ensemble_destroy(e);
    }
}

/* Wider than the numeric kernels' copy (512 features): the general kernel, same answers. */
static void test_wide_rows(void **state)
{
    (void)state;
    static rand_tree trees[20];
    rng_state = 9;
    tree_ensemble *e = random_ensemble(trees, 20, 600, 1, TREE_CMP_LT, false, 6);
    assert_int_equal(e->kernel, TREE_KERNEL_LT_NAN);
    for (size_t rows = 1; rows <= 20; rows += 3)
        check_against_reference(e, trees, rows);
    tree_ensemble_destroy(e);
}

/* A stump first: its leaf sits at offset 0, where a step wraps around 2^32 to come back. */
static void test_stump_at_offset_zero(void **state)
{
    (void)state;
    static rand_tree trees[3];
    rng_state = 3;
    trees[0].n = 1;
    trees[0].nodes[0] = (tree_src_node){.yes = -1, .no = -1, .value = 0.75f};
    tree_params p = {.n_features = 2, .n_outputs = 1};
    tree_builder *b = NULL;
    ferry_error err;
    assert_int_equal(tree_builder_create(&p, &b, &err), FERRY_OK);
    assert_int_equal(tree_builder_add_tree(b, trees[0].nodes, 1, 0, 0, &err), FERRY_OK);
    for (int t = 1; t < 3; t++) {
        trees[t].n = 0;
        grow_tree(&trees[t], 3, 2, TREE_CMP_LT, false);
        assert_int_equal(tree_builder_add_tree(b, trees[t].nodes, (size_t)trees[t].n, 0, 0, &err),
                         FERRY_OK);
    }
    tree_ensemble *e = NULL;
    assert_int_equal(tree_builder_finish(b, &e, &err), FERRY_OK);
    tree_builder_destroy(b);
    assert_int_equal(e->trees[0].node, 0);
    assert_int_equal(e->trees[0].depth, 0);
    for (size_t rows = 1; rows <= 40; rows++)
        check_against_reference(e, trees, rows);
    tree_ensemble_destroy(e);
}

/* A deep, lopsided tree (a chain of 40 splits): rows leave it at every depth. */
static void test_deep_chain(void **state)
{
    (void)state;
    static rand_tree tree;
    tree.n = 81;
    for (int i = 0; i < 40; i++) {
        tree.nodes[2 * i] = (tree_src_node){
            .yes = 2 * i + 1, .no = 2 * i + 2, .feature = 0, .value = (float)i, .cmp = TREE_CMP_LT};
        tree.nodes[2 * i + 1] = (tree_src_node){.yes = -1, .no = -1, .value = (float)(100 + i)};
    }
    tree.nodes[80] = (tree_src_node){.yes = -1, .no = -1, .value = -1.0f};
    tree_params p = {.n_features = 1, .n_outputs = 1};
    tree_builder *b = NULL;
    ferry_error err;
    assert_int_equal(tree_builder_create(&p, &b, &err), FERRY_OK);
    assert_int_equal(tree_builder_add_tree(b, tree.nodes, 81, 0, 0, &err), FERRY_OK);
    tree_ensemble *e = NULL;
    assert_int_equal(tree_builder_finish(b, &e, &err), FERRY_OK);
    tree_builder_destroy(b);
    assert_int_equal(e->max_depth, 40);
    float x[45], got[45];
    for (int i = 0; i < 45; i++)
        x[i] = (float)i - 0.5f;
    tree_predict(e, x, 45, got, false);
    for (int i = 0; i < 45; i++)
        assert_true(got[i] == (i < 40 ? (float)(100 + i) : -1.0f));
    tree_ensemble_destroy(e);
}

/* ---------------------------------------------------------------- single-split semantics */

/* Predicts one value with a one-split tree (yes leaf 1, no leaf 2) on feature 0. */
static float one_split(tree_src_node split, float v)
{
    split.yes = 1;
    split.no = 2;
    tree_src_node src[] = {
        split, {.yes = -1, .no = -1, .value = 1.0f}, {.yes = -1, .no = -1, .value = 2.0f}};
    tree_params p = {.n_features = 1, .n_outputs = 1};
    tree_builder *b = NULL;
    ferry_error err;
    assert_int_equal(tree_builder_create(&p, &b, &err), FERRY_OK);
    assert_int_equal(tree_builder_add_tree(b, src, 3, 0, 0, &err), FERRY_OK);
    tree_ensemble *e = NULL;
    assert_int_equal(tree_builder_finish(b, &e, &err), FERRY_OK);
    tree_builder_destroy(b);
    float out;
    tree_predict(e, &v, 1, &out, false);
    tree_ensemble_destroy(e);
    return out;
}

#define YES 1.0f
#define NO  2.0f

static void test_comparisons_at_their_thresholds(void **state)
{
    (void)state;
    tree_src_node n = {.value = 1.5f, .missing = TREE_MISSING_IEEE};
    const struct {
        tree_cmp cmp;
        float below, at, above, nan;
    } cases[] = {
        {TREE_CMP_LT, YES, NO, NO, NO}, {TREE_CMP_LE, YES, YES, NO, NO},
        {TREE_CMP_GT, NO, NO, YES, NO}, {TREE_CMP_GE, NO, YES, YES, NO},
        {TREE_CMP_EQ, NO, YES, NO, NO}, {TREE_CMP_NEQ, YES, NO, YES, YES},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        n.cmp = cases[i].cmp;
        assert_true(one_split(n, nextafterf(1.5f, 0.0f)) == cases[i].below);
        assert_true(one_split(n, 1.5f) == cases[i].at);
        assert_true(one_split(n, nextafterf(1.5f, 2.0f)) == cases[i].above);
        assert_true(one_split(n, NAN) == cases[i].nan);
    }
}

static void test_missing_modes(void **state)
{
    (void)state;
    tree_src_node n = {.value = 0.5f, .cmp = TREE_CMP_LT};
    for (int dy = 0; dy < 2; dy++) {
        n.default_yes = dy;
        float dflt = dy ? YES : NO;
        n.missing = TREE_MISSING_NAN; /* XGBoost: NaN to the default, 0 compared */
        assert_true(one_split(n, NAN) == dflt);
        assert_true(one_split(n, 0.0f) == YES);
        assert_true(one_split(n, 0.7f) == NO);
        n.missing = TREE_MISSING_ZERO; /* LightGBM zero: NaN and 0 to the default */
        assert_true(one_split(n, NAN) == dflt);
        assert_true(one_split(n, 0.0f) == dflt);
        assert_true(one_split(n, -0.0f) == dflt);
        assert_true(one_split(n, 1e-36f) == dflt);
        assert_true(one_split(n, 1e-30f) == YES);
        n.missing = TREE_MISSING_AS_ZERO; /* LightGBM none: NaN compared as 0 */
        assert_true(one_split(n, NAN) == YES);
        assert_true(one_split(n, 0.7f) == NO);
    }
    n.value = -0.5f;
    n.missing = TREE_MISSING_AS_ZERO;
    assert_true(one_split(n, NAN) == NO);
}

static void test_category_sets(void **state)
{
    (void)state;
    uint32_t cats[] = {0, 2, 33};
    tree_src_node n = {.cmp = TREE_CMP_IN_CATS, .categories = cats, .n_set = 3};
    const struct {
        float v, want;
    } cases[] = {
        {0.0f, YES},  {1.0f, NO},  {2.0f, YES}, {2.9f, YES}, /* truncated to 2 */
        {33.0f, YES}, {34.0f, NO}, {64.0f, NO},              /* past the bit set */
        {-1.0f, NO},  {-0.5f, NO}, {1e9f, NO},  {16777215.0f, NO}, {INFINITY, NO},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (one_split(n, cases[i].v) != cases[i].want)
            fail_msg("category %g: want %s", cases[i].v, cases[i].want == YES ? "yes" : "no");
    n.default_yes = true;
    assert_true(one_split(n, NAN) == YES);
    n.n_set = 0; /* an empty set holds nothing */
    assert_true(one_split(n, 0.0f) == NO);
}

static void test_member_sets(void **state)
{
    (void)state;
    float members[] = {7.0f, 1.5f, -2.0f, NAN};
    tree_src_node n = {
        .cmp = TREE_CMP_IN_SET, .members = members, .n_set = 4, .missing = TREE_MISSING_IEEE};
    assert_true(one_split(n, 1.5f) == YES);
    assert_true(one_split(n, 7.0f) == YES);
    assert_true(one_split(n, -2.0f) == YES);
    assert_true(one_split(n, 1.0f) == NO);
    assert_true(one_split(n, 8.0f) == NO);
    assert_true(one_split(n, -3.0f) == NO);
    assert_true(one_split(n, NAN) == NO);
}

/* ---------------------------------------------------------------- outputs */

/* Two vector trees over 3 outputs, splitting feature 0 at 0. */
static tree_ensemble *vector_ensemble(tree_aggregate agg, const float *base)
{
    float l0[] = {1.0f, 2.0f, 3.0f}, l1[] = {-1.0f, 0.0f, 5.0f}, l2[] = {4.0f, 4.0f, 4.0f};
    tree_src_node t0[] = {{.yes = 1, .no = 2, .cmp = TREE_CMP_LT},
                          {.yes = -1, .no = -1, .leaf_vector = l0},
                          {.yes = -1, .no = -1, .leaf_vector = l1}};
    tree_src_node t1[] = {{.yes = -1, .no = -1, .leaf_vector = l2}};
    tree_params p = {.n_features = 1, .n_outputs = 3, .aggregate = agg, .base = base};
    tree_builder *b = NULL;
    ferry_error err;
    assert_int_equal(tree_builder_create(&p, &b, &err), FERRY_OK);
    assert_int_equal(tree_builder_add_tree(b, t0, 3, 0, TREE_OUTPUT_VECTOR, &err), FERRY_OK);
    assert_int_equal(tree_builder_add_tree(b, t1, 1, 0, TREE_OUTPUT_VECTOR, &err), FERRY_OK);
    tree_ensemble *e = NULL;
    assert_int_equal(tree_builder_finish(b, &e, &err), FERRY_OK);
    tree_builder_destroy(b);
    assert_int_equal(e->n_leaf_vectors, 3);
    return e;
}

static void test_leaf_vectors_and_aggregates(void **state)
{
    (void)state;
    const float base[] = {10.0f, 20.0f, 30.0f};
    const float x[] = {-1.0f, 1.0f};
    const struct {
        tree_aggregate agg;
        float want[6]; /* two rows */
    } cases[] = {
        {TREE_AGG_SUM, {15, 26, 37, 13, 24, 39}},
        {TREE_AGG_AVERAGE, {12.5f, 23, 33.5f, 11.5f, 22, 34.5f}},
        {TREE_AGG_MIN, {11, 22, 33, 9, 20, 34}},
        {TREE_AGG_MAX, {14, 24, 34, 14, 24, 35}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tree_ensemble *e = vector_ensemble(cases[i].agg, base);
        float got[6];
        tree_predict(e, x, 2, got, false);
        for (int k = 0; k < 6; k++)
            if (got[k] != cases[i].want[k])
                fail_msg("aggregate %d value %d: got %g, want %g", cases[i].agg, k, got[k],
                         cases[i].want[k]);
        tree_ensemble_destroy(e);
    }
}

/* Many outputs: a block holds fewer rows (TREE_MAX_OUTPUTS / outputs). */
static void test_many_outputs(void **state)
{
    (void)state;
    enum { OUT = 1000, ROWS = 11 };
    tree_params p = {.n_features = 1, .n_outputs = OUT};
    tree_builder *b = NULL;
    ferry_error err;
    assert_int_equal(tree_builder_create(&p, &b, &err), FERRY_OK);
    for (uint32_t o = 0; o < OUT; o++) {
        tree_src_node t[] = {{.yes = 1, .no = 2, .value = (float)o},
                             {.yes = -1, .no = -1, .value = 2.0f},
                             {.yes = -1, .no = -1, .value = 1.0f}};
        assert_int_equal(tree_builder_add_tree(b, t, 3, 0, o, &err), FERRY_OK);
    }
    tree_ensemble *e = NULL;
    assert_int_equal(tree_builder_finish(b, &e, &err), FERRY_OK);
    tree_builder_destroy(b);
    float x[ROWS];
    static float got[ROWS * OUT];
    for (int r = 0; r < ROWS; r++)
        x[r] = (float)(r * 97);
    tree_predict(e, x, ROWS, got, true);
    for (int r = 0; r < ROWS; r++)
        for (int o = 0; o < OUT; o++)
            assert_true(got[r * OUT + o] == (x[r] < (float)o ? 2.0f : 1.0f));
    e->transform = TREE_TRANSFORM_ARGMAX; /* the first of the largest: output x + 1 */
    tree_predict(e, x, ROWS, got, false);
    for (int r = 0; r < ROWS; r++)
        assert_true(got[r] == x[r] + 1.0f);
    tree_ensemble_destroy(e);
}

/* A stump ensemble whose margins are the base scores, for the transforms. */
static void transform_of(tree_transform t, const float *margins, size_t n, float *out)
{
    tree_params p = {.n_features = 1, .n_outputs = n, .base = margins, .transform = t};
    tree_builder *b = NULL;
    ferry_error err;
    assert_int_equal(tree_builder_create(&p, &b, &err), FERRY_OK);
    tree_ensemble *e = NULL;
    assert_int_equal(tree_builder_finish(b, &e, &err), FERRY_OK);
    tree_builder_destroy(b);
    float x = 0.0f;
    tree_predict(e, &x, 1, out, false);
    float m[8];
    tree_predict(e, &x, 1, m, true); /* margin skips the transform */
    for (size_t i = 0; i < n; i++)
        assert_true(m[i] == margins[i]);
    tree_ensemble_destroy(e);
}

static void test_transforms(void **state)
{
    (void)state;
    float m[] = {-2.0f, 0.0f, 1.0f, 3.0f}, out[4];
    transform_of(TREE_TRANSFORM_LOGISTIC, m, 4, out);
    for (int i = 0; i < 4; i++)
        assert_true(ts_close(out[i], 1.0 / (1.0 + exp(-(double)m[i]))));
    transform_of(TREE_TRANSFORM_EXP, m, 4, out);
    for (int i = 0; i < 4; i++)
        assert_true(ts_close(out[i], exp((double)m[i])));
    transform_of(TREE_TRANSFORM_HINGE, m, 4, out);
    assert_true(out[0] == 0.0f && out[1] == 0.0f && out[2] == 1.0f && out[3] == 1.0f);
    transform_of(TREE_TRANSFORM_SOFTMAX, m, 4, out);
    double sum = exp(-2.0) + exp(0.0) + exp(1.0) + exp(3.0);
    for (int i = 0; i < 4; i++)
        assert_true(ts_close(out[i], exp((double)m[i]) / sum));
    float tie[] = {1.0f, 5.0f, 5.0f, -1.0f};
    transform_of(TREE_TRANSFORM_ARGMAX, tie, 4, out);
    assert_true(out[0] == 1.0f);
    transform_of(TREE_TRANSFORM_SOFTMAX_ZERO, m, 4, out);
    double sum_nz = exp(-2.0) + exp(1.0) + exp(3.0);
    assert_true(out[1] == 0.0f);
    assert_true(ts_close(out[3], exp(3.0) / sum_nz));
    float p[] = {0.5f, 0.8413447f, 0.0227501f};
    transform_of(TREE_TRANSFORM_PROBIT, p, 3, out);
    assert_true(fabsf(out[0]) < 1e-6f);
    assert_true(fabsf(out[1] - 1.0f) < 5e-3f); /* ORT's approximation of erfinv */
    assert_true(fabsf(out[2] + 2.0f) < 5e-3f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_numeric_ensembles),
        cmocka_unit_test(test_random_mixed_ensembles),
        cmocka_unit_test(test_wide_rows),
        cmocka_unit_test(test_stump_at_offset_zero),
        cmocka_unit_test(test_deep_chain),
        cmocka_unit_test(test_comparisons_at_their_thresholds),
        cmocka_unit_test(test_missing_modes),
        cmocka_unit_test(test_category_sets),
        cmocka_unit_test(test_member_sets),
        cmocka_unit_test(test_leaf_vectors_and_aggregates),
        cmocka_unit_test(test_many_outputs),
        cmocka_unit_test(test_transforms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
