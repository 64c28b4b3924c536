/* ferry-grpc-load: a closed-loop load generator for the OIP v2 gRPC ModelInfer rpc, in C on the
 * gRPC core API (a Python client would be the bottleneck, not the server). It keeps N calls in
 * flight over C connections for a duration, after a warm-up, and prints requests per second and
 * the p50, p99 and max latency of the calls that started in the measured window, and its own CPU
 * time per call (the client's cost, which shares the machine with the server in bench/grpc.sh).
 *
 *   ferry-grpc-load --target 127.0.0.1:8001 --model bc_xgb --request request.json \
 *       --concurrency 64 --connections 64 --duration 10
 *
 * The request file is an OIP v2 JSON inference request (the body wrk posts to the REST port); its
 * inputs are sent as raw_input_contents, as Triton's clients send them. The first call is checked
 * (status OK, one raw output per output) before the run. */
#include <errno.h>
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/log.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/arena.h"
#include "core/clock.h"
#include "grpc_service.pb-c.h"
#include "protocol/oip_json.h"

#define METHOD      "/inference.GRPCInferenceService/ModelInfer"
#define MAX_THREADS 64

typedef struct options {
    const char *target, *model, *version, *request;
    unsigned concurrency, connections, threads;
    double duration_s, warmup_s;
} options;

typedef struct worker worker;

/* One call in flight, reused for the next one when it completes. */
typedef struct call_slot {
    worker *w;
    grpc_channel *channel;
    grpc_call *call;
    uint64_t start_ns;
    grpc_byte_buffer *send, *recv;
    grpc_metadata_array initial_md, trailing_md;
    grpc_status_code status;
    grpc_slice details;
} call_slot;

/* One polling thread, its queue, its calls and the latencies it measured. */
struct worker {
    pthread_t thread;
    grpc_completion_queue *cq;
    call_slot *slots;
    size_t n_slots;
    uint64_t *latencies; /* ns, calls started in the measured window */
    size_t n_lat, cap_lat;
    uint64_t errors;
    uint64_t completed; /* every call, warm-up included */
    char first_error[256];
};

static struct {
    options o;
    grpc_channel **channels;
    grpc_slice payload; /* the serialized ModelInferRequest */
    grpc_slice method;
    uint64_t measure_start_ns, end_ns;
} g;

/* ------------------------------------------------------------------------------------------ */
/* The request                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *data = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len + 65536 > cap) {
            char *grown = realloc(data, cap = 2 * cap + 65536);
            if (grown == NULL)
                break;
            data = grown;
        }
        size_t n = fread(data + *len, 1, cap - *len, f);
        *len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    return data;
}

/* The ModelInferRequest for the JSON request file, serialized into g.payload. */
static bool build_payload(const options *o)
{
    size_t len = 0;
    char *json = read_file(o->request, &len);
    if (json == NULL) {
        fprintf(stderr, "ferry-grpc-load: cannot read %s: %s\n", o->request, strerror(errno));
        return false;
    }
    arena a;
    arena_init(&a, (size_t)1 << 32);
    oip_request req;
    ferry_error err;
    bool ok = oip_decode_request(json, len, &a, &req, &err) == FERRY_OK;
    free(json);
    if (!ok) {
        fprintf(stderr, "ferry-grpc-load: %s: %s\n", o->request, err.message);
        arena_free(&a);
        return false;
    }
    Inference__ModelInferRequest msg = INFERENCE__MODEL_INFER_REQUEST__INIT;
    Inference__ModelInferRequest__InferInputTensor *items = calloc(req.n_inputs, sizeof *items);
    Inference__ModelInferRequest__InferInputTensor **list = calloc(req.n_inputs, sizeof *list);
    ProtobufCBinaryData *raw = calloc(req.n_inputs, sizeof *raw);
    ok = items != NULL && list != NULL && raw != NULL;
    for (size_t i = 0; ok && i < req.n_inputs; i++) {
        const ferry_tensor *t = &req.inputs[i];
        items[i] = (Inference__ModelInferRequest__InferInputTensor)
            INFERENCE__MODEL_INFER_REQUEST__INFER_INPUT_TENSOR__INIT;
        items[i].name = (char *)t->name;
        items[i].datatype = (char *)ferry_dtype_name(t->dtype);
        items[i].n_shape = (size_t)t->ndim;
        items[i].shape = (int64_t *)t->shape;
        list[i] = &items[i];
        raw[i] = (ProtobufCBinaryData){.len = t->nbytes, .data = t->data};
    }
    if (ok) {
        msg.model_name = (char *)o->model;
        msg.model_version = (char *)(o->version ? o->version : "");
        msg.n_inputs = msg.n_raw_input_contents = req.n_inputs;
        msg.inputs = list;
        msg.raw_input_contents = raw;
        g.payload = grpc_slice_malloc(inference__model_infer_request__get_packed_size(&msg));
        inference__model_infer_request__pack(&msg, GRPC_SLICE_START_PTR(g.payload));
    }
    free(items);
    free(list);
    free(raw);
    oip_request_free(&req);
    arena_free(&a);
    return ok;
}

/* ------------------------------------------------------------------------------------------ */
/* Calls                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static bool start_call(call_slot *s)
{
    s->call = grpc_channel_create_call(s->channel, NULL, GRPC_PROPAGATE_DEFAULTS, s->w->cq,
                                       g.method, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (s->call == NULL)
        return false;
    s->send = grpc_raw_byte_buffer_create(&g.payload, 1);
    s->recv = NULL;
    grpc_metadata_array_init(&s->initial_md);
    grpc_metadata_array_init(&s->trailing_md);
    s->details = grpc_empty_slice();
    grpc_op ops[6];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = s->send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &s->initial_md;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &s->recv;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &s->trailing_md;
    ops[5].data.recv_status_on_client.status = &s->status;
    ops[5].data.recv_status_on_client.status_details = &s->details;
    s->start_ns = clock_now_ns();
    return grpc_call_start_batch(s->call, ops, 6, s, NULL) == GRPC_CALL_OK;
}

/* Frees what a finished call left in the slot. */
static void finish_call(call_slot *s)
{
    grpc_byte_buffer_destroy(s->send);
    if (s->recv != NULL)
        grpc_byte_buffer_destroy(s->recv);
    grpc_metadata_array_destroy(&s->initial_md);
    grpc_metadata_array_destroy(&s->trailing_md);
    grpc_slice_unref(s->details);
    grpc_call_unref(s->call);
    s->call = NULL;
}

static void record(worker *w, call_slot *s, uint64_t end_ns)
{
    if (s->status != GRPC_STATUS_OK || s->recv == NULL) {
        if (w->errors++ == 0)
            snprintf(w->first_error, sizeof w->first_error, "status %d: %.*s", (int)s->status,
                     (int)GRPC_SLICE_LENGTH(s->details),
                     (const char *)GRPC_SLICE_START_PTR(s->details));
        return;
    }
    if (s->start_ns < g.measure_start_ns || end_ns > g.end_ns)
        return;
    if (w->n_lat == w->cap_lat) {
        size_t cap = w->cap_lat ? 2 * w->cap_lat : 65536;
        uint64_t *grown = realloc(w->latencies, cap * sizeof *grown);
        if (grown == NULL)
            return;
        w->latencies = grown;
        w->cap_lat = cap;
    }
    w->latencies[w->n_lat++] = end_ns - s->start_ns;
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    size_t in_flight = 0;
    for (size_t i = 0; i < w->n_slots; i++)
        in_flight += start_call(&w->slots[i]);
    while (in_flight > 0) {
        grpc_event ev = grpc_completion_queue_next(w->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type != GRPC_OP_COMPLETE)
            continue;
        call_slot *s = ev.tag;
        uint64_t now = clock_now_ns();
        w->completed++;
        record(w, s, now);
        finish_call(s);
        in_flight--;
        if (now < g.end_ns && start_call(s))
            in_flight++;
    }
    return NULL;
}

/* One call on a queue of its own before the run: the server answers this request with OK. */
static bool probe(void)
{
    worker w = {.cq = grpc_completion_queue_create_for_next(NULL)};
    call_slot s = {.w = &w, .channel = g.channels[0]};
    g.end_ns = 0;
    bool ok = start_call(&s);
    grpc_event ev = grpc_completion_queue_next(
        w.cq, gpr_time_add(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_seconds(30, GPR_TIMESPAN)),
        NULL);
    ok = ok && ev.type == GRPC_OP_COMPLETE;
    if (ok && (s.status != GRPC_STATUS_OK || s.recv == NULL)) {
        fprintf(stderr, "ferry-grpc-load: the probe call failed: status %d: %.*s\n", (int)s.status,
                (int)GRPC_SLICE_LENGTH(s.details), (const char *)GRPC_SLICE_START_PTR(s.details));
        ok = false;
    } else if (!ok) {
        fprintf(stderr, "ferry-grpc-load: no answer from %s within 30 s\n", g.o.target);
    }
    if (ev.type == GRPC_OP_COMPLETE)
        finish_call(&s);
    grpc_completion_queue_shutdown(w.cq);
    while (grpc_completion_queue_next(w.cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
           GRPC_QUEUE_SHUTDOWN)
        ;
    grpc_completion_queue_destroy(w.cq);
    return ok;
}

/* ------------------------------------------------------------------------------------------ */
/* Report                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static double percentile_ms(const uint64_t *sorted, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return (double)sorted[i] / 1e6;
}

/* CPU seconds this process used so far (user + system). */
static double cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void report(worker *workers, unsigned n)
{
    size_t total = 0;
    uint64_t errors = 0, completed = 0;
    for (unsigned i = 0; i < n; i++) {
        total += workers[i].n_lat;
        errors += workers[i].errors;
        completed += workers[i].completed;
    }
    uint64_t *all = malloc((total + 1) * sizeof *all);
    size_t k = 0;
    for (unsigned i = 0; all != NULL && i < n; i++) {
        memcpy(all + k, workers[i].latencies, workers[i].n_lat * sizeof *all);
        k += workers[i].n_lat;
    }
    if (all != NULL)
        qsort(all, total, sizeof *all, compare_u64);
    printf("grpc target=%s model=%s concurrency=%u connections=%u threads=%u duration_s=%.1f "
           "requests=%zu errors=%llu rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
           "client_cpu_us_per_call=%.1f\n",
           g.o.target, g.o.model, g.o.concurrency, g.o.connections, g.o.threads, g.o.duration_s,
           total, (unsigned long long)errors, (double)total / g.o.duration_s,
           all ? percentile_ms(all, total, 0.50) : 0, all ? percentile_ms(all, total, 0.99) : 0,
           all && total ? (double)all[total - 1] / 1e6 : 0,
           completed ? cpu_seconds() / (double)completed * 1e6 : 0);
    for (unsigned i = 0; i < n; i++)
        if (workers[i].errors > 0)
            fprintf(stderr, "ferry-grpc-load: first error: %s\n", workers[i].first_error);
    free(all);
}

/* ------------------------------------------------------------------------------------------ */
/* Setup                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static const char usage[] =
    "usage: ferry-grpc-load --target HOST:PORT --model NAME --request FILE.json [options]\n"
    "  --version V        model version (default: the serving one)\n"
    "  --concurrency N    calls in flight (default 64)\n"
    "  --connections N    HTTP/2 connections the calls share (default: one per call)\n"
    "  --threads N        polling threads of the generator (default 1)\n"
    "  --duration S       measured seconds (default 10)\n"
    "  --warmup S         unmeasured seconds first (default 2)\n";

static bool parse_args(int argc, char **argv, options *o)
{
    *o = (options){.concurrency = 64, .threads = 1, .duration_s = 10, .warmup_s = 2};
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            return false;
        i++;
        if (strcmp(k, "--target") == 0)
            o->target = v;
        else if (strcmp(k, "--model") == 0)
            o->model = v;
        else if (strcmp(k, "--version") == 0)
            o->version = v;
        else if (strcmp(k, "--request") == 0)
            o->request = v;
        else if (strcmp(k, "--concurrency") == 0)
            o->concurrency = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(k, "--connections") == 0)
            o->connections = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(k, "--threads") == 0)
            o->threads = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(k, "--duration") == 0)
            o->duration_s = strtod(v, NULL);
        else if (strcmp(k, "--warmup") == 0)
            o->warmup_s = strtod(v, NULL);
        else
            return false;
    }
    if (o->connections == 0)
        o->connections = o->concurrency;
    return o->target && o->model && o->request && o->concurrency > 0 && o->threads > 0 &&
           o->threads <= MAX_THREADS && o->threads <= o->concurrency && o->duration_s > 0 &&
           o->warmup_s >= 0 && o->connections <= o->concurrency;
}

/* Channels that each keep a connection of their own (gRPC shares subchannels otherwise). */
static bool open_channels(const options *o)
{
    g.channels = calloc(o->connections, sizeof *g.channels);
    if (g.channels == NULL)
        return false;
    grpc_arg arg = {
        .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, .value.integer = 1};
    grpc_channel_args args = {.num_args = 1, .args = &arg};
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();
    for (unsigned i = 0; i < o->connections; i++)
        if ((g.channels[i] = grpc_channel_create(o->target, creds, &args)) == NULL)
            return false;
    grpc_channel_credentials_release(creds);
    return true;
}

static bool make_workers(const options *o, worker *workers)
{
    for (unsigned t = 0; t < o->threads; t++) {
        worker *w = &workers[t];
        w->cq = grpc_completion_queue_create_for_next(NULL);
        w->n_slots = o->concurrency / o->threads + (t < o->concurrency % o->threads);
        w->slots = calloc(w->n_slots, sizeof *w->slots);
        if (w->cq == NULL || w->slots == NULL)
            return false;
    }
    for (unsigned c = 0; c < o->concurrency; c++) {
        worker *w = &workers[c % o->threads];
        call_slot *s = &w->slots[c / o->threads];
        *s = (call_slot){.w = w, .channel = g.channels[c % o->connections]};
    }
    return true;
}

static void free_all(const options *o, worker *workers)
{
    for (unsigned t = 0; t < o->threads; t++) {
        if (workers[t].cq != NULL) {
            grpc_completion_queue_shutdown(workers[t].cq);
            while (
                grpc_completion_queue_next(workers[t].cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
                    .type != GRPC_QUEUE_SHUTDOWN)
                ;
            grpc_completion_queue_destroy(workers[t].cq);
        }
        free(workers[t].slots);
        free(workers[t].latencies);
    }
    for (unsigned i = 0; g.channels != NULL && i < o->connections; i++)
        if (g.channels[i] != NULL)
            grpc_channel_destroy(g.channels[i]);
    free(g.channels);
    grpc_slice_unref(g.payload);
}

int main(int argc, char **argv)
{
    if (!parse_args(argc, argv, &g.o)) {
        fputs(usage, stderr);
        return 2;
    }
    gpr_set_log_verbosity(GPR_LOG_SEVERITY_ERROR);
    grpc_init();
    g.method = grpc_slice_from_static_string(METHOD);
    g.payload = grpc_empty_slice();
    static worker workers[MAX_THREADS];
    int rc = 1;
    if (build_payload(&g.o) && open_channels(&g.o) && make_workers(&g.o, workers) && probe()) {
        uint64_t now = clock_now_ns();
        g.measure_start_ns = now + (uint64_t)(g.o.warmup_s * 1e9);
        g.end_ns = g.measure_start_ns + (uint64_t)(g.o.duration_s * 1e9);
        unsigned started = 0;
        while (started < g.o.threads &&
               pthread_create(&workers[started].thread, NULL, run_worker, &workers[started]) == 0)
            started++;
        for (unsigned t = 0; t < started; t++)
            pthread_join(workers[t].thread, NULL);
        if (started == g.o.threads) {
            report(workers, g.o.threads);
            rc = 0;
        } else {
            fprintf(stderr, "ferry-grpc-load: cannot start thread %u\n", started);
        }
    }
    free_all(&g.o, workers);
    grpc_shutdown_blocking();
    return rc;
}
