/* The extension rpcs: ModelStatistics (the statistics extension) and RepositoryIndex,
 * RepositoryModelLoad and RepositoryModelUnload (the model repository extension), on the same
 * operations as their REST endpoints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/admin_auth.h"
#include "protocol/admin_repository.h"
#include "protocol/grpc_rpc_internal.h"
#include "protocol/stats_query.h"

/* ------------------------------------------------------------------------------------------ */
/* Statistics                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* A StatisticDuration in the arena; NULL when out of memory. */
static Inference__StatisticDuration *duration(arena *a, model_stats_value v)
{
    Inference__StatisticDuration *d = arena_alloc_small(a, sizeof *d);
    if (d != NULL) {
        *d = (Inference__StatisticDuration)INFERENCE__STATISTIC_DURATION__INIT;
        d->count = v.count;
        d->ns = v.ns;
    }
    return d;
}

static Inference__InferStatistics *infer_statistics(arena *a, const model_stats_snapshot *s)
{
    Inference__InferStatistics *i = arena_alloc_small(a, sizeof *i);
    if (i == NULL)
        return NULL;
    *i = (Inference__InferStatistics)INFERENCE__INFER_STATISTICS__INIT;
    i->success = duration(a, s->success);
    i->fail = duration(a, s->fail);
    i->queue = duration(a, s->queue);
    i->compute_input = duration(a, s->compute_input);
    i->compute_infer = duration(a, s->compute_infer);
    i->compute_output = duration(a, s->compute_output);
    i->cache_hit = duration(a, s->cache_hit);
    i->cache_miss = duration(a, s->cache_miss);
    bool ok = i->success && i->fail && i->queue && i->compute_input && i->compute_infer &&
              i->compute_output && i->cache_hit && i->cache_miss;
    return ok ? i : NULL;
}

static bool batch_statistics(arena *a, const model_stats_snapshot *s, Inference__ModelStatistics *m)
{
    m->batch_stats = arena_alloc_small(a, s->n_batches * sizeof *m->batch_stats + 1);
    if (m->batch_stats == NULL)
        return false;
    for (size_t i = 0; i < s->n_batches; i++) {
        Inference__InferBatchStatistics *b = arena_alloc_small(a, sizeof *b);
        if (b == NULL)
            return false;
        *b = (Inference__InferBatchStatistics)INFERENCE__INFER_BATCH_STATISTICS__INIT;
        b->batch_size = s->batches[i].batch_size;
        b->compute_input = duration(a, s->batches[i].compute_input);
        b->compute_infer = duration(a, s->batches[i].compute_infer);
        b->compute_output = duration(a, s->batches[i].compute_output);
        if (b->compute_input == NULL || b->compute_infer == NULL || b->compute_output == NULL)
            return false;
        m->batch_stats[i] = b;
    }
    m->n_batch_stats = s->n_batches;
    return true;
}

static Inference__ModelStatistics *model_statistics(arena *a, stats_entry *e)
{
    Inference__ModelStatistics *m = arena_alloc_small(a, sizeof *m);
    if (m == NULL)
        return NULL;
    *m = (Inference__ModelStatistics)INFERENCE__MODEL_STATISTICS__INIT;
    m->name = e->name;
    m->version = e->version;
    m->last_inference = e->stats.last_inference_ms;
    m->inference_count = e->stats.inference_count;
    m->execution_count = e->stats.execution_count;
    m->inference_stats = infer_statistics(a, &e->stats);
    if (m->inference_stats == NULL || !batch_statistics(a, &e->stats, m))
        return NULL;
    return m;
}

void grpc_rpc_model_statistics(rest_context *ctx, grpc_rpc_call *c)
{
    Inference__ModelStatisticsRequest *r =
        grpc_rpc_unpack(c, &inference__model_statistics_request__descriptor);
    if (r == NULL)
        return;
    snprintf(c->model, sizeof c->model, "%s", r->name ? r->name : "");
    snprintf(c->version, sizeof c->version, "%s", r->version ? r->version : "");
    stats_query q;
    ferry_error err;
    if (stats_query_run(ctx->models, r->name, r->version, &q, &err) != FERRY_OK) {
        grpc_rpc_fail_error(c, &err);
        return;
    }
    Inference__ModelStatisticsResponse resp = INFERENCE__MODEL_STATISTICS_RESPONSE__INIT;
    resp.model_stats = arena_alloc_small(c->arena, q.n * sizeof *resp.model_stats + 1);
    bool ok = resp.model_stats != NULL;
    for (size_t i = 0; ok && i < q.n; i++)
        ok = (resp.model_stats[i] = model_statistics(c->arena, &q.entries[i])) != NULL;
    resp.n_model_stats = ok ? q.n : 0;
    if (ok)
        grpc_rpc_reply(c, &resp.base);
    else
        grpc_rpc_fail(c, GRPC_STATUS_INTERNAL, "out of memory encoding statistics");
    stats_query_free(&q);
}

/* ------------------------------------------------------------------------------------------ */
/* Model repository                                                                             */
/* ------------------------------------------------------------------------------------------ */

/* The admin API's rule: loopback clients when no admin token is configured, else every client
 * that sends `authorization: Bearer TOKEN` metadata. Fails the call and returns false otherwise. */
static bool admin_allowed(rest_context *ctx, grpc_rpc_call *c)
{
    switch (admin_auth_check(ctx->admin_token, c->authorization, c->peer)) {
    case ADMIN_AUTH_OK:
        return true;
    case ADMIN_AUTH_NO_TOKEN:
        grpc_rpc_fail(c, GRPC_STATUS_UNAUTHENTICATED,
                      "the repository rpcs need the admin token: send the metadata "
                      "'authorization: Bearer TOKEN'");
        return false;
    case ADMIN_AUTH_BAD_TOKEN:
        grpc_rpc_fail(c, GRPC_STATUS_UNAUTHENTICATED, "the admin token does not match");
        return false;
    case ADMIN_AUTH_NOT_LOOPBACK:
    default:
        grpc_rpc_fail(c, GRPC_STATUS_PERMISSION_DENIED,
                      "the repository rpcs answer only loopback clients unless the server runs "
                      "with --admin-token");
        return false;
    }
}

/* An empty repository_name means this server's; another must be its name. */
static bool repository_matches(rest_context *ctx, grpc_rpc_call *c, const char *name)
{
    char own[256];
    if (!grpc_rpc_given(name) || admin_repository_is_ours(ctx, name, own, sizeof own))
        return true;
    grpc_rpc_fail(c, GRPC_STATUS_NOT_FOUND, "no model repository '%.200s' (this server has %s%s%s)",
                  name, ctx->repo ? "one: '" : "none", ctx->repo ? own : "", ctx->repo ? "'" : "");
    return false;
}

void grpc_rpc_repository_index(rest_context *ctx, grpc_rpc_call *c)
{
    Inference__RepositoryIndexRequest *r =
        grpc_rpc_unpack(c, &inference__repository_index_request__descriptor);
    if (r == NULL || !admin_allowed(ctx, c) || !repository_matches(ctx, c, r->repository_name))
        return;
    admin_index_entry *entries = NULL;
    size_t n = 0;
    ferry_error err;
    if (admin_repository_list(ctx, r->ready, &entries, &n, &err) != FERRY_OK) {
        grpc_rpc_fail_error(c, &err);
        return;
    }
    typedef Inference__RepositoryIndexResponse__ModelIndex model_index;
    model_index *items = arena_alloc_small(c->arena, n * sizeof *items + 1);
    model_index **list = arena_alloc_small(c->arena, n * sizeof *list + 1);
    Inference__RepositoryIndexResponse resp = INFERENCE__REPOSITORY_INDEX_RESPONSE__INIT;
    for (size_t i = 0; items != NULL && list != NULL && i < n; i++) {
        items[i] = (model_index)INFERENCE__REPOSITORY_INDEX_RESPONSE__MODEL_INDEX__INIT;
        items[i].name = entries[i].name;
        items[i].version = entries[i].version;
        items[i].state = (char *)entries[i].state;
        items[i].reason = entries[i].reason;
        list[i] = &items[i];
    }
    resp.models = list;
    resp.n_models = items != NULL && list != NULL ? n : 0;
    if (items != NULL && list != NULL)
        grpc_rpc_reply(c, &resp.base);
    else
        grpc_rpc_fail(c, GRPC_STATUS_INTERNAL, "out of memory listing models");
    free(entries);
}

/* The key (field 1) of a map entry message; "" when it has none. */
static const char *entry_key(const ProtobufCMessage *entry)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(entry->descriptor, 1);
    if (f == NULL || f->type != PROTOBUF_C_TYPE_STRING)
        return "";
    const char *key = *(const char *const *)((const char *)entry + f->offset);
    return key != NULL ? key : "";
}

/* Load and unload share their request's shape: repository_name, model_name and a parameters map
 * (whose entries are passed as the generic messages they are). */
static void set_load(rest_context *ctx, grpc_rpc_call *c, const char *repository_name,
                     const char *model_name, ProtobufCMessage *const *params, size_t n_params,
                     bool load)
{
    if (!admin_allowed(ctx, c) || !repository_matches(ctx, c, repository_name))
        return;
    snprintf(c->model, sizeof c->model, "%s", model_name ? model_name : "");
    if (!repository_valid_model_name(c->model)) {
        grpc_rpc_fail(c, GRPC_STATUS_INVALID_ARGUMENT,
                      "'%.200s' is not a valid model name (1-127 characters of A-Z a-z 0-9 _ . -, "
                      "not starting with '.')",
                      c->model);
        return;
    }
    ferry_error err;
    for (size_t i = 0; i < n_params; i++) {
        if (admin_repository_check_parameter(entry_key(params[i]), &err) != FERRY_OK) {
            grpc_rpc_fail_error(c, &err);
            return;
        }
    }
    char actor[ADMIN_AUTH_ACTOR_MAX];
    admin_auth_actor(c->peer, actor, sizeof actor);
    if (admin_repository_set_load(ctx, c->model, load, actor, &err) != FERRY_OK) {
        grpc_rpc_fail_error(c, &err);
        return;
    }
    Inference__RepositoryModelLoadResponse resp = INFERENCE__REPOSITORY_MODEL_LOAD_RESPONSE__INIT;
    grpc_rpc_reply(c, &resp.base); /* an empty message, as the unload response */
}

void grpc_rpc_repository_load(rest_context *ctx, grpc_rpc_call *c)
{
    Inference__RepositoryModelLoadRequest *r =
        grpc_rpc_unpack(c, &inference__repository_model_load_request__descriptor);
    if (r != NULL)
        set_load(ctx, c, r->repository_name, r->model_name,
                 (ProtobufCMessage *const *)r->parameters, r->n_parameters, true);
}

void grpc_rpc_repository_unload(rest_context *ctx, grpc_rpc_call *c)
{
    Inference__RepositoryModelUnloadRequest *r =
        grpc_rpc_unpack(c, &inference__repository_model_unload_request__descriptor);
    if (r != NULL)
        set_load(ctx, c, r->repository_name, r->model_name,
                 (ProtobufCMessage *const *)r->parameters, r->n_parameters, false);
}
