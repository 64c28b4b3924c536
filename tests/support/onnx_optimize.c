/* Comparing ONNX models with and without the optimizer in tests; see onnx_optimize.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "onnx_optimize.h"

#include <string.h>

#include "test_support.h"

#define TS_OPT_MAX_OUTPUTS 8

static void compare_outputs(const ferry_tensor *got, const ferry_tensor *want)
{
    assert_int_equal(got->dtype, want->dtype);
    assert_int_equal(got->ndim, want->ndim);
    for (int d = 0; d < got->ndim; d++)
        assert_int_equal(got->shape[d], want->shape[d]);
    assert_int_equal(got->nbytes, want->nbytes);
    if (got->dtype != FERRY_DTYPE_FP32) {
        assert_memory_equal(got->data, want->data, got->nbytes);
        return;
    }
    const float *g = got->data, *w = want->data;
    for (size_t i = 0; i < got->nbytes / sizeof *g; i++)
        if (!ts_close(g[i], w[i]))
            fail_msg("output '%s'[%zu]: optimized %.9g, as written %.9g", got->name, i, g[i], w[i]);
}

onnx_model *ts_opt_compare(const ts_onnx_model *b, const ferry_tensor *inputs, size_t n)
{
    onnx_model *opt = ts_onnx_load_ok_with(b, &(onnx_model_options){.no_optimize = false});
    onnx_model *plain = ts_onnx_load_ok_with(b, &(onnx_model_options){.no_optimize = true});
    assert_int_equal(opt->n_outputs, plain->n_outputs);
    assert_true(opt->n_outputs <= TS_OPT_MAX_OUTPUTS);
    for (size_t i = 0; i < opt->n_outputs; i++)
        assert_string_equal(opt->outputs[i].name, plain->outputs[i].name);
    ferry_tensor got[TS_OPT_MAX_OUTPUTS], want[TS_OPT_MAX_OUTPUTS];
    arena a;
    arena_init(&a, (size_t)1 << 30);
    ts_onnx_run_ok(opt, inputs, n, got, &a);
    ts_onnx_run_ok(plain, inputs, n, want, &a);
    for (size_t i = 0; i < opt->n_outputs; i++)
        compare_outputs(&got[i], &want[i]);
    arena_free(&a);
    onnx_model_destroy(plain);
    return opt;
}

size_t ts_opt_count(const onnx_model *m, const char *op_type)
{
    size_t count = 0;
    for (size_t i = 0; i < m->graph->n_nodes; i++)
        count += !m->graph->nodes[i].folded && strcmp(m->graph->nodes[i].op_type, op_type) == 0;
    return count;
}

const onnx_node *ts_opt_find(const onnx_model *m, const char *op_type)
{
    for (size_t i = 0; i < m->graph->n_nodes; i++)
        if (!m->graph->nodes[i].folded && strcmp(m->graph->nodes[i].op_type, op_type) == 0)
            return &m->graph->nodes[i];
    return NULL;
}

void ts_opt_random(float *x, size_t n, uint32_t *seed)
{
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        x[i] = (float)(*seed >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
    }
}
