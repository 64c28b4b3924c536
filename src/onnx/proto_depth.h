/* A pre-scan of protobuf bytes that bounds how deeply messages nest, before protobuf-c unpacks
 * them. protobuf-c's unpack recurses once per nested message, so a ModelProto of subgraphs within
 * subgraphs (an If's branch holding an If, 3,000 deep: a 30 KB file) overflows an 8 MB stack. The
 * scan walks the wire format with an explicit stack of at most max_depth entries, using the
 * message descriptors to tell sub-messages from bytes and strings (unknown fields are skipped
 * unread, as protobuf-c keeps them). */
#ifndef FERRY_ONNX_PROTO_DEPTH_H
#define FERRY_ONNX_PROTO_DEPTH_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/status.h"

/* Messages may nest this deep in a model: a plain model reaches 7 (a graph input's shape
 * dimension); each level of subgraph adds 3 (graph, node, attribute). */
#define ONNX_PROTO_MAX_DEPTH 64

/* Scans len bytes of a `desc` message. Fails with INVALID_ARG naming `what` when messages nest
 * more than max_depth deep (the top message is depth 1), or when the wire format is broken
 * (a truncated field, a length past its message, a group) so that unpacking would fail anyway. */
ferry_status onnx_proto_check_depth(const uint8_t *data, size_t len,
                                    const ProtobufCMessageDescriptor *desc, int max_depth,
                                    const char *what, ferry_error *err) FERRY_MUST_CHECK;

#endif
