/* The gRPC ModelInfer codec: protobuf-c messages (generated from proto/grpc_service.proto) to
 * ferry tensors and back. Inputs come as typed contents (narrow integers widened: INT8 and INT16 in
 * int_contents, UINT8 and UINT16 in uint_contents; BYTES in bytes_contents; FP16 and BF16 never)
 * or as raw_input_contents (little-endian, row-major; BYTES as 4-byte length-prefixed elements,
 * which is also ferry's own BYTES layout). Outputs always go out as raw_output_contents, as
 * Triton's do. */
#ifndef FERRY_PROTOCOL_GRPC_CODEC_H
#define FERRY_PROTOCOL_GRPC_CODEC_H

#include "core/arena.h"
#include "ferry/tensor.h"
#include "grpc_service.pb-c.h"

/* A ProtobufCAllocator that allocates from the arena (free is a no-op): messages unpacked with it
 * live until the arena is reset. */
ProtobufCAllocator grpc_codec_allocator(arena *a);

/* Decodes the request's inputs into inputs[0..req->n_inputs), an array from the arena. Tensor
 * names and data point into the request (raw contents, and typed contents that already have the
 * tensor's layout) or into the arena. Fails with INVALID_ARG naming the model and input: unknown
 * datatype, bad shape, no data, data in the wrong field, element count or raw size that does not
 * match the shape, a narrow integer out of range, raw and typed contents mixed, FP16 or BF16 typed.
 * NO_MEMORY when the arena is exhausted. */
ferry_status grpc_codec_decode_inputs(const Inference__ModelInferRequest *req, arena *a,
                                      ferry_tensor **inputs, ferry_error *err) FERRY_MUST_CHECK;

/* The names of the requested outputs (an arena array of req->n_outputs, borrowed strings). Fails
 * with INVALID_ARG for an output without a name. */
ferry_status grpc_codec_output_names(const Inference__ModelInferRequest *req, arena *a,
                                     const char ***names, ferry_error *err) FERRY_MUST_CHECK;

/* Fills resp's outputs and raw_output_contents from outputs[0..n) (name, datatype, shape; data by
 * reference, so the tensors must outlive the packing of resp). Arrays come from the arena. */
ferry_status grpc_codec_encode_outputs(const ferry_tensor *const *outputs, size_t n, arena *a,
                                       Inference__ModelInferResponse *resp,
                                       ferry_error *err) FERRY_MUST_CHECK;

/* Checks that data[0..len) holds exactly `count` BYTES elements (each a 4-byte little-endian
 * length and that many bytes). On failure names the input and element. */
ferry_status grpc_codec_check_bytes(const char *model, const char *input, const uint8_t *data,
                                    size_t len, uint64_t count, ferry_error *err) FERRY_MUST_CHECK;

#endif
