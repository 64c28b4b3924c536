/* `ferry perf`: in-process time per inference call for any backend, after warm-up, on rows from
 * an input file or generated, from one or more threads; prints min, median, p90 and p99 (the
 * minimum: what a call takes when nothing else competes for the CPU). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/model_path.h"
#include "core/clock.h"
#include "core/log.h"
#include "protocol/oip_json.h"
#include "serving/inference.h"

static const char perf_help[] =
    "usage: ferry perf --model PATH --batch-size B [options]\n"
    "\n"
    "Measures the time of one inference call in process, after warm-up.\n"
    "  --model PATH       artifact, version folder or model folder\n"
    "  --batch-size B     rows per call\n"
    "  --iterations N     timed calls per thread (default 1000)\n"
    "  --warmup N         untimed calls per thread first (default 100)\n"
    "  --threads T        threads calling at once (default 1)\n"
    "  --input FILE       OIP v2 request whose rows are cycled to fill batches (default: random\n"
    "                     values in [0, 1))\n"
    "  --option KEY=VALUE backend option, over model.yaml's (repeatable), e.g.\n"
    "                     --option intra_op_threads=2\n"
    "  --json             print {\"batch_size\", \"iterations\", \"min_us\", \"median_us\", "
    "\"p90_us\", \"p99_us\"}\n";

typedef struct perf_options {
    const char *model;
    const char *input;
    uint64_t batch;
    uint64_t iterations;
    uint64_t warmup;
    uint64_t threads;
    bool json;
    size_t n_backend;
    ferry_option backend[REPOSITORY_MAX_OPTIONS]; /* --option KEY=VALUE */
    char keys[REPOSITORY_MAX_OPTIONS][64];
} perf_options;

typedef struct perf_worker {
    model_version *mv;
    const ferry_tensor *inputs;
    size_t n_inputs;
    const perf_options *o;
    double *samples_us; /* o->iterations entries */
    ferry_error err;
    ferry_status status;
} perf_worker;

/* Fills a batch tensor for one model input by cycling the source rows (or random values). */
static ferry_status make_input(const ferry_tensor_info *info, const ferry_tensor *source,
                               uint64_t batch, ferry_tensor *t, ferry_error *err)
{
    int64_t shape[FERRY_MAX_DIMS];
    for (int d = 0; d < info->ndim; d++)
        shape[d] = info->shape[d] < 0 ? (d == 0 ? (int64_t)batch : 1) : info->shape[d];
    ferry_status st = ferry_tensor_alloc(t, info->name, info->dtype, shape, info->ndim, err);
    if (st != FERRY_OK)
        return st;
    if (source != NULL && source->dtype == info->dtype && source->nbytes > 0) {
        for (size_t off = 0; off < t->nbytes; off += source->nbytes) {
            size_t n = t->nbytes - off < source->nbytes ? t->nbytes - off : source->nbytes;
            memcpy((char *)t->data + off, source->data, n);
        }
        return FERRY_OK;
    }
    size_t size = ferry_dtype_size(info->dtype);
    for (size_t i = 0; i < t->nbytes / size; i++) {
        if (info->dtype == FERRY_DTYPE_FP32)
            ((float *)t->data)[i] = (float)rand() / (float)RAND_MAX;
        else if (info->dtype == FERRY_DTYPE_FP64)
            ((double *)t->data)[i] = (double)rand() / (double)RAND_MAX;
    }
    return FERRY_OK;
}

static void *perf_run(void *arg)
{
    perf_worker *w = arg;
    arena scratch;
    arena_init(&scratch, (size_t)1 << 34);
    ferry_tensor *outputs = calloc(w->mv->io.n_outputs + 1, sizeof *outputs);
    w->status = outputs ? FERRY_OK : ferry_error_set(&w->err, FERRY_NO_MEMORY, "out of memory");
    uint64_t total = w->o->warmup + w->o->iterations;
    for (uint64_t i = 0; w->status == FERRY_OK && i < total; i++) {
        uint64_t t0 = clock_now_ns();
        w->status = inference_run(w->mv, w->inputs, w->n_inputs, outputs, &scratch, &w->err);
        uint64_t t1 = clock_now_ns();
        arena_reset(&scratch);
        if (i >= w->o->warmup)
            w->samples_us[i - w->o->warmup] = (double)(t1 - t0) / 1e3;
    }
    free(outputs);
    arena_free(&scratch);
    return NULL;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(const double *sorted, size_t n, double p)
{
    size_t k = (size_t)ceil(p * (double)n) - 1;
    return sorted[k < n ? k : n - 1];
}

static void report(const perf_options *o, double *samples, size_t n)
{
    qsort(samples, n, sizeof *samples, compare_doubles);
    double median = percentile(samples, n, 0.5), p90 = percentile(samples, n, 0.9),
           p99 = percentile(samples, n, 0.99), min = samples[0];
    if (o->json)
        printf("{\"batch_size\":%llu,\"iterations\":%llu,\"threads\":%llu,\"calls\":%zu,"
               "\"min_us\":%.3f,\"median_us\":%.3f,\"p90_us\":%.3f,\"p99_us\":%.3f}\n",
               (unsigned long long)o->batch, (unsigned long long)o->iterations,
               (unsigned long long)o->threads, n, min, median, p90, p99);
    else
        printf("batch %llu, %zu calls on %llu thread(s): min %.2f us, median %.2f us, p90 %.2f us, "
               "p99 %.2f us (%.0f rows/s per thread at the median)\n",
               (unsigned long long)o->batch, n, (unsigned long long)o->threads, min, median, p90,
               p99, (double)o->batch / median * 1e6);
}

/* Runs o->threads workers over the prepared inputs and reports. */
static int measure(model_version *mv, const ferry_tensor *inputs, const perf_options *o)
{
    size_t n = (size_t)(o->iterations * o->threads);
    double *samples = calloc(n, sizeof *samples);
    perf_worker *workers = calloc(o->threads, sizeof *workers);
    pthread_t *tids = calloc(o->threads, sizeof *tids);
    int rc = samples && workers && tids ? CLI_OK : CLI_FAILURE;
    uint64_t started = 0;
    for (uint64_t t = 0; rc == CLI_OK && t < o->threads; t++, started++) {
        workers[t] = (perf_worker){.mv = mv,
                                   .inputs = inputs,
                                   .n_inputs = mv->io.n_inputs,
                                   .o = o,
                                   .samples_us = samples + t * o->iterations};
        if (pthread_create(&tids[t], NULL, perf_run, &workers[t]) != 0)
            rc = CLI_FAILURE;
    }
    for (uint64_t t = 0; t < started; t++) {
        pthread_join(tids[t], NULL);
        if (workers[t].status != FERRY_OK) {
            fprintf(stderr, "ferry perf: %s\n", workers[t].err.message);
            rc = CLI_FAILURE;
        }
    }
    if (rc == CLI_OK)
        report(o, samples, n);
    free(samples);
    free(workers);
    free(tids);
    return rc;
}

/* Decodes --input (if any) and builds one batch tensor per model input. */
static int prepare_and_measure(model_version *mv, const perf_options *o)
{
    arena scratch;
    arena_init(&scratch, (size_t)1 << 34);
    oip_request req = {0};
    ferry_error err;
    int rc = CLI_OK;
    if (o->input != NULL) {
        size_t len = 0;
        char *body = cli_read_file("perf", o->input, &len);
        if (body == NULL || oip_decode_request(body, len, &scratch, &req, &err) != FERRY_OK) {
            if (body != NULL)
                fprintf(stderr, "ferry perf: %s: %s\n", o->input, err.message);
            rc = CLI_FAILURE;
        }
        free(body);
    }
    ferry_tensor *inputs = calloc(mv->io.n_inputs + 1, sizeof *inputs);
    if (inputs == NULL)
        rc = CLI_FAILURE;
    for (size_t k = 0; rc == CLI_OK && k < mv->io.n_inputs; k++) {
        const ferry_tensor *source = NULL;
        for (size_t j = 0; j < req.n_inputs; j++)
            if (strcmp(req.inputs[j].name, mv->io.inputs[k].name) == 0)
                source = &req.inputs[j];
        if (make_input(&mv->io.inputs[k], source, o->batch, &inputs[k], &err) != FERRY_OK) {
            fprintf(stderr, "ferry perf: %s\n", err.message);
            rc = CLI_FAILURE;
        }
    }
    if (rc == CLI_OK)
        rc = measure(mv, inputs, o);
    for (size_t k = 0; inputs != NULL && k < mv->io.n_inputs; k++)
        ferry_tensor_release(&inputs[k]);
    free(inputs);
    oip_request_free(&req);
    arena_free(&scratch);
    return rc;
}

/* KEY=VALUE into o->backend (the key copied, the value pointing into argv). */
static bool parse_backend_option(const char *cmd, const char *text, perf_options *o)
{
    const char *eq = strchr(text, '=');
    size_t key_len = eq != NULL ? (size_t)(eq - text) : 0;
    if (key_len == 0 || key_len >= sizeof o->keys[0] || o->n_backend == REPOSITORY_MAX_OPTIONS) {
        fprintf(stderr, "ferry %s: --option wants KEY=VALUE (at most %d), got '%s'\n", cmd,
                REPOSITORY_MAX_OPTIONS, text);
        return false;
    }
    memcpy(o->keys[o->n_backend], text, key_len);
    o->keys[o->n_backend][key_len] = '\0';
    o->backend[o->n_backend] = (ferry_option){.key = o->keys[o->n_backend], .value = eq + 1};
    o->n_backend++;
    return true;
}

static int parse_perf_options(int argc, char **argv, perf_options *o)
{
    *o = (perf_options){.iterations = 1000, .warmup = 100, .threads = 1};
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        bool bad = false, ok = true;
        if (cli_is_help(argv[i])) {
            fputs(perf_help, stdout);
            return -1;
        }
        if (strcmp(argv[i], "--json") == 0)
            o->json = true;
        else if (cli_option(argc, argv, &i, "--model", &o->model, &bad) ||
                 cli_option(argc, argv, &i, "--input", &o->input, &bad))
            ok = !bad;
        else if (cli_option(argc, argv, &i, "--batch-size", &v, &bad))
            ok = !bad && cli_parse_uint("perf", "--batch-size", v, 1, 1u << 24, &o->batch);
        else if (cli_option(argc, argv, &i, "--iterations", &v, &bad))
            ok = !bad && cli_parse_uint("perf", "--iterations", v, 1, 1u << 26, &o->iterations);
        else if (cli_option(argc, argv, &i, "--warmup", &v, &bad))
            ok = !bad && cli_parse_uint("perf", "--warmup", v, 0, 1u << 26, &o->warmup);
        else if (cli_option(argc, argv, &i, "--threads", &v, &bad))
            ok = !bad && cli_parse_uint("perf", "--threads", v, 1, 256, &o->threads);
        else if (cli_option(argc, argv, &i, "--option", &v, &bad))
            ok = !bad && parse_backend_option("perf", v, o);
        else {
            fprintf(stderr, "ferry perf: unknown argument '%s' (see --help)\n", argv[i]);
            ok = false;
        }
        if (!ok)
            return CLI_USAGE;
    }
    if (o->model == NULL || o->batch == 0) {
        fprintf(stderr, "ferry perf: --model and --batch-size are required (see --help)\n");
        return CLI_USAGE;
    }
    return CLI_OK;
}

int cli_perf(int argc, char **argv)
{
    perf_options o;
    int rc = parse_perf_options(argc, argv, &o);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    log_set_level(LOG_WARN);
    model_version *mv = cli_load_model("perf", o.model, o.backend, o.n_backend);
    if (mv == NULL)
        return CLI_FAILURE;
    srand(42);
    rc = prepare_and_measure(mv, &o);
    model_version_release(mv);
    return rc;
}
