/* Admin API access control; see admin_auth.h. */
#include "protocol/admin_auth.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool ipv4_is_loopback(const struct in_addr *a)
{
    return (ntohl(a->s_addr) >> 24) == 127;
}

bool admin_auth_is_loopback(const struct sockaddr *addr)
{
    if (addr == NULL)
        return false;
    if (addr->sa_family == AF_INET)
        return ipv4_is_loopback(&((const struct sockaddr_in *)(const void *)addr)->sin_addr);
    if (addr->sa_family != AF_INET6)
        return false;
    const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(a6))
        return true;
    if (!IN6_IS_ADDR_V4MAPPED(a6))
        return false;
    struct in_addr v4;
    memcpy(&v4, &a6->s6_addr[12], sizeof v4);
    return ipv4_is_loopback(&v4);
}

/* Compares two strings in time that depends only on the expected string's length. */
static bool equal_constant_time(const char *given, const char *expected)
{
    size_t given_len = strlen(given), expected_len = strlen(expected);
    volatile unsigned char diff = given_len != expected_len;
    for (size_t i = 0; i < expected_len; i++) {
        unsigned char g = i < given_len ? (unsigned char)given[i] : 0;
        diff |= (unsigned char)(g ^ (unsigned char)expected[i]);
    }
    return diff == 0;
}

bool admin_auth_bearer_matches(const char *authorization, const char *token)
{
    if (authorization == NULL || token == NULL || token[0] == '\0')
        return false;
    static const char scheme[] = "Bearer";
    if (strncasecmp(authorization, scheme, strlen(scheme)) != 0 ||
        (authorization[strlen(scheme)] != ' ' && authorization[strlen(scheme)] != '\t'))
        return false;
    const char *given = authorization + strlen(scheme);
    while (*given == ' ' || *given == '\t')
        given++;
    return equal_constant_time(given, token);
}

admin_auth_result admin_auth_check(const char *token, const char *authorization,
                                   const struct sockaddr *peer)
{
    if (token != NULL && token[0] != '\0') {
        if (authorization == NULL || authorization[0] == '\0')
            return ADMIN_AUTH_NO_TOKEN;
        return admin_auth_bearer_matches(authorization, token) ? ADMIN_AUTH_OK
                                                               : ADMIN_AUTH_BAD_TOKEN;
    }
    return admin_auth_is_loopback(peer) ? ADMIN_AUTH_OK : ADMIN_AUTH_NOT_LOOPBACK;
}

void admin_auth_actor(const struct sockaddr *peer, char *buf, size_t len)
{
    char text[INET6_ADDRSTRLEN] = "";
    const void *src = NULL;
    int family = peer != NULL ? peer->sa_family : AF_UNSPEC;
    if (family == AF_INET)
        src = &((const struct sockaddr_in *)(const void *)peer)->sin_addr;
    else if (family == AF_INET6)
        src = &((const struct sockaddr_in6 *)(const void *)peer)->sin6_addr;
    if (family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)src)) {
        /* a dual-stack socket's IPv4 client: record it as the IPv4 address it is */
        family = AF_INET;
        src = &((const struct in6_addr *)src)->s6_addr[12];
    }
    if (src == NULL || inet_ntop(family, src, text, sizeof text) == NULL)
        snprintf(buf, len, "api");
    else
        snprintf(buf, len, "api@%s", text);
}
