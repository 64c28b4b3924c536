/* Running one request on one loaded version: inputs matched to the model's by name, checked for
 * datatype and shape, converted where the model accepts another dtype, then the backend called.
 * The server, `ferry predict` and the embedding API all go through here. */
#ifndef FERRY_SERVING_INFERENCE_H
#define FERRY_SERVING_INFERENCE_H

#include <stdint.h>

#include "core/arena.h"
#include "serving/model_version.h"

/* Runs mv on `inputs` (any order). Fills outputs[0..mv->io.n_outputs) in the model's output order
 * with data from the arena. Fails with INVALID_ARG naming the model, version and input for a
 * missing, unknown, duplicated, mistyped or misshapen input; with the backend's status otherwise.
 */
ferry_status inference_run(model_version *mv, const ferry_tensor *inputs, size_t n_inputs,
                           ferry_tensor *outputs, arena *a, ferry_error *err) FERRY_MUST_CHECK;

/* The two halves of inference_run, for callers that time them apart (the statistics extension)
 * and, later, batch several requests' bound inputs into one execution. inference_bind checks and
 * orders the inputs into bound[0..mv->io.n_inputs), converting dtypes where the model accepts
 * another, with memory from the arena; it fails as inference_run does for bad inputs.
 * inference_execute calls the backend on them. */
ferry_status inference_bind(const model_version *mv, const ferry_tensor *inputs, size_t n_inputs,
                            ferry_tensor *bound, arena *a, ferry_error *err) FERRY_MUST_CHECK;
ferry_status inference_execute(model_version *mv, const ferry_tensor *bound, ferry_tensor *outputs,
                               arena *a, ferry_error *err) FERRY_MUST_CHECK;

/* Points selected[i] at the output called names[i] (every output in the model's order when
 * n_names is 0; selected then needs mv->io.n_outputs slots). Fails with INVALID_ARG naming the
 * model, version and output for an unknown name. */
ferry_status inference_select_outputs(const model_version *mv, const char *const *names,
                                      size_t n_names, const ferry_tensor *outputs,
                                      const ferry_tensor **selected, size_t *n_selected,
                                      ferry_error *err) FERRY_MUST_CHECK;

/* Elements in a bound request: the leading dimension of the first input when the model's first
 * input has a variable leading (batch) dimension, else 1. */
uint64_t inference_batch_size(const model_version *mv, const ferry_tensor *bound);

/* Formats a shape as "[1,30]" (with -1 for variable dimensions) into buf. Returns buf. */
const char *inference_format_shape(const int64_t *shape, int ndim, char *buf, size_t len);

#endif
