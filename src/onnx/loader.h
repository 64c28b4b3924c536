/* The ONNX loader: a serialized ModelProto (parsed by protobuf-c code generated at build time from
 * the installed onnx.proto) becomes a graph IR: opset imports, constants from initializers, graph
 * inputs with their declared types, nodes with copied attributes in topological order, outputs.
 * Fields newer than ONNX 1.12 arrive as unknown protobuf fields and are ignored. Ops are bound
 * later (model.c). */
#ifndef FERRY_ONNX_LOADER_H
#define FERRY_ONNX_LOADER_H

#include <stddef.h>

#include "onnx/graph.h"

/* Builds a graph from len bytes of a serialized ModelProto; `what` names the model in errors (its
 * path). On success the caller owns *out (onnx_graph_destroy). Fails with INVALID_ARG for a
 * corrupt, truncated or inconsistent model (naming the node or tensor) or one whose messages nest
 * more than ONNX_PROTO_MAX_DEPTH deep (proto_depth.h), UNSUPPORTED for features
 * ferry does not run (external data, non-tensor inputs), NO_MEMORY. */
ferry_status onnx_load_buffer(const void *data, size_t len, const char *what, onnx_graph **out,
                              ferry_error *err) FERRY_MUST_CHECK;

/* onnx_load_buffer on a file's contents; NOT_FOUND or IO naming the file when it cannot be read.
 */
ferry_status onnx_load_file(const char *path, onnx_graph **out, ferry_error *err) FERRY_MUST_CHECK;

#endif
