/* The core rpcs (health, metadata, ModelInfer) and the dispatch; see grpc_rpc.h. */
#include "protocol/grpc_rpc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/uuid.h"
#include "protocol/grpc_codec.h"
#include "protocol/grpc_codes.h"
#include "protocol/grpc_rpc_internal.h"
#include "protocol/infer_call.h"
#include "protocol/server_metadata.h"

/* ------------------------------------------------------------------------------------------ */
/* Shared helpers                                                                               */
/* ------------------------------------------------------------------------------------------ */

bool grpc_rpc_given(const char *s)
{
    return s != NULL && s[0] != '\0';
}

void grpc_rpc_fail(grpc_rpc_call *c, grpc_status_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->message, sizeof c->message, fmt, ap);
    va_end(ap);
    c->status = code;
}

void grpc_rpc_fail_error(grpc_rpc_call *c, const ferry_error *err)
{
    grpc_rpc_fail(c, grpc_codes_for(err->code), "%s", err->message);
}

void *grpc_rpc_unpack(grpc_rpc_call *c, const ProtobufCMessageDescriptor *d)
{
    static const uint8_t empty[1];
    ProtobufCAllocator alloc = grpc_codec_allocator(c->arena);
    ProtobufCMessage *m = protobuf_c_message_unpack(d, &alloc, c->request_len,
                                                    c->request != NULL ? c->request : empty);
    if (m == NULL)
        grpc_rpc_fail(c, GRPC_STATUS_INVALID_ARGUMENT, "cannot parse the request as %s", d->name);
    return m;
}

void grpc_rpc_reply(grpc_rpc_call *c, const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    if (buffer_reserve(c->reply, n) != FERRY_OK) {
        grpc_rpc_fail(c, GRPC_STATUS_RESOURCE_EXHAUSTED,
                      "the reply (%zu bytes) exceeds the largest message ferry sends", n);
        return;
    }
    protobuf_c_message_pack(m, (uint8_t *)c->reply->data + c->reply->len);
    c->reply->len += n;
    c->status = GRPC_STATUS_OK;
    c->message[0] = '\0';
}

/* ------------------------------------------------------------------------------------------ */
/* Health and server metadata                                                                   */
/* ------------------------------------------------------------------------------------------ */

static void server_live(rest_context *ctx, grpc_rpc_call *c)
{
    (void)ctx;
    if (grpc_rpc_unpack(c, &inference__server_live_request__descriptor) == NULL)
        return;
    Inference__ServerLiveResponse resp = INFERENCE__SERVER_LIVE_RESPONSE__INIT;
    resp.live = 1;
    grpc_rpc_reply(c, &resp.base);
}

static void server_ready(rest_context *ctx, grpc_rpc_call *c)
{
    if (grpc_rpc_unpack(c, &inference__server_ready_request__descriptor) == NULL)
        return;
    Inference__ServerReadyResponse resp = INFERENCE__SERVER_READY_RESPONSE__INIT;
    resp.ready = rest_server_ready(ctx);
    grpc_rpc_reply(c, &resp.base);
}

/* Unknown model or version: NOT_FOUND; known but not ready: OK with ready false (spec 4.4). */
static void model_ready(rest_context *ctx, grpc_rpc_call *c)
{
    Inference__ModelReadyRequest *r =
        grpc_rpc_unpack(c, &inference__model_ready_request__descriptor);
    if (r == NULL)
        return;
    if (!grpc_rpc_given(r->name)) {
        grpc_rpc_fail(c, GRPC_STATUS_INVALID_ARGUMENT, "ModelReady needs a model name");
        return;
    }
    snprintf(c->model, sizeof c->model, "%s", r->name);
    model_version *mv = NULL;
    ferry_error err;
    ferry_status st = model_table_acquire(
        ctx->models, r->name, grpc_rpc_given(r->version) ? r->version : NULL, &mv, &err);
    if (st == FERRY_NOT_FOUND) {
        grpc_rpc_fail_error(c, &err);
        return;
    }
    Inference__ModelReadyResponse resp = INFERENCE__MODEL_READY_RESPONSE__INIT;
    resp.ready = st == FERRY_OK && !atomic_load(&ctx->draining);
    if (mv != NULL)
        snprintf(c->version, sizeof c->version, "%s", mv->version);
    model_version_release(mv);
    grpc_rpc_reply(c, &resp.base);
}

static void server_metadata(rest_context *ctx, grpc_rpc_call *c)
{
    (void)ctx;
    if (grpc_rpc_unpack(c, &inference__server_metadata_request__descriptor) == NULL)
        return;
#define EXTENSION_NAME(name) name,
    static const char *const extensions[] = {SERVER_METADATA_EXTENSIONS(EXTENSION_NAME)};
#undef EXTENSION_NAME
    Inference__ServerMetadataResponse resp = INFERENCE__SERVER_METADATA_RESPONSE__INIT;
    resp.name = SERVER_METADATA_NAME;
    resp.version = FERRY_VERSION;
    resp.n_extensions = sizeof extensions / sizeof extensions[0];
    resp.extensions = (char **)extensions;
    grpc_rpc_reply(c, &resp.base);
}

/* ------------------------------------------------------------------------------------------ */
/* Model metadata                                                                               */
/* ------------------------------------------------------------------------------------------ */

typedef Inference__ModelMetadataResponse__TensorMetadata tensor_metadata;

/* TensorMetadata for each of infos[0..n) in an arena array; NULL when out of memory. */
static tensor_metadata **tensor_list(arena *a, const ferry_tensor_info *infos, size_t n)
{
    tensor_metadata *items = arena_alloc(a, n * sizeof *items + 1);
    tensor_metadata **list = arena_alloc(a, n * sizeof *list + 1);
    if (items == NULL || list == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        items[i] = (tensor_metadata)INFERENCE__MODEL_METADATA_RESPONSE__TENSOR_METADATA__INIT;
        items[i].name = (char *)infos[i].name;
        items[i].datatype = (char *)ferry_dtype_name(infos[i].dtype);
        items[i].n_shape = (size_t)infos[i].ndim;
        items[i].shape = (int64_t *)infos[i].shape;
        list[i] = &items[i];
    }
    return list;
}

/* Every loaded version (just mv's when the model left the table meanwhile). */
static char **version_list(rest_context *ctx, grpc_rpc_call *c, model_version *mv, size_t *n)
{
    model_status *ms = arena_alloc(c->arena, sizeof *ms);
    char **list = arena_alloc(c->arena, MODEL_TABLE_LIST_MAX * sizeof *list);
    if (ms == NULL || list == NULL)
        return NULL;
    if (!model_table_get(ctx->models, mv->name, ms) || ms->n_versions == 0) {
        list[0] = mv->version;
        *n = 1;
        return list;
    }
    *n = ms->n_versions < MODEL_TABLE_LIST_MAX ? ms->n_versions : MODEL_TABLE_LIST_MAX;
    for (size_t i = 0; i < *n; i++)
        list[i] = ms->versions[i];
    return list;
}

static void model_metadata(rest_context *ctx, grpc_rpc_call *c)
{
    Inference__ModelMetadataRequest *r =
        grpc_rpc_unpack(c, &inference__model_metadata_request__descriptor);
    if (r == NULL)
        return;
    snprintf(c->model, sizeof c->model, "%s", r->name ? r->name : "");
    model_version *mv = NULL;
    ferry_error err;
    if (model_table_acquire(ctx->models, c->model, grpc_rpc_given(r->version) ? r->version : NULL,
                            &mv, &err) != FERRY_OK) {
        grpc_rpc_fail_error(c, &err);
        return;
    }
    snprintf(c->version, sizeof c->version, "%s", mv->version);
    Inference__ModelMetadataResponse resp = INFERENCE__MODEL_METADATA_RESPONSE__INIT;
    resp.name = mv->name;
    resp.platform = (char *)mv->io.platform;
    resp.versions = version_list(ctx, c, mv, &resp.n_versions);
    resp.inputs = tensor_list(c->arena, mv->io.inputs, mv->io.n_inputs);
    resp.n_inputs = mv->io.n_inputs;
    resp.outputs = tensor_list(c->arena, mv->io.outputs, mv->io.n_outputs);
    resp.n_outputs = mv->io.n_outputs;
    if (resp.versions == NULL || resp.inputs == NULL || resp.outputs == NULL)
        grpc_rpc_fail(c, GRPC_STATUS_INTERNAL, "model '%s': out of memory", mv->name);
    else
        grpc_rpc_reply(c, &resp.base);
    model_version_release(mv);
}

/* ------------------------------------------------------------------------------------------ */
/* Inference                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* The request's `timeout` parameter (int64 microseconds, as Triton) into call->timeout_us. */
static ferry_status read_timeout(const Inference__ModelInferRequest *r, infer_call *call,
                                 ferry_error *err)
{
    for (size_t i = 0; i < r->n_parameters; i++) {
        const Inference__ModelInferRequest__ParametersEntry *e = r->parameters[i];
        if (e == NULL || e->key == NULL || strcmp(e->key, "timeout") != 0)
            continue;
        const Inference__InferParameter *v = e->value;
        bool ok = v != NULL && ((v->parameter_choice_case ==
                                     INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_INT64_PARAM &&
                                 v->int64_param >= 0) ||
                                v->parameter_choice_case ==
                                    INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_UINT64_PARAM);
        if (!ok)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "parameter 'timeout' must be a non-negative int64_param "
                                   "(microseconds)");
        call->timeout_us =
            v->parameter_choice_case == INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_INT64_PARAM
                ? (uint64_t)v->int64_param
                : v->uint64_param;
    }
    return FERRY_OK;
}

/* Encodes a run's outputs as the reply. */
static void reply_outputs(grpc_rpc_call *c, infer_call *call, const infer_outputs *out)
{
    Inference__ModelInferResponse resp = INFERENCE__MODEL_INFER_RESPONSE__INIT;
    ferry_error err;
    if (grpc_codec_encode_outputs(out->tensors, out->n, c->arena, &resp, &err) != FERRY_OK) {
        grpc_rpc_fail_error(c, &err);
        return;
    }
    resp.model_name = call->mv->name;
    resp.model_version = call->mv->version;
    resp.id = c->request_id;
    grpc_rpc_reply(c, &resp.base);
}

/* Decodes and runs (or parks); the call is counted by the caller unless parked. */
static void run_infer(grpc_rpc_call *c, const Inference__ModelInferRequest *r, infer_call *call,
                      infer_outputs *out)
{
    snprintf(c->model, sizeof c->model, "%s", r->model_name ? r->model_name : "");
    snprintf(c->request_id, sizeof c->request_id, "%s", r->id ? r->id : "");
    call->id_generated = c->request_id[0] == '\0';
    if (call->id_generated)
        uuid_v7(c->request_id); /* every response carries an id that feedback can name */
    call->id = c->request_id;
    if (c->model[0] == '\0') {
        grpc_rpc_fail(c, GRPC_STATUS_INVALID_ARGUMENT, "ModelInfer needs a model_name");
        return;
    }
    ferry_error err;
    ferry_status st = infer_call_acquire(call, r->model_name, r->model_version, &err);
    if (st != FERRY_OK) {
        grpc_rpc_fail_error(c, &err);
        return;
    }
    snprintf(c->version, sizeof c->version, "%s", call->mv->version);
    ferry_tensor *inputs = NULL;
    const char **names = NULL;
    st = read_timeout(r, call, &err);
    if (st == FERRY_OK)
        st = grpc_codec_decode_inputs(r, c->arena, &inputs, &err);
    if (st == FERRY_OK)
        st = grpc_codec_output_names(r, c->arena, &names, &err);
    if (st == FERRY_OK)
        st = infer_call_run(call, inputs, r->n_inputs, names, r->n_outputs, c->arena, out, &err);
    if (st != FERRY_OK) {
        grpc_rpc_fail_error(c, &err);
        return;
    }
    if (call->pending) {
        c->parked = true;
        return;
    }
    reply_outputs(c, call, out);
}

static void model_infer(rest_context *ctx, grpc_rpc_call *c)
{
    infer_call local, *call = c->park != NULL ? &c->park->call : &local;
    infer_outputs local_out, *out = c->park != NULL ? &c->park->out : &local_out;
    infer_call_begin(call, ctx->models, ctx->metrics, "grpc", c->start_ns);
    call->feedback = ctx->feedback;
    if (c->park != NULL) {
        call->on_done = c->park->on_done;
        call->alive = c->park->alive;
        call->user = c->park->user;
    }
    Inference__ModelInferRequest *r =
        grpc_rpc_unpack(c, &inference__model_infer_request__descriptor);
    if (r != NULL)
        run_infer(c, r, call, out);
    if (!c->parked)
        infer_call_end(call, c->status == GRPC_STATUS_OK, grpc_codes_name(c->status));
}

void grpc_rpc_infer_resume(grpc_rpc_call *c)
{
    infer_call *call = &c->park->call;
    ferry_error err;
    c->parked = false;
    if (infer_call_collect(call, &err) != FERRY_OK)
        grpc_rpc_fail_error(c, &err);
    else
        reply_outputs(c, call, &c->park->out);
    infer_call_end(call, c->status == GRPC_STATUS_OK, grpc_codes_name(c->status));
}

/* ------------------------------------------------------------------------------------------ */
/* Dispatch                                                                                     */
/* ------------------------------------------------------------------------------------------ */

typedef void (*rpc_handler)(rest_context *ctx, grpc_rpc_call *c);

static const rpc_handler handlers[GRPC_RPC_COUNT] = {
    [GRPC_RPC_SERVER_LIVE] = server_live,
    [GRPC_RPC_SERVER_READY] = server_ready,
    [GRPC_RPC_MODEL_READY] = model_ready,
    [GRPC_RPC_SERVER_METADATA] = server_metadata,
    [GRPC_RPC_MODEL_METADATA] = model_metadata,
    [GRPC_RPC_MODEL_INFER] = model_infer,
    [GRPC_RPC_MODEL_STATISTICS] = grpc_rpc_model_statistics,
    [GRPC_RPC_REPOSITORY_INDEX] = grpc_rpc_repository_index,
    [GRPC_RPC_REPOSITORY_MODEL_LOAD] = grpc_rpc_repository_load,
    [GRPC_RPC_REPOSITORY_MODEL_UNLOAD] = grpc_rpc_repository_unload,
};

static const char *const paths[GRPC_RPC_COUNT] = {
#define GRPC_RPC_PATH(id, name) [GRPC_RPC_##id] = "/" GRPC_RPC_SERVICE "/" name,
    GRPC_RPC_LIST(GRPC_RPC_PATH)
#undef GRPC_RPC_PATH
};

const char *grpc_rpc_path(grpc_rpc_method method)
{
    return (unsigned)method < GRPC_RPC_COUNT ? paths[method] : "";
}

void grpc_rpc_handle(rest_context *ctx, grpc_rpc_call *call)
{
    call->status = GRPC_STATUS_INTERNAL;
    call->message[0] = '\0';
    call->model[0] = '\0';
    call->version[0] = '\0';
    call->request_id[0] = '\0';
    call->parked = false;
    if ((unsigned)call->method >= GRPC_RPC_COUNT) {
        grpc_rpc_fail(call, GRPC_STATUS_UNIMPLEMENTED, "no such rpc");
        return;
    }
    handlers[call->method](ctx, call);
}
