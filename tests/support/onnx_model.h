/* Small ONNX models built in tests: graph inputs, initializers, nodes with attributes and declared
 * outputs, packed with the protobuf-c structs generated from onnx.proto, loaded by ferry's ONNX
 * engine and run through a session. For unit tests of the operators (tests/unit/onnx/ops/), and
 * written to files for integration tests that need a model with particular inputs.
 *
 *     ts_onnx_model *b = ts_onnx_create(13);
 *     ts_onnx_input(b, "x", FERRY_DTYPE_FP32, 1, (int64_t[]){3});
 *     ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 1, (int64_t[]){3});
 *     ts_onnx_node(b, "Relu", "x", "y");
 *     onnx_model *m = ts_onnx_load_ok(b);
 *
 * Every builder call asserts on misuse; the builder owns copies of everything it is given. */
#ifndef FERRY_TESTS_ONNX_MODEL_H
#define FERRY_TESTS_ONNX_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "ferry/tensor.h"
#include "onnx/model.h"

typedef struct ts_onnx_model ts_onnx_model;

/* A model importing `opset` of the default domain, at IR version 8. Freed by ts_onnx_destroy. */
ts_onnx_model *ts_onnx_create(int64_t opset);
void ts_onnx_destroy(ts_onnx_model *b);

/* A graph input; shape entries of -1 become a symbolic dimension. */
void ts_onnx_input(ts_onnx_model *b, const char *name, ferry_dtype dtype, int ndim,
                   const int64_t *shape);

/* An initializer holding `data` (raw, little-endian) of the given dtype and shape. */
void ts_onnx_initializer(ts_onnx_model *b, const char *name, ferry_dtype dtype, int ndim,
                         const int64_t *shape, const void *data);

/* A declared graph output; shape entries of -1 become a symbolic dimension. */
void ts_onnx_output(ts_onnx_model *b, const char *name, ferry_dtype dtype, int ndim,
                    const int64_t *shape);

/* Adds a node; inputs and outputs are comma-separated names ("x,,axes": an empty one is an
 * omitted optional input). Returns the node's index for the attribute calls. */
int ts_onnx_node(ts_onnx_model *b, const char *op_type, const char *inputs, const char *outputs);

void ts_onnx_attr_int(ts_onnx_model *b, int node, const char *name, int64_t value);
void ts_onnx_attr_ints(ts_onnx_model *b, int node, const char *name, size_t n,
                       const int64_t *values);
void ts_onnx_attr_float(ts_onnx_model *b, int node, const char *name, float value);
void ts_onnx_attr_string(ts_onnx_model *b, int node, const char *name, const char *value);
void ts_onnx_attr_strings(ts_onnx_model *b, int node, const char *name, size_t n,
                          const char *const *values);

/* Packs and loads the model ("test.onnx" in messages). */
ferry_status ts_onnx_load(const ts_onnx_model *b, onnx_model **out, ferry_error *err);

/* As ts_onnx_load with explicit load options (NULL: the defaults). */
ferry_status ts_onnx_load_with(const ts_onnx_model *b, const onnx_model_options *opts,
                               onnx_model **out, ferry_error *err);

/* Packs the model into the file at `path` (a model.onnx for a repository); asserts on failure. */
void ts_onnx_write(const ts_onnx_model *b, const char *path);

/* As ts_onnx_load, failing the test (with the message) when loading fails. */
onnx_model *ts_onnx_load_ok(const ts_onnx_model *b);
onnx_model *ts_onnx_load_ok_with(const ts_onnx_model *b, const onnx_model_options *opts);

/* Fails the test unless loading fails with `code` and a message containing `needle`. */
void ts_onnx_load_fails(const ts_onnx_model *b, ferry_status code, const char *needle);

/* A borrowed tensor over `data` for ts_onnx_run. */
ferry_tensor ts_onnx_tensor(const char *name, ferry_dtype dtype, int ndim, const int64_t *shape,
                            const void *data);

/* A BYTES tensor (ferry's wire layout, in `a`) holding the NUL-terminated strings s[0..count). */
ferry_tensor ts_onnx_strings(const char *name, int ndim, const int64_t *shape, const char *const *s,
                             arena *a);

/* Fails the test unless t is a BYTES tensor holding exactly want[0..n) (NUL-terminated). */
void ts_onnx_assert_strings(const ferry_tensor *t, size_t n, const char *const *want);

/* Runs m once on inputs[0..n) in a fresh session; outputs get data from `a`. */
ferry_status ts_onnx_run(const onnx_model *m, const ferry_tensor *inputs, size_t n,
                         ferry_tensor *outputs, arena *a, ferry_error *err);

/* As ts_onnx_run, failing the test (with the message) when the run fails. */
void ts_onnx_run_ok(const onnx_model *m, const ferry_tensor *inputs, size_t n,
                    ferry_tensor *outputs, arena *a);

/* Writes to path (creating its folders) a model y = x · I · I ... (`layers` MatMuls with the
 * width × width identity; x and y FP32 [-1, width]): slow enough for requests to queue behind,
 * and exact in FP32, so every output equals its input. */
void ts_onnx_write_slow_identity(const char *path, int width, int layers);

#endif
