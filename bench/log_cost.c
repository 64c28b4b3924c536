/* The prediction log's cost per prediction, without a server or a load generator in the way:
 * logs N predictions shaped like bc_xgb's (one row of 30 FP32 features in, one FP32 score out,
 * a new UUID v7 id each) through feedback_hub_log, first with no state store (the request path's
 * share: the copy into a record and the feedback ring), then into a fresh state store in a
 * temporary folder (adding the writer thread's work: packing chunk rows, commits and checkpoints,
 * and with --ids client one id key per prediction). --ids generated (the default) logs the ids as
 * ferry's own, as the server does for a request without an id (no id key; found by time); --ids
 * client as ids a client sent (each indexed). Flushes every 4,096 predictions so that none is
 * dropped. Prints the process's CPU time (user + system, every thread) per prediction for each,
 * which other work on the machine barely moves, the database's size once closed, and the wall
 * time of finding one of 1,000 ids spread over the log in the store (state_store_find, as
 * feedback does for a prediction no longer in memory):
 *
 *   ferry-log-cost [--n N (200000)] [--features F (30)] [--ids generated|client]
 *   log_cost n=200000 features=30 ids=generated request_path_cpu_us=0.59 with_store_cpu_us=4.71 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "core/fsutil.h"
#include "core/uuid.h"
#include "state/feedback.h"
#include "state/state_store.h"

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

#define LOOKUPS 1000

/* Ids kept for the lookups: one every n / LOOKUPS predictions. */
typedef struct id_sample {
    char ids[LOOKUPS][UUID_STR_LEN];
    size_t n;
} id_sample;

/* CPU µs per prediction for n predictions logged through a hub on store (NULL: none), their ids
 * marked as ferry's own when generated; some ids kept in sample. */
static double log_predictions(state_store *store, size_t n, size_t features, bool generated,
                              id_sample *sample)
{
    feedback_hub *hub = feedback_hub_create(store);
    float *in = calloc(features, sizeof *in);
    if (hub == NULL || in == NULL) {
        fprintf(stderr, "log_cost: out of memory\n");
        exit(1);
    }
    float out = 0.5f;
    ferry_tensor input = {.name = "input",
                          .dtype = FERRY_DTYPE_FP32,
                          .ndim = 2,
                          .shape = {1, (int64_t)features},
                          .data = in,
                          .nbytes = features * sizeof(float)};
    ferry_tensor output = {.name = "predict",
                           .dtype = FERRY_DTYPE_FP32,
                           .ndim = 1,
                           .shape = {1},
                           .data = &out,
                           .nbytes = sizeof out};
    feedback_config cfg = feedback_config_default();
    cfg.task = FEEDBACK_TASK_BINARY;
    double start = cpu_seconds();
    for (size_t i = 0; i < n; i++) {
        char id[UUID_STR_LEN];
        uuid_v7(id);
        in[i % features] = (float)i;
        out = (float)(i % 1000) / 1000.0f;
        feedback_hub_log(hub, id, generated, "bc_xgb", "1", &cfg, &input, 1, &output, 1);
        if (sample->n < LOOKUPS && i % (n / LOOKUPS + 1) == 0)
            memcpy(sample->ids[sample->n++], id, UUID_STR_LEN);
        if (store != NULL && i % 4096 == 4095)
            state_store_flush(store);
    }
    state_store_flush(store);
    double cpu = cpu_seconds() - start;
    feedback_hub_destroy(hub);
    free(in);
    return cpu * 1e6 / (double)n;
}

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall µs per state_store_find of the sampled ids; exits when one is not found. */
static double lookup_us(state_store *store, const id_sample *sample)
{
    double start = wall_seconds();
    for (size_t i = 0; i < sample->n; i++) {
        char model[64], version[64];
        int64_t rows = 0;
        state_tensors outputs;
        ferry_error err;
        if (state_store_find(store, sample->ids[i], model, sizeof model, version, sizeof version,
                             &rows, &outputs, &err) != FERRY_OK) {
            fprintf(stderr, "log_cost: %s\n", err.message);
            exit(1);
        }
        free(outputs.data);
    }
    return (wall_seconds() - start) * 1e6 / (double)(sample->n > 0 ? sample->n : 1);
}

/* The size in bytes of the file at path, 0 when there is none. */
static long long file_bytes(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

int main(int argc, char **argv)
{
    size_t n = 200000, features = 30;
    const char *ids = "generated";
    bool usage = argc % 2 == 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--n") == 0)
            n = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--features") == 0)
            features = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--ids") == 0)
            ids = argv[i + 1];
        else
            usage = true;
    }
    bool generated = strcmp(ids, "generated") == 0;
    if (usage || n == 0 || features == 0 || (!generated && strcmp(ids, "client") != 0)) {
        fprintf(stderr, "usage: ferry-log-cost [--n N] [--features F] [--ids generated|client]\n");
        return 2;
    }
    char dir[] = "/tmp/ferry-log-cost.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("log_cost: mkdtemp");
        return 1;
    }
    static id_sample unused, sample; /* 37 KB each: not on the stack */
    double request_path = log_predictions(NULL, n, features, generated, &unused);
    state_store *store = NULL;
    ferry_error err;
    if (state_store_open(dir, &store, &err) != FERRY_OK) {
        fprintf(stderr, "log_cost: %s\n", err.message);
        return 1;
    }
    double with_store = log_predictions(store, n, features, generated, &sample);
    uint64_t written = state_store_written(store), dropped = state_store_dropped(store);
    double lookup = lookup_us(store, &sample);
    state_store_close(store);
    char path[sizeof dir + 16];
    state_store_path(dir, path, sizeof path);
    long long db_bytes = file_bytes(path);
    fs_remove_tree(dir);
    printf("log_cost n=%zu features=%zu ids=%s request_path_cpu_us=%.2f with_store_cpu_us=%.2f "
           "written=%llu dropped=%llu db_bytes_per_prediction=%.1f lookup_us=%.1f\n",
           n, features, ids, request_path, with_store, (unsigned long long)written,
           (unsigned long long)dropped, (double)db_bytes / (double)n, lookup);
    return 0;
}
