/* Unit tests for the YAML document tree (src/core/yaml_doc.c): maps, sequences, nesting, quoted
 * scalars, empty and comment-only files, errors that name the file and line, aliases and complex
 * keys refused, runaway nesting, and a missing file reported as NOT_FOUND. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/yaml_doc.h"
#include "test_support.h"

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

/* Parses text that must be valid; the caller frees the tree. */
static ynode *parse(const char *text)
{
    ynode *root = NULL;
    ferry_error err = {0};
    ferry_status st = yaml_doc_load_string(text, strlen(text), "test.yaml", &root, &err);
    if (st != FERRY_OK)
        fail_msg("parsing \"%s\": %s", text, err.message);
    assert_non_null(root);
    return root;
}

/* Parses text that must be refused with INVALID_ARG; returns the message in err. */
static void parse_fails(const char *text, ferry_error *err)
{
    ynode *root = NULL;
    assert_int_equal(yaml_doc_load_string(text, strlen(text), "test.yaml", &root, err),
                     FERRY_INVALID_ARG);
    assert_null(root);
    assert_int_equal(err->code, FERRY_INVALID_ARG);
    assert_contains(err->message, "test.yaml");
}

static void test_map_of_scalars(void **state)
{
    (void)state;
    ynode *root = parse("name: breast_cancer\nproduction: 3\nbackend: xgboost\n");
    assert_int_equal(root->kind, YNODE_MAP);
    assert_int_equal(root->n, 3);
    assert_string_equal(root->keys[0], "name");
    assert_string_equal(root->keys[2], "backend");
    assert_string_equal(ynode_get_scalar(root, "name"), "breast_cancer");
    assert_string_equal(ynode_get_scalar(root, "production"), "3");
    const ynode *prod = ynode_get(root, "production");
    assert_int_equal(prod->kind, YNODE_SCALAR);
    assert_false(prod->quoted);
    assert_int_equal(prod->line, 2);
    assert_null(ynode_get(root, "missing"));
    assert_null(ynode_get_scalar(root, "missing"));
    assert_null(ynode_get(root, "Name")); /* keys are case-sensitive */
    ynode_free(root);
}

static void test_nested_maps_and_sequences(void **state)
{
    (void)state;
    ynode *root = parse("options:\n"
                        "  input_name: features\n"
                        "  predict: margin\n"
                        "tags:\n"
                        "  - a\n"
                        "  - b\n"
                        "  - c\n"
                        "flow: [1, 2, {x: y}]\n"
                        "empty_map: {}\n"
                        "empty_seq: []\n");
    const ynode *options = ynode_get(root, "options");
    assert_non_null(options);
    assert_int_equal(options->kind, YNODE_MAP);
    assert_int_equal(options->line, 2);
    assert_string_equal(ynode_get_scalar(options, "predict"), "margin");
    /* A map or sequence value is not a scalar. */
    assert_null(ynode_get_scalar(root, "options"));

    const ynode *tags = ynode_get(root, "tags");
    assert_int_equal(tags->kind, YNODE_SEQ);
    assert_int_equal(tags->n, 3);
    assert_null(tags->keys);
    assert_string_equal(tags->items[0]->scalar, "a");
    assert_string_equal(tags->items[2]->scalar, "c");
    assert_int_equal(tags->items[1]->line, 6);
    /* ynode_get on something that is not a map. */
    assert_null(ynode_get(tags, "a"));
    assert_null(ynode_get(NULL, "a"));
    assert_null(ynode_get_scalar(NULL, "a"));

    const ynode *flow = ynode_get(root, "flow");
    assert_int_equal(flow->kind, YNODE_SEQ);
    assert_int_equal(flow->n, 3);
    assert_int_equal(flow->items[2]->kind, YNODE_MAP);
    assert_string_equal(ynode_get_scalar(flow->items[2], "x"), "y");

    assert_int_equal(ynode_get(root, "empty_map")->kind, YNODE_MAP);
    assert_int_equal(ynode_get(root, "empty_map")->n, 0);
    assert_int_equal(ynode_get(root, "empty_seq")->kind, YNODE_SEQ);
    assert_int_equal(ynode_get(root, "empty_seq")->n, 0);
    ynode_free(root);
}

static void test_sequence_root(void **state)
{
    (void)state;
    ynode *root = parse("- one\n- two\n");
    assert_int_equal(root->kind, YNODE_SEQ);
    assert_int_equal(root->n, 2);
    assert_string_equal(root->items[1]->scalar, "two");
    ynode_free(root);
}

static void test_quoted_scalars(void **state)
{
    (void)state;
    ynode *root = parse("a: \"3\"\n"
                        "b: '3'\n"
                        "c: 3\n"
                        "d: \"with: colon # and hash\"\n"
                        "e: 'it''s'\n"
                        "f: \"tab\\there\"\n"
                        "g: \"\"\n"
                        "h:\n");
    assert_true(ynode_get(root, "a")->quoted);
    assert_true(ynode_get(root, "b")->quoted);
    assert_false(ynode_get(root, "c")->quoted);
    assert_string_equal(ynode_get_scalar(root, "a"), "3");
    assert_string_equal(ynode_get_scalar(root, "b"), "3");
    assert_string_equal(ynode_get_scalar(root, "d"), "with: colon # and hash");
    assert_string_equal(ynode_get_scalar(root, "e"), "it's");
    assert_string_equal(ynode_get_scalar(root, "f"), "tab\there");
    assert_string_equal(ynode_get_scalar(root, "g"), "");
    assert_true(ynode_get(root, "g")->quoted);
    /* A key with no value is an empty plain scalar. */
    assert_string_equal(ynode_get_scalar(root, "h"), "");
    assert_false(ynode_get(root, "h")->quoted);
    ynode_free(root);
    /* A quoted empty string at the root stays a scalar; it is not an empty document. */
    root = parse("''");
    assert_int_equal(root->kind, YNODE_SCALAR);
    assert_true(root->quoted);
    assert_string_equal(root->scalar, "");
    ynode_free(root);
}

static void test_comments_ignored(void **state)
{
    (void)state;
    ynode *root = parse("# a model\nproduction: 2 # the good one\n# trailing\n");
    assert_int_equal(root->n, 1);
    assert_string_equal(ynode_get_scalar(root, "production"), "2");
    ynode_free(root);
}

static void test_empty_documents_are_empty_maps(void **state)
{
    (void)state;
    const char *empties[] = {
        "", "\n\n", "# only a comment\n", "# one\n# two\n   # three\n", "---\n", "---\n...\n"};
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        ynode *root = parse(empties[i]);
        assert_int_equal(root->kind, YNODE_MAP);
        assert_int_equal(root->n, 0);
        assert_null(ynode_get(root, "production"));
        ynode_free(root);
    }
}

static void test_bad_yaml_names_line(void **state)
{
    (void)state;
    ferry_error err;
    parse_fails("a: 1\nb: 2\n\tc: 3\n", &err);
    assert_contains(err.message, "line 3");
    parse_fails("a: 1\n b: 2\n", &err);
    assert_contains(err.message, "line 2");
    parse_fails("a: 1\nb: [1, 2\nc: 3\n", &err);
    assert_contains(err.message, "line 3");
    parse_fails("key: value\n- item\n", &err);
    assert_contains(err.message, "line 2");
    parse_fails("a: \"unterminated\n", &err);
    assert_contains(err.message, "line ");
}

static void test_aliases_refused(void **state)
{
    (void)state;
    ferry_error err;
    parse_fails("a: &x 1\nb: *x\n", &err);
    assert_contains(err.message, "line 2");
    assert_contains(err.message, "alias");
    parse_fails("base: &b {k: v}\nitems:\n  - *b\n", &err);
    assert_contains(err.message, "line 3");
    assert_contains(err.message, "alias");
}

static void test_duplicate_keys_refused(void **state)
{
    (void)state;
    ferry_error err;
    parse_fails("production: 1\nbackend: xgboost\nproduction: 3\n", &err);
    assert_contains(err.message, "line 3");
    assert_contains(err.message, "duplicate key 'production'");
    parse_fails("options:\n  a: 1\n  a: 2\n", &err);
    assert_contains(err.message, "line 3");
}

static void test_complex_keys_refused(void **state)
{
    (void)state;
    ferry_error err;
    parse_fails("? [a, b]\n: value\n", &err);
    assert_contains(err.message, "line 1");
    assert_contains(err.message, "keys");
    parse_fails("ok: 1\n{x: 1}: v\n", &err);
    assert_contains(err.message, "line 2");
}

static void test_deep_nesting_refused(void **state)
{
    (void)state;
    char deep[512] = "";
    for (int i = 0; i < 100; i++)
        strcat(deep, "[");
    for (int i = 0; i < 100; i++)
        strcat(deep, "]");
    ferry_error err;
    parse_fails(deep, &err);
    assert_contains(err.message, "nested too deeply");
    /* Moderate nesting is fine. */
    ynode *root = parse("[[[[[[[[[[x]]]]]]]]]]");
    assert_int_equal(root->kind, YNODE_SEQ);
    ynode_free(root);
}

static void test_load_file(void **state)
{
    (void)state;
    char *dir = ts_mkdtemp();
    char path[4096];
    snprintf(path, sizeof path, "%s/model.yaml", dir);
    ts_write_file(path, "production: 4\noptions:\n  predict: value\n");
    ynode *root = NULL;
    ferry_error err;
    assert_int_equal(yaml_doc_load_file(path, &root, &err), FERRY_OK);
    assert_string_equal(ynode_get_scalar(root, "production"), "4");
    assert_string_equal(ynode_get_scalar(ynode_get(root, "options"), "predict"), "value");
    ynode_free(root);

    /* An empty file is an empty map. */
    ts_write_file(path, "");
    root = NULL;
    assert_int_equal(yaml_doc_load_file(path, &root, &err), FERRY_OK);
    assert_int_equal(root->kind, YNODE_MAP);
    assert_int_equal(root->n, 0);
    ynode_free(root);

    /* Comments only. */
    ts_write_file(path, "# nothing here yet\n");
    root = NULL;
    assert_int_equal(yaml_doc_load_file(path, &root, &err), FERRY_OK);
    assert_int_equal(root->kind, YNODE_MAP);
    assert_int_equal(root->n, 0);
    ynode_free(root);

    /* Bad YAML names the file (its full path) and the line. */
    ts_write_file(path, "production: 4\noptions:\n  a: 1\n   b: 2\n");
    root = NULL;
    assert_int_equal(yaml_doc_load_file(path, &root, &err), FERRY_INVALID_ARG);
    assert_null(root);
    assert_contains(err.message, path);
    assert_contains(err.message, "line 4");

    /* A file larger than one read chunk. */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 2000; i++)
        fprintf(f, "key_%04d: value %d\n", i, i);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(yaml_doc_load_file(path, &root, &err), FERRY_OK);
    assert_int_equal(root->n, 2000);
    assert_string_equal(ynode_get_scalar(root, "key_1999"), "value 1999");
    assert_int_equal(ynode_get(root, "key_1999")->line, 2000);
    ynode_free(root);
    ts_rmtree(dir);
    free(dir);
}

static void test_missing_file_not_found(void **state)
{
    (void)state;
    char *dir = ts_mkdtemp();
    char path[4096];
    snprintf(path, sizeof path, "%s/no-such.yaml", dir);
    ynode *root = NULL;
    ferry_error err;
    assert_int_equal(yaml_doc_load_file(path, &root, &err), FERRY_NOT_FOUND);
    assert_int_equal(err.code, FERRY_NOT_FOUND);
    assert_null(root);
    assert_contains(err.message, path);
    /* A folder where a file is expected is an I/O error, not a crash or an empty document. */
    root = NULL;
    ferry_status st = yaml_doc_load_file(dir, &root, &err);
    assert_int_not_equal(st, FERRY_OK);
    assert_null(root);
    assert_contains(err.message, dir);
    ts_rmtree(dir);
    free(dir);
}

static void test_free_null(void **state)
{
    (void)state;
    ynode_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_of_scalars),
        cmocka_unit_test(test_nested_maps_and_sequences),
        cmocka_unit_test(test_sequence_root),
        cmocka_unit_test(test_quoted_scalars),
        cmocka_unit_test(test_comments_ignored),
        cmocka_unit_test(test_empty_documents_are_empty_maps),
        cmocka_unit_test(test_bad_yaml_names_line),
        cmocka_unit_test(test_aliases_refused),
        cmocka_unit_test(test_duplicate_keys_refused),
        cmocka_unit_test(test_complex_keys_refused),
        cmocka_unit_test(test_deep_nesting_refused),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_missing_file_not_found),
        cmocka_unit_test(test_free_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
