/* ONNX TensorProto decoding: element types mapped to ferry's dtypes, data from raw_data or the
 * typed fields, external data refused. Used for initializers and Constant attributes, and for the
 * input_K.pb / output_K.pb files of ONNX's node tests. */
#ifndef FERRY_ONNX_TENSOR_PROTO_H
#define FERRY_ONNX_TENSOR_PROTO_H

#include <stdint.h>

#include "core/arena.h"
#include "ferry/tensor.h"

struct Onnx__TensorProto;

/* ferry's dtype for an ONNX TensorProto.DataType; FERRY_DTYPE_INVALID for types ferry has no
 * equivalent of (complex, float8, int4, ...). ONNX's STRING maps to BYTES. */
ferry_dtype onnx_dtype_from_proto(int32_t data_type);

/* ONNX's name for a TensorProto.DataType ("FLOAT", "INT64"), "UNKNOWN" otherwise. */
const char *onnx_proto_type_name(int32_t data_type);

/* Decodes `proto` into `out` (name left NULL): data copied into `mem` (64-aligned), or into
 * malloc'ed memory owned by the tensor (out->owned) when mem is NULL. String tensors (BYTES) come
 * in the engine's layout (strings.h): nbytes covers the onnx_string array, and the bytes follow it
 * in the same block. `what` names the tensor in errors ("initializer 'W'"). Fails with
 * UNSUPPORTED for external data, segments and types ferry has no dtype for; with INVALID_ARG when
 * the data does not match the dims; with NO_MEMORY. */
ferry_status onnx_tensor_from_proto(const struct Onnx__TensorProto *proto, arena *mem,
                                    const char *what, ferry_tensor *out,
                                    ferry_error *err) FERRY_MUST_CHECK;

/* Reads a serialized TensorProto file (a node test's input_0.pb) into an owned tensor the caller
 * releases with ferry_tensor_release; strings in ferry's wire layout (4-byte length + bytes per
 * element), as a request would carry them. Fails naming the file. */
ferry_status onnx_tensor_read_file(const char *path, ferry_tensor *out,
                                   ferry_error *err) FERRY_MUST_CHECK;

#endif
