/* gRPC core glue; see grpc_frontend.h.
 *
 * Every rpc is a registered method whose request message arrives with the call
 * (GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER). Each method has a fixed set of slots; a slot is
 * armed with grpc_server_request_registered_call, and when its call arrives the polling thread that
 * dequeues it runs the rpc inline and answers in one batch (initial metadata, message, status,
 * close). When that batch completes the slot re-arms. Calls to other methods land on generic slots
 * (grpc_server_request_call) and are answered UNIMPLEMENTED. So a warm server allocates nothing per
 * call but the reply message.
 *
 * A ModelInfer that must wait in a scheduler's queue does not hold its polling thread: the call
 * parks in its slot (which has its own arena for the decoded request), and when a worker pool
 * thread has run it, the pool thread starts an empty batch on the call, whose completion comes
 * back through the completion queue to a polling thread that encodes and sends the answer. */
#include "protocol/grpc_frontend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/log.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/thread_name.h"
#include "protocol/grpc_codes.h"
#include "protocol/grpc_rpc.h"

#define REPLY_LIMIT      (1024u * 1024u * 1024u)
#define SLOTS_PER_METHOD 8
#define INFER_SLOTS      256 /* ModelInfer calls in progress at once, queued ones included */
#define GENERIC_SLOTS    2
#define THREADS_MAX      64

typedef enum tag_kind { TAG_SLOT, TAG_SHUTDOWN } tag_kind;

/* A ModelInfer's hand-off between the polling thread that parks it and the pool thread that
 * finishes it: whichever comes second makes sure it is answered. */
enum park_state { PARK_RUNNING, PARK_PARKED, PARK_DONE };

/* One armed request for a call of one method, then that call while it is answered. */
typedef struct slot {
    tag_kind kind; /* first: completion events carry a pointer to it */
    grpc_frontend *f;
    int method;       /* a grpc_rpc_method, or -1 for a generic slot */
    void *registered; /* grpc_server_register_method's handle; NULL for a generic slot */
    bool armed, sending;
    grpc_call *call;
    gpr_timespec deadline;
    grpc_call_details details; /* generic slots */
    grpc_metadata_array metadata;
    grpc_byte_buffer *payload;
    grpc_byte_buffer *reply;
    int cancelled;
    /* ModelInfer: a queued call parks here, holding no thread, until the worker pool ran it. */
    arena scratch; /* the call's decoded request and outputs */
    grpc_slice merged;
    grpc_rpc_call rc;
    grpc_rpc_park park;
    atomic_int park_state; /* a park_state: who answers a parked call */
    bool parked, resuming;
} slot;

/* What one polling thread reuses from call to call. */
typedef struct worker {
    grpc_frontend *f;
    pthread_t thread;
    bool started;
    arena scratch;
    buffer reply;
} worker;

struct grpc_frontend {
    rest_context *ctx;
    grpc_server *server;
    grpc_completion_queue *cq;
    uint16_t port;
    size_t max_message;
    unsigned n_workers;
    worker workers[THREADS_MAX];
    slot *slots;
    size_t n_slots;
    tag_kind shutdown_tag;
    bool started; /* grpc_server_start was called */
    atomic_bool stopping;
    atomic_uint in_flight;
    pthread_mutex_t lock;
    pthread_cond_t shutdown_cond;
    bool shutdown_sent, shutdown_done;
};

/* ------------------------------------------------------------------------------------------ */
/* gRPC's own log lines, as ours                                                                */
/* ------------------------------------------------------------------------------------------ */

static void on_grpc_log(gpr_log_func_args *args)
{
    log_level level = args->severity == GPR_LOG_SEVERITY_ERROR  ? LOG_WARN
                      : args->severity == GPR_LOG_SEVERITY_INFO ? LOG_INFO
                                                                : LOG_DEBUG;
    log_write(level, NULL, "grpc: %s", args->message);
}

/* ------------------------------------------------------------------------------------------ */
/* Slots                                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* Arms the slot for its method's next call; false when the server refuses (it is shutting down). */
static bool slot_arm(slot *s)
{
    grpc_frontend *f = s->f;
    if (atomic_load(&f->stopping))
        return false;
    s->call = NULL;
    s->payload = NULL;
    s->reply = NULL;
    s->cancelled = 0;
    grpc_metadata_array_init(&s->metadata);
    grpc_call_error e;
    if (s->registered != NULL) {
        e = grpc_server_request_registered_call(f->server, s->registered, &s->call, &s->deadline,
                                                &s->metadata, &s->payload, f->cq, f->cq, s);
    } else {
        grpc_call_details_init(&s->details);
        e = grpc_server_request_call(f->server, &s->call, &s->details, &s->metadata, f->cq, f->cq,
                                     s);
    }
    s->armed = e == GRPC_CALL_OK;
    if (!s->armed) {
        grpc_metadata_array_destroy(&s->metadata);
        if (s->registered == NULL)
            grpc_call_details_destroy(&s->details);
    }
    return s->armed;
}

/* Frees what the slot's last call left (after its reply batch or a failed arm). */
static void slot_clear(slot *s)
{
    if (s->reply != NULL)
        grpc_byte_buffer_destroy(s->reply);
    if (s->payload != NULL)
        grpc_byte_buffer_destroy(s->payload);
    grpc_metadata_array_destroy(&s->metadata);
    if (s->registered == NULL)
        grpc_call_details_destroy(&s->details);
    if (s->call != NULL)
        grpc_call_unref(s->call);
    grpc_slice_unref(s->merged);
    s->merged = grpc_empty_slice();
    s->parked = s->resuming = false;
    s->reply = NULL;
    s->payload = NULL;
    s->call = NULL;
    s->armed = false;
    s->sending = false;
}

/* ------------------------------------------------------------------------------------------ */
/* One call                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* The request message as one contiguous block: the payload's only slice when it has one (the
 * usual case), else a merged copy in *merged, which the caller unrefs. */
static const uint8_t *request_bytes(grpc_byte_buffer *payload, grpc_slice *merged, size_t *len)
{
    *merged = grpc_empty_slice();
    *len = 0;
    if (payload == NULL)
        return NULL;
    if (payload->type == GRPC_BB_RAW && payload->data.raw.compression == GRPC_COMPRESS_NONE &&
        payload->data.raw.slice_buffer.count == 1) {
        grpc_slice only = payload->data.raw.slice_buffer.slices[0];
        *len = GRPC_SLICE_LENGTH(only);
        return GRPC_SLICE_START_PTR(only);
    }
    grpc_byte_buffer_reader reader;
    if (!grpc_byte_buffer_reader_init(&reader, payload))
        return NULL;
    *merged = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    *len = GRPC_SLICE_LENGTH(*merged);
    return GRPC_SLICE_START_PTR(*merged);
}

/* The value of metadata `key` copied into buf (NUL-terminated); NULL when absent. */
static const char *metadata_value(const grpc_metadata_array *md, const char *key, char *buf,
                                  size_t len)
{
    for (size_t i = 0; i < md->count; i++) {
        const grpc_slice *k = &md->metadata[i].key;
        if (GRPC_SLICE_LENGTH(*k) != strlen(key) ||
            memcmp(GRPC_SLICE_START_PTR(*k), key, strlen(key)) != 0)
            continue;
        size_t n = GRPC_SLICE_LENGTH(md->metadata[i].value);
        if (n >= len)
            n = len - 1;
        memcpy(buf, GRPC_SLICE_START_PTR(md->metadata[i].value), n);
        buf[n] = '\0';
        return buf;
    }
    return NULL;
}

/* Parses gRPC's peer string ("ipv4:127.0.0.1:5000", "ipv6:[::1]:5000", brackets maybe
 * percent-encoded) into an address; false for anything else (unix sockets, unknown forms). */
static bool parse_peer(const char *peer, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof *out);
    char host[INET6_ADDRSTRLEN + 8];
    if (peer == NULL)
        return false;
    if (strncmp(peer, "ipv4:", 5) == 0) {
        const char *colon = strrchr(peer + 5, ':');
        size_t n = colon != NULL ? (size_t)(colon - (peer + 5)) : strlen(peer + 5);
        if (n >= sizeof host)
            return false;
        memcpy(host, peer + 5, n);
        host[n] = '\0';
        struct sockaddr_in *in = (struct sockaddr_in *)out;
        in->sin_family = AF_INET;
        return inet_pton(AF_INET, host, &in->sin_addr) == 1;
    }
    if (strncmp(peer, "ipv6:", 5) != 0)
        return false;
    const char *p = peer + 5;
    size_t skip = p[0] == '[' ? 1 : strncmp(p, "%5B", 3) == 0 ? 3 : 0;
    const char *end = skip == 1 ? strchr(p, ']') : skip == 3 ? strstr(p, "%5D") : NULL;
    if (end == NULL || (size_t)(end - p - skip) >= sizeof host)
        return false;
    memcpy(host, p + skip, (size_t)(end - p - skip));
    host[end - p - skip] = '\0';
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
    in6->sin6_family = AF_INET6;
    return inet_pton(AF_INET6, host, &in6->sin6_addr) == 1;
}

/* The rpcs that check access as the admin API does (peer address, authorization metadata). */
static bool needs_peer(grpc_rpc_method m)
{
    return m == GRPC_RPC_REPOSITORY_INDEX || m == GRPC_RPC_REPOSITORY_MODEL_LOAD ||
           m == GRPC_RPC_REPOSITORY_MODEL_UNLOAD;
}

static void log_access(const grpc_rpc_call *rc, const char *path)
{
    if (!log_enabled(LOG_INFO))
        return;
    log_fields fields = {.model = rc->model[0] ? rc->model : NULL,
                         .version = rc->version[0] ? rc->version : NULL,
                         .request_id = rc->request_id[0] ? rc->request_id : NULL,
                         .method = "POST",
                         .path = path,
                         .protocol = "grpc",
                         .status = (int)rc->status,
                         .latency_ms = (double)(clock_now_ns() - rc->start_ns) / 1e6,
                         .has_latency = true};
    log_info(&fields, "request");
}

static bool slot_alive(void *user)
{
    slot *s = user;
    return gpr_time_cmp(gpr_now(s->deadline.clock_type), s->deadline) < 0;
}

/* On a worker pool thread: the parked call ran (or was dropped). An empty batch posts the slot
 * to the completion queue at once, so that a polling thread answers. */
static void slot_ready(void *user)
{
    slot *s = user;
    if (atomic_exchange(&s->park_state, PARK_DONE) != PARK_PARKED)
        return; /* the polling thread has not let go of the call yet: it answers */
    s->resuming = true;
    if (grpc_call_start_batch(s->call, NULL, 0, s, NULL) != GRPC_CALL_OK)
        log_error(NULL, "grpc: cannot hand a queued call back to the completion queue");
}

/* Runs a registered method's rpc into s->rc; the reply (when OK) lands in w->reply. */
static void run_rpc(worker *w, slot *s, uint64_t start_ns)
{
    grpc_frontend *f = w->f;
    size_t len = 0;
    const uint8_t *bytes = request_bytes(s->payload, &s->merged, &len);
    struct sockaddr_storage peer;
    char authorization[1024];
    bool admin = needs_peer((grpc_rpc_method)s->method);
    bool infer = s->method == GRPC_RPC_MODEL_INFER;
    char *peer_text = admin ? grpc_call_get_peer(s->call) : NULL;
    s->park = (grpc_rpc_park){.on_done = slot_ready, .alive = slot_alive, .user = s};
    atomic_store(&s->park_state, PARK_RUNNING);
    s->rc = (grpc_rpc_call){
        .method = (grpc_rpc_method)s->method,
        .request = bytes,
        .request_len = len,
        .start_ns = start_ns,
        .peer = admin && parse_peer(peer_text, &peer) ? (const struct sockaddr *)&peer : NULL,
        .authorization = admin ? metadata_value(&s->metadata, "authorization", authorization,
                                                sizeof authorization)
                               : NULL,
        .arena = infer ? &s->scratch : &w->scratch,
        .reply = &w->reply,
        .park = infer ? &s->park : NULL,
    };
    grpc_rpc_handle(f->ctx, &s->rc);
    gpr_free(peer_text);
    s->parked = s->rc.parked;
    if (!s->parked)
        log_access(&s->rc, grpc_rpc_path(s->rc.method));
}

/* The reply message as a byte buffer that owns w->reply's memory. */
static grpc_byte_buffer *take_reply(worker *w)
{
    size_t len = 0;
    char *data = buffer_take(&w->reply, &len);
    grpc_slice slice = data != NULL ? grpc_slice_new(data, len, free) : grpc_empty_slice();
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
    grpc_slice_unref(slice);
    return bb;
}

/* Sends the answer in one batch; the batch's completion comes back to the slot. */
static bool send_answer(worker *w, slot *s, grpc_status_code status, const char *message)
{
    grpc_op ops[4];
    memset(ops, 0, sizeof ops);
    size_t n = 0;
    ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
    if (status == GRPC_STATUS_OK) {
        s->reply = take_reply(w);
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n++].data.send_message.send_message = s->reply;
    }
    grpc_slice details = grpc_slice_from_copied_string(message);
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = status;
    ops[n++].data.send_status_from_server.status_details =
        status != GRPC_STATUS_OK ? &details : NULL;
    ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[n++].data.recv_close_on_server.cancelled = &s->cancelled;
    /* Marked before the batch starts, and the slot left alone once it started: another polling
     * thread may dequeue its completion (and re-arm the slot) before start_batch even returns. */
    s->sending = true;
    grpc_call_error e = grpc_call_start_batch(s->call, ops, n, s, NULL);
    grpc_slice_unref(details);
    if (e != GRPC_CALL_OK)
        s->sending = false; /* no completion will come */
    return e == GRPC_CALL_OK;
}

/* Answers the slot's call from s->rc (and w->reply); re-arms the slot when that fails. */
static void answer(worker *w, slot *s, const char *message)
{
    arena_reset(s->rc.arena);
    grpc_slice_unref(s->merged);
    s->merged = grpc_empty_slice();
    if (!send_answer(w, s, s->rc.status, message)) {
        log_warn(NULL, "grpc: cannot answer a call");
        atomic_fetch_sub(&w->f->in_flight, 1);
        slot_clear(s);
        slot_arm(s);
    }
}

/* A parked ModelInfer has run (or was dropped): encode and send its answer here. */
static void on_resume(worker *w, slot *s)
{
    s->resuming = false;
    s->parked = false;
    buffer_reset(&w->reply);
    s->rc.reply = &w->reply;
    grpc_rpc_infer_resume(&s->rc);
    log_access(&s->rc, grpc_rpc_path(s->rc.method));
    char message[FERRY_ERROR_MESSAGE_MAX];
    snprintf(message, sizeof message, "%s", s->rc.message);
    answer(w, s, message);
}

static void on_call(worker *w, slot *s)
{
    grpc_frontend *f = w->f;
    uint64_t start_ns = clock_now_ns();
    atomic_fetch_add(&f->in_flight, 1);
    buffer_reset(&w->reply);
    char message[FERRY_ERROR_MESSAGE_MAX + 64];
    if (s->registered != NULL) {
        run_rpc(w, s, start_ns);
        int running = PARK_RUNNING;
        if (s->parked && atomic_compare_exchange_strong(&s->park_state, &running, PARK_PARKED))
            return;      /* the pool thread hands it back */
        if (s->parked) { /* it ran before this thread let go of it */
            on_resume(w, s);
            return;
        }
        snprintf(message, sizeof message, "%s", s->rc.message);
    } else {
        s->rc.status = GRPC_STATUS_UNIMPLEMENTED;
        s->rc.arena = &w->scratch;
        snprintf(message, sizeof message, "ferry does not serve %.*s",
                 (int)GRPC_SLICE_LENGTH(s->details.method),
                 (const char *)GRPC_SLICE_START_PTR(s->details.method));
    }
    answer(w, s, message);
}

static void on_slot_event(worker *w, slot *s, bool success)
{
    if (s->sending) {
        atomic_fetch_sub(&w->f->in_flight, 1);
        slot_clear(s);
        slot_arm(s);
    } else if (s->resuming) {
        on_resume(w, s);
    } else if (success) {
        on_call(w, s);
    } else {
        slot_clear(s); /* the server is shutting down: the armed request was cancelled */
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Threads                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static void on_shutdown_done(grpc_frontend *f)
{
    pthread_mutex_lock(&f->lock);
    f->shutdown_done = true;
    pthread_cond_broadcast(&f->shutdown_cond);
    pthread_mutex_unlock(&f->lock);
}

static void *poll_loop(void *arg)
{
    worker *w = arg;
    thread_name_set("ferry-grpc");
    grpc_frontend *f = w->f;
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(f->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            return NULL;
        if (ev.type != GRPC_OP_COMPLETE)
            continue;
        if (*(tag_kind *)ev.tag == TAG_SHUTDOWN)
            on_shutdown_done(f);
        else
            on_slot_event(w, ev.tag, ev.success != 0);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Start and stop                                                                               */
/* ------------------------------------------------------------------------------------------ */

static ferry_status bind_port(grpc_frontend *f, const grpc_frontend_options *o, ferry_error *err)
{
    char addr[300];
    const char *host = o->host != NULL && o->host[0] != '\0' ? o->host : "[::]";
    bool bare_v6 = strchr(host, ':') != NULL && host[0] != '[';
    snprintf(addr, sizeof addr, bare_v6 ? "[%s]:%u" : "%s:%u", host, (unsigned)o->port);
    grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
    if (creds == NULL)
        return ferry_error_set(err, FERRY_INTERNAL, "gRPC: cannot create server credentials");
    int port = grpc_server_add_http2_port(f->server, addr, creds);
    grpc_server_credentials_release(creds);
    if (port <= 0)
        return ferry_error_set(err, FERRY_IO, "cannot listen for gRPC on %s (in use?)", addr);
    f->port = (uint16_t)port;
    return FERRY_OK;
}

static ferry_status create_server(grpc_frontend *f, const grpc_frontend_options *o,
                                  ferry_error *err)
{
    grpc_arg args[] = {
        {.type = GRPC_ARG_INTEGER,
         .key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
         .value.integer = o->max_message > INT32_MAX ? INT32_MAX : (int)o->max_message},
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, .value.integer = -1},
        /* gRPC sets SO_REUSEPORT by default: a second server on the same port would then share it
         * silently instead of failing to start, as the REST port does. */
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_ALLOW_REUSEPORT, .value.integer = 0},
    };
    grpc_channel_args channel_args = {.num_args = sizeof args / sizeof args[0], .args = args};
    f->cq = grpc_completion_queue_create_for_next(NULL);
    f->server = f->cq != NULL ? grpc_server_create(&channel_args, NULL) : NULL;
    if (f->server == NULL)
        return ferry_error_set(err, FERRY_INTERNAL, "gRPC: cannot create the server");
    grpc_server_register_completion_queue(f->server, f->cq, NULL);
    return FERRY_OK;
}

/* Registers every rpc and lays out their slots (before the server starts). */
static ferry_status register_methods(grpc_frontend *f, ferry_error *err)
{
    f->n_slots = (size_t)(GRPC_RPC_COUNT - 1) * SLOTS_PER_METHOD + INFER_SLOTS + GENERIC_SLOTS;
    f->slots = calloc(f->n_slots, sizeof *f->slots);
    if (f->slots == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "gRPC: out of memory");
    size_t k = 0;
    for (int m = 0; m < GRPC_RPC_COUNT; m++) {
        void *handle =
            grpc_server_register_method(f->server, grpc_rpc_path((grpc_rpc_method)m), NULL,
                                        GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
        if (handle == NULL)
            return ferry_error_set(err, FERRY_INTERNAL, "gRPC: cannot register %s",
                                   grpc_rpc_path((grpc_rpc_method)m));
        size_t n = m == GRPC_RPC_MODEL_INFER ? INFER_SLOTS : SLOTS_PER_METHOD;
        for (size_t i = 0; i < n; i++, k++)
            f->slots[k] = (slot){.kind = TAG_SLOT, .f = f, .method = m, .registered = handle};
    }
    for (; k < f->n_slots; k++)
        f->slots[k] = (slot){.kind = TAG_SLOT, .f = f, .method = -1};
    for (k = 0; k < f->n_slots; k++) {
        arena_init(&f->slots[k].scratch, 4 * f->max_message + (64u << 20));
        f->slots[k].merged = grpc_empty_slice();
    }
    return FERRY_OK;
}

static ferry_status start_threads(grpc_frontend *f, ferry_error *err)
{
    for (size_t i = 0; i < f->n_slots; i++)
        if (!slot_arm(&f->slots[i]))
            return ferry_error_set(err, FERRY_INTERNAL, "gRPC: cannot request calls");
    for (unsigned i = 0; i < f->n_workers; i++) {
        worker *w = &f->workers[i];
        w->f = f;
        arena_init(&w->scratch, 4 * f->max_message + (64u << 20));
        buffer_init(&w->reply, REPLY_LIMIT);
        int rc = pthread_create(&w->thread, NULL, poll_loop, w);
        if (rc != 0)
            return ferry_error_set(err, FERRY_INTERNAL, "gRPC: cannot start a thread: %s",
                                   strerror(rc));
        w->started = true;
    }
    return FERRY_OK;
}

static grpc_frontend *frontend_alloc(rest_context *ctx, const grpc_frontend_options *o)
{
    grpc_frontend *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    f->ctx = ctx;
    f->max_message = o->max_message;
    f->n_workers = o->threads == 0            ? GRPC_FRONTEND_THREADS_DEFAULT
                   : o->threads > THREADS_MAX ? THREADS_MAX
                                              : o->threads;
    f->shutdown_tag = TAG_SHUTDOWN;
    atomic_init(&f->stopping, false);
    atomic_init(&f->in_flight, 0);
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->shutdown_cond, NULL);
    return f;
}

ferry_status grpc_frontend_start(rest_context *ctx, const grpc_frontend_options *opts,
                                 grpc_frontend **out, ferry_error *err)
{
    gpr_set_log_function(on_grpc_log);
    gpr_set_log_verbosity(GPR_LOG_SEVERITY_ERROR);
    grpc_init();
    grpc_frontend *f = frontend_alloc(ctx, opts);
    if (f == NULL) {
        grpc_shutdown_blocking();
        return ferry_error_set(err, FERRY_NO_MEMORY, "gRPC: out of memory");
    }
    /* Methods are registered before the port is bound: until a listener exists the server can
     * be destroyed without a shutdown, which keeps the failure paths simple. */
    ferry_status st = create_server(f, opts, err);
    if (st == FERRY_OK)
        st = register_methods(f, err);
    if (st == FERRY_OK)
        st = bind_port(f, opts, err);
    if (st == FERRY_OK) {
        grpc_server_start(f->server);
        f->started = true;
        st = start_threads(f, err);
    }
    if (st != FERRY_OK) {
        grpc_frontend_stop(f, 0);
        return st;
    }
    *out = f;
    return FERRY_OK;
}

uint16_t grpc_frontend_port(const grpc_frontend *f)
{
    return f->port;
}

void grpc_frontend_shutdown(grpc_frontend *f)
{
    if (f == NULL || !f->started)
        return;
    pthread_mutex_lock(&f->lock);
    bool first = !f->shutdown_sent;
    f->shutdown_sent = true;
    pthread_mutex_unlock(&f->lock);
    if (!first)
        return;
    atomic_store(&f->stopping, true);
    grpc_server_shutdown_and_notify(f->server, f->cq, &f->shutdown_tag);
}

/* Waits until the shutdown notification arrived or the deadline passed; true when it arrived. */
static bool wait_shutdown(grpc_frontend *f, unsigned wait_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += wait_ms / 1000;
    deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&f->lock);
    int rc = 0;
    while (!f->shutdown_done && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&f->shutdown_cond, &f->lock, &deadline);
    bool done = f->shutdown_done;
    pthread_mutex_unlock(&f->lock);
    return done;
}

/* Without polling threads (they failed to start): cancels everything and takes the queue's events
 * here until the shutdown notification. */
static void drain_unpolled(grpc_frontend *f)
{
    grpc_server_cancel_all_calls(f->server);
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(f->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type != GRPC_OP_COMPLETE || *(tag_kind *)ev.tag == TAG_SHUTDOWN)
            return;
        slot_clear(ev.tag);
    }
}

/* Drains the server (cancelling what is left after drain_ms); returns the calls cut. */
static unsigned drain(grpc_frontend *f, unsigned drain_ms, bool threads_running)
{
    grpc_frontend_shutdown(f);
    if (!threads_running) {
        drain_unpolled(f);
        return 0;
    }
    unsigned cut = 0;
    if (!wait_shutdown(f, drain_ms)) {
        cut = atomic_load(&f->in_flight);
        grpc_server_cancel_all_calls(f->server);
        while (!wait_shutdown(f, 1000))
            ;
    }
    return cut;
}

unsigned grpc_frontend_stop(grpc_frontend *f, unsigned drain_ms)
{
    if (f == NULL)
        return 0;
    bool running = f->n_workers > 0 && f->workers[0].started;
    unsigned cut = 0;
    if (f->started)
        cut = drain(f, drain_ms, running);
    if (f->server != NULL)
        grpc_server_destroy(f->server);
    if (f->cq != NULL) {
        grpc_completion_queue_shutdown(f->cq);
        for (unsigned i = 0; i < f->n_workers; i++)
            if (f->workers[i].started)
                pthread_join(f->workers[i].thread, NULL);
        /* Without threads, drain the queue here (it must be empty before it is destroyed). */
        while (grpc_completion_queue_next(f->cq, gpr_inf_past(GPR_CLOCK_REALTIME), NULL).type !=
               GRPC_QUEUE_SHUTDOWN)
            ;
        grpc_completion_queue_destroy(f->cq);
    }
    for (unsigned i = 0; i < f->n_workers; i++) {
        arena_free(&f->workers[i].scratch);
        buffer_free(&f->workers[i].reply);
    }
    for (size_t k = 0; f->slots != NULL && k < f->n_slots; k++)
        arena_free(&f->slots[k].scratch);
    free(f->slots);
    pthread_mutex_destroy(&f->lock);
    pthread_cond_destroy(&f->shutdown_cond);
    free(f);
    grpc_shutdown_blocking();
    return cut;
}
