/* OIP v2 REST routing and handlers; see rest_api.h. */
#include "protocol/rest_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/log.h"
#include "protocol/admin_api.h"
#include "protocol/http_status.h"
#include "monitor/model_watch.h"
#include "protocol/infer_call.h"
#include "protocol/oip_infer.h"
#include "protocol/oip_json.h"
#include "protocol/server_metadata.h"
#include "protocol/stats_json.h"
#include "state/feedback.h"

#define MAX_SEGMENTS 8

typedef enum route_kind {
    ROUTE_NONE,
    ROUTE_SERVER_METADATA,
    ROUTE_LIVE,
    ROUTE_READY,
    ROUTE_MODEL_METADATA,
    ROUTE_MODEL_READY,
    ROUTE_INFER,
    ROUTE_STATS,
    ROUTE_METRICS,
    ROUTE_DRIFT,
    ROUTE_FEEDBACK,
    ROUTE_PERFORMANCE,
} route_kind;

typedef struct route {
    route_kind kind;
    char name[REPOSITORY_NAME_MAX];
    char version[REPOSITORY_VERSION_MAX];
    bool has_version;
} route;

/* ------------------------------------------------------------------------------------------ */
/* Responses                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static void respond_error(rest_exchange *ex, int status, const char *message)
{
    buffer_reset(ex->out);
    ex->status = status;
    ex->out_content_type = "application/json";
    if (oip_encode_error(ex->out, message) != FERRY_OK) {
        buffer_reset(ex->out);
        ex->status = 500;
        ex->out_content_type = NULL;
    }
}

/* A 400 for a request that validation rejected: the error and the violations it found. */
static void respond_violations(rest_exchange *ex, const char *message, const char *violations)
{
    respond_error(ex, 400, message);
    if (ex->status != 400 || ex->out->len < 1)
        return;
    ex->out->len--; /* reopen the object after the message */
    if (buffer_printf(ex->out, ",\"violations\":%s}", violations) != FERRY_OK)
        respond_error(ex, 500, "out of memory building the response");
}

static void respond_status(rest_exchange *ex, const ferry_error *err)
{
    respond_error(ex, http_status_for(err->code), err->message);
    if (err->code == FERRY_RESOURCE_EXHAUSTED)
        ex->retry_after = "1";
}

static void respond_too_large(rest_exchange *ex)
{
    char message[128];
    snprintf(message, sizeof message, "request body exceeds the limit of %zu bytes",
             ex->body_limit);
    respond_error(ex, 413, message);
}

/* Finishes a JSON body built in ex->out, or turns a failed build into a 500. */
static void respond_json(rest_exchange *ex, ferry_status built)
{
    if (built != FERRY_OK) {
        respond_error(ex, 500,
                      built == FERRY_TOO_LARGE ? "response exceeds the size limit"
                                               : "out of memory building the response");
        return;
    }
    ex->status = 200;
    ex->out_content_type = "application/json";
}

/* ------------------------------------------------------------------------------------------ */
/* Routing                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* Splits a path into segments in buf; returns the count, or -1 when there are too many. A trailing
 * slash yields no empty last segment. */
static int split_path(const char *path, char *buf, size_t len, const char **segs)
{
    snprintf(buf, len, "%s", path);
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, "/", &save); tok != NULL; tok = strtok_r(NULL, "/", &save)) {
        if (n == MAX_SEGMENTS)
            return -1;
        segs[n++] = tok;
    }
    return n;
}

/* Parses /v2/models/NAME[/versions/V][/ready|/infer|/stats]. */
static route_kind parse_model_route(const char **segs, int n, route *r)
{
    if (n < 3 || strlen(segs[2]) >= sizeof r->name)
        return ROUTE_NONE;
    strcpy(r->name, segs[2]);
    int i = 3;
    if (n >= 5 && strcmp(segs[3], "versions") == 0) {
        if (strlen(segs[4]) >= sizeof r->version)
            return ROUTE_NONE;
        strcpy(r->version, segs[4]);
        r->has_version = true;
        i = 5;
    }
    if (i == n)
        return ROUTE_MODEL_METADATA;
    if (i + 1 == n && strcmp(segs[i], "ready") == 0)
        return ROUTE_MODEL_READY;
    if (i + 1 == n && strcmp(segs[i], "infer") == 0)
        return ROUTE_INFER;
    if (i + 1 == n && strcmp(segs[i], "stats") == 0)
        return ROUTE_STATS;
    if (i + 1 == n && strcmp(segs[i], "drift") == 0)
        return ROUTE_DRIFT;
    if (i + 1 == n && strcmp(segs[i], "feedback") == 0 && !r->has_version)
        return ROUTE_FEEDBACK;
    if (i + 1 == n && strcmp(segs[i], "performance") == 0)
        return ROUTE_PERFORMANCE;
    return ROUTE_NONE;
}

static void parse_route(const char *path, route *r)
{
    memset(r, 0, sizeof *r);
    char buf[1024];
    const char *segs[MAX_SEGMENTS];
    if (strlen(path) >= sizeof buf)
        return;
    int n = split_path(path, buf, sizeof buf, segs);
    if (n == 1 && strcmp(segs[0], "metrics") == 0)
        r->kind = ROUTE_METRICS;
    if (n < 1 || strcmp(segs[0], "v2") != 0)
        return;
    if (n == 1)
        r->kind = ROUTE_SERVER_METADATA;
    else if (n == 3 && strcmp(segs[1], "health") == 0 && strcmp(segs[2], "live") == 0)
        r->kind = ROUTE_LIVE;
    else if (n == 3 && strcmp(segs[1], "health") == 0 && strcmp(segs[2], "ready") == 0)
        r->kind = ROUTE_READY;
    else if (n == 3 && strcmp(segs[1], "models") == 0 && strcmp(segs[2], "stats") == 0)
        r->kind = ROUTE_STATS; /* every model (as Triton: it shadows a model called "stats") */
    else if (n >= 3 && strcmp(segs[1], "models") == 0)
        r->kind = parse_model_route(segs, n, r);
}

/* ------------------------------------------------------------------------------------------ */
/* Health and metadata                                                                          */
/* ------------------------------------------------------------------------------------------ */

bool rest_server_ready(rest_context *ctx)
{
    if (atomic_load(&ctx->draining))
        return false;
    if (!ctx->strict_readiness)
        return true;
    return model_table_all_ready(ctx->models);
}

static void handle_health(rest_exchange *ex, bool ok)
{
    ex->status = ok ? 200 : 400;
    ex->out_content_type = NULL;
}

static void handle_server_metadata(rest_exchange *ex)
{
#define EXTENSION_JSON(name) "\"" name "\","
    static const char extensions[] = SERVER_METADATA_EXTENSIONS(EXTENSION_JSON);
#undef EXTENSION_JSON
    /* The list's last comma is left out by its length. */
    respond_json(ex, buffer_printf(ex->out,
                                   "{\"name\":\"" SERVER_METADATA_NAME
                                   "\",\"version\":\"%s\",\"extensions\":[%.*s]}",
                                   FERRY_VERSION, (int)sizeof extensions - 2, extensions));
}

static ferry_status append_tensor_infos(buffer *out, const ferry_tensor_info *infos, size_t n)
{
    ferry_status st = buffer_append_str(out, "[");
    for (size_t i = 0; st == FERRY_OK && i < n; i++) {
        st = buffer_append_str(out, i ? ",{\"name\":" : "{\"name\":");
        if (st == FERRY_OK)
            st = oip_append_string(out, infos[i].name);
        if (st == FERRY_OK)
            st = buffer_printf(out, ",\"datatype\":\"%s\",\"shape\":[",
                               ferry_dtype_name(infos[i].dtype));
        for (int d = 0; st == FERRY_OK && d < infos[i].ndim; d++)
            st = buffer_printf(out, "%s%lld", d ? "," : "", (long long)infos[i].shape[d]);
        if (st == FERRY_OK)
            st = buffer_append_str(out, "]}");
    }
    if (st == FERRY_OK)
        st = buffer_append_str(out, "]");
    return st;
}

/* `"versions":[...]`: every loaded version (just mv's when the model left the table meanwhile),
 * then `"load_error"` while a load failure stands. */
static ferry_status append_versions(buffer *out, const model_version *mv, const model_status *ms)
{
    ferry_status st = buffer_append_str(out, ",\"versions\":[");
    size_t n = ms->n_versions < MODEL_TABLE_LIST_MAX ? ms->n_versions : MODEL_TABLE_LIST_MAX;
    for (size_t i = 0; st == FERRY_OK && i < n; i++) {
        st = buffer_append_str(out, i ? "," : "");
        if (st == FERRY_OK)
            st = oip_append_string(out, ms->versions[i]);
    }
    if (st == FERRY_OK && n == 0)
        st = oip_append_string(out, mv->version);
    if (st == FERRY_OK)
        st = buffer_append_str(out, "]");
    if (st == FERRY_OK && ms->reason[0] != '\0') {
        st = buffer_append_str(out, ",\"load_error\":");
        if (st == FERRY_OK)
            st = oip_append_string(out, ms->reason);
    }
    return st;
}

static ferry_status append_model_metadata(buffer *out, const model_version *mv,
                                          const model_status *ms)
{
    ferry_status st = buffer_append_str(out, "{\"name\":");
    if (st == FERRY_OK)
        st = oip_append_string(out, mv->name);
    if (st == FERRY_OK)
        st = append_versions(out, mv, ms);
    if (st == FERRY_OK)
        st = buffer_append_str(out, ",\"platform\":");
    if (st == FERRY_OK)
        st = oip_append_string(out, mv->io.platform);
    if (st == FERRY_OK)
        st = buffer_append_str(out, ",\"inputs\":");
    if (st == FERRY_OK)
        st = append_tensor_infos(out, mv->io.inputs, mv->io.n_inputs);
    if (st == FERRY_OK)
        st = buffer_append_str(out, ",\"outputs\":");
    if (st == FERRY_OK)
        st = append_tensor_infos(out, mv->io.outputs, mv->io.n_outputs);
    if (st == FERRY_OK && mv->io.n_features > 0) {
        st = buffer_append_str(out, ",\"feature_names\":[");
        for (size_t i = 0; st == FERRY_OK && i < mv->io.n_features; i++) {
            if (i > 0)
                st = buffer_append_str(out, ",");
            if (st == FERRY_OK)
                st = oip_append_string(out, mv->io.feature_names[i]);
        }
        if (st == FERRY_OK)
            st = buffer_append_str(out, "]");
    }
    if (st == FERRY_OK)
        st = buffer_append_str(out, "}");
    return st;
}

/* Acquires the route's model version, answering the error itself on failure. */
static model_version *acquire_or_respond(rest_context *ctx, rest_exchange *ex, const route *r)
{
    model_version *mv = NULL;
    ferry_error err;
    if (model_table_acquire(ctx->models, r->name, r->has_version ? r->version : NULL, &mv, &err) !=
        FERRY_OK) {
        respond_status(ex, &err);
        return NULL;
    }
    snprintf(ex->version, sizeof ex->version, "%s", mv->version);
    return mv;
}

static void handle_model_metadata(rest_context *ctx, rest_exchange *ex, const route *r)
{
    model_version *mv = acquire_or_respond(ctx, ex, r);
    if (mv == NULL)
        return;
    model_status ms;
    if (!model_table_get(ctx->models, r->name, &ms))
        memset(&ms, 0, sizeof ms); /* removed since: list just this version */
    respond_json(ex, append_model_metadata(ex->out, mv, &ms));
    model_version_release(mv);
}

static void handle_model_ready(rest_context *ctx, rest_exchange *ex, const route *r)
{
    model_version *mv = NULL;
    ferry_error err;
    ferry_status st =
        model_table_acquire(ctx->models, r->name, r->has_version ? r->version : NULL, &mv, &err);
    if (st == FERRY_NOT_FOUND) {
        respond_status(ex, &err);
        return;
    }
    if (st != FERRY_OK) {
        respond_error(ex, 400, err.message); /* known but not ready: 400, as Triton */
        return;
    }
    model_version_release(mv);
    handle_health(ex, !atomic_load(&ctx->draining));
}

/* GET /v2/models[/{name}[/versions/{v}]]/stats (the statistics extension). */
static void handle_stats(rest_context *ctx, rest_exchange *ex, const route *r)
{
    stats_query q;
    ferry_error err;
    if (stats_query_run(ctx->models, r->name, r->has_version ? r->version : NULL, &q, &err) !=
        FERRY_OK) {
        respond_status(ex, &err);
        return;
    }
    respond_json(ex, stats_json_append(ex->out, &q));
    stats_query_free(&q);
}

/* GET /v2/models/{name}[/versions/{v}]/drift: the last completed drift window's report. */
static void handle_drift(rest_context *ctx, rest_exchange *ex, const route *r)
{
    model_version *mv = acquire_or_respond(ctx, ex, r);
    if (mv == NULL)
        return;
    if (mv->watch == NULL) {
        char message[400];
        snprintf(message, sizeof message,
                 "model '%s' version %s has no training profile (profile.json; ferry register "
                 "--data), so no drift is measured",
                 mv->name, mv->version);
        respond_error(ex, 404, message);
        model_version_release(mv);
        return;
    }
    json_t *j = model_watch_drift_json(mv->watch);
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    model_version_release(mv);
    respond_json(ex, text != NULL ? buffer_append_str(ex->out, text) : FERRY_NO_MEMORY);
    free(text);
}

/* ------------------------------------------------------------------------------------------ */
/* Inference                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static bool method_allowed(rest_exchange *ex, route_kind kind)
{
    bool post = kind == ROUTE_INFER || kind == ROUTE_FEEDBACK;
    const char *want = post ? "POST" : "GET";
    if (strcmp(ex->method, want) == 0 || (!post && strcmp(ex->method, "HEAD") == 0))
        return true;
    ex->allow = post ? "POST" : "GET, HEAD";
    respond_error(ex, 405, "Method Not Allowed");
    return false;
}

static bool content_type_is_json(const char *type)
{
    if (type == NULL || type[0] == '\0')
        return true;
    size_t n = strcspn(type, "; \t");
    return n == strlen("application/json") && strncasecmp(type, "application/json", n) == 0;
}

static void set_request_id(rest_exchange *ex, const char *id)
{
    if (id != NULL && id[0] != '\0')
        snprintf(ex->request_id, sizeof ex->request_id, "%s", id);
}

static bool content_type_is_octet_stream(const char *type)
{
    size_t n = strcspn(type, "; \t");
    return n == strlen("application/octet-stream") &&
           strncasecmp(type, "application/octet-stream", n) == 0;
}

/* Refuses a Content-Type the body cannot be; binary bodies (Inference-Header-Content-Length) may
 * come as application/octet-stream. */
static bool content_type_allowed(rest_exchange *ex)
{
    if (content_type_is_json(ex->content_type))
        return true;
    if (ex->inference_header != NULL && content_type_is_octet_stream(ex->content_type))
        return true;
    char message[320];
    const char *hint = "";
    if (content_type_is_octet_stream(ex->content_type))
        hint = " (binary tensor data needs the Inference-Header-Content-Length header)";
    else if (strncasecmp(ex->content_type, "application/x-www-form-urlencoded", 33) == 0)
        hint = " (curl -d sends this by default: add -H 'Content-Type: application/json')";
    snprintf(message, sizeof message, "unsupported Content-Type '%.100s': send application/json%s",
             ex->content_type, hint);
    respond_error(ex, 415, message);
    return false;
}

/* Parses Inference-Header-Content-Length into *len (OIP_JSON_ONLY when absent); answers 400 when
 * it is not a length within the body. */
static bool parse_inference_header(rest_exchange *ex, ssize_t *len)
{
    *len = OIP_JSON_ONLY;
    const char *h = ex->inference_header;
    if (h == NULL)
        return true;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(h, &end, 10);
    char message[200];
    if (h[0] < '0' || h[0] > '9' || *end != '\0' || errno != 0) {
        snprintf(message, sizeof message,
                 "Inference-Header-Content-Length '%.40s' is not a byte count", h);
        respond_error(ex, 400, message);
        return false;
    }
    if (v > ex->body_len) {
        snprintf(message, sizeof message,
                 "Inference-Header-Content-Length %llu is more than the body's %zu bytes", v,
                 ex->body_len);
        respond_error(ex, 400, message);
        return false;
    }
    *len = (ssize_t)v;
    return true;
}

/* Answers a finished inference (its status in st). */
static void respond_infer(rest_exchange *ex, ferry_status st, const ferry_error *err)
{
    set_request_id(ex, ex->infer.id);
    if (st != FERRY_OK && ex->call.violations != NULL) {
        respond_violations(ex, err->message, ex->call.violations);
        return;
    }
    if (st != FERRY_OK) {
        respond_status(ex, err);
        return;
    }
    respond_json(ex, FERRY_OK);
    if (ex->infer.binary) {
        ex->out_content_type = "application/octet-stream";
        ex->out_binary = true;
        ex->out_json_len = ex->infer.json_len;
    }
}

static void handle_infer(rest_exchange *ex, const route *r, infer_call *call)
{
    ssize_t header_len;
    if (!content_type_allowed(ex) || !parse_inference_header(ex, &header_len))
        return;
    ferry_error err;
    if (infer_call_acquire(call, r->name, r->has_version ? r->version : NULL, &err) != FERRY_OK) {
        respond_status(ex, &err);
        return;
    }
    snprintf(ex->version, sizeof ex->version, "%s", call->mv->version);
    call->on_done = ex->on_done;
    call->alive = ex->alive;
    call->user = ex->async_user;
    ferry_status st = oip_infer_body(call, ex->body, ex->body_len, header_len,
                                     ex->request_id_header, ex->arena, ex->out, &ex->infer, &err);
    if (st == FERRY_OK && ex->infer.pending) {
        ex->pending = true;
        return;
    }
    respond_infer(ex, st, &err);
}

static void end_infer(rest_exchange *ex)
{
    char code[16];
    snprintf(code, sizeof code, "%d", ex->status);
    infer_call_end(&ex->call, ex->status == 200, code);
}

/* Runs an inference route through the protocol-neutral call, which counts it under "rest" (a
 * wrong method is not counted). */
static void serve_infer(rest_context *ctx, rest_exchange *ex, const route *r, uint64_t start_ns)
{
    if (!ex->body_limit_exceeded && !method_allowed(ex, r->kind))
        return;
    infer_call *call = &ex->call;
    infer_call_begin(call, ctx->models, ctx->metrics, "rest", start_ns);
    snprintf(call->model, sizeof call->model, "%s", r->name);
    call->feedback = ctx->feedback;
    if (ex->body_limit_exceeded)
        respond_too_large(ex);
    else
        handle_infer(ex, r, call);
    if (!ex->pending)
        end_infer(ex);
}

void rest_finish(rest_context *ctx, rest_exchange *ex)
{
    (void)ctx;
    if (!ex->pending)
        return;
    ex->pending = false;
    ferry_error err;
    ferry_status st = oip_infer_finish(&ex->call, ex->arena, ex->out, &ex->infer, &err);
    respond_infer(ex, st, &err);
    end_infer(ex);
}

void rest_abandon(rest_exchange *ex)
{
    if (!ex->pending)
        return;
    ex->pending = false;
    ferry_error err;
    /* Its run is over (or it was dropped unrun): count it; the request fails either way. */
    if (infer_call_collect(&ex->call, &err) != FERRY_OK)
        log_debug(NULL, "abandoned request: %s", err.message);
    oip_request_free(&ex->infer.req);
    ex->status = 499; /* as nginx: the client closed the request */
    end_infer(ex);
}

/* ------------------------------------------------------------------------------------------ */
/* Dispatch                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* POST /v2/models/{name}/feedback: labels for logged predictions (see feedback.h). */
static void handle_feedback(rest_context *ctx, rest_exchange *ex, const route *r)
{
    if (ctx->feedback == NULL) {
        respond_error(ex, 503, "feedback needs the state store, which is off");
        return;
    }
    size_t labelled = 0;
    ferry_error err;
    if (feedback_hub_post(ctx->feedback, r->name, ex->body, ex->body_len, &labelled, &err) !=
        FERRY_OK) {
        respond_status(ex, &err);
        return;
    }
    respond_json(ex, buffer_printf(ex->out, "{\"labelled\":%zu}", labelled));
}

/* GET /v2/models/{name}[/versions/{v}]/performance: live metrics over the labelled windows. */
static void handle_performance(rest_context *ctx, rest_exchange *ex, const route *r)
{
    if (!model_table_contains(ctx->models, r->name)) {
        char message[300];
        snprintf(message, sizeof message, "model '%s' not found", r->name);
        respond_error(ex, 404, message);
        return;
    }
    if (ctx->feedback == NULL) {
        respond_error(ex, 503, "live performance needs the state store, which is off");
        return;
    }
    respond_json(ex, feedback_hub_performance(ctx->feedback, r->name,
                                              r->has_version ? r->version : NULL, ex->out));
}

static void handle_metrics(rest_context *ctx, rest_exchange *ex)
{
    if (metrics_render(ctx->metrics, ex->out) != FERRY_OK ||
        (ctx->feedback != NULL &&
         feedback_hub_render_metrics(ctx->feedback, ex->out) != FERRY_OK) ||
        (ctx->render_metrics != NULL &&
         ctx->render_metrics(ctx->render_metrics_cls, ex->out) != FERRY_OK)) {
        respond_error(ex, 500, "cannot render metrics");
        return;
    }
    ex->status = 200;
    ex->out_content_type = "text/plain; version=0.0.4; charset=utf-8";
}

void rest_handle(rest_context *ctx, rest_exchange *ex)
{
    uint64_t start = clock_now_ns();
    ex->status = 500;
    ex->out_content_type = NULL;
    ex->allow = NULL;
    ex->authenticate = NULL;
    ex->out_binary = false;
    ex->retry_after = NULL;
    ex->pending = false;
    ex->model[0] = '\0';
    ex->version[0] = '\0';
    set_request_id(ex, ex->request_id_header);
    if (admin_api_owns(ex->path)) {
        admin_api_handle(ctx, ex);
        return;
    }
    route r;
    parse_route(ex->path, &r);
    if (r.kind == ROUTE_NONE) {
        char message[300];
        snprintf(message, sizeof message, "no endpoint %.200s", ex->path);
        respond_error(ex, 404, message);
        return;
    }
    snprintf(ex->model, sizeof ex->model, "%s", r.name);
    if (r.kind == ROUTE_INFER) {
        serve_infer(ctx, ex, &r, start);
        return;
    }
    if (ex->body_limit_exceeded) {
        respond_too_large(ex);
        return;
    }
    if (!method_allowed(ex, r.kind))
        return;
    switch (r.kind) {
    case ROUTE_SERVER_METADATA:
        handle_server_metadata(ex);
        break;
    case ROUTE_LIVE:
        handle_health(ex, true);
        break;
    case ROUTE_READY:
        handle_health(ex, rest_server_ready(ctx));
        break;
    case ROUTE_MODEL_METADATA:
        handle_model_metadata(ctx, ex, &r);
        break;
    case ROUTE_MODEL_READY:
        handle_model_ready(ctx, ex, &r);
        break;
    case ROUTE_STATS:
        handle_stats(ctx, ex, &r);
        break;
    case ROUTE_DRIFT:
        handle_drift(ctx, ex, &r);
        break;
    case ROUTE_METRICS:
        handle_metrics(ctx, ex);
        break;
    case ROUTE_FEEDBACK:
        handle_feedback(ctx, ex, &r);
        break;
    case ROUTE_PERFORMANCE:
        handle_performance(ctx, ex, &r);
        break;
    default:
        respond_error(ex, 404, "no such endpoint");
        break;
    }
}

bool rest_has_preflight(const char *path)
{
    return admin_api_owns(path);
}

bool rest_preflight(rest_context *ctx, rest_exchange *ex)
{
    if (!admin_api_owns(ex->path))
        return false;
    ex->status = 500;
    ex->out_content_type = NULL;
    ex->allow = NULL;
    ex->authenticate = NULL;
    set_request_id(ex, ex->request_id_header);
    return admin_api_preflight(ctx, ex);
}
