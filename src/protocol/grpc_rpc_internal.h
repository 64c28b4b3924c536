/* What the rpc handler files share: decoding the request message, encoding the reply and failing
 * with a status. Private to src/protocol/grpc_rpc*.c. */
#ifndef FERRY_PROTOCOL_GRPC_RPC_INTERNAL_H
#define FERRY_PROTOCOL_GRPC_RPC_INTERNAL_H

#include <stdbool.h>

#include "grpc_service.pb-c.h"
#include "protocol/grpc_rpc.h"

/* The call's request decoded as a `d` message into the arena; NULL (the call failed with
 * INVALID_ARGUMENT) when it is not one. */
void *grpc_rpc_unpack(grpc_rpc_call *c, const ProtobufCMessageDescriptor *d);

/* Serializes m into c->reply and sets status OK (INTERNAL when the reply cannot be held). */
void grpc_rpc_reply(grpc_rpc_call *c, const ProtobufCMessage *m);

/* Sets a failure status with a printf-style message. */
void grpc_rpc_fail(grpc_rpc_call *c, grpc_status_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets the failure status err maps to, with err's message. */
void grpc_rpc_fail_error(grpc_rpc_call *c, const ferry_error *err);

/* True for a non-NULL, non-empty string. */
bool grpc_rpc_given(const char *s);

/* The extension rpcs (grpc_rpc_extensions.c). */
void grpc_rpc_model_statistics(rest_context *ctx, grpc_rpc_call *c);
void grpc_rpc_repository_index(rest_context *ctx, grpc_rpc_call *c);
void grpc_rpc_repository_load(rest_context *ctx, grpc_rpc_call *c);
void grpc_rpc_repository_unload(rest_context *ctx, grpc_rpc_call *c);

#endif
