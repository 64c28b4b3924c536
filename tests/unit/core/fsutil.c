/* Unit tests for the durable file helpers (src/core/fsutil.c): atomic writes create and replace a
 * file whole and leave no temporary file behind, appends add to the end, copies are byte-exact,
 * reads return the whole file, folders are removed with their contents, and every failure names
 * the path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fsutil.h"
#include "test_support.h"

static char *g_tmp;

static int setup(void **state)
{
    (void)state;
    g_tmp = ts_mkdtemp();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_rmtree(g_tmp);
    free(g_tmp);
    return 0;
}

static void path_in_tmp(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", g_tmp, name);
}

static void expect_content(const char *path, const char *want, size_t want_len)
{
    char *data = NULL;
    size_t len = 0;
    ferry_error err = {0};
    if (fs_read_file(path, &data, &len, &err) != FERRY_OK)
        fail_msg("fs_read_file %s: %s", path, err.message);
    assert_int_equal(len, want_len);
    assert_memory_equal(data, want, want_len);
    assert_int_equal(data[len], '\0');
    free(data);
}

/* Number of entries in the temp folder whose name starts with prefix. */
static int count_entries(const char *prefix)
{
    DIR *dir = opendir(g_tmp);
    assert_non_null(dir);
    int n = 0;
    struct dirent *ent;
    while ((ent = readdir(dir)) != NULL)
        n += strncmp(ent->d_name, prefix, strlen(prefix)) == 0;
    closedir(dir);
    return n;
}

static void test_write_atomic_creates_and_replaces(void **state)
{
    (void)state;
    char path[4200];
    path_in_tmp(path, sizeof path, "model.yaml");
    ferry_error err = {0};
    assert_int_equal(fs_write_atomic(path, "production: 1\n", 14, &err), FERRY_OK);
    expect_content(path, "production: 1\n", 14);
    /* A shorter replacement leaves nothing of the old content. */
    assert_int_equal(fs_write_atomic(path, "p: 2\n", 5, &err), FERRY_OK);
    expect_content(path, "p: 2\n", 5);
    /* An empty file is a valid replacement. */
    assert_int_equal(fs_write_atomic(path, "", 0, &err), FERRY_OK);
    expect_content(path, "", 0);
    /* Only model.yaml itself: no temporary file left beside it. */
    assert_int_equal(count_entries("model.yaml"), 1);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
}

static void test_write_atomic_replaces_inode(void **state)
{
    (void)state;
    /* A reader holding the old file keeps reading the old content (rename, not rewrite). */
    char path[4200];
    path_in_tmp(path, sizeof path, "swap.txt");
    ferry_error err = {0};
    assert_int_equal(fs_write_atomic(path, "old", 3, &err), FERRY_OK);
    FILE *old = fopen(path, "rb");
    assert_non_null(old);
    assert_int_equal(fs_write_atomic(path, "new!", 4, &err), FERRY_OK);
    char buf[8] = {0};
    assert_int_equal(fread(buf, 1, sizeof buf, old), 3);
    assert_string_equal(buf, "old");
    fclose(old);
    expect_content(path, "new!", 4);
}

static void test_write_atomic_missing_folder(void **state)
{
    (void)state;
    char path[4200];
    path_in_tmp(path, sizeof path, "no-such-folder/model.yaml");
    ferry_error err = {0};
    assert_int_not_equal(fs_write_atomic(path, "x", 1, &err), FERRY_OK);
    assert_non_null(strstr(err.message, "no-such-folder/model.yaml"));
}

static void test_append(void **state)
{
    (void)state;
    char path[4200];
    path_in_tmp(path, sizeof path, "history.jsonl");
    ferry_error err = {0};
    assert_int_equal(fs_append_durable(path, "{\"a\":1}\n", 8, &err), FERRY_OK); /* creates */
    assert_int_equal(fs_append_durable(path, "{\"b\":2}\n", 8, &err), FERRY_OK);
    assert_int_equal(fs_append_durable(path, "", 0, &err), FERRY_OK);
    expect_content(path, "{\"a\":1}\n{\"b\":2}\n", 16);
    path_in_tmp(path, sizeof path, "no-such-folder/history.jsonl");
    assert_int_equal(fs_append_durable(path, "x", 1, &err), FERRY_NOT_FOUND);
    assert_non_null(strstr(err.message, "no-such-folder/history.jsonl"));
}

static void test_copy_file(void **state)
{
    (void)state;
    /* Larger than the copy's chunk, with every byte value. */
    size_t len = 200000;
    char *data = malloc(len);
    assert_non_null(data);
    for (size_t i = 0; i < len; i++)
        data[i] = (char)(i * 7 + i / 256);
    char from[4200], to[4200];
    path_in_tmp(from, sizeof from, "artifact.bin");
    path_in_tmp(to, sizeof to, "copy.bin");
    ferry_error err = {0};
    assert_int_equal(fs_write_atomic(from, data, len, &err), FERRY_OK);
    ts_write_file(to, "previous content that is replaced");
    assert_int_equal(fs_copy_file(from, to, &err), FERRY_OK);
    expect_content(to, data, len);
    free(data);
    path_in_tmp(from, sizeof from, "missing.bin");
    assert_int_equal(fs_copy_file(from, to, &err), FERRY_NOT_FOUND);
    assert_non_null(strstr(err.message, "missing.bin"));
}

static void test_read_file_missing(void **state)
{
    (void)state;
    char path[4200];
    path_in_tmp(path, sizeof path, "absent.txt");
    char *data = NULL;
    size_t len = 0;
    ferry_error err = {0};
    assert_int_equal(fs_read_file(path, &data, &len, &err), FERRY_NOT_FOUND);
    assert_null(data);
    assert_non_null(strstr(err.message, "absent.txt"));
}

static void test_remove_tree_and_fsync_dir(void **state)
{
    (void)state;
    char dir[4200], file[4300];
    path_in_tmp(dir, sizeof dir, "tree");
    snprintf(file, sizeof file, "%s/a/b/c.txt", dir);
    ts_write_file(file, "x");
    snprintf(file, sizeof file, "%s/top.txt", dir);
    ts_write_file(file, "y");
    ferry_error err = {0};
    assert_int_equal(fs_fsync_dir(dir, &err), FERRY_OK);
    fs_remove_tree(dir);
    struct stat sb;
    assert_int_not_equal(stat(dir, &sb), 0);
    fs_remove_tree(dir); /* already gone: nothing happens */
    assert_int_equal(fs_fsync_dir(dir, &err), FERRY_NOT_FOUND);
    assert_non_null(strstr(err.message, "tree"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_atomic_creates_and_replaces),
        cmocka_unit_test(test_write_atomic_replaces_inode),
        cmocka_unit_test(test_write_atomic_missing_folder),
        cmocka_unit_test(test_append),
        cmocka_unit_test(test_copy_file),
        cmocka_unit_test(test_read_file_missing),
        cmocka_unit_test(test_remove_tree_and_fsync_dir),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
