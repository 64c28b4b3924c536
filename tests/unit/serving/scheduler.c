/* Unit tests for the scheduler on the shared worker pool (src/serving/scheduler.c): loading many
 * versions starts no thread per version (threads counted in /proc/self/task), and many threads
 * submitting requests of 1 to 50 rows at once to a one-instance batching version each get exactly
 * their own rows' predictions back (the bc_xgb XGBoost fixture against python-xgboost's), each
 * queued job leaving the queue depth (queue_moved: +1, then -1 before it finishes) exactly once;
 * with a queue delay a lone request on an idle instance still queues, and without one it runs
 * inline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/yaml_doc.h"
#include "serving/inference.h"
#include "serving/repository.h"
#include "serving/worker_pool.h"
#include "test_support.h"

#define ROWS       114
#define FEATURES   30
#define VERSIONS   24
#define SUBMITTERS 8
#define REQUESTS   300

static const char batching_yaml[] =
    "instances: 1\nbatching:\n  max_batch_size: 256\n  max_queue_delay_us: 300\n";

static struct {
    model_version *mv; /* instances: 1, batching */
    float x[ROWS * FEATURES];
    float expected[ROWS];
} g;

static ferry_status load(const char *yaml, model_version **out, ferry_error *err)
{
    model_spec spec;
    ferry_status st = repository_read_path(ts_shared("models/bc_xgb/model.json"), "bc", &spec, err);
    if (st != FERRY_OK)
        return st;
    snprintf(spec.version, sizeof spec.version, "1");
    ynode *mine = NULL, *theirs = spec.model_yaml;
    st = yaml_doc_load_string(yaml, strlen(yaml), "model.yaml", &mine, err);
    if (st == FERRY_OK) {
        spec.model_yaml = mine;
        st = model_version_load(&spec, out, err);
        spec.model_yaml = theirs;
    }
    ynode_free(mine);
    model_spec_clear(&spec);
    return st;
}

static int group_setup(void **state)
{
    (void)state;
    ferry_error err;
    if (load(batching_yaml, &g.mv, &err) != FERRY_OK) {
        fprintf(stderr, "%s\n", err.message);
        return -1;
    }
    json_t *in = ts_load_json(ts_shared("models/bc_xgb/test_inputs.json"));
    json_t *data = json_object_get(in, "data");
    json_t *exp = ts_load_json(ts_shared("models/bc_xgb/expected.json"));
    json_t *want = json_object_get(json_array_get(json_object_get(exp, "outputs"), 0), "data");
    if (json_array_size(data) != ROWS * FEATURES || json_array_size(want) != ROWS)
        return -1;
    for (size_t i = 0; i < ROWS * FEATURES; i++)
        g.x[i] = (float)json_number_value(json_array_get(data, i));
    for (size_t i = 0; i < ROWS; i++)
        g.expected[i] = (float)json_number_value(json_array_get(want, i));
    json_decref(in);
    json_decref(exp);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    model_version_release(g.mv);
    return 0;
}

static int count_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* The pool already runs (group_setup loaded a version): more versions add no threads. */
static void test_versions_share_the_pool(void **state)
{
    (void)state;
    int before = count_threads();
    model_version *mvs[VERSIONS];
    ferry_error err;
    for (int i = 0; i < VERSIONS; i++)
        if (load("instances: 2\nbatching:\n  max_batch_size: 8\n", &mvs[i], &err) != FERRY_OK)
            fail_msg("%s", err.message);
    int after = count_threads();
    fprintf(stderr, "test: %d threads before, %d after loading %d versions\n", before, after,
            VERSIONS);
    assert_int_equal(after, before);
    for (int i = 0; i < VERSIONS; i++)
        model_version_release(mvs[i]);
    assert_int_equal(count_threads(), before);
    worker_pool *pool;
    assert_int_equal(worker_pool_shared(&pool, &err), FERRY_OK);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    assert_int_equal(worker_pool_threads(pool), (unsigned)(cpus > 0 ? cpus : 1));
}

typedef struct submitter {
    pthread_t thread;
    int id;
    int queued, shared, wrong;
    int moves, depth, bad_moves; /* the current job's queue_moved calls, their sum, misorders */
    char error[FERRY_ERROR_MESSAGE_MAX];
} submitter;

/* Jobs in the queue by queue_moved's count: back to 0 at the end, never below. */
static atomic_int queue_depth;
static atomic_int queue_depth_min;

/* The queue depth hook: +1 then -1 once per queued job, the -1 before the job finishes. */
static void count_moved(scheduler_job *job, int delta)
{
    submitter *t = job->user;
    t->moves++;
    t->depth += delta;
    t->bad_moves += t->depth < 0 || t->depth > 1 || job->finished;
    int now = atomic_fetch_add(&queue_depth, delta) + delta;
    int low = atomic_load(&queue_depth_min);
    while (now < low && !atomic_compare_exchange_weak(&queue_depth_min, &low, now))
        ;
}

/* One request of `rows` rows starting at test row `first`; counts a wrong prediction. */
static void submit_one(submitter *t, arena *a, int first, int rows)
{
    ferry_tensor in = {.name = "input",
                       .dtype = FERRY_DTYPE_FP32,
                       .ndim = 2,
                       .shape = {rows, FEATURES},
                       .data = &g.x[first * FEATURES],
                       .nbytes = (size_t)rows * FEATURES * sizeof(float)};
    ferry_tensor bound[1], out[1];
    ferry_error err;
    scheduler_job job = {
        .bound = bound, .outputs = out, .arena = a, .queue_moved = count_moved, .user = t};
    t->moves = t->depth = 0;
    ferry_status st = inference_bind(g.mv, &in, 1, bound, a, &err);
    scheduler_outcome outcome = SCHEDULER_RAN;
    job.rows = inference_batch_size(g.mv, bound);
    if (st == FERRY_OK)
        st = scheduler_submit(g.mv->sched, &job, &outcome, &err);
    if (st == FERRY_OK && outcome == SCHEDULER_QUEUED) {
        t->queued++;
        scheduler_wait(g.mv->sched, &job);
    }
    int want_moves = st == FERRY_OK && outcome == SCHEDULER_QUEUED ? 2 : 0;
    t->bad_moves += t->moves != want_moves || t->depth != 0;
    if (st == FERRY_OK && job.status != FERRY_OK) {
        st = job.status;
        err = job.err;
    }
    if (st != FERRY_OK) {
        snprintf(t->error, sizeof t->error, "%s", err.message);
        return;
    }
    t->shared += job.shared;
    const float *p = out[0].data;
    if (out[0].shape[0] != rows)
        t->wrong++;
    for (int i = 0; i < rows && out[0].shape[0] == rows; i++)
        t->wrong += fabsf(p[i] - g.expected[first + i]) > 1e-6f;
}

static void *submit_many(void *arg)
{
    submitter *t = arg;
    arena a;
    arena_init(&a, 1 << 24);
    for (int r = 0; r < REQUESTS && t->error[0] == '\0'; r++) {
        int rows = 1 + (t->id * 5 + r) % 50;
        submit_one(t, &a, (t->id * 13 + r * 7) % (ROWS - rows), rows);
        arena_reset(&a);
    }
    arena_free(&a);
    return NULL;
}

static void test_concurrent_batches_exact(void **state)
{
    (void)state;
    submitter ts[SUBMITTERS] = {0};
    for (int i = 0; i < SUBMITTERS; i++) {
        ts[i].id = i;
        assert_int_equal(pthread_create(&ts[i].thread, NULL, submit_many, &ts[i]), 0);
    }
    int queued = 0, shared = 0;
    for (int i = 0; i < SUBMITTERS; i++) {
        pthread_join(ts[i].thread, NULL);
        if (ts[i].error[0] != '\0')
            fail_msg("submitter %d: %s", i, ts[i].error);
        assert_int_equal(ts[i].wrong, 0);
        assert_int_equal(ts[i].bad_moves, 0);
        queued += ts[i].queued;
        shared += ts[i].shared;
    }
    fprintf(stderr, "test: %d requests, %d queued, %d ran in shared batches\n",
            SUBMITTERS * REQUESTS, queued, shared);
    assert_true(queued > 0); /* eight submitters on one instance: some must wait */
    assert_int_equal(scheduler_queued(g.mv->sched), 0);
    assert_int_equal(atomic_load(&queue_depth), 0);
    assert_true(atomic_load(&queue_depth_min) >= 0);
}

/* One request of `rows` rows alone on `mv`'s idle scheduler; returns how it was taken and checks
 * its predictions. */
static scheduler_outcome submit_alone(model_version *mv, int rows)
{
    arena a;
    arena_init(&a, 1 << 20);
    ferry_tensor in = {.name = "input",
                       .dtype = FERRY_DTYPE_FP32,
                       .ndim = 2,
                       .shape = {rows, FEATURES},
                       .data = g.x,
                       .nbytes = (size_t)rows * FEATURES * sizeof(float)};
    ferry_tensor bound[1], out[1];
    ferry_error err;
    scheduler_job job = {.bound = bound, .outputs = out, .arena = &a};
    scheduler_outcome outcome = SCHEDULER_RAN;
    if (inference_bind(mv, &in, 1, bound, &a, &err) != FERRY_OK)
        fail_msg("%s", err.message);
    job.rows = inference_batch_size(mv, bound);
    assert_int_equal(scheduler_queued(mv->sched), 0);
    if (scheduler_submit(mv->sched, &job, &outcome, &err) != FERRY_OK)
        fail_msg("%s", err.message);
    if (outcome == SCHEDULER_QUEUED)
        scheduler_wait(mv->sched, &job);
    if (job.status != FERRY_OK)
        fail_msg("%s", job.err.message);
    assert_int_equal(out[0].shape[0], rows);
    const float *p = out[0].data;
    for (int i = 0; i < rows; i++)
        assert_true(fabsf(p[i] - g.expected[i]) <= 1e-6f);
    arena_free(&a);
    return outcome;
}

/* Batching with max_queue_delay_us > 0: a request waits for company even when nothing else runs
 * (and still gets its answer once the delay runs out); with a delay of 0 it runs inline. */
static void test_delay_queues_even_when_idle(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++)
        assert_int_equal(submit_alone(g.mv, 1 + i), SCHEDULER_QUEUED);
    model_version *no_delay;
    ferry_error err;
    if (load("instances: 1\nbatching:\n  max_batch_size: 256\n  max_queue_delay_us: 0\n", &no_delay,
             &err) != FERRY_OK)
        fail_msg("%s", err.message);
    for (int i = 0; i < 3; i++)
        assert_int_equal(submit_alone(no_delay, 1 + i), SCHEDULER_RAN);
    model_version_release(no_delay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions_share_the_pool),
        cmocka_unit_test(test_concurrent_batches_exact),
        cmocka_unit_test(test_delay_queues_even_when_idle),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
