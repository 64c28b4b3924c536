/* A loaded ONNX model: the graph with every node bound to an op and prepared, constants folded,
 * optimized (optimize/optimize.h), and its inputs and outputs described as the backend ABI reports
 * them (-1 for the dynamic batch and other symbolic dimensions). Immutable after load; sessions
 * (session.h) run it.
 *
 *     onnx_model *m;
 *     onnx_session *s;
 *     if (onnx_model_load_file("model.onnx", &m, &err) == FERRY_OK &&
 *         onnx_session_create(m, &s, &err) == FERRY_OK)
 *         st = onnx_session_run(s, inputs, outputs, &alloc, &err);
 */
#ifndef FERRY_ONNX_MODEL_H
#define FERRY_ONNX_MODEL_H

#include <stddef.h>

#include "ferry/backend.h"
#include "onnx/graph.h"
#include "onnx/optimize/optimize.h"

/* How to load. All zero is the default. */
typedef struct onnx_model_options {
    bool no_optimize;  /* run the graph as written: skip the optimizer (optimize/optimize.h) */
    bool plain_layout; /* keep every tensor NCHW: no channels-last layouts (layout.h) */
} onnx_model_options;

typedef struct onnx_model {
    onnx_graph *graph;
    onnx_optimize_stats optimized; /* what the optimizer rewrote (all zero when it did not run) */
    size_t n_inputs;
    ferry_tensor_info *inputs; /* graph inputs (initializers excluded), names owned by the graph */
    size_t n_outputs;
    ferry_tensor_info *outputs;
} onnx_model;

/* Loads a model file: parses it, binds every node to a registered op (UNSUPPORTED naming op type,
 * domain, opset and node when none serves it), prepares attributes, folds constant subgraphs,
 * optimizes the graph (unless the environment sets FERRY_ONNX_OPTIMIZE=0) and checks shapes by
 * planning it once for a batch of 1 and once for 2. The caller frees *out with
 * onnx_model_destroy. Errors name the file and the node or tensor at fault. */
ferry_status onnx_model_load_file(const char *path, onnx_model **out,
                                  ferry_error *err) FERRY_MUST_CHECK;

/* As onnx_model_load_file, from len bytes in memory; `what` names the model in errors. */
ferry_status onnx_model_load_buffer(const void *data, size_t len, const char *what,
                                    onnx_model **out, ferry_error *err) FERRY_MUST_CHECK;

/* As onnx_model_load_file and onnx_model_load_buffer with explicit options (NULL: the defaults,
 * as the functions above; explicit options ignore the environment). */
ferry_status onnx_model_load_file_with(const char *path, const onnx_model_options *opts,
                                       onnx_model **out, ferry_error *err) FERRY_MUST_CHECK;
ferry_status onnx_model_load_buffer_with(const void *data, size_t len, const char *what,
                                         const onnx_model_options *opts, onnx_model **out,
                                         ferry_error *err) FERRY_MUST_CHECK;

/* Frees the model. Sessions made from it must be destroyed first. Accepts NULL. */
void onnx_model_destroy(onnx_model *m);

#endif
