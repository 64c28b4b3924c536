/* Unit tests for the operator registry (src/onnx/op_registry.c): every (domain, op type,
 * since-version) key appears once with complete hooks, and a model's opset picks the newest
 * registered version not above it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "onnx/op_registry.h"

static void test_keys_unique_and_hooks_complete(void **state)
{
    (void)state;
    size_t n;
    const onnx_op *const *ops = onnx_op_all(&n);
    assert_true(n >= 40);
    for (size_t i = 0; i < n; i++) {
        const onnx_op *op = ops[i];
        assert_non_null(op->infer);
        if (!(op->flags & ONNX_OP_VIEW) && op->run == NULL)
            fail_msg("%s %d has no run", op->op_type, op->since_version);
        assert_true(op->since_version >= 1);
        assert_true(op->min_outputs >= 1 && op->max_outputs >= op->min_outputs);
        assert_true(op->max_inputs < 0 || op->max_inputs >= op->min_inputs);
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(op->op_type, ops[j]->op_type) == 0 &&
                strcmp(op->domain, ops[j]->domain) == 0 &&
                op->since_version == ops[j]->since_version)
                fail_msg("%s %d is registered twice", op->op_type, op->since_version);
    }
}

static void test_opset_picks_version(void **state)
{
    (void)state;
    assert_int_equal(onnx_op_find("", "Softmax", 1)->since_version, 1);
    assert_int_equal(onnx_op_find("", "Softmax", 12)->since_version, 1);
    assert_int_equal(onnx_op_find("", "Softmax", 13)->since_version, 13);
    assert_int_equal(onnx_op_find("", "Softmax", 25)->since_version, 13);
    assert_int_equal(onnx_op_find("", "Unsqueeze", 11)->since_version, 1);
    assert_int_equal(onnx_op_find("", "Unsqueeze", 13)->since_version, 13);
    assert_null(onnx_op_find("", "Gemm", 6));
    assert_non_null(onnx_op_find("", "Gemm", 7));
    assert_null(onnx_op_find("ai.onnx.ml", "Gemm", 13));
    assert_null(onnx_op_find("", "NoSuchOp", 13));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_unique_and_hooks_complete),
        cmocka_unit_test(test_opset_picks_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
