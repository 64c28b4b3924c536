/* Helpers for the ONNX optimizer's tests (tests/unit/onnx/optimize/): a model loaded with and
 * without the optimizer, run on the same inputs and compared; what its graph holds afterwards.
 *
 *     onnx_model *m = ts_opt_compare(b, inputs, 1);   // outputs agree, or the test fails
 *     assert_int_equal(ts_opt_count(m, "Relu"), 0);    // the pass fired
 *     onnx_model_destroy(m);
 */
#ifndef FERRY_TESTS_ONNX_OPTIMIZE_H
#define FERRY_TESTS_ONNX_OPTIMIZE_H

#include <stddef.h>
#include <stdint.h>

#include "onnx_model.h"

/* Loads b optimized and as written, runs both on inputs[0..n) and fails the test unless every
 * output has the same dtype and shape and FP32 values agree within ts_close (1e-5 relative).
 * Returns the optimized model; the caller destroys it. */
onnx_model *ts_opt_compare(const ts_onnx_model *b, const ferry_tensor *inputs, size_t n);

/* Nodes of m's graph with this op type that run (folded ones excluded). */
size_t ts_opt_count(const onnx_model *m, const char *op_type);

/* The first running node of this op type, or NULL. */
const onnx_node *ts_opt_find(const onnx_model *m, const char *op_type);

/* n floats in [-1, 1) from a linear congruential generator seeded by *seed. */
void ts_opt_random(float *x, size_t n, uint32_t *seed);

#endif
