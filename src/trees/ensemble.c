/* The tree-ensemble representation's small helpers: destroy, names, output width. */
#include "trees/ensemble.h"

#include <stdlib.h>

static const char *const cmp_names[] = {
    [TREE_CMP_LT] = "lt",
    [TREE_CMP_LE] = "le",
    [TREE_CMP_GT] = "gt",
    [TREE_CMP_GE] = "ge",
    [TREE_CMP_EQ] = "eq",
    [TREE_CMP_NEQ] = "neq",
    [TREE_CMP_IN_CATS] = "in_categories",
    [TREE_CMP_IN_SET] = "in_set",
};
static_assert(sizeof cmp_names / sizeof cmp_names[0] == TREE_CMP_COUNT, "a name per test");

static const char *const transform_names[] = {
    [TREE_TRANSFORM_NONE] = "none",       [TREE_TRANSFORM_LOGISTIC] = "logistic",
    [TREE_TRANSFORM_SOFTMAX] = "softmax", [TREE_TRANSFORM_SOFTMAX_ZERO] = "softmax_zero",
    [TREE_TRANSFORM_PROBIT] = "probit",   [TREE_TRANSFORM_EXP] = "exp",
    [TREE_TRANSFORM_HINGE] = "hinge",     [TREE_TRANSFORM_ARGMAX] = "argmax",
};
static_assert(sizeof transform_names / sizeof transform_names[0] == TREE_TRANSFORM_COUNT,
              "a name per transform");

void tree_ensemble_destroy(tree_ensemble *e)
{
    if (e == NULL)
        return;
    free(e->trees);
    free(e->nodes);
    free(e->sets);
    free(e->leaf_values);
    free(e->base);
    free(e);
}

const char *tree_cmp_name(tree_cmp cmp)
{
    return (unsigned)cmp < TREE_CMP_COUNT ? cmp_names[cmp] : "?";
}

const char *tree_transform_name(tree_transform t)
{
    return (unsigned)t < TREE_TRANSFORM_COUNT ? transform_names[t] : "?";
}

size_t tree_ensemble_output_width(const tree_ensemble *e, bool margin)
{
    return !margin && e->transform == TREE_TRANSFORM_ARGMAX ? 1 : e->n_outputs;
}
