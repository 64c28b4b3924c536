/* Unit tests for repository writes (src/serving/registry.c) and the model.yaml edits they make
 * (yaml_set_top_level in src/core/yaml_doc.c): state names; production, candidate (newer than
 * production, never deployed), archived and available states through register, deploy, rollback
 * and archive; version.yaml contents and the training-data fingerprint; a model.yaml without
 * `production:`; refusals; and top-level YAML edits that keep comments and other keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/yaml_doc.h"
#include "serving/registry.h"
#include "test_support.h"

static struct {
    char *tmp;
    char repo[4096];
    char artifact[4200]; /* a copy of bc_xgb's model.json */
} g;

static int setup_each(void **state)
{
    (void)state;
    g.tmp = ts_mkdtemp();
    snprintf(g.repo, sizeof g.repo, "%s/repo", g.tmp);
    snprintf(g.artifact, sizeof g.artifact, "%s/in/model.json", g.tmp);
    ts_copy_file(ts_shared("models/bc_xgb/model.json"), g.artifact);
    char keep[4200];
    snprintf(keep, sizeof keep, "%s/.keep", g.repo);
    ts_write_file(keep, "");
    return 0;
}

static int teardown_each(void **state)
{
    (void)state;
    ts_rmtree(g.tmp);
    free(g.tmp);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static uint64_t reg(const char *name, bool create)
{
    registry_register_options o = {.artifact = g.artifact, .create = create, .author = "tester"};
    uint64_t v = 0;
    ferry_error err = {0};
    if (registry_register(g.repo, name, &o, "alice", &v, &err) != FERRY_OK)
        fail_msg("register %s: %s", name, err.message);
    return v;
}

static void deploy(const char *name, uint64_t v, bool want_noop)
{
    bool noop = !want_noop;
    ferry_error err = {0};
    if (registry_deploy(g.repo, name, v, "alice", "test", &noop, &err) != FERRY_OK)
        fail_msg("deploy %s %llu: %s", name, (unsigned long long)v, err.message);
    assert_int_equal(noop, want_noop);
}

static uint64_t rollback(const char *name, uint64_t to)
{
    uint64_t deployed = 0;
    ferry_error err = {0};
    if (registry_rollback(g.repo, name, to, "alice", NULL, &deployed, &err) != FERRY_OK)
        fail_msg("rollback %s: %s", name, err.message);
    return deployed;
}

/* Asserts the states of versions 1..n and the production version. */
static void expect_states(const char *name, uint64_t production, size_t n,
                          const registry_version_state *states)
{
    registry_version_info *versions = NULL;
    size_t count = 0;
    uint64_t prod = 0;
    ferry_error err = {0};
    if (registry_list_versions(g.repo, name, &versions, &count, &prod, &err) != FERRY_OK)
        fail_msg("list %s: %s", name, err.message);
    assert_int_equal(prod, production);
    assert_int_equal(count, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(versions[i].version, i + 1);
        if (versions[i].state != states[i])
            fail_msg("version %zu is %s, expected %s", i + 1,
                     registry_state_name(versions[i].state), registry_state_name(states[i]));
    }
    registry_free_versions(versions, count);
}

static char *model_file(const char *name, const char *file)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s/%s", g.repo, name, file);
    char *text = ts_read_file(path, NULL);
    assert_non_null(text);
    return text;
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

#define P VERSION_PRODUCTION
#define C VERSION_CANDIDATE
#define A VERSION_ARCHIVED
#define V VERSION_AVAILABLE

/* ------------------------------------------------------------------------------------------ */
/* States                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static void test_state_names(void **state)
{
    (void)state;
    assert_string_equal(registry_state_name(VERSION_PRODUCTION), "production");
    assert_string_equal(registry_state_name(VERSION_CANDIDATE), "candidate");
    assert_string_equal(registry_state_name(VERSION_ARCHIVED), "archived");
    assert_string_equal(registry_state_name(VERSION_AVAILABLE), "available");
    assert_string_equal(registry_state_name((registry_version_state)42), "unknown");
}

static void test_candidate_and_available(void **state)
{
    (void)state;
    assert_int_equal(reg("fraud", true), 1);
    expect_states("fraud", 1, 1, (registry_version_state[]){P});
    assert_int_equal(reg("fraud", false), 2);
    assert_int_equal(reg("fraud", false), 3);
    /* Newer than production and never deployed: candidates. */
    expect_states("fraud", 1, 3, (registry_version_state[]){P, C, C});
    deploy("fraud", 2, false);
    /* 1 was production before: available; 3 is still a candidate. */
    expect_states("fraud", 2, 3, (registry_version_state[]){V, P, C});
    assert_int_equal(rollback("fraud", 0), 1);
    /* 2 is newer than production but was deployed once: available, not a candidate. */
    expect_states("fraud", 1, 3, (registry_version_state[]){P, V, C});
    ferry_error err = {0};
    assert_int_equal(registry_archive(g.repo, "fraud", 3, "alice", "bad", &err), FERRY_OK);
    expect_states("fraud", 1, 3, (registry_version_state[]){P, V, A});
    /* Archiving again changes nothing. */
    assert_int_equal(registry_archive(g.repo, "fraud", 3, "alice", "bad", &err), FERRY_OK);
    char *yaml = model_file("fraud", "model.yaml");
    assert_contains(yaml, "production: 1\n");
    assert_contains(yaml, "archived: [3]\n");
    free(yaml);
}

static void test_rollback_toggles(void **state)
{
    (void)state;
    reg("m", true);
    reg("m", false);
    reg("m", false);
    deploy("m", 2, false);
    deploy("m", 2, true); /* no-op */
    assert_int_equal(rollback("m", 0), 1);
    assert_int_equal(rollback("m", 0), 2);
    assert_int_equal(rollback("m", 0), 1);
    assert_int_equal(rollback("m", 3), 3);
    assert_int_equal(rollback("m", 0), 1);
    /* Returning to the version in production changes nothing and is not recorded, so the next
     * rollback still has somewhere to go. */
    assert_int_equal(rollback("m", 1), 1);
    assert_int_equal(rollback("m", 0), 3);
    history_event *events = NULL;
    size_t count = 0, skipped = 0;
    ferry_error err = {0};
    assert_int_equal(registry_history(g.repo, "m", &events, &count, &skipped, &err), FERRY_OK);
    /* register, deploy (first version), register, register, deploy, 6 rollbacks */
    assert_int_equal(count, 11);
    assert_string_equal(events[10].action, "rollback");
    assert_int_equal(events[10].from, 1);
    assert_int_equal(events[10].to, 3);
    free(events);
}

static void test_rollback_with_nothing_to_return_to(void **state)
{
    (void)state;
    reg("solo", true);
    uint64_t deployed = 0;
    ferry_error err = {0};
    assert_int_equal(registry_rollback(g.repo, "solo", 0, "alice", NULL, &deployed, &err),
                     FERRY_NOT_FOUND);
    assert_contains(err.message, "solo");
}

/* ------------------------------------------------------------------------------------------ */
/* Register                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static void test_version_yaml(void **state)
{
    (void)state;
    char data[4200];
    snprintf(data, sizeof data, "%s/train.csv", g.tmp);
    ts_write_file(data, "a,\"b, quoted\",c\r\n1,2,3\r\n4,\"5\n5\",6\r\n\r\n");
    registry_register_options o = {.artifact = g.artifact,
                                   .create = true,
                                   .author = "bob",
                                   .notes = "first \"try\"",
                                   .data = data,
                                   .run_id = "run-7",
                                   .n_metrics = 2,
                                   .metrics = {{"auc", "0.98"}, {"accuracy", "0.96"}},
                                   .n_params = 1,
                                   .params = {{"max_depth", "4"}},
                                   .n_tags = 1,
                                   .tags = {{"team", "risk"}}};
    uint64_t v = 0;
    ferry_error err = {0};
    assert_int_equal(registry_register(g.repo, "fraud", &o, "alice", &v, &err), FERRY_OK);
    assert_int_equal(v, 1);
    ynode *y = NULL;
    char path[4300];
    snprintf(path, sizeof path, "%s/fraud/1/version.yaml", g.repo);
    assert_int_equal(yaml_doc_load_file(path, &y, &err), FERRY_OK);
    assert_int_equal(strlen(ynode_get_scalar(y, "sha256")), 64);
    assert_string_equal(ynode_get_scalar(y, "backend"), "xgboost");
    assert_string_equal(ynode_get_scalar(y, "artifact"), "model.json");
    assert_string_equal(ynode_get_scalar(y, "author"), "bob");
    assert_string_equal(ynode_get_scalar(y, "notes"), "first \"try\"");
    assert_string_equal(ynode_get_scalar(y, "run_id"), "run-7");
    assert_string_equal(ynode_get_scalar(ynode_get(y, "metrics"), "auc"), "0.98");
    assert_false(ynode_get(ynode_get(y, "metrics"), "auc")->quoted); /* a number */
    assert_string_equal(ynode_get_scalar(ynode_get(y, "params"), "max_depth"), "4");
    assert_string_equal(ynode_get_scalar(ynode_get(y, "tags"), "team"), "risk");
    const ynode *td = ynode_get(y, "training_data");
    assert_string_equal(ynode_get_scalar(td, "rows"), "2"); /* the blank last line is no row */
    const ynode *columns = ynode_get(td, "columns");
    assert_int_equal(columns->n, 3);
    assert_string_equal(columns->items[1]->scalar, "b, quoted");
    assert_int_equal(strlen(ynode_get_scalar(td, "sha256")), 64);
    size_t size = 0;
    char *artifact = ts_read_file(g.artifact, &size), sz[32];
    assert_non_null(artifact);
    free(artifact);
    snprintf(sz, sizeof sz, "%zu", size);
    assert_string_equal(ynode_get_scalar(y, "size"), sz);
    ynode_free(y);
}

static void test_register_refusals(void **state)
{
    (void)state;
    registry_register_options o = {.artifact = g.artifact};
    uint64_t v = 0;
    ferry_error err = {0};
    assert_int_equal(registry_register(g.repo, "nope", &o, "alice", &v, &err), FERRY_NOT_FOUND);
    assert_contains(err.message, "nope");
    assert_contains(err.message, "--create");
    o.create = true;
    assert_int_equal(registry_register(g.repo, "../escape", &o, "alice", &v, &err),
                     FERRY_INVALID_ARG);
    char other[4200];
    snprintf(other, sizeof other, "%s/in/weights.bin", g.tmp);
    ts_write_file(other, "x");
    o.artifact = other;
    assert_int_not_equal(registry_register(g.repo, "fraud", &o, "alice", &v, &err), FERRY_OK);
    assert_contains(err.message, "weights.bin");
    snprintf(other, sizeof other, "%s/in/missing.json", g.tmp);
    assert_int_equal(registry_register(g.repo, "fraud", &o, "alice", &v, &err), FERRY_NOT_FOUND);
    assert_contains(err.message, "missing.json");
    char repo[4200];
    snprintf(repo, sizeof repo, "%s/no-repo", g.tmp);
    o.artifact = g.artifact;
    assert_int_equal(registry_register(repo, "fraud", &o, "alice", &v, &err), FERRY_NOT_FOUND);
    assert_contains(err.message, "no-repo");
}

static void test_model_yaml_without_production(void **state)
{
    (void)state;
    /* A hand-made model: two versions, a model.yaml that names no production. The server serves
     * the highest, so that is production; registering a third must not change what is served. */
    reg("hand", true);
    reg("hand", false);
    char path[4300];
    snprintf(path, sizeof path, "%s/hand/model.yaml", g.repo);
    ts_write_file(path, "# tuned by hand\nbackend: xgboost\n");
    expect_states("hand", 2, 2, (registry_version_state[]){V, P});
    deploy("hand", 2, true);
    assert_int_equal(reg("hand", false), 3);
    expect_states("hand", 2, 3, (registry_version_state[]){V, P, C});
    char *yaml = model_file("hand", "model.yaml");
    assert_string_equal(yaml, "# tuned by hand\nbackend: xgboost\nproduction: 2\n");
    free(yaml);
}

static void test_deploy_and_archive_refusals(void **state)
{
    (void)state;
    reg("m", true);
    reg("m", false);
    bool noop = false;
    ferry_error err = {0};
    assert_int_equal(registry_deploy(g.repo, "m", 9, "a", NULL, &noop, &err), FERRY_NOT_FOUND);
    assert_contains(err.message, "version 9");
    assert_int_equal(registry_deploy(g.repo, "zz", 1, "a", NULL, &noop, &err), FERRY_NOT_FOUND);
    assert_contains(err.message, "'zz'");
    assert_int_equal(registry_archive(g.repo, "m", 1, "a", NULL, &err), FERRY_INVALID_ARG);
    assert_contains(err.message, "production");
    assert_int_equal(registry_archive(g.repo, "m", 7, "a", NULL, &err), FERRY_NOT_FOUND);
    /* A bad name is refused before any path is built from it. */
    assert_int_equal(registry_archive(g.repo, "a/b", 1, "a", NULL, &err), FERRY_INVALID_ARG);
    assert_int_equal(registry_archive(g.repo, "m", 2, "a", NULL, &err), FERRY_OK);
    assert_int_equal(registry_deploy(g.repo, "m", 2, "a", NULL, &noop, &err), FERRY_INVALID_ARG);
    assert_contains(err.message, "archived");
    uint64_t deployed = 0;
    assert_int_equal(registry_rollback(g.repo, "m", 2, "a", NULL, &deployed, &err),
                     FERRY_INVALID_ARG);
    /* A tampered artifact no longer matches its sha256. */
    reg("m", false);
    char path[4300];
    snprintf(path, sizeof path, "%s/m/3/model.json", g.repo);
    char *text = ts_read_file(path, NULL);
    text[10] = text[10] == ' ' ? '\t' : ' ';
    ts_write_file(path, text);
    free(text);
    assert_int_equal(registry_deploy(g.repo, "m", 3, "a", NULL, &noop, &err), FERRY_INVALID_ARG);
    assert_contains(err.message, "sha256");
    assert_contains(err.message, "m/3/model.json");
}

/* ------------------------------------------------------------------------------------------ */
/* model.yaml edits (yaml_set_top_level)                                                       */
/* ------------------------------------------------------------------------------------------ */

static void expect_edit(const char *text, const char *key, const char *value, const char *want)
{
    char *out = NULL;
    ferry_error err = {0};
    assert_int_equal(yaml_set_top_level(text, key, value, &out, &err), FERRY_OK);
    assert_string_equal(out, want);
    /* The result is still YAML. */
    ynode *root = NULL;
    assert_int_equal(yaml_doc_load_string(out, strlen(out), "edited", &root, &err), FERRY_OK);
    ynode_free(root);
    free(out);
}

static void test_yaml_replace_append_remove(void **state)
{
    (void)state;
    const char *text = "# fraud endpoint\nproduction: 1\nbackend: xgboost # inline\n";
    expect_edit(text, "production", "2",
                "# fraud endpoint\nproduction: 2\nbackend: xgboost # inline\n");
    expect_edit(text, "load", "all",
                "# fraud endpoint\nproduction: 1\nbackend: xgboost # inline\nload: all\n");
    expect_edit(text, "production", NULL, "# fraud endpoint\nbackend: xgboost # inline\n");
    expect_edit(text, "absent", NULL, text);
    expect_edit("", "production", "1", "production: 1\n");
    /* A last line without a line break gets one. */
    expect_edit("backend: xgboost", "production", "3", "backend: xgboost\nproduction: 3\n");
    /* Keys that only start like the key are other keys. */
    expect_edit("production_notes: x\nproduction: 1\n", "production", "4",
                "production_notes: x\nproduction: 4\n");
}

static void test_yaml_nested_value_replaced(void **state)
{
    (void)state;
    const char *text = "production: 1\n"
                       "archived:\n"
                       "  - 2\n"
                       "  - 3\n"
                       "options:\n"
                       "  input_name: features # keep\n"
                       "\n"
                       "  output_name: probability\n"
                       "# load policy below\n"
                       "load:\n"
                       "- 1\n"
                       "# a comment inside the list\n"
                       "- 2\n"
                       "\n"
                       "backend: xgboost\n";
    expect_edit(text, "archived", "[2, 3, 4]",
                "production: 1\narchived: [2, 3, 4]\noptions:\n  input_name: features # keep\n\n"
                "  output_name: probability\n# load policy below\nload:\n- 1\n"
                "# a comment inside the list\n- 2\n\nbackend: xgboost\n");
    /* A blank line inside the block belongs to it; the comment after it does not. */
    expect_edit(text, "options", "{}",
                "production: 1\narchived:\n  - 2\n  - 3\noptions: {}\n# load policy below\n"
                "load:\n- 1\n# a comment inside the list\n- 2\n\nbackend: xgboost\n");
    expect_edit(text, "load", "none",
                "production: 1\narchived:\n  - 2\n  - 3\noptions:\n  input_name: features # keep\n"
                "\n  output_name: probability\n# load policy below\nload: none\n\n"
                "backend: xgboost\n");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_each, teardown_each)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_names),
        T(test_candidate_and_available),
        T(test_rollback_toggles),
        T(test_rollback_with_nothing_to_return_to),
        T(test_version_yaml),
        T(test_register_refusals),
        T(test_model_yaml_without_production),
        T(test_deploy_and_archive_refusals),
        cmocka_unit_test(test_yaml_replace_append_remove),
        cmocka_unit_test(test_yaml_nested_value_replaced),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
