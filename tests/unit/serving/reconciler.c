/* Unit tests for the reconciler (src/serving/reconciler.c and model_reconcile.c, with load_plan.c,
 * model_table.c and watcher.c under them), in process on temporary repositories: production
 * changes, broken versions that leave the current one serving (logged, counted, in the table, not
 * retried until their files change), `load:` all / list / none, models appearing and disappearing,
 * option changes, the background thread with inotify and with polling alone, and 1,000 swap
 * cycles under concurrent readers with resident memory flat. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buffer.h"
#include "core/hash.h"
#include "core/log.h"
#include "monitor/metrics.h"
#include "serving/reconciler.h"
#include "serving/warmup.h"
#include "test_support.h"

static char v1_artifact[4096]; /* ../shared/models/bc_xgb/model.json */
static char v2_artifact[4096]; /* examples/models/breast_cancer/1/model.json (other trees) */

typedef struct fixture {
    char *repo;
    model_table *table;
    metrics *metrics;
    reconciler *rec;
} fixture;

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static const char *at(const fixture *fx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *at(const fixture *fx, const char *fmt, ...)
{
    static char path[8192];
    char rel[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    snprintf(path, sizeof path, "%s/%s", fx->repo, rel);
    return path;
}

/* Replaces REPO/model/model.yaml atomically (temporary file + rename), as a deploy or a git
 * checkout does. */
static void write_yaml(const fixture *fx, const char *model, const char *text)
{
    char tmp[8192];
    snprintf(tmp, sizeof tmp, "%s", at(fx, "%s/.model.yaml.tmp", model));
    ts_write_file(tmp, text);
    assert_int_equal(rename(tmp, at(fx, "%s/model.yaml", model)), 0);
}

static void add_version(const fixture *fx, const char *model, int version, const char *artifact)
{
    ts_copy_file(artifact, at(fx, "%s/%d/model.json", model, version));
}

/* Writes a truncated copy of the artifact: a version that cannot load. */
static void add_corrupt_version(const fixture *fx, const char *model, int version)
{
    size_t len = 0;
    char *data = ts_read_file(v1_artifact, &len);
    assert_non_null(data);
    data[len / 3] = '\0';
    ts_write_file(at(fx, "%s/%d/model.json", model, version), data);
    free(data);
}

static void run_pass(fixture *fx)
{
    ferry_error err;
    ferry_status st = reconciler_run_once(fx->rec, &err);
    if (st != FERRY_OK)
        fail_msg("reconciler_run_once: %s", err.message);
}

/* The version answering requests that name none, or "" (static buffer). */
static const char *serving(fixture *fx, const char *model)
{
    static char version[REPOSITORY_VERSION_MAX];
    model_version *mv = NULL;
    ferry_error err;
    version[0] = '\0';
    if (model_table_acquire(fx->table, model, NULL, &mv, &err) == FERRY_OK) {
        snprintf(version, sizeof version, "%s", mv->version);
        model_version_release(mv);
    }
    return version;
}

static model_status *status_of(fixture *fx, const char *model)
{
    static model_status st;
    assert_true(model_table_get(fx->table, model, &st));
    return &st;
}

/* The loaded versions as "1,2" (static buffer). */
static const char *loaded(fixture *fx, const char *model)
{
    static char list[512];
    model_status *st = status_of(fx, model);
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < st->n_versions; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? "," : "",
                                 st->versions[i]);
    return list;
}

/* The value of an exact sample line ("name{labels}") in the exposition, or -1 when absent. */
static double metric(fixture *fx, const char *sample)
{
    buffer b;
    buffer_init(&b, 1u << 24);
    assert_int_equal(metrics_render(fx->metrics, &b), FERRY_OK);
    double value = -1;
    size_t n = strlen(sample);
    for (const char *p = b.data; p != NULL && *p != '\0';) {
        if (strncmp(p, sample, n) == 0 && p[n] == ' ')
            value = atof(p + n + 1);
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    buffer_free(&b);
    return value;
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

static void open_reconciler(fixture *fx, watcher_mode mode, unsigned poll_ms)
{
    reconciler_options o = {.repo = fx->repo,
                            .table = fx->table,
                            .metrics = fx->metrics,
                            .poll_interval_ms = poll_ms,
                            .watch = mode};
    ferry_error err;
    assert_int_equal(reconciler_create(&o, &fx->rec, &err), FERRY_OK);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    fx->repo = ts_mkdtemp();
    fx->table = model_table_create();
    fx->metrics = metrics_create();
    assert_non_null(fx->table);
    assert_non_null(fx->metrics);
    add_version(fx, "bc", 1, v1_artifact);
    add_version(fx, "bc", 2, v2_artifact);
    write_yaml(fx, "bc", "production: 1\n");
    open_reconciler(fx, WATCHER_POLL, 60000);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    reconciler_destroy(fx->rec);
    model_table_destroy(fx->table);
    metrics_destroy(fx->metrics);
    ts_rmtree(fx->repo);
    free(fx->repo);
    free(fx);
    log_set_level(LOG_INFO);
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(v1_artifact, sizeof v1_artifact, "%s", ts_shared("models/bc_xgb/model.json"));
    snprintf(v2_artifact, sizeof v2_artifact, "%s",
             ts_source("examples/models/breast_cancer/1/model.json"));
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Production and failures                                                                      */
/* ------------------------------------------------------------------------------------------ */

static void test_production_change_swaps(void **state)
{
    fixture *fx = *state;
    run_pass(fx);
    assert_string_equal(serving(fx, "bc"), "1");
    assert_string_equal(loaded(fx, "bc"), "1");
    assert_true(model_table_all_ready(fx->table));
    assert_true(metric(fx, "ferry_models_loaded") == 1);

    /* A request in flight holds version 1 across the swap and can still run on it. */
    model_version *held = NULL;
    ferry_error err;
    assert_int_equal(model_table_acquire(fx->table, "bc", NULL, &held, &err), FERRY_OK);

    write_yaml(fx, "bc", "production: 2\n");
    run_pass(fx);
    assert_string_equal(serving(fx, "bc"), "2");
    assert_string_equal(loaded(fx, "bc"), "2");
    assert_string_equal(status_of(fx, "bc")->reason, "");
    assert_true(metric(fx, "ferry_models_loaded") == 1);

    assert_string_equal(held->version, "1");
    assert_int_equal(warmup_run(held, &err), FERRY_OK);
    model_version_release(held); /* the last reference: version 1 is freed here */

    /* Nothing changed: a pass does nothing (the same instance keeps serving). */
    model_version *a = NULL, *b = NULL;
    assert_int_equal(model_table_acquire(fx->table, "bc", NULL, &a, &err), FERRY_OK);
    run_pass(fx);
    assert_int_equal(model_table_acquire(fx->table, "bc", NULL, &b, &err), FERRY_OK);
    assert_ptr_equal(a, b);
    model_version_release(a);
    model_version_release(b);
}

static void test_corrupt_version_keeps_current(void **state)
{
    fixture *fx = *state;
    run_pass(fx);
    add_corrupt_version(fx, "bc", 3);
    write_yaml(fx, "bc", "production: 3\n");
    run_pass(fx);

    assert_string_equal(serving(fx, "bc"), "1");
    model_status *st = status_of(fx, "bc");
    assert_int_equal(st->state, MODEL_READY);
    assert_contains(st->reason, "version 3");
    assert_contains(st->reason, "bc/3/model.json");
    assert_true(model_table_all_ready(fx->table));
    const char *failures = "ferry_model_load_failures_total{model=\"bc\",version=\"3\"}";
    assert_true(metric(fx, failures) == 1);

    /* Not retried while its files stay the same. */
    for (int i = 0; i < 3; i++)
        run_pass(fx);
    assert_true(metric(fx, failures) == 1);

    /* Fixed files load. */
    add_version(fx, "bc", 3, v2_artifact);
    run_pass(fx);
    assert_string_equal(serving(fx, "bc"), "3");
    assert_string_equal(status_of(fx, "bc")->reason, "");
    assert_true(metric(fx, failures) == 1);
}

static void test_sha256_mismatch_keeps_current(void **state)
{
    fixture *fx = *state;
    run_pass(fx);
    add_version(fx, "bc", 3, v2_artifact);
    ts_write_file(at(fx, "bc/3/version.yaml"),
                  "sha256: 0000000000000000000000000000000000000000000000000000000000000000\n");
    write_yaml(fx, "bc", "production: 3\n");
    run_pass(fx);
    assert_string_equal(serving(fx, "bc"), "1");
    assert_contains(status_of(fx, "bc")->reason, "version.yaml says");

    char sha[65];
    ferry_error err;
    assert_int_equal(hash_file_sha256(v2_artifact, sha, NULL, &err), FERRY_OK);
    char text[128];
    snprintf(text, sizeof text, "sha256: %s\n", sha);
    ts_write_file(at(fx, "bc/3/version.yaml"), text);
    run_pass(fx);
    assert_string_equal(serving(fx, "bc"), "3");
    assert_string_equal(status_of(fx, "bc")->reason, "");
}

static void test_first_load_failure_is_not_ready(void **state)
{
    fixture *fx = *state;
    add_corrupt_version(fx, "broken", 1);
    run_pass(fx);
    model_status *st = status_of(fx, "broken");
    assert_int_equal(st->state, MODEL_FAILED);
    assert_contains(st->reason, "broken/1/model.json");
    assert_false(model_table_all_ready(fx->table));
    model_version *mv = NULL;
    ferry_error err;
    assert_int_equal(model_table_acquire(fx->table, "broken", NULL, &mv, &err), FERRY_UNAVAILABLE);
    assert_string_equal(serving(fx, "bc"), "1");
}

static void test_model_without_versions(void **state)
{
    fixture *fx = *state;
    write_yaml(fx, "empty", "# registered nothing yet\n");
    run_pass(fx);
    model_status *st = status_of(fx, "empty");
    assert_int_equal(st->state, MODEL_FAILED);
    assert_contains(st->reason, "no version folders");
    assert_true(metric(fx, "ferry_model_load_failures_total{model=\"empty\",version=\"\"}") == 1);
    run_pass(fx);
    assert_true(metric(fx, "ferry_model_load_failures_total{model=\"empty\",version=\"\"}") == 1);

    add_version(fx, "empty", 1, v2_artifact);
    run_pass(fx);
    assert_string_equal(serving(fx, "empty"), "1");
    assert_string_equal(status_of(fx, "empty")->reason, "");
}

static void test_missing_production_folder(void **state)
{
    fixture *fx = *state;
    run_pass(fx);
    write_yaml(fx, "bc", "production: 5\n");
    run_pass(fx);
    assert_string_equal(serving(fx, "bc"), "1");
    assert_contains(status_of(fx, "bc")->reason, "version 5");

    add_version(fx, "bc", 5, v2_artifact); /* registered later: picked up */
    run_pass(fx);
    assert_string_equal(serving(fx, "bc"), "5");
}

static void test_bad_model_yaml_keeps_serving(void **state)
{
    fixture *fx = *state;
    run_pass(fx);
    write_yaml(fx, "bc", "production: [1\n");
    run_pass(fx);
    assert_string_equal(serving(fx, "bc"), "1");
    assert_contains(status_of(fx, "bc")->reason, "model.yaml");
    assert_true(metric(fx, "ferry_model_load_failures_total{model=\"bc\",version=\"\"}") == 1);
    run_pass(fx);
    assert_true(metric(fx, "ferry_model_load_failures_total{model=\"bc\",version=\"\"}") == 1);

    write_yaml(fx, "bc", "production: 2\nload: sometimes\n");
    run_pass(fx);
    assert_string_equal(serving(fx, "bc"), "1");
    assert_contains(status_of(fx, "bc")->reason, "load must be");

    write_yaml(fx, "bc", "production: 2\n");
    run_pass(fx);
    assert_string_equal(serving(fx, "bc"), "2");
    assert_string_equal(status_of(fx, "bc")->reason, "");
}

/* ------------------------------------------------------------------------------------------ */
/* load:                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static void assert_version_answers(fixture *fx, const char *model, const char *version, bool yes)
{
    model_version *mv = NULL;
    ferry_error err;
    ferry_status st = model_table_acquire(fx->table, model, version, &mv, &err);
    assert_int_equal(st, yes ? FERRY_OK : FERRY_NOT_FOUND);
    if (yes)
        assert_string_equal(mv->version, version);
    model_version_release(mv);
}

static void test_load_all_list_none(void **state)
{
    fixture *fx = *state;
    add_version(fx, "bc", 3, v2_artifact);
    write_yaml(fx, "bc", "production: 2\nload: all\n");
    run_pass(fx);
    assert_string_equal(loaded(fx, "bc"), "1,2,3");
    assert_string_equal(serving(fx, "bc"), "2");
    assert_version_answers(fx, "bc", "1", true);
    assert_version_answers(fx, "bc", "3", true);
    assert_true(metric(fx, "ferry_models_loaded") == 3);

    write_yaml(fx, "bc", "production: 2\nload: all\narchived: [1]\n");
    run_pass(fx);
    assert_string_equal(loaded(fx, "bc"), "2,3");
    assert_version_answers(fx, "bc", "1", false);

    write_yaml(fx, "bc", "production: 3\nload: [1]\n");
    run_pass(fx);
    assert_string_equal(loaded(fx, "bc"), "1,3");
    assert_string_equal(serving(fx, "bc"), "3");

    write_yaml(fx, "bc", "production: 3\nload: 2\n");
    run_pass(fx);
    assert_string_equal(loaded(fx, "bc"), "2,3");

    write_yaml(fx, "bc", "production: 3\nload: none\n");
    run_pass(fx);
    model_status *st = status_of(fx, "bc");
    assert_int_equal(st->state, MODEL_UNLOADED);
    assert_int_equal(st->n_versions, 0);
    assert_true(model_table_all_ready(fx->table)); /* unloaded on purpose: still ready */
    model_version *mv = NULL;
    ferry_error err;
    assert_int_equal(model_table_acquire(fx->table, "bc", NULL, &mv, &err), FERRY_UNAVAILABLE);
    assert_contains(err.message, "load: none");
    assert_version_answers(fx, "bc", "3", false);
    assert_true(metric(fx, "ferry_models_loaded") == 0);

    write_yaml(fx, "bc", "production: 3\nload: production\n");
    run_pass(fx);
    assert_string_equal(loaded(fx, "bc"), "3");
    assert_string_equal(serving(fx, "bc"), "3");
}

static void test_failed_swap_with_load_all(void **state)
{
    fixture *fx = *state;
    add_corrupt_version(fx, "bc", 3);
    write_yaml(fx, "bc", "production: 1\nload: all\n");
    run_pass(fx);
    assert_string_equal(loaded(fx, "bc"), "1,2");
    assert_contains(status_of(fx, "bc")->reason, "version 3");

    write_yaml(fx, "bc", "production: 3\nload: all\n");
    run_pass(fx);
    assert_string_equal(serving(fx, "bc"), "1"); /* the version serving so far keeps serving */
    assert_string_equal(loaded(fx, "bc"), "1,2");
}

/* ------------------------------------------------------------------------------------------ */
/* Models appearing, disappearing, changing options                                            */
/* ------------------------------------------------------------------------------------------ */

static void test_models_come_and_go(void **state)
{
    fixture *fx = *state;
    run_pass(fx);
    assert_false(model_table_contains(fx->table, "other"));
    add_version(fx, "other", 1, v2_artifact); /* no model.yaml: the highest version serves */
    run_pass(fx);
    assert_string_equal(serving(fx, "other"), "1");
    assert_true(metric(fx, "ferry_models_loaded") == 2);

    ts_rmtree(at(fx, "other"));
    run_pass(fx);
    assert_false(model_table_contains(fx->table, "other"));
    model_version *mv = NULL;
    ferry_error err;
    assert_int_equal(model_table_acquire(fx->table, "other", NULL, &mv, &err), FERRY_NOT_FOUND);
    assert_true(metric(fx, "ferry_models_loaded") == 1);
    assert_string_equal(serving(fx, "bc"), "1");
}

static void test_options_change_reloads(void **state)
{
    fixture *fx = *state;
    run_pass(fx);
    write_yaml(fx, "bc", "production: 1\noptions:\n  output_name: probability\n");
    run_pass(fx);
    model_version *mv = NULL;
    ferry_error err;
    assert_int_equal(model_table_acquire(fx->table, "bc", NULL, &mv, &err), FERRY_OK);
    assert_string_equal(mv->io.outputs[0].name, "probability");
    model_version_release(mv);

    /* An option the backend refuses: the loaded instance keeps serving. */
    write_yaml(fx, "bc", "production: 1\noptions:\n  bogus: 1\n");
    run_pass(fx);
    assert_int_equal(model_table_acquire(fx->table, "bc", NULL, &mv, &err), FERRY_OK);
    assert_string_equal(mv->io.outputs[0].name, "probability");
    model_version_release(mv);
    assert_contains(status_of(fx, "bc")->reason, "bogus");
}

/* ------------------------------------------------------------------------------------------ */
/* The background thread                                                                        */
/* ------------------------------------------------------------------------------------------ */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Waits up to 5 s for `version` to serve; returns the milliseconds it took, or fails. */
static double wait_serving(fixture *fx, const char *version)
{
    double t0 = now_ms();
    while (strcmp(serving(fx, "bc"), version) != 0) {
        if (now_ms() - t0 > 5000)
            fail_msg("version %s did not serve within 5 s (serving '%s')", version,
                     serving(fx, "bc"));
        usleep(200);
    }
    return now_ms() - t0;
}

static void swap_in_background(fixture *fx, const char *what)
{
    run_pass(fx);
    ferry_error err;
    assert_int_equal(reconciler_start(fx->rec, &err), FERRY_OK);
    for (int i = 0; i < 4; i++) {
        const char *version = i % 2 ? "1" : "2";
        char text[64];
        snprintf(text, sizeof text, "production: %s\n", version);
        write_yaml(fx, "bc", text);
        double ms = wait_serving(fx, version);
        fprintf(stderr, "reconciler: %s: model.yaml -> version %s serving in %.1f ms\n", what,
                version, ms);
    }
    reconciler_stop(fx->rec);
    reconciler_stop(fx->rec); /* idempotent */
}

static void test_inotify_thread(void **state)
{
    fixture *fx = *state;
    reconciler_destroy(fx->rec);
    open_reconciler(fx, WATCHER_INOTIFY, 600000); /* no poll within the test: inotify alone */
    swap_in_background(fx, "inotify");

    /* A pass reads the repository without triggering itself: once quiet, no more passes. */
    ferry_error err;
    assert_int_equal(reconciler_start(fx->rec, &err), FERRY_OK);
    usleep(200 * 1000);
    uint64_t passes = reconciler_passes(fx->rec);
    usleep(300 * 1000);
    assert_int_equal(reconciler_passes(fx->rec), passes);
    reconciler_stop(fx->rec);

    /* New models and removed ones are noticed too. */
    reconciler_destroy(fx->rec);
    open_reconciler(fx, WATCHER_INOTIFY, 600000);
    run_pass(fx);
    assert_int_equal(reconciler_start(fx->rec, &err), FERRY_OK);
    add_version(fx, "late", 1, v1_artifact);
    double t0 = now_ms();
    while (!model_table_contains(fx->table, "late") || model_table_ready_count(fx->table) < 2) {
        assert_true(now_ms() - t0 < 5000);
        usleep(1000);
    }
    ts_rmtree(at(fx, "late"));
    while (model_table_contains(fx->table, "late")) {
        assert_true(now_ms() - t0 < 10000);
        usleep(1000);
    }
}

static void test_polling_alone(void **state)
{
    fixture *fx = *state;
    reconciler_destroy(fx->rec);
    open_reconciler(fx, WATCHER_POLL, 50);
    swap_in_background(fx, "poll 50 ms");
    assert_true(reconciler_passes(fx->rec) > 4);
}

static void test_wake_runs_a_pass(void **state)
{
    fixture *fx = *state;
    run_pass(fx);
    ferry_error err;
    assert_int_equal(reconciler_start(fx->rec, &err), FERRY_OK); /* polling every 60 s */
    write_yaml(fx, "bc", "production: 2\n");
    reconciler_wake(fx->rec);
    wait_serving(fx, "2");
}

/* ------------------------------------------------------------------------------------------ */
/* 1,000 swap cycles under concurrent readers                                                  */
/* ------------------------------------------------------------------------------------------ */

typedef struct reader {
    fixture *fx;
    atomic_bool *stop;
    long runs;
    long failures;
} reader;

static void *read_loop(void *arg)
{
    reader *r = arg;
    while (!atomic_load(r->stop)) {
        model_version *mv = NULL;
        ferry_error err;
        if (model_table_acquire(r->fx->table, "bc", NULL, &mv, &err) != FERRY_OK) {
            r->failures++;
            continue;
        }
        if (warmup_run(mv, &err) != FERRY_OK)
            r->failures++;
        model_version_release(mv);
        r->runs++;
        usleep(1000); /* concurrent, not saturating: the swaps are what is tested */
    }
    return NULL;
}

static long resident_kib(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &pages, &resident), 2);
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void swap_cycles(fixture *fx, int from, int to)
{
    for (int i = from; i < to; i++) {
        write_yaml(fx, "bc", i % 2 ? "production: 1\n" : "production: 2\n");
        run_pass(fx);
        assert_string_equal(serving(fx, "bc"), i % 2 ? "1" : "2");
    }
}

static void test_swap_cycles_leak_free(void **state)
{
    fixture *fx = *state;
    log_set_level(LOG_WARN);
    run_pass(fx);
    atomic_bool stop;
    atomic_init(&stop, false);
    reader readers[2] = {{.fx = fx, .stop = &stop}, {.fx = fx, .stop = &stop}};
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, read_loop, &readers[i]), 0);

    swap_cycles(fx, 0, 100); /* warm-up: allocator arenas, xgboost's caches */
    long before = resident_kib();
    swap_cycles(fx, 100, 1000);
    long after = resident_kib();

    atomic_store(&stop, true);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    fprintf(stderr,
            "reconciler: 1000 swap cycles: resident %ld KiB after warm-up, %ld KiB after (%+ld); "
            "%ld + %ld inferences meanwhile\n",
            before, after, after - before, readers[0].runs, readers[1].runs);
    assert_int_equal(readers[0].failures + readers[1].failures, 0);
    assert_true(readers[0].runs + readers[1].runs > 0);
    assert_true(metric(fx, "ferry_models_loaded") == 1);
#if !defined(__SANITIZE_ADDRESS__)
    /* A leaked version is ~1 MiB (xgboost booster and buffers): 900 of them would show. Under
     * ASan freed memory sits in quarantine, so LeakSanitizer checks instead. */
    assert_true(after - before < 16 * 1024);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_production_change_swaps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_version_keeps_current, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sha256_mismatch_keeps_current, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_load_failure_is_not_ready, setup, teardown),
        cmocka_unit_test_setup_teardown(test_model_without_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_production_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_model_yaml_keeps_serving, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_all_list_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_swap_with_load_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_models_come_and_go, setup, teardown),
        cmocka_unit_test_setup_teardown(test_options_change_reloads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inotify_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_polling_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wake_runs_a_pass, setup, teardown),
        cmocka_unit_test_setup_teardown(test_swap_cycles_leak_free, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
