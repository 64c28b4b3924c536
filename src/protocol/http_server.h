/* The HTTP/1.1 front end on libmicrohttpd: an acceptor thread handing each connection to the
 * least-loaded of `threads` MHD daemons (one epoll thread each), request bodies gathered up to a
 * limit, each request handed to rest_handle, an access log line and a graceful drain on stop. */
#ifndef FERRY_PROTOCOL_HTTP_SERVER_H
#define FERRY_PROTOCOL_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/rest_api.h"

typedef struct http_server_options {
    const char *host;  /* address to bind; NULL or "" for every IPv4 and IPv6 address */
    uint16_t port;     /* 0 binds a free port */
    unsigned threads;  /* worker threads (MHD daemons), besides the acceptor; 0: one per core */
    size_t body_limit; /* largest request body in bytes (413 beyond it) */
    unsigned idle_timeout_s; /* close connections idle (or stalled mid-request) this long */
} http_server_options;

typedef struct http_server http_server;

/* Starts serving ctx on the options' address. On success *out owns the running server and its
 * threads, and ctx->render_metrics adds ferry_http_connections_total{worker} and
 * ferry_http_open_connections{worker} to /metrics; stop it with http_server_stop. Fails with IO
 * naming the address when it cannot bind. */
ferry_status http_server_start(rest_context *ctx, const http_server_options *opts,
                               http_server **out, ferry_error *err) FERRY_MUST_CHECK;

/* The port actually bound (the free port chosen for port 0). */
uint16_t http_server_port(const http_server *s);

/* Stops accepting new connections, waits up to drain_ms for requests in flight to finish, then
 * closes every connection and frees the server. Returns the number of requests still in flight
 * when the wait ended (0 after a clean drain). Accepts NULL. */
unsigned http_server_stop(http_server *s, unsigned drain_ms);

#endif
