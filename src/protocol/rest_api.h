/* The OIP v2 REST endpoints (health, server and model metadata, model ready, infer) and /metrics:
 * routing a request to its handler and filling in the response; the admin API (/v2/repository/...,
 * /ferry/v1/...) is handed to admin_api.c. Independent of the HTTP library so that handlers can be
 * tested without sockets. */
#ifndef FERRY_PROTOCOL_REST_API_H
#define FERRY_PROTOCOL_REST_API_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/buffer.h"
#include "monitor/metrics.h"
#include "protocol/infer_call.h"
#include "protocol/oip_infer.h"
#include "serving/model_table.h"

struct sockaddr;

#define REST_REQUEST_ID_MAX 128

/* Shared by every request of both front ends (REST and gRPC); owned by the server. */
typedef struct rest_context {
    model_table *models;
    metrics *metrics;
    bool strict_readiness;   /* ready only when every model is ready (default) */
    atomic_bool draining;    /* set on SIGTERM: not ready any more */
    const char *repo;        /* repository the admin API changes; NULL when serving one artifact */
    const char *admin_token; /* admin API bearer token; NULL or "": admin API on loopback only */
    /* Called after the admin API changed the repository (wakes the reconciler); may be NULL. */
    void (*repository_changed)(void *cls);
    void *repository_changed_cls;
    struct feedback_hub *feedback; /* prediction log and feedback; NULL: off */
    /* Appends the HTTP front end's own series (per-worker connections) to /metrics; set by
     * http_server_start, NULL when no front end adds any. */
    ferry_status (*render_metrics)(void *cls, buffer *out);
    void *render_metrics_cls;
} rest_context;

/* Called once per query argument (value NULL for a bare "?flag"). */
typedef void (*rest_arg_fn)(void *user, const char *key, const char *value);

/* Lookups the transport offers, made only by the handlers that need them (the admin API). */
typedef struct rest_transport {
    const char *(*header)(void *conn, const char *name);      /* a request header, or NULL */
    void (*each_arg)(void *conn, rest_arg_fn fn, void *user); /* query arguments, in order */
} rest_transport;

/* One request and its response. The caller fills the request half and owns the buffers. */
typedef struct rest_exchange {
    const char *method;
    const char *path;
    const char *content_type;      /* request header, or NULL */
    const char *request_id_header; /* X-Request-Id, or NULL */
    const char *inference_header;  /* Inference-Header-Content-Length (binary tensors), or NULL */
    const char *body;
    size_t body_len;
    arena *arena;             /* request scratch, reset by the caller afterwards */
    bool body_limit_exceeded; /* the body was over body_limit and was not kept: answer 413 */
    size_t body_limit;
    const struct sockaddr *peer;     /* client address, or NULL when unknown */
    const rest_transport *transport; /* NULL when there is none (then no headers, no arguments) */
    void *conn;                      /* the transport's handle for its lookups */
    /* A transport that can hold a request without a thread sets these: a request that must queue
     * then returns from rest_handle with `pending` set, on_done(async_user) fires on a worker when
     * it has run, and the transport calls rest_finish. alive(async_user): is the client there? */
    void (*on_done)(void *user);
    bool (*alive)(void *user);
    void *async_user;

    int status;                   /* response status */
    buffer *out;                  /* response body */
    const char *out_content_type; /* NULL for an empty body */
    const char *allow;            /* Allow header for 405, or NULL */
    const char *authenticate;     /* WWW-Authenticate header for 401, or NULL */
    const char *retry_after;      /* Retry-After header (503 for a full queue), or NULL */
    bool pending;                 /* queued: no response yet (see on_done) */
    bool out_binary;              /* body is JSON then binary outputs: send out_json_len too */
    size_t out_json_len;          /* Inference-Header-Content-Length of the response */
    char request_id[REST_REQUEST_ID_MAX];
    char model[REPOSITORY_NAME_MAX];      /* for the access log; "" when none */
    char version[REPOSITORY_VERSION_MAX]; /* for the access log; "" when none */
    infer_call call;                      /* an inference's, while it runs */
    oip_infer_result infer;
} rest_exchange;

/* True when the server is ready (/v2/health/ready, gRPC ServerReady): not draining and, with
 * strict readiness, every model that should be loaded is. */
bool rest_server_ready(rest_context *ctx);

/* Routes the exchange and fills its response. Never fails: every error becomes a status and an
 * {"error": ...} body. */
void rest_handle(rest_context *ctx, rest_exchange *ex);

/* True when requests for `path` go through rest_preflight (cheap: a prefix test). */
bool rest_has_preflight(const char *path);

/* Fills the response of a pending exchange after its on_done fired. */
void rest_finish(rest_context *ctx, rest_exchange *ex);

/* Ends a pending exchange whose client went away before rest_finish (counted as failed). Does
 * nothing to an exchange that is not pending. */
void rest_abandon(rest_exchange *ex);

/* Called when a request's headers have arrived, before its body is read (the body fields are then
 * empty). Returns true when it has already filled the response, e.g. a 401 for an admin request
 * without the admin token: the transport then sends it and closes the connection without reading
 * the body. */
bool rest_preflight(rest_context *ctx, rest_exchange *ex);

#endif
