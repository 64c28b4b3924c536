/* `ferry conformance` over ONNX's node tests in ../shared/conformance/onnx/node: no test may fail
 * (skips, for operators not implemented yet, are allowed and counted), on one thread and with
 * every step split over three; the counts are printed.
 * Also one test folder as PATH, a failing comparison reported as FAIL with exit 1, and usage
 * errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

/* The last line of text (without its newline), copied into buf. */
static const char *last_line(const char *text, char *buf, size_t len)
{
    size_t n = strlen(text);
    while (n > 0 && text[n - 1] == '\n')
        n--;
    size_t start = n;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    snprintf(buf, len, "%.*s", (int)(n - start), text + start);
    return buf;
}

/* Runs the node tests (with `flags`) and checks the summary: no failure, 354 passed. */
static void node_tests_have_no_failures(const char *flags)
{
    char cmd[8400], line[256], *out = NULL;
    snprintf(cmd, sizeof cmd, "'%s' conformance %s '%s' 2>&1", ts_ferry_bin(), flags,
             ts_shared("conformance/onnx/node"));
    int rc = ts_run(cmd, &out);
    ts_assert_no_sanitizer_report(out);
    unsigned passed = 0, failed = 0, skipped = 0;
    last_line(out, line, sizeof line);
    assert_int_equal(sscanf(line, "%u passed, %u failed, %u skipped", &passed, &failed, &skipped),
                     3);
    fprintf(stderr, "ferry conformance %s: %u passed, %u failed, %u skipped\n", flags, passed,
            failed, skipped);
    for (const char *p = out; (p = strstr(p, "FAIL ")) != NULL; p++)
        fprintf(stderr, "%.*s\n", (int)strcspn(p, "\n"), p);
    assert_int_equal(failed, 0);
    assert_int_equal(rc, 0);
    assert_true(passed >= 354); /* what this engine passed when the test was last raised */
    assert_int_equal(passed + skipped, 354);
    free(out);
}

static void test_node_tests_have_no_failures(void **state)
{
    (void)state;
    node_tests_have_no_failures("");
}

/* Every step split three ways, however small: each op's slices add up to its whole. */
static void test_node_tests_on_three_threads(void **state)
{
    (void)state;
    node_tests_have_no_failures("--threads 3");
}

static void test_one_folder_and_a_failure(void **state)
{
    (void)state;
    char cmd[8400], *out = NULL;
    snprintf(cmd, sizeof cmd, "'%s' conformance '%s'", ts_ferry_bin(),
             ts_shared("conformance/onnx/node/test_relu"));
    assert_int_equal(ts_run(cmd, &out), 0);
    assert_string_equal(out, "PASS test_relu\n1 passed, 0 failed, 0 skipped\n");
    free(out);
    /* A copy of test_add whose expected output belongs to test_sub must FAIL. */
    char *tmp = ts_mkdtemp(), src[4200], dst[4200];
    const char *files[][2] = {
        {"test_add/model.onnx", "test_add/model.onnx"},
        {"test_add/test_data_set_0/input_0.pb", "test_add/test_data_set_0/input_0.pb"},
        {"test_add/test_data_set_0/input_1.pb", "test_add/test_data_set_0/input_1.pb"},
        {"test_sub/test_data_set_0/output_0.pb", "test_add/test_data_set_0/output_0.pb"}};
    for (size_t i = 0; i < 4; i++) {
        snprintf(src, sizeof src, "%s/%s", ts_shared("conformance/onnx/node"), files[i][0]);
        snprintf(dst, sizeof dst, "%s/%s", tmp, files[i][1]);
        ts_write_file(dst, "");
        ts_copy_file(src, dst);
    }
    snprintf(cmd, sizeof cmd, "'%s' conformance '%s'", ts_ferry_bin(), tmp);
    assert_int_equal(ts_run(cmd, &out), 1);
    assert_non_null(strstr(out, "FAIL test_add: output 0 element"));
    assert_non_null(strstr(out, "0 passed, 1 failed, 0 skipped"));
    free(out);
    ts_rmtree(tmp);
    free(tmp);
}

static void test_usage(void **state)
{
    (void)state;
    char cmd[8400], *out = NULL;
    snprintf(cmd, sizeof cmd, "'%s' conformance 2>/dev/null", ts_ferry_bin());
    assert_int_equal(ts_run(cmd, &out), 2);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' conformance --help", ts_ferry_bin());
    assert_int_equal(ts_run(cmd, &out), 0);
    assert_non_null(strstr(out, "usage: ferry conformance [--threads N] PATH..."));
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' conformance --threads 0 x 2>&1", ts_ferry_bin());
    assert_int_equal(ts_run(cmd, &out), 2);
    assert_non_null(strstr(out, "--threads must be a whole number"));
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' conformance /nonexistent 2>/dev/null", ts_ferry_bin());
    assert_int_equal(ts_run(cmd, &out), 1);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_tests_have_no_failures),
        cmocka_unit_test(test_node_tests_on_three_threads),
        cmocka_unit_test(test_one_folder_and_a_failure),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
