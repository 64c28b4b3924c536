/* Unit tests for the tree builder (src/trees/builder.c): breadth-first layout with leaves pointing
 * to themselves, depths, sets, kernel choice, and the errors a bad tree gets (each naming the tree
 * and the node), after which the builder is unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "trees/builder.h"

#define LEAF(v)                                                                                    \
    (tree_src_node)                                                                                \
    {                                                                                              \
        .yes = -1, .no = -1, .value = (v)                                                          \
    }
#define SPLIT(f, t, y, n, dy)                                                                      \
    (tree_src_node)                                                                                \
    {                                                                                              \
        .yes = (y), .no = (n), .feature = (f), .value = (t), .cmp = TREE_CMP_LT,                   \
        .missing = TREE_MISSING_NAN, .default_yes = (dy)                                           \
    }

static tree_builder *make_builder(size_t features, size_t outputs)
{
    tree_params p = {.n_features = features, .n_outputs = outputs};
    tree_builder *b = NULL;
    ferry_error err;
    assert_int_equal(tree_builder_create(&p, &b, &err), FERRY_OK);
    return b;
}

static void test_breadth_first_layout(void **state)
{
    (void)state;
    tree_builder *b = make_builder(3, 1);
    /* Source order is depth first: 0 -> (1 -> (2, 3), 4). */
    tree_src_node src[] = {SPLIT(0, 0.5f, 1, 4, true), SPLIT(2, 1.5f, 2, 3, false), LEAF(1.0f),
                           LEAF(2.0f), LEAF(3.0f)};
    ferry_error err;
    assert_int_equal(tree_builder_add_tree(b, src, 5, 0, 0, &err), FERRY_OK);
    tree_src_node stump[] = {LEAF(7.0f)};
    assert_int_equal(tree_builder_add_tree(b, stump, 1, 0, 0, &err), FERRY_OK);
    tree_ensemble *e = NULL;
    assert_int_equal(tree_builder_finish(b, &e, &err), FERRY_OK);
    tree_builder_destroy(b);
    assert_int_equal(e->n_trees, 2);
    assert_int_equal(e->n_nodes, 6);
    assert_int_equal(e->trees[0].node, 0);
    assert_int_equal(e->trees[0].depth, 2);
    assert_int_equal(e->trees[1].node, 5);
    assert_int_equal(e->trees[1].depth, 0);
    assert_int_equal(e->max_depth, 2);
    /* Breadth first: root, its two children, then the inner node's children. */
    assert_int_equal(tree_node_yes(&e->nodes[0]), 1); /* no is yes + 1: node 2 */
    assert_int_equal(e->nodes[0].yes_at, 16);
    assert_true(tree_node_default_yes(&e->nodes[0]));
    assert_int_equal(tree_node_feature(&e->nodes[0]), 0);
    assert_true(e->nodes[0].value == 0.5f);
    assert_int_equal(tree_node_feature(&e->nodes[1]), 2);
    assert_false(tree_node_default_yes(&e->nodes[1]));
    assert_int_equal(tree_node_cmp(&e->nodes[1]), TREE_CMP_LT);
    assert_int_equal(tree_node_missing(&e->nodes[1]), TREE_MISSING_NAN);
    assert_int_equal(tree_node_yes(&e->nodes[1]), 3);
    assert_true(tree_node_is_leaf(&e->nodes[2]));
    assert_false(tree_node_is_leaf(&e->nodes[1]));
    assert_true(e->nodes[2].leaf == 3.0f);
    assert_true(isnan(e->nodes[2].value)); /* every test fails: no = yes + 1 = itself */
    assert_int_equal(tree_node_yes(&e->nodes[2]) + 1, 2);
    assert_int_equal(e->nodes[2].yes_at + 16, 2 * 16);
    assert_true(e->nodes[3].leaf == 1.0f);
    assert_true(e->nodes[4].leaf == 2.0f);
    assert_true(e->nodes[5].leaf == 7.0f);
    /* (2 * feature + default yes) * 16 */
    assert_int_equal(e->nodes[0].info & TREE_SLOT_FIELD, 16);
    assert_int_equal(e->nodes[1].info & TREE_SLOT_FIELD, 64);
    assert_int_equal(e->nodes[1].info, 64); /* `<`, missing NaN: the offset alone */
    assert_int_equal(e->kernel, TREE_KERNEL_LT_NAN);
    tree_ensemble_destroy(e);
}

static void test_unreachable_nodes_are_dropped(void **state)
{
    (void)state;
    tree_builder *b = make_builder(1, 1);
    /* Node 1 is a deleted node that nothing points to; the root is node 2. */
    tree_src_node src[] = {LEAF(1.0f), SPLIT(0, 9.0f, 0, 3, false), SPLIT(0, 0.0f, 0, 3, false),
                           LEAF(2.0f)};
    ferry_error err;
    assert_int_equal(tree_builder_add_tree(b, src, 4, 2, 0, &err), FERRY_OK);
    tree_ensemble *e = NULL;
    assert_int_equal(tree_builder_finish(b, &e, &err), FERRY_OK);
    assert_int_equal(e->n_nodes, 3);
    assert_true(e->nodes[0].value == 0.0f);
    assert_true(e->nodes[1].leaf == 1.0f);
    tree_builder_destroy(b);
    tree_ensemble_destroy(e);
}

static void test_kernel_choice(void **state)
{
    (void)state;
    ferry_error err;
    tree_ensemble *e = NULL;
    /* `<=` everywhere: the LE kernel. */
    tree_builder *b = make_builder(2, 1);
    tree_src_node src[] = {SPLIT(0, 0.5f, 1, 2, true), LEAF(1.0f), LEAF(2.0f)};
    src[0].cmp = TREE_CMP_LE;
    assert_int_equal(tree_builder_add_tree(b, src, 3, 0, 0, &err), FERRY_OK);
    assert_int_equal(tree_builder_finish(b, &e, &err), FERRY_OK);
    assert_int_equal(e->kernel, TREE_KERNEL_LE_NAN);
    tree_ensemble_destroy(e);
    tree_builder_destroy(b);
    /* A threshold the numeric kernels cannot stand +-inf in for NaN against: the general kernel. */
    const float bad_lt[] = {-INFINITY, NAN}, bad_le[] = {INFINITY, NAN};
    for (int i = 0; i < 4; i++) {
        b = make_builder(2, 1);
        src[0].cmp = i < 2 ? TREE_CMP_LT : TREE_CMP_LE;
        src[0].value = i < 2 ? bad_lt[i] : bad_le[i - 2];
        assert_int_equal(tree_builder_add_tree(b, src, 3, 0, 0, &err), FERRY_OK);
        assert_int_equal(tree_builder_finish(b, &e, &err), FERRY_OK);
        assert_int_equal(e->kernel, TREE_KERNEL_GENERAL);
        tree_ensemble_destroy(e);
        tree_builder_destroy(b);
    }
    src[0].value = 0.5f;
    /* A categorical split anywhere: the general kernel. */
    b = make_builder(2, 1);
    src[0].cmp = TREE_CMP_LT;
    assert_int_equal(tree_builder_add_tree(b, src, 3, 0, 0, &err), FERRY_OK);
    uint32_t cats[] = {3};
    src[0] = (tree_src_node){
        .yes = 1, .no = 2, .feature = 1, .cmp = TREE_CMP_IN_CATS, .categories = cats, .n_set = 1};
    assert_int_equal(tree_builder_add_tree(b, src, 3, 0, 0, &err), FERRY_OK);
    assert_int_equal(tree_builder_finish(b, &e, &err), FERRY_OK);
    assert_int_equal(e->kernel, TREE_KERNEL_GENERAL);
    assert_int_equal(e->n_sets, 2); /* one word count, one word of bits */
    assert_int_equal(e->sets[1], 1u << 3);
    tree_ensemble_destroy(e);
    tree_builder_destroy(b);
    /* Averaging: the general kernel, and the base is always added last. */
    tree_params p = {.n_features = 2, .n_outputs = 1, .aggregate = TREE_AGG_AVERAGE};
    assert_int_equal(tree_builder_create(&p, &b, &err), FERRY_OK);
    assert_int_equal(tree_builder_finish(b, &e, &err), FERRY_OK);
    assert_int_equal(e->kernel, TREE_KERNEL_GENERAL);
    assert_true(e->base_last);
    assert_int_equal(e->n_trees, 0);
    tree_ensemble_destroy(e);
    tree_builder_destroy(b);
}

/* Adds a bad tree after a good one; asserts it fails with both fragments in the message and leaves
 * the builder as it was (the next good tree becomes tree 1, right after the first). */
static void expect_refused(tree_src_node *src, size_t n, uint32_t output, const char *frag1,
                           const char *frag2)
{
    tree_builder *b = make_builder(3, 2);
    tree_src_node good[] = {LEAF(1.0f)};
    ferry_error err;
    assert_int_equal(tree_builder_add_tree(b, good, 1, 0, 0, &err), FERRY_OK);
    assert_int_not_equal(tree_builder_add_tree(b, src, n, 0, output, &err), FERRY_OK);
    if (strstr(err.message, frag1) == NULL || strstr(err.message, frag2) == NULL)
        fail_msg("message '%s' lacks '%s' or '%s'", err.message, frag1, frag2);
    assert_int_equal(tree_builder_n_trees(b), 1);
    assert_int_equal(tree_builder_add_tree(b, good, 1, 0, 1, &err), FERRY_OK);
    tree_ensemble *e = NULL;
    assert_int_equal(tree_builder_finish(b, &e, &err), FERRY_OK);
    assert_int_equal(e->n_trees, 2);
    assert_int_equal(e->n_nodes, 2);
    assert_int_equal(e->trees[1].node, 1);
    tree_ensemble_destroy(e);
    tree_builder_destroy(b);
}

static void test_bad_trees_refused_naming_tree_and_node(void **state)
{
    (void)state;
    tree_src_node feature[] = {SPLIT(0, 0.5f, 1, 2, true), SPLIT(7, 1.0f, 3, 4, true), LEAF(1.0f),
                               LEAF(2.0f), LEAF(3.0f)};
    expect_refused(feature, 5, 0, "tree 1: node 1: feature 7 out of range", "3 features");
    tree_src_node child[] = {SPLIT(0, 0.5f, 1, 9, true), LEAF(1.0f)};
    expect_refused(child, 2, 0, "tree 1: node 0: child 9 out of range", "2 nodes");
    tree_src_node cycle[] = {SPLIT(0, 0.5f, 1, 2, true), SPLIT(0, 0.5f, 0, 2, true), LEAF(1.0f)};
    expect_refused(cycle, 3, 0, "tree 1", "reached twice");
    tree_src_node shared[] = {SPLIT(0, 0.5f, 1, 1, true), LEAF(1.0f)};
    expect_refused(shared, 2, 0, "node 1 is reached twice", "tree 1");
    tree_src_node one_child[] = {SPLIT(0, 0.5f, 1, -1, true), LEAF(1.0f)};
    expect_refused(one_child, 2, 0, "tree 1: node 0: child -1", "out of range");
    tree_src_node leaf[] = {LEAF(1.0f)};
    expect_refused(leaf, 1, 5, "tree 1: output 5 out of range", "2 outputs");
    expect_refused(leaf, 1, TREE_OUTPUT_VECTOR, "tree 1: node 0", "leaf without its output");
    uint32_t cats[] = {1, 1u << 24};
    tree_src_node cat[] = {SPLIT(0, 0.5f, 1, 2, true), LEAF(1.0f), LEAF(2.0f)};
    cat[0].cmp = TREE_CMP_IN_CATS;
    cat[0].categories = cats;
    cat[0].n_set = 2;
    expect_refused(cat, 3, 0, "tree 1: node 0: category 16777216", "out of range");
    tree_src_node bad_cmp[] = {SPLIT(0, 0.5f, 1, 2, true), LEAF(1.0f), LEAF(2.0f)};
    bad_cmp[0].cmp = TREE_CMP_COUNT;
    expect_refused(bad_cmp, 3, 0, "tree 1: node 0", "unknown split test");
}

static void test_bad_params_refused(void **state)
{
    (void)state;
    tree_builder *b = NULL;
    ferry_error err;
    tree_params p = {.n_features = 0, .n_outputs = 1};
    assert_int_equal(tree_builder_create(&p, &b, &err), FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "0 features"));
    p = (tree_params){.n_features = 1, .n_outputs = TREE_MAX_OUTPUTS + 1};
    assert_int_equal(tree_builder_create(&p, &b, &err), FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "outputs"));
    assert_null(b);
    tree_builder_destroy(NULL);
    tree_ensemble_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_breadth_first_layout),
        cmocka_unit_test(test_unreachable_nodes_are_dropped),
        cmocka_unit_test(test_kernel_choice),
        cmocka_unit_test(test_bad_trees_refused_naming_tree_and_node),
        cmocka_unit_test(test_bad_params_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
