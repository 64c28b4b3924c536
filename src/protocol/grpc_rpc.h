/* The gRPC service's rpcs (GRPCInferenceService: health, metadata, ModelInfer, ModelStatistics and
 * the repository rpcs): a request message in, a status and a reply message out. Independent of
 * the gRPC transport (grpc_frontend.c) so that handlers can be tested without sockets, as the REST
 * handlers are. */
#ifndef FERRY_PROTOCOL_GRPC_RPC_H
#define FERRY_PROTOCOL_GRPC_RPC_H

#include <grpc/status.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buffer.h"
#include "protocol/infer_call.h"
#include "protocol/rest_api.h"

#define GRPC_RPC_SERVICE "inference.GRPCInferenceService"

/* X(enum suffix, rpc name) for every rpc served. */
#define GRPC_RPC_LIST(X)                                                                           \
    X(SERVER_LIVE, "ServerLive")                                                                   \
    X(SERVER_READY, "ServerReady")                                                                 \
    X(MODEL_READY, "ModelReady")                                                                   \
    X(SERVER_METADATA, "ServerMetadata")                                                           \
    X(MODEL_METADATA, "ModelMetadata")                                                             \
    X(MODEL_INFER, "ModelInfer")                                                                   \
    X(MODEL_STATISTICS, "ModelStatistics")                                                         \
    X(REPOSITORY_INDEX, "RepositoryIndex")                                                         \
    X(REPOSITORY_MODEL_LOAD, "RepositoryModelLoad")                                                \
    X(REPOSITORY_MODEL_UNLOAD, "RepositoryModelUnload")

typedef enum grpc_rpc_method {
#define GRPC_RPC_ENUM(id, name) GRPC_RPC_##id,
    GRPC_RPC_LIST(GRPC_RPC_ENUM)
#undef GRPC_RPC_ENUM
        GRPC_RPC_COUNT
} grpc_rpc_method;

/* The rpc's full method name, "/inference.GRPCInferenceService/ModelInfer". */
const char *grpc_rpc_path(grpc_rpc_method method);

/* Where a ModelInfer that must queue waits without a thread: the transport provides it, with
 * on_done (called on a worker pool thread once the request ran or was dropped; it must only hand
 * the call back to the transport, which then calls grpc_rpc_infer_resume) and alive (NULL: the
 * client is assumed to wait). */
typedef struct grpc_rpc_park {
    void (*on_done)(void *user);
    bool (*alive)(void *user);
    void *user;
    infer_call call; /* the parked call's state, the pool's until on_done */
    infer_outputs out;
} grpc_rpc_park;

/* One call. The transport fills the request half and owns every buffer. */
typedef struct grpc_rpc_call {
    grpc_rpc_method method;
    const uint8_t *request; /* the serialized request message */
    size_t request_len;
    uint64_t start_ns;           /* arrival (clock_now_ns) */
    const struct sockaddr *peer; /* client address, or NULL when unknown */
    const char *authorization;   /* the `authorization` metadata, or NULL */
    arena *arena;                /* request scratch, reset by the transport afterwards */
    buffer *reply;               /* gets the serialized reply message when status is OK */
    grpc_rpc_park *park;         /* NULL: a queued ModelInfer blocks the calling thread */

    bool parked; /* ModelInfer queued: no status yet, grpc_rpc_infer_resume follows */

    grpc_status_code status;
    char message[FERRY_ERROR_MESSAGE_MAX]; /* the status message when not OK */
    char model[REPOSITORY_NAME_MAX];       /* for the access log; "" when none */
    char version[REPOSITORY_VERSION_MAX];  /* for the access log; "" when none */
    char request_id[REST_REQUEST_ID_MAX];  /* ModelInfer's id; "" when none */
} grpc_rpc_call;

/* Runs the call and fills its response half. Never fails: every error becomes a status (spec
 * 4.4: unknown model NOT_FOUND, bad input INVALID_ARGUMENT naming it, model not ready
 * UNAVAILABLE, ...) with a message. ModelInfer goes through infer_call, counted under "grpc". */
void grpc_rpc_handle(rest_context *ctx, grpc_rpc_call *call);

/* Finishes a parked ModelInfer after its park's on_done fired: fills the response half as
 * grpc_rpc_handle would have. The request bytes and the arena must be the same as when it was
 * parked; `reply` may be another buffer. */
void grpc_rpc_infer_resume(grpc_rpc_call *call);

#endif
