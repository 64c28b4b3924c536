/* Unit tests for the Identity/Dropout removal pass (src/onnx/optimize/remove_identity.c): nodes
 * in the middle of a graph go, an Identity that is a graph output goes with its name kept, and
 * the cases where a node must stay (its input is itself a graph output or a graph input, a
 * Dropout whose mask is read or whose training_mode is not a constant false). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "onnx_optimize.h"

/* x [-1, 3] fed with two rows. */
static onnx_model *compare(const ts_onnx_model *b)
{
    float x[6];
    uint32_t seed = 1;
    ts_opt_random(x, 6, &seed);
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP32, 2, (int64_t[]){2, 3}, x);
    return ts_opt_compare(b, &in, 1);
}

static ts_onnx_model *start(int64_t opset)
{
    ts_onnx_model *b = ts_onnx_create(opset);
    ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 2, (int64_t[]){-1, 3});
    return b;
}

static void output(ts_onnx_model *b, const char *name)
{
    ts_onnx_output(b, name, FERRY_DTYPE_FP32, 2, (int64_t[]){-1, 3});
}

static void test_identity_in_the_middle(void **state)
{
    (void)state;
    ts_onnx_model *b = start(13);
    ts_onnx_node(b, "Relu", "x", "r");
    ts_onnx_node(b, "Identity", "r", "i");
    ts_onnx_node(b, "Identity", "i", "j");
    ts_onnx_node(b, "Sigmoid", "j", "y");
    output(b, "y");
    onnx_model *m = compare(b);
    assert_int_equal(ts_opt_count(m, "Identity"), 0);
    assert_int_equal(m->graph->n_nodes, 2);
    assert_int_equal(m->optimized.removed, 2);
    /* the Sigmoid reads the Relu's output; node indexes and producers were renumbered */
    const onnx_node *sig = ts_opt_find(m, "Sigmoid");
    assert_int_equal(sig->index, 1);
    assert_int_equal(m->graph->values[sig->inputs[0]].producer, 0);
    assert_int_equal(m->graph->values[sig->outputs[0]].producer, 1);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_identity_as_graph_output_keeps_its_name(void **state)
{
    (void)state;
    ts_onnx_model *b = start(13);
    ts_onnx_node(b, "Relu", "x", "r");
    ts_onnx_node(b, "Identity", "r", "y");
    output(b, "y");
    onnx_model *m = compare(b);
    assert_int_equal(ts_opt_count(m, "Identity"), 0);
    assert_int_equal(m->graph->n_nodes, 1);
    assert_string_equal(m->outputs[0].name, "y");
    assert_string_equal(m->graph->values[m->graph->nodes[0].outputs[0]].name, "y");
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_identity_stays_when_its_input_is_visible(void **state)
{
    (void)state;
    /* r is a graph output too: y cannot become r's producer's output */
    ts_onnx_model *b = start(13);
    ts_onnx_node(b, "Relu", "x", "r");
    ts_onnx_node(b, "Identity", "r", "y");
    output(b, "r");
    output(b, "y");
    onnx_model *m = compare(b);
    assert_int_equal(ts_opt_count(m, "Identity"), 1);
    assert_int_equal(m->optimized.removed, 0);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);

    /* r has another reader */
    b = start(13);
    ts_onnx_node(b, "Relu", "x", "r");
    ts_onnx_node(b, "Identity", "r", "y");
    ts_onnx_node(b, "Neg", "r", "z");
    output(b, "y");
    output(b, "z");
    m = compare(b);
    assert_int_equal(ts_opt_count(m, "Identity"), 1);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);

    /* the graph input straight to an output */
    b = start(13);
    ts_onnx_node(b, "Identity", "x", "y");
    output(b, "y");
    m = compare(b);
    assert_int_equal(ts_opt_count(m, "Identity"), 1);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_dropout_without_mask_goes(void **state)
{
    (void)state;
    ts_onnx_model *b = start(13);
    ts_onnx_node(b, "Dropout", "x", "d");
    ts_onnx_node(b, "Relu", "d", "y");
    output(b, "y");
    onnx_model *m = compare(b);
    assert_int_equal(ts_opt_count(m, "Dropout"), 0);
    assert_int_equal(m->optimized.removed, 1);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);

    /* an unread mask, a ratio and training_mode a constant false */
    b = start(13);
    ts_onnx_initializer(b, "ratio", FERRY_DTYPE_FP32, 0, NULL, (float[]){0.5f});
    ts_onnx_initializer(b, "training", FERRY_DTYPE_BOOL, 0, NULL, (uint8_t[]){0});
    ts_onnx_node(b, "Relu", "x", "r");
    ts_onnx_node(b, "Dropout", "r,ratio,training", "y,mask");
    output(b, "y");
    m = compare(b);
    assert_int_equal(ts_opt_count(m, "Dropout"), 0);
    assert_int_equal(m->graph->n_nodes, 1);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

static void test_dropout_stays(void **state)
{
    (void)state;
    /* the mask is read */
    ts_onnx_model *b = start(13);
    ts_onnx_node(b, "Dropout", "x", "d,mask");
    ts_onnx_node(b, "Cast", "mask", "y");
    ts_onnx_attr_int(b, 1, "to", 1);
    ts_onnx_node(b, "Relu", "d", "z");
    output(b, "y");
    output(b, "z");
    onnx_model *m = compare(b);
    assert_int_equal(ts_opt_count(m, "Dropout"), 1);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);

    /* training_mode comes from the caller */
    b = start(13);
    ts_onnx_input(b, "training", FERRY_DTYPE_BOOL, 0, NULL);
    ts_onnx_node(b, "Dropout", "x,,training", "d");
    ts_onnx_node(b, "Relu", "d", "y");
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 2, (int64_t[]){2, 3});
    float x[6];
    uint8_t off = 0;
    uint32_t seed = 2;
    ts_opt_random(x, 6, &seed);
    ferry_tensor in[2] = {ts_onnx_tensor("x", FERRY_DTYPE_FP32, 2, (int64_t[]){2, 3}, x),
                          ts_onnx_tensor("training", FERRY_DTYPE_BOOL, 0, NULL, &off)};
    m = ts_opt_compare(b, in, 2);
    assert_int_equal(ts_opt_count(m, "Dropout"), 1);
    assert_int_equal(m->optimized.removed, 0);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_in_the_middle),
        cmocka_unit_test(test_identity_as_graph_output_keeps_its_name),
        cmocka_unit_test(test_identity_stays_when_its_input_is_visible),
        cmocka_unit_test(test_dropout_without_mask_goes),
        cmocka_unit_test(test_dropout_stays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
