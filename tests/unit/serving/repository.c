/* Unit tests for reading the model repository (src/serving/repository.c) on temporary
 * repositories built from the bc_xgb fixture: which version is chosen, what is ignored,
 * version.yaml verification, missing artifacts, backends and options, and the three kinds of path
 * repository_read_path accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "serving/model_version.h"
#include "serving/repository.h"
#include "test_support.h"

static char fixture[4096]; /* ../shared/models/bc_xgb/model.json */

typedef struct repo_fixture {
    char *root;
} repo_fixture;

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

static void assert_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (n < m || strcmp(s + n - m, suffix) != 0)
        fail_msg("expected \"%s\" to end with \"%s\"", s, suffix);
}

/* root/rel as a path in a static buffer (copy it before the next call). */
static const char *at(const repo_fixture *r, const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", r->root, rel);
    return path;
}

static void write_at(const repo_fixture *r, const char *rel, const char *text)
{
    ts_write_file(at(r, rel), text);
}

/* Copies the fixture to root/rel. */
static void artifact_at(const repo_fixture *r, const char *rel)
{
    ts_copy_file(fixture, at(r, rel));
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(fixture, sizeof fixture, "%s", ts_shared("models/bc_xgb/model.json"));
    return 0;
}

static int setup(void **state)
{
    repo_fixture *r = calloc(1, sizeof *r);
    r->root = ts_mkdtemp();
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    repo_fixture *r = *state;
    ts_rmtree(r->root);
    free(r->root);
    free(r);
    return 0;
}

/* Reads root/model_dir as model `name`; asserts success. The caller clears the spec. */
static void read_ok(const repo_fixture *r, const char *model_dir, model_spec *spec)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", at(r, model_dir));
    ferry_error err = {0};
    ferry_status st = repository_read_model(dir, model_dir, spec, &err);
    if (st != FERRY_OK)
        fail_msg("reading %s: %s", dir, err.message);
}

/* Reads root/model_dir expecting `code`; the message is left in err. */
static void read_fails(const repo_fixture *r, const char *model_dir, ferry_status code,
                       ferry_error *err)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", at(r, model_dir));
    model_spec spec;
    ferry_status st = repository_read_model(dir, model_dir, &spec, err);
    if (st != code)
        fail_msg("reading %s: expected %s, got %s (%s)", dir, ferry_status_name(code),
                 ferry_status_name(st), st == FERRY_OK ? "" : err->message);
}

/* ------------------------------------------------------------------------------------------ */
/* Choosing the version                                                                         */
/* ------------------------------------------------------------------------------------------ */

static void test_production_picks_that_version(void **state)
{
    repo_fixture *r = *state;
    artifact_at(r, "m/1/model.json");
    artifact_at(r, "m/2/model.json");
    artifact_at(r, "m/3/model.json");
    write_at(r, "m/model.yaml", "production: 2\n");
    model_spec spec;
    read_ok(r, "m", &spec);
    assert_string_equal(spec.name, "m");
    assert_string_equal(spec.version, "2");
    assert_ends_with(spec.artifact, "/m/2/model.json");
    assert_non_null(spec.backend);
    assert_string_equal(spec.backend->name, "xgboost");
    assert_int_equal(spec.n_options, 0);
    assert_string_equal(spec.expected_sha256, "");
    assert_int_equal(spec.expected_size, -1);
    model_spec_clear(&spec);
    /* Quoted works the same. */
    write_at(r, "m/model.yaml", "production: '1'\n");
    read_ok(r, "m", &spec);
    assert_string_equal(spec.version, "1");
    model_spec_clear(&spec);
}

static void test_highest_numeric_version_without_production(void **state)
{
    repo_fixture *r = *state;
    artifact_at(r, "m/2/model.json");
    artifact_at(r, "m/10/model.json");
    artifact_at(r, "m/9/model.json");
    model_spec spec;
    read_ok(r, "m", &spec);                  /* no model.yaml at all */
    assert_string_equal(spec.version, "10"); /* numeric order, not text order */
    assert_ends_with(spec.artifact, "/m/10/model.json");
    model_spec_clear(&spec);
    /* A model.yaml without production: behaves the same. */
    write_at(r, "m/model.yaml", "# no production here\n");
    read_ok(r, "m", &spec);
    assert_string_equal(spec.version, "10");
    model_spec_clear(&spec);
}

static void test_non_numeric_folders_and_files_ignored(void **state)
{
    repo_fixture *r = *state;
    artifact_at(r, "m/1/model.json");
    artifact_at(r, "m/5/model.json");
    artifact_at(r, "m/latest/model.json");
    artifact_at(r, "m/07/model.json"); /* leading zero */
    artifact_at(r, "m/0/model.json");  /* versions start at 1 */
    artifact_at(r, "m/12a/model.json");
    artifact_at(r, "m/-3/model.json");
    artifact_at(r, "m/99999999999999999999/model.json"); /* does not fit 64 bits */
    write_at(r, "m/99", "a file, not a version folder\n");
    write_at(r, "m/README.md", "notes\n");
    uint64_t *versions = NULL;
    size_t count = 0;
    ferry_error err;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", at(r, "m"));
    assert_int_equal(repository_list_versions(dir, &versions, &count, &err), FERRY_OK);
    assert_int_equal(count, 2);
    assert_int_equal(versions[0], 1);
    assert_int_equal(versions[1], 5);
    free(versions);
    model_spec spec;
    read_ok(r, "m", &spec);
    assert_string_equal(spec.version, "5");
    model_spec_clear(&spec);
}

static void test_no_versions(void **state)
{
    repo_fixture *r = *state;
    write_at(r, "m/model.yaml", "backend: xgboost\n");
    artifact_at(r, "m/latest/model.json");
    ferry_error err;
    read_fails(r, "m", FERRY_NOT_FOUND, &err);
    assert_contains(err.message, "'m'");
    assert_contains(err.message, "no version folders");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", at(r, "m"));
    uint64_t *versions = NULL;
    size_t count = 1;
    assert_int_equal(repository_list_versions(dir, &versions, &count, &err), FERRY_OK);
    assert_int_equal(count, 0);
    free(versions);
    snprintf(dir, sizeof dir, "%s", at(r, "missing"));
    assert_int_equal(repository_list_versions(dir, &versions, &count, &err), FERRY_NOT_FOUND);
    assert_contains(err.message, dir);
}

static void test_bad_production(void **state)
{
    repo_fixture *r = *state;
    artifact_at(r, "m/1/model.json");
    ferry_error err;
    /* A production version whose folder is missing. */
    write_at(r, "m/model.yaml", "production: 4\n");
    read_fails(r, "m", FERRY_NOT_FOUND, &err);
    assert_contains(err.message, "'m'");
    assert_contains(err.message, "version 4");
    assert_contains(err.message, "/m/4");
    /* Not a version number. */
    const char *bad[] = {"production: latest\n", "production: 0\n",   "production: -1\n",
                         "production: 01\n",     "production: 1.5\n", "production: ''\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_at(r, "m/model.yaml", bad[i]);
        read_fails(r, "m", FERRY_INVALID_ARG, &err);
        assert_contains(err.message, "model.yaml");
        assert_contains(err.message, "production");
    }
}

static void test_explicit_version(void **state)
{
    repo_fixture *r = *state;
    artifact_at(r, "m/1/model.json");
    artifact_at(r, "m/2/model.json");
    write_at(r, "m/model.yaml", "production: 2\n");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", at(r, "m"));
    model_spec spec;
    ferry_error err;
    assert_int_equal(repository_read_model_version(dir, "m", "1", &spec, &err), FERRY_OK);
    assert_string_equal(spec.version, "1");
    assert_ends_with(spec.artifact, "/m/1/model.json");
    model_spec_clear(&spec);
    assert_int_equal(repository_read_model_version(dir, "m", "7", &spec, &err), FERRY_NOT_FOUND);
    assert_contains(err.message, "'m'");
    assert_contains(err.message, "version 7");
    const char *bad[] = {"0", "01", "x", "", "-1", "1/../2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(repository_read_model_version(dir, "m", bad[i], &spec, &err),
                         FERRY_INVALID_ARG);
        assert_contains(err.message, "'m'");
    }
}

static void test_missing_model_folder(void **state)
{
    repo_fixture *r = *state;
    ferry_error err;
    read_fails(r, "nothere", FERRY_NOT_FOUND, &err);
    assert_contains(err.message, "'nothere'");
    write_at(r, "afile", "x");
    read_fails(r, "afile", FERRY_NOT_FOUND, &err);
    assert_contains(err.message, "not a folder");
}

/* ------------------------------------------------------------------------------------------ */
/* version.yaml                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static void test_sha256_verified(void **state)
{
    repo_fixture *r = *state;
    artifact_at(r, "m/1/model.json");
    char sha[HASH_SHA256_HEX_LEN + 1];
    uint64_t size = 0;
    ferry_error err;
    assert_int_equal(hash_file_sha256(fixture, sha, &size, &err), FERRY_OK);
    char yaml[256];
    /* Upper-case hex is accepted and compared case-insensitively. */
    char upper[HASH_SHA256_HEX_LEN + 1];
    for (int i = 0; i <= HASH_SHA256_HEX_LEN; i++)
        upper[i] = (char)(sha[i] >= 'a' && sha[i] <= 'f' ? sha[i] - 32 : sha[i]);
    snprintf(yaml, sizeof yaml, "sha256: %s\nsize: %llu\n", upper, (unsigned long long)size);
    write_at(r, "m/1/version.yaml", yaml);
    model_spec spec;
    read_ok(r, "m", &spec);
    assert_string_equal(spec.expected_sha256, sha);
    assert_int_equal(spec.expected_size, (int64_t)size);
    model_version *mv = NULL;
    ferry_status st = model_version_load(&spec, &mv, &err);
    if (st != FERRY_OK)
        fail_msg("%s", err.message);
    assert_string_equal(mv->sha256, sha);
    model_version_release(mv);
    model_spec_clear(&spec);
}

static void test_sha256_mismatch_fails_load(void **state)
{
    repo_fixture *r = *state;
    artifact_at(r, "m/1/model.json");
    const char *wrong = "0000000000000000000000000000000000000000000000000000000000000000";
    char yaml[256];
    snprintf(yaml, sizeof yaml, "sha256: %s\n", wrong);
    write_at(r, "m/1/version.yaml", yaml);
    model_spec spec;
    read_ok(r, "m", &spec); /* reading the spec does not hash */
    assert_string_equal(spec.expected_sha256, wrong);
    model_version *mv = NULL;
    ferry_error err;
    assert_int_equal(model_version_load(&spec, &mv, &err), FERRY_INVALID_ARG);
    assert_null(mv);
    assert_contains(err.message, "'m'");
    assert_contains(err.message, "version 1");
    assert_contains(err.message, spec.artifact);
    assert_contains(err.message, "sha256");
    assert_contains(err.message, wrong);
    model_spec_clear(&spec);
}

static void test_size_mismatch_fails_load(void **state)
{
    repo_fixture *r = *state;
    artifact_at(r, "m/1/model.json");
    write_at(r, "m/1/version.yaml", "size: 12\n");
    model_spec spec;
    read_ok(r, "m", &spec);
    assert_int_equal(spec.expected_size, 12);
    model_version *mv = NULL;
    ferry_error err;
    assert_int_equal(model_version_load(&spec, &mv, &err), FERRY_INVALID_ARG);
    assert_contains(err.message, spec.artifact);
    assert_contains(err.message, "version.yaml says 12");
    model_spec_clear(&spec);
}

static void test_bad_sha256_and_size_text(void **state)
{
    repo_fixture *r = *state;
    artifact_at(r, "m/1/model.json");
    const char *bad_sha[] = {
        "sha256: xyz\n",
        "sha256: 000000000000000000000000000000000000000000000000000000000000000\n",   /* 63 */
        "sha256: 00000000000000000000000000000000000000000000000000000000000000000\n", /* 65 */
        "sha256: 000000000000000000000000000000000000000000000000000000000000000g\n",
        "sha256: ''\n",
    };
    ferry_error err;
    for (size_t i = 0; i < sizeof bad_sha / sizeof bad_sha[0]; i++) {
        write_at(r, "m/1/version.yaml", bad_sha[i]);
        read_fails(r, "m", FERRY_INVALID_ARG, &err);
        assert_contains(err.message, "/m/1/version.yaml");
        assert_contains(err.message, "sha256");
    }
    const char *bad_size[] = {"size: -1\n", "size: ten\n", "size: 12kb\n",
                              "size: 99999999999999999999999\n"};
    for (size_t i = 0; i < sizeof bad_size / sizeof bad_size[0]; i++) {
        write_at(r, "m/1/version.yaml", bad_size[i]);
        read_fails(r, "m", FERRY_INVALID_ARG, &err);
        assert_contains(err.message, "/m/1/version.yaml");
        assert_contains(err.message, "size");
    }
    write_at(r, "m/1/version.yaml", "- not\n- a map\n");
    read_fails(r, "m", FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "version.yaml");
    write_at(r, "m/1/version.yaml", "sha256: [\n");
    read_fails(r, "m", FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "version.yaml");
    assert_contains(err.message, "line");
}

/* ------------------------------------------------------------------------------------------ */
/* Artifacts, backends and options                                                              */
/* ------------------------------------------------------------------------------------------ */

static void test_missing_artifact(void **state)
{
    repo_fixture *r = *state;
    write_at(r, "m/1/README.md", "no model here\n");
    write_at(r, "m/1/model.pt", "not served by any backend\n");
    ferry_error err;
    read_fails(r, "m", FERRY_NOT_FOUND, &err);
    assert_contains(err.message, "/m/1");
    assert_contains(err.message, "model.json");
    assert_contains(err.message, "model.ubj");
    /* With the backend named, the message still lists the file names looked for. */
    write_at(r, "m/model.yaml", "backend: xgboost\n");
    read_fails(r, "m", FERRY_NOT_FOUND, &err);
    assert_contains(err.message, "/m/1");
    assert_contains(err.message, "model.json");
    assert_contains(err.message, "model.ubj");
    /* A folder called model.json is not an artifact. */
    write_at(r, "m/1/model.json/inner", "x");
    read_fails(r, "m", FERRY_NOT_FOUND, &err);
}

static void test_ubj_artifact_found(void **state)
{
    repo_fixture *r = *state;
    ts_copy_file(ts_shared("models/bc_xgb/model.ubj"), at(r, "m/1/model.ubj"));
    model_spec spec;
    read_ok(r, "m", &spec);
    assert_ends_with(spec.artifact, "/m/1/model.ubj");
    assert_string_equal(spec.backend->name, "xgboost");
    model_spec_clear(&spec);
}

static void test_unknown_backend(void **state)
{
    repo_fixture *r = *state;
    artifact_at(r, "m/1/model.json");
    write_at(r, "m/model.yaml", "backend: tensorflow\n");
    ferry_error err;
    read_fails(r, "m", FERRY_UNSUPPORTED, &err);
    assert_contains(err.message, "'m'");
    assert_contains(err.message, "version 1");
    assert_contains(err.message, "'tensorflow'");
    /* The same from version.yaml. */
    write_at(r, "m/model.yaml", "");
    write_at(r, "m/1/version.yaml", "backend: pytorch\n");
    read_fails(r, "m", FERRY_UNSUPPORTED, &err);
    assert_contains(err.message, "'pytorch'");
    /* model.yaml's backend wins over version.yaml's. */
    write_at(r, "m/model.yaml", "backend: xgboost\n");
    model_spec spec;
    read_ok(r, "m", &spec);
    assert_string_equal(spec.backend->name, "xgboost");
    model_spec_clear(&spec);
}

static void test_options_passed(void **state)
{
    repo_fixture *r = *state;
    artifact_at(r, "m/1/model.json");
    write_at(r, "m/model.yaml",
             "production: 1\n"
             "options:\n"
             "  input_name: features\n"
             "  output_name: probability\n"
             "  predict: margin\n");
    model_spec spec;
    read_ok(r, "m", &spec);
    assert_int_equal(spec.n_options, 3);
    assert_string_equal(spec.options[0].key, "input_name");
    assert_string_equal(spec.options[0].value, "features");
    assert_string_equal(spec.options[1].key, "output_name");
    assert_string_equal(spec.options[1].value, "probability");
    assert_string_equal(spec.options[2].key, "predict");
    assert_string_equal(spec.options[2].value, "margin");
    /* The backend receives them. */
    model_version *mv = NULL;
    ferry_error err;
    ferry_status st = model_version_load(&spec, &mv, &err);
    if (st != FERRY_OK)
        fail_msg("%s", err.message);
    assert_string_equal(mv->io.inputs[0].name, "features");
    assert_string_equal(mv->io.outputs[0].name, "probability");
    model_version_release(mv);
    model_spec_clear(&spec);
    /* An option the backend does not know fails the load, naming it. */
    write_at(r, "m/model.yaml", "options:\n  colour: blue\n");
    read_ok(r, "m", &spec);
    assert_int_equal(model_version_load(&spec, &mv, &err), FERRY_INVALID_ARG);
    assert_contains(err.message, "colour");
    model_spec_clear(&spec);
}

static void test_bad_options(void **state)
{
    repo_fixture *r = *state;
    artifact_at(r, "m/1/model.json");
    ferry_error err;
    write_at(r, "m/model.yaml", "options: [a, b]\n");
    read_fails(r, "m", FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "model.yaml");
    assert_contains(err.message, "options");
    write_at(r, "m/model.yaml", "options:\n  input_name: [x, y]\n");
    read_fails(r, "m", FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "'input_name'");
    assert_contains(err.message, "line 2");
    char yaml[4096] = "options:\n";
    for (int i = 0; i < REPOSITORY_MAX_OPTIONS + 1; i++)
        snprintf(yaml + strlen(yaml), sizeof yaml - strlen(yaml), "  k%d: v\n", i);
    write_at(r, "m/model.yaml", yaml);
    read_fails(r, "m", FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "options");
}

static void test_bad_model_yaml(void **state)
{
    repo_fixture *r = *state;
    artifact_at(r, "m/1/model.json");
    ferry_error err;
    write_at(r, "m/model.yaml", "- a\n- b\n");
    read_fails(r, "m", FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "/m/model.yaml");
    assert_contains(err.message, "mapping");
    write_at(r, "m/model.yaml", "production: 1\n  backend: xgboost\n");
    read_fails(r, "m", FERRY_INVALID_ARG, &err);
    assert_contains(err.message, "/m/model.yaml");
    assert_contains(err.message, "line 2");
}

/* ------------------------------------------------------------------------------------------ */
/* repository_read_path and repository_read_artifact                                           */
/* ------------------------------------------------------------------------------------------ */

static void test_read_path_artifact(void **state)
{
    repo_fixture *r = *state;
    artifact_at(r, "m/3/model.json");
    char path[4096];
    snprintf(path, sizeof path, "%s", at(r, "m/3/model.json"));
    model_spec spec;
    ferry_error err;
    assert_int_equal(repository_read_path(path, NULL, &spec, &err), FERRY_OK);
    assert_string_equal(spec.name, "model"); /* the file name without its extension */
    assert_string_equal(spec.version, "");
    assert_string_equal(spec.artifact, path);
    assert_string_equal(spec.backend->name, "xgboost");
    model_spec_clear(&spec);
    assert_int_equal(repository_read_path(path, "bc", &spec, &err), FERRY_OK);
    assert_string_equal(spec.name, "bc");
    model_spec_clear(&spec);
    /* A renamed artifact is still recognised by its extension. */
    artifact_at(r, "elsewhere/breast.json");
    snprintf(path, sizeof path, "%s", at(r, "elsewhere/breast.json"));
    assert_int_equal(repository_read_path(path, NULL, &spec, &err), FERRY_OK);
    assert_string_equal(spec.name, "breast");
    assert_string_equal(spec.backend->name, "xgboost");
    model_spec_clear(&spec);
    /* An unknown kind of file. */
    write_at(r, "elsewhere/model.csv", "hello\n");
    snprintf(path, sizeof path, "%s", at(r, "elsewhere/model.csv"));
    assert_int_equal(repository_read_path(path, NULL, &spec, &err), FERRY_UNSUPPORTED);
    assert_contains(err.message, path);
    assert_contains(err.message, "model.json");
}

static void test_read_path_version_folder(void **state)
{
    repo_fixture *r = *state;
    artifact_at(r, "m/3/model.json");
    artifact_at(r, "m/4/model.json");
    write_at(r, "m/model.yaml", "production: 4\n");
    char path[4096];
    snprintf(path, sizeof path, "%s", at(r, "m/3"));
    model_spec spec;
    ferry_error err;
    assert_int_equal(repository_read_path(path, NULL, &spec, &err), FERRY_OK);
    assert_string_equal(spec.name, "m");
    assert_string_equal(spec.version, "3"); /* the folder asked for, not production */
    assert_ends_with(spec.artifact, "/m/3/model.json");
    model_spec_clear(&spec);
    snprintf(path, sizeof path, "%s", at(r, "m/3/"));
    assert_int_equal(repository_read_path(path, "named", &spec, &err), FERRY_OK);
    assert_string_equal(spec.name, "named");
    assert_string_equal(spec.version, "3");
    model_spec_clear(&spec);
}

static void test_read_path_model_folder(void **state)
{
    repo_fixture *r = *state;
    artifact_at(r, "bc/3/model.json");
    artifact_at(r, "bc/4/model.json");
    write_at(r, "bc/model.yaml", "production: 3\n");
    char path[4096];
    snprintf(path, sizeof path, "%s", at(r, "bc"));
    model_spec spec;
    ferry_error err;
    assert_int_equal(repository_read_path(path, NULL, &spec, &err), FERRY_OK);
    assert_string_equal(spec.name, "bc");
    assert_string_equal(spec.version, "3");
    assert_ends_with(spec.artifact, "/bc/3/model.json");
    model_spec_clear(&spec);
    snprintf(path, sizeof path, "%s", at(r, "bc//"));
    assert_int_equal(repository_read_path(path, NULL, &spec, &err), FERRY_OK);
    assert_string_equal(spec.name, "bc");
    model_spec_clear(&spec);
}

static void test_read_path_missing(void **state)
{
    repo_fixture *r = *state;
    char path[4096];
    snprintf(path, sizeof path, "%s", at(r, "nope/model.json"));
    model_spec spec;
    ferry_error err;
    assert_int_equal(repository_read_path(path, NULL, &spec, &err), FERRY_NOT_FOUND);
    assert_contains(err.message, path);
    assert_int_equal(repository_read_artifact(path, "x", &spec, &err), FERRY_NOT_FOUND);
    assert_contains(err.message, path);
}

/* ------------------------------------------------------------------------------------------ */
/* Listing models                                                                               */
/* ------------------------------------------------------------------------------------------ */

static void test_list_models(void **state)
{
    repo_fixture *r = *state;
    write_at(r, "b_model/1/x", "");
    write_at(r, "a-model/x", "");
    write_at(r, "ok.v2/x", "");
    write_at(r, "Zed/x", "");
    write_at(r, ".hidden/x", "");
    write_at(r, "bad name/x", "");
    write_at(r, "semi;colon/x", "");
    write_at(r, "a_file", "not a model folder\n");
    char **names = NULL;
    size_t count = 0;
    ferry_error err;
    assert_int_equal(repository_list_models(r->root, &names, &count, &err), FERRY_OK);
    assert_int_equal(count, 4);
    assert_string_equal(names[0], "Zed"); /* byte order */
    assert_string_equal(names[1], "a-model");
    assert_string_equal(names[2], "b_model");
    assert_string_equal(names[3], "ok.v2");
    repository_free_names(names, count);
    repository_free_names(NULL, 0);
}

static void test_list_models_empty_and_missing(void **state)
{
    repo_fixture *r = *state;
    char **names = (char **)1;
    size_t count = 99;
    ferry_error err;
    assert_int_equal(repository_list_models(r->root, &names, &count, &err), FERRY_OK);
    assert_int_equal(count, 0);
    repository_free_names(names, count);
    char path[4096];
    snprintf(path, sizeof path, "%s", at(r, "missing"));
    assert_int_equal(repository_list_models(path, &names, &count, &err), FERRY_NOT_FOUND);
    assert_contains(err.message, path);
}

static void test_valid_model_names(void **state)
{
    (void)state;
    assert_true(repository_valid_model_name("bc_xgb"));
    assert_true(repository_valid_model_name("a"));
    assert_true(repository_valid_model_name("v1.2-final_X"));
    assert_false(repository_valid_model_name(""));
    assert_false(repository_valid_model_name("."));
    assert_false(repository_valid_model_name(".."));
    assert_false(repository_valid_model_name(".hidden"));
    assert_false(repository_valid_model_name("a/b"));
    assert_false(repository_valid_model_name("a b"));
    assert_false(repository_valid_model_name("caf\xc3\xa9"));
    char name[REPOSITORY_NAME_MAX + 1];
    memset(name, 'n', REPOSITORY_NAME_MAX - 1);
    name[REPOSITORY_NAME_MAX - 1] = '\0';
    assert_true(repository_valid_model_name(name)); /* 127 bytes */
    name[REPOSITORY_NAME_MAX - 1] = 'n';
    name[REPOSITORY_NAME_MAX] = '\0';
    assert_false(repository_valid_model_name(name)); /* 128 bytes */
}

static void test_name_too_long(void **state)
{
    repo_fixture *r = *state;
    artifact_at(r, "m/1/model.json");
    char name[300];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", at(r, "m"));
    model_spec spec;
    ferry_error err;
    assert_int_equal(repository_read_model(dir, name, &spec, &err), FERRY_INVALID_ARG);
    assert_contains(err.message, "too long");
    model_spec_clear(NULL);
}

#define REPO_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        REPO_TEST(test_production_picks_that_version),
        REPO_TEST(test_highest_numeric_version_without_production),
        REPO_TEST(test_non_numeric_folders_and_files_ignored),
        REPO_TEST(test_no_versions),
        REPO_TEST(test_bad_production),
        REPO_TEST(test_explicit_version),
        REPO_TEST(test_missing_model_folder),
        REPO_TEST(test_sha256_verified),
        REPO_TEST(test_sha256_mismatch_fails_load),
        REPO_TEST(test_size_mismatch_fails_load),
        REPO_TEST(test_bad_sha256_and_size_text),
        REPO_TEST(test_missing_artifact),
        REPO_TEST(test_ubj_artifact_found),
        REPO_TEST(test_unknown_backend),
        REPO_TEST(test_options_passed),
        REPO_TEST(test_bad_options),
        REPO_TEST(test_bad_model_yaml),
        REPO_TEST(test_read_path_artifact),
        REPO_TEST(test_read_path_version_folder),
        REPO_TEST(test_read_path_model_folder),
        REPO_TEST(test_read_path_missing),
        REPO_TEST(test_list_models),
        REPO_TEST(test_list_models_empty_and_missing),
        cmocka_unit_test(test_valid_model_names),
        REPO_TEST(test_name_too_long),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
