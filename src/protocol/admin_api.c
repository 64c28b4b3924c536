/* Admin API access checks and routing: one table row per endpoint (path pattern, method,
 * handler); see admin_api.h. The handlers live in admin_repository.c, admin_models.c and
 * admin_upload.c. */
#include "protocol/admin_api.h"

#include <stdio.h>
#include <string.h>

#include "protocol/admin_internal.h"
#include "protocol/admin_repository.h"
#include "serving/repository.h"

#define MAX_SEGMENTS 8

typedef void (*admin_handler)(admin_call *c);

typedef struct admin_endpoint {
    const char *pattern; /* segments; {repo}, {name} and {v} capture one segment each */
    const char *method;
    admin_handler handler;
    bool needs_repo; /* answers 501 when the server serves one artifact */
} admin_endpoint;

static const admin_endpoint endpoints[] = {
    {"/v2/repository/index", "POST", admin_repository_index, false},
    {"/v2/repository/{repo}/index", "POST", admin_repository_index, false},
    {"/v2/repository/models/{name}/load", "POST", admin_repository_load, true},
    {"/v2/repository/models/{name}/unload", "POST", admin_repository_unload, true},
    {"/v2/repository/{repo}/models/{name}/load", "POST", admin_repository_load, true},
    {"/v2/repository/{repo}/models/{name}/unload", "POST", admin_repository_unload, true},
    {"/ferry/v1/models", "GET", admin_list_models, true},
    {"/ferry/v1/models/{name}", "GET", admin_show_model, true},
    {"/ferry/v1/models/{name}/versions", "GET", admin_list_versions, true},
    {"/ferry/v1/models/{name}/versions", "POST", admin_upload, true},
    {"/ferry/v1/models/{name}/versions/{v}", "GET", admin_show_version, true},
    {"/ferry/v1/models/{name}/versions/{v}/archive", "POST", admin_archive, true},
    {"/ferry/v1/models/{name}/deploy", "POST", admin_deploy, true},
    {"/ferry/v1/models/{name}/rollback", "POST", admin_rollback, true},
    {"/ferry/v1/models/{name}/history", "GET", admin_history, true},
};
#define N_ENDPOINTS (sizeof endpoints / sizeof endpoints[0])

bool admin_api_owns(const char *path)
{
    if (strncmp(path, "/ferry/", 7) == 0 || strcmp(path, "/ferry") == 0)
        return true;
    return strncmp(path, "/v2/repository", 14) == 0 && (path[14] == '\0' || path[14] == '/');
}

/* ------------------------------------------------------------------------------------------ */
/* Access                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static const char *request_header(const rest_exchange *ex, const char *name)
{
    return ex->transport != NULL ? ex->transport->header(ex->conn, name) : NULL;
}

/* Answers 401 or 403 and returns false when the request may not use the admin API. */
static bool check_access(rest_context *ctx, rest_exchange *ex)
{
    switch (admin_auth_check(ctx->admin_token, request_header(ex, "Authorization"), ex->peer)) {
    case ADMIN_AUTH_OK:
        return true;
    case ADMIN_AUTH_NO_TOKEN:
        ex->authenticate = "Bearer realm=\"ferry admin\"";
        admin_error(ex, 401,
                    "the admin API needs the admin token: send 'Authorization: Bearer "
                    "TOKEN'");
        return false;
    case ADMIN_AUTH_BAD_TOKEN:
        ex->authenticate = "Bearer realm=\"ferry admin\", error=\"invalid_token\"";
        admin_error(ex, 401, "the admin token does not match");
        return false;
    case ADMIN_AUTH_NOT_LOOPBACK:
    default:
        admin_error(ex, 403,
                    "the admin API answers only loopback clients unless the server "
                    "runs with --admin-token");
        return false;
    }
}

bool admin_api_preflight(rest_context *ctx, rest_exchange *ex)
{
    return !check_access(ctx, ex);
}

/* ------------------------------------------------------------------------------------------ */
/* Routing                                                                                      */
/* ------------------------------------------------------------------------------------------ */

typedef struct path_segments {
    char buf[1024];
    const char *segs[MAX_SEGMENTS];
    int n; /* -1 when the path is too long or has too many segments */
} path_segments;

static void split(const char *path, path_segments *p)
{
    p->n = -1;
    if (strlen(path) >= sizeof p->buf)
        return;
    strcpy(p->buf, path);
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(p->buf, "/", &save); t != NULL; t = strtok_r(NULL, "/", &save)) {
        if (n == MAX_SEGMENTS)
            return;
        p->segs[n++] = t;
    }
    p->n = n;
}

/* The captures of a matched pattern (pointers into the path's segments). */
typedef struct captures {
    const char *repo, *name, *version;
} captures;

static bool match(const char *pattern, const path_segments *path, captures *cap)
{
    path_segments pat;
    split(pattern, &pat);
    if (pat.n != path->n)
        return false;
    *cap = (captures){0};
    for (int i = 0; i < pat.n; i++) {
        if (strcmp(pat.segs[i], "{repo}") == 0)
            cap->repo = path->segs[i];
        else if (strcmp(pat.segs[i], "{name}") == 0)
            cap->name = path->segs[i];
        else if (strcmp(pat.segs[i], "{v}") == 0)
            cap->version = path->segs[i];
        else if (strcmp(pat.segs[i], path->segs[i]) != 0)
            return false;
    }
    return true;
}

static bool method_matches(const char *want, const char *method)
{
    return strcmp(want, method) == 0 || (strcmp(want, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

/* Checks the captures and fills the call; answers and returns false when one is bad. */
static bool bind_captures(admin_call *c, const admin_endpoint *e, const captures *cap)
{
    rest_exchange *ex = c->ex;
    if (e->needs_repo && c->repo == NULL) {
        admin_error(ex, 501,
                    "this server serves one artifact, not a model repository: the "
                    "admin API needs ferry serve --repo");
        return false;
    }
    if (cap->repo != NULL) {
        char own[256];
        if (!admin_repository_is_ours(c->ctx, cap->repo, own, sizeof own)) {
            admin_error(ex, 404, "no model repository '%.200s' (this server has one: '%s')",
                        cap->repo, own);
            return false;
        }
    }
    if (cap->name != NULL && !repository_valid_model_name(cap->name)) {
        admin_error(ex, 400,
                    "'%.200s' is not a valid model name (1-127 characters of A-Z a-z 0-9 _ . -, "
                    "not starting with '.')",
                    cap->name);
        return false;
    }
    c->name = cap->name;
    if (cap->version != NULL && !admin_parse_version(cap->version, &c->version)) {
        admin_error(ex, 400, "'%.100s' is not a version number", cap->version);
        return false;
    }
    return true;
}

/* Answers 405 with the methods the path allows. */
static void method_not_allowed(rest_exchange *ex, const path_segments *path)
{
    bool get = false, post = false;
    for (size_t i = 0; i < N_ENDPOINTS; i++) {
        captures cap;
        if (match(endpoints[i].pattern, path, &cap)) {
            get = get || strcmp(endpoints[i].method, "GET") == 0;
            post = post || strcmp(endpoints[i].method, "POST") == 0;
        }
    }
    ex->allow = get && post ? "GET, HEAD, POST" : get ? "GET, HEAD" : "POST";
    admin_error(ex, 405, "Method Not Allowed");
}

static void route(admin_call *c)
{
    rest_exchange *ex = c->ex;
    path_segments path;
    split(ex->path, &path);
    bool path_known = false;
    for (size_t i = 0; path.n > 0 && i < N_ENDPOINTS; i++) {
        captures cap;
        if (!match(endpoints[i].pattern, &path, &cap))
            continue;
        path_known = true;
        if (!method_matches(endpoints[i].method, ex->method))
            continue;
        if (cap.name != NULL)
            snprintf(ex->model, sizeof ex->model, "%s", cap.name);
        if (bind_captures(c, &endpoints[i], &cap))
            endpoints[i].handler(c);
        return;
    }
    if (path_known)
        method_not_allowed(ex, &path);
    else
        admin_error(ex, 404, "no endpoint %.200s", ex->path);
}

void admin_api_handle(rest_context *ctx, rest_exchange *ex)
{
    if (!check_access(ctx, ex))
        return;
    if (ex->body_limit_exceeded) {
        admin_error(ex, 413, "request body exceeds the limit of %zu bytes (--body-limit)",
                    ex->body_limit);
        return;
    }
    admin_call c = {.ctx = ctx, .ex = ex, .repo = ctx->repo};
    admin_auth_actor(ex->peer, c.actor, sizeof c.actor);
    route(&c);
}
