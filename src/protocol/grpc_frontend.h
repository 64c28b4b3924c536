/* The gRPC front end on the gRPC core C API: the OIP v2 GRPCInferenceService (grpc_rpc.h) served
 * by a small fixed set of threads polling one completion queue, each call handled inline on the
 * thread that dequeued it (no thread per call), and a drain on stop. The name is not grpc_server:
 * that prefix belongs to gRPC core (grpc_server_create, grpc_server_start...). */
#ifndef FERRY_PROTOCOL_GRPC_FRONTEND_H
#define FERRY_PROTOCOL_GRPC_FRONTEND_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/rest_api.h"

#define GRPC_FRONTEND_THREADS_DEFAULT 2

typedef struct grpc_frontend_options {
    const char *host;   /* address to bind; NULL or "" for every IPv4 and IPv6 address */
    uint16_t port;      /* 0 binds a free port */
    unsigned threads;   /* polling threads; 0 for GRPC_FRONTEND_THREADS_DEFAULT */
    size_t max_message; /* largest request message in bytes (gRPC answers RESOURCE_EXHAUSTED) */
} grpc_frontend_options;

typedef struct grpc_frontend grpc_frontend;

/* Starts serving ctx (shared with the REST front end) on the options' address. On success *out
 * owns the running server and its threads; stop it with grpc_frontend_stop. Fails with IO naming
 * the address when it cannot bind, NO_MEMORY or INTERNAL otherwise. */
ferry_status grpc_frontend_start(rest_context *ctx, const grpc_frontend_options *opts,
                                 grpc_frontend **out, ferry_error *err) FERRY_MUST_CHECK;

/* The port actually bound (the free port chosen for port 0). */
uint16_t grpc_frontend_port(const grpc_frontend *f);

/* Stops accepting calls and connections; calls in flight go on. Idempotent. Accepts NULL. */
void grpc_frontend_shutdown(grpc_frontend *f);

/* Shuts down (if not yet), waits up to drain_ms for calls in flight to finish, cancels the rest,
 * stops the threads and frees everything. Returns the number of calls cut (0 after a clean
 * drain). Accepts NULL. */
unsigned grpc_frontend_stop(grpc_frontend *f, unsigned drain_ms);

#endif
