/* Unit tests for the metrics registry (src/monitor/metrics.c) and the process_* reader
 * (src/monitor/process_metrics.c): what the /metrics page says after known observations, its
 * escaping, its bounds, its behaviour under concurrent observers, and promtool's verdict on it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monitor/metrics.h"
#include "monitor/process_metrics.h"

#define PAGE_MAX (64u << 20)

/* ======================== Helpers ======================== */

/* Renders m into a fresh NUL-terminated string the caller frees. */
static char *render(metrics *m)
{
    buffer out;
    buffer_init(&out, PAGE_MAX);
    assert_int_equal(metrics_render(m, &out), FERRY_OK);
    assert_non_null(out.data);
    return buffer_take(&out, NULL);
}

/* The line that starts with `series ` (name plus labels, exactly), or NULL. */
static const char *find_line(const char *page, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = page; line != NULL && *line != '\0';) {
        if (strncmp(line, series, n) == 0 && line[n] == ' ')
            return line;
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return NULL;
}

static bool has_line(const char *page, const char *series)
{
    return find_line(page, series) != NULL;
}

/* The sample value of `series`; fails the test when the series is missing. */
static double value_of(const char *page, const char *series)
{
    const char *line = find_line(page, series);
    if (line == NULL)
        fail_msg("no sample %s in:\n%s", series, page);
    return strtod(line + strlen(series) + 1, NULL);
}

static void assert_value(const char *page, const char *series, double expected)
{
    double got = value_of(page, series);
    if (fabs(got - expected) > 1e-9 * fmax(1.0, fabs(expected)))
        fail_msg("%s is %.17g, expected %.17g", series, got, expected);
}

static int count_lines_starting(const char *page, const char *prefix)
{
    int count = 0;
    size_t n = strlen(prefix);
    for (const char *line = page; line != NULL && *line != '\0';) {
        if (strncmp(line, prefix, n) == 0)
            count++;
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return count;
}

static void write_file(const char *path, const char *text)
{
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    assert_int_equal(fputs(text, file) >= 0, 1);
    assert_int_equal(fclose(file), 0);
}

/* ======================== Counters and histograms ======================== */

static void test_request_counts(void **state)
{
    (void)state;
    metrics *m = metrics_create();
    assert_non_null(m);
    for (int i = 0; i < 3; i++)
        metrics_observe_request(m, "iris", "1", "rest", "200", 0.001);
    metrics_observe_request(m, "iris", "1", "rest", "400", 0.001);
    metrics_observe_request(m, "iris", "1", "grpc", "OK", 0.001);
    metrics_observe_request(m, METRICS_UNKNOWN_MODEL, "", "rest", "404", 0.0001);
    char *page = render(m);

    assert_value(
        page, "ferry_requests_total{model=\"iris\",version=\"1\",protocol=\"rest\",code=\"200\"}",
        3);
    assert_value(
        page, "ferry_requests_total{model=\"iris\",version=\"1\",protocol=\"rest\",code=\"400\"}",
        1);
    assert_value(page,
                 "ferry_requests_total{model=\"iris\",version=\"1\",protocol=\"grpc\",code=\"OK\"}",
                 1);
    assert_value(
        page,
        "ferry_requests_total{model=\"_unknown\",version=\"\",protocol=\"rest\",code=\"404\"}", 1);
    /* The duration histogram has no code label: both http codes land in one series. */
    assert_value(
        page,
        "ferry_request_duration_seconds_count{model=\"iris\",version=\"1\",protocol=\"rest\"}", 4);
    assert_int_equal(count_lines_starting(page, "ferry_requests_total{"), 4);
    assert_int_equal(count_lines_starting(page, "ferry_request_duration_seconds_count{"), 3);
    free(page);
    metrics_destroy(m);
}

static void test_histogram_buckets(void **state)
{
    (void)state;
    metrics *m = metrics_create();
    assert_non_null(m);
    /* A bound belongs to its own bucket (le is "less than or equal"). */
    const double seconds[] = {1e-05, 0.003, 0.003, 0.7, 20.0, -1.0};
    for (size_t i = 0; i < sizeof seconds / sizeof seconds[0]; i++)
        metrics_observe_inference(m, "iris", "2", seconds[i]);
    char *page = render(m);

    /* The negative duration counts as 0 s, in the first bucket. */
    const struct {
        const char *le;
        double cumulative;
    } expected[] = {
        {"1e-05", 2},  {"2.5e-05", 2}, {"5e-05", 2},  {"0.0001", 2}, {"0.00025", 2},
        {"0.0005", 2}, {"0.001", 2},   {"0.0025", 2}, {"0.005", 4},  {"0.01", 4},
        {"0.025", 4},  {"0.05", 4},    {"0.1", 4},    {"0.25", 4},   {"0.5", 4},
        {"1", 5},      {"2.5", 5},     {"5", 5},      {"10", 5},     {"+Inf", 6},
    };
    char series[256];
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        snprintf(series, sizeof series,
                 "ferry_inference_duration_seconds_bucket{model=\"iris\",version=\"2\",le=\"%s\"}",
                 expected[i].le);
        assert_value(page, series, expected[i].cumulative);
    }
    assert_int_equal(count_lines_starting(page, "ferry_inference_duration_seconds_bucket{"), 20);
    assert_value(page, "ferry_inference_duration_seconds_count{model=\"iris\",version=\"2\"}", 6);
    assert_value(page, "ferry_inference_duration_seconds_sum{model=\"iris\",version=\"2\"}",
                 1e-05 + 0.003 + 0.003 + 0.7 + 20.0);
    free(page);
    metrics_destroy(m);
}

static void test_buckets_are_cumulative(void **state)
{
    (void)state;
    metrics *m = metrics_create();
    assert_non_null(m);
    /* One observation per bucket, each just under its bound (and one past the last). */
    const double bounds[] = {1e-05,  2.5e-05, 5e-05, 0.0001, 0.00025, 0.0005, 0.001,
                             0.0025, 0.005,   0.01,  0.025,  0.05,    0.1,    0.25,
                             0.5,    1,       2.5,   5,      10,      11};
    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++)
        metrics_observe_request(m, "m", "1", "rest", "200", bounds[i] * 0.99);
    char *page = render(m);
    const char *prefix = "ferry_request_duration_seconds_bucket{";
    double previous = 0;
    int buckets = 0;
    for (const char *line = strstr(page, prefix); line != NULL; line = strstr(line + 1, prefix)) {
        double value = strtod(strchr(line, ' ') + 1, NULL);
        assert_true(value == previous + 1); /* each bucket adds exactly its own observation */
        previous = value;
        buckets++;
    }
    assert_int_equal(buckets, 20);
    free(page);
    metrics_destroy(m);
}

/* ======================== Labels and families ======================== */

static void test_label_escaping(void **state)
{
    (void)state;
    metrics *m = metrics_create();
    assert_non_null(m);
    metrics_observe_request(m, "a\"b\\c\nd", "v\\1", "rest", "200", 0.01);
    metrics_set_model_info(m, "quote\"d", "1", "onnx", "x\ny", true);
    char *page = render(m);
    assert_true(has_line(page, "ferry_requests_total{model=\"a\\\"b\\\\c\\nd\",version=\"v\\\\1\","
                               "protocol=\"rest\",code=\"200\"}"));
    assert_true(has_line(page,
                         "ferry_model_info{model=\"quote\\\"d\",version=\"1\",backend=\"onnx\","
                         "sha256=\"x\\ny\"}"));
    /* No raw newline escaped into the middle of a sample: every line is a comment or a sample. */
    for (const char *line = page; *line != '\0'; line = strchr(line, '\n') + 1)
        assert_true(line[0] == '#' || strncmp(line, "ferry_", 6) == 0 ||
                    strncmp(line, "process_", 8) == 0);
    free(page);
    metrics_destroy(m);
}

static void test_help_and_type_lines(void **state)
{
    (void)state;
    metrics *m = metrics_create();
    assert_non_null(m);
    char *page = render(m); /* an empty registry still describes every family */
    const char *families[][2] = {
        {"ferry_requests_total", "counter"},
        {"ferry_request_duration_seconds", "histogram"},
        {"ferry_inference_duration_seconds", "histogram"},
        {"ferry_models_loaded", "gauge"},
        {"ferry_model_info", "gauge"},
        {"ferry_build_info", "gauge"},
        {"ferry_metrics_dropped_total", "counter"},
        {"process_cpu_seconds_total", "counter"},
        {"process_open_fds", "gauge"},
        {"process_max_fds", "gauge"},
        {"process_virtual_memory_bytes", "gauge"},
        {"process_resident_memory_bytes", "gauge"},
        {"process_start_time_seconds", "gauge"},
    };
    char line[256];
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        snprintf(line, sizeof line, "\n# HELP %s ", families[i][0]);
        assert_true(strstr(page, line) != NULL || strncmp(page, line + 1, strlen(line + 1)) == 0);
        snprintf(line, sizeof line, "\n# TYPE %s %s\n", families[i][0], families[i][1]);
        assert_non_null(strstr(page, line));
    }
    assert_value(page, "ferry_build_info{version=\"" FERRY_VERSION "\"}", 1);
    assert_value(page, "ferry_models_loaded", 0);
    assert_value(page, "ferry_metrics_dropped_total", 0);
    free(page);
    metrics_destroy(m);
}

static void test_model_info(void **state)
{
    (void)state;
    metrics *m = metrics_create();
    assert_non_null(m);
    const char *iris1 =
        "ferry_model_info{model=\"iris\",version=\"1\",backend=\"onnx\",sha256=\"aa\"}";
    const char *iris2 =
        "ferry_model_info{model=\"iris\",version=\"2\",backend=\"onnx\",sha256=\"bb\"}";
    const char *iris2b =
        "ferry_model_info{model=\"iris\",version=\"2\",backend=\"xgboost\",sha256=\"cc\"}";

    metrics_set_model_info(m, "iris", "1", "onnx", "aa", true);
    metrics_set_model_info(m, "iris", "2", "onnx", "bb", true);
    metrics_set_model_info(m, "iris", "2", "onnx", "bb", true); /* idempotent */
    char *page = render(m);
    assert_value(page, "ferry_models_loaded", 2);
    assert_value(page, iris1, 1);
    assert_value(page, iris2, 1);
    free(page);

    /* Reloading a version with another artefact replaces its series. */
    metrics_set_model_info(m, "iris", "2", "xgboost", "cc", true);
    page = render(m);
    assert_value(page, "ferry_models_loaded", 2);
    assert_false(has_line(page, iris2));
    assert_value(page, iris2b, 1);
    free(page);

    metrics_set_model_info(m, "iris", "1", "onnx", "aa", false);
    metrics_set_model_info(m, "absent", "9", "onnx", "zz", false); /* unknown: no effect */
    page = render(m);
    assert_value(page, "ferry_models_loaded", 1);
    assert_false(has_line(page, iris1));
    assert_value(page, iris2b, 1);
    free(page);

    metrics_set_model_info(m, "iris", "2", "xgboost", "cc", false);
    page = render(m);
    assert_value(page, "ferry_models_loaded", 0);
    assert_int_equal(count_lines_starting(page, "ferry_model_info{"), 0);
    free(page);
    metrics_destroy(m);
}

static void test_series_bound(void **state)
{
    (void)state;
    metrics *m = metrics_create();
    assert_non_null(m);
    char model[32];
    for (int i = 0; i < 10005; i++) {
        snprintf(model, sizeof model, "m%d", i);
        metrics_observe_request(m, model, "1", "rest", "200", 0.001);
    }
    /* Existing series still count once the family is full. */
    metrics_observe_request(m, "m0", "1", "rest", "200", 0.001);
    char *page = render(m);
    assert_int_equal(count_lines_starting(page, "ferry_requests_total{"), 10000);
    assert_int_equal(count_lines_starting(page, "ferry_request_duration_seconds_count{"), 10000);
    /* Five requests over the bound, each dropped by both request families. */
    assert_value(page, "ferry_metrics_dropped_total", 10);
    assert_value(
        page, "ferry_requests_total{model=\"m0\",version=\"1\",protocol=\"rest\",code=\"200\"}", 2);
    assert_false(has_line(page, "ferry_requests_total{model=\"m10000\",version=\"1\","
                                "protocol=\"rest\",code=\"200\"}"));
    free(page);
    metrics_destroy(m);
}

static void test_render_failure_leaves_buffer(void **state)
{
    (void)state;
    metrics *m = metrics_create();
    assert_non_null(m);
    metrics_observe_request(m, "iris", "1", "rest", "200", 0.001);
    buffer out;
    buffer_init(&out, 512);
    assert_int_equal(buffer_append_str(&out, "before\n"), FERRY_OK);
    assert_int_equal(metrics_render(m, &out), FERRY_TOO_LARGE);
    assert_int_equal(out.len, 7);
    assert_string_equal(out.data, "before\n");
    buffer_free(&out);
    metrics_destroy(m);
    metrics_destroy(NULL);
}

/* ======================== Concurrency ======================== */

#define THREADS      4
#define OBSERVATIONS 10000

static metrics *shared_registry;

static void *observe_many(void *arg)
{
    int id = (int)(intptr_t)arg;
    char version[16];
    snprintf(version, sizeof version, "t%d", id);
    for (int i = 0; i < OBSERVATIONS; i++) {
        metrics_observe_request(shared_registry, "shared", "1", "rest", "200", 0.002);
        metrics_observe_inference(shared_registry, "shared", "1", 0.0005);
        /* Series created while the other threads observe. */
        static const char *const codes[] = {
            "OK",        "CANCELLED",     "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
            "NOT_FOUND", "ALREADY_EXISTS"};
        metrics_observe_request(shared_registry, "own", version, "grpc", codes[i % 7], 0.02);
    }
    return NULL;
}

static void test_concurrent_observers(void **state)
{
    (void)state;
    shared_registry = metrics_create();
    assert_non_null(shared_registry);
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, observe_many, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);

    char *page = render(shared_registry);
    const double total = THREADS * OBSERVATIONS;
    assert_value(
        page, "ferry_requests_total{model=\"shared\",version=\"1\",protocol=\"rest\",code=\"200\"}",
        total);
    assert_value(page,
                 "ferry_request_duration_seconds_bucket{model=\"shared\",version=\"1\","
                 "protocol=\"rest\",le=\"0.0025\"}",
                 total);
    assert_value(page,
                 "ferry_request_duration_seconds_bucket{model=\"shared\",version=\"1\","
                 "protocol=\"rest\",le=\"0.001\"}",
                 0);
    assert_value(
        page,
        "ferry_request_duration_seconds_count{model=\"shared\",version=\"1\",protocol=\"rest\"}",
        total);
    assert_value(
        page,
        "ferry_request_duration_seconds_sum{model=\"shared\",version=\"1\",protocol=\"rest\"}",
        total * 0.002);
    assert_value(page, "ferry_inference_duration_seconds_count{model=\"shared\",version=\"1\"}",
                 total);
    assert_int_equal(count_lines_starting(page, "ferry_requests_total{model=\"own\""), THREADS * 7);
    assert_value(
        page,
        "ferry_request_duration_seconds_count{model=\"own\",version=\"t3\",protocol=\"grpc\"}",
        OBSERVATIONS);
    assert_value(page, "ferry_metrics_dropped_total", 0);
    free(page);
    metrics_destroy(shared_registry);
    shared_registry = NULL;
}

/* ======================== Process metrics ======================== */

static void test_process_metrics_live(void **state)
{
    (void)state;
    process_metrics_sample s;
    process_metrics_read("/proc", &s);
    assert_true(s.has_cpu_seconds && s.has_virtual_bytes && s.has_resident_bytes &&
                s.has_start_time && s.has_open_fds && s.has_max_fds);
    assert_true(s.cpu_seconds >= 0 && s.cpu_seconds < 3600);
    assert_true(s.resident_bytes >= 1 << 20); /* a C program with libc mapped */
    assert_true(s.virtual_bytes >= s.resident_bytes);
    assert_true(s.open_fds >= 3 && s.open_fds <= s.max_fds);
    double now = (double)time(NULL);
    assert_true(s.start_time_seconds > now - 3600 && s.start_time_seconds <= now + 2);

    metrics *m = metrics_create();
    assert_non_null(m);
    char *page = render(m);
    assert_true(value_of(page, "process_resident_memory_bytes") >= 1 << 20);
    assert_true(value_of(page, "process_virtual_memory_bytes") >= 1 << 20);
    assert_true(value_of(page, "process_cpu_seconds_total") >= 0);
    assert_true(value_of(page, "process_open_fds") >= 3);
    assert_true(value_of(page, "process_max_fds") >= value_of(page, "process_open_fds"));
    assert_true(fabs(value_of(page, "process_start_time_seconds") - s.start_time_seconds) < 1);
    free(page);
    metrics_destroy(m);
}

/* A fake /proc with known numbers; the command name holds the ") " that naive parsers split on. */
static void test_process_metrics_fake_proc(void **state)
{
    (void)state;
    char root[] = "/tmp/ferry_proc_XXXXXX";
    assert_non_null(mkdtemp(root));
    char path[512];
    snprintf(path, sizeof path, "%s/self", root);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/self/fd", root);
    assert_int_equal(mkdir(path, 0700), 0);
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/self/fd/%d", root, i);
        write_file(path, "");
    }
    /* utime 250, stime 50, starttime 1000 ticks, vsize 8 MiB, rss 300 pages. */
    snprintf(path, sizeof path, "%s/self/stat", root);
    write_file(path, "42 (odd) name) S 1 42 42 0 -1 4194304 10 0 0 0 250 50 0 0 20 0 1 0 1000 "
                     "8388608 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n");
    snprintf(path, sizeof path, "%s/stat", root);
    write_file(path, "cpu  1 2 3 4\nintr 1 2 3\nbtime 1700000000\nprocesses 5\n");

    process_metrics_sample s;
    process_metrics_read(root, &s);
    long ticks = sysconf(_SC_CLK_TCK);
    long page_size = sysconf(_SC_PAGESIZE);
    assert_true(s.has_cpu_seconds && s.has_start_time && s.has_virtual_bytes &&
                s.has_resident_bytes && s.has_open_fds);
    assert_true(s.cpu_seconds == 300.0 / (double)ticks);
    assert_true(s.start_time_seconds == 1700000000.0 + 1000.0 / (double)ticks);
    assert_true(s.virtual_bytes == 8388608.0);
    assert_true(s.resident_bytes == 300.0 * (double)page_size);
    assert_true(s.open_fds == 3);

    /* Without btime only the start time is unknown; a malformed stat loses its values. */
    write_file(path, "cpu  1 2 3 4\n");
    process_metrics_read(root, &s);
    assert_true(s.has_cpu_seconds && !s.has_start_time);
    snprintf(path, sizeof path, "%s/self/stat", root);
    write_file(path, "42 (short) S 1 2 3\n");
    process_metrics_read(root, &s);
    assert_false(s.has_cpu_seconds || s.has_virtual_bytes || s.has_resident_bytes);
    assert_true(s.has_open_fds);

    char command[600];
    snprintf(command, sizeof command, "rm -rf '%s'", root);
    assert_int_equal(system(command), 0);
}

static void test_process_metrics_missing_proc(void **state)
{
    (void)state;
    process_metrics_sample s;
    process_metrics_read("/nonexistent/ferry-proc", &s);
    assert_false(s.has_cpu_seconds || s.has_virtual_bytes || s.has_resident_bytes ||
                 s.has_start_time || s.has_open_fds);
    assert_true(s.has_max_fds); /* getrlimit needs no /proc */
}

/* ======================== promtool ======================== */

static void test_promtool_accepts_page(void **state)
{
    (void)state;
    if (system("command -v promtool >/dev/null 2>&1") != 0)
        skip();
    metrics *m = metrics_create();
    assert_non_null(m);
    metrics_observe_request(m, "iris", "1", "rest", "200", 0.004);
    metrics_observe_request(m, "we\"ird\\\nname", "", "grpc", "INVALID_ARGUMENT", 12.5);
    metrics_observe_request(m, METRICS_UNKNOWN_MODEL, "", "rest", "404", 0.00002);
    metrics_observe_inference(m, "iris", "1", 0.003);
    metrics_set_model_info(m, "iris", "1", "onnx", "0123abcd", true);
    char *page = render(m);

    char path[] = "/tmp/ferry_metrics_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(page);
    assert_int_equal(write(fd, page, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    char command[256];
    snprintf(command, sizeof command, "promtool check metrics < %s", path);
    int status = system(command);
    assert_int_equal(unlink(path), 0);
    free(page);
    metrics_destroy(m);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_counts),
        cmocka_unit_test(test_histogram_buckets),
        cmocka_unit_test(test_buckets_are_cumulative),
        cmocka_unit_test(test_label_escaping),
        cmocka_unit_test(test_help_and_type_lines),
        cmocka_unit_test(test_model_info),
        cmocka_unit_test(test_series_bound),
        cmocka_unit_test(test_render_failure_leaves_buffer),
        cmocka_unit_test(test_concurrent_observers),
        cmocka_unit_test(test_process_metrics_live),
        cmocka_unit_test(test_process_metrics_fake_proc),
        cmocka_unit_test(test_process_metrics_missing_proc),
        cmocka_unit_test(test_promtool_accepts_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
