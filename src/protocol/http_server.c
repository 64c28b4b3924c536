/* libmicrohttpd glue; see http_server.h. One acceptor thread owns the listening socket and hands
 * each new connection to the least-loaded of N MHD daemons (MHD_add_connection), each running its
 * own epoll thread without a listening socket: MHD's own thread pool lets whichever thread wakes
 * first accept, and under load one thread took ~96% of the connections. Request contexts (body
 * buffer, response buffer, arena) come from a free list and go back to it when MHD reports the
 * request complete, so a warm server allocates none of them per request. */
#define _GNU_SOURCE /* accept4 */
#include "protocol/http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/thread_name.h"
#include "protocol/oip_json.h"

#define RESPONSE_LIMIT (1024u * 1024u * 1024u)
#define POOL_KEEP      256
#define LISTEN_BACKLOG 1024
#define MAX_WORKERS    256
#define ORPHAN_WAIT_NS (5000000000ull)
#define BUSY_WEIGHT    4 /* open connections a busy worker counts as, besides its own */

typedef struct request_ctx request_ctx;
/* A queued request's hand-off between the MHD thread that suspends its connection and the worker
 * that completes it: whichever comes second resumes the connection. ORPHANED: MHD closed the
 * connection while the job was still in the scheduler's queue; the job still points at this
 * context, so the completion (not MHD) ends the call and recycles it. */
enum { ASYNC_QUEUED, ASYNC_SUSPENDED, ASYNC_DONE, ASYNC_ORPHANED };

struct request_ctx {
    request_ctx *next_free;
    request_ctx *susp_prev, *susp_next; /* in the server's list while SUSPENDED */
    bool stop_resumed;                  /* resumed by a stop, its job maybe still queued */
    http_server *server;
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

/* One MHD daemon and its polling thread; the acceptor reads `open` and `busy` to pick the least
 * loaded. */
typedef struct http_worker {
    struct MHD_Daemon *daemon;
    http_server *server;
    atomic_bool busy;            /* inside a handler (an inline inference holds its event loop) */
    atomic_uint open;            /* connections it holds now */
    atomic_uint_fast64_t handed; /* connections handed to it since the start */
} http_worker;

struct http_server {
    http_worker *workers;
    unsigned n_workers;
    unsigned next_worker; /* where the acceptor's search starts (rotates to break ties) */
    int listen_fd;
    int wake_fd; /* eventfd: tells the acceptor to stop */
    pthread_t acceptor;
    bool acceptor_running;
    rest_context *ctx;
    size_t body_limit;
    uint16_t port;
    unsigned pid; /* prefix of generated request ids */
    atomic_uint in_flight;
    atomic_uint_fast64_t next_id;
    pthread_mutex_t pool_lock; /* also guards `suspended` and `stopping` */
    request_ctx *pool;
    request_ctx *suspended; /* connections suspended while queued: resumed before a stop */
    bool stopping;          /* resume_suspended has run: nothing may stay suspended from here */
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
    rc->server = s;
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
    rc->stop_resumed = false;
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

/* Ends the call of a request whose connection MHD closed while it was queued, and recycles its
 * context (the request counts as in flight until here). */
static void release_orphan(request_ctx *rc)
{
    http_server *s = rc->server;
    rest_abandon(&rc->ex);
    ctx_put(s, rc);
    atomic_fetch_sub(&s->in_flight, 1);
}

/* The suspended list (pool_lock held). */
static void link_suspended(http_server *s, request_ctx *rc)
{
    rc->susp_prev = NULL;
    rc->susp_next = s->suspended;
    if (s->suspended != NULL)
        s->suspended->susp_prev = rc;
    s->suspended = rc;
}

static void unlink_suspended(http_server *s, request_ctx *rc)
{
    if (rc->susp_prev != NULL)
        rc->susp_prev->susp_next = rc->susp_next;
    else
        s->suspended = rc->susp_next;
    if (rc->susp_next != NULL)
        rc->susp_next->susp_prev = rc->susp_prev;
    rc->susp_prev = rc->susp_next = NULL;
}

/* Resumes a suspended connection under pool_lock: a stop (resume_suspended, then MHD_stop_daemon)
 * must never find a connection off the list but not resumed yet (MHD aborts the process when a
 * daemon stops with a suspended connection), nor have a resume follow MHD_stop_daemon (the
 * connection is freed by then). */
static void on_infer_done(void *user)
{
    request_ctx *rc = user;
    http_server *s = rc->server;
    pthread_mutex_lock(&s->pool_lock);
    int was = atomic_exchange(&rc->async, ASYNC_DONE);
    if (was == ASYNC_SUSPENDED && !rc->stop_resumed) { /* a stop resumed it already */
        unlink_suspended(s, rc);
        MHD_resume_connection(rc->conn);
    }
    pthread_mutex_unlock(&s->pool_lock);
    if (was == ASYNC_ORPHANED)
        release_orphan(rc);
}

/* A peer that closed its end reads as EOF; pending bytes (a pipelined request) mean it is there.
 * An orphaned request's connection is closed (its descriptor may already belong to another). */
static bool client_alive(void *user)
{
    request_ctx *rc = user;
    if (atomic_load(&rc->async) == ASYNC_ORPHANED)
        return false;
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

/* Suspends the connection of a request that was queued, unless it has finished meanwhile. Once a
 * stop has resumed the suspended connections (a request this worker was still reading when the
 * stop began), it is resumed at once as the stop would have: the call after it closes the
 * connection, and the queued job ends the request (ASYNC_ORPHANED). */
static void suspend(request_ctx *rc, struct MHD_Connection *conn)
{
    http_server *s = rc->server;
    rc->resumed = true;
    MHD_suspend_connection(conn);
    int expected = ASYNC_QUEUED;
    pthread_mutex_lock(&s->pool_lock);
    bool suspended = atomic_compare_exchange_strong(&rc->async, &expected, ASYNC_SUSPENDED);
    bool resume = !suspended || s->stopping;
    if (suspended && s->stopping)
        rc->stop_resumed = true;
    else if (suspended)
        link_suspended(s, rc);
    pthread_mutex_unlock(&s->pool_lock);
    if (resume)
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

static enum MHD_Result handle_request(http_server *s, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *upload_data,
                                      size_t *upload_data_size, void **con_cls)
{
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
    if (rc->resumed && atomic_load(&rc->async) != ASYNC_DONE)
        return MHD_NO; /* resumed by a stop while still queued: close it (on_completed orphans) */
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

/* The MHD handler: marks its worker busy meanwhile, so that the acceptor avoids it. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    http_worker *w = cls;
    atomic_store(&w->busy, true);
    enum MHD_Result r =
        handle_request(w->server, conn, url, method, upload_data, upload_data_size, con_cls);
    atomic_store(&w->busy, false);
    return r;
}

/* Called as MHD closes a connection: true when its request's job is still queued, which then owns
 * the context (see ASYNC_ORPHANED); recycling it here would let the queued job read another
 * request's context and descriptor. */
static bool orphan(request_ctx *rc)
{
    if (!rc->ex.pending)
        return false;
    int state = atomic_load(&rc->async);
    while (state != ASYNC_DONE && !atomic_compare_exchange_weak(&rc->async, &state, ASYNC_ORPHANED))
        ;
    return state != ASYNC_DONE;
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
    if (orphan(rc))
        return;
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

/* Binds and listens on the options' address: with no host, every IPv6 and IPv4 address (one
 * dual-stack socket, or IPv4 alone where IPv6 is off). Non-blocking, for the acceptor's poll. */
static ferry_status open_listener(const http_server_options *opts, int *out, ferry_error *err)
{
    struct sockaddr_storage addr = {0};
    socklen_t len;
    bool any = opts->host == NULL || opts->host[0] == '\0';
    const char *shown = any ? "*" : opts->host;
    if (any) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&addr;
        a6->sin6_family = AF_INET6;
        a6->sin6_addr = in6addr_any;
        a6->sin6_port = htons(opts->port);
        len = sizeof *a6;
    } else {
        ferry_status st = resolve_host(opts->host, opts->port, &addr, err);
        if (st != FERRY_OK)
            return st;
        len = addr.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    }
    int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 && any && errno == EAFNOSUPPORT) { /* no IPv6 here: IPv4 alone */
        struct sockaddr_in *a4 = (struct sockaddr_in *)&addr;
        memset(&addr, 0, sizeof addr);
        a4->sin_family = AF_INET;
        a4->sin_addr.s_addr = htonl(INADDR_ANY);
        a4->sin_port = htons(opts->port);
        len = sizeof *a4;
        fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    }
    if (fd < 0)
        return ferry_error_set(err, FERRY_IO, "cannot create a socket for %s:%u: %s", shown,
                               opts->port, strerror(errno));
    int one = 1, zero = 0;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        (addr.ss_family == AF_INET6 && any &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) != 0) ||
        bind(fd, (struct sockaddr *)&addr, len) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        int e = errno;
        close(fd);
        return ferry_error_set(err, FERRY_IO, "cannot listen on %s:%u (port in use?): %s", shown,
                               opts->port, strerror(e));
    }
    *out = fd;
    return FERRY_OK;
}

/* The port the listening socket holds (the free one chosen for port 0). */
static ferry_status bound_port(int fd, uint16_t *port, ferry_error *err)
{
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0)
        return ferry_error_set(err, FERRY_IO, "cannot read the HTTP listening port: %s",
                               strerror(errno));
    *port = ntohs(addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&addr)->sin6_port
                                             : ((struct sockaddr_in *)&addr)->sin_port);
    return FERRY_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Workers and the acceptor                                                                     */
/* ------------------------------------------------------------------------------------------ */

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)conn;
    (void)socket_context;
    http_worker *w = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        atomic_fetch_add(&w->open, 1);
    else if (code == MHD_CONNECTION_NOTIFY_CLOSED)
        atomic_fetch_sub(&w->open, 1);
}

/* Starts worker w: an MHD daemon with its own epoll thread and no listening socket. */
static ferry_status start_worker(http_server *s, http_worker *w, unsigned index,
                                 const http_server_options *opts, ferry_error *err)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_NO_LISTEN_SOCKET;
    w->server = s;
    atomic_init(&w->busy, false);
    atomic_init(&w->open, 0);
    atomic_init(&w->handed, 0);
    w->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, w, MHD_OPTION_CONNECTION_TIMEOUT, opts->idle_timeout_s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
        w, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(16 * 1024), MHD_OPTION_END);
    if (w->daemon == NULL)
        return ferry_error_set(err, FERRY_IO, "cannot start HTTP worker %u of %u", index,
                               s->n_workers);
    return FERRY_OK;
}

/* A worker's load as the acceptor sees it: its open connections, plus a few when it is inside a
 * handler (an inline inference holds its event loop, so a new connection would wait behind it).
 * Only a few: under steady load every worker is busy most of the time, and the open connections
 * must still decide, or keep-alive clients would pile onto whichever worker was idle at accept. */
static uint64_t worker_load(http_worker *w)
{
    return atomic_load(&w->open) + (atomic_load(&w->busy) ? BUSY_WEIGHT : 0);
}

/* The least-loaded worker, searching from a rotating start so that ties (a burst of connections
 * the workers have not registered yet) go round-robin. Only the acceptor calls this. */
static http_worker *choose_worker(http_server *s)
{
    unsigned start = s->next_worker++ % s->n_workers, best = start;
    uint64_t least = worker_load(&s->workers[start]);
    for (unsigned i = 1; i < s->n_workers && least > 0; i++) {
        unsigned w = (start + i) % s->n_workers;
        uint64_t load = worker_load(&s->workers[w]);
        if (load < least) {
            least = load;
            best = w;
        }
    }
    return &s->workers[best];
}

/* Accepts every pending connection and hands each to a worker; false when accept fails in a way
 * that retrying at once will not fix (out of file descriptors: the caller backs off). */
static bool accept_pending(http_server *s)
{
    for (;;) {
        struct sockaddr_storage addr;
        socklen_t len = sizeof addr;
        int fd =
            accept4(s->listen_fd, (struct sockaddr *)&addr, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
            continue;
        if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        if (fd < 0) {
            log_warn(NULL, "http: cannot accept a connection: %s", strerror(errno));
            return false;
        }
        http_worker *w = choose_worker(s);
        /* MHD owns (and closes) the socket from here, also when it refuses it. */
        if (MHD_add_connection(w->daemon, fd, (struct sockaddr *)&addr, len) != MHD_YES)
            log_warn(NULL, "http: worker %u refused a connection: %s", (unsigned)(w - s->workers),
                     strerror(errno));
        else
            atomic_fetch_add(&w->handed, 1);
    }
}

static void *acceptor_main(void *arg)
{
    http_server *s = arg;
    thread_name_set("ferry-accept");
    for (;;) {
        struct pollfd fds[2] = {{.fd = s->listen_fd, .events = POLLIN},
                                {.fd = s->wake_fd, .events = POLLIN}};
        int n = poll(fds, 2, -1);
        if (n < 0 && errno != EINTR) {
            log_error(NULL, "http: the acceptor cannot poll: %s", strerror(errno));
            return NULL;
        }
        if (n > 0 && fds[1].revents != 0)
            return NULL;
        if (n > 0 && fds[0].revents != 0 && !accept_pending(s))
            usleep(10000); /* out of descriptors: let connections close */
    }
}

/* Stops the acceptor and closes the listening socket: no new connection from here on. */
static void stop_accepting(http_server *s)
{
    if (s->acceptor_running) {
        uint64_t one = 1;
        if (write(s->wake_fd, &one, sizeof one) != (ssize_t)sizeof one)
            log_error(NULL, "http: cannot wake the acceptor: %s", strerror(errno));
        else
            pthread_join(s->acceptor, NULL);
        s->acceptor_running = false;
    }
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    s->listen_fd = -1;
}

/* Appends the per-worker series to /metrics (rest_context.render_metrics). */
static ferry_status render_worker_metrics(void *cls, buffer *out)
{
    http_server *s = cls;
    ferry_status st = buffer_append_str(
        out, "# HELP ferry_http_connections_total HTTP connections handed to each worker thread.\n"
             "# TYPE ferry_http_connections_total counter\n");
    for (unsigned i = 0; st == FERRY_OK && i < s->n_workers; i++)
        st = buffer_printf(out, "ferry_http_connections_total{worker=\"%u\"} %llu\n", i,
                           (unsigned long long)atomic_load(&s->workers[i].handed));
    if (st == FERRY_OK)
        st = buffer_append_str(
            out, "# HELP ferry_http_open_connections HTTP connections each worker holds now.\n"
                 "# TYPE ferry_http_open_connections gauge\n");
    for (unsigned i = 0; st == FERRY_OK && i < s->n_workers; i++)
        st = buffer_printf(out, "ferry_http_open_connections{worker=\"%u\"} %u\n", i,
                           atomic_load(&s->workers[i].open));
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Start and stop                                                                               */
/* ------------------------------------------------------------------------------------------ */

static unsigned worker_count(const http_server_options *opts)
{
    unsigned n = opts->threads;
    if (n == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus > 0 ? (unsigned)cpus : 1;
    }
    return n < MAX_WORKERS ? n : MAX_WORKERS;
}

/* Resumes every connection still suspended (MHD refuses to stop a daemon with suspended
 * connections): MHD then closes them, and a request whose job is still queued is orphaned. */
static void resume_suspended(http_server *s)
{
    pthread_mutex_lock(&s->pool_lock);
    s->stopping = true;
    while (s->suspended != NULL) {
        request_ctx *rc = s->suspended;
        unlink_suspended(s, rc);
        rc->stop_resumed = true;
        MHD_resume_connection(rc->conn);
    }
    pthread_mutex_unlock(&s->pool_lock);
}

/* Stops every started worker and frees what start_server made (also after a partial start). */
static void free_server(http_server *s)
{
    stop_accepting(s);
    resume_suspended(s);
    for (unsigned i = 0; s->workers != NULL && i < s->n_workers; i++)
        if (s->workers[i].daemon != NULL)
            MHD_stop_daemon(s->workers[i].daemon);
    if (s->ctx->render_metrics_cls == s) /* no request can render them any more */
        s->ctx->render_metrics = NULL;
    /* Requests whose connections closed while queued end when their jobs do (release_orphan). */
    uint64_t deadline = clock_now_ns() + ORPHAN_WAIT_NS;
    while (atomic_load(&s->in_flight) > 0 && clock_now_ns() < deadline)
        usleep(2000);
    if (atomic_load(&s->in_flight) > 0) {
        log_warn(NULL,
                 "http: %u queued request(s) of closed connections still unfinished; "
                 "their contexts are left allocated",
                 atomic_load(&s->in_flight));
        return;
    }
    if (s->wake_fd >= 0)
        close(s->wake_fd);
    while (s->pool != NULL) {
        request_ctx *rc = s->pool;
        s->pool = rc->next_free;
        ctx_free(rc);
    }
    free(s->workers);
    pthread_mutex_destroy(&s->pool_lock);
    free(s);
}

/* The listening socket, the workers, then the acceptor that feeds them. */
static ferry_status start_server(http_server *s, const http_server_options *opts, ferry_error *err)
{
    s->n_workers = worker_count(opts);
    s->workers = calloc(s->n_workers, sizeof *s->workers);
    if (s->workers == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for %u HTTP workers",
                               s->n_workers);
    s->wake_fd = eventfd(0, EFD_CLOEXEC);
    if (s->wake_fd < 0)
        return ferry_error_set(err, FERRY_IO, "cannot create the HTTP acceptor's eventfd: %s",
                               strerror(errno));
    ferry_status st = open_listener(opts, &s->listen_fd, err);
    if (st == FERRY_OK)
        st = bound_port(s->listen_fd, &s->port, err);
    for (unsigned i = 0; st == FERRY_OK && i < s->n_workers; i++)
        st = start_worker(s, &s->workers[i], i, opts, err);
    if (st != FERRY_OK)
        return st;
    int rc = pthread_create(&s->acceptor, NULL, acceptor_main, s);
    if (rc != 0)
        return ferry_error_set(err, FERRY_INTERNAL, "cannot start the HTTP acceptor thread: %s",
                               strerror(rc));
    s->acceptor_running = true;
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
    s->listen_fd = -1;
    s->wake_fd = -1;
    atomic_init(&s->in_flight, 0);
    atomic_init(&s->next_id, 1);
    if (pthread_mutex_init(&s->pool_lock, NULL) != 0) {
        free(s);
        return ferry_error_set(err, FERRY_INTERNAL, "cannot create a mutex");
    }
    ctx->render_metrics = render_worker_metrics;
    ctx->render_metrics_cls = s;
    ferry_status st = start_server(s, opts, err);
    if (st != FERRY_OK) {
        free_server(s);
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
    stop_accepting(s);
    uint64_t deadline = clock_now_ns() + (uint64_t)drain_ms * 1000000u;
    while (atomic_load(&s->in_flight) > 0 && clock_now_ns() < deadline)
        usleep(2000);
    unsigned left = atomic_load(&s->in_flight);
    free_server(s);
    return left;
}
