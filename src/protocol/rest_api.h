/* The OIP v2 REST endpoints (health, server and model metadata, model ready, infer) and /metrics:
 * routing a request to its handler and filling in the response. Independent of the HTTP library so
 * that handlers can be tested without sockets. */
#ifndef FERRY_PROTOCOL_REST_API_H
#define FERRY_PROTOCOL_REST_API_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/buffer.h"
#include "monitor/metrics.h"
#include "serving/model_table.h"

#define REST_REQUEST_ID_MAX 128

/* Shared by every request; owned by the server. */
typedef struct rest_context {
    model_table *models;
    metrics *metrics;
    bool strict_readiness; /* ready only when every model is ready (default) */
    atomic_bool draining;  /* set on SIGTERM: not ready any more */
} rest_context;

/* One request and its response. The caller fills the request half and owns the buffers. */
typedef struct rest_exchange {
    const char *method;
    const char *path;
    const char *content_type;      /* request header, or NULL */
    const char *request_id_header; /* X-Request-Id, or NULL */
    const char *body;
    size_t body_len;
    arena *arena;             /* request scratch, reset by the caller afterwards */
    bool body_limit_exceeded; /* the body was over body_limit and was not kept: answer 413 */
    size_t body_limit;

    int status;                   /* response status */
    buffer *out;                  /* response body */
    const char *out_content_type; /* NULL for an empty body */
    const char *allow;            /* Allow header for 405, or NULL */
    char request_id[REST_REQUEST_ID_MAX];
    char model[REPOSITORY_NAME_MAX];      /* for the access log; "" when none */
    char version[REPOSITORY_VERSION_MAX]; /* for the access log; "" when none */
} rest_exchange;

/* Routes the exchange and fills its response. Never fails: every error becomes a status and an
 * {"error": ...} body. */
void rest_handle(rest_context *ctx, rest_exchange *ex);

#endif
