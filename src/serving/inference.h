/* Running one request on one loaded version: inputs matched to the model's by name, checked for
 * datatype and shape, converted where the model accepts another dtype, then the backend called.
 * The server, `ferry predict` and the embedding API all go through here. */
#ifndef FERRY_SERVING_INFERENCE_H
#define FERRY_SERVING_INFERENCE_H

#include "core/arena.h"
#include "serving/model_version.h"

/* Runs mv on `inputs` (any order). Fills outputs[0..mv->io.n_outputs) in the model's output order
 * with data from the arena. Fails with INVALID_ARG naming the model, version and input for a
 * missing, unknown, duplicated, mistyped or misshapen input; with the backend's status otherwise.
 */
ferry_status inference_run(model_version *mv, const ferry_tensor *inputs, size_t n_inputs,
                           ferry_tensor *outputs, arena *a, ferry_error *err) FERRY_MUST_CHECK;

/* Formats a shape as "[1,30]" (with -1 for variable dimensions) into buf. Returns buf. */
const char *inference_format_shape(const int64_t *shape, int ndim, char *buf, size_t len);

#endif
