/* Unit tests for history.jsonl (src/serving/history.c): events round-trip with every field, one
 * line each; a missing file is an empty history; a torn last line (a crash mid-append) and other
 * unreadable lines are skipped and counted, never fatal, with the events around them still read;
 * an append after a torn line starts a new line so that it stays readable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serving/history.h"
#include "test_support.h"

static char *g_tmp;

static int setup_each(void **state)
{
    (void)state;
    g_tmp = ts_mkdtemp();
    return 0;
}

static int teardown_each(void **state)
{
    (void)state;
    ts_rmtree(g_tmp);
    free(g_tmp);
    return 0;
}

static void append(const char *action, uint64_t from, uint64_t to, const char *reason)
{
    history_event ev = {.from = from, .to = to};
    snprintf(ev.actor, sizeof ev.actor, "alice");
    snprintf(ev.action, sizeof ev.action, "%s", action);
    snprintf(ev.reason, sizeof ev.reason, "%s", reason);
    ferry_error err = {0};
    if (history_append(g_tmp, "fraud", &ev, &err) != FERRY_OK)
        fail_msg("history_append: %s", err.message);
    assert_int_equal(strlen(ev.ts), 20); /* filled in: 2026-11-26T07:18:54Z */
}

static history_event *read_all(size_t *count, size_t *skipped)
{
    history_event *events = NULL;
    ferry_error err = {0};
    if (history_read(g_tmp, &events, count, skipped, &err) != FERRY_OK)
        fail_msg("history_read: %s", err.message);
    return events;
}

static char *history_path(void)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/history.jsonl", g_tmp);
    return path;
}

static void test_round_trip(void **state)
{
    (void)state;
    append("register", 0, 1, "first \"model\"\nwith a line break");
    append("deploy", 0, 1, "");
    append("deploy", 1, 2, "better auc");
    size_t count = 0, skipped = 9;
    history_event *events = read_all(&count, &skipped);
    assert_int_equal(count, 3);
    assert_int_equal(skipped, 0);
    assert_string_equal(events[0].action, "register");
    assert_string_equal(events[0].actor, "alice");
    assert_string_equal(events[0].reason, "first \"model\"\nwith a line break");
    assert_int_equal(events[0].from, 0);
    assert_int_equal(events[0].to, 1);
    assert_int_equal(events[2].from, 1);
    assert_int_equal(events[2].to, 2);
    assert_string_equal(events[2].reason, "better auc");
    assert_int_equal(events[2].ts[4], '-');
    assert_int_equal(events[2].ts[10], 'T');
    assert_int_equal(events[2].ts[19], 'Z');
    free(events);
    /* One JSON object per line, with the model's name and null for an absent version. */
    char *text = ts_read_file(history_path(), NULL);
    assert_non_null(text);
    const char *second = strchr(text, '\n') + 1;
    assert_non_null(strstr(second, "\"action\":\"deploy\",\"model\":\"fraud\",\"from\":null,"
                                   "\"to\":1,\"reason\":\"\"}\n"));
    free(text);
}

static void test_missing_file_is_empty(void **state)
{
    (void)state;
    size_t count = 9, skipped = 9;
    history_event *events = read_all(&count, &skipped);
    assert_null(events);
    assert_int_equal(count, 0);
    assert_int_equal(skipped, 0);
}

static void test_torn_last_line_skipped(void **state)
{
    (void)state;
    append("register", 0, 1, "");
    append("deploy", 0, 1, "first version");
    append("deploy", 1, 2, "cut short");
    /* A crash mid-append: the last line ends half way. */
    size_t len = 0;
    char *text = ts_read_file(history_path(), &len);
    assert_non_null(text);
    assert_int_equal(truncate(history_path(), (off_t)(len - 20)), 0);
    free(text);
    size_t count = 0, skipped = 0;
    history_event *events = read_all(&count, &skipped);
    assert_int_equal(count, 2);
    assert_int_equal(skipped, 1);
    assert_string_equal(events[1].reason, "first version");
    free(events);
    /* The next append starts a new line: it reads back, the fragment stays skipped. */
    append("rollback", 1, 3, "after the crash");
    events = read_all(&count, &skipped);
    assert_int_equal(count, 3);
    assert_int_equal(skipped, 1);
    assert_string_equal(events[2].action, "rollback");
    assert_string_equal(events[2].reason, "after the crash");
    assert_int_equal(events[2].to, 3);
    free(events);
}

static void test_unreadable_lines_in_the_middle(void **state)
{
    (void)state;
    append("register", 0, 1, "");
    FILE *f = fopen(history_path(), "ab");
    assert_non_null(f);
    fputs("not json\n\n[1,2]\n{\"no\":\"action\"}\n", f);
    fclose(f);
    append("archive", 0, 1, "old");
    size_t count = 0, skipped = 0;
    history_event *events = read_all(&count, &skipped);
    assert_int_equal(count, 2);
    assert_int_equal(skipped, 3); /* a blank line is not counted */
    assert_string_equal(events[1].action, "archive");
    free(events);
}

static void test_many_events(void **state)
{
    (void)state;
    for (uint64_t i = 1; i <= 100; i++)
        append("deploy", i - 1, i, "");
    size_t count = 0, skipped = 0;
    history_event *events = read_all(&count, &skipped);
    assert_int_equal(count, 100);
    for (size_t i = 0; i < count; i++)
        assert_int_equal(events[i].to, i + 1);
    free(events);
}

static void test_history_now(void **state)
{
    (void)state;
    char buf[40];
    history_now(buf, sizeof buf);
    assert_int_equal(strlen(buf), 20);
    unsigned y, mo, d, h, mi, s;
    assert_int_equal(sscanf(buf, "%4u-%2u-%2uT%2u:%2u:%2uZ", &y, &mo, &d, &h, &mi, &s), 6);
    assert_true(y >= 2024 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_missing_file_is_empty, setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_torn_last_line_skipped, setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_unreadable_lines_in_the_middle, setup_each,
                                        teardown_each),
        cmocka_unit_test_setup_teardown(test_many_events, setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_history_now, setup_each, teardown_each),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
