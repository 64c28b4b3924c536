/* ferry_status -> gRPC status code (the OIP's mapping, as Triton's: spec section 4.4), and the
 * canonical names of gRPC codes for metrics labels and logs. */
#ifndef FERRY_PROTOCOL_GRPC_CODES_H
#define FERRY_PROTOCOL_GRPC_CODES_H

#include <grpc/status.h>

#include "ferry/status.h"

/* The gRPC code a failure with `code` is answered with; INTERNAL for anything unknown. */
grpc_status_code grpc_codes_for(ferry_status code);

/* "OK", "NOT_FOUND", ...; "UNKNOWN" for a value outside gRPC's codes. */
const char *grpc_codes_name(grpc_status_code code);

#endif
