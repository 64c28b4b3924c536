/* libmicrohttpd glue; see http_server.h. Request contexts (body buffer, response buffer, arena)
 * come from a free list and go back to it when MHD reports the request complete, so a warm server
 * allocates none of them per request. */
#include "protocol/http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "protocol/oip_json.h"

#define RESPONSE_LIMIT (1024u * 1024u * 1024u)
#define POOL_KEEP      256

typedef struct request_ctx request_ctx;
/* A queued request's hand-off between the MHD thread that suspends its connection and the worker
 * that completes it: whichever comes second resumes the connection. */
enum { ASYNC_QUEUED, ASYNC_SUSPENDED, ASYNC_DONE };

struct request_ctx {
    request_ctx *next_free;
    uint64_t start_ns;
    bool too_large;
    bool resumed; /* the next call of the handler finishes a pending request */
    atomic_int async;
    int fd; /* the connection's socket, for the liveness check while queued */
    struct MHD_Connection *conn;
    buffer body;
    buffer out;
    arena scratch;
    rest_exchange ex;
};

struct http_server {
    struct MHD_Daemon *daemon;
    rest_context *ctx;
    size_t body_limit;
    uint16_t port;
    unsigned pid; /* prefix of generated request ids */
    atomic_uint in_flight;
    atomic_uint_fast64_t next_id;
    pthread_mutex_t pool_lock;
    request_ctx *pool;
    size_t pool_size;
};

/* ------------------------------------------------------------------------------------------ */
/* Request context pool                                                                         */
/* ------------------------------------------------------------------------------------------ */

static request_ctx *ctx_get(http_server *s)
{
    pthread_mutex_lock(&s->pool_lock);
    request_ctx *rc = s->pool;
    if (rc != NULL) {
        s->pool = rc->next_free;
        s->pool_size--;
    }
    pthread_mutex_unlock(&s->pool_lock);
    if (rc != NULL)
        return rc;
    rc = calloc(1, sizeof *rc);
    if (rc == NULL)
        return NULL;
    buffer_init(&rc->body, s->body_limit);
    buffer_init(&rc->out, RESPONSE_LIMIT);
    arena_init(&rc->scratch, 4 * s->body_limit + (64u << 20));
    return rc;
}

static void ctx_free(request_ctx *rc)
{
    buffer_free(&rc->body);
    buffer_free(&rc->out);
    arena_free(&rc->scratch);
    free(rc);
}

static void ctx_put(http_server *s, request_ctx *rc)
{
    buffer_reset(&rc->body);
    buffer_reset(&rc->out);
    arena_reset(&rc->scratch);
    rc->too_large = false;
    rc->resumed = false;
    pthread_mutex_lock(&s->pool_lock);
    bool keep = s->pool_size < POOL_KEEP;
    if (keep) {
        rc->next_free = s->pool;
        s->pool = rc;
        s->pool_size++;
    }
    pthread_mutex_unlock(&s->pool_lock);
    if (!keep)
        ctx_free(rc);
}

/* ------------------------------------------------------------------------------------------ */
/* Responses                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static enum MHD_Result send_response(struct MHD_Connection *conn, rest_exchange *ex, bool close)
{
    /* The body lives in the request context until MHD reports completion. */
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        ex->out->len, ex->out->len ? ex->out->data : (void *)"", MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    if (ex->out_content_type != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ex->out_content_type);
    if (ex->allow != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, ex->allow);
    if (ex->authenticate != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, ex->authenticate);
    if (ex->request_id[0] != '\0')
        MHD_add_response_header(resp, "X-Request-Id", ex->request_id);
    if (ex->retry_after != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ex->retry_after);
    if (ex->out_binary) {
        char len[24];
        snprintf(len, sizeof len, "%zu", ex->out_json_len);
        MHD_add_response_header(resp, "Inference-Header-Content-Length", len);
    }
    if (close)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result r = MHD_queue_response(conn, (unsigned)ex->status, resp);
    MHD_destroy_response(resp);
    return r;
}

static void log_access(const rest_exchange *ex, uint64_t start_ns)
{
    if (!log_enabled(LOG_INFO))
        return;
    log_fields f = {.model = ex->model[0] ? ex->model : NULL,
                    .version = ex->version[0] ? ex->version : NULL,
                    .request_id = ex->request_id,
                    .method = ex->method,
                    .path = ex->path,
                    .protocol = "rest",
                    .status = ex->status,
                    .latency_ms = (double)(clock_now_ns() - start_ns) / 1e6,
                    .has_latency = true};
    log_info(&f, "request");
}

/* ------------------------------------------------------------------------------------------ */
/* The MHD access handler                                                                       */
/* ------------------------------------------------------------------------------------------ */

static void assign_request_id(http_server *s, rest_exchange *ex)
{
    if (ex->request_id[0] == '\0')
        snprintf(ex->request_id, sizeof ex->request_id, "%x-%llu", s->pid,
                 (unsigned long long)atomic_fetch_add(&s->next_id, 1));
}

/* First call for a request: take a context and refuse oversized bodies before reading them. */
static enum MHD_Result begin_request(http_server *s, struct MHD_Connection *conn, void **con_cls)
{
    request_ctx *rc = ctx_get(s);
    if (rc == NULL)
        return MHD_NO;
    atomic_fetch_add(&s->in_flight, 1);
    rc->start_ns = clock_now_ns();
    *con_cls = rc;
    const char *length =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length != NULL && strtoull(length, NULL, 10) > s->body_limit)
        rc->too_large = true;
    return MHD_YES;
}

/* ------------------------------------------------------------------------------------------ */
/* Lookups for handlers that need more than the exchange holds (the admin API)                   */
/* ------------------------------------------------------------------------------------------ */

static const char *lookup_header(void *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

typedef struct arg_visit {
    rest_arg_fn fn;
    void *user;
} arg_visit;

static enum MHD_Result visit_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    (void)kind;
    arg_visit *v = cls;
    v->fn(v->user, key, value);
    return MHD_YES;
}

static void each_arg(void *conn, rest_arg_fn fn, void *user)
{
    arg_visit v = {.fn = fn, .user = user};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, visit_arg, &v);
}

static const rest_transport mhd_transport = {.header = lookup_header, .each_arg = each_arg};

static const struct sockaddr *client_address(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info != NULL ? info->client_addr : NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Queued requests: the connection is suspended (no thread held) until its batch has run        */
/* ------------------------------------------------------------------------------------------ */

static void on_infer_done(void *user)
{
    request_ctx *rc = user;
    if (atomic_exchange(&rc->async, ASYNC_DONE) == ASYNC_SUSPENDED)
        MHD_resume_connection(rc->conn);
}

/* A peer that closed its end reads as EOF; pending bytes (a pipelined request) mean it is there. */
static bool client_alive(void *user)
{
    request_ctx *rc = user;
    if (rc->fd < 0)
        return true;
    char byte;
    ssize_t n = recv(rc->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n != 0 && !(n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static int connection_fd(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info != NULL ? (int)info->connect_fd : -1;
}

/* Suspends the connection of a request that was queued, unless it has finished meanwhile. */
static void suspend(request_ctx *rc, struct MHD_Connection *conn)
{
    rc->resumed = true;
    MHD_suspend_connection(conn);
    int expected = ASYNC_QUEUED;
    if (!atomic_compare_exchange_strong(&rc->async, &expected, ASYNC_SUSPENDED))
        MHD_resume_connection(conn);
}

static void fill_exchange(request_ctx *rc, struct MHD_Connection *conn, const char *url,
                          const char *method)
{
    rest_exchange *ex = &rc->ex;
    memset(ex, 0, sizeof *ex);
    ex->peer = client_address(conn);
    ex->transport = &mhd_transport;
    ex->conn = conn;
    ex->method = method;
    ex->path = url;
    ex->content_type =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    ex->request_id_header = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    ex->inference_header =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Inference-Header-Content-Length");
    ex->body = rc->body.data ? rc->body.data : "";
    ex->body_len = rc->body.len;
    ex->arena = &rc->scratch;
    ex->out = &rc->out;
    rc->conn = conn;
    rc->fd = connection_fd(conn);
    atomic_store(&rc->async, ASYNC_QUEUED);
    ex->on_done = on_infer_done;
    ex->alive = client_alive;
    ex->async_user = rc;
}

/* Answers a request from its headers alone when the handlers refuse it before its body (an admin
 * request without the token), so that the body is never read; false when it goes on. */
static bool answer_early(http_server *s, struct MHD_Connection *conn, request_ctx *rc,
                         const char *url, const char *method, enum MHD_Result *result)
{
    if (!rest_has_preflight(url))
        return false;
    fill_exchange(rc, conn, url, method);
    if (!rest_preflight(s->ctx, &rc->ex))
        return false;
    assign_request_id(s, &rc->ex);
    log_access(&rc->ex, rc->start_ns);
    *result = send_response(conn, &rc->ex, true);
    return true;
}

static enum MHD_Result respond(http_server *s, struct MHD_Connection *conn, request_ctx *rc);

/* Routes and answers the request (413 when its body was over the limit) and logs it; a request
 * that must queue suspends its connection instead. */
static enum MHD_Result answer(http_server *s, struct MHD_Connection *conn, request_ctx *rc,
                              const char *url, const char *method)
{
    fill_exchange(rc, conn, url, method);
    rc->ex.body_limit_exceeded = rc->too_large;
    rc->ex.body_limit = s->body_limit;
    rest_handle(s->ctx, &rc->ex);
    if (rc->ex.pending) {
        suspend(rc, conn);
        return MHD_YES;
    }
    return respond(s, conn, rc);
}

/* Sends the response of a request whose connection was resumed. */
static enum MHD_Result answer_resumed(http_server *s, struct MHD_Connection *conn, request_ctx *rc)
{
    rc->resumed = false;
    rest_finish(s->ctx, &rc->ex);
    return respond(s, conn, rc);
}

static enum MHD_Result respond(http_server *s, struct MHD_Connection *conn, request_ctx *rc)
{
    assign_request_id(s, &rc->ex);
    log_access(&rc->ex, rc->start_ns);
    return send_response(conn, &rc->ex, rc->too_large || atomic_load(&s->ctx->draining));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    http_server *s = cls;
    request_ctx *rc = *con_cls;
    if (rc == NULL) {
        if (begin_request(s, conn, con_cls) != MHD_YES)
            return MHD_NO;
        rc = *con_cls;
        if (rc->too_large)
            return answer(s, conn, rc, url, method);
        enum MHD_Result early;
        return answer_early(s, conn, rc, url, method, &early) ? early : MHD_YES;
    }
    if (rc->resumed)
        return answer_resumed(s, conn, rc);
    if (*upload_data_size > 0) {
        if (!rc->too_large && buffer_append(&rc->body, upload_data, *upload_data_size) != FERRY_OK)
            rc->too_large = true; /* chunked bodies over the limit: keep reading, then refuse */
        *upload_data_size = 0;
        return MHD_YES;
    }
    return answer(s, conn, rc, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    http_server *s = cls;
    request_ctx *rc = *con_cls;
    if (rc == NULL)
        return;
    *con_cls = NULL;
    rest_abandon(&rc->ex); /* closed before a queued request's answer: end its call */
    ctx_put(s, rc);
    atomic_fetch_sub(&s->in_flight, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char message[512];
    vsnprintf(message, sizeof message, fmt, ap);
    size_t n = strlen(message);
    while (n > 0 && message[n - 1] == '\n')
        message[--n] = '\0';
    log_debug(NULL, "http: %s", message);
}

/* ------------------------------------------------------------------------------------------ */
/* Start and stop                                                                               */
/* ------------------------------------------------------------------------------------------ */

/* Resolves host (numeric IPv4 or IPv6, or a name) into addr. */
static ferry_status resolve_host(const char *host, uint16_t port, struct sockaddr_storage *addr,
                                 ferry_error *err)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    char port_s[8];
    snprintf(port_s, sizeof port_s, "%u", port);
    int rc = getaddrinfo(host, port_s, &hints, &res);
    if (rc != 0)
        return ferry_error_set(err, FERRY_INVALID_ARG, "cannot resolve host '%s': %s", host,
                               gai_strerror(rc));
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return FERRY_OK;
}

static ferry_status start_daemon(http_server *s, const http_server_options *opts, ferry_error *err)
{
    unsigned threads = opts->threads;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    struct sockaddr_storage addr;
    bool any = opts->host == NULL || opts->host[0] == '\0';
    if (any) {
        flags |= MHD_USE_DUAL_STACK;
    } else {
        ferry_status st = resolve_host(opts->host, opts->port, &addr, err);
        if (st != FERRY_OK)
            return st;
        if (addr.ss_family == AF_INET6)
            flags |= MHD_USE_IPv6;
    }
    s->daemon = MHD_start_daemon(
        flags, opts->port, NULL, NULL, on_request, s, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_TIMEOUT, opts->idle_timeout_s, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s, MHD_OPTION_LISTEN_BACKLOG_SIZE,
        1024, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024),
        any ? MHD_OPTION_END : MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_END);
    if (s->daemon == NULL)
        return ferry_error_set(err, FERRY_IO, "cannot listen on %s:%u (port in use?)",
                               any ? "*" : opts->host, opts->port);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info != NULL ? info->port : opts->port;
    return FERRY_OK;
}

ferry_status http_server_start(rest_context *ctx, const http_server_options *opts,
                               http_server **out, ferry_error *err)
{
    http_server *s = calloc(1, sizeof *s);
    if (s == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory starting the HTTP server");
    s->ctx = ctx;
    s->body_limit = opts->body_limit;
    s->pid = (unsigned)getpid();
    atomic_init(&s->in_flight, 0);
    atomic_init(&s->next_id, 1);
    if (pthread_mutex_init(&s->pool_lock, NULL) != 0) {
        free(s);
        return ferry_error_set(err, FERRY_INTERNAL, "cannot create a mutex");
    }
    ferry_status st = start_daemon(s, opts, err);
    if (st != FERRY_OK) {
        pthread_mutex_destroy(&s->pool_lock);
        free(s);
        return st;
    }
    *out = s;
    return FERRY_OK;
}

uint16_t http_server_port(const http_server *s)
{
    return s->port;
}

unsigned http_server_stop(http_server *s, unsigned drain_ms)
{
    if (s == NULL)
        return 0;
    MHD_socket listener = MHD_quiesce_daemon(s->daemon);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    uint64_t deadline = clock_now_ns() + (uint64_t)drain_ms * 1000000u;
    while (atomic_load(&s->in_flight) > 0 && clock_now_ns() < deadline)
        usleep(2000);
    unsigned left = atomic_load(&s->in_flight);
    MHD_stop_daemon(s->daemon);
    while (s->pool != NULL) {
        request_ctx *rc = s->pool;
        s->pool = rc->next_free;
        ctx_free(rc);
    }
    pthread_mutex_destroy(&s->pool_lock);
    free(s);
    return left;
}
