/* What both front ends report as the server's metadata (OIP `GET /v2`, gRPC ServerMetadata). */
#ifndef FERRY_PROTOCOL_SERVER_METADATA_H
#define FERRY_PROTOCOL_SERVER_METADATA_H

#define SERVER_METADATA_NAME "ferry"

/* X(name) for each protocol extension served, in the order reported. */
#define SERVER_METADATA_EXTENSIONS(X)                                                              \
    X("model_repository")                                                                          \
    X("statistics")                                                                                \
    X("binary_tensor_data")

#endif
