/* Who may use the admin API: loopback clients when no admin token is configured, and with a token
 * every client that presents it as `Authorization: Bearer TOKEN` (compared in constant time).
 * Independent of the HTTP library so that the address classifier can be unit-tested. */
#ifndef FERRY_PROTOCOL_ADMIN_AUTH_H
#define FERRY_PROTOCOL_ADMIN_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Room for "api@" and any textual IPv6 address. */
#define ADMIN_AUTH_ACTOR_MAX 64

typedef enum admin_auth_result {
    ADMIN_AUTH_OK,
    ADMIN_AUTH_NO_TOKEN,    /* a token is configured and the request carries none: 401 */
    ADMIN_AUTH_BAD_TOKEN,   /* a token is configured and the request's does not match: 401 */
    ADMIN_AUTH_NOT_LOOPBACK /* no token is configured and the client is remote: 403 */
} admin_auth_result;

/* True for 127.0.0.0/8, ::1 and IPv4-mapped ::ffff:127.x.y.z. False for NULL and other families. */
bool admin_auth_is_loopback(const struct sockaddr *addr);

/* True when `authorization` (the header's value, may be NULL) is "Bearer <token>" (the scheme
 * case-insensitive) and <token> equals `token`. The comparison takes the same time wherever the
 * first difference lies. */
bool admin_auth_bearer_matches(const char *authorization, const char *token);

/* Decides whether a request may use the admin API. `token` is the configured admin token (NULL or
 * "" when none), `authorization` the request's Authorization header (or NULL), `peer` the client's
 * address (or NULL when unknown, which counts as remote). */
admin_auth_result admin_auth_check(const char *token, const char *authorization,
                                   const struct sockaddr *peer);

/* Writes the actor recorded in history for a request from `peer`: "api@127.0.0.1", "api@::1"
 * (an IPv4-mapped address as its IPv4 form), or "api" when the address is unknown. */
void admin_auth_actor(const struct sockaddr *peer, char *buf, size_t len);

#endif
